"""The demo writes the DPO report and prints where."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main


def test_the_demo_writes_the_dpo_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IOMHUB_SECRETS_DIR", "IOMHUB_DROP_ROOT", "IOMHUB_WORKSPACE",
                 "IOMHUB_OUTBOX_ROOT", "IOMHUB_MIN_AGE_SECONDS"):  # fmt: skip
        monkeypatch.setenv(name, "the caller's, left as they were")
    before = dict(os.environ)
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "demo"), "--people", "60"])
    assert result.exit_code in (0, 4), result.output
    assert dict(os.environ) == before  # the demo hands its keys and outbox down, not via os.environ
    keys = tmp_path / "demo" / "keys"
    assert f"IOMHUB_SECRETS_DIR={keys}" in result.output
    report = tmp_path / "demo" / "dpo-report.html"
    assert f"DPO report: {report}" in result.output
    html = report.read_text(encoding="utf-8")
    assert '<section id="quarantine">' in html and "The audit log verified" in html
    log = (tmp_path / "demo" / "workspace" / "audit" / "audit.jsonl").read_text()
    actions = {json.loads(line)["action"] for line in log.splitlines()}
    assert {"pull", "ingest", "config_changed", "match_run"} <= actions
    hub_file = tmp_path / "demo" / "config" / "hub.yaml"  # the demo's own config (SFTP feeds)
    verify = CliRunner(env={"IOMHUB_SECRETS_DIR": str(keys)}).invoke(
        main, ["audit", "verify", "--config", str(hub_file)]
    )
    assert verify.exit_code == 0, verify.output
    witness = tmp_path / "demo" / "witness"  # beside the workspace, as the DPO's share would be
    assert f"IOMHUB_WITNESS_ROOT={witness}" in result.output
    assert sorted(witness.glob("checkpoint-*.json"))
    witnessed = CliRunner(
        env={"IOMHUB_SECRETS_DIR": str(keys), "IOMHUB_WITNESS_ROOT": str(witness)}
    ).invoke(main, ["audit", "verify", "--witness", "--config", str(hub_file)])
    assert witnessed.exit_code == 0, witnessed.output
    assert "agrees with the witness's checkpoint-" in witnessed.output
