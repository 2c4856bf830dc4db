"""One matching run: current records in, people out.

Reads the canonical staging files of every feed's current extract; standardises; scores with
the pinned model; clusters conservatively with reviewers' decisions applied; reconciles with
the registry so people keep their ids; writes, under the output folder:

- ``record_links.parquet``: source, source_record_id, extract_id, person_id, match_probability
- ``persons.parquet``: one row per person, every view field with the feed it came from
- ``review.parquet``: the review list with each pair's evidence
- ``frame.parquet``: the standardised records (for ``iomhub match explain``)
- ``report.html``: the match report; ``run.json``: the run's counts
- ``scored.parquet``, ``clusters.parquet``, ``term_frequencies.parquet``, ``incremental.json``:
  what the next run builds on when it is incremental (:mod:`matching.incremental`)

Outputs are written to a temporary folder first; the registry is committed; then each file is
moved into place, so a crash leaves either the last good outputs or the new ones.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from matching.cluster import cluster_records
from matching.config import MatchingConfig
from matching.engine import Engine, open_engine
from matching.errors import MatchingError
from matching.incremental import (
    SCORED_SQL,
    LastRun,
    carry_over,
    clusters_sql,
    load_last_run,
    score_changed,
    today,
    usable_last_run,
    write_term_frequencies,
)
from matching.model import MatchModel
from matching.outputs import MatchOutputs
from matching.registry import EMPTY_SNAPSHOT_SQL, SNAPSHOT_COLUMNS, PersonRegistry, snapshot_sql
from matching.report import ReportData, render_report
from matching.review import build_review
from matching.score import linker_for, score
from matching.standardise import build_frame, duplicate_records
from matching.survivorship import persons_sql
from schemas.duckdb_session import DuckDBSettings


@dataclass
class MatchCounts:
    """What a run did: for the console, the run summary and the audit log (ids and counts only)."""

    run_id: str
    model_version: str
    records: int = 0
    duplicate_records: int = 0
    """Rows repeating a partner record id already seen in the feed (matched once)."""
    persons: int = 0
    persons_with_links: int = 0
    links: int = 0
    scored_pairs: int = 0
    created: int = 0
    merges: int = 0
    splits: int = 0
    retired: int = 0
    review_pairs: int = 0
    decisions_applied: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: bool = False
    """True when nothing changed since the last run and these are its counts."""
    mode: str = "full"
    """"full" (every pair scored) or "incremental" (only pairs touching changed records)."""
    changed_records: int = 0
    """Records new or changed since the last run (incremental runs)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchCounts:
        """Counts read back from ``run.json`` (unknown keys ignored)."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


@dataclass(frozen=True)
class MatchPaths:
    """Where a run reads and writes."""

    output_dir: Path
    registry: Path
    tmp_dir: Path

    @property
    def outputs(self) -> MatchOutputs:
        """The run's outputs, in place."""
        return MatchOutputs(self.output_dir)


Progress = Callable[[str], None]


