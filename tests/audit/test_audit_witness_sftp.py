"""The audit witness on an SFTP server (a real OpenSSH sshd): checkpoints uploaded through the
connector, read back, and a rolled-back log caught against them."""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

from audit_helpers import fill_log

from hub.audit.witness import (
    AuditConfig,
    Witness,
    anchor_to_witness,
    witness_anchor,
    witness_signer,
)
from hub.settings import HubSettings
from hub.workspace import Workspace
from tests.sftp_server import OpenSshServer


def test_checkpoints_go_to_an_sftp_witness_and_catch_a_rollback(
    server: OpenSshServer, tmp_path: Path
) -> None:
    settings = server.source_settings("recipient")
    del settings["pattern"], settings["completeness"]
    destination = AuditConfig.model_validate({"witness": settings}).witness
    assert destination is not None
    hub_settings = HubSettings(audit_key=secrets.token_hex(32))  # type: ignore[arg-type]
    audit = Workspace(tmp_path / "workspace").open_audit(hub_settings)
    fill_log(audit, 3)
    saved = tmp_path / "saved"
    shutil.copytree(audit.folder, saved)
    assert anchor_to_witness(audit, destination, hub_settings) == "checkpoint-0000000003.json"
    fill_log(audit, 2)
    assert anchor_to_witness(audit, destination, hub_settings) == "checkpoint-0000000005.json"
    held = server.accounts["recipient"].folder / "checkpoint-0000000005.json"
    assert json.loads(held.read_text())["sequence"] == 5

    for name in ("audit.jsonl", "head.json"):
        shutil.copy(saved / name, audit.folder / name)
    (tmp_path / "workspace" / "state.db").unlink()
    assert audit.verify().ok  # the workspace alone agrees with itself
    signer = witness_signer(hub_settings, required=True)
    assert signer is not None
    anchor = witness_anchor(Witness(destination), signer)
    result = audit.verify([anchor] if anchor else [])
    assert not result.ok
    assert "the witness's checkpoint-0000000005.json recorded entry 5" in str(result.problem)
