"""What a data officer watches between runs: recent runs with their stage timings, a feed's
quarantine (counts by reason and a sample of rows), and a run started on demand.

The quarantine sample holds the partner's raw values: personal data. Whoever shows it logs a
consultation first (the web app does; see :mod:`hub.web.pages.feeds`).
"""

from __future__ import annotations

import datetime
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow.parquet as pq

from hub.config import HubConfig
from hub.errors import WorkspaceLocked
from hub.output import Reporter
from hub.workspace import Workspace

SAMPLE_ROWS = 20


@dataclass(frozen=True)
class RunRecord:
    """One run as the state database keeps it."""

    run_id: str
    command: str
    started_at: str
    finished_at: str | None
    status: str
    totals: dict[str, Any] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float | None:
        """Wall time from start to finish, when finished."""
        if not self.finished_at:
            return None
        started = datetime.datetime.fromisoformat(self.started_at)
        return (datetime.datetime.fromisoformat(self.finished_at) - started).total_seconds()


@dataclass(frozen=True)
class QuarantinedRow:
    row_number: int
    column: str | None
    reason: str
    raw_record: dict[str, Any]


@dataclass(frozen=True)
class QuarantineSample:
    """A feed's current extract's quarantine: counts by reason and its first rows."""

    feed: str
    extract_id: str | None
    extract_name: str | None
    rows: int
    by_reason: tuple[tuple[str, int], ...]
    sample: tuple[QuarantinedRow, ...]


def recent_runs(config: HubConfig, limit: int = 20) -> list[RunRecord]:
    """The latest runs, newest first, with their totals and stage timings."""
    state = Workspace(config.workspace).open_state()
    try:
        rows = state.runs(limit)
    finally:
        state.close()
    records = []
    for row in rows:
        summary = json.loads(row["summary"]) if row["summary"] else {}
        stages = summary.pop("stage_seconds", {}) if isinstance(summary, dict) else {}
        records.append(RunRecord(row["run_id"], row["command"], row["started_at"],
                                 row["finished_at"], row["status"],
                                 summary if isinstance(summary, dict) else {}, stages))  # fmt: skip
    return records


def quarantine_sample(config: HubConfig, feed: str, limit: int = SAMPLE_ROWS) -> QuarantineSample:
    """The quarantined rows of ``feed``'s current extract: reasons counted, the first shown."""
    name = config.feed(feed).name
    workspace = Workspace(config.workspace)
    state = workspace.open_state()
    try:
        current = state.current_extracts().get(name)
    finally:
        state.close()
    if current is None:
        return QuarantineSample(name, None, None, 0, (), ())
    path = workspace.quarantine_file(name, current.extract_id)
    table = pq.read_table(path) if path.exists() else None
    if table is None or table.num_rows == 0:
        return QuarantineSample(name, current.extract_id, current.name, 0, (), ())
    reasons = Counter(
        f"{column}: {reason}" if column else reason
        for column, reason in zip(table.column("column").to_pylist(),
                                  table.column("reason").to_pylist(), strict=True)
    )  # fmt: skip
    sample = tuple(
        QuarantinedRow(int(r["row_number"]), r["column"], str(r["reason"]),
                       json.loads(r["raw_record"]) if r["raw_record"] else {})
        for r in table.slice(0, limit).to_pylist()
    )  # fmt: skip
    return QuarantineSample(name, current.extract_id, current.name, table.num_rows,
                            tuple(reasons.most_common()), sample)  # fmt: skip


class BackgroundRun:
    """One hub run started on demand (the web app's "run now"), at most one at a time."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, config: HubConfig) -> bool:
        """Start a full run in the background; False if one is running already."""
        if self.running:
            return False
        self.error = None
        self._thread = threading.Thread(target=self._run, args=(config,), daemon=True,
                                        name="iomhub-run-now")  # fmt: skip
        self._thread.start()
        return True

    def _run(self, config: HubConfig) -> None:
        from hub.run.pipeline import run_once

        try:
            run_once(config, Reporter(quiet=True), command="run (web)")
        except WorkspaceLocked as error:
            self.error = error.message
        except Exception as error:
            self.error = str(error)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
