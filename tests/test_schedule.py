"""Scheduled pulls and feed status: what is due, staleness, and the long-lived service."""

from __future__ import annotations

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from hub.cli import main
from hub.config import HubConfig, load_config
from hub.output import Reporter
from hub.run.cron import cadence, is_due, next_run
from hub.run.schedule import Scheduler
from hub.run.status import feed_status_rows, render_table
from hub.settings import HubSettings
from hub.state import StateStore
from hub.workspace import Workspace
from tests.sftp_support import MINIMAL_FORMAT, csv_bytes, feed_config

REPO = Path(__file__).resolve().parent.parent
LOCAL = datetime.datetime.now().astimezone().tzinfo


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=LOCAL)


def test_a_feed_is_due_once_a_scheduled_time_has_passed_since_its_last_attempt():
    last = at("2025-03-03T01:30:10").isoformat()
    assert not is_due("30 1 * * *", last, at("2025-03-04T01:29:00"))
    assert is_due("30 1 * * *", last, at("2025-03-04T01:30:00"))
    assert is_due("30 1 * * *", None, at("2025-03-04T00:00:00"))  # never tried: at once
    assert next_run("30 1 * * *", at("2025-03-03T01:30:10")) == at("2025-03-04T01:30:00")


@pytest.mark.parametrize(
    ("schedule", "now", "hours"),
    [
        ("30 1 * * *", "2025-03-04T12:00", 24),
        ("0 * * * *", "2025-03-04T12:30", 1),
        ("0 2 * * 1-5", "2025-03-05T12:00", 24),
        ("0 2 * * 1-5", "2025-03-03T12:00", 72),
    ],
)
def test_the_expected_cadence_comes_from_the_schedule(schedule, now, hours):
    assert cadence(schedule, at(now)) == datetime.timedelta(hours=hours)


def folder_config(tmp_path: Path, **feed: Any) -> HubConfig:
    drop = tmp_path / "drop"
    drop.mkdir(exist_ok=True)
    source = {
        "kind": "folder",
        "path": str(drop),
        "pattern": "*.csv",
        "completeness": {"stable_seconds": 0, "min_age_seconds": 0},
    }
    feeds = [feed_config("police", source, **feed)]
    return HubConfig(workspace=tmp_path / "ws", feeds=feeds, settings=HubSettings())


def test_status_says_when_a_feed_is_stale_and_what_failed_last(tmp_path):
    config = folder_config(tmp_path, schedule="30 1 * * *")
    assert feed_status_rows(config)[0].stale  # never pulled
    state = StateStore(tmp_path / "ws" / "state.db")
    state.feed_succeeded("police")
    state.feed_failed("police", "feed 'police': SFTP server x:22 refused the connection")
    state.close()
    success = datetime.datetime.fromisoformat(feed_status_rows(config)[0].last_success)

    fresh = feed_status_rows(config, now=success + datetime.timedelta(hours=35))[0]
    stale = feed_status_rows(config, now=success + datetime.timedelta(hours=37))[0]

    assert not fresh.stale and stale.stale and fresh.stale_after_hours == 36
    assert fresh.failing and "refused the connection" in fresh.last_error
    assert fresh.source == f"folder {tmp_path / 'drop'}"
    table = render_table([fresh, stale])
    assert "refused the connection" in table and "next pull" in table


def test_stale_after_hours_overrides_the_cadence(tmp_path):
    config = folder_config(tmp_path, schedule="30 1 * * *", stale_after_hours=2)
    assert feed_status_rows(config)[0].stale_after_hours == 2


def test_status_json_on_the_command_line(tmp_path):
    config = folder_config(tmp_path)
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "police.yaml").write_text(
        yaml.safe_dump(config.feeds[0].model_dump(mode="json"))
    )
    (tmp_path / "hub.yaml").write_text(
        yaml.safe_dump({"workspace": "ws", "feeds": ["feeds/*.yaml"]})
    )
    result = CliRunner().invoke(main, ["--json", "status", "--config", str(tmp_path / "hub.yaml")])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)["feeds"]
    assert row["feed"] == "police" and row["stale"] and row["last_success"] is None


def test_a_tick_pulls_what_is_due_then_ingests_and_the_next_tick_has_nothing_to_do(tmp_path):
    config = folder_config(tmp_path, schedule="0 2 * * *")
    (tmp_path / "drop" / "police_1.csv").write_bytes(csv_bytes(3))
    scheduler = Scheduler(config, Reporter(quiet=True))

    first = scheduler.tick()
    second = scheduler.tick()

    assert first is not None and first.totals()["files_pulled"] == 1
    assert first.totals()["extracts_ingested"] == 1
    assert second is None and scheduler.seconds_to_next() > 0


