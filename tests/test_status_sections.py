"""``iomhub status`` tells the truth: held and rejected extracts, partners that deliver nothing
new, the last match, the latest releases, the audit log, paused feeds; --json anywhere on the
line, and errors under --json as a JSON document."""

from __future__ import annotations

import datetime
import json
from contextlib import closing
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from hub.cli import main
from hub.config import HubConfig, load_config
from hub.run.status import feed_status_rows
from hub.settings import HubSettings
from hub.workspace import Workspace
from tests.helpers import EXAMPLE_CONFIG, write_police
from tests.sftp_support import csv_bytes, feed_config
from tests.test_extract_safety import police_rows


def status(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_status_json_has_held_extracts_the_match_releases_and_the_audit_log(
    approved_example_env: Path,
) -> None:
    example_env = approved_example_env
    write_police(example_env / "police", police_rows(30), name="police_nominals_20261122.csv")
    assert CliRunner().invoke(main, ["run", "--config", str(EXAMPLE_CONFIG)]).exit_code == 0
    write_police(example_env / "police", police_rows(30, iso_dates=True),
                 name="police_nominals_20261123.csv")  # fmt: skip
    assert CliRunner().invoke(main, ["run", "--config", str(EXAMPLE_CONFIG)]).exit_code == 4

    after = status("status", "--config", str(EXAMPLE_CONFIG), "--json")
    before = status("--json", "status", "--config", str(EXAMPLE_CONFIG))

    assert after == before  # --json after the subcommand as well as before
    [held] = after["extracts"]["held"]
    assert held["feed"] == "police" and held["file"] == "police_nominals_20261123.csv"
    assert "iomhub extract accept police" in held["what_to_do"]
    assert after["extracts"]["rejected"] == []
    assert after["match"]["persons"] == 30 and after["match"]["review_pending"] == 0
    assert {r["recipient"] for r in after["releases"]} == {"performance"}
    [withheld] = after["withheld"]  # the IOM team's view follows the cohort: nobody in it yet
    assert withheld["recipient"] == "iom_team" and "IOM cohort" in withheld["reason"]
    assert after["audit"]["checked"] and after["audit"]["ok"] and after["audit"]["entries"] > 3
    police = next(f for f in after["feeds"] if f["feed"] == "police")
    assert not police["delivery_stale"] and police["last_new_extract_at"]
    text = CliRunner().invoke(main, ["status", "--config", str(EXAMPLE_CONFIG)]).output
    assert "held extract police/police_nominals_20261123.csv" in text
    assert "audit log: intact" in text and "review backlog 0" in text
    assert "release iom_team: none, withheld (the agreements cover nobody yet" in text


def test_a_rejected_extract_is_listed_until_a_later_one_settles_it(example_env: Path) -> None:
    write_police(example_env / "police", [], header="Not,The,Police,Header")
    assert CliRunner().invoke(main, ["run", "--config", str(EXAMPLE_CONFIG)]).exit_code == 4
    [rejected] = status("status", "--json", "--config", str(EXAMPLE_CONFIG))["extracts"]["rejected"]
    assert rejected["feed"] == "police" and rejected["reason"]


def folder_config(tmp_path: Path, **feed: Any) -> HubConfig:
    drop = tmp_path / "drop"
    drop.mkdir(exist_ok=True)
    source = {"kind": "folder", "path": str(drop), "pattern": "*.csv",
              "completeness": {"stable_seconds": 0, "min_age_seconds": 0}}  # fmt: skip
    return HubConfig(workspace=tmp_path / "ws", feeds=[feed_config("police", source, **feed)],
                     settings=HubSettings())  # fmt: skip


def test_a_partner_who_sends_nothing_new_is_stale_though_the_hub_pulls_on_time(tmp_path):
    config = folder_config(tmp_path, schedule="0 * * * *")  # hourly: stale after 1.5 h
    three_hours_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=3)
    with closing(Workspace(tmp_path / "ws").open_state()) as state:
        state.set_fact("first_success:police", three_hours_ago.isoformat(timespec="seconds"))
        state.feed_succeeded("police")  # pulled on time, just now: nothing new for 3 hours

    [row] = feed_status_rows(config)

    assert not row.pull_stale and row.delivery_stale and row.stale
    assert row.last_new_extract_at is None
    assert "delivered no new extract" in (row.stale_reason or "")
    (tmp_path / "drop" / "police_1.csv").write_bytes(csv_bytes(3))
    result = CliRunner().invoke(main, ["run", "--config", str(write_files(tmp_path, config))])
    assert result.exit_code == 0, result.output
    [row] = feed_status_rows(config)
    assert not row.stale and row.last_new_extract_at and row.hours_since_new_extract == 0


def write_files(tmp_path: Path, config: HubConfig) -> Path:
    """The config as a hub file and a feed file."""
    (tmp_path / "feeds").mkdir(exist_ok=True)
    for feed in config.feeds:
        (tmp_path / "feeds" / f"{feed.name}.yaml").write_text(
            yaml.safe_dump(feed.model_dump(mode="json"))
        )
    (tmp_path / "hub.yaml").write_text(yaml.safe_dump({"workspace": "ws",
                                                       "feeds": ["feeds/*.yaml"]}))  # fmt: skip
    return tmp_path / "hub.yaml"


def test_a_paused_feed_is_not_pulled_and_status_says_paused(tmp_path):
    config = folder_config(tmp_path, enabled=False)
    (tmp_path / "drop" / "police_1.csv").write_bytes(csv_bytes(3))
    hub_file = write_files(tmp_path, config)

    result = CliRunner().invoke(main, ["run", "--config", str(hub_file)])

    assert result.exit_code == 0 and "paused" in result.output
    [row] = status("status", "--config", str(hub_file), "--json")["feeds"]
    assert row["paused"] and not row["stale"] and row["current_extract"] is None
    assert "paused" in CliRunner().invoke(main, ["status", "--config", str(hub_file)]).output
    assert load_config(hub_file).feeds[0].enabled is False


def test_an_error_under_json_is_a_json_document(tmp_path):
    missing = CliRunner().invoke(main, ["status", "--json"])  # no --config, no IOMHUB_CONFIG
    bad = CliRunner().invoke(main, ["--json", "status", "--config", str(tmp_path / "no.yaml")])

    assert missing.exit_code == 2 and bad.exit_code == 2
    assert "--config" in json.loads(missing.stdout)["error"]
    document = json.loads(bad.stdout)
    assert "no such file" in document["error"] and document["exit_code"] == 2