def run_matching(
    staging_files: Sequence[Path], paths: MatchPaths, *, model: MatchModel,
    config: MatchingConfig, run_id: str, progress: Progress | None = None, full: bool = False,
) -> MatchCounts:  # fmt: skip
    """Match the records of ``staging_files`` and write the outputs; return the counts.

    The run builds on the last one (incremental) when the settings allow it, unless ``full``.
    """
    if not staging_files:
        raise MatchingError("no ingested extracts to match", hint="run ingest first")
    say = progress or (lambda _message: None)
    link_weight = config.link_weight if config.link_weight is not None else model.link_weight
    review_weight = min(link_weight, config.review_weight if config.review_weight is not None
                        else model.review_weight)  # fmt: skip
    counts = MatchCounts(run_id, model.version)
    last = usable_last_run(paths.outputs, config.incremental, model, link_weight, review_weight,
                           full=full)  # fmt: skip
    incoming = MatchOutputs(paths.output_dir / f".incoming-{run_id}")
    shutil.rmtree(incoming.root, ignore_errors=True)
    incoming.root.mkdir(parents=True)
    spill = paths.tmp_dir / f"duckdb-{run_id}"
    engine = open_engine(config.engine, spill)
    try:
        with PersonRegistry(paths.registry) as registry:
            timer = _Timer(counts)
            say(f"standardising the records of {len(staging_files)} extract(s)")
            counts.records = build_frame(engine, staging_files)
            counts.duplicate_records = duplicate_records(engine)
            timer.lap("standardise")
            say(f"{counts.records:,} records standardised")
            counts.decisions_applied = _load_decisions(engine, registry)
            if last is None:
                say("scoring candidate pairs")
                chunk = config.engine.predict_chunk_records
                counts.scored_pairs = score(engine, model, counts.records, review_weight,
                                            chunk_records=chunk)  # fmt: skip
            else:
                counts.mode = "incremental"
                counts.changed_records = load_last_run(engine, paths.outputs)
                say(f"{counts.changed_records:,} new or changed records; scoring their pairs")
                counts.scored_pairs = score_changed(engine, model, last, paths.outputs,
                                                    review_weight)  # fmt: skip
            timer.lap("predict")
            say(f"{counts.scored_pairs:,} pairs scored; clustering")
            stats = cluster_records(engine, link_weight, keep_last=last is not None)
            timer.lap("cluster")
            counts.links = stats.links
            say(f"{counts.links:,} links; reconciling person ids")
            result = _reconcile(
                engine, registry, counts, config.engine.session(spill / "reconcile")
            )
            timer.lap("reconcile")
            say("building the review list")
            review = build_review(engine, model, counts.records, link_weight)
            counts.review_pairs = review.num_rows
            timer.lap("review")
            say(f"{counts.persons:,} people from {counts.records:,} records; "
                f"{counts.review_pairs:,} pairs for review")  # fmt: skip
            say("writing the matched view and report")
            _write_outputs(engine, incoming, review, config)
            report = _report_data(engine, model, counts, link_weight, review_weight, review)
            incoming.report.write_text(render_report(report), encoding="utf-8")
            _write_state(engine, model, paths.outputs, incoming, last,
                         LastRun(today(), counts.records, model.version, link_weight,
                                 review_weight))  # fmt: skip
            timer.lap("write")
            incoming.run_record.write_text(json.dumps(counts.as_dict(), indent=2) + "\n")
            snapshot = incoming.root / "assignment.parquet"
            engine.write_parquet(result["snapshot"], snapshot)
            registry.commit(run_id, result["reconciliation"], snapshot,
                            counts.as_dict(), model.version)  # fmt: skip
        for made, final in zip(incoming.files(), paths.outputs.files(), strict=True):
            os.replace(made, final)
        return counts
    finally:
        engine.close()
        shutil.rmtree(incoming.root, ignore_errors=True)
        shutil.rmtree(spill, ignore_errors=True)


class _Timer:
    def __init__(self, counts: MatchCounts) -> None:
        self.counts = counts
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.counts.seconds[name] = round(now - self.last, 3)
        self.last = now


def _load_decisions(engine: Engine, registry: PersonRegistry) -> int:
    engine.register_arrow("decisions_arrow", registry.decisions_table())
    engine.create_table("decided", """
        SELECT least(l.unique_id, r.unique_id) AS unique_id_l,
               greatest(l.unique_id, r.unique_id) AS unique_id_r, d.same
        FROM decisions_arrow d
        JOIN frame l ON l.source = d.source_l AND l.source_record_id = d.record_l
        JOIN frame r ON r.source = d.source_r AND r.source_record_id = d.record_r
    """)  # fmt: skip
    return int(engine.scalar("SELECT count(*) FROM decided"))


def _reconcile(
    engine: Engine, registry: PersonRegistry, counts: MatchCounts, session: DuckDBSettings,
) -> dict[str, Any]:  # fmt: skip
    snapshot = registry.assignment_snapshot()
    if snapshot is None:
        engine.create_table("previous", EMPTY_SNAPSHOT_SQL)
    else:
        engine.load_parquet("previous_snapshot", [snapshot])
        engine.create_table("previous", f"SELECT {', '.join(SNAPSHOT_COLUMNS)} "
                                        "FROM previous_snapshot")  # fmt: skip
    engine.create_table("current_records", """
        SELECT f.source, f.source_record_id, f.extract_id, c.cluster_key, c.joined_probability
        FROM frame f JOIN clusters c USING (unique_id)
    """)  # fmt: skip
    overlap = engine.to_arrow("""
        SELECT c.cluster_key, p.person_id, count(*) AS shared
        FROM current_records c JOIN previous p USING (source, source_record_id)
        GROUP BY ALL
    """)  # fmt: skip
    cluster_keys = engine.to_arrow("SELECT DISTINCT cluster_key FROM current_records")
    result = registry.reconcile(overlap, cluster_keys.column(0), session=session)
    engine.register_arrow("assigned_arrow", result.table)
    engine.create_table("assignment", """
        SELECT c.source, c.source_record_id, c.extract_id, a.person_id,
               c.joined_probability AS match_probability
        FROM current_records c JOIN assigned_arrow a USING (cluster_key)
    """)  # fmt: skip
    counts.persons = result.table.num_rows
    counts.persons_with_links = int(engine.scalar(
        "SELECT count(*) FROM (SELECT person_id FROM assignment GROUP BY 1 HAVING count(*) > 1)"
    ))  # fmt: skip
    counts.created, counts.merges = result.created, result.merges
    counts.splits, counts.retired = result.splits, result.retired
    return {"reconciliation": result, "snapshot": snapshot_sql(counts.run_id)}


