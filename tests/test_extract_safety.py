"""A partner's bad day is said out loud and never costs data: an extract much worse than the
current one is held (exit 4, in status) until an officer accepts it; a re-sent earlier extract
becomes current again without a second ingest; duplicates and checksum failures are reported."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pydantic import ValidationError

from hub.cli import main
from hub.config import load_config
from hub.run.extracts import RowCounts, hold_reason
from hub.state import StateStore
from hub.workspace import Workspace
from schemas.feed import FeedFormat
from tests.helpers import EXAMPLE_CONFIG, example_format, police_row, write_police

SURNAMES = ("THOMSON", "WOOD", "PASCOE", "TREVITHICK", "NANCARROW", "ROWE", "JAMES", "HOCKING")


def police_rows(count: int, *, iso_dates: bool = False) -> list[str]:
    """``count`` distinct synthetic nominals; ``iso_dates`` writes DOB as yyyy-mm-dd, which
    the police feed's ``%d/%m/%Y`` does not read."""
    rows = []
    for n in range(count):
        day, month, year = n % 28 + 1, n % 12 + 1, 1960 + n % 40
        dob = f"{year}-{month:02d}-{day:02d}" if iso_dates else f"{day:02d}/{month:02d}/{year}"
        rows.append(police_row(f"DC{n:08d}", pnc="", surname=SURNAMES[n % len(SURNAMES)],
                               forename=f"PERSON{n}", dob=dob))  # fmt: skip
    return rows


def accept(file: str, *reason: str) -> Result:
    """``iomhub extract accept police FILE`` with ``--reason`` when one is given."""
    options = ["--reason", *reason] if reason else []
    return CliRunner().invoke(main, ["extract", "accept", "--config", str(EXAMPLE_CONFIG),
                                     "police", file, *options])  # fmt: skip


def run(*flags: str) -> Result:
    return CliRunner().invoke(main, [*flags, "run", "--config", str(EXAMPLE_CONFIG)])


def police_status() -> dict[str, Any]:
    result = CliRunner().invoke(main, ["--json", "status", "--config", str(EXAMPLE_CONFIG)])
    assert result.exit_code == 0, result.output
    return next(f for f in json.loads(result.stdout)["feeds"] if f["feed"] == "police")


def workspace() -> Workspace:
    return Workspace(load_config(EXAMPLE_CONFIG).workspace)


def audit_actions() -> list[dict[str, Any]]:
    config = load_config(EXAMPLE_CONFIG)
    return list(Workspace(config.workspace).open_audit(config.settings).entries())


def releases() -> list[Path]:
    return sorted(p for p in (workspace().root / "published").glob("*/*") if p.is_dir())


def test_a_wrong_date_format_holds_the_extract_and_keeps_the_last_good_one(
    approved_example_env: Path,
) -> None:
    drop = approved_example_env / "police"
    write_police(drop, police_rows(30), name="police_nominals_20261122.csv")
    assert run().exit_code == 0
    published = releases()
    assert published

    write_police(drop, police_rows(30, iso_dates=True), name="police_nominals_20261123.csv")
    result = run("--quiet")

    assert result.exit_code == 4
    assert "police_nominals_20261123.csv: held, not made current" in result.output
    assert "30 of 30 rows quarantined (100%; the feed allows 5%)" in result.output
    assert "date_of_birth" in result.output
    assert "police_nominals_20261122.csv stays current" in result.output
    assert "iomhub extract accept police police_nominals_20261123.csv" in result.output
    status = police_status()
    assert status["current_extract"] == "police_nominals_20261122.csv" and status["rows"] == 30
    assert status["failing"] and "police_nominals_20261123.csv held" in status["problem"]
    assert "rows quarantined" in status["problem"]
    table = CliRunner().invoke(main, ["status", "--config", str(EXAMPLE_CONFIG)]).output
    assert "police_nominals_20261123.csv held" in table
    assert releases() == published  # no release without the partner's people
    held = [e for e in audit_actions() if e["action"] == "extract_held"]
    assert len(held) == 1 and "quarantined" in held[0]["reason"]


