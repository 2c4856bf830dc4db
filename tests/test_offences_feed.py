"""The police offences feed: generated beside the nominals, staged as offences, never matched,
and read by ``iomhub cohort candidates`` after a whole run over the example config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.csv as pv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from helpers import EXAMPLE_CONFIG

from hub.cli import main
from hub.config import load_config
from hub.demo.synthetic import generate_partners
from hub.demo.synthetic.feeds.police_offences import COLUMNS, write_police_offences
from schemas.canonical import OffenceRecord, arrow_schema
from schemas.errors import ConfigError
from schemas.feed import FeedFormat
from schemas.ingest import ingest_file


@pytest.fixture(scope="module")
def partners(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("partners")
    generated = generate_partners(root / "extracts", root / "truth.parquet", 400, seed=5)
    write_police_offences(generated.files["police"], seed=5)
    return root / "extracts"


def test_every_offence_names_a_nominal_of_the_police_extract_and_the_file_repeats(
    partners: Path, tmp_path: Path
) -> None:
    police = partners / "police"
    offences = pv.read_csv(police / "police_offences_20261122.csv").to_pydict()
    nominals = pv.read_csv(police / "police_nominals_20261122.csv").to_pydict()
    assert tuple(offences) == COLUMNS
    assert set(offences["NominalID"]) <= set(nominals["NominalID"])
    assert len(set(offences["OffenceRef"])) == len(offences["OffenceRef"])
    copy = tmp_path / "police_nominals_20261122.csv"
    shutil.copy(police / "police_nominals_20261122.csv", copy)
    again, _ = write_police_offences(copy, seed=5)
    assert again.read_bytes() == (police / "police_offences_20261122.csv").read_bytes()


def test_the_offences_feed_stages_offence_records(partners: Path, tmp_path: Path) -> None:
    feed = load_config(EXAMPLE_CONFIG, environment={"IOMHUB_DROP_ROOT": str(partners)})
    fmt = feed.feed("police_offences").format
    result = ingest_file(
        partners / "police" / "police_offences_20261122.csv", fmt, feed="police_offences",
        extract_id="e1", staging_path=tmp_path / "s.parquet",
        quarantine_path=tmp_path / "q.parquet",
    )  # fmt: skip
    assert result.rows_accepted > 400 and result.rows_rejected < 0.01 * result.rows_read
    staged = pq.read_table(tmp_path / "s.parquet")
    assert staged.schema.equals(arrow_schema("offence"))
    OffenceRecord.model_validate(staged.slice(0, 1).to_pylist()[0])


def test_an_offence_feed_maps_only_offence_fields() -> None:
    with pytest.raises(ValueError, match="unknown canonical field"):
        FeedFormat.model_validate(
            {"record": "offence", "fields": {"source_record_id": "Ref", "surname": "Surname"}}
        )
    with pytest.raises(ValueError, match="unknown canonical field"):
        FeedFormat.model_validate({"fields": {"source_record_id": "Ref", "outcome": "Outcome"}})


def test_a_whole_run_stages_offences_unmatched_and_lists_candidates_per_strand(
    partners: Path, example_env: Path, tmp_path: Path
) -> None:
    for feed in ("police", "probation", "health", "housing"):
        for path in (partners / feed).glob("*_2026*"):
            shutil.copy(path, example_env / feed / path.name)
    runner = CliRunner()
    run = runner.invoke(main, ["run", "--config", str(EXAMPLE_CONFIG)])
    assert run.exit_code == 0, run.output
    links = pq.read_table(example_env.parent / "workspace" / "matched" / "record_links.parquet")
    assert "police_offences" not in set(links.column("source").to_pylist())
    out = tmp_path / "candidates.parquet"
    command = ["cohort", "candidates", "--config", str(EXAMPLE_CONFIG), "--out", str(out)]
    listed = runner.invoke(main, ["--json", *command, "--on", "2026-11-22"])
    assert listed.exit_code == 0, listed.output
    document = json.loads(listed.stdout)
    assert set(document["candidates"]) == {"fixed", "flex", "free"}
    assert document["offences_used"] > 0
    table = pq.read_table(out).to_pylist()
    candidates = [row for row in table if row["status"] == "candidate"]
    assert len(candidates) == sum(document["candidates"].values()) > 0
    assert all(row["reasons"] and row["lead_agency"] in ("police", "probation")
               for row in candidates)  # fmt: skip
    text = runner.invoke(main, ["cohort", "candidates", "--config", str(EXAMPLE_CONFIG)])
    assert "cohort candidates on" in text.output and "fixed" in text.output


def test_config_check_validates_the_cohort_rules(example_env: Path, tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE_CONFIG.parent, tmp_path / "config")
    hub = tmp_path / "config" / "hub.yaml"
    ok = CliRunner().invoke(main, ["config", "check", "--config", str(hub)])
    assert ok.exit_code == 0 and "cohort rules" in ok.output
    rules = tmp_path / "config" / "cohort.yaml"
    rules.write_text(rules.read_text().replace("places_per_area: 5", "places_per_area: -1"))
    bad = CliRunner().invoke(main, ["config", "check", "--config", str(hub)])
    assert bad.exit_code == 2
    assert "cohort.yaml: cohort rules: flex.places_per_area" in bad.output
    with pytest.raises(ConfigError):
        from hub.cohort.listing import cohort_rules

        cohort_rules(load_config(hub))
