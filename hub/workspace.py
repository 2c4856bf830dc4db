"""The workspace: one folder holding the hub's state, landed files and every output.

Layout::

    state.db                                run state (files seen, extracts, runs, feed status)
    cohort.db                               IOM cohort membership and the panel's decisions
    reports/cohort-performance/             the IOM scheme's performance report and CSV
    run.lock                                held while a run uses the workspace
    landing/<feed>/<YYYY-MM-DD>/<file>      raw partner files, byte for byte, read-only
    staging/<feed>/<extract_id>.parquet     canonical person records
    quarantine/<feed>/<extract_id>.parquet  rejected rows with row number, column and reason
    quarantine/<feed>/*.rejected            whole files rejected on checksum
    matched/                                matching's outputs (:class:`MatchedFolder`)
    published/<recipient>/<release_id>/     releases, in a recipient's default delivery folder
    releases/<recipient>/<release_id>/      what the hub keeps of each release (never published):
                                            pseudonyms.sealed (encrypted), decisions.json
    audit/audit.jsonl                       the append-only, hash-chained audit log
    agreements/<id>/<version>/              each agreement version as first used:
                                            <sha256>.yaml (its text), approval.json
    tmp/                                    work in progress; never read as output
    tmp/duckdb*/                            DuckDB's spill folders

Every path of this layout is asked of :class:`Workspace`; no other module joins these names.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from connectors.pull import REJECTED_SUFFIX
from hub.audit.anchor import StateRecord
from hub.audit.log import AuditLog
from hub.errors import WorkspaceError, WorkspaceLocked
from hub.settings import HubSettings
from hub.state import StateStore
from matching.outputs import MatchOutputs

PLAIN_PSEUDONYM_MAP = "pseudonyms.parquet"
"""Where releases published before maps were sealed kept theirs in the clear."""
PSEUDONYM_MAP = "pseudonyms.sealed"
"""A release's pseudonym map (field, pseudonym, person_id), kept sealed under ``releases/``
(:mod:`hub.run.pseudonym_maps`)."""


@dataclass(frozen=True)
class MatchedFolder(MatchOutputs):
    """``matched/``: matching's outputs, the person-id registry and the models trained here.

    Beside the outputs of :class:`~matching.outputs.MatchOutputs`::

        registry.db       person ids, their history (merges, splits), review decisions
        review.db         decisions waiting for a second reviewer, "not sure" marks, and
                          each reviewer's settings
        assignments/      every record's person id, one snapshot per run (see the registry)
        models/           models trained here; PINNED names the one runs use
    """

    workspace: Workspace

    @property
    def registry(self) -> Path:
        return self.root / "registry.db"

    @property
    def review_state(self) -> Path:
        return self.root / "review.db"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def pin(self) -> Path:
        return self.models / "PINNED"


@dataclass(frozen=True)
class ReleaseRecord:
    """``releases/<recipient>/<release_id>/``: what the hub keeps of one release."""

    root: Path

    @property
    def pseudonyms(self) -> Path:
        """The pseudonym map (field, pseudonym, person_id), sealed under the master key."""
        return self.root / PSEUDONYM_MAP

    @property
    def decisions(self) -> Path:
        """The policy's decisions and what was withheld, with the key version used."""
        return self.root / "decisions.json"

    @property
    def provenance(self) -> Path:
        """Where each released value came from (person_id, field, feed, extract)."""
        return self.root / "provenance.parquet"


