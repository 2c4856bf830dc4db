"""The audit log's chain: entry hashes, HMACs under the audit key, the head file, and the check
of a whole log that names the first bad entry.

Entry ``n`` carries the hash of entry ``n-1``; its own hash covers every field and is
authenticated with HMAC-SHA256 under the audit key. The head (last sequence number and hash, the
audit key's id, and an HMAC over them) is kept in ``audit/head.json``, so a truncated tail is
detected and the head cannot be rewritten by hand. :mod:`hub.audit.log` writes and reads the log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.files import fsync_path
from hub.audit.anchor import Anchor
from hub.errors import AuditError

GENESIS = "0" * 64


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking the whole log."""

    ok: bool
    entries: int
    first_bad_sequence: int | None = None
    problem: str | None = None
    last_hash: str | None = None
    """Hash of the last good entry: write it down elsewhere to anchor the log at this point."""
    anchors: tuple[str, ...] = ()
    """The records outside the log it was checked against, e.g. 'the state database (entry
    12)'."""


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes an entry's hash covers (sorted keys, no spaces)."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str).encode()


def digest(entry: dict[str, Any]) -> str:
    """The hash of an entry: every field but its own ``hash`` and ``mac``."""
    body = {k: v for k, v in entry.items() if k not in ("hash", "mac")}
    return hashlib.sha256(canonical(body)).hexdigest()


class AuditKey:
    """HMACs under the audit key: of entries, and of the head."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def mac(self, entry_digest: str) -> str:
        """The HMAC of an entry's hash."""
        return hmac.new(self._key, entry_digest.encode(), hashlib.sha256).hexdigest()

    @property
    def key_id(self) -> str:
        """A short, public fingerprint of the audit key (tells which key wrote the log)."""
        return hmac.new(self._key, b"iomhub audit key id", hashlib.sha256).hexdigest()[:16]

    def head_mac(self, sequence: int, entry_digest: str, key_id: str) -> str:
        """The HMAC over the head's fields."""
        message = f"iomhub audit head:{sequence}:{entry_digest}:{key_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def authentic(self, entry: dict[str, Any]) -> bool:
        """Whether an entry's hash covers it and its HMAC is the audit key's."""
        entry_digest = digest(entry)
        return entry.get("hash") == entry_digest and hmac.compare_digest(
            str(entry.get("mac")), self.mac(entry_digest)
        )

    def head_problem(self, head: dict[str, Any]) -> str | None:
        """Why the stored head cannot be trusted, or None when it is authentic."""
        if head.get("malformed"):
            return "the audit head file is not readable (edited by hand?)"
        if "key_id" not in head or "mac" not in head:
            return "the audit head was altered (its key id or HMAC is missing)"
        key_id = str(head["key_id"])
        if key_id != self.key_id:
            return "the audit key is not the key this log was written with"
        expected = self.head_mac(head["sequence"], head["hash"], key_id)
        if not hmac.compare_digest(str(head.get("mac")), expected):
            return "the audit head was altered (its HMAC does not match)"
        return None


def read_head(head_path: Path) -> dict[str, Any] | None:
    """The head as stored (unchecked), or None when there is none."""
    try:
        text = head_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise AuditError(f"cannot read the audit head {head_path}: {error.strerror}") from error
    try:
        head = json.loads(text)
        head["sequence"] = int(head["sequence"])
        head["hash"] = str(head["hash"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        return {"sequence": -1, "hash": "", "malformed": True}
    return head


def write_head(head_path: Path, key: AuditKey, sequence: int, entry_digest: str) -> None:
    """Replace the head atomically, fsynced, with the HMAC over it."""
    head = {"sequence": sequence, "hash": entry_digest, "key_id": key.key_id,
            "mac": key.head_mac(sequence, entry_digest, key.key_id)}  # fmt: skip
    temporary = head_path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(descriptor, (json.dumps(head) + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, head_path)
    fsync_path(head_path.parent)


def write_all(descriptor: int, data: bytes) -> None:
    """Write every byte (``os.write`` may write fewer)."""
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]


def check_log(
    path: Path,
    head_path: Path,
    key: AuditKey,
    collect: list[dict[str, Any]] | None,
    anchors: Sequence[Anchor] = (),
) -> VerifyResult:
    """Check every entry's chain, hash and HMAC, and the head; name the first bad entry.
    Entries before it are appended to ``collect`` when given. The log must still hold each of
    ``anchors`` (records of entries written, kept outside the log). The caller holds the lock."""
    anchored: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        if anchor.sequence > 0:
            anchored.setdefault(anchor.sequence, []).append(anchor)
    head = read_head(head_path)
    previous, expected, count = GENESIS, 1, 0

    def bad(sequence: int, problem: str) -> VerifyResult:
        return VerifyResult(False, count, sequence, problem, previous if count else None)

    head_problem = key.head_problem(head) if head is not None else None
    if head is not None and str(head.get("key_id", key.key_id)) != key.key_id:
        return bad(1, f"{head_problem}: no entry can be checked")
    head_at: str | None = None
    try:
        handle = path.open("rb")
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
                entry_digest = digest(entry)
                if entry.get("hash") != entry_digest:
                    return bad(expected, f"entry {expected} was altered after it was written")
                if not hmac.compare_digest(str(entry.get("mac")), key.mac(entry_digest)):
                    return bad(
                        expected,
                        f"entry {expected} is not authenticated by the audit key "
                        "(written by hand, or the key is wrong)",
                    )
                differs = [a for a in anchored.get(expected, ()) if a.hash != entry_digest]
                if differs:
                    return bad(expected, f"entry {expected} is not the one {differs[0].source} "
                               "recorded (the log was rewritten)")  # fmt: skip
                if collect is not None:
                    collect.append(entry)
                if head is not None and expected == head["sequence"]:
                    head_at = entry_digest
                previous, expected, count = entry_digest, expected + 1, count + 1
    beyond = [anchor for anchor in anchors if anchor.sequence > count]
    if beyond:
        anchor = max(beyond, key=lambda item: item.sequence)
        return bad(
            count + 1,
            f"the log ends at entry {count} but {anchor.source} recorded entry "
            f"{anchor.sequence} (the log was deleted, cut or rolled back)",
        )
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
    checked = tuple(f"{anchor.source} (entry {anchor.sequence})" for anchor in anchors)
    return VerifyResult(True, count, last_hash=previous if count else None, anchors=checked)
