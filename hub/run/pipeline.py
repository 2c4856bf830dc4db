"""One hub run, reading like its flow: pull, ingest, match, publish; and publishing alone.

Each stage reads the previous stage's files and writes its own, so a stage can be re-run alone
and a crash leaves the last good state in place. Runs never overlap: the workspace lock is held
for the whole run.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from connectors.retry import Sleep
from hub.audit.events import ConfigChanged, ConfigRemoved
from hub.audit.log import AuditLog
from hub.audit.witness import anchor_to_witness
from hub.config import FeedConfig, HubConfig
from hub.interrupts import is_interruption, raise_if_interrupted
from hub.output import Reporter
from hub.run.alerts import alert_after_run
from hub.run.ingest import ExtractOutcome, ingest_pending
from hub.run.lifecycle import tracked_run
from hub.run.match import match_stage
from hub.run.publish import ReleaseOutcome, publish_all
from hub.run.pull import FeedPullOutcome, pull_all
from hub.state import StateStore
from hub.workspace import Workspace
from schemas.errors import HubError


@dataclass
class RunSummary:
    """What one run did, for the console, ``--json`` and the state database."""

    run_id: str
    pulls: list[FeedPullOutcome] = field(default_factory=list)
    extracts: list[ExtractOutcome] = field(default_factory=list)
    releases: list[ReleaseOutcome] = field(default_factory=list)
    match: dict[str, Any] | None = None
    """The matching stage's counts (records, persons, links, merges, splits, review pairs,
    model version), or None when it did not run."""
    match_error: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of each stage that ran ('pull', 'ingest', 'match', 'publish'), in order."""

    @property
    def failed(self) -> bool:
        """Whether any feed, file, extract or stage failed (others may still have succeeded):
        a file rejected on its checksum, an extract rejected or held all count."""
        return (
            any(p.error or p.rejected for p in self.pulls)
            or any(e.status in ("rejected", "held") for e in self.extracts)
            or self.match_error is not None
            or any(r.error for r in self.releases)
        )

    def totals(self) -> dict[str, int]:
        """Headline counts."""
        return {
            "files_pulled": sum(len(p.landed) for p in self.pulls),
            "feeds_failed": sum(1 for p in self.pulls if p.error),
            "files_rejected": sum(len(p.rejected) for p in self.pulls),
            "extracts_ingested": sum(1 for e in self.extracts if e.status == "ingested"),
            "extracts_rejected": sum(1 for e in self.extracts if e.status == "rejected"),
            "extracts_held": sum(1 for e in self.extracts if e.status == "held"),
            "extracts_resent": sum(1 for e in self.extracts if e.status == "resent"),
            "rows_ingested": sum(e.rows_accepted for e in self.extracts),
            "rows_quarantined": sum(e.rows_rejected for e in self.extracts),
            "people_matched": self.match["persons"] if self.match else 0,
            "releases_published": sum(1 for r in self.releases if r.status == "published"),
        }

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready document."""
        return {"run_id": self.run_id, "totals": self.totals(), "pulls": [asdict(p) for p in
                self.pulls], "extracts": [asdict(e) for e in self.extracts],
                "match": self.match, "match_error": self.match_error,
                "releases": [asdict(r) for r in self.releases],
                "stage_seconds": self.stage_seconds}  # fmt: skip


def record_config_changes(config: HubConfig, state: StateStore, audit: AuditLog) -> None:
    """Log every configuration or agreement file whose content changed since the last run, by
    hash (``config_changed``, with ``kind`` 'agreement' or 'configuration'), and every one no
    longer used (``config_removed``)."""
    agreements = {path.resolve() for path in config.agreements}
    seen = set()
    for path in dict.fromkeys([*config.config_files, *config.agreements]):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        key = f"config:{path.resolve()}"
        seen.add(key)
        if state.fact(key) != digest:
            kind = "agreement" if path.resolve() in agreements else "configuration"
            audit.record(ConfigChanged(file=str(path), sha256=digest, kind=kind))
            state.set_fact(key, digest)
    for key, value in state.facts("config:").items():
        if key not in seen and value != "removed":
            audit.record(ConfigRemoved(file=key.removeprefix("config:"), sha256=value))
            state.set_fact(key, "removed")


def anchor_audit_log(config: HubConfig, audit: AuditLog, reporter: Reporter) -> None:
    """Write a signed checkpoint of the audit log to the witness, when one is configured."""
    if config.audit.witness is not None:
        name = anchor_to_witness(audit, config.audit.witness, config.settings, config.environment)
        reporter.done(f"audit log anchored: {name} in {config.audit.witness.describe()}")


StageHook = Callable[[str, bool], None]
"""Told ``(stage, True)`` as a stage starts and ``(stage, False)`` as it ends (benchmarks)."""


@contextmanager
def _stage(summary: RunSummary, name: str, hook: StageHook | None) -> Iterator[None]:
    if hook is not None:
        hook(name, True)
    raise_if_interrupted()
    started = time.perf_counter()
    try:
        yield
        raise_if_interrupted()
    finally:
        summary.stage_seconds[name] = round(time.perf_counter() - started, 3)
        if hook is not None:
            hook(name, False)


def run_once(
    config: HubConfig, reporter: Reporter, *, pull: bool = True, command: str = "run",
    feeds: list[FeedConfig] | None = None, only_if_new: bool = False,
    should_stop: Callable[[], bool] | None = None, sleep: Sleep | None = None,
    on_stage: StageHook | None = None, full_match: bool = False,
) -> RunSummary:  # fmt: skip
    """Pull every feed (or ``feeds``) once, then run every later stage on what has landed.

    ``only_if_new`` skips the later stages when nothing new landed and nothing is pending (the
    scheduler's ticks). ``should_stop`` is asked between steps: a stopping service finishes
    the step in hand and records the run as 'stopped'. Each stage's wall time is kept in
    ``RunSummary.stage_seconds``; ``on_stage`` is told as each stage starts and ends. Once the
    run is recorded, its alerts are sent (:mod:`hub.run.alerts`). ``full_match`` re-matches
    every record (else matching redoes only what changed, when the hub file allows it).
    """
    summary = _run_stages(config, reporter, pull=pull, command=command, feeds=feeds,
                          only_if_new=only_if_new, should_stop=should_stop, sleep=sleep,
                          on_stage=on_stage, full_match=full_match)  # fmt: skip
    alert_after_run(config, summary, reporter)
    return summary


def _run_stages(
    config: HubConfig, reporter: Reporter, *, pull: bool, command: str,
    feeds: list[FeedConfig] | None, only_if_new: bool,
    should_stop: Callable[[], bool] | None, sleep: Sleep | None, on_stage: StageHook | None,
    full_match: bool = False,
) -> RunSummary:  # fmt: skip
    workspace = Workspace(config.workspace)
    stop = should_stop or (lambda: False)
    with tracked_run(workspace, command) as run:
        state = run.state
        summary = RunSummary(run.run_id)
        run.totals = lambda: {**summary.totals(), "stage_seconds": dict(summary.stage_seconds)}
        audit = workspace.open_audit(config.settings)
        record_config_changes(config, state, audit)
        if pull:
            reporter.step("Pulling partner extracts")
            with _stage(summary, "pull", on_stage):
                summary.pulls = pull_all(config, workspace, state, audit, reporter, feeds,
                                         sleep=sleep, should_stop=stop)  # fmt: skip
        nothing_new = not any(p.landed for p in summary.pulls) and not (
            state.extracts(status="pending") or state.unhandled_deliveries())  # fmt: skip
        if stop() or (only_if_new and nothing_new):
            anchor_audit_log(config, audit, reporter)
            run.finish("stopped" if stop() else "ok")
            return summary
        reporter.step("Ingesting landed extracts")
        with _stage(summary, "ingest", on_stage):
            summary.extracts = ingest_pending(config, workspace, state, audit, reporter)
        if not summary.extracts:
            reporter.done("nothing new to ingest")
        if config.matching.enabled:
            try:
                with _stage(summary, "match", on_stage):
                    counts = match_stage(config, workspace, state, reporter,
                                         run_id=run.run_id, full=full_match)  # fmt: skip
                summary.match = counts.as_dict() if counts else None
            except HubError as error:
                if is_interruption(error):
                    raise
                summary.match_error = error.message
                reporter.problem(f"matching: {error.message}")
        with _stage(summary, "publish", on_stage):
            summary.releases = publish_all(config, workspace, state, audit, reporter)
        anchor_audit_log(config, audit, reporter)
        run.finish("failed" if summary.failed else "ok")
    return summary


def publish_now(
    config: HubConfig, reporter: Reporter, *, recipients: list[str] | None = None,
    force: bool = False,
) -> list[ReleaseOutcome]:  # fmt: skip
    """Publish each recipient's release (or only ``recipients``) from the matched view, as
    a run does after matching: configuration changes are logged first."""
    workspace = Workspace(config.workspace)
    with workspace.lock():
        state = workspace.open_state()
        try:
            audit = workspace.open_audit(config.settings)
            record_config_changes(config, state, audit)
            releases = publish_all(config, workspace, state, audit, reporter,
                                   recipients=recipients, force=force)  # fmt: skip
            anchor_audit_log(config, audit, reporter)
            return releases
        finally:
            state.close()
