"""The review queue: the last match's review list, in the order that matters, filtered and paged.

Order: merges across agencies first, then the most uncertain (match probability nearest one
half), then by pair id. Each pair's status comes from the decisions: waiting (no decision, or a
"not sure"), awaiting a second reviewer, or decided (in force). The evidence column is not read
here: a page needs only the summary of its pairs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hub.config import HubConfig
from hub.run.review_store import ReviewStore
from hub.workspace import Workspace
from matching.registry import PersonRegistry, RecordKey, pair_key

PAGE_SIZE = 25
QUEUE_COLUMNS = ["pair_id", "source_l", "record_id_l", "source_r", "record_id_r",
                 "match_weight", "match_probability", "reason"]  # fmt: skip
REASONS = ("uncertain", "stopped by a rule", "ambiguous")


class PairStatus(enum.StrEnum):
    """Where a listed pair stands."""

    WAITING = "waiting"
    NOT_SURE = "not sure"
    HELD = "awaiting second reviewer"
    DECIDED = "decided"


@dataclass(frozen=True)
class QueueItem:
    """One listed pair, without its evidence."""

    pair_id: str
    left: RecordKey
    right: RecordKey
    match_weight: float
    match_probability: float
    reason: str
    status: PairStatus

    @property
    def cross_agency(self) -> bool:
        return self.left[0] != self.right[0]

    @property
    def agencies(self) -> str:
        """The two feeds, in name order (``health+police``)."""
        return "+".join(sorted({self.left[0], self.right[0]}))

    @property
    def uncertainty(self) -> float:
        """0 when the model is sure either way, 1 at a probability of one half."""
        return 1.0 - 2.0 * abs(self.match_probability - 0.5)


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer asked to see."""

    reason: str | None = None
    agencies: str | None = None
    status: str = "open"
    """'open' (waiting or not sure), a :class:`PairStatus` value, or 'all'."""
    page: int = 1


@dataclass(frozen=True)
class Progress:
    """How far review has come over the whole list."""

    decided: int
    waiting: int
    held: int
    not_sure: int

    @property
    def total(self) -> int:
        return self.decided + self.waiting + self.held + self.not_sure


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue."""

    items: tuple[QueueItem, ...]
    matching: int
    """How many pairs pass the filter."""
    page: int
    pages: int
    progress: Progress
    agency_pairs: tuple[str, ...]


def _priority(item: QueueItem) -> tuple[bool, float, str]:
    return (not item.cross_agency, -item.uncertainty, item.pair_id)


def queue_items(config: HubConfig) -> list[QueueItem]:
    """Every pair of the last review list with its status, in queue order."""
    import pyarrow.parquet as pq

    folder = Workspace(config.workspace).matched
    if not folder.review.exists():
        return []
    rows = pq.read_table(folder.review, columns=QUEUE_COLUMNS).to_pylist()
    with PersonRegistry(folder.registry) as registry:
        decided = {(d.left, d.right) for d in registry.decisions()}
    with ReviewStore(folder.review_state) as store:
        held = {(h.left, h.right) for h in store.held()}
        unsure = {(u.left, u.right) for u in store.unsure()}

    def status(key: tuple[RecordKey, RecordKey]) -> PairStatus:
        if key in held:
            return PairStatus.HELD
        if key in decided:
            return PairStatus.DECIDED
        return PairStatus.NOT_SURE if key in unsure else PairStatus.WAITING

    items = []
    for row in rows:
        left, right = (row["source_l"], row["record_id_l"]), (row["source_r"], row["record_id_r"])
        items.append(QueueItem(row["pair_id"], left, right, row["match_weight"],
                               row["match_probability"], row["reason"],
                               status(pair_key(left, right))))  # fmt: skip
    return sorted(items, key=_priority)


def _passes(item: QueueItem, wanted: QueueFilter) -> bool:
    if wanted.reason and item.reason != wanted.reason:
        return False
    if wanted.agencies and item.agencies != wanted.agencies:
        return False
    if wanted.status == "open":
        return item.status in (PairStatus.WAITING, PairStatus.NOT_SURE)
    return wanted.status == "all" or item.status.value == wanted.status


def queue_page(config: HubConfig, wanted: QueueFilter, page_size: int = PAGE_SIZE) -> QueuePage:
    """The page of the queue the filter asks for, with progress over the whole list."""
    items = queue_items(config)
    counts = {status: 0 for status in PairStatus}
    for item in items:
        counts[item.status] += 1
    chosen = [item for item in items if _passes(item, wanted)]
    pages = max(1, -(-len(chosen) // page_size))
    page = min(max(1, wanted.page), pages)
    start = (page - 1) * page_size
    return QueuePage(
        items=tuple(chosen[start : start + page_size]), matching=len(chosen), page=page,
        pages=pages,
        progress=Progress(counts[PairStatus.DECIDED], counts[PairStatus.WAITING],
                          counts[PairStatus.HELD], counts[PairStatus.NOT_SURE]),
        agency_pairs=tuple(sorted({item.agencies for item in items})),
    )  # fmt: skip


def queued_pair(config: HubConfig, pair_id: str) -> QueueItem | None:
    """The listed pair with this id, if the last review list holds it."""
    return next((item for item in queue_items(config) if item.pair_id == pair_id), None)
