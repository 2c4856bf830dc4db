"""The audit log's witness: a folder or SFTP destination outside the workspace (e.g. the data
protection officer's) that receives a signed checkpoint of the log at the end of each run.

Configured in the hub file::

    audit:
      witness:
        kind: folder                  # or sftp, with a connector's settings
        path: /srv/dpo/iomhub-witness

A folder may be given alone (``witness: /srv/dpo/iomhub-witness``); an empty one means no
witness, so ``witness: ${IOMHUB_WITNESS_ROOT:-}`` turns it on where the variable is set.

Checkpoints are append-only: one file per checkpoint, ``checkpoint-<sequence>.json`` (the
sequence zero-padded to ten digits), never overwritten. Before writing one, the run checks the
log against the newest checkpoint the witness holds, so a log rolled back (even with its head
and the state database) is never anchored again as if nothing had happened. The file uploads
through the connectors (:meth:`connectors.base.Connector.upload`: a temporary name, then a
rename), as releases are pushed.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.base import Connector
from connectors.config import FolderSource, SourceConfig
from connectors.registry import open_connector
from hub.audit.anchor import Anchor, Checkpoint, WitnessSigner, make_checkpoint
from hub.audit.chain import GENESIS
from hub.audit.log import AuditLog
from hub.errors import AuditError
from hub.settings import HubSettings
from schemas.errors import ConfigError

CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)\.json$")
_MAX_CHECKPOINT_BYTES = 64 * 1024


class AuditConfig(BaseModel):
    """The hub file's ``audit:`` settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    witness: SourceConfig | None = Field(
        None,
        discriminator="kind",
        description="Where each run writes a signed checkpoint of the audit log (a connector's "
        "settings: folder or sftp), outside the workspace.",
    )

    @field_validator("witness", mode="before")
    @classmethod
    def _checkpoint_pattern(cls, value: Any) -> Any:
        if isinstance(value, str | Path):  # a folder alone; empty: no witness
            value = {"kind": "folder", "path": value} if str(value).strip() else None
        if isinstance(value, dict) and "pattern" not in value:
            return {**value, "pattern": "checkpoint-*.json"}
        return value

    def resolved(self, base: Path, workspace: Path, *, where: Path) -> AuditConfig:
        """These settings with a relative witness folder taken from ``base`` (the hub file's
        folder); ConfigError when the witness folder is inside ``workspace``."""
        if not isinstance(self.witness, FolderSource):
            return self
        witness = self.witness.with_base_folder(base)
        if witness.path.resolve().is_relative_to(workspace.resolve()):
            raise ConfigError(
                f"{where}: audit: witness: the folder {witness.path} is inside the workspace; "
                "a witness must be out of reach of whoever runs the hub (e.g. the DPO's share)",
                file=str(where),
            )
        return self.model_copy(update={"witness": witness})


def checkpoint_name(sequence: int) -> str:
    """The witness's file name for the checkpoint at entry ``sequence``."""
    return f"checkpoint-{sequence:010d}.json"


def witness_signer(settings: HubSettings, *, required: bool) -> WitnessSigner | None:
    """A signer with the witness key, or None when none is set and ``required`` is false."""
    key = settings.witness_key_bytes()
    if key is None and required:
        settings.require_secret("witness_key", "it signs the audit log's checkpoints")
    return None if key is None else WitnessSigner(key)


def checkpoint_now(audit: AuditLog, settings: HubSettings) -> Checkpoint:
    """A checkpoint of the log as it stands (signed when a witness key is set), e.g. for a
    release manifest."""
    sequence, last_hash = audit.tail()
    return make_checkpoint(sequence, last_hash, audit.key_id,
                           witness_signer(settings, required=False))  # fmt: skip


