"""The review list: pairs the model could not settle, with their evidence.

A pair is listed when its records ended in different people and no reviewer has decided it,
and it is one of:

- **uncertain**: match weight in the review band (from ``review_weight`` up to ``link_weight``);
- **stopped by a rule**: at or above ``link_weight`` but a guard stopped the link (likely twins,
  different generation, conflicting identifiers);
- **ambiguous**: a link dropped because the record matched two people about equally well.

A reviewer's decision (same / different) is kept in the registry and overrides the model on
every later run: "same" joins the pair (and so their people), "different" keeps them apart.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from matching.engine import Engine
from matching.model import MatchModel
from matching.registry import pair_id
from matching.score import GUARD_WORDS, PairEvidence, evidence_in_words, explain_pairs

REVIEW_LIMIT = 5000
"""At most this many pairs get evidence in one run (the strongest first)."""


def build_review(engine: Engine, model: MatchModel, records: int, link_weight: float) -> pa.Table:
    """The review list as Arrow, strongest pair first (reads ``scored``, ``clusters``,
    ``ambiguous``, ``decided``, ``frame``)."""
    candidates = engine.to_arrow(f"""
        WITH listed AS (
            SELECT s.unique_id_l, s.unique_id_r, s.match_weight, s.match_probability,
                CASE WHEN a.unique_id_l IS NOT NULL THEN 'ambiguous'
                     WHEN s.match_weight >= {float(link_weight)} AND s.cannot_link
                        THEN 'stopped by a rule'
                     ELSE 'uncertain' END AS reason
            FROM scored s
            LEFT JOIN ambiguous a USING (unique_id_l, unique_id_r)
            WHERE s.match_weight < {float(link_weight)} OR s.cannot_link
               OR a.unique_id_l IS NOT NULL
        )
        SELECT listed.* FROM listed
        JOIN clusters ca ON ca.unique_id = listed.unique_id_l
        JOIN clusters cb ON cb.unique_id = listed.unique_id_r
        ANTI JOIN decided d USING (unique_id_l, unique_id_r)
        WHERE ca.cluster_key <> cb.cluster_key
        ORDER BY listed.match_weight DESC, listed.unique_id_l, listed.unique_id_r
        LIMIT {REVIEW_LIMIT}
    """)  # fmt: skip
    evidence = {
        (e.unique_id_l, e.unique_id_r): e
        for e in explain_pairs(engine, model, records, candidates.select(["unique_id_l",
                                                                         "unique_id_r"]))
    }  # fmt: skip
    keys = _record_keys(engine, candidates)
    rows: dict[str, list[Any]] = {name: [] for name in REVIEW_SCHEMA.names}
    for row in candidates.to_pylist():
        left, right = keys[row["unique_id_l"]], keys[row["unique_id_r"]]
        found = evidence.get((row["unique_id_l"], row["unique_id_r"]))
        rows["pair_id"].append(pair_id(left, right))
        rows["source_l"].append(left[0])
        rows["record_id_l"].append(left[1])
        rows["source_r"].append(right[0])
        rows["record_id_r"].append(right[1])
        rows["match_weight"].append(row["match_weight"])
        rows["match_probability"].append(row["match_probability"])
        rows["reason"].append(row["reason"])
        rows["guards"].append(found.guards if found else [])
        rows["evidence"].append(json.dumps(found.as_dict()) if found else None)
    return pa.table(rows, schema=REVIEW_SCHEMA)


def _record_keys(engine: Engine, pairs: pa.Table) -> dict[int, tuple[str, str]]:
    ids = sorted(set(pairs.column("unique_id_l").to_pylist())
                 | set(pairs.column("unique_id_r").to_pylist()))  # fmt: skip
    if not ids:
        return {}
    engine.register_arrow("review_ids", pa.table({"unique_id": pa.array(ids, pa.int64())}))
    rows = engine.to_arrow(
        "SELECT unique_id, source, source_record_id FROM frame JOIN review_ids USING (unique_id)"
    ).to_pylist()
    return {r["unique_id"]: (r["source"], r["source_record_id"]) for r in rows}


REVIEW_SCHEMA = pa.schema([
    ("pair_id", pa.string()), ("source_l", pa.string()), ("record_id_l", pa.string()),
    ("source_r", pa.string()), ("record_id_r", pa.string()),
    ("match_weight", pa.float64()), ("match_probability", pa.float64()),
    ("reason", pa.string()), ("guards", pa.list_(pa.string())), ("evidence", pa.string()),
])  # fmt: skip
"""Columns of ``matched/review.parquet``."""


def describe_pair(row: dict[str, Any]) -> str:
    """A review item in words: the two records, why it is listed, the waterfall."""
    left = f"{row['source_l']}:{row['record_id_l']}"
    right = f"{row['source_r']}:{row['record_id_r']}"
    header = f"pair {row['pair_id']} ({row['reason']})"
    if not row.get("evidence"):
        return f"{header}\n  {left}  vs  {right}: match weight {row['match_weight']:+.2f}"
    evidence = PairEvidence.from_dict(json.loads(row["evidence"]))
    return f"{header}\n{evidence_in_words(evidence, left, right)}"


__all__ = ["GUARD_WORDS", "REVIEW_LIMIT", "REVIEW_SCHEMA", "build_review", "describe_pair"]
