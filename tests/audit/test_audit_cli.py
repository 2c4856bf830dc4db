"""``iomhub audit verify``: exit 0 on an intact log, non-zero naming the first bad entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from audit_helpers import REPO, fill_log
from click.testing import CliRunner

from hub.audit.log import AuditLog
from hub.cli import main


def _log(hub_config_file: Path, key: bytes) -> AuditLog:
    log = AuditLog(hub_config_file.parent.parent / "workspace" / "audit", key)
    fill_log(log, 4)
    return log


def _delete_line(log: AuditLog, index: int) -> None:
    lines = log.path.read_text().splitlines(keepends=True)
    del lines[index]
    log.path.write_text("".join(lines))


def test_verify_passes_then_names_a_deleted_entry(hub_config_file: Path, audit_key: bytes) -> None:
    log = _log(hub_config_file, audit_key)
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "verify", "--config", str(hub_config_file)])
    assert result.exit_code == 0, result.output
    assert "audit log intact: 4 entries verified" in result.output
    _delete_line(log, 1)
    result = runner.invoke(main, ["audit", "verify", "--config", str(hub_config_file)])
    assert result.exit_code == 1
    assert "FAILED verification at entry 2" in result.output
    result = runner.invoke(main, ["--json", "audit", "verify", "--config", str(hub_config_file)])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["first_bad_sequence"] == 2


def test_verify_without_an_audit_key_says_where_it_looked(
    hub_config_file: Path, monkeypatch
) -> None:
    for name in ("IOMHUB_AUDIT_KEY", "IOMHUB_AUDIT_KEY_FILE", "IOMHUB_SECRETS_DIR"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["audit", "verify", "--config", str(hub_config_file)])
    assert result.exit_code == 2
    assert "IOMHUB_AUDIT_KEY" in result.output


def test_verify_as_a_real_process(hub_config_file: Path, audit_key: bytes) -> None:
    log = _log(hub_config_file, audit_key)
    lines = log.path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"bytes":1002', '"bytes":9')
    log.path.write_text("".join(lines))
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    completed = subprocess.run(
        [sys.executable, "-m", "hub.cli", "audit", "verify", "--config", str(hub_config_file)],
        capture_output=True, text=True, env=environment, cwd=hub_config_file.parent, timeout=120,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr
    assert "FAILED verification at entry 3" in completed.stderr
    assert "altered" in completed.stderr


def test_verify_as_a_function_returns_the_result(hub_config_file: Path, audit_key: bytes) -> None:
    from hub.config import load_config
    from hub.governance.audit_verify import verify_audit_log

    log = _log(hub_config_file, audit_key)
    config = load_config(hub_config_file)
    intact = verify_audit_log(config)
    assert intact.ok and intact.entries == 4 and intact.last_hash
    _delete_line(log, 1)
    broken = verify_audit_log(config)
    assert not broken.ok and broken.first_bad_sequence == 2 and broken.problem
