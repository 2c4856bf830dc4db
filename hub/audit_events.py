"""Audit entries for matching: match runs (combination) and review decisions (alteration).

Kept apart from the matching stage so that stage stays about matching; ids and counts only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.audit import AuditLog, Operation

if TYPE_CHECKING:
    from matching.run import MatchCounts

MATCH_COUNTS = ("records", "persons", "persons_with_links", "links", "scored_pairs", "created",
                "merges", "splits", "retired", "review_pairs", "decisions_applied")  # fmt: skip


def record_match_run(audit: AuditLog, counts: MatchCounts) -> None:
    """Log a match run that produced new results (a skipped, unchanged run is not one)."""
    if counts.skipped:
        return
    document = counts.as_dict()
    audit.record(
        Operation.COMBINATION, "match_run",
        objects={"run_id": counts.run_id, "model_version": counts.model_version},
        counts={name: int(document[name]) for name in MATCH_COUNTS if name in document},
    )  # fmt: skip


def record_review_decision(
    audit: AuditLog, row: dict[str, Any], same: bool, note: str | None, by: str
) -> None:
    """Log a reviewer's decision on a pair of records (it overrides the model from then on)."""
    audit.record(
        Operation.ALTERATION, "review_decision",
        objects={"pair_id": row.get("pair_id"),
                 "left": f"{row['source_l']}:{row['record_id_l']}",
                 "right": f"{row['source_r']}:{row['record_id_r']}",
                 "decision": "same" if same else "different", "decided_by": by},
        reason=note,
    )  # fmt: skip
