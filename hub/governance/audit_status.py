"""The audit log's standing for the DPO's console: verify it now (chain, hashes, HMACs, the
state database's record and, when a witness is configured, the witness's newest checkpoint),
and say where the last checkpoint is held."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from hub.audit.anchor import StateRecord
from hub.audit.chain import VerifyResult
from hub.audit.witness import Witness
from hub.config import HubConfig
from hub.governance.audit_verify import verify_audit_log
from hub.workspace import Workspace
from schemas.errors import HubError


@dataclass(frozen=True)
class CheckpointHeld:
    """The newest checkpoint a witness holds."""

    name: str
    sequence: int
    time: str
    signed: bool
    key_id: str | None


@dataclass(frozen=True)
class AuditStanding:
    """Where the log's anchors are held, and what they record."""

    entries: int
    witness: str | None
    """Where the witness is (None: no witness configured)."""
    checkpoint: CheckpointHeld | None
    state_sequence: int | None
    """The last entry the state database recorded."""
    problem: str | None = None
    """Why the witness could not be read, when it could not."""


@dataclass(frozen=True)
class VerifyOutcome:
    """A verification run from the console: when, whether with the witness, and the result."""

    at: datetime.datetime
    with_witness: bool
    result: VerifyResult | None
    problem: str | None = None
    """The error that stopped verification (e.g. a checkpoint that cannot be trusted)."""

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok


def audit_standing(config: HubConfig) -> AuditStanding:
    """The log's length, the state database's record and the witness's newest checkpoint."""
    workspace = Workspace(config.workspace)
    audit = workspace.open_audit(config.settings)
    sequence, _ = audit.tail()
    recorded = StateRecord(workspace.state_path).recorded()
    witness, checkpoint, problem = None, None, None
    if config.audit.witness is not None:
        held = Witness(config.audit.witness, config.environment)
        witness = held.location
        try:
            newest = held.newest()
        except (HubError, OSError) as error:
            problem = getattr(error, "message", None) or str(error)
            newest = None
        if newest is not None:
            name, point = newest
            checkpoint = CheckpointHeld(
                name, point.sequence, point.time, point.signature is not None, point.key_id
            )
    return AuditStanding(
        sequence, witness, checkpoint, recorded.sequence if recorded else None, problem
    )


def verify_now(config: HubConfig) -> VerifyOutcome:
    """Verify the whole log, against the witness when one is configured."""
    with_witness = config.audit.witness is not None
    at = datetime.datetime.now(datetime.UTC)
    try:
        result = verify_audit_log(config, witness=with_witness)
    except HubError as error:
        return VerifyOutcome(at, with_witness, None, error.message)
    return VerifyOutcome(at, with_witness, result)
