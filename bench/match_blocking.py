"""Blocking analysis: how many pairs each candidate rule adds, and how many true pairs.

The evidence behind ``matching.model.BLOCKING_RULES``. For each rule, in order, Splink's blocking
analysis (``count_comparisons_from_blocking_rules``) counts the comparisons it adds beyond the
rules before it; the truth says how many of those are pairs of one person. A rule earns its
place when it finds true pairs the others miss at a bearable cost in comparisons. Rules marked
``*`` are the model's.

    PYTHONPATH=. python bench/match_blocking.py --people 100000
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from matchbench import print_table, staging_files, synthetic_workspace

CANDIDATES: tuple[str, ...] = (
    "l.pnc = r.pnc",
    "l.nhs = r.nhs",
    "l.cro = r.cro",
    "l.crn = r.crn",
    "l.nomis = r.nomis",
    "l.dob = r.dob AND l.surname_std = r.surname_std",
    "l.dob = r.dob AND l.forename_roots[1] = r.forename_roots[1]",
    "l.dob = r.dob AND l.postcode_std = r.postcode_std",
    "l.name_key = r.name_key AND l.birth_year = r.birth_year",
    "l.surname_std = r.surname_std AND l.postcode_std = r.postcode_std",
    "l.forename_roots[1] = r.forename_roots[1] AND l.postcode_std = r.postcode_std",
    "l.forename_roots[1] = r.forename_roots[1] AND l.surname_std = r.surname_std "
    "AND l.postcode_district = r.postcode_district",
    "l.forename_roots[1] = r.forename_roots[1] AND l.surname_std = r.surname_std "
    "AND l.birth_year = r.birth_year",
    "l.surname_std = r.surname_std AND l.birth_year = r.birth_year "
    "AND l.forename_std[1] = r.forename_std[1]",
    "l.forename_roots[1] = r.forename_roots[1] AND l.birth_year = r.birth_year "
    "AND l.surname_std[1:2] = r.surname_std[1:2]",
    "l.name_key = r.name_key",
    "l.surname_std = r.surname_std AND l.birth_year = r.birth_year",
    "l.postcode_std = r.postcode_std AND l.birth_day = r.birth_day",
    "l.dob = r.dob AND left(l.forename_std, 1) = left(r.surname_std, 1) "
    "AND left(l.surname_std, 1) = left(r.forename_std, 1)",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("bench/out"))
    args = parser.parse_args()

    from splink import Linker
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from matching.config import EngineConfig
    from matching.engine import open_engine
    from matching.model import BLOCKING_RULES, settings
    from matching.score import quiet_splink
    from matching.standardise import build_frame

    quiet_splink()
    workspace, truth = synthetic_workspace(args.dir, args.people)
    engine = open_engine(EngineConfig(memory_limit="8GB"), args.dir / "tmp")
    records = build_frame(engine, staging_files(workspace))
    engine.load_parquet("truth", [truth])
    engine.create_table(
        "true_pairs",
        """WITH t AS (SELECT f.unique_id, t.person_id FROM frame f
                      JOIN truth t USING (source, source_record_id))
           SELECT a.unique_id AS l, b.unique_id AS r FROM t a JOIN t b
           ON a.person_id = b.person_id AND a.unique_id < b.unique_id""",
    )
    total_true = engine.scalar("SELECT count(*) FROM true_pairs")
    model_settings = settings()
    model_settings["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in CANDIDATES
    ]
    frame = engine.splink_api().register("frame")
    counted = count_comparisons_from_blocking_rules(
        frame, blocking_rules=list(CANDIDATES), link_type="dedupe_only",
        record_sample_proportion=1.0,
    )  # fmt: skip
    linker = Linker(frame, model_settings, log_level=None)
    started = time.perf_counter()
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    seconds = time.perf_counter() - started
    rows = engine.to_arrow(f"""
        SELECT CAST(b.match_key AS INTEGER) AS rule, count(*) AS pairs,
               count(t.l) AS true_pairs
        FROM {engine.physical_name(blocked)} b
        LEFT JOIN true_pairs t ON t.l = b.join_key_l AND t.r = b.join_key_r
        GROUP BY 1 ORDER BY 1
    """).to_pylist()  # fmt: skip
    by_rule = {row["rule"]: row for row in rows}
    table, cumulative_true = [], 0
    for number, rule in enumerate(CANDIDATES):
        row = by_rule.get(number, {"pairs": 0, "true_pairs": 0})
        cumulative_true += row["true_pairs"]
        mark = "*" if rule in BLOCKING_RULES else ""
        table.append([f"{number}{mark}", rule[:78], counted[number]["marginal_comparison_count"],
                      row["true_pairs"], counted[number]["cumulative_comparison_count"],
                      cumulative_true / total_true])  # fmt: skip
    print(f"{records:,} records, {total_true:,} true pairs, blocking took {seconds:.1f} s")
    print_table(["#", "rule", "adds pairs", "adds true", "cumulative", "blocking recall"], table)


if __name__ == "__main__":
    main()
