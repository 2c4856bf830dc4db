"""Scoring: Splink's prediction over the frame, the guards, and the evidence for one pair.

:func:`score` writes ``scored``: every candidate pair at or above the review weight, with its
match weight and probability, the comparison levels (``gamma_*``) and the guard flags; pairs
sharing a strong identifier are rescored so that spelling alone does not outvote it
(:mod:`matching.identifier_backing`).
:func:`explain_pairs` re-scores chosen pairs (blocked or not) keeping Splink's intermediate
columns, and turns each into a :class:`PairEvidence`: the waterfall of match weights in words.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from matching.blocking import blocked_pairs_sql
from matching.engine import Engine
from matching.guards import guard_columns_sql, suffixed
from matching.identifier_backing import back_with_identifiers
from matching.model import MatchModel
from matching.standardise import COMPARED_COLUMNS_SQL

if TYPE_CHECKING:
    import pyarrow as pa

DISPLAY_COLUMNS: dict[str, str] = {
    "forename": "forename_std", "surname": "surname_std", "date_of_birth": "dob",
    "postcode": "postcode_std", "sex": "sex_std", "pnc": "pnc", "cro": "cro", "nhs": "nhs",
    "crn": "crn", "nomis": "nomis",
}  # fmt: skip
"""Per comparison, the frame column shown to a reviewer."""


def quiet_splink(*, training: bool = False) -> None:
    """Keep Splink's progress messages out of the hub's output (warnings still show, except
    in training, whose "level not observed" warnings the model file records instead)."""
    logging.getLogger("splink").setLevel(logging.ERROR if training else logging.WARNING)


def linker_for(
    engine: Engine, model: MatchModel, records: int, *, table: str = "frame", **overrides: Any
) -> Any:
    """A Splink linker over the engine's ``table`` (the ``frame`` of standardised records, or
    a part of it) with the model's parameters, its prior scaled to ``records``."""
    from splink import Linker

    quiet_splink()
    settings = engine.splink_settings(model.splink_settings(records))
    settings.update(overrides)
    frame = engine.splink_api().register(table)
    return Linker(frame, settings, log_level=None, validate_settings=False)


def scoring_linker(engine: Engine, model: MatchModel, records: int, table: str) -> Any:
    """A linker that scores given candidate pairs of ``table`` (records with the frame columns
    comparisons read, :data:`~matching.standardise.COMPARED_COLUMNS_SQL`): the pairs are made by
    :mod:`matching.blocking`, so Splink is given no blocking rule (nor their columns)."""
    return linker_for(engine, model, records, table=table,
                      blocking_rules_to_generate_predictions=[])  # fmt: skip


def gamma_columns(model: MatchModel) -> list[str]:
    """The comparison-level columns of the model's predictions."""
    return [f"gamma_{c['output_column_name']}" for c in model.splink["comparisons"]]


def prediction_chunks(records: int, chunk_records: int) -> int:
    """How many chunks prediction splits ``records`` into (one up to ``chunk_records``)."""
    return max(1, math.ceil(records / chunk_records))


def score(
    engine: Engine, model: MatchModel, records: int, review_weight: float, *,
    chunk_records: int = 1_000_000,
) -> int:  # fmt: skip
    """Score every candidate pair; keep those at or above ``review_weight`` in ``scored``.

    The candidate pairs (their ids only) are made once (:mod:`matching.blocking`), then scored
    a share of left-hand records at a time (one share up to ``chunk_records`` records), so the
    engine never holds every compared pair with its values at once.
    """
    columns = scored_columns_sql(model)
    chunks = prediction_chunks(records, chunk_records)
    engine.execute(
        f"CREATE OR REPLACE VIEW frame_compared AS SELECT {COMPARED_COLUMNS_SQL} FROM frame"
    )
    linker = scoring_linker(engine, model, records, "frame_compared")
    engine.create_table("blocked_pairs", blocked_pairs_sql(model.blocking_rules))
    try:
        for chunk in range(chunks):
            share = f" WHERE join_key_l % {chunks} = {chunk}" if chunks > 1 else ""
            engine.create_table("blocked_chunk", f"SELECT * FROM blocked_pairs{share}")
            predictions = predict_pairs(engine, linker, "blocked_chunk", threshold=review_weight)
            chosen = f"SELECT {columns} FROM {engine.physical_name(predictions)}"
            if chunk == 0:
                engine.create_table("scored", chosen)
            else:
                engine.execute(f"INSERT INTO scored {chosen}")
            predictions.drop_table_from_database_and_remove_from_cache()
    finally:
        engine.execute("DROP TABLE IF EXISTS blocked_pairs")

    def predict_blocked_by(rules: list[dict[str, str]]) -> list[Any]:
        engine.create_table(
            "identifier_pairs", blocked_pairs_sql([rule["blocking_rule"] for rule in rules])
        )
        return [predict_pairs(engine, linker, "identifier_pairs")]

    back_with_identifiers(engine, linker._settings_obj, predict_blocked_by, columns, review_weight)
    return int(engine.scalar("SELECT count(*) FROM scored"))


