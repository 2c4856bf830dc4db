"""Matching on demand, outside a full run: match now, train a model, export the record links.

Each function takes the loaded configuration and returns a frozen result; the command line and
any other front door print or serve that result. Outputs live under ``matched/``
(:class:`hub.workspace.MatchedFolder`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.config import HubConfig
from hub.errors import InvalidRequest
from hub.output import Reporter
from hub.run.lifecycle import tracked_run
from hub.run.match import current_staging_files, match_stage
from hub.workspace import Workspace

if TYPE_CHECKING:
    from matching.run import MatchCounts

LINK_COLUMNS = ["source", "source_record_id", "person_id"]
LINK_FILE_SUFFIXES = (".csv", ".parquet", ".pq")


@dataclass(frozen=True)
class MatchRunResult:
    """A match run started on demand: its run id and counts (None: nothing to match yet)."""

    run_id: str
    counts: MatchCounts | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"run_id": self.run_id, "match": self.counts.as_dict() if self.counts else None}


@dataclass(frozen=True)
class TrainedModel:
    """A model trained on the workspace's current records and saved under ``matched/models``."""

    path: Path
    version: str
    pinned: bool
    matches_per_record: float
    overridden_by_config: bool
    """Whether ``matching.model`` in the hub file takes precedence over the pin."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"model": str(self.path), "version": self.version, "pinned": self.pinned,
                "matches_per_record": self.matches_per_record}  # fmt: skip


@dataclass(frozen=True)
class LinksExport:
    """The record links written to a file."""

    out: Path
    links: int


def match_now(config: HubConfig, reporter: Reporter, *, full: bool = False) -> MatchRunResult:
    """Match the current extracts now, even when nothing changed, as a run of its own
    (a full re-match with ``full``)."""
    workspace = Workspace(config.workspace)
    with tracked_run(workspace, "match") as run:
        counts = match_stage(config, workspace, run.state, reporter, run_id=run.run_id,
                             force=True, full=full)  # fmt: skip
        run.finish("ok", {"match": counts.as_dict() if counts else None})
    return MatchRunResult(run.run_id, counts)


def train_model(
    config: HubConfig, reporter: Reporter, *, max_pairs: int, seed: int, pin: bool
) -> TrainedModel:
    """Estimate a model from the current records, save it versioned, and pin it if asked."""
    from matching.engine import open_engine
    from matching.errors import MatchingError
    from matching.standardise import build_frame
    from matching.train import train

    workspace = Workspace(config.workspace)
    folder = workspace.matched
    with workspace.lock():
        state = workspace.open_state()
        try:
            files = current_staging_files(config, workspace, state)
        finally:
            state.close()
        if not files:
            raise MatchingError("no ingested extracts to train on", hint="run 'iomhub run' first")
        reporter.step(f"Training on {len(files)} current extract(s)")
        # Always on DuckDB: a model trained there is written in the dialect every engine reads.
        duckdb = config.matching.engine.model_copy(update={"backend": "duckdb"})
        engine = open_engine(duckdb, workspace.spill_folder("train"))
        try:
            records = build_frame(engine, files)
            reporter.done(f"{records:,} records standardised; estimating (this takes a while)")
            model = train(engine, records, max_pairs=max_pairs, seed=seed)
        finally:
            engine.close()
        path = model.save(folder.models / f"model-{model.version}.json")
        if pin:
            folder.pin.write_text(path.name + "\n", encoding="utf-8")
    return TrainedModel(path, model.version, pin, model.matches_per_record,
                        config.matching.model is not None)  # fmt: skip


def export_links(
    config: HubConfig, out: Path, *, before_writing: Callable[[int], None] | None = None
) -> LinksExport:
    """Write the links (source, source_record_id, person_id) as CSV or Parquet, by extension.

    ``before_writing`` is told the number of links once they are read and before anything is
    written (the front door logs the consultation there: no log, no file).
    """
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from matching.errors import MatchingError

    suffix = out.suffix.lower()
    if suffix not in LINK_FILE_SUFFIXES:
        raise InvalidRequest(f"{out}: the file name must end in .csv or .parquet")
    folder = Workspace(config.workspace).matched
    if not folder.record_links.exists():
        raise MatchingError("no links yet: no match has run in this workspace",
                            hint="run 'iomhub run'")  # fmt: skip
    table = pq.read_table(folder.record_links, columns=LINK_COLUMNS)
    if before_writing is not None:
        before_writing(table.num_rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if suffix == ".csv":
        pacsv.write_csv(table, tmp)
    else:
        pq.write_table(table, tmp, compression="zstd")
    tmp.replace(out)
    return LinksExport(out, table.num_rows)