def _write_outputs(
    engine: Engine, outputs: MatchOutputs, review: pa.Table, config: MatchingConfig
) -> None:
    """Write the outputs; the bulk ones go from the engine straight to Parquet (never through
    Python), so memory stays within the engine's limit however many records there are."""
    import pyarrow.parquet as pq

    engine.write_parquet(
        "SELECT source, source_record_id, extract_id, person_id, "
        "CAST(match_probability AS DOUBLE) AS match_probability FROM assignment "
        "ORDER BY person_id, source, source_record_id",
        outputs.record_links,
    )
    engine.write_parquet(persons_sql("records", "assignment", config.survivorship),
                         outputs.persons)  # fmt: skip
    pq.write_table(review, outputs.review, compression="zstd")
    # Looked up by unique_id only ('iomhub match explain'): written unsorted.
    engine.write_parquet("SELECT * FROM frame", outputs.frame)


def _write_state(
    engine: Engine, model: MatchModel, outputs: MatchOutputs, incoming: MatchOutputs,
    last: LastRun | None, this_run: LastRun,
) -> None:  # fmt: skip
    """Keep what the next run needs to be incremental; a full run freezes its term
    frequencies and prior, an incremental run carries the last full run's forward."""
    engine.write_parquet(SCORED_SQL, incoming.scored)
    engine.write_parquet(clusters_sql(), incoming.clusters)
    if last is None:
        write_term_frequencies(engine, model, this_run.full_run_records,
                               incoming.term_frequencies)  # fmt: skip
        this_run.save(incoming)
    else:
        carry_over(outputs, incoming)
        last.save(incoming)


def _report_data(
    engine: Engine, model: MatchModel, counts: MatchCounts, link_weight: float,
    review_weight: float, review: pa.Table,
) -> ReportData:  # fmt: skip
    sizes = engine.to_arrow("""
        SELECT size, count(*) AS persons FROM (
            SELECT person_id, count(*) AS size FROM assignment GROUP BY 1
        ) GROUP BY 1 ORDER BY 1
    """).to_pylist()  # fmt: skip
    pairs = engine.to_arrow("""
        SELECT least(l.source, r.source) || ' - ' || greatest(l.source, r.source) AS feeds,
               count(*) AS links
        FROM links k
        JOIN frame l ON l.unique_id = k.unique_id_l JOIN frame r ON r.unique_id = k.unique_id_r
        JOIN clusters cl ON cl.unique_id = k.unique_id_l
        JOIN clusters cr ON cr.unique_id = k.unique_id_r
        WHERE cl.cluster_key = cr.cluster_key
        GROUP BY 1 ORDER BY 2 DESC
    """).to_pylist()  # fmt: skip
    histogram = engine.to_arrow("""
        SELECT floor(match_weight) AS bin, count(*) AS pairs FROM scored GROUP BY 1 ORDER BY 1
    """).to_pylist()  # fmt: skip
    by_source = {
        row["source"]: row["records"]
        for row in engine.to_arrow(
            "SELECT source, count(*) AS records FROM frame GROUP BY 1"
        ).to_pylist()
    }
    reasons: dict[str, int] = {}
    for reason in review.column("reason").to_pylist():
        reasons[reason] = reasons.get(reason, 0) + 1
    linker = linker_for(engine, model, counts.records)
    spec = linker.visualisations.match_weights_chart().chart_dict
    return ReportData(
        run_id=counts.run_id,
        generated_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        model_version=model.version, link_weight=link_weight, review_weight=review_weight,
        counts={k: v for k, v in counts.as_dict().items() if isinstance(v, int)},
        records_by_source=by_source, cluster_sizes=sizes, links_by_feed_pair=pairs,
        weight_histogram=histogram, review_by_reason=reasons, match_weights_spec=spec,
    )  # fmt: skip