def predict_pairs(
    engine: Engine, linker: Any, table: str, *, threshold: float | None = None
) -> Any:
    """Score exactly the candidate pairs in ``table`` (Splink's blocked-pairs form: match_key,
    join_key_l, join_key_r) with ``linker``; returns Splink's predictions. The table is dropped
    after: Splink's cache belongs to the session, and a later prediction must not find it."""
    registered = linker.table_management.register_blocked_pairs_for_predict(
        engine.splink_api().register(table)
    )
    try:
        return linker.inference.predict(threshold_match_weight=threshold, warning_mode="never")
    finally:
        registered.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)


def scored_columns_sql(model: MatchModel) -> str:
    """The SELECT list turning a prediction into a ``scored`` row (ids in order)."""
    return (
        "least(unique_id_l, unique_id_r) AS unique_id_l, "
        "greatest(unique_id_l, unique_id_r) AS unique_id_r, match_weight, match_probability, "
        f"{', '.join(gamma_columns(model))}, {guard_columns_sql(suffixed)}"
    )


@dataclass(frozen=True)
class Step:
    """One comparison's contribution to a pair's match weight."""

    comparison: str
    level: str
    value_l: str
    value_r: str
    weight: float
    """log2 Bayes factor of the level (negative: evidence against)."""
    frequency_weight: float = 0.0
    """Term-frequency adjustment: a common value counts less, a rare one more."""


@dataclass(frozen=True)
class PairEvidence:
    """A pair's score, comparison by comparison, and the guards it trips."""

    unique_id_l: int
    unique_id_r: int
    prior_weight: float
    match_weight: float
    match_probability: float
    steps: list[Step] = field(default_factory=list)
    guards: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "unique_id_l": self.unique_id_l, "unique_id_r": self.unique_id_r,
            "match_weight": self.match_weight, "match_probability": self.match_probability,
            "prior_weight": self.prior_weight, "guards": self.guards,
            "steps": [step.__dict__ for step in self.steps],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PairEvidence:
        """Inverse of :meth:`as_dict`."""
        return cls(
            int(data["unique_id_l"]), int(data["unique_id_r"]), float(data["prior_weight"]),
            float(data["match_weight"]), float(data["match_probability"]),
            [Step(**step) for step in data["steps"]], list(data["guards"]),
        )  # fmt: skip


GUARD_WORDS: dict[str, str] = {
    "id_conflict": "the records carry different valid identifiers (PNC, CRO or NHS number)",
    "twins": "likely twins: same surname, dates of birth that can be one day, different forenames",
    "generation": "dates of birth three or more years apart (a different generation)",
    "dob_conflict": "dates of birth further apart than one keying slip",
}


