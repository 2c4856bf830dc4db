"""The matching stage: every feed's current extract in, people out, under ``matched/``.

The folder's layout is the workspace's (:class:`hub.workspace.MatchedFolder`). The stage runs
when the current extracts, the model, the thresholds or the review decisions have changed since
the last match (``force`` runs it regardless). While it runs it says each phase, and every
:data:`HEARTBEAT_SECONDS` how long it has run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.config import HubConfig
from hub.output import Reporter
from hub.state import StateStore
from hub.workspace import MatchedFolder, Workspace

if TYPE_CHECKING:
    from matching.model import MatchModel
    from matching.run import MatchCounts

HEARTBEAT_SECONDS = 30.0
"""How often a long match says how long it has run and the phase in hand."""


def resolve_model_path(config: HubConfig, workspace: Workspace) -> Path:
    """The model runs use: ``matching.model``, else the workspace's pin, else the shipped one."""
    from matching.model import default_model_path

    if config.matching.model is not None:
        model = config.matching.model.expanduser()
        if not model.is_absolute() and config.config_path is not None:
            model = config.config_path.parent / model
        return model
    pin = workspace.matched.pin
    if pin.exists():
        return pin.parent / pin.read_text(encoding="utf-8").strip()
    return default_model_path()


def load_model(config: HubConfig, workspace: Workspace) -> MatchModel:
    """Load the model runs use."""
    from matching.model import MatchModel

    return MatchModel.load(resolve_model_path(config, workspace))


def current_staging_files(config: HubConfig, workspace: Workspace, state: StateStore) -> list[Path]:
    """The staging file of each configured person feed's current (latest ingested) extract;
    feeds of other record kinds (offences) are staged but never matched."""
    feeds = {feed.name for feed in config.feeds if feed.format.record == "person"}
    return [
        workspace.staging_file(feed, extract.extract_id)
        for feed, extract in sorted(state.current_extracts().items())
        if feed in feeds and workspace.staging_file(feed, extract.extract_id).exists()
    ]


def _fingerprint(files: list[Path], model_path: Path, config: HubConfig, decisions: str) -> str:
    document = {
        "extracts": [f.stem for f in files],
        "model": str(model_path),
        "model_mtime": model_path.stat().st_mtime_ns if model_path.exists() else None,
        "matching": config.matching.model_dump(mode="json"),
        "decisions": decisions,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]


def _decisions_fingerprint(registry_path: Path) -> str:
    from matching.registry import PersonRegistry

    if not registry_path.exists():
        return ""
    with PersonRegistry(registry_path) as registry:
        decided = registry.decisions()
    if not decided:
        return ""
    text = "|".join(f"{d.left}{d.right}{d.same}{d.decided_at}" for d in decided)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def match_stage(
    config: HubConfig, workspace: Workspace, state: StateStore, reporter: Reporter, *,
    run_id: str, force: bool = False, full: bool = False,
) -> MatchCounts | None:  # fmt: skip
    """Match the current extracts when anything they depend on changed (always with
    ``force`` or ``full``; every record re-matched with ``full``, else only what changed when
    the hub file allows it).

    Returns the run's counts; when nothing changed, the last run's counts marked ``skipped``;
    None when there is nothing to match yet.
    """
    from hub.audit.events import MatchRun
    from matching.run import MatchCounts, MatchPaths, run_matching

    reporter.step("Matching people across partners")
    folder = workspace.matched
    files = current_staging_files(config, workspace, state)
    if not files:
        reporter.done("no ingested extracts to match yet")
        return None
    model_path = resolve_model_path(config, workspace)
    fingerprint = _fingerprint(files, model_path, config, _decisions_fingerprint(folder.registry))
    last = _last_record(folder)
    if not (force or full) and last is not None and last.get("fingerprint") == fingerprint:
        reporter.done("people unchanged: same extracts, model and decisions as the last match")
        counts = MatchCounts.from_dict(last)
        counts.skipped = True
        return counts
    model = load_model(config, workspace)
    reporter.done(f"model {model.version}; {len(files)} current extract(s)")
    with reporter.heartbeat("matching", HEARTBEAT_SECONDS) as progress:
        counts = run_matching(
            files, MatchPaths(folder.root, folder.registry, workspace.tmp), model=model,
            config=config.matching, run_id=run_id, progress=progress, full=full,
        )  # fmt: skip
    record = json.loads(folder.run_record.read_text(encoding="utf-8"))
    record["fingerprint"] = fingerprint
    record["extracts"] = [f.stem for f in files]
    folder.run_record.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    workspace.open_audit(config.settings).record(MatchRun.of_counts(counts))
    reporter.done(f"report: {folder.report}")
    return counts


def _last_record(folder: MatchedFolder) -> dict[str, Any] | None:
    try:
        record: dict[str, Any] = json.loads(folder.run_record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not folder.record_links.exists() or not folder.persons.exists():
        return None
    return record
