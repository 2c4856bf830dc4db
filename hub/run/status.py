"""Feed status for data officers: last success, last error, staleness, current extract.

Also the current extract's repeated record ids (and how many of them conflict), and the files
the last pull found waiting to complete (and which have waited too long).

A feed is stale when its last successful pull is older than expected: older than its cadence
(the gap between the two latest times its cron schedule names) and half again, or older than
its ``stale_after_hours`` when that is set. A feed never pulled successfully is stale.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from hub.config import FeedConfig, HubConfig
from hub.run.cron import cadence, next_run
from hub.workspace import Workspace

STALE_FACTOR = 1.5


def stale_after(feed: FeedConfig, now: datetime.datetime) -> datetime.timedelta:
    """How old a feed's last success may be before the feed counts as stale."""
    if feed.stale_after_hours is not None:
        return datetime.timedelta(hours=feed.stale_after_hours)
    return cadence(feed.schedule, now) * STALE_FACTOR


def feed_status_rows(
    config: HubConfig, now: datetime.datetime | None = None
) -> list[dict[str, Any]]:
    """One row per configured feed."""
    now = now or datetime.datetime.now(datetime.UTC)
    workspace = Workspace(config.workspace)
    state = workspace.open_state()
    try:
        statuses = state.feed_statuses()
        current = state.current_extracts()
        rejected = {e.feed: e for e in state.extracts(status="rejected")}
        waiting = {feed.name: json.loads(state.fact(f"waiting:{feed.name}") or "[]")
                   for feed in config.feeds}  # fmt: skip
    finally:
        state.close()
    rows = []
    for feed in config.feeds:
        status = statuses.get(feed.name, {})
        last_success = status.get("last_success")
        last_attempt = status.get("last_attempt")
        limit = stale_after(feed, now)
        age_hours = None
        stale = True
        if last_success:
            age = now - datetime.datetime.fromisoformat(last_success)
            age_hours = round(age.total_seconds() / 3600, 1)
            stale = age > limit
        due = next_run(feed.schedule, datetime.datetime.fromisoformat(last_attempt)) if (
            last_attempt) else now  # fmt: skip
        extract = current.get(feed.name)
        rows.append({
            "feed": feed.name,
            "source": feed.source.describe(),
            "schedule": feed.schedule,
            "last_success": last_success,
            "last_error": status.get("last_error"),
            "last_error_at": status.get("last_error_at"),
            "failing": bool(status.get("last_error_at")) and (
                not last_success or status["last_error_at"] >= last_success),
            "stale": stale,
            "stale_after_hours": round(limit.total_seconds() / 3600, 1),
            "hours_since_success": age_hours,
            "next_pull": max(due, now).astimezone(datetime.UTC).isoformat(timespec="seconds"),
            "current_extract": extract.name if extract else None,
            "rows": extract.rows_accepted if extract else None,
            "quarantined": extract.rows_rejected if extract else None,
            "last_rejected_extract": rejected[feed.name].name if feed.name in rejected else None,
            "repeated_record_ids": extract.detail.get("duplicate_record_ids") if extract else None,
            "conflicting_record_ids": extract.detail.get("conflicting_record_ids") if extract
            else None,
            "waiting": [w["name"] for w in waiting[feed.name]],
            "waiting_too_long": [w["name"] for w in waiting[feed.name] if w["too_long"]],
        })  # fmt: skip
    return rows


def render_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table for the terminal."""
    headers = ["feed", "last success", "stale", "next pull", "current extract", "rows",
               "quarantined", "repeated ids", "waiting", "last error"]  # fmt: skip
    body = [
        [row["feed"], _when(row["last_success"]) or "never",
         "yes" if row["stale"] else "no", _when(row["next_pull"]),
         row["current_extract"] or "-", _count(row["rows"]), _count(row["quarantined"]),
         _repeated(row), _waiting(row), _error(row)]
        for row in rows
    ]  # fmt: skip
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *body, strict=False)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
             for line in [headers, *body]]  # fmt: skip
    return "\n".join(lines)


def _when(value: str | None) -> str:
    return value.replace("T", " ").replace("+00:00", "Z") if value else ""


def _error(row: dict[str, Any]) -> str:
    if not row["last_error"]:
        return "-"
    text = " ".join(row["last_error"].split())
    text = text if len(text) <= 70 else text[:69] + "…"
    state = "" if row["failing"] else " (since recovered)"
    return f"{_when(row['last_error_at'])}: {text}{state}"


def _repeated(row: dict[str, Any]) -> str:
    if not row["repeated_record_ids"]:
        return "-"
    return f"{row['repeated_record_ids']:,} ({row['conflicting_record_ids'] or 0:,} conflicting)"


def _waiting(row: dict[str, Any]) -> str:
    if not row["waiting"]:
        return "-"
    too_long = len(row["waiting_too_long"])
    return f"{len(row['waiting'])}" + (f" ({too_long} too long)" if too_long else "")


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