def test_a_short_extract_is_held_and_an_officer_may_accept_it(example_env: Path) -> None:
    drop = example_env / "police"
    write_police(drop, police_rows(30), name="police_nominals_20261122.csv")
    assert run().exit_code == 0
    write_police(drop, police_rows(5), name="police_nominals_20261123.csv")

    result = run("--json")
    assert result.exit_code == 4
    (outcome,) = json.loads(result.stdout)["extracts"]
    assert outcome["status"] == "held" and "5 rows accepted against 30" in outcome["error"]
    assert json.loads(result.stdout)["totals"]["extracts_held"] == 1
    assert police_status()["current_extract"] == "police_nominals_20261122.csv"

    no_reason = accept("police_nominals_20261123.csv")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    accepted = accept("police_nominals_20261123.csv", "partner closed 25 cases this week")
    assert accepted.exit_code == 0, accepted.output
    assert "police/police_nominals_20261123.csv is current" in accepted.output
    status = police_status()
    assert status["current_extract"] == "police_nominals_20261123.csv" and status["rows"] == 5
    assert not status["failing"] and status["problem"] is None
    (entry,) = [e for e in audit_actions() if e["action"] == "extract_accepted"]
    assert entry["operation"] == "alteration"
    assert entry["reason"] == "partner closed 25 cases this week"
    assert entry["counts"]["rows_accepted"] == 5
    again = accept("police_nominals_20261123.csv", "x")
    assert again.exit_code == 2 and "is not held" in again.output
    unknown = accept("nothing.csv", "x")
    assert unknown.exit_code == 2 and "has no extract 'nothing.csv'" in unknown.output
    assert run().exit_code == 0  # matched and published from the accepted extract


def test_a_resent_earlier_extract_becomes_current_again_without_a_second_ingest(
    example_env: Path,
) -> None:
    drop = example_env / "police"
    first = write_police(drop, police_rows(30), name="police_nominals_20261122.csv")
    assert run().exit_code == 0
    write_police(drop, police_rows(5), name="police_nominals_20261123.csv")
    assert run().exit_code == 4
    accepted = accept("police_nominals_20261123.csv", "confirmed with the force")
    assert accepted.exit_code == 0, accepted.output
    shutil.copy(first, drop / "police_nominals_20261124.csv")

    result = run("--quiet")
    assert result.exit_code == 0, result.output
    assert "police_nominals_20261124.csv: a re-send of police_nominals_20261122.csv" in (
        result.output)  # fmt: skip
    assert police_status()["current_extract"] == "police_nominals_20261122.csv"
    assert len(list((workspace().staging / "police").glob("*.parquet"))) == 2
    assert len([e for e in audit_actions() if e["action"] == "ingest"]) == 2
    assert [e["action"] for e in audit_actions()].count("extract_resent") == 1

    earlier = time.time() - 100  # the short extract delivered again, as a new delivery
    os.utime(drop / "police_nominals_20261123.csv", (earlier, earlier))
    again = run("--json")
    assert again.exit_code == 4  # worse than the current one: held again
    (outcome,) = json.loads(again.stdout)["extracts"]
    assert outcome["status"] == "held" and outcome["same_as"] == "police_nominals_20261123.csv"
    assert police_status()["current_extract"] == "police_nominals_20261122.csv"


def test_a_resend_after_a_held_extract_is_the_current_one_said_once(example_env: Path) -> None:
    drop = example_env / "police"
    first = write_police(drop, police_rows(30), name="police_nominals_20261122.csv")
    assert run().exit_code == 0
    write_police(drop, police_rows(5), name="police_nominals_20261123.csv")
    assert run().exit_code == 4
    shutil.copy(first, drop / "police_nominals_20261124.csv")

    result = run("--quiet")

    assert result.exit_code == 0, result.output
    assert ("police_nominals_20261124.csv: same bytes as police_nominals_20261122.csv, the "
            "current extract; not ingested again") in result.output  # fmt: skip
    status = police_status()
    assert status["current_extract"] == "police_nominals_20261122.csv"
    assert status["problem"] is None  # the re-send settles the held short extract
    assert len(list((workspace().staging / "police").glob("*.parquet"))) == 2


def test_two_files_with_the_same_bytes_in_one_pull_are_ingested_once(example_env: Path) -> None:
    drop = example_env / "police"
    first = write_police(drop, police_rows(30), name="police_nominals_20261122.csv")
    shutil.copy(first, drop / "police_nominals_20261123.csv")

    result = run("--json")

    assert result.exit_code == 0, result.output
    outcomes = {e["file"]: e for e in json.loads(result.stdout)["extracts"]}
    assert outcomes["police_nominals_20261122.csv"]["status"] == "ingested"
    duplicate = outcomes["police_nominals_20261123.csv"]
    assert duplicate["status"] == "duplicate"
    assert duplicate["same_as"] == "police_nominals_20261122.csv"


