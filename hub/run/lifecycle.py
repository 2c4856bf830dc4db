"""A run's life in the state database: hold the workspace lock, start, finish or crash.

Every run (``iomhub run``, a scheduled tick, ``iomhub match run``) goes through
:func:`tracked_run`, so a run that raises is recorded as 'interrupted' (Ctrl-C) or 'crashed',
and the state database is closed, whichever front door started it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hub.state import StateStore, ended_by
from hub.workspace import Workspace


@dataclass
class TrackedRun:
    """A run in progress: its state store, its id, and what to record if it crashes."""

    state: StateStore
    run_id: str
    totals: Callable[[], dict[str, Any]] = field(default=dict)
    """Counts so far; recorded with the run when it crashes or ends without :meth:`finish`."""
    finished: bool = False

    def finish(self, status: str, summary: dict[str, Any] | None = None) -> None:
        """Record how the run ended (``summary`` defaults to :attr:`totals`)."""
        self.state.finish_run(self.run_id, status, self.totals() if summary is None else summary)
        self.finished = True


@contextmanager
def tracked_run(workspace: Workspace, command: str) -> Iterator[TrackedRun]:
    """Lock the workspace and record a run of ``command``: 'interrupted' or 'crashed' if the
    body raises, 'ok' if it returns without calling :meth:`TrackedRun.finish`."""
    with workspace.lock():
        state = workspace.open_state()
        try:
            run = TrackedRun(state, state.start_run(command))
            try:
                yield run
            except BaseException as error:
                run.finish(ended_by(error))
                raise
            if not run.finished:
                run.finish("ok")
        finally:
            state.close()
