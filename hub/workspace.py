"""The workspace: one folder holding the hub's state, landed files and every output.

Layout::

    state.db                                run state (files seen, extracts, runs, feed status)
    landing/<feed>/<YYYY-MM-DD>/<file>      raw partner files, byte for byte, read-only
    staging/<feed>/<extract_id>.parquet     canonical person records
    quarantine/<feed>/<extract_id>.parquet  rejected rows with row number, column and reason
    quarantine/<feed>/*.rejected            whole files rejected on checksum
    audit/audit.jsonl                       the append-only, hash-chained audit log
    tmp/                                    work in progress; never read as output
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hub.audit import AuditLog
from hub.errors import WorkspaceError, WorkspaceLocked
from hub.secrets import require_secret, secret_bytes
from hub.state import StateStore

PRIVATE_FOLDER = 0o700
"""The mode of the workspace's folders: they hold personal data."""


@dataclass(frozen=True)
class Workspace:
    """Paths inside one workspace folder."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def audit(self) -> Path:
        return self.root / "audit"

    @property
    def state_path(self) -> Path:
        return self.root / "state.db"

    def staging_file(self, feed: str, extract_id: str) -> Path:
        """Where an extract's canonical rows are kept."""
        return self.staging / feed / f"{extract_id}.parquet"

    def quarantine_file(self, feed: str, extract_id: str) -> Path:
        """Where an extract's rejected rows are kept."""
        return self.quarantine / feed / f"{extract_id}.parquet"

    def create(self) -> None:
        """Create the folders (the owner's only); fail clearly when the location is not
        writable."""
        try:
            for folder in (self.root, self.landing, self.staging, self.quarantine, self.tmp,
                           self.audit):  # fmt: skip
                folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        except OSError as error:
            raise WorkspaceError(
                f"cannot create the workspace at {self.root}: {error.strerror}",
                hint="set 'workspace:' in the hub config to a writable folder",
            ) from error

    def open_state(self) -> StateStore:
        """Open (creating if needed) the state database."""
        self.create()
        return StateStore(self.state_path)

    def open_audit(self) -> AuditLog:
        """The workspace's audit log, keyed by the audit key (kept outside the workspace)."""
        key = require_secret("audit_key", "it authenticates the audit log")
        return AuditLog(self.audit, secret_bytes(key))

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the workspace lock so runs never overlap; raise WorkspaceLocked if held."""
        self.create()
        descriptor = os.open(self.root / "run.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise WorkspaceLocked(
                    f"another hub run is using the workspace {self.root}",
                    hint="wait for it to finish; runs never overlap",
                ) from error
            os.ftruncate(descriptor, 0)
            os.write(descriptor, str(os.getpid()).encode())
            yield
        finally:
            os.close(descriptor)
