"""A run times each of its stages and tells a listener as each starts and ends."""

from __future__ import annotations

from pathlib import Path

from hub.config import load_config
from hub.output import Reporter
from hub.run.pipeline import run_once
from tests.helpers import EXAMPLE_CONFIG, police_row, write_police


def test_each_stage_is_timed_and_announced(example_env: Path) -> None:
    write_police(example_env / "police", [police_row("DC00000001"), police_row("DC00000002")])
    config = load_config(EXAMPLE_CONFIG)
    config = config.model_copy(update={"matching": config.matching.model_copy(
        update={"enabled": False})})  # fmt: skip
    events: list[tuple[str, bool]] = []

    summary = run_once(config, Reporter(quiet=True), on_stage=lambda s, start: events.append(
        (s, start)))  # fmt: skip

    assert not summary.failed
    assert events == [("pull", True), ("pull", False), ("ingest", True), ("ingest", False),
                      ("publish", True), ("publish", False)]  # fmt: skip
    assert list(summary.stage_seconds) == ["pull", "ingest", "publish"]
    assert all(seconds >= 0 for seconds in summary.stage_seconds.values())
    assert summary.as_dict()["stage_seconds"] == summary.stage_seconds