class Witness:
    """The checkpoints held at one witness destination."""

    def __init__(
        self, destination: SourceConfig, environment: Mapping[str, str] | None = None
    ) -> None:
        self.destination = destination
        self.environment = environment

    def _open(self) -> Connector:
        return open_connector(self.destination, "audit witness", self.environment)

    def create(self) -> None:
        """Create a witness folder on first use (an SFTP folder is created by its upload)."""
        if isinstance(self.destination, FolderSource):
            self.destination.path.mkdir(parents=True, exist_ok=True)

    @property
    def location(self) -> str:
        """Where the witness is, for messages (no secret)."""
        return self.destination.describe()

    def newest(self) -> tuple[str, Checkpoint] | None:
        """The newest checkpoint the witness holds, with its file name (None: none yet);
        AuditError when it cannot be read as a checkpoint."""
        with self._open() as connector:
            held = {int(match.group(1)): item.name for item in connector.list_files()
                    if (match := CHECKPOINT_NAME.match(item.name))}  # fmt: skip
            if not held:
                return None
            name = held[max(held)]
            return name, self._read(connector, name)

    def _read(self, connector: Connector, name: str) -> Checkpoint:
        try:
            return Checkpoint.model_validate_json(connector.read_small(name, _MAX_CHECKPOINT_BYTES))
        except pydantic.ValidationError as error:
            raise AuditError(
                f"the witness's {name} ({self.location}) is not a checkpoint (edited by hand?)"
            ) from error

    def write(self, checkpoint: Checkpoint) -> str:
        """Add ``checkpoint`` (never overwriting one); return its file name. AuditError when
        the witness holds a different checkpoint for the same entry."""
        name = checkpoint_name(checkpoint.sequence)
        with self._open() as connector:
            if connector.stat(name) is not None:
                held = self._read(connector, name)
                if held.hash != checkpoint.hash:
                    raise AuditError(
                        f"the witness ({self.location}) holds a different checkpoint for entry "
                        f"{checkpoint.sequence}: the audit log was rewritten",
                        hint="run `iomhub audit verify --witness` and ask the data protection "
                        "officer",
                    )
                return name
            with tempfile.TemporaryDirectory(prefix="iomhub-checkpoint-") as folder:
                local = Path(folder) / name
                local.write_text(checkpoint.model_dump_json(indent=2) + "\n", encoding="utf-8")
                connector.upload(local, name)
        return name


def witness_anchor(witness: Witness, signer: WitnessSigner) -> Anchor | None:
    """The newest checkpoint the witness holds, as an anchor of the log (None: none yet);
    AuditError when it is not signed by ``signer``'s key."""
    newest = witness.newest()
    if newest is None:
        return None
    name, checkpoint = newest
    problem = checkpoint.problem(signer)
    if problem:
        raise AuditError(f"the witness's {name} ({witness.location}) cannot be trusted: {problem}")
    return checkpoint.anchor(f"the witness's {name}")


def anchor_to_witness(
    audit: AuditLog, destination: SourceConfig, settings: HubSettings,
    environment: Mapping[str, str] | None = None,
) -> str:  # fmt: skip
    """Check the log against the witness's newest checkpoint, then write a signed checkpoint
    of it there; return the file name. AuditError when the log does not verify against it."""
    signer = witness_signer(settings, required=True)
    assert signer is not None
    witness = Witness(destination, environment)
    witness.create()
    anchor = witness_anchor(witness, signer)
    if anchor is not None and audit.tail() == (anchor.sequence, anchor.hash):
        return checkpoint_name(anchor.sequence)  # nothing written since the newest checkpoint
    result = audit.verify(anchors=[anchor] if anchor else [])
    if not result.ok:
        raise AuditError(
            f"the audit log is not anchored in the witness: entry {result.first_bad_sequence}: "
            f"{result.problem}",
            hint="run `iomhub audit verify --witness` and ask the data protection officer",
        )
    checkpoint = make_checkpoint(result.entries, result.last_hash or GENESIS, audit.key_id,
                                 signer)  # fmt: skip
    return witness.write(checkpoint)