def test_a_sidecar_mismatch_fails_the_run_and_shows_in_status(example_env: Path) -> None:
    drop = example_env / "police"
    write_police(drop, police_rows(30), name="police_nominals_20261122.csv")
    assert run().exit_code == 0
    bad = write_police(drop, police_rows(31), name="police_nominals_20261123.csv")
    (drop / f"{bad.name}.sha256").write_text("0" * 64 + f"  {bad.name}\n")

    result = run("--quiet")

    assert result.exit_code == 4
    assert "sha256 does not match its .sha256 sidecar" in result.output
    status = police_status()
    assert status["failing"] and status["current_extract"] == "police_nominals_20261122.csv"
    assert "police_nominals_20261123.csv rejected: sha256 does not match" in status["problem"]
    good = hashlib.sha256(bad.read_bytes()).hexdigest()
    resent = write_police(drop, police_rows(31), name="police_nominals_20261124.csv")
    (drop / f"{resent.name}.sha256").write_text(good + "\n")
    assert run().exit_code == 0
    assert police_status()["problem"] is None


def test_one_bad_row_in_a_small_extract_does_not_hold_it() -> None:
    fmt = example_format("police")
    assert hold_reason(fmt, RowCounts(3, 2, 1, {"date_of_birth: x": 1}), None) is None
    assert hold_reason(fmt, RowCounts(5, 0, 5, {"date_of_birth: x": 5}), None)
    assert hold_reason(fmt, RowCounts(1000, 940, 60, {"sex: x": 60}), None)
    assert hold_reason(fmt, RowCounts(1000, 960, 40, {"sex: x": 40}), None) is None


def test_limits_are_shares_with_defaults() -> None:
    fmt = example_format("police")
    assert (fmt.max_quarantine_rate, fmt.max_row_drop) == (0.05, 0.30)
    document = fmt.model_dump() | {"max_row_drop": 30}
    with pytest.raises(ValidationError, match="max_row_drop"):
        FeedFormat.model_validate(document)


def test_a_state_database_from_before_keeps_its_current_extracts(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE files (feed TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, "
            "mtime INTEGER NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL, status TEXT NOT "
            "NULL, reason TEXT, recorded_at TEXT NOT NULL, PRIMARY KEY (feed, name, size, mtime, "
            "sha256));"
            "CREATE TABLE extracts (extract_id TEXT PRIMARY KEY, feed TEXT NOT NULL, sha256 TEXT "
            "NOT NULL, name TEXT NOT NULL, landed_path TEXT NOT NULL, landed_at TEXT NOT NULL, "
            "status TEXT NOT NULL, rows_read INTEGER, rows_accepted INTEGER, rows_rejected "
            "INTEGER, detail TEXT, ingested_at TEXT, UNIQUE (feed, sha256));"
            "INSERT INTO files VALUES ('police', 'a.csv', 1, 1, 'aa', 'x', 'landed', NULL, 't');"
            "INSERT INTO extracts VALUES ('police-a', 'police', 'aa', 'a.csv', 'x', "
            "'2026-01-01', 'ingested', 3, 3, 0, '{}', 't');"
            "INSERT INTO extracts VALUES ('police-b', 'police', 'bb', 'b.csv', 'x', "
            "'2026-01-02', 'ingested', 3, 3, 0, '{}', 't');"
        )
    db.close()
    state = StateStore(path)
    try:
        assert state.current_extracts()["police"].name == "b.csv"
        assert state.unhandled_deliveries() == []
        state.make_current("police-a")
        assert state.current_extracts()["police"].name == "a.csv"
    finally:
        state.close()


def test_the_bytes_of_a_rejected_file_are_tried_again(example_env: Path) -> None:
    drop = example_env / "police"
    write_police(drop, police_rows(30), name="police_nominals_20261122.csv")
    assert run().exit_code == 0
    (drop / "police_nominals_20261123.csv").write_text(
        "NominalID;Surname\nDC1;THOMSON\n", encoding="utf-8")  # fmt: skip
    assert run().exit_code == 4
    shutil.copy(drop / "police_nominals_20261123.csv", drop / "police_nominals_20261124.csv")

    result = run("--json")

    assert result.exit_code == 4
    (outcome,) = json.loads(result.stdout)["extracts"]
    assert outcome["status"] == "rejected" and outcome["file"] == "police_nominals_20261124.csv"
    status = police_status()
    assert status["current_extract"] == "police_nominals_20261122.csv"
    assert "police_nominals_20261124.csv rejected" in status["problem"]
