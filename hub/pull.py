"""Pull every feed once: one failing feed never stops the others."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.pull import pull_feed
from connectors.registry import open_connector
from hub.audit import AuditLog, Operation
from hub.config import FeedConfig, HubConfig
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
    refused: list[str] = field(default_factory=list)
    error: str | None = None


def pull_all(
    config: HubConfig, workspace: Workspace, state: StateStore, audit: AuditLog,
    reporter: Reporter, feeds: list[FeedConfig] | None = None,
) -> list[FeedPullOutcome]:  # fmt: skip
    """Pull the given feeds (default: all) and record each feed's success or error."""
    outcomes = []
    for feed in feeds if feeds is not None else config.feeds:
        outcomes.append(pull_one(feed, workspace, state, audit, reporter))
    return outcomes


def pull_one(
    feed: FeedConfig, workspace: Workspace, state: StateStore, audit: AuditLog, reporter: Reporter
) -> FeedPullOutcome:
    """Pull one feed; errors are recorded and reported, not raised."""
    outcome = FeedPullOutcome(feed.name)
    try:
        with open_connector(feed.source, feed.name) as connector:
            report = pull_feed(
                connector, feed.name, feed.source, landing=workspace.landing,
                quarantine=workspace.quarantine, ledger=state,
            )  # fmt: skip
    except HubError as error:
        outcome.error = str(error)
        state.feed_failed(feed.name, str(error))
        reporter.problem(f"pull {feed.name}: {error}")
        return outcome
    for landed in report.landed:
        audit.record(
            Operation.COLLECTION, "pull",
            objects={"feed": feed.name, "file": landed.name, "sha256": landed.sha256,
                     "source": connector.location},
            counts={"bytes": landed.size},
        )  # fmt: skip
    outcome.landed = [item.name for item in report.landed]
    outcome.already_seen = report.already_seen
    outcome.waiting = report.waiting
    outcome.refused = report.refused
    state.feed_succeeded(feed.name)
    reporter.done(
        f"pull {feed.name}: {len(report.landed)} new file(s), {report.already_seen} already "
        f"landed, {len(report.waiting)} not yet complete"
    )
    for reason in report.refused:
        reporter.problem(f"pull {feed.name}: refused {reason}")
    return outcome
