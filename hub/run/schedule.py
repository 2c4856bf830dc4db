"""Scheduled pulls: a long-lived service that pulls each feed when its cron expression is due.

Each feed's ``schedule`` is a cron expression, read in the machine's local time as cron reads
it. A feed is due when a scheduled time has passed since its last attempt (a feed never tried
is due at once, so a service that was down catches up when it starts). A tick pulls the due
feeds, then runs the later stages (ingest, and matching and publishing as they exist) only when
something new has landed. Runs never overlap: each tick takes the workspace lock, and a tick
that finds it held tries again shortly. SIGTERM (or SIGINT) asks the service to stop: it
finishes the step in hand (one feed's pull, one stage), records the run, and exits 0.
"""

from __future__ import annotations

import datetime
import signal
import threading
from collections.abc import Callable
from types import FrameType

from hub.config import FeedConfig, HubConfig
from hub.errors import WorkspaceLocked
from hub.output import Reporter
from hub.run.cron import is_due, local_now, next_run
from hub.run.pipeline import RunSummary, run_once
from hub.workspace import Workspace

LOCKED_RETRY_SECONDS = 30.0


class Scheduler:
    """Pulls what is due, tick after tick, until asked to stop."""

    def __init__(
        self,
        config: HubConfig,
        reporter: Reporter,
        *,
        stop: threading.Event | None = None,
        clock: Callable[[], datetime.datetime] = local_now,
        max_wait_seconds: float = 300.0,
    ) -> None:
        self.config = config
        self.reporter = reporter
        self.stop = stop or threading.Event()
        self.clock = clock
        self.max_wait_seconds = max_wait_seconds
        self.workspace = Workspace(config.workspace)

    def _last_attempts(self) -> dict[str, str | None]:
        state = self.workspace.open_state()
        try:
            statuses = state.feed_statuses()
        finally:
            state.close()
        return {name: status.get("last_attempt") for name, status in statuses.items()}

    def due(self) -> list[FeedConfig]:
        """The feeds due now."""
        now, attempts = self.clock(), self._last_attempts()
        return [
            feed
            for feed in self.config.feeds
            if feed.enabled and is_due(feed.schedule, attempts.get(feed.name), now)
        ]

    def seconds_to_next(self) -> float:
        """How long to sleep before the next feed is due (at most ``max_wait_seconds``)."""
        now, attempts = self.clock(), self._last_attempts()
        waits = []
        for feed in self.config.feeds:
            if not feed.enabled:
                continue
            last = attempts.get(feed.name)
            if not last:
                return 0.0
            due_at = next_run(feed.schedule, datetime.datetime.fromisoformat(last))
            waits.append((due_at - now).total_seconds())
        return max(0.0, min([self.max_wait_seconds, *waits]))

    def _sleep(self, seconds: float) -> bool:
        """Wait, waking early (and returning True) when asked to stop."""
        return self.stop.wait(seconds)

    def tick(self, *, wait_if_locked: bool = True) -> RunSummary | None:
        """Pull the due feeds and run the later stages if anything new landed.

        When another run holds the workspace, the due feeds stay due: the service waits a little
        (``wait_if_locked``) and the next tick tries again.
        """
        due = self.due()
        if not due:
            return None
        self.reporter.step(f"Scheduled pull: {', '.join(feed.name for feed in due)}")
        try:
            summary = run_once(
                self.config,
                self.reporter,
                command="schedule",
                feeds=due,
                only_if_new=True,
                should_stop=self.stop.is_set,
                sleep=self._sleep,
            )
        except WorkspaceLocked:
            self.reporter.note("another run holds the workspace; the due feeds stay due")
            if wait_if_locked:
                self._sleep(LOCKED_RETRY_SECONDS)
            return None
        totals = summary.totals()
        self.reporter.done(
            f"run {summary.run_id}: {totals['files_pulled']} file(s) pulled, "
            f"{totals['extracts_ingested']} extract(s) ingested, {totals['feeds_failed']} "
            "feed(s) failed"
        )
        return summary

    def run_forever(self) -> None:
        """Tick until asked to stop; return after the step in hand has finished."""
        self.reporter.step(
            f"iomhub schedule: {len(self.config.feeds)} feed(s), workspace {self.config.workspace}"
        )
        for feed in self.config.feeds:
            paused = "" if feed.enabled else " (paused: enabled: false)"
            self.reporter.done(f"{feed.name}: '{feed.schedule}'{paused}")
        while not self.stop.is_set():
            self.tick()
            if self.stop.is_set():
                break
            wait = self.seconds_to_next()
            if wait > 0:
                self.reporter.done(f"next check in {wait:.0f} s")
                self._sleep(wait)
        self.reporter.step("iomhub schedule: stopped")


def stop_on_signals(stop: threading.Event) -> None:
    """Make SIGTERM and SIGINT ask the service to stop after the step in hand."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_schedule(
    config: HubConfig, reporter: Reporter, *, once: bool, max_wait_seconds: float
) -> RunSummary | None:
    """The scheduling service: until SIGTERM or SIGINT, or (``once``) one tick for cron.

    Returns the tick's run summary when ``once`` ran something, else None.
    """
    stop = threading.Event()
    stop_on_signals(stop)
    scheduler = Scheduler(config, reporter, stop=stop, max_wait_seconds=max_wait_seconds)
    if not once:
        scheduler.run_forever()
        return None
    return scheduler.tick(wait_if_locked=False)
