"""Feed status for data officers: last success, last error, staleness, current extract.

A feed is failing when its last pull failed, or when the file it delivered last was not made
current: rejected on its checksum, rejected whole, or held beyond the feed's limits (the
``problem``, with its reason, until a later file or an officer's acceptance settles it).

Also the current extract's repeated record ids (and how many of them conflict), and the files
the last pull found waiting to complete (and which have waited too long).

A feed is stale when its last successful pull is older than expected (``pull_stale``), or when
its partner has delivered nothing new for as long (``delivery_stale``: the hub pulls on time
but no new extract lands; a partner that has never delivered counts from the hub's first
successful pull of the feed). Expected is the feed's cadence (the gap between the two latest
times its cron schedule names) and half again, or its ``stale_after_hours`` when that is set.
A feed never pulled successfully is stale. A paused feed (``enabled: false``) is never stale.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass
from typing import Any

from hub.config import FeedConfig, HubConfig
from hub.run.cron import cadence, next_run
from hub.run.extracts import accept_hint
from hub.state import Delivery, Extract, StateStore
from hub.workspace import Workspace

STALE_FACTOR = 1.5


@dataclass(frozen=True)
class FeedStatus:
    """One configured feed's status (times are ISO 8601 in UTC; no personal data)."""

    feed: str
    source: str
    schedule: str
    last_success: str | None
    last_error: str | None
    last_error_at: str | None
    failing: bool
    """Whether the last error is newer than the last success, or the latest file has a problem."""
    problem: str | None
    """Why the feed's latest file is not its current extract (held or rejected), if it is not."""
    paused: bool
    """The feed is configured ``enabled: false``: not pulled."""
    stale: bool
    """The pulls or the partner's deliveries are late (``pull_stale`` or ``delivery_stale``)."""
    pull_stale: bool
    delivery_stale: bool
    stale_reason: str | None
    stale_after_hours: float
    hours_since_success: float | None
    last_new_extract_at: str | None
    """When the partner last delivered bytes the hub had not seen (a new extract landed)."""
    hours_since_new_extract: float | None
    next_pull: str
    current_extract: str | None
    rows: int | None
    quarantined: int | None
    last_rejected_extract: str | None
    repeated_record_ids: int | None
    """Record ids written more than once in the current extract."""
    conflicting_record_ids: int | None
    """Of those, the ids whose copies differ (every copy quarantined)."""
    waiting: tuple[str, ...]
    """Files the last pull found still being written."""
    waiting_too_long: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def stale_after(feed: FeedConfig, now: datetime.datetime) -> datetime.timedelta:
    """How old a feed's last success may be before the feed counts as stale."""
    if feed.stale_after_hours is not None:
        return datetime.timedelta(hours=feed.stale_after_hours)
    return cadence(feed.schedule, now) * STALE_FACTOR


def feed_status_rows(config: HubConfig, now: datetime.datetime | None = None) -> list[FeedStatus]:
    """One row per configured feed."""
    now = now or datetime.datetime.now(datetime.UTC)
    workspace = Workspace(config.workspace)
    state = workspace.open_state()
    try:
        statuses = state.feed_statuses()
        current = state.current_extracts()
        rejected = {e.feed: e for e in state.extracts(status="rejected")}
        problems = {feed: _problem(state, delivery)
                    for feed, delivery in state.latest_deliveries().items()}  # fmt: skip
        waiting = {feed.name: json.loads(state.fact(f"waiting:{feed.name}") or "[]")
                   for feed in config.feeds}  # fmt: skip
        new_extracts = state.last_new_extracts()
        first_success = {feed.name: state.fact(f"first_success:{feed.name}")
                         for feed in config.feeds}  # fmt: skip
    finally:
        state.close()
    rows = []
    for feed in config.feeds:
        status = statuses.get(feed.name, {})
        last_success = status.get("last_success")
        last_attempt = status.get("last_attempt")
        limit = stale_after(feed, now)
        delivered = new_extracts.get(feed.name)
        pull_stale = _older(last_success, limit, now)
        delivery_stale = _older(delivered or first_success[feed.name], limit, now)
        if not feed.enabled:
            pull_stale = delivery_stale = False
        due = next_run(feed.schedule, datetime.datetime.fromisoformat(last_attempt)) if (
            last_attempt) else now  # fmt: skip
        extract = current.get(feed.name)
        problem = problems.get(feed.name)
        rows.append(FeedStatus(
            feed=feed.name,
            source=feed.source.describe(),
            schedule=feed.schedule,
            last_success=last_success,
            last_error=status.get("last_error"),
            last_error_at=status.get("last_error_at"),
            failing=bool(problem) or (bool(status.get("last_error_at")) and (
                not last_success or status["last_error_at"] >= last_success)),
            problem=problem,
            paused=not feed.enabled,
            stale=pull_stale or delivery_stale,
            pull_stale=pull_stale,
            delivery_stale=delivery_stale,
            stale_reason=_stale_reason(pull_stale, delivery_stale, last_success, delivered),
            stale_after_hours=round(limit.total_seconds() / 3600, 1),
            hours_since_success=_hours_since(last_success, now),
            last_new_extract_at=delivered,
            hours_since_new_extract=_hours_since(delivered, now),
            next_pull=max(due, now).astimezone(datetime.UTC).isoformat(timespec="seconds"),
            current_extract=extract.name if extract else None,
            rows=extract.rows_accepted if extract else None,
            quarantined=extract.rows_rejected if extract else None,
            last_rejected_extract=rejected[feed.name].name if feed.name in rejected else None,
            repeated_record_ids=extract.detail.get("duplicate_record_ids") if extract else None,
            conflicting_record_ids=extract.detail.get("conflicting_record_ids") if extract
            else None,
            waiting=tuple(w["name"] for w in waiting[feed.name]),
            waiting_too_long=tuple(w["name"] for w in waiting[feed.name] if w["too_long"]),
        ))  # fmt: skip
    return rows


