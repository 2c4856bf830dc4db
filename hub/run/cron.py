"""Cron schedules: when a feed is next due, and its expected cadence.

Schedules are read in the machine's local time zone, as cron reads them.
"""

from __future__ import annotations

import datetime


def local_now() -> datetime.datetime:
    """Now, as an aware datetime in the machine's local time zone."""
    return datetime.datetime.now().astimezone()


def next_run(schedule: str, after: datetime.datetime) -> datetime.datetime:
    """The first scheduled time strictly after ``after``."""
    from croniter import croniter

    local = after.astimezone(local_now().tzinfo)
    return croniter(schedule, local).get_next(datetime.datetime)


def cadence(schedule: str, now: datetime.datetime) -> datetime.timedelta:
    """The gap between the two latest scheduled times before ``now``: the expected cadence."""
    from croniter import croniter

    runs = croniter(schedule, now.astimezone(local_now().tzinfo))
    latest = runs.get_prev(datetime.datetime)
    before = runs.get_prev(datetime.datetime)
    return latest - before


def is_due(schedule: str, last_attempt: str | None, now: datetime.datetime) -> bool:
    """Whether a scheduled time has come since the last attempt (never attempted: due)."""
    if not last_attempt:
        return True
    return next_run(schedule, datetime.datetime.fromisoformat(last_attempt)) <= now
