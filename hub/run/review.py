"""Pending reviews and reviewers' decisions: the pairs the model could not settle.

The review list (``matched/review.parquet``) is written by each match run; a pair stays pending
until a reviewer decides it. A decision is kept in the person registry, overrides the model from
the next match on, and is logged (alteration). The pairs hold personal data (names, dates of
birth in the evidence): they are for the IOM team's authorised reviewers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hub.config import HubConfig
from hub.workspace import Workspace


@dataclass(frozen=True)
class ReviewPair:
    """One pair of records waiting for review, as the review list holds it."""

    pair_id: str
    source_l: str
    record_id_l: str
    source_r: str
    record_id_r: str
    match_weight: float
    match_probability: float
    reason: str
    """'uncertain', 'stopped by a rule' or 'ambiguous'."""
    guards: tuple[str, ...] = ()
    evidence: str | None = None
    """The match evidence as JSON (:class:`matching.score.PairEvidence`), or None."""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ReviewPair:
        """A pair from a row of ``matched/review.parquet``."""
        return cls(**{**row, "guards": tuple(row.get("guards") or ())})

    @property
    def left(self) -> tuple[str, str]:
        return self.source_l, self.record_id_l

    @property
    def right(self) -> tuple[str, str]:
        return self.source_r, self.record_id_r

    def as_row(self) -> dict[str, Any]:
        """The row form the review list and the audit entry read."""
        return {**asdict(self), "guards": list(self.guards)}

    def summary(self) -> dict[str, Any]:
        """JSON-ready form without the evidence."""
        return {k: v for k, v in self.as_row().items() if k != "evidence"}


@dataclass(frozen=True)
class PendingReviews:
    """The pairs no reviewer has decided yet, strongest first."""

    pairs: tuple[ReviewPair, ...]

    def find(self, pair_id: str) -> ReviewPair:
        """The pending pair with this id; :class:`ReviewError` if none waits."""
        from matching.errors import ReviewError

        for pair in self.pairs:
            if pair.pair_id == pair_id:
                return pair
        raise ReviewError(f"no pair {pair_id} waits for review",
                          hint="list pairs with 'iomhub match review'")  # fmt: skip


@dataclass(frozen=True)
class ReviewDecision:
    """A decision recorded on a pair."""

    pair_id: str
    same: bool
    decided_by: str
    note: str | None = None

    @property
    def decision(self) -> str:
        return "same" if self.same else "different"


def review_list(config: HubConfig) -> list[ReviewPair]:
    """Every pair of the last match's review list, decided or not (empty before any match)."""
    import pyarrow.parquet as pq

    folder = Workspace(config.workspace).matched
    if not folder.review.exists():
        return []
    return [ReviewPair.from_row(row) for row in pq.read_table(folder.review).to_pylist()]


def pending_reviews(config: HubConfig) -> PendingReviews:
    """The pairs of the review list that no reviewer has decided yet."""
    from matching.errors import MatchingError
    from matching.registry import PersonRegistry, pair_key

    folder = Workspace(config.workspace).matched
    if not folder.review.exists():
        raise MatchingError("no match has run in this workspace yet", hint="run 'iomhub run'")
    with PersonRegistry(folder.registry) as registry:
        decided = {(d.left, d.right) for d in registry.decisions()}
    return PendingReviews(tuple(pair for pair in review_list(config)
                                if pair_key(pair.left, pair.right) not in decided))  # fmt: skip


def decide_pair(
    config: HubConfig, pair_id: str, *, same: bool, decided_by: str, note: str | None = None
) -> ReviewDecision:
    """Record a reviewer's decision on a pending pair; it applies from the next match on."""
    return record_decision(config, pending_reviews(config).find(pair_id), same=same,
                           decided_by=decided_by, note=note)  # fmt: skip


def record_decision(
    config: HubConfig, pair: ReviewPair, *, same: bool, decided_by: str, note: str | None = None
) -> ReviewDecision:
    """Log a decision on a pair already read from the review list, then record it.

    The audit entry comes first: without an audit key, or with a log that cannot be written,
    the decision never takes effect.
    """
    from hub.audit.events import ReviewDecision as ReviewDecisionEvent
    from matching.registry import PersonRegistry

    workspace = Workspace(config.workspace)
    audit = workspace.open_audit(config.settings)
    audit.record(ReviewDecisionEvent.of_pair(pair.as_row(), same, note, decided_by))
    with PersonRegistry(workspace.matched.registry) as registry:
        registry.decide(pair.left, pair.right, same, by=decided_by, note=note)
    return ReviewDecision(pair.pair_id, same, decided_by, note)
