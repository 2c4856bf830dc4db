"""A plain Splink pipeline, the baseline the hub's matching is measured against.

What a careful newcomer would write from Splink's documentation: normalise (lower-case trimmed
names, dates, canonical postcode, PNC and NHS numbers as ingest gives them), the standard
comparison library with term frequencies on names and postcode, u by random sampling, EM on
two blocking rules, predict, and cluster with connected components at probability 0.95.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CLUSTER_PROBABILITY = 0.95

NORMALISE_SQL = """
SELECT
    CAST(row_number() OVER (ORDER BY source, source_record_id) AS BIGINT) AS unique_id,
    source, source_record_id,
    nullif(lower(trim(forename)), '') AS first_name,
    nullif(lower(trim(surname)), '') AS surname,
    date_of_birth AS dob,
    postcode_canonical AS postcode,
    pnc_id_canonical AS pnc,
    nhs_number_canonical AS nhs,
    CASE WHEN sex IN ('male', 'female') THEN sex END AS sex
FROM records
"""


def settings() -> Any:
    """Splink settings of the plain pipeline."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.PostcodeComparison("postcode").configure(term_frequency_adjustments=True),
            cl.ExactMatch("pnc"),
            cl.ExactMatch("nhs"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("pnc"),
            block_on("nhs"),
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode", "dob"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def build_frame(engine: Any, staging_files: list[Path]) -> int:
    """Normalise the staging files into ``plain_frame``; return the record count."""
    engine.load_parquet("records", staging_files)
    engine.create_table("plain_frame", NORMALISE_SQL)
    return int(engine.scalar("SELECT count(*) FROM plain_frame"))


def train(engine: Any, *, max_pairs: float = 5e6, seed: int = 7) -> dict[str, Any]:
    """Train the plain model on ``plain_frame``; return its Splink settings with m and u."""
    from splink import Linker, block_on

    linker = Linker(engine.splink_api().register("plain_frame"), settings(), log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in (block_on("first_name", "surname"), block_on("dob")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=max_pairs
        )
    return linker.misc.save_model_to_json()


def predict_and_cluster(engine: Any, model: dict[str, Any]) -> str:
    """Predict and cluster ``plain_frame``; return the clusters table (unique_id, cluster_id)."""
    from splink import Linker

    linker = Linker(engine.splink_api().register("plain_frame"), model, log_level=None)
    predictions = linker.inference.predict(threshold_match_probability=0.5, warning_mode="never")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=CLUSTER_PROBABILITY
    )
    engine.create_table(
        "plain_clusters",
        f"SELECT unique_id, cluster_id FROM {engine.physical_name(clusters)}",
    )
    return "plain_clusters"
