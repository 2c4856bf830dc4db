"""Training: estimate the model's parameters from a workspace's own records.

1. The share of matching pairs, from near-certain rules (same valid PNC or NHS number; same
   full name and full date of birth) with an assumed recall, kept as matches per record.
2. u probabilities (how often levels occur between different people) by random sampling.
3. m probabilities (how often levels occur for the same person) by expectation maximisation on
   two blocking rules, each leaving the other's comparisons free to be estimated.
4. Levels too rare to estimate get conservative defaults: u at the sampling floor, m small.

Training is capped (``max_pairs``) and slow next to prediction; runs reuse the saved model.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from matching.engine import Engine
from matching.model import (
    DEFAULT_LINK_WEIGHT,
    DEFAULT_REVIEW_WEIGHT,
    IDENTIFIER_COMPARISONS,
    SWAPPED_LABEL,
    MatchModel,
    settings,
)
from matching.score import quiet_splink

DETERMINISTIC_RULES: tuple[str, ...] = (
    "l.pnc = r.pnc",
    "l.nhs = r.nhs",
    "l.forename_std = r.forename_std AND l.surname_std = r.surname_std AND l.dob_full = r.dob_full",
)
DETERMINISTIC_RECALL = 0.7
EM_RULES: tuple[str, ...] = (
    "l.dob = r.dob AND l.postcode_std = r.postcode_std",
    "l.forename_std = r.forename_std AND l.surname_std = r.surname_std",
)
"""Each rule leaves the other's comparisons free: names are estimated under the first, date of
birth and postcode under the second (the name comparisons read both name columns)."""
M_FLOOR = 1e-3
"""No level's m is taken below this: data errors make any disagreement possible for one person,
so no single disagreement may weigh more than about -10."""
MAX_WEIGHT = 20.0
"""No level weighs more than this (a level seen in matches but never in the random sample)."""
IDENTIFIER_FALLBACK = {"same": (0.9, 1e-6), "different": (0.02, 1.0)}
"""m and u of identifier levels the training data could not show (e.g. no CRO numbers)."""


def train(
    engine: Engine, records: int, *, version: str | None = None, max_pairs: float = 5e6,
    seed: int = 7, link_weight: float = DEFAULT_LINK_WEIGHT,
    review_weight: float = DEFAULT_REVIEW_WEIGHT,
) -> MatchModel:  # fmt: skip
    """Train a model on the engine's ``frame`` table of ``records`` records."""
    from splink import Linker

    quiet_splink(training=True)
    frame = engine.splink_api().register("frame")
    linker = Linker(frame, settings(), log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        list(DETERMINISTIC_RULES), recall=DETERMINISTIC_RECALL
    )
    prior = linker._settings_obj._probability_two_random_records_match
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in EM_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    splink_settings = linker.misc.save_model_to_json()
    filled = _fill_unestimated(splink_settings, max_pairs, IDENTIFIER_COMPARISONS)
    _swapped_as_exact(splink_settings)
    now = datetime.datetime.now(datetime.UTC)
    return MatchModel(
        version=version or now.strftime("%Y.%m.%d-%H%M%S"),
        splink=_strip_run_specific(splink_settings),
        matches_per_record=prior * (records - 1),
        link_weight=link_weight,
        review_weight=review_weight,
        trained_at=now.isoformat(timespec="seconds"),
        training={"records": records, "max_pairs": max_pairs, "seed": seed,
                  "em_rules": list(EM_RULES), "deterministic_rules": list(DETERMINISTIC_RULES),
                  "deterministic_recall": DETERMINISTIC_RECALL,
                  "levels_not_estimated": filled},
    )  # fmt: skip


def _fill_unestimated(
    splink_settings: dict[str, Any], max_pairs: float, identifiers: tuple[str, ...]
) -> list[str]:
    """Give levels without estimates safe values, and bound every weight; return the levels
    that had no estimate ("comparison: level").

    An identifier level never seen in training takes :data:`IDENTIFIER_FALLBACK`; any other
    level without an m is made neutral (m = u, weight 0), never a guess in favour of a match.
    Weights are bounded: m from below by :data:`M_FLOOR` (or by u, where u is smaller, so the
    bound never turns a level seen in no match into evidence for one), m/u from above by
    2**MAX_WEIGHT.
    """
    u_floor = 0.5 / max_pairs
    filled = []
    for comparison in splink_settings["comparisons"]:
        name = comparison["output_column_name"]
        is_identifier = name in identifiers
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            if not (_known(m) and _known(u)):
                filled.append(f"{name}: {level.get('label_for_charts')}")
            if is_identifier and not (_known(m) and _known(u)):
                kind = "different" if level["sql_condition"] == "ELSE" else "same"
                m, u = IDENTIFIER_FALLBACK[kind]
            u = max(float(u), u_floor) if _known(u) else u_floor
            m = max(float(m), min(M_FLOOR, u)) if _known(m) else u
            level["u_probability"] = u
            level["m_probability"] = min(m, u * 2**MAX_WEIGHT)
    return filled


def _swapped_as_exact(splink_settings: dict[str, Any]) -> None:
    """Give the swapped-names level of each name comparison the m and u of its exact level.

    Estimated on its own, the level's u is near zero (random people are almost never each
    other's name swapped), so a swap of two common names would outweigh the same two names in
    the right order; and the forename and surname comparisons would each count the one swap.
    """
    for comparison in splink_settings["comparisons"]:
        levels = comparison["comparison_levels"]
        swapped = [level for level in levels if level.get("label_for_charts") == SWAPPED_LABEL]
        exact = [level for level in levels if level.get("tf_adjustment_column")
                 and level.get("label_for_charts") != SWAPPED_LABEL]  # fmt: skip
        if swapped and exact:
            swapped[0]["m_probability"] = exact[0]["m_probability"]
            swapped[0]["u_probability"] = exact[0]["u_probability"]


def _known(value: Any) -> bool:
    """Estimated (a zero is an estimate; None or NaN is not)."""
    return value is not None and math.isfinite(value) and value >= 0


def _strip_run_specific(splink_settings: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(splink_settings)
    cleaned.pop("linker_uid", None)
    return cleaned
