"""Pull every feed once: one failing feed never stops the others."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from connectors.pull import PullReport, pull_feed
from connectors.registry import open_connector
from connectors.retry import Retrier, Sleep
from hub.audit.events import Pull
from hub.audit.log import AuditLog
from hub.config import FeedConfig, HubConfig
from hub.interrupts import is_interruption
from hub.output import Reporter
from hub.state import StateStore
from hub.workspace import Workspace
from schemas.errors import HubError


@dataclass
class FeedPullOutcome:
    """What pulling one feed did."""

    feed: str
    landed: list[str] = field(default_factory=list)
    already_seen: int = 0
    waiting: list[str] = field(default_factory=list)
    waiting_too_long: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    """Files rejected on their checksum: the run fails (exit 4) and status shows them."""
    vanished: list[str] = field(default_factory=list)
    retries: int = 0
    error: str | None = None


def pull_all(
    config: HubConfig, workspace: Workspace, state: StateStore, audit: AuditLog,
    reporter: Reporter,
    feeds: list[FeedConfig] | None = None, *, sleep: Sleep | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[FeedPullOutcome]:  # fmt: skip
    """Pull the given feeds (default: all) and record each feed's success or error; a paused
    feed (``enabled: false``) is not pulled.

    ``should_stop`` is asked between feeds: a stopping service finishes the feed in hand only.
    """
    outcomes = []
    for feed in feeds if feeds is not None else config.feeds:
        if should_stop is not None and should_stop():
            break
        if not feed.enabled:
            reporter.done(f"pull {feed.name}: paused (enabled: false), not pulled")
            continue
        siblings = tuple(other.source.pattern for other in config.feeds if other is not feed)
        outcomes.append(pull_one(feed, workspace, state, audit, reporter, sleep=sleep,
                                 environment=config.environment,
                                 sibling_patterns=siblings))  # fmt: skip
    return outcomes


def pull_one(
    feed: FeedConfig, workspace: Workspace, state: StateStore, audit: AuditLog,
    reporter: Reporter,
    *, sleep: Sleep | None = None, environment: Mapping[str, str] | None = None,
    sibling_patterns: tuple[str, ...] = (),
) -> FeedPullOutcome:  # fmt: skip
    """Pull one feed; errors are recorded and reported, not raised.

    ``environment`` holds the variables the source names for its secrets (the config's).
    ``sibling_patterns`` are the other feeds' file patterns: a partner may put two feeds' files
    in one folder (police nominals and offences), and a file another feed takes is not unusual.

    Transient errors (refused, timed out, dropped) are retried with backoff and jitter within
    the source's ``retry`` budget; an interrupted download resumes where it stopped. Terminal
    errors (host key, authentication, permission) are not retried.
    """
    outcome = FeedPullOutcome(feed.name)

    def note_retry(error: HubError, retry: int, delay: float) -> None:
        reporter.note(f"pull {feed.name}: {error.message}; retry {retry} in {delay:.1f} s")

    retrier = Retrier(feed.source.retry, on_retry=note_retry, sleep=sleep)
    report = PullReport(feed.name)
    while True:
        report = PullReport(feed.name, landed=report.landed)  # files landed so far are kept
        try:
            with open_connector(feed.source, feed.name, environment) as connector:
                pull_feed(
                    connector, feed.name, feed.source, landing=workspace.landing,
                    quarantine=workspace.quarantine, ledger=state, retrier=retrier,
                    report=report,
                )  # fmt: skip
            break
        except HubError as error:
            try:
                retrier.wait_or_raise(error)
            except HubError:
                _audit_landed(audit, report, feed.source.kind)
                return _failed(outcome, report, retrier, state, reporter, str(error))
        except Exception as error:  # one feed's surprise must not stop the others
            if is_interruption(error):
                raise  # but the operator's Ctrl-C stops them all
            detail = f"unexpected {type(error).__name__}: {error}"
            _audit_landed(audit, report, feed.source.kind)
            return _failed(outcome, report, retrier, state, reporter, f"feed {feed.name!r}: "
                           f"{detail}")  # fmt: skip
    _audit_landed(audit, report, connector.location)
    state.feed_succeeded(feed.name)
    reporter.done(
        f"pull {feed.name}: {len(report.landed)} new file(s), {report.already_seen} already "
        f"landed, {len(report.waiting)} not yet complete"
    )
    for reason in report.refused:
        reporter.problem(f"pull {feed.name}: refused {reason}")
    report.unmatched = [
        name for name in report.unmatched
        if not any(fnmatch.fnmatchcase(name, pattern) for pattern in sibling_patterns)
    ]  # fmt: skip
    _fill(outcome, report, retrier)
    _say_unusual_files(feed, report, state, reporter)
    return outcome


def _say_unusual_files(
    feed: FeedConfig, report: PullReport, state: StateStore, reporter: Reporter
) -> None:
    """Warn of files waiting too long (every pull) and of names the pattern does not match
    (once per new name); keep the waiting files for ``status``."""
    limit = feed.source.completeness.waiting_too_long_seconds
    for waiting in report.waited:
        if waiting.too_long:
            reporter.warning(
                f"pull {feed.name}: {waiting.name!r} has waited {waiting.seconds / 60:,.0f} min "
                f"to complete (over {limit / 60:,.0f} min): an upload that stopped, or a "
                "sidecar that never came?"
            )
    state.set_fact(f"waiting:{feed.name}", json.dumps(
        [{"name": w.name, "seconds": round(w.seconds), "too_long": w.too_long}
         for w in report.waited]))  # fmt: skip
    for name in report.unmatched:
        key = f"unmatched:{feed.name}:{name}"
        if state.fact(key) is None:
            reporter.warning(
                f"pull {feed.name}: {name!r} does not match the feed's pattern "
                f"{feed.source.pattern!r} and is not taken (said once for this name)"
            )
            state.set_fact(key, "reported")


def _fill(outcome: FeedPullOutcome, report: PullReport, retrier: Retrier) -> None:
    outcome.landed = [item.name for item in report.landed]
    outcome.already_seen = report.already_seen
    outcome.waiting = report.waiting
    outcome.waiting_too_long = [w.name for w in report.waited if w.too_long]
    outcome.unmatched = report.unmatched
    outcome.refused = report.refused
    outcome.rejected = report.rejected
    outcome.vanished = report.vanished
    outcome.retries = retrier.retries


def _audit_landed(audit: AuditLog, report: PullReport, location: str) -> None:
    """Record every file landed by this pull (collection), with ids and sizes only."""
    for landed in report.landed:
        audit.record(Pull(feed=report.feed, file=landed.name, sha256=landed.sha256,
                          source=location, bytes=landed.size))  # fmt: skip


def _failed(
    outcome: FeedPullOutcome, report: PullReport, retrier: Retrier, state: StateStore,
    reporter: Reporter, message: str,
) -> FeedPullOutcome:  # fmt: skip
    _fill(outcome, report, retrier)
    outcome.error = message
    state.feed_failed(outcome.feed, message)
    reporter.problem(f"pull {outcome.feed}: {message}")
    if outcome.landed:
        reporter.done(f"pull {outcome.feed}: {len(outcome.landed)} file(s) landed before it")
    return outcome
