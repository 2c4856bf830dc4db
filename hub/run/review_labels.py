"""Reviewers' decisions as labels in Splink's format, and the model's accuracy against them.

The labels file has Splink's labels columns: ``source_dataset_l``, ``unique_id_l``,
``source_dataset_r``, ``unique_id_r``, ``clerical_match_score`` (1 for "same", 0 for
"different"); a source dataset is a feed and a unique id the partner's record id, which outlive
runs (the frame's numeric ids do not). Only decisions in force are labels: "not sure" and those
waiting for a second reviewer are not.

The accuracy is Splink's own (``linker.evaluation.accuracy_analysis_from_labels_table``, Splink
5): the labelled pairs scored by the current model, read at the hub's link weight.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from hub.config import HubConfig
from hub.run.match import load_model
from hub.workspace import Workspace
from matching.errors import MatchingError, ReviewError
from matching.registry import Decision, PersonRegistry

LABEL_COLUMNS = ("source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r",
                 "clerical_match_score")  # fmt: skip


@dataclass(frozen=True)
class Accuracy:
    """The model against the reviewers' labels, at the link weight."""

    labels: int
    scored: int
    """Labelled pairs both of whose records are current."""
    link_weight: float
    true_positives: int
    false_positives: int
    true_negatives: int
    false_negatives: int

    @property
    def precision(self) -> float | None:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else None

    @property
    def recall(self) -> float | None:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else None


def _decisions(config: HubConfig) -> list[Decision]:
    folder = Workspace(config.workspace).matched
    if not folder.registry.exists():
        return []
    with PersonRegistry(folder.registry) as registry:
        return registry.decisions()


def labels_csv(config: HubConfig) -> tuple[str, int]:
    """The labels as CSV text, and how many."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LABEL_COLUMNS)
    decided = _decisions(config)
    for d in decided:
        writer.writerow([d.left[0], d.left[1], d.right[0], d.right[1], 1 if d.same else 0])
    return out.getvalue(), len(decided)


def export_labels(config: HubConfig, out: Path) -> int:
    """Write the labels to ``out`` (CSV); the number written."""
    text, count = labels_csv(config)
    out.write_text(text, encoding="utf-8")
    return count


def model_accuracy(config: HubConfig) -> Accuracy:
    """The current model's confusion counts against the labels, at the link weight."""
    import pyarrow as pa

    from matching.engine import open_engine
    from matching.score import linker_for

    decided = _decisions(config)
    if not decided:
        raise ReviewError("no decisions yet: accuracy needs labels")
    workspace = Workspace(config.workspace)
    folder = workspace.matched
    if not folder.frame.exists():
        raise MatchingError("no match has run in this workspace yet", hint="run 'iomhub run'")
    model = load_model(config, workspace)
    link_weight = config.matching.link_weight
    link_weight = model.link_weight if link_weight is None else link_weight
    engine = open_engine(config.matching.engine, workspace.spill_folder("labels"))
    try:
        engine.load_parquet("frame_file", [folder.frame])
        engine.create_table("frame", "SELECT * FROM frame_file")
        records = int(engine.scalar("SELECT count(*) FROM frame"))
        engine.register_arrow(
            "decided_arrow",
            pa.table(
                {
                    "source_l": [d.left[0] for d in decided],
                    "record_l": [d.left[1] for d in decided],
                    "source_r": [d.right[0] for d in decided],
                    "record_r": [d.right[1] for d in decided],
                    "score": pa.array([1.0 if d.same else 0.0 for d in decided], pa.float64()),
                }
            ),
        )
        engine.create_table("labels", """
            SELECT least(l.unique_id, r.unique_id) AS unique_id_l,
                   greatest(l.unique_id, r.unique_id) AS unique_id_r,
                   d.score AS clerical_match_score
            FROM decided_arrow d
            JOIN frame l ON l.source = d.source_l AND l.source_record_id = d.record_l
            JOIN frame r ON r.source = d.source_r AND r.source_record_id = d.record_r
        """)  # fmt: skip
        scored = int(engine.scalar("SELECT count(*) FROM labels"))
        if not scored:
            raise ReviewError("no labelled pair has both records current")
        linker = linker_for(engine, model, records, retain_matching_columns=True)
        labels = linker.table_management.register_labels_table(
            engine.splink_api().register("labels")
        )
        table = linker.evaluation.accuracy_analysis_from_labels_table(
            labels, output_type="table", threshold_match_probability=0.5,
            match_weight_round_to_nearest=0.1,
        ).as_record_list()  # fmt: skip
    finally:
        engine.close()
    # Splink's row at threshold t counts pairs scoring t or more as links; the first threshold
    # at or above the link weight therefore holds the hub's links. None: nothing is linked.
    at = [row for row in table if row["truth_threshold"] >= link_weight]
    if at:
        row = min(at, key=lambda r: r["truth_threshold"])
        counts = (int(row["tp"]), int(row["fp"]), int(row["tn"]), int(row["fn"]))
    else:
        counts = (0, 0, int(table[0]["n"]), int(table[0]["p"]))
    return Accuracy(len(decided), scored, link_weight, *counts)
