"""A partner's bad day through the whole run: said out loud (under --quiet too), never fatal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.config import Completeness
from hub.cli import main
from hub.config import HubConfig, load_config
from hub.output import Reporter
from hub.run.pipeline import run_once
from hub.run.status import feed_status_rows, render_table
from schemas import extract_reader
from schemas.extract_reader import BLOCK_BYTES
from tests.helpers import EXAMPLE_CONFIG, police_row, write_police

PROBATION = (
    "CRN|NOMSNumber|PNCNumber|FirstName|SecondName|Surname|DateOfBirth|Gender|Address|"
    "Postcode|OGRSScore|RoSHLevel|SentenceType|SentenceEndDate|OffenderManager|Team\n"
    "S140763|A1234BC|13/686271U|Harvey||Thomson|2001-09-22|Male|1 High St, Truro|TR159RR|"
    "40|High|Licence|2027-01-01|Officer A|Truro 1\n"
)


def _partners_with_a_huge_field(drop: Path) -> None:
    huge = police_row("DC3").replace("1 High Street", "A" * (BLOCK_BYTES * 5 // 2))  # 20 MiB
    write_police(drop / "police", [police_row("DC1"), police_row("DC2", pnc=""), huge])
    (drop / "probation" / "probation_cases_20261122.psv").write_text(PROBATION)


def _run_quiet() -> tuple[int, str, dict]:
    runner = CliRunner()
    quiet = runner.invoke(main, ["--quiet", "run", "--config", str(EXAMPLE_CONFIG)])
    status = runner.invoke(main, ["--json", "status", "--config", str(EXAMPLE_CONFIG)])
    feeds = {row["feed"]: row for row in json.loads(status.stdout)["feeds"]}
    return quiet.exit_code, quiet.output, feeds


def _published(workspace: Path) -> list[str]:
    return sorted(path.name for path in (workspace / "published").rglob("manifest.json"))


def test_a_20_mb_field_quarantines_its_row_and_the_run_goes_on(approved_example_env: Path) -> None:
    example_env = approved_example_env
    _partners_with_a_huge_field(example_env)
    code, output, feeds = _run_quiet()
    assert code == 0, output
    assert "Traceback" not in output and "delimiter" not in output and "AAAA" not in output
    assert (
        "ingest police/police_nominals_20261122.csv: 1 row(s) quarantined, address: field too "
        "long (over 4,000 characters): data row 3 column AddressLine1"
    ) in output
    assert (feeds["police"]["rows"], feeds["police"]["quarantined"]) == (2, 1)
    assert feeds["probation"]["rows"] == 1
    assert _published(example_env.parent / "workspace")


def test_a_row_past_the_largest_block_rejects_its_file_only_and_exits_4(
    approved_example_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example_env = approved_example_env
    monkeypatch.setattr(extract_reader, "LARGEST_BLOCK_BYTES", BLOCK_BYTES)
    _partners_with_a_huge_field(example_env)
    code, output, feeds = _run_quiet()
    assert code == 4, output
    assert "Traceback" not in output and "delimiter" not in output
    assert "police_nominals_20261122.csv has a row longer than 8 MiB after data row 2" in output
    assert feeds["police"]["last_rejected_extract"] == "police_nominals_20261122.csv"
    assert feeds["probation"]["rows"] == 1
    assert _published(example_env.parent / "workspace")
    landed = list((example_env.parent / "workspace" / "landing" / "police").rglob("*.csv"))
    assert len(landed) == 1  # the raw file is kept


def test_conflicting_repeated_ids_are_counted_in_the_run_and_in_status(example_env: Path) -> None:
    write_police(example_env / "police", [
        police_row("DC1"), police_row("DC2", surname="SMITH"), police_row("DC2", surname="JONES"),
        police_row("DC1"), police_row("DC3"),
        # enough other rows that two quarantined stay under the feed's 5% (else it is held)
        *(police_row(f"DC{n}", pnc="") for n in range(10, 50)),
    ])  # fmt: skip
    code, output, feeds = _run_quiet()
    assert code == 0, output
    assert (
        "2 row(s) repeat an earlier row's record id; 1 id(s) repeated with different content "
        "had every copy quarantined"
    ) in output
    assert (
        "2 row(s) quarantined, source_record_id: repeated with different content: data row 2 "
        "column NominalID, data row 3 column NominalID"
    ) in output
    assert "SMITH" not in output and "JONES" not in output
    police = feeds["police"]
    assert (police["rows"], police["quarantined"]) == (43, 2)
    assert (police["repeated_record_ids"], police["conflicting_record_ids"]) == (2, 1)


def _quiet_run(config: HubConfig) -> str:
    stream = io.StringIO()
    run_once(config, Reporter(quiet=True, stream=stream))
    return stream.getvalue()


def test_a_misnamed_file_is_said_once_per_name(example_env: Path) -> None:
    write_police(example_env / "police", [police_row("DC1")])
    (example_env / "police" / "police_nominal_20261122.csv").write_text("misnamed")
    config = load_config(EXAMPLE_CONFIG)
    said = (
        "pull police: 'police_nominal_20261122.csv' does not match the feed's pattern "
        "'police_nominals_*.csv' and is not taken (said once for this name)"
    )
    assert said in _quiet_run(config)
    assert "police_nominal_20261122.csv" not in _quiet_run(config)
    (example_env / "police" / "police_nominals.txt").write_text("another")
    assert "'police_nominals.txt' does not match" in _quiet_run(config)


def test_a_sibling_feeds_file_in_the_same_folder_is_not_said_to_be_misnamed(
    example_env: Path,
) -> None:
    """Police may drop nominals and offences in one folder: each feed leaves the other's file
    alone without a warning."""
    write_police(example_env / "police", [police_row("DC1")])
    (example_env / "police" / "police_offences_20261122.csv").write_text("OffenceRef\n")
    output = _quiet_run(load_config(EXAMPLE_CONFIG))
    assert "police_offences_20261122.csv' does not match" not in output


def test_a_file_waiting_too_long_is_said_and_shown_in_status(example_env: Path) -> None:
    write_police(example_env / "police", [police_row("DC1")])
    config = load_config(EXAMPLE_CONFIG)
    feeds = [
        feed.model_copy(update={"source": feed.source.model_copy(update={"completeness":
            Completeness(require_sidecar=True, waiting_too_long_seconds=0)})})
        if feed.name == "police" else feed
        for feed in config.feeds
    ]  # fmt: skip
    config = config.model_copy(update={"feeds": feeds})
    output = _quiet_run(config)
    assert "warning: pull police: 'police_nominals_20261122.csv' has waited 0 min to complete" in (
        output
    )
    (police,) = [row for row in feed_status_rows(config) if row.feed == "police"]
    assert police.waiting == police.waiting_too_long == ("police_nominals_20261122.csv",)
    assert "1 (1 too long)" in render_table([police])
