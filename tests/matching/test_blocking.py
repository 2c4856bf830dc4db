"""The hub makes the candidate pairs itself (one join per rule, then grouped): they must be
Splink's own, pair for pair and under the same rule, or the scores and people would differ."""

from __future__ import annotations

from pathlib import Path

from matching_shared import ENGINE, Population
from matching_testdata import HARD_CASES, write_records

from matching.blocking import blocked_pairs_sql
from matching.engine import open_engine
from matching.model import MatchModel
from matching.score import linker_for
from matching.standardise import build_frame


def test_the_candidate_pairs_are_splinks_under_the_same_rules(
    population: Population, trained_model: MatchModel, tmp_path: Path
) -> None:
    files = [*population.staging_files, write_records(tmp_path / "hard.parquet", HARD_CASES)]
    engine = open_engine(ENGINE, tmp_path / "tmp")
    try:
        records = build_frame(engine, files)
        splinks = linker_for(engine, trained_model, records).inference
        blocked = splinks.compute_blocked_pairs_for_predict()
        engine.create_table("by_splink", f"SELECT * FROM {engine.physical_name(blocked)}")
        engine.create_table("by_hub", blocked_pairs_sql(trained_model.blocking_rules))
        pairs = engine.scalar("SELECT count(*) FROM by_hub")
        rules = engine.scalar("SELECT count(DISTINCT match_key) FROM by_hub")
        differing = engine.scalar("""
            SELECT count(*) FROM (
                (SELECT match_key, join_key_l, join_key_r FROM by_hub
                 EXCEPT ALL SELECT match_key, join_key_l, join_key_r FROM by_splink)
                UNION ALL
                (SELECT match_key, join_key_l, join_key_r FROM by_splink
                 EXCEPT ALL SELECT match_key, join_key_l, join_key_r FROM by_hub))
        """)  # fmt: skip
    finally:
        engine.close()
    assert pairs > records // 2, "a real set of candidate pairs"
    assert rules >= len(trained_model.blocking_rules) // 2, "pairs under many rules"
    assert differing == 0
