"""Every run goes through one lifecycle: locked, recorded, 'crashed' when it raises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.errors import WorkspaceLocked
from hub.run.lifecycle import tracked_run
from hub.workspace import Workspace


def _recorded(workspace: Workspace, run_id: str) -> dict[str, Any]:
    state = workspace.open_state()
    try:
        [row] = [row for row in state.runs() if row["run_id"] == run_id]
    finally:
        state.close()
    return {**row, "summary": json.loads(row["summary"])}


def test_a_run_that_returns_is_recorded_ok_with_its_totals(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    with tracked_run(workspace, "match") as run:
        run.totals = lambda: {"records": 3}

    last = _recorded(workspace, run.run_id)
    assert (last["command"], last["status"]) == ("match", "ok")
    assert last["summary"] == {"records": 3}


def test_a_run_that_raises_is_recorded_crashed_and_the_lock_is_released(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    with pytest.raises(RuntimeError), tracked_run(workspace, "run") as run:
        run.totals = lambda: {"files_pulled": 1}
        raise RuntimeError("disk gone")

    last = _recorded(workspace, run.run_id)
    assert last["status"] == "crashed" and last["summary"] == {"files_pulled": 1}
    with tracked_run(workspace, "run") as again:
        again.finish("failed", {"feeds_failed": 1})
    assert _recorded(workspace, again.run_id)["status"] == "failed"


def test_runs_never_overlap(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    with (
        tracked_run(workspace, "run"),
        pytest.raises(WorkspaceLocked),
        tracked_run(workspace, "match"),
    ):
        pass
