"""Every release manifest carries the audit log's checkpoint of its time, signed with the
witness key, so each recipient's copy contradicts a later rollback of the log."""

from __future__ import annotations

import json
from pathlib import Path

from sharing_support import agreement_yaml, make_persons, write_hub, write_matched

from hub.audit.anchor import Checkpoint, WitnessSigner
from hub.config import load_config
from hub.output import Reporter
from hub.run.pipeline import publish_now
from hub.workspace import Workspace
from tests.helpers import approve_agreements


def test_the_manifest_carries_the_signed_checkpoint_of_its_time(tmp_path: Path) -> None:
    hub_file = write_hub(tmp_path, {"team.yaml": agreement_yaml(fields={"surname": "keep"})})
    hub_file.write_text(hub_file.read_text() + f"audit: {{witness: {tmp_path / 'witness'}}}\n")
    approve_agreements(hub_file)
    config = load_config(hub_file)
    write_matched(config.workspace, make_persons(50, seed=3))
    (team, *_) = publish_now(config, Reporter(quiet=True), recipients=["iom_team"])
    assert team.status == "published", team.error
    manifest = json.loads((Path(str(team.path)) / "manifest.json").read_text())
    checkpoint = Checkpoint.model_validate(manifest["audit_checkpoint"])
    signer = WitnessSigner(config.settings.witness_key_bytes() or b"")
    assert checkpoint.problem(signer) is None
    entries = list(Workspace(config.workspace).open_audit(config.settings).entries())
    release = next(e for e in entries if e["action"] == "release")
    before = entries[release["sequence"] - 2]
    assert (checkpoint.sequence, checkpoint.hash) == (before["sequence"], before["hash"])
    witness = sorted((tmp_path / "witness").glob("checkpoint-*.json"))
    assert witness and json.loads(witness[-1].read_text())["sequence"] == len(entries)
