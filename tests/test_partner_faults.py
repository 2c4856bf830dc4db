"""A partner's bad day through the whole run: said out loud (under --quiet too), never fatal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
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


def test_a_20_mb_field_quarantines_its_row_and_the_run_goes_on(example_env: Path) -> None:
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
    example_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    assert (police["rows"], police["quarantined"]) == (3, 2)
    assert (police["repeated_record_ids"], police["conflicting_record_ids"]) == (2, 1)
