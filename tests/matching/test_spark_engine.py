"""The match stage on Spark (``local[2]``): the same model file and records give the same people
as on DuckDB; the dialect seam translates the hub's DuckDB SQL; the similarity jar is pinned."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from matching_shared import ENGINE, Population
from matching_testdata import HARD_CASES, write_records

from matching.agreement import compare_record_links
from matching.config import EngineConfig, MatchingConfig, SparkConfig
from matching.dialect import duckdb_to_spark, is_duckdb_only, spark_settings
from matching.model import MatchModel
from matching.run import MatchPaths, run_matching
from matching.spark_engine import SIMILARITY_JAR, similarity_jar
from matching.survivorship import persons_sql

SPARK = EngineConfig(
    backend="spark", memory_limit="1GB", threads=1,
    spark=SparkConfig(master="local[2]", conf={"spark.driver.memory": "1g"}),
)  # fmt: skip


def test_the_dialect_seam_writes_spark_sql() -> None:
    assert duckdb_to_spark("list_has_any(a, b)") == "ARRAYS_OVERLAP(a, b)"
    assert duckdb_to_spark("jaro_winkler_similarity(a, b) >= 0.92") == "JARO_WINKLER(a, b) >= 0.92"
    assert duckdb_to_spark("x[2:]") == "SLICE(x, 2, SIZE(x))"
    assert duckdb_to_spark("x[1]") == "x[0]"
    assert duckdb_to_spark("lower(strip_accents(n))").startswith("LOWER(TRANSLATE(n, 'ÀÁÂ")
    kept = "SELECT a FROM t ANTI JOIN u USING (a) GROUP BY ALL QUALIFY row_number() OVER () = 1"
    assert "QUALIFY" in duckdb_to_spark(kept) and "ANTI JOIN" in duckdb_to_spark(kept)
    assert is_duckdb_only(persons_sql("records", "assignment", MatchingConfig().survivorship))


def test_a_model_file_is_translated_level_by_level(trained_model: MatchModel) -> None:
    settings = spark_settings(trained_model.splink_settings(1000))
    conditions = [level["sql_condition"] for comparison in settings["comparisons"]
                  for level in comparison["comparison_levels"]]  # fmt: skip
    assert not any("list_has_any" in c or "jaro_winkler_similarity" in c for c in conditions)
    assert any("ARRAYS_OVERLAP" in c for c in conditions)
    rules = settings["blocking_rules_to_generate_predictions"]
    assert all(rule["sql_dialect"] == "spark" for rule in rules)
    assert any("forename_roots[0]" in rule["blocking_rule"] for rule in rules)


def test_the_similarity_jar_is_the_pinned_one() -> None:
    assert similarity_jar().name == SIMILARITY_JAR


def _run(files: list[Path], root: Path, model: MatchModel, engine: EngineConfig) -> Path:
    paths = MatchPaths(root / "matched", root / "matched" / "registry.db", root / "tmp")
    run_matching(files, paths, model=model, config=MatchingConfig(engine=engine), run_id="one")
    return paths.output_dir


def test_spark_and_duckdb_give_the_same_people(
    population: Population, trained_model: MatchModel, tmp_path: Path
) -> None:
    files = [*population.staging_files, write_records(tmp_path / "hard.parquet", HARD_CASES)]
    on_duckdb = _run(files, tmp_path / "duckdb", trained_model, ENGINE)
    on_spark = _run(files, tmp_path / "spark", trained_model, SPARK)
    agreement = compare_record_links(on_duckdb / "record_links.parquet",
                                     on_spark / "record_links.parquet")  # fmt: skip
    assert agreement.missing == 0
    assert agreement.share >= 0.999, agreement.differences
    for name in ("persons.parquet", "review.parquet", "frame.parquet", "report.html"):
        assert (on_spark / name).is_file(), name
    persons = pq.read_table(on_spark / "persons.parquet")
    assert persons.schema.names == pq.read_table(on_duckdb / "persons.parquet").schema.names
    assert persons.num_rows == pq.read_table(on_duckdb / "persons.parquet").num_rows


def test_an_unknown_master_is_said_in_the_hubs_words(tmp_path: Path) -> None:
    from matching.engine import open_engine
    from matching.errors import MatchingError

    bad = SPARK.model_copy(update={"spark": SparkConfig(master="nonsense://nowhere")})
    with pytest.raises(MatchingError, match="Spark session could not start"):
        open_engine(bad, tmp_path)