@dataclass(frozen=True)
class AgreementVersionFolder:
    """``agreements/<id>/<version>/``: the text of one agreement version as first used, and
    who approved it."""

    root: Path

    def text(self, sha256: str) -> Path:
        """The kept copy of the version's text whose SHA-256 is ``sha256``."""
        return self.root / f"{sha256}.yaml"

    def texts(self) -> list[Path]:
        """Every kept text of this version (one, unless the store was tampered with)."""
        return sorted(self.root.glob("*.yaml")) if self.root.is_dir() else []

    @property
    def approval(self) -> Path:
        """Who approved the version's text, and when."""
        return self.root / "approval.json"


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

    @property
    def accounts_path(self) -> Path:
        """The web app's accounts and sessions (Argon2 hashes, never passwords)."""
        return self.root / "accounts.db"

    @property
    def cohort_path(self) -> Path:
        return self.root / "cohort.db"

    @property
    def cohort_performance(self) -> Path:
        """Where ``iomhub cohort performance`` writes unless told otherwise."""
        return self.root / "reports" / "cohort-performance"

    @property
    def lock_path(self) -> Path:
        return self.root / "run.lock"

    @property
    def matched(self) -> MatchedFolder:
        """Matching's outputs, registry and models."""
        return MatchedFolder(self.root / "matched", self)

    @property
    def published(self) -> Path:
        """The parent of recipients' default delivery folders."""
        return self.root / "published"

    @property
    def releases(self) -> Path:
        """Where the hub keeps what it must know of each release (never published)."""
        return self.root / "releases"

    @property
    def agreement_versions(self) -> Path:
        """Where every agreement version's text is kept as first used."""
        return self.root / "agreements"

    def agreement_version(self, agreement_id: str, version: str) -> AgreementVersionFolder:
        """The kept text and approval of one agreement version."""
        return AgreementVersionFolder(self.agreement_versions / agreement_id / version)

    def agreement_version_folders(self) -> list[AgreementVersionFolder]:
        """Every kept agreement version, by id then version folder name."""
        return [AgreementVersionFolder(p) for p in sorted(self.agreement_versions.glob("*/*"))]

    def default_delivery_folder(self, recipient: str) -> Path:
        """Where a recipient's releases are placed unless its config names a folder."""
        return self.published / recipient

    def release_records(self, recipient: str) -> Path:
        """The folder holding a recipient's :class:`ReleaseRecord` folders."""
        return self.releases / recipient

    def release_record(self, recipient: str, release_id: str) -> ReleaseRecord:
        """What the hub keeps of one release."""
        return ReleaseRecord(self.release_records(recipient) / release_id)

    def pseudonym_maps(self, recipient: str) -> list[Path]:
        """The pseudonym maps of a recipient's releases, oldest first."""
        folder = self.release_records(recipient)
        return sorted(folder.glob(f"*/{PSEUDONYM_MAP}")) if folder.is_dir() else []

    def plain_pseudonym_maps(self) -> list[Path]:
        """Pseudonym maps kept in the clear by releases published before maps were sealed."""
        return sorted(self.releases.glob(f"*/*/{PLAIN_PSEUDONYM_MAP}"))

    def all_pseudonym_maps(self) -> list[Path]:
        """The pseudonym maps of every recipient's releases."""
        return sorted(self.releases.glob(f"*/*/{PSEUDONYM_MAP}"))

    def rejected_files(self) -> list[Path]:
        """Whole files rejected on checksum, by feed."""
        if not self.quarantine.is_dir():
            return []
        return sorted(self.quarantine.glob(f"*/*{REJECTED_SUFFIX}"))

    def spill_folder(self, purpose: str | None = None) -> Path:
        """A DuckDB spill folder under ``tmp/`` (``duckdb`` or ``duckdb-<purpose>``)."""
        return self.tmp / ("duckdb" if purpose is None else f"duckdb-{purpose}")

    def ingest_work_file(self, extract_id: str, kind: Literal["staging", "quarantine"]) -> Path:
        """Where an extract's ``staging`` or ``quarantine`` rows are written before moving."""
        return self.tmp / f"{extract_id}.{kind}.parquet"

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

    def open_audit(self, settings: HubSettings) -> AuditLog:
        """The workspace's audit log, keyed by the audit key (kept outside the workspace); each
        write is recorded in the state database too."""
        return AuditLog(self.audit, settings.audit_key_bytes(), actor=settings.actor_name,
                        record=StateRecord(self.state_path))  # fmt: skip

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the workspace lock so runs never overlap; raise WorkspaceLocked if held."""
        self.create()
        descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
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