def _older(moment: str | None, limit: datetime.timedelta, now: datetime.datetime) -> bool:
    """Whether ``moment`` is missing or more than ``limit`` before ``now``."""
    return moment is None or now - datetime.datetime.fromisoformat(moment) > limit


def _hours_since(moment: str | None, now: datetime.datetime) -> float | None:
    if not moment:
        return None
    return round((now - datetime.datetime.fromisoformat(moment)).total_seconds() / 3600, 1)


def _stale_reason(
    pull_stale: bool, delivery_stale: bool, last_success: str | None, delivered: str | None
) -> str | None:
    """Why a feed is stale, in words (None when it is not)."""
    reasons = []
    if pull_stale:
        since = f"since {_when(last_success)}" if last_success else "ever"
        reasons.append(f"no successful pull {since}")
    if delivery_stale:
        since = f"since {_when(delivered)}" if delivered else "yet"
        reasons.append(f"the partner has delivered no new extract {since}")
    return "; ".join(reasons) or None


def _problem(state: StateStore, delivery: Delivery) -> str | None:
    """Why a feed's latest file is not its current extract, or None when nothing is wrong."""
    if delivery.status == "rejected":
        return f"{delivery.name} rejected: {delivery.reason} (kept in quarantine)"
    extract: Extract | None = state.extract(delivery.extract_id)
    if extract is None or extract.status not in ("held", "rejected"):
        return None
    if extract.status == "rejected":
        return f"{delivery.name} rejected: {extract.detail.get('error')}"
    return (f"{delivery.name} held, not current: {extract.detail.get('held')} (if right: "
            f"{accept_hint(extract.feed, extract.name)})")  # fmt: skip


def render_table(rows: list[FeedStatus]) -> str:
    """A plain-text table for the terminal."""
    headers = ["feed", "last success", "stale", "next pull", "current extract", "rows",
               "quarantined", "repeated ids", "waiting", "last error"]  # fmt: skip
    body = [
        [row.feed, _when(row.last_success) or "never",
         _stale(row), "-" if row.paused else _when(row.next_pull),
         row.current_extract or "-", _count(row.rows), _count(row.quarantined),
         _repeated(row), _waiting(row), _error(row)]
        for row in rows
    ]  # fmt: skip
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *body, strict=False)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
             for line in [headers, *body]]  # fmt: skip
    return "\n".join(lines)


def _when(value: str | None) -> str:
    return value.replace("T", " ").replace("+00:00", "Z") if value else ""


def _stale(row: FeedStatus) -> str:
    if row.paused:
        return "paused"
    if not row.stale:
        return "no"
    return "yes" if row.pull_stale else "no new file"


def _error(row: FeedStatus) -> str:
    if row.problem:
        return row.problem  # in full: it says what to do
    if not row.last_error:
        return "-"
    text = " ".join(row.last_error.split())
    text = text if len(text) <= 70 else text[:69] + "…"
    state = "" if row.failing else " (since recovered)"
    return f"{_when(row.last_error_at)}: {text}{state}"


def _repeated(row: FeedStatus) -> str:
    if not row.repeated_record_ids:
        return "-"
    return f"{row.repeated_record_ids:,} ({row.conflicting_record_ids or 0:,} conflicting)"


def _waiting(row: FeedStatus) -> str:
    if not row.waiting:
        return "-"
    too_long = len(row.waiting_too_long)
    return f"{len(row.waiting)}" + (f" ({too_long} too long)" if too_long else "")


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
