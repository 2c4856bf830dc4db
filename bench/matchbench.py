"""Shared helpers for the matching benchmarks: synthetic workspaces, truth, and scores.

Scores compare a clustering (record -> cluster) with the truth (record -> person):

- pairwise precision: of the record pairs put in one person, the share that are one person;
- pairwise recall: of the record pairs that are one person, the share put in one person;
- B-cubed precision/recall: per record, the share of its cluster that is its person (and of its
  person that is in its cluster), averaged over records.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Scores:
    """Pairwise and B-cubed scores of one clustering."""

    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    predicted_pairs: int
    true_pairs: int


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def score_clusters(con: Any, clusters: str, truth: str) -> Scores:
    """Scores of ``clusters`` (source, source_record_id, cluster) against ``truth``
    (source, source_record_id, person_id), both DuckDB tables or views on ``con``."""
    row = con.sql(f"""
        WITH j AS (
            SELECT c.cluster, t.person_id FROM {clusters} c
            JOIN {truth} t USING (source, source_record_id)
        ),
        ct AS (SELECT cluster, person_id, count(*) AS n FROM j GROUP BY ALL),
        c AS (SELECT cluster, count(*) AS n FROM j GROUP BY ALL),
        t AS (SELECT person_id, count(*) AS n FROM j GROUP BY ALL),
        b AS (
            SELECT sum(ct.n * ct.n / c.n) AS bp, sum(ct.n * ct.n / t.n) AS br
            FROM ct JOIN c USING (cluster) JOIN t USING (person_id)
        )
        SELECT (SELECT sum(n * (n - 1) / 2) FROM ct), (SELECT sum(n * (n - 1) / 2) FROM c),
               (SELECT sum(n * (n - 1) / 2) FROM t), (SELECT count(*) FROM j),
               (SELECT bp FROM b), (SELECT br FROM b)
    """).fetchall()[0]  # fmt: skip
    tp, predicted, true, records, bp, br = (float(x or 0) for x in row)
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    bcp, bcr = bp / records, br / records
    return Scores(precision, recall, _f1(precision, recall), bcp, bcr, _f1(bcp, bcr),
                  int(predicted), int(true))  # fmt: skip


@dataclass(frozen=True)
class PairRecall:
    """Recall over the true pairs between two sources (or within one)."""

    sources: str
    true_pairs: int
    found_pairs: int

    @property
    def recall(self) -> float:
        """Share of the true pairs put in one person."""
        return self.found_pairs / self.true_pairs if self.true_pairs else 1.0


def recall_by_source_pair(con: Any, clusters: str, truth: str) -> list[PairRecall]:
    """Pairwise recall per pair of sources (``housing-police``, ``police-police``...)."""
    rows = con.sql(f"""
        WITH j AS (
            SELECT t.source, t.source_record_id, t.person_id, c.cluster FROM {truth} t
            JOIN {clusters} c USING (source, source_record_id)
        )
        SELECT least(a.source, b.source) || '-' || greatest(a.source, b.source) AS sources,
               count(*) AS true_pairs, count(*) FILTER (WHERE a.cluster = b.cluster) AS found
        FROM j a JOIN j b ON a.person_id = b.person_id
         AND (a.source, a.source_record_id) < (b.source, b.source_record_id)
        GROUP BY ALL ORDER BY sources
    """).fetchall()  # fmt: skip
    return [PairRecall(str(s), int(t), int(f)) for s, t, f in rows]


def synthetic_workspace(folder: Path, people: int, seed: int = 7) -> tuple[Path, Path]:
    """Generate partners for ``people`` and ingest them; return (workspace, truth file).

    Reuses the folder when it already holds that data. The workspace gets audit and master keys
    of its own (the hub audits every run); matching is left to the benchmark.
    """
    from hub.config import load_config
    from hub.demo.synthetic import generate_partners
    from hub.output import Reporter
    from hub.run.pipeline import run_once

    folder = folder.resolve() / f"people-{people}-seed-{seed}"
    truth = folder / "truth.parquet"
    workspace = folder / "workspace"
    if (folder / "ready").exists():
        return workspace, truth
    from hub.keys import write_new_key

    shutil.rmtree(folder, ignore_errors=True)
    generate_partners(folder / "extracts", truth, people, seed=seed)
    for name in ("audit_key", "master_key"):
        write_new_key(folder / "keys" / name)
    os.environ.update(
        {
            "IOMHUB_DROP_ROOT": str(folder / "extracts"),
            "IOMHUB_WORKSPACE": str(workspace),
            "IOMHUB_MIN_AGE_SECONDS": "0",
            "IOMHUB_SECRETS_DIR": str(folder / "keys"),
            "IOMHUB_OUTBOX_ROOT": str(folder / "outbox"),
        }
    )
    config = load_config(ROOT / "examples" / "config" / "hub.yaml")
    config = config.model_copy(update={"matching": config.matching.model_copy(
        update={"enabled": False})})  # fmt: skip
    if run_once(config, Reporter(quiet=True), command="bench").failed:
        raise SystemExit(f"the synthetic partners in {folder} could not be pulled and ingested")
    (folder / "ready").write_text("ok\n")
    return workspace, truth


def staging_files(workspace: Path) -> list[Path]:
    """The current staging file of each feed in a workspace."""
    from hub.state import StateStore

    state = StateStore(workspace / "state.db")
    try:
        current = state.current_extracts()
    finally:
        state.close()
    return [workspace / "staging" / feed / f"{e.extract_id}.parquet"
            for feed, e in sorted(current.items())]  # fmt: skip


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """A plain text table."""
    cells = [[str(h) for h in headers]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) if n else c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