def explain_pairs(
    engine: Engine, model: MatchModel, records: int, pairs: pa.Table
) -> list[PairEvidence]:
    """Evidence for each (unique_id_l, unique_id_r) in ``pairs`` (unique_id_l < unique_id_r)."""
    from splink.internals.misc import prob_to_bayes_factor

    if pairs.num_rows == 0:
        return []
    engine.register_arrow("explain_pairs_arrow", pairs)
    engine.create_table(
        "explain_blocked",
        "SELECT '0' AS match_key, unique_id_l AS join_key_l, unique_id_r AS join_key_r "
        "FROM explain_pairs_arrow",
    )
    linker = linker_for(engine, model, records, retain_intermediate_calculation_columns=True)
    predictions = predict_pairs(engine, linker, "explain_blocked")
    rows = engine.to_arrow(
        f"SELECT *, {guard_columns_sql(suffixed)} FROM {engine.physical_name(predictions)} "
        "ORDER BY unique_id_l, unique_id_r"
    ).to_pylist()
    predictions.drop_table_from_database_and_remove_from_cache()
    settings = linker._settings_obj
    prior = math.log2(prob_to_bayes_factor(settings._probability_two_random_records_match))
    levels: dict[tuple[int, int], tuple[str, float, bool]] = {}
    inputs: dict[int, tuple[list[str], list[str]]] = {}
    evidence = []
    for row in rows:
        steps: list[Step] = []
        for number, comparison in enumerate(settings.comparisons):
            gamma = row[comparison._gamma_column_name]
            level = levels.get((number, gamma))
            if level is None:  # each level described once (Splink's waterfall re-parses per pair)
                found = comparison._get_comparison_level_by_comparison_vector_value(gamma)
                level = levels[number, gamma] = (
                    str(found._label_for_charts_no_duplicates(comparison.comparison_levels)),
                    _finite(found._log2_bayes_factor), found._has_tf_adjustments,
                )  # fmt: skip
            label, weight, has_tf = level
            name = comparison.output_column_name
            column = DISPLAY_COLUMNS.get(name)
            if column:
                value_l, value_r = _show(row.get(f"{column}_l")), _show(row.get(f"{column}_r"))
            else:
                if number not in inputs:
                    used = comparison._input_columns_used_by_case_statement
                    inputs[number] = ([c.unquote().name_l for c in used],
                                      [c.unquote().name_r for c in used])  # fmt: skip
                value_l = ", ".join(str(row[c]) for c in inputs[number][0])
                value_r = ", ".join(str(row[c]) for c in inputs[number][1])
            frequency = row[comparison._mw_tf_adj_column_name] if has_tf else None
            steps.append(Step(name, label, value_l, value_r, weight,
                              float(frequency) if frequency else 0.0))  # fmt: skip
        evidence.append(PairEvidence(
            int(row["unique_id_l"]), int(row["unique_id_r"]), prior,
            float(row["match_weight"]), float(row["match_probability"]), steps,
            [name for name in GUARD_WORDS if row[name]],
        ))  # fmt: skip
    return evidence


def _show(value: Any) -> str:
    return "(missing)" if value is None else str(value)


def _finite(value: Any) -> float:
    number = float(value) if value is not None else 0.0
    return number if math.isfinite(number) else 0.0


def evidence_in_words(evidence: PairEvidence, left: str, right: str) -> str:
    """The waterfall as text: one line per comparison, then the total and any guard."""
    lines = [f"{left}  vs  {right}"]
    width = max([len(s.comparison) for s in evidence.steps] + [14])
    lines.append(f"  {'start (prior)':<{width}}  {'':<44} {evidence.prior_weight:+7.2f}")
    for step in evidence.steps:
        if step.value_l == step.value_r == "(missing)":
            continue
        if step.level == "missing on either side":
            shown = f"{step.value_l} / {step.value_r}"
            lines.append(f"  {step.comparison:<{width}}  {'missing: no evidence':<44} "
                         f"{0:+7.2f}   ({shown})")  # fmt: skip
            continue
        total = step.weight + step.frequency_weight
        note = ""
        if step.frequency_weight:
            kind = "common" if step.frequency_weight < 0 else "rare"
            note = f"  [{kind} value {step.frequency_weight:+.2f}]"
        lines.append(f"  {step.comparison:<{width}}  {step.level[:44]:<44} {total:+7.2f}   "
                     f"({step.value_l} / {step.value_r}){note}")  # fmt: skip
    lines.append(f"  {'match weight':<{width}}  {'':<44} {evidence.match_weight:+7.2f}   "
                 f"probability {evidence.match_probability:.6f}")  # fmt: skip
    for guard in evidence.guards:
        lines.append(f"  not linked automatically: {GUARD_WORDS[guard]}")
    return "\n".join(lines)
