"""The append-only audit log, ``<workspace>/audit/audit.jsonl``: writing events to it and
reading them back.

Each entry records one event of :mod:`hub.audit.events` (an operation of DPA 2018 s.62, or a
configuration change) with ids and counts only: never personal data. Entries are hash-chained and
authenticated with an HMAC under the audit key, which lives outside the workspace
(:mod:`hub.audit.chain`); :meth:`AuditLog.verify` names the first bad entry.

Writers are serialised by an exclusive lock on ``audit/audit.lock`` (processes and threads
alike). Before appending, a writer checks that the log's last entry is authentic and agrees with
the head: a log that was cut short or edited at its tail is never silently continued (the writer
refuses, and the hub stops, until a person has looked). The one disagreement repaired is the
head lagging one entry behind, which a crash between appending and updating the head leaves.

Each write is also recorded outside the log's folder (:class:`~hub.audit.anchor.StateRecord`,
in the state database): a log behind that record is never continued, and does not verify.
Each entry names the declared actor (``IOMHUB_ACTOR``, else the OS user), the OS user, and the
signed-in user where there is one. A person's free-text reason holding personal data is
refused before anything is written (:mod:`hub.audit.reasons`).
"""

from __future__ import annotations

import datetime
import fcntl
import getpass
import json
import os
from collections.abc import Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

from hub.audit.anchor import Anchor, StateRecord
from hub.audit.chain import (
    GENESIS,
    AuditKey,
    VerifyResult,
    check_log,
    digest,
    read_head,
    write_all,
    write_head,
)
from hub.audit.codec import entry_fields, parse_entry, parse_event
from hub.audit.events import AuditEntry, AuditEvent
from hub.audit.reasons import refuse_personal_data
from hub.errors import AuditError
from hub.settings import HubSettings

MAX_REASON_CHARS = 1000
_TAIL_BLOCK = 64 * 1024


def current_actor(settings: HubSettings | None = None) -> str:
    """The operator or service account running the hub (``IOMHUB_ACTOR``, else the OS user).

    Read from ``settings``; without them, from the environment here (library callers only).
    """
    return (settings or HubSettings()).actor_name


