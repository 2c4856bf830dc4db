"""The append-only audit log: JSON lines, hash-chained and authenticated with an HMAC.

Each entry records one operation of DPA 2018 s.62 (collection, alteration, consultation,
disclosure, combination, erasure) or a configuration change, with ids and counts only: never
personal data. Entry ``n`` carries the hash of entry ``n-1``; its own hash covers every field and
is authenticated with HMAC-SHA256 under the audit key, which lives outside the workspace.

The head (last sequence number and hash, the audit key's id, and an HMAC over them) is kept in
``audit/head.json``, so a truncated tail is detected and the head cannot be rewritten by hand.
:meth:`AuditLog.verify` names the first bad entry.

Writers are serialised by an exclusive lock on ``audit/audit.lock`` (processes and threads
alike). Before appending, a writer checks that the log's last entry is authentic and agrees with
the head: a log that was cut short or edited at its tail is never silently continued (the writer
refuses, and the hub stops, until a person has looked). The one disagreement repaired is the
head lagging one entry behind, which a crash between appending and updating the head leaves.
"""

from __future__ import annotations

import datetime
import enum
import fcntl
import functools
import getpass
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.files import fsync_path
from schemas.errors import HubError

GENESIS = "0" * 64
MAX_REASON_CHARS = 1000
_TAIL_BLOCK = 64 * 1024


class Operation(enum.StrEnum):
    """What kind of processing an entry records (DPA 2018 s.62, plus configuration)."""

    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"
    CONFIGURATION = "configuration"


class AuditError(HubError):
    """The audit log cannot be written or read, or refuses an entry."""


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking the whole log."""

    ok: bool
    entries: int
    first_bad_sequence: int | None = None
    problem: str | None = None
    last_hash: str | None = None
    """Hash of the last good entry: write it down elsewhere to anchor the log at this point."""


def current_actor() -> str:
    """The operating-system user or service account running the hub."""
    return os.environ.get("IOMHUB_ACTOR") or getpass.getuser()


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str).encode()


def _digest(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k not in ("hash", "mac")}
    return hashlib.sha256(_canonical(body)).hexdigest()


@functools.cache
def _personal_fields() -> frozenset[str]:
    """Canonical record fields that hold personal data: never keys of an entry's objects."""
    from schemas.canonical import PROVENANCE_FIELDS, PersonRecord

    return frozenset(PersonRecord.model_fields) - set(PROVENANCE_FIELDS)


def _check_no_personal_data(
    objects: dict[str, Any], counts: dict[str, int], reason: str | None
) -> None:
    personal = sorted(set(objects) & _personal_fields())
    if personal:
        raise AuditError(
            f"an audit entry may not carry personal fields ({', '.join(personal)}); "
            "log ids, counts and hashes only"
        )
    for name, value in counts.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise AuditError(f"audit count {name!r} must be an integer")
    if reason is not None and len(reason) > MAX_REASON_CHARS:
        raise AuditError(f"an audit reason is limited to {MAX_REASON_CHARS} characters")


