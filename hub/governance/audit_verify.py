"""Verify the workspace's audit log: every entry's chain, hash and HMAC, and the head."""

from __future__ import annotations

from hub.audit import VerifyResult
from hub.config import HubConfig
from hub.workspace import Workspace


def verify_audit_log(config: HubConfig) -> VerifyResult:
    """Check the whole log; the result names the first bad entry, or the last good hash."""
    return Workspace(config.workspace).open_audit(config.settings).verify()
