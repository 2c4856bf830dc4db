"""The review queue: the last match's review list, in the order that matters, filtered and paged.

Order: merges across agencies first, then the most uncertain (match probability nearest one
half), then by pair id. Each pair's status comes from the decisions: waiting (no decision, or a
"not sure"), awaiting a second reviewer, or decided (in force). The evidence column is not read
here: a page needs only the summary of its pairs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class _Listed:
    """A pair of the review list as read once per list (the order never depends on status)."""

    pair_id: str
    key: tuple[RecordKey, RecordKey]
    left: RecordKey
    right: RecordKey
    match_weight: float
    match_probability: float
    reason: str
    agencies: str

    def item(self, status: PairStatus) -> QueueItem:
        return QueueItem(self.pair_id, self.left, self.right, self.match_weight,
                         self.match_probability, self.reason, status)  # fmt: skip


_LISTS: dict[Path, tuple[tuple[int, int], list[_Listed]]] = {}
"""The last review list read per file, in queue order, with the file's (mtime, size)."""


def _ordered(path: Path) -> list[_Listed]:
    """The review list in queue order: across agencies first, then the most uncertain."""
    import pyarrow.parquet as pq

    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _LISTS.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    listed = []
    for row in pq.read_table(path, columns=QUEUE_COLUMNS).to_pylist():
        left, right = (row["source_l"], row["record_id_l"]), (row["source_r"], row["record_id_r"])
        listed.append(_Listed(row["pair_id"], pair_key(left, right), left, right,
                              row["match_weight"], row["match_probability"], row["reason"],
                              "+".join(sorted({left[0], right[0]}))))  # fmt: skip
    listed.sort(key=lambda p: (p.left[0] == p.right[0], abs(p.match_probability - 0.5), p.pair_id))
    _LISTS[path] = (stamp, listed)
    return listed


def _statuses(config: HubConfig) -> dict[tuple[RecordKey, RecordKey], PairStatus]:
    """The status of every pair some decision touches (any other pair is waiting)."""
    folder = Workspace(config.workspace).matched
    found: dict[tuple[RecordKey, RecordKey], PairStatus] = {}
    with ReviewStore(folder.review_state) as store:
        found.update({(u.left, u.right): PairStatus.NOT_SURE for u in store.unsure()})
        held = {(h.left, h.right): PairStatus.HELD for h in store.held()}
    if folder.registry.exists():
        with PersonRegistry(folder.registry) as registry:
            found.update({(d.left, d.right): PairStatus.DECIDED for d in registry.decisions()})
    found.update(held)
    return found


def queue_items(config: HubConfig) -> list[QueueItem]:
    """Every pair of the last review list with its status, in queue order."""
    review = Workspace(config.workspace).matched.review
    if not review.exists():
        return []
    statuses = _statuses(config)
    return [p.item(statuses.get(p.key, PairStatus.WAITING)) for p in _ordered(review)]


def _wanted_statuses(wanted: QueueFilter) -> set[PairStatus]:
    if wanted.status == "open":
        return {PairStatus.WAITING, PairStatus.NOT_SURE}
    return {s for s in PairStatus if wanted.status in ("all", s.value)}


def queue_page(config: HubConfig, wanted: QueueFilter, page_size: int = PAGE_SIZE) -> QueuePage:
    """The page of the queue the filter asks for, with progress over the whole list."""
    review = Workspace(config.workspace).matched.review
    listed = _ordered(review) if review.exists() else []
    statuses = _statuses(config)
    shown_statuses = _wanted_statuses(wanted)
    counts = dict.fromkeys(PairStatus, 0)
    chosen: list[tuple[_Listed, PairStatus]] = []
    for pair in listed:
        status = statuses.get(pair.key, PairStatus.WAITING)
        counts[status] += 1
        if (status in shown_statuses and (not wanted.reason or pair.reason == wanted.reason)
                and (not wanted.agencies or pair.agencies == wanted.agencies)):  # fmt: skip
            chosen.append((pair, status))
    pages = max(1, -(-len(chosen) // page_size))
    page = min(max(1, wanted.page), pages)
    start = (page - 1) * page_size
    return QueuePage(
        items=tuple(p.item(status) for p, status in chosen[start : start + page_size]),
        matching=len(chosen), page=page, pages=pages,
        progress=Progress(counts[PairStatus.DECIDED], counts[PairStatus.WAITING],
                          counts[PairStatus.HELD], counts[PairStatus.NOT_SURE]),
        agency_pairs=tuple(sorted({p.agencies for p in listed})),
    )  # fmt: skip


def queued_pair(config: HubConfig, pair_id: str) -> QueueItem | None:
    """The listed pair with this id, if the last review list holds it."""
    return next((item for item in queue_items(config) if item.pair_id == pair_id), None)
