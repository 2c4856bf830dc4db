"""``iomhub feed init --sample``: a feed drafted from a partner's sample loads and ingests it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.config import load_feed
from hub.demo.synthetic import generate_partners
from schemas.ingest import ingest_file


@pytest.fixture(scope="module")
def partners(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("partners")
    generated = generate_partners(folder / "drop", folder / "truth.parquet", 600, seed=11)
    return dict(generated.files)


def _init(sample: Path, out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["--json", "feed", "init", "--sample", str(sample),
                                       "--out", str(out), *extra])  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("feed", ["police", "probation", "health", "housing"])
def test_a_drafted_feed_loads_and_ingests_the_partner_s_sample(
    partners: dict[str, Path], tmp_path: Path, feed: str
) -> None:
    sample = partners[feed]
    written = _init(sample, tmp_path / f"{feed}.yaml")
    assert written["feed"] == feed
    assert {"source_record_id", "date_of_birth"} <= set(written["fields"])
    config = load_feed(tmp_path / f"{feed}.yaml", {})
    assert config.source.kind == "folder" and config.source.pattern.endswith(sample.suffix)
    result = ingest_file(
        sample, config.format, feed=feed, extract_id="x",
        staging_path=tmp_path / "staging.parquet", quarantine_path=tmp_path / "q.parquet",
    )  # fmt: skip
    assert result.rows_read > 100
    assert result.rows_rejected <= 0.05 * result.rows_read, result.rejections


def test_the_draft_reads_encoding_delimiter_and_dates_off_the_file(
    partners: dict[str, Path], tmp_path: Path
) -> None:
    for feed, encoding, delimiter, dob in [
        ("health", "utf-8-sig", ",", "%Y%m%d"), ("probation", "utf-8", "|", "%Y-%m-%d"),
        ("housing", None, ",", "%d-%b-%Y"), ("police", "utf-8", ",", "%d/%m/%Y"),
    ]:  # fmt: skip
        config = load_feed(_path(_init(partners[feed], tmp_path / f"{feed}.yaml")), {})
        if encoding:
            assert config.format.encoding == encoding
        assert config.format.delimiter == delimiter
        assert config.format.mappings["date_of_birth"].date_formats == [dob]


def _path(written: dict) -> Path:
    return Path(written["path"])


def test_a_windows_file_is_read_as_cp1252_and_unmapped_columns_are_listed(
    tmp_path: Path,
) -> None:
    sample = tmp_path / "yj_cases_20261201.txt"
    rows = ["YJRef\tFamily Name\tGiven Name\tBorn\tWorker"]
    rows += [f"YJ{i:05d}\tBront\u00eb\tZo\u00eb\t{i % 28 + 1:02d}.{i % 12 + 1:02d}.2008\tA"
             for i in range(60)]  # fmt: skip
    sample.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    written = _init(sample, tmp_path / "yj.yaml", "--name", "youth_justice")
    config = load_feed(tmp_path / "yj.yaml", {})
    assert (config.name, config.format.encoding, config.format.delimiter) == (
        "youth_justice",
        "cp1252",
        "\t",
    )
    assert config.format.mappings["date_of_birth"].date_formats == ["%d.%m.%Y"]
    assert config.source.pattern == "yj_cases_*.txt"
    assert written["unmapped"] == ["Worker"]
    assert (
        "not mapped (no canonical field of that name): Worker" in (tmp_path / "yj.yaml").read_text()
    )


def test_month_first_dates_are_said_and_an_existing_file_is_kept(tmp_path: Path) -> None:
    chooser = random.Random(2)
    sample = tmp_path / "partner_20261201.csv"
    rows = ["ID,Surname,DOB"] + [
        f"P{i},SMITH,{chooser.randint(1, 12):02d}/{chooser.randint(13, 28):02d}/1990"
        for i in range(80)
    ]  # fmt: skip
    sample.write_text("\n".join(rows) + "\n")
    written = _init(sample, tmp_path / "partner.yaml")
    config = load_feed(tmp_path / "partner.yaml", {})
    assert config.format.mappings["date_of_birth"].date_formats == ["%m/%d/%Y"]
    assert written["fields"][0] == "source_record_id"
    out = tmp_path / "partner.yaml"
    before = out.read_text()
    again = CliRunner().invoke(main, ["feed", "init", "--sample", str(sample), "--out", str(out)])
    assert again.exit_code == 2 and "never overwritten" in again.output
    assert out.read_text() == before