class AuditLog:
    """Append events to, read them back from, and verify ``<workspace>/audit/audit.jsonl``."""

    def __init__(
        self,
        folder: Path,
        key: bytes,
        *,
        actor: str | None = None,
        os_user: str | None = None,
        record: StateRecord | None = None,
    ) -> None:
        self.folder = folder
        self.actor = actor
        """Who entries are recorded for when ``record`` names nobody (default: current_actor)."""
        self.os_user = os_user
        """The operating-system user each entry names (default: the process's)."""
        self.state_record = record
        """Where each write is recorded outside the log (None: nowhere, e.g. a bare log)."""
        self.path = folder / "audit.jsonl"
        self.head_path = folder / "head.json"
        self._key = AuditKey(key)

    @property
    def key_id(self) -> str:
        """A short, public fingerprint of the audit key (tells which key wrote the log)."""
        return self._key.key_id

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
        head = read_head(self.head_path)
        if head is not None and (problem := self._key.head_problem(head)):
            raise AuditError(f"the audit log cannot be continued: {problem}", hint=refuse)
        head_sequence, head_hash = (head["sequence"], head["hash"]) if head else (0, GENESIS)
        if last is None:
            if head_sequence:
                raise AuditError("the audit log cannot be continued: its entries are missing",
                                 hint=refuse)  # fmt: skip
            self._check_record(0, GENESIS, refuse)
            return 0, GENESIS
        if not self._key.authentic(last):
            raise AuditError(
                "the audit log cannot be continued: its last entry is not authentic", hint=refuse
            )
        sequence, last_hash = int(last["sequence"]), str(last["hash"])
        self._check_record(sequence, last_hash, refuse)
        if (sequence, last_hash) == (head_sequence, head_hash):
            return sequence, last_hash
        if sequence == head_sequence + 1 and last.get("previous_hash") == head_hash:
            # a crash came between appending and updating the head
            write_head(self.head_path, self._key, sequence, last_hash)
            return sequence, last_hash
        raise AuditError(
            "the audit log cannot be continued: its last entry does not match its head "
            "(entries were removed or added)",
            hint=refuse,
        )

    def _check_record(self, sequence: int, last_hash: str, refuse: str) -> None:
        """Refuse to continue a log that is behind, or not the one, the state database
        recorded."""
        recorded = self.state_record.recorded() if self.state_record else None
        if recorded is None or recorded.sequence < sequence:
            return
        if recorded.sequence > sequence:
            raise AuditError(
                f"the audit log cannot be continued: it ends at entry {sequence} but "
                f"{recorded.source} recorded entry {recorded.sequence} (the log was deleted, cut "
                "or rolled back)",
                hint=refuse,
            )
        if recorded.hash != last_hash:
            raise AuditError(
                f"the audit log cannot be continued: its entry {sequence} is not the one "
                f"{recorded.source} recorded (the log was rewritten)",
                hint=refuse,
            )

    def tail(self) -> tuple[int, str]:
        """The last entry's sequence number and hash (0 and 64 zeros for an empty log), after
        the checks a writer makes; AuditError when the log cannot be continued."""
        with self._locked():
            return self._tail()

    def record(
        self, event: AuditEvent, *, actor: str | None = None, user: str | None = None
    ) -> AuditEntry:
        """Append one entry for ``event`` and return it; ``user`` is the signed-in user, where
        there is one (the web app). An event that would not read back as itself (an attribute
        of the wrong type), or a person's reason holding personal data, is refused before
        anything is written."""
        fields = entry_fields(event)
        if event.reason_by_person:
            refuse_personal_data(fields["reason"])
        if parse_event(fields) != event:
            raise AuditError(f"a {event.action} event would not read back as written (an "
                             "attribute of the wrong type)")  # fmt: skip
        if fields["reason"] is not None and len(fields["reason"]) > MAX_REASON_CHARS:
            raise AuditError(f"an audit reason is limited to {MAX_REASON_CHARS} characters")
        try:
            with self._locked():
                sequence, previous = self._tail()
                entry: dict[str, Any] = {
                    "sequence": sequence + 1,
                    "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"),
                    "actor": actor or self.actor or current_actor(),
                    "os_user": self.os_user or getpass.getuser(),
                    **({"user": user} if user else {}),
                    **fields,
                    "previous_hash": previous,
                }
                entry["hash"] = digest(entry)
                entry["mac"] = self._key.mac(entry["hash"])
                line = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str)
                descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    write_all(descriptor, (line + "\n").encode())
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
                write_head(self.head_path, self._key, entry["sequence"], entry["hash"])
                if self.state_record is not None:
                    self.state_record.record(entry["sequence"], entry["hash"])
        except OSError as error:
            raise AuditError(
                f"cannot write the audit log {self.path}: {error.strerror or error}"
            ) from error
        return AuditEntry(entry["sequence"], datetime.datetime.fromisoformat(entry["time"]),
                          entry["actor"], event, entry["os_user"], user)  # fmt: skip

    # --- reading and verifying --------------------------------------------------------------

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry in order, as stored (unverified; use :meth:`verified_entries` when it
        matters, and :meth:`events` for what the entries record)."""
        for line in self._stored_lines():
            if line.strip():
                yield json.loads(line)

    def events(self) -> Iterator[AuditEntry]:
        """Every entry in order with its event (unverified; see :meth:`verified_events`).
        An entry whose action no event type records raises UnknownAuditAction."""
        for entry in self.entries():
            yield parse_entry(entry)

    def events_mentioning(self, values: Collection[str]) -> Iterator[AuditEntry]:
        """The entries, in order, whose stored line holds any of ``values`` (each as JSON writes
        it: within a string attribute, or as a whole one), with their events; unverified.

        Every entry naming one of the values is among them (perhaps with a few that hold it
        otherwise: callers check the event). Only those lines are parsed, so a person's
        entries are found in a log of millions without reading each one into an event."""
        needles = [json.dumps(value)[1:-1] for value in set(values) if value]
        if not needles:
            return
        for line in self._stored_lines():
            if any(needle in line for needle in needles):
                yield parse_entry(json.loads(line))

    def _stored_lines(self) -> Iterator[str]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            yield from handle

    def verify(self, anchors: Sequence[Anchor] = ()) -> VerifyResult:
        """Check every entry's chain, hash and HMAC, and the head; name the first bad entry.
        The log must hold the last entry the state database recorded, and each of ``anchors``
        (e.g. the witness's newest checkpoint)."""
        return self._check(collect=None, anchors=anchors)

    def verified_entries(self) -> tuple[VerifyResult, list[dict[str, Any]]]:
        """The verification result and the entries before the first bad one (all when ok)."""
        collected: list[dict[str, Any]] = []
        return self._check(collect=collected), collected

    def verified_events(self) -> tuple[VerifyResult, list[AuditEntry]]:
        """The verification result and the entries before the first bad one, with their events."""
        result, entries = self.verified_entries()
        return result, [parse_entry(entry) for entry in entries]

    def _check(
        self, collect: list[dict[str, Any]] | None, anchors: Sequence[Anchor] = ()
    ) -> VerifyResult:
        with ExitStack() as stack:
            # Holding the lock, a writer half-way through never looks like a cut tail; a
            # read-only copy of the log (no lock can be taken) has no writer.
            with suppress(OSError):
                stack.enter_context(self._locked())
            recorded = self.state_record.recorded() if self.state_record else None
            every = [*anchors, *([recorded] if recorded else [])]
            return check_log(self.path, self.head_path, self._key, collect, every)
        raise AssertionError("unreachable")  # pragma: no cover
