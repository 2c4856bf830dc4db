"""The schedule service says what it is doing: timestamped, levelled log lines (or JSON lines),
and a long step says its phase and how long it has run."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import yaml
from click.testing import CliRunner

from hub.cli import main
from hub.output import Reporter
from tests.sftp_support import csv_bytes, feed_config

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (INFO|WARNING|ERROR) iomhub: \S")


def hub_file(tmp_path: Path) -> Path:
    """Two feeds: police with a file waiting, health whose folder is missing."""
    (tmp_path / "police").mkdir()
    (tmp_path / "police" / "police_1.csv").write_bytes(csv_bytes(3))
    (tmp_path / "feeds").mkdir()
    for name in ("police", "health"):
        source = {"kind": "folder", "path": str(tmp_path / name), "pattern": "*.csv",
                  "completeness": {"stable_seconds": 0, "min_age_seconds": 0},
                  "retry": {"attempts": 1}}  # fmt: skip
        (tmp_path / "feeds" / f"{name}.yaml").write_text(
            yaml.safe_dump(feed_config(name, source).model_dump(mode="json"))
        )
    (tmp_path / "hub.yaml").write_text(
        yaml.safe_dump({"workspace": "ws", "feeds": ["feeds/*.yaml"]})
    )
    return tmp_path / "hub.yaml"


def test_schedule_writes_timestamped_levelled_log_lines(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schedule", "--once", "--config", str(hub_file(tmp_path))])

    assert result.exit_code == 4, result.output
    lines = result.stderr.splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    assert any(" INFO iomhub: pull police: 1 new file(s)" in line for line in lines)
    assert any(" ERROR iomhub: pull health:" in line for line in lines)


def test_schedule_writes_json_lines_when_asked(tmp_path: Path) -> None:
    args = ["schedule", "--once", "--log-format", "json", "--config", str(hub_file(tmp_path))]
    result = CliRunner().invoke(main, args)

    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert records and all(set(r) >= {"time", "level", "logger", "message"} for r in records)
    assert {r["level"] for r in records} >= {"INFO", "ERROR"}
    assert all(r["logger"] == "iomhub" and r["time"].endswith("Z") for r in records)


def test_a_long_step_says_its_phase_and_how_long_it_has_run() -> None:
    stream = io.StringIO()
    reporter = Reporter(stream=stream)

    with reporter.heartbeat("matching", every_seconds=0.05) as progress:
        progress("scoring candidate pairs")
        time.sleep(0.3)

    said = stream.getvalue().splitlines()
    assert said[0].strip() == "scoring candidate pairs"
    assert any(re.search(r"matching: \d+ s so far; scoring candidate pairs", s) for s in said)
