"""One hub run, reading like its flow: pull, ingest, match (then publish as it exists).

Each stage reads the previous stage's files and writes its own, so a stage can be re-run alone
and a crash leaves the last good state in place. Runs never overlap: the workspace lock is held
for the whole run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hub.config import HubConfig
from hub.ingest import ExtractOutcome, ingest_pending
from hub.match import match_stage
from hub.output import Reporter
from hub.pull import FeedPullOutcome, pull_all
from hub.workspace import Workspace
from schemas.errors import HubError


@dataclass
class RunSummary:
    """What one run did, for the console, ``--json`` and the state database."""

    run_id: str
    pulls: list[FeedPullOutcome] = field(default_factory=list)
    extracts: list[ExtractOutcome] = field(default_factory=list)
    match: dict[str, Any] | None = None
    """The matching stage's counts (records, persons, links, merges, splits, review pairs,
    model version), or None when it did not run."""
    match_error: str | None = None

    @property
    def failed(self) -> bool:
        """Whether any feed, extract or stage failed (others may still have succeeded)."""
        return (
            any(p.error for p in self.pulls)
            or any(e.status == "rejected" for e in self.extracts)
            or self.match_error is not None
        )

    def totals(self) -> dict[str, int]:
        """Headline counts."""
        return {
            "files_pulled": sum(len(p.landed) for p in self.pulls),
            "feeds_failed": sum(1 for p in self.pulls if p.error),
            "extracts_ingested": sum(1 for e in self.extracts if e.status == "ingested"),
            "extracts_rejected": sum(1 for e in self.extracts if e.status == "rejected"),
            "rows_ingested": sum(e.rows_accepted for e in self.extracts),
            "rows_quarantined": sum(e.rows_rejected for e in self.extracts),
            "people_matched": self.match["persons"] if self.match else 0,
        }

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready document."""
        return {"run_id": self.run_id, "totals": self.totals(), "pulls": [asdict(p) for p in
                self.pulls], "extracts": [asdict(e) for e in self.extracts],
                "match": self.match, "match_error": self.match_error}  # fmt: skip


def run_once(
    config: HubConfig, reporter: Reporter, *, pull: bool = True, command: str = "run"
) -> RunSummary:
    """Pull every feed once, then run every later stage on what has landed."""
    workspace = Workspace(config.workspace)
    with workspace.lock():
        state = workspace.open_state()
        summary = RunSummary(state.start_run(command))
        try:
            if pull:
                reporter.step("Pulling partner extracts")
                summary.pulls = pull_all(config, workspace, state, reporter)
            reporter.step("Ingesting landed extracts")
            summary.extracts = ingest_pending(config, workspace, state, reporter)
            if not summary.extracts:
                reporter.done("nothing new to ingest")
            if config.matching.enabled:
                reporter.step("Matching people across partners")
                try:
                    counts = match_stage(config, workspace, state, reporter,
                                         run_id=summary.run_id)  # fmt: skip
                    summary.match = counts.as_dict() if counts else None
                except HubError as error:
                    summary.match_error = error.message
                    reporter.problem(f"matching: {error.message}")
            state.finish_run(summary.run_id, "failed" if summary.failed else "ok",
                             summary.totals())  # fmt: skip
        except BaseException:
            state.finish_run(summary.run_id, "crashed", summary.totals())
            raise
        finally:
            state.close()
    return summary
