"""Feed status for data officers: last success, last error, staleness, current extract."""

from __future__ import annotations

import datetime
from typing import Any

from hub.config import HubConfig
from hub.workspace import Workspace


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
    finally:
        state.close()
    rows = []
    for feed in config.feeds:
        status = statuses.get(feed.name, {})
        last_success = status.get("last_success")
        age_hours = None
        if last_success:
            age = now - datetime.datetime.fromisoformat(last_success)
            age_hours = round(age.total_seconds() / 3600, 1)
        extract = current.get(feed.name)
        rows.append({
            "feed": feed.name,
            "last_success": last_success,
            "last_error": status.get("last_error"),
            "last_error_at": status.get("last_error_at"),
            "stale": age_hours is None or age_hours > feed.stale_after_hours,
            "hours_since_success": age_hours,
            "current_extract": extract.name if extract else None,
            "rows": extract.rows_accepted if extract else None,
            "quarantined": extract.rows_rejected if extract else None,
            "last_rejected_extract": rejected[feed.name].name if feed.name in rejected else None,
        })  # fmt: skip
    return rows


def render_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table for the terminal."""
    headers = ["feed", "last success", "stale", "current extract", "rows", "quarantined",
               "last error"]  # fmt: skip
    body = [
        [row["feed"], row["last_success"] or "never", "yes" if row["stale"] else "no",
         row["current_extract"] or "-", _count(row["rows"]), _count(row["quarantined"]),
         (row["last_error"] or "-")[:60]]
        for row in rows
    ]  # fmt: skip
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *body, strict=False)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
             for line in [headers, *body]]  # fmt: skip
    return "\n".join(lines)


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