class AuditLog:
    """Append to and verify ``<workspace>/audit/audit.jsonl``."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder = folder
        self.path = folder / "audit.jsonl"
        self.head_path = folder / "head.json"
        self._key = key

    # --- keys and macs ----------------------------------------------------------------------

    def _mac(self, digest: str) -> str:
        return hmac.new(self._key, digest.encode(), hashlib.sha256).hexdigest()

    @property
    def key_id(self) -> str:
        """A short, public fingerprint of the audit key (tells which key wrote the log)."""
        return hmac.new(self._key, b"iomhub audit key id", hashlib.sha256).hexdigest()[:16]

    def _head_mac(self, sequence: int, digest: str, key_id: str) -> str:
        message = f"iomhub audit head:{sequence}:{digest}:{key_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _authentic(self, entry: dict[str, Any]) -> bool:
        digest = _digest(entry)
        return entry.get("hash") == digest and hmac.compare_digest(
            str(entry.get("mac")), self._mac(digest)
        )

    # --- the head ---------------------------------------------------------------------------

    def _read_head(self) -> dict[str, Any] | None:
        """The head as stored (unchecked), or None when there is none."""
        try:
            text = self.head_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise AuditError(
                f"cannot read the audit head {self.head_path}: {error.strerror}"
            ) from error
        try:
            head = json.loads(text)
            head["sequence"] = int(head["sequence"])
            head["hash"] = str(head["hash"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            return {"sequence": -1, "hash": "", "malformed": True}
        return head

    def _head_problem(self, head: dict[str, Any]) -> str | None:
        """Why the stored head cannot be trusted, or None when it is authentic."""
        if head.get("malformed"):
            return "the audit head file is not readable (edited by hand?)"
        if "key_id" not in head or "mac" not in head:
            return "the audit head was altered (its key id or HMAC is missing)"
        key_id = str(head["key_id"])
        if key_id != self.key_id:
            return "the audit key is not the key this log was written with"
        expected = self._head_mac(head["sequence"], head["hash"], key_id)
        if not hmac.compare_digest(str(head.get("mac")), expected):
            return "the audit head was altered (its HMAC does not match)"
        return None

    def _write_head(self, sequence: int, digest: str) -> None:
        head = {"sequence": sequence, "hash": digest, "key_id": self.key_id,
                "mac": self._head_mac(sequence, digest, self.key_id)}  # fmt: skip
        temporary = self.head_path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_all(descriptor, (json.dumps(head) + "\n").encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, self.head_path)
        fsync_path(self.folder)

    # --- writing ----------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.folder / "audit.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def _last_entry(self) -> dict[str, Any] | None:
        """The log's last entry, parsed; AuditError when the file ends in a partial line."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return None
        with handle:
            end = handle.seek(0, os.SEEK_END)
            if end == 0:
                return None
            tail = b""
            position = end
            while position > 0:
                step = min(_TAIL_BLOCK, position)
                position -= step
                handle.seek(position)
                tail = handle.read(step) + tail
                if tail.count(b"\n") >= 2 or (position == 0 and tail):
                    break
        if not tail.endswith(b"\n"):
            raise AuditError(
                f"the audit log {self.path} ends in a partial entry",
                hint="run `iomhub audit verify` and ask the data protection officer",
            )
        last = tail[:-1].rsplit(b"\n", 1)[-1]
        try:
            return dict(json.loads(last))
        except (json.JSONDecodeError, TypeError, ValueError) as error:
            raise AuditError(
                f"the audit log {self.path} ends in an unreadable entry",
                hint="run `iomhub audit verify` and ask the data protection officer",
            ) from error

    def _tail(self) -> tuple[int, str]:
        """The (sequence, hash) to continue from, after checking the tail against the head."""
        refuse = "run `iomhub audit verify`; the log is not continued until a person has looked"
        last = self._last_entry()
        head = self._read_head()
        if head is not None and (problem := self._head_problem(head)):
            raise AuditError(f"the audit log cannot be continued: {problem}", hint=refuse)
        head_sequence, head_hash = (head["sequence"], head["hash"]) if head else (0, GENESIS)
        if last is None:
            if head_sequence:
                raise AuditError("the audit log cannot be continued: its entries are missing",
                                 hint=refuse)  # fmt: skip
            return 0, GENESIS
        if not self._authentic(last):
            raise AuditError(
                "the audit log cannot be continued: its last entry is not authentic", hint=refuse
            )
        sequence, digest = int(last["sequence"]), str(last["hash"])
        if (sequence, digest) == (head_sequence, head_hash):
            return sequence, digest
        if sequence == head_sequence + 1 and last.get("previous_hash") == head_hash:
            self._write_head(sequence, digest)  # a crash came between append and head update
            return sequence, digest
        raise AuditError(
            "the audit log cannot be continued: its last entry does not match its head "
            "(entries were removed or added)",
            hint=refuse,
        )

    def record(
        self,
        operation: Operation,
        action: str,
        *,
        objects: dict[str, Any] | None = None,
        counts: dict[str, int] | None = None,
        agreement_id: str | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Append one entry and return it. ``objects`` and ``counts`` hold ids and numbers only."""
        objects, counts = dict(objects or {}), dict(counts or {})
        _check_no_personal_data(objects, counts, reason)
        try:
            with self._locked():
                sequence, previous = self._tail()
                entry: dict[str, Any] = {
                    "sequence": sequence + 1,
                    "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
                    "actor": actor or current_actor(),
                    "operation": str(Operation(operation)),
                    "action": action,
                    "objects": objects,
                    "counts": counts,
                    "agreement_id": agreement_id,
                    "reason": reason,
                    "previous_hash": previous,
                }
                entry["hash"] = _digest(entry)
                entry["mac"] = self._mac(entry["hash"])
                line = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str)
                descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    _write_all(descriptor, (line + "\n").encode())
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
                self._write_head(entry["sequence"], entry["hash"])
        except OSError as error:
            raise AuditError(
                f"cannot write the audit log {self.path}: {error.strerror or error}"
            ) from error
        return entry

    # --- reading and verifying --------------------------------------------------------------

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry in order (unverified; use :meth:`verified_entries` when it matters)."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)

    def verify(self) -> VerifyResult:
        """Check every entry's chain, hash and HMAC, and the head; name the first bad entry."""
        return self._check(collect=None)

    def verified_entries(self) -> tuple[VerifyResult, list[dict[str, Any]]]:
        """The verification result and the entries before the first bad one (all when ok)."""
        collected: list[dict[str, Any]] = []
        return self._check(collect=collected), collected

    def _check(self, collect: list[dict[str, Any]] | None) -> VerifyResult:
        with ExitStack() as stack:
            # Holding the lock, a writer half-way through never looks like a cut tail; a
            # read-only copy of the log (no lock can be taken) has no writer.
            with suppress(OSError):
                stack.enter_context(self._locked())
            return self._check_unlocked(collect)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_unlocked(self, collect: list[dict[str, Any]] | None) -> VerifyResult:
        head = self._read_head()
        previous, expected, count = GENESIS, 1, 0

        def bad(sequence: int, problem: str) -> VerifyResult:
            return VerifyResult(False, count, sequence, problem, previous if count else None)

        head_problem = self._head_problem(head) if head is not None else None
        if head is not None and str(head.get("key_id", self.key_id)) != self.key_id:
            return bad(1, f"{head_problem}: no entry can be checked")
        head_at: str | None = None
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            handle = None
        if handle is not None:
            with handle:
                for number, raw in enumerate(handle, start=1):
                    if not raw.endswith(b"\n"):
                        return bad(expected, f"line {number} is a partial entry (cut short)")
                    try:
                        entry = json.loads(raw)
                        if not isinstance(entry, dict):
                            raise ValueError
                    except ValueError:
                        return bad(expected, f"line {number} is not a JSON entry")
                    sequence = entry.get("sequence")
                    if sequence != expected:
                        return bad(
                            expected,
                            f"line {number}: expected entry {expected}, found {sequence} "
                            "(an entry was deleted, reordered or inserted)",
                        )
                    if entry.get("previous_hash") != previous:
                        return bad(expected, f"entry {expected} does not follow the one before it")
                    digest = _digest(entry)
                    if entry.get("hash") != digest:
                        return bad(expected, f"entry {expected} was altered after it was written")
                    if not hmac.compare_digest(str(entry.get("mac")), self._mac(digest)):
                        return bad(
                            expected,
                            f"entry {expected} is not authenticated by the audit key "
                            "(written by hand, or the key is wrong)",
                        )
                    if collect is not None:
                        collect.append(entry)
                    if head is not None and expected == head["sequence"]:
                        head_at = digest
                    previous, expected, count = digest, expected + 1, count + 1
        if head is None:
            if count:
                return bad(count + 1, "the audit head file is missing (the tail may be cut)")
            return VerifyResult(True, 0)
        if head_problem:
            return bad(count + 1, head_problem)
        if head["sequence"] > count:
            return bad(
                count + 1,
                f"the log ends at entry {count} but entry {head['sequence']} was written "
                "(the tail was truncated)",
            )
        if head["sequence"] and head_at != head["hash"]:
            return bad(head["sequence"], f"entry {head['sequence']} is not the one the head names")
        return VerifyResult(True, count, last_hash=previous if count else None)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]
