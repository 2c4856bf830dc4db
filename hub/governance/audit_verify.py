"""Verify the workspace's audit log: every entry's chain, hash and HMAC, the head, the state
database's record of the last entry and, on request, the witness's newest checkpoint."""

from __future__ import annotations

import dataclasses

from hub.audit.log import VerifyResult
from hub.audit.witness import Witness, witness_anchor, witness_signer
from hub.config import HubConfig
from hub.workspace import Workspace
from schemas.errors import ConfigError


def verify_audit_log(config: HubConfig, *, witness: bool = False) -> VerifyResult:
    """Check the whole log; the result names the first bad entry, or the last good hash.

    With ``witness``, the log must also hold the newest checkpoint the configured witness holds
    (signed with the witness key); AuditError when that checkpoint cannot be trusted.
    """
    audit = Workspace(config.workspace).open_audit(config.settings)
    if not witness:
        return audit.verify()
    if config.audit.witness is None:
        raise ConfigError(
            "no audit witness is configured, so there is no checkpoint to check against",
            hint="add `audit: {witness: {kind: folder, path: ...}}` to the hub file",
        )
    destination = Witness(config.audit.witness, config.environment)
    signer = witness_signer(config.settings, required=True)
    assert signer is not None
    anchor = witness_anchor(destination, signer)
    result = audit.verify([anchor] if anchor else [])
    if anchor is None and result.ok:
        note = f"the witness ({destination.location}): no checkpoint yet"
        return dataclasses.replace(result, anchors=(*result.anchors, note))
    return result