def write_config(tmp_path: Path, source: dict[str, Any], schedule: str = "* * * * *") -> Path:
    (tmp_path / "feeds").mkdir(exist_ok=True)
    (tmp_path / "feeds" / "police.yaml").write_text(
        yaml.safe_dump(
            {"name": "police", "schedule": schedule, "source": source, "format": MINIMAL_FORMAT}
        )
    )
    (tmp_path / "hub.yaml").write_text(
        yaml.safe_dump({"workspace": str(tmp_path / "ws"), "feeds": ["feeds/*.yaml"]})
    )
    return tmp_path / "hub.yaml"


def start_service(config: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "schedule", "--config", str(config), *extra],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_the_service_stops_cleanly_on_sigterm_while_waiting(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "police_1.csv").write_bytes(csv_bytes(2))
    source = {
        "kind": "folder",
        "path": str(drop),
        "pattern": "*.csv",
        "completeness": {"stable_seconds": 0, "min_age_seconds": 0},
    }
    config = write_config(tmp_path, source)
    service = start_service(config, "--max-wait", "60")
    try:
        wait_for(lambda: _runs(tmp_path) and _runs(tmp_path)[0][1] != "running")
        time.sleep(0.2)
        service.send_signal(signal.SIGTERM)
        _, stderr = service.communicate(timeout=15)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, stderr
    assert "iomhub schedule: stopped" in stderr and "1 file(s) pulled" in stderr
    assert [status for _, status in _runs(tmp_path)] == ["ok"]


def _runs(tmp_path: Path) -> list[tuple[str, str]]:
    if not (tmp_path / "ws" / "state.db").exists():
        return []
    state = StateStore(tmp_path / "ws" / "state.db")
    try:
        return [(run["command"], run["status"]) for run in state.runs()]
    finally:
        state.close()


def test_sigterm_during_a_download_stops_after_that_step(server, tmp_path):
    account = server.accounts["police"]
    account.write("police_1.csv", os.urandom(24 * 1024 * 1024))
    config = write_config(tmp_path, server.source_settings("police"))
    service = start_service(config)
    incoming = tmp_path / "ws" / "landing" / "police" / ".incoming"
    try:
        wait_for(lambda: any(p.stat().st_size > 0 for p in incoming.glob("*.part")))
        service.send_signal(signal.SIGSTOP)
        service.send_signal(signal.SIGTERM)
        service.send_signal(signal.SIGCONT)
        _, stderr = service.communicate(timeout=60)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, stderr
    landed = list((tmp_path / "ws" / "landing" / "police").glob("*/police_1.csv"))
    assert len(landed) == 1 and list(incoming.glob("*")) == []  # the download finished
    assert _runs(tmp_path) == [("schedule", "stopped")]  # and nothing after it ran
    state = StateStore(tmp_path / "ws" / "state.db")
    assert [e.status for e in state.extracts(feed="police")] == ["pending"]
    state.close()


def test_schedule_once_pulls_what_is_due_then_exits(tmp_path):
    config = folder_config(tmp_path)
    (tmp_path / "drop" / "police_1.csv").write_bytes(csv_bytes(2))
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "police.yaml").write_text(
        yaml.safe_dump(config.feeds[0].model_dump(mode="json"))
    )
    (tmp_path / "hub.yaml").write_text(
        yaml.safe_dump({"workspace": "ws", "feeds": ["feeds/*.yaml"]})
    )
    runner = CliRunner()
    args = ["--json", "schedule", "--once", "--config", str(tmp_path / "hub.yaml")]

    first, second = runner.invoke(main, args), runner.invoke(main, args)

    assert first.exit_code == 0 and json.loads(first.output)["totals"]["files_pulled"] == 1
    assert second.exit_code == 0 and json.loads(second.output) == {"run": None, "due": []}
    assert load_config(tmp_path / "hub.yaml").feeds[0].schedule == "0 2 * * *"


def test_schedule_once_leaves_due_feeds_due_when_another_run_holds_the_workspace(tmp_path):
    config = folder_config(tmp_path)
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "police.yaml").write_text(
        yaml.safe_dump(config.feeds[0].model_dump(mode="json"))
    )
    (tmp_path / "hub.yaml").write_text(
        yaml.safe_dump({"workspace": "ws", "feeds": ["feeds/*.yaml"]})
    )
    args = ["schedule", "--once", "--config", str(tmp_path / "hub.yaml")]

    with Workspace(tmp_path / "ws").lock():
        result = CliRunner().invoke(main, args)

    assert result.exit_code == 0 and "the due feeds stay due" in result.output
    assert Scheduler(load_config(tmp_path / "hub.yaml"), Reporter(quiet=True)).due()
