"""The command line: exit codes, messages, --json, and a full run over the example config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import EXAMPLE_CONFIG, police_row, write_police

from hub.cli import main


def test_config_check_reports_feeds(example_env: Path) -> None:
    result = CliRunner().invoke(main, ["config", "check", "--config", str(EXAMPLE_CONFIG)])
    assert result.exit_code == 0, result.output
    assert "feed police: folder" in result.output


def test_invalid_config_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "hub.yaml"
    bad.write_text("workspace: x\nfeeds: [nothing/*.yaml]\n")
    result = CliRunner().invoke(main, ["config", "check", "--config", str(bad)])
    assert result.exit_code == 2
    assert "matches no file" in result.output and "Traceback" not in result.output


def test_run_ingests_and_a_second_run_takes_nothing_twice(example_env: Path) -> None:
    write_police(example_env / "police", [police_row(), police_row("DC2", dob="31/02/1990")])
    runner = CliRunner()
    first = runner.invoke(main, ["--json", "run", "--config", str(EXAMPLE_CONFIG)])
    assert first.exit_code == 0, first.output
    totals = json.loads(first.stdout)["totals"]
    assert (totals["files_pulled"], totals["rows_ingested"], totals["rows_quarantined"]) == (
        1,
        1,
        1,
    )
    second = runner.invoke(main, ["--json", "run", "--config", str(EXAMPLE_CONFIG)])
    assert json.loads(second.stdout)["totals"]["files_pulled"] == 0
    status = runner.invoke(main, ["--json", "status", "--config", str(EXAMPLE_CONFIG)])
    police = next(f for f in json.loads(status.stdout)["feeds"] if f["feed"] == "police")
    assert police["rows"] == 1 and police["quarantined"] == 1 and police["stale"] is False
    verify = runner.invoke(main, ["audit", "verify", "--config", str(EXAMPLE_CONFIG)])
    assert verify.exit_code == 0 and "audit log intact" in verify.output


def test_failing_feed_does_not_stop_others_and_exits_4(example_env: Path) -> None:
    write_police(example_env / "police", [police_row()])
    (example_env / "health").rmdir()
    result = CliRunner().invoke(main, ["run", "--config", str(EXAMPLE_CONFIG)])
    assert result.exit_code == 4
    assert "pull health" in result.output and "1 file(s) pulled" in result.output


def test_rejected_file_is_kept_and_reported(example_env: Path) -> None:
    (example_env / "police" / "police_nominals_20261122.csv").write_bytes(b"")
    result = CliRunner().invoke(main, ["--json", "run", "--config", str(EXAMPLE_CONFIG)])
    assert result.exit_code == 4
    (extract,) = json.loads(result.stdout)["extracts"]
    assert extract["status"] == "rejected" and "is empty" in extract["error"]
    landed = list((example_env.parent / "workspace" / "landing" / "police").rglob("*.csv"))
    assert len(landed) == 1


def test_missing_audit_key_lists_where_it_looked(
    example_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IOMHUB_SECRETS_DIR")
    result = CliRunner().invoke(main, ["run", "--config", str(EXAMPLE_CONFIG)])
    assert result.exit_code == 2
    assert "no audit_key is set" in result.output and "IOMHUB_AUDIT_KEY_FILE" in result.output


def test_keys_generate_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "k"
    assert runner.invoke(main, ["keys", "generate", "--out", str(target)]).exit_code == 0
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    again = runner.invoke(main, ["keys", "generate", "--out", str(target)])
    assert again.exit_code == 2 and "never overwritten" in again.output


def test_help_imports_no_heavy_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from hub.cli import main; "
        "heavy = {'splink', 'duckdb', 'pyarrow', 'paramiko', 'pyspark'}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
