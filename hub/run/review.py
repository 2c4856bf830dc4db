"""Pending reviews and reviewers' decisions: the pairs the model could not settle.

The review list (``matched/review.parquet``) is written by each match run; a pair stays pending
until a reviewer decides it (a decision waiting for a second reviewer takes it off the list too).
Decisions are taken by :mod:`hub.run.review_decisions`: logged first (alteration), then kept in
the person registry, overriding the model from the next match on. The pairs hold personal data
(names, dates of birth in the evidence): they are for the IOM team's authorised reviewers.
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
    held: bool = False
    """True when the decision waits for a second reviewer (four eyes)."""

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
    from hub.run.review_store import ReviewStore
    from matching.errors import MatchingError
    from matching.registry import PersonRegistry, pair_key

    folder = Workspace(config.workspace).matched
    if not folder.review.exists():
        raise MatchingError("no match has run in this workspace yet", hint="run 'iomhub run'")
    with PersonRegistry(folder.registry) as registry:
        decided = {(d.left, d.right) for d in registry.decisions()}
    with ReviewStore(folder.review_state) as store:
        decided |= {(h.left, h.right) for h in store.held()}
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
    """Take a decision on a pair already read from the review list (see
    :func:`hub.run.review_decisions.decide`: audited first; without an audit key, or with a log
    that cannot be written, the decision never takes effect)."""
    from hub.run.review_decisions import DecisionKind, Outcome, decide

    audit = Workspace(config.workspace).open_audit(config.settings)
    kind = DecisionKind.SAME if same else DecisionKind.DIFFERENT
    result = decide(config, audit, pair.left, pair.right, kind, by=decided_by, note=note)
    return ReviewDecision(pair.pair_id, same, decided_by, note,
                          held=result.outcome is Outcome.HELD)  # fmt: skip
