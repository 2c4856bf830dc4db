"""Incremental matching: a nightly run that scores and re-clusters only what changed.

A full run scores every candidate pair and clusters every record. It keeps, next to its
outputs, what a later run needs to redo only part of that work (:class:`LastRun` and the files
of :class:`~matching.outputs.MatchOutputs`): the standardised frame, the scored pairs, each
record's component and cluster, and the term frequencies of the names.

An incremental run then:

1. standardises every current record (the ``frame``), and sorts them into *unchanged* (same
   partner record id, same identity fields as last time) and *new or changed*;
2. keeps the last run's scored pairs between unchanged records, and scores only the pairs that
   touch a new or changed record: the blocking rules joined from those records to all the
   others give the pairs a full run would make with them (lower id first), and one Splink
   prediction scores them (the blocked pairs registered, so it reads only their records),
   with the term frequencies and the prior of the last full run frozen, so old and new scores
   are on one scale; the pairs sharing a strong identifier are backed from the same scores;
3. re-clusters only the *touched* components: those of the last run holding a new, changed
   or deleted record, a record a reviewer decided on, or a record a new link reaches; every
   other record keeps its cluster.

What differs from a full re-match is only the drift of the frame's whole-population facts
(name frequencies, which names are established) since the last full run; a full run every
``full_every_days`` days (or ``iomhub run --full``) resets it.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from matching.blocking import changed_pairs_sql
from matching.engine import Engine
from matching.identifier_backing import back_with_identifiers, identifier_rules
from matching.model import MatchModel
from matching.outputs import MatchOutputs
from matching.score import linker_for, predict_pairs, scored_columns_sql, scoring_linker
from matching.standardise import COMPARED_COLUMNS_SQL

if TYPE_CHECKING:
    from matching.config import IncrementalConfig

IDENTITY_COLUMNS: tuple[str, ...] = (
    "forename_std", "middle_std", "surname_std", "dob", "dob_text", "sex_std",
    "postcode_std", "address_key", "pnc", "cro", "nhs", "crn", "nomis",
)  # fmt: skip
"""Frame columns that depend on the record alone: a record whose values all stay is unchanged."""


@dataclass(frozen=True)
class LastRun:
    """What the last run kept for an incremental one (``incremental.json``)."""

    full_run_on: str
    """Day (ISO, UTC) of the last full run, whose prior and term frequencies are frozen."""
    full_run_records: int
    model_version: str
    link_weight: float
    review_weight: float

    def save(self, outputs: MatchOutputs) -> None:
        """Write next to the outputs (``outputs`` may be the run's incoming folder)."""
        outputs.last_run.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, outputs: MatchOutputs) -> LastRun | None:
        """The last run's record, or None when there is none (or it cannot be read)."""
        try:
            data: dict[str, Any] = json.loads(outputs.last_run.read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return None


def today() -> str:
    """Today's date (UTC), ISO."""
    return datetime.datetime.now(datetime.UTC).date().isoformat()


def usable_last_run(
    outputs: MatchOutputs, config: IncrementalConfig, model: MatchModel, link_weight: float,
    review_weight: float, *, full: bool, on: str | None = None,
) -> LastRun | None:  # fmt: skip
    """The last run to build on, or None when this run must be full.

    Full when asked, when incremental runs are off, when the last run kept nothing usable,
    when the model or the thresholds changed, or when the last full run is
    ``full_every_days`` days old or more.
    """
    if full or not config.enabled:
        return None
    last = LastRun.load(outputs)
    if last is None or not all(path.exists() for path in outputs.incremental_files()):
        return None
    if (last.model_version, last.link_weight, last.review_weight) != (
        model.version, link_weight, review_weight,
    ):  # fmt: skip
        return None
    age = datetime.date.fromisoformat(on or today()) - datetime.date.fromisoformat(last.full_run_on)
    return None if age.days >= config.full_every_days else last


def _fingerprint_sql() -> str:
    return f"hash({', '.join(IDENTITY_COLUMNS)})"


def clusters_sql() -> str:
    """Each record's component and cluster, with its key and fingerprint, and whether a
    reviewer's decision named it (``clusters.parquet``): a decision withdrawn before the next
    run must touch its records' people as a new one does."""
    return f"""
        SELECT c.unique_id, f.source, f.source_record_id, {_fingerprint_sql()} AS fingerprint,
               c.component, c.cluster_key, c.joined_probability,
               c.unique_id IN (SELECT unique_id_l FROM decided UNION SELECT unique_id_r
                               FROM decided) AS decided
        FROM clusters c JOIN frame f USING (unique_id)
    """


def load_last_run(engine: Engine, outputs: MatchOutputs) -> int:
    """Load the last run's scored pairs and clusters; map its record numbers to this run's;
    write ``changed`` (this run's new or changed records) and ``gone`` (the last run's deleted
    or changed ones). Returns the number of new or changed records.

    Record numbers follow (source, source_record_id) in both runs, so the map keeps their
    order: the smallest number of a set of unchanged records stays its smallest.
    """
    engine.load_parquet("last_scored", [outputs.scored])
    engine.load_parquet("last_clusters", [outputs.clusters])
    engine.create_table("id_map", f"""
        SELECT o.unique_id AS last_id, n.unique_id
        FROM last_clusters o
        JOIN (SELECT unique_id, source, source_record_id, {_fingerprint_sql()} AS fingerprint
              FROM frame) n USING (source, source_record_id, fingerprint)
    """)  # fmt: skip
    engine.create_table("changed", "SELECT unique_id FROM frame ANTI JOIN id_map USING (unique_id)")
    engine.create_table("gone", """
        SELECT unique_id AS last_id FROM last_clusters
        ANTI JOIN id_map ON id_map.last_id = last_clusters.unique_id
    """)  # fmt: skip
    return int(engine.scalar("SELECT count(*) FROM changed"))


def _rules_cover(model: MatchModel, rules: list[dict[str, str]]) -> bool:
    """Whether the model's blocking rules include each of ``rules`` (so its candidate pairs
    hold every pair those rules find)."""
    own = set(model.blocking_rules)
    return all(rule["blocking_rule"] in own for rule in rules)


def score_changed(
    engine: Engine, model: MatchModel, last: LastRun, outputs: MatchOutputs,
    review_weight: float,
) -> int:  # fmt: skip
    """Write ``scored``: the last run's pairs between unchanged records (renumbered) and the
    pairs touching a new or changed record, scored now with the last full run's prior and
    term frequencies. Writes ``new_pairs`` (the latter). Returns the pairs in ``scored``."""
    linker = linker_for(engine, model, last.full_run_records)
    api = engine.splink_api()
    engine.load_parquet("last_term_frequencies", [outputs.term_frequencies])
    for column in linker._settings_obj._term_frequency_columns:
        name = column.unquote().name
        engine.create_table(f"frozen_tf_{name}", f"""
            SELECT value AS {name}, frequency AS tf_{name}
            FROM last_term_frequencies WHERE column_name = '{name}'
        """)  # fmt: skip
        linker.table_management.register_term_frequency_lookup(
            api.register(f"frozen_tf_{name}"), name
        )
    engine.create_table("frame_changed", "SELECT * FROM frame SEMI JOIN changed USING (unique_id)")
    columns = scored_columns_sql(model)
    any_changed = bool(engine.scalar("SELECT count(*) FROM frame_changed"))

    def predict_changed(rules: list[dict[str, str]] | None = None) -> list[Any]:
        """Score the pairs ``rules`` (the model's by default) make with a new or changed
        record; one Splink prediction over the pairs, reading only their records."""
        if not any_changed:
            return []
        texts = [rule["blocking_rule"] for rule in rules] if rules else model.blocking_rules
        engine.create_table("changed_pairs", changed_pairs_sql(texts))
        engine.create_table("paired_records", f"""
            SELECT {COMPARED_COLUMNS_SQL} FROM frame
            SEMI JOIN (SELECT join_key_l AS unique_id FROM changed_pairs
                       UNION ALL SELECT join_key_r FROM changed_pairs) USING (unique_id)
        """)  # fmt: skip
        # a linker over the paired records only (the frozen frequencies are the session's)
        scorer = scoring_linker(engine, model, last.full_run_records, "paired_records")
        return [predict_pairs(engine, scorer, "changed_pairs")]

    # Every candidate pair of a new or changed record, scored once: those at the review weight
    # are this night's pairs, and those sharing a strong identifier are backed from the same
    # scores (the model's rules pair every record sharing one, so nothing is missed).
    parts = predict_changed()
    selects = [f"SELECT {columns} FROM {engine.physical_name(p)} "
               f"WHERE match_weight >= {float(review_weight)}" for p in parts]  # fmt: skip
    engine.create_table(
        "new_pairs",
        " UNION ALL ".join(selects)
        if selects
        else "SELECT * EXCLUDE (ambiguous) FROM last_scored LIMIT 0",
    )
    engine.create_table("kept_pairs", """
        SELECT ml.unique_id AS unique_id_l, mr.unique_id AS unique_id_r,
               s.* EXCLUDE (unique_id_l, unique_id_r)
        FROM last_scored s
        JOIN id_map ml ON ml.last_id = s.unique_id_l
        JOIN id_map mr ON mr.last_id = s.unique_id_r
    """)  # fmt: skip
    engine.create_table("last_ambiguous", """
        SELECT unique_id_l, unique_id_r FROM kept_pairs WHERE ambiguous
    """)  # fmt: skip
    engine.create_table("scored_kept", "SELECT * EXCLUDE (ambiguous) FROM kept_pairs")
    engine.execute("DROP TABLE kept_pairs")
    engine.create_table("scored", "SELECT * FROM new_pairs")
    covered = _rules_cover(model, identifier_rules())

    def scored_once(rules: list[dict[str, str]]) -> list[Any]:
        return parts if covered else predict_changed(rules)

    back_with_identifiers(engine, linker._settings_obj, scored_once, columns, review_weight)
    if not covered:
        for part in parts:
            part.drop_table_from_database_and_remove_from_cache()
    engine.create_table("new_pairs", "SELECT * FROM scored")
    engine.create_table("scored", """
        SELECT * FROM scored_kept UNION ALL BY NAME SELECT * FROM new_pairs
    """)  # fmt: skip
    engine.execute("DROP TABLE scored_kept")
    return int(engine.scalar("SELECT count(*) FROM scored"))


def mark_kept_clusters(engine: Engine) -> int:
    """Write ``kept``: records whose last cluster stands (unique_id, component, cluster_key,
    joined_probability, in this run's numbers). Reads ``links`` (built from the new ``scored``).

    A last component is touched when it holds a new, changed or deleted record, a record in a
    reviewer's decision (made now, or at the last run and since withdrawn), or a record a new
    link reaches; every record of an untouched one is kept. Returns the number of records kept.
    """
    engine.create_table("touched_last_ids", """
        SELECT last_id FROM gone
        UNION SELECT unique_id FROM last_clusters WHERE decided
        UNION SELECT m.last_id FROM id_map m JOIN decided d
            ON m.unique_id = d.unique_id_l OR m.unique_id = d.unique_id_r
        UNION SELECT m.last_id FROM id_map m JOIN (
            SELECT n.unique_id_l AS unique_id FROM new_pairs n
            SEMI JOIN links k USING (unique_id_l, unique_id_r)
            UNION SELECT n.unique_id_r FROM new_pairs n
            SEMI JOIN links k USING (unique_id_l, unique_id_r)
        ) e USING (unique_id)
    """)  # fmt: skip
    engine.create_table("kept", """
        WITH touched AS (
            SELECT DISTINCT c.component FROM last_clusters c
            JOIN touched_last_ids t ON t.last_id = c.unique_id
        )
        SELECT m.unique_id, mc.unique_id AS component, mk.unique_id AS cluster_key,
               c.joined_probability
        FROM last_clusters c
        JOIN id_map m ON m.last_id = c.unique_id
        JOIN id_map mc ON mc.last_id = c.component
        JOIN id_map mk ON mk.last_id = c.cluster_key
        ANTI JOIN touched t ON t.component = c.component
    """)  # fmt: skip
    return int(engine.scalar("SELECT count(*) FROM kept"))


SCORED_SQL = """
    SELECT s.*, a.unique_id_l IS NOT NULL AS ambiguous
    FROM scored s LEFT JOIN ambiguous a USING (unique_id_l, unique_id_r)
"""
"""The scored pairs as kept for the next run (``scored.parquet``), each marked when its link
was dropped as ambiguous (the review list names them so)."""


def write_term_frequencies(engine: Engine, model: MatchModel, records: int, path: Any) -> None:
    """Write the term frequencies of this (full) run's frame: column_name, value, frequency."""
    linker = linker_for(engine, model, records)
    selects = []
    for column in linker._settings_obj._term_frequency_columns:
        name = column.unquote().name
        table = linker.table_management.compute_tf_table(name)
        selects.append(
            f"SELECT '{name}' AS column_name, CAST({name} AS VARCHAR) AS value, "
            f"tf_{name} AS frequency FROM {engine.physical_name(table)}"
        )
    engine.write_parquet(" UNION ALL ".join(selects), path)


def carry_over(source: MatchOutputs, target: MatchOutputs) -> None:
    """Copy the frozen term frequencies of the last full run into this run's outputs."""
    import shutil

    shutil.copyfile(source.term_frequencies, target.term_frequencies)
