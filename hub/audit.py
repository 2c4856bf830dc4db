"""The append-only audit log: JSON lines, hash-chained and authenticated with an HMAC.

Each entry records one operation of DPA 2018 s.62 (collection, alteration, consultation,
disclosure, combination, erasure) or a configuration change, with ids and counts only: never
personal data. Entry ``n`` carries the hash of entry ``n-1``; its own hash covers every field and
is authenticated with HMAC-SHA256 under the audit key, which lives outside the workspace. The
head (last sequence number and hash) is also kept in ``audit/head.json``, so a truncated tail is
detected. :func:`verify` names the first bad entry.
"""

from __future__ import annotations

import datetime
import enum
import fcntl
import getpass
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.errors import HubError

GENESIS = "0" * 64


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
    """The audit log cannot be written or read."""


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking the whole log."""

    ok: bool
    entries: int
    first_bad_sequence: int | None = None
    problem: str | None = None


def current_actor() -> str:
    """The operating-system user or service account running the hub."""
    return os.environ.get("IOMHUB_ACTOR") or getpass.getuser()


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str).encode()


def _digest(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k not in ("hash", "mac")}
    return hashlib.sha256(_canonical(body)).hexdigest()


class AuditLog:
    """Append to and verify ``<workspace>/audit/audit.jsonl``."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.folder = folder
        self.path = folder / "audit.jsonl"
        self.head_path = folder / "head.json"
        self._key = key

    def _mac(self, digest: str) -> str:
        return hmac.new(self._key, digest.encode(), hashlib.sha256).hexdigest()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "audit.lock").open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            yield

    def _head(self) -> tuple[int, str]:
        if not self.head_path.exists():
            return 0, GENESIS
        head = json.loads(self.head_path.read_text(encoding="utf-8"))
        return int(head["sequence"]), str(head["hash"])

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
        with self._locked():
            sequence, previous = self._head()
            entry: dict[str, Any] = {
                "sequence": sequence + 1,
                "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
                "actor": actor or current_actor(),
                "operation": str(operation),
                "action": action,
                "objects": objects or {},
                "counts": counts or {},
                "agreement_id": agreement_id,
                "reason": reason,
                "previous_hash": previous,
            }
            entry["hash"] = _digest(entry)
            entry["mac"] = self._mac(entry["hash"])
            line = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str) + "\n"
            try:
                descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    os.write(descriptor, line.encode())
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
                temporary = self.head_path.with_suffix(".tmp")
                temporary.write_text(
                    json.dumps({"sequence": entry["sequence"], "hash": entry["hash"]}),
                    encoding="utf-8",
                )
                os.replace(temporary, self.head_path)
            except OSError as error:
                raise AuditError(
                    f"cannot write the audit log {self.path}: {error.strerror}"
                ) from error
            return entry

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry in order (unverified; use :meth:`verify` first when it matters)."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)

    def verify(self) -> VerifyResult:
        """Check every entry's chain, hash and HMAC, and the head; name the first bad entry."""
        previous, expected_sequence, count = GENESIS, 1, 0
        if not self.path.exists():
            head_sequence, _ = self._head()
            if head_sequence:
                return VerifyResult(False, 0, 1, "the log file is missing but entries were written")
            return VerifyResult(True, 0)
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    return VerifyResult(False, count, expected_sequence,
                                        f"line {number} is not a JSON entry")  # fmt: skip
                sequence = entry.get("sequence")
                if sequence != expected_sequence:
                    return VerifyResult(
                        False, count, expected_sequence,
                        f"line {number}: expected entry {expected_sequence}, found {sequence} "
                        "(an entry was deleted, reordered or inserted)",
                    )  # fmt: skip
                if entry.get("previous_hash") != previous:
                    return VerifyResult(
                        False,
                        count,
                        sequence,
                        f"entry {sequence} does not follow the entry before it",
                    )
                digest = _digest(entry)
                if entry.get("hash") != digest:
                    return VerifyResult(
                        False, count, sequence, f"entry {sequence} was altered after it was written"
                    )
                if not hmac.compare_digest(str(entry.get("mac")), self._mac(digest)):
                    return VerifyResult(
                        False, count, sequence,
                        f"entry {sequence} is not authenticated by the audit key "
                        "(written by hand, or the key is wrong)",
                    )  # fmt: skip
                previous, expected_sequence, count = digest, expected_sequence + 1, count + 1
        head_sequence, head_hash = self._head()
        if head_sequence != count or (count and head_hash != previous):
            return VerifyResult(
                False, count, count + 1,
                f"the log ends at entry {count} but entry {head_sequence} was written "
                "(the tail was truncated)",
            )  # fmt: skip
        return VerifyResult(True, count)
