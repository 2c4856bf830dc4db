"""``iomhub match ...`` and ``iomhub links ...``: run, train, review and explain matching.

Commands (exit codes as in :mod:`hub.cli`)::

    iomhub match run      --config HUB.yaml            match the current extracts now
    iomhub match train    --config HUB.yaml            train a model on the workspace, pin it
    iomhub match review   --config HUB.yaml            list pairs waiting for review
    iomhub match review   --config HUB.yaml --pair ID --decision same|different
    iomhub match review   --config HUB.yaml --interactive
    iomhub match explain  --config HUB.yaml police:DC1 probation:S1   (or --pair ID)
    iomhub links export   --config HUB.yaml --out links.csv|links.parquet

Review and explain show personal data (names, dates of birth) to the person running them; they
are for the IOM team's authorised reviewers.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import click

from hub.cli.common import Options, config_option, error_boundary


def _record_key(text: str) -> tuple[str, str]:
    feed, sep, record = text.partition(":")
    if not sep or not feed or not record:
        raise click.BadParameter(f"{text!r}: expected FEED:RECORD_ID, e.g. police:DC96073408")
    return feed, record


@click.group("match")
def match() -> None:
    """Link people across partners: run, train, review, explain."""


@match.command("run")
@config_option
@click.pass_obj
@error_boundary
def match_run(options: Options, config_path: Path) -> None:
    """Match the current extracts now (even when nothing changed)."""
    from hub.config import load_config
    from hub.run.match import match_stage
    from hub.state import ended_by
    from hub.workspace import Workspace

    config = load_config(config_path)
    workspace = Workspace(config.workspace)
    reporter = options.reporter()
    with workspace.lock():
        state = workspace.open_state()
        run_id = state.start_run("match")
        try:
            reporter.step("Matching people across partners")
            counts = match_stage(config, workspace, state, reporter, run_id=run_id, force=True)
        except BaseException as error:
            state.finish_run(run_id, ended_by(error), {})
            raise
        else:
            document = counts.as_dict() if counts else None
            state.finish_run(run_id, "ok", {"match": document})
        finally:
            state.close()
    options.emit({"run_id": run_id, "match": document})
    if counts and not options.json_mode and not options.quiet:
        click.echo(f"{counts.persons:,} people from {counts.records:,} records; "
                   f"{counts.review_pairs:,} pairs for review")  # fmt: skip


@match.command("train")
@config_option
@click.option("--max-pairs", type=float, default=5e6, show_default=True,
              help="Pairs sampled to estimate u probabilities.")  # fmt: skip
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--pin/--no-pin", default=True, show_default=True,
              help="Make runs use the new model (writes matched/models/PINNED).")  # fmt: skip
@click.pass_obj
@error_boundary
def match_train(options: Options, config_path: Path, max_pairs: float, seed: int,
                pin: bool) -> None:  # fmt: skip
    """Estimate the model from the workspace's current records and save a versioned file."""
    from hub.config import load_config
    from hub.run.match import MatchedFolder, current_staging_files
    from hub.workspace import Workspace
    from matching.engine import open_engine
    from matching.errors import MatchingError
    from matching.standardise import build_frame
    from matching.train import train

    config = load_config(config_path)
    workspace = Workspace(config.workspace)
    folder = MatchedFolder(workspace)
    reporter = options.reporter()
    with workspace.lock():
        state = workspace.open_state()
        try:
            files = current_staging_files(config, workspace, state)
        finally:
            state.close()
        if not files:
            raise MatchingError("no ingested extracts to train on", hint="run 'iomhub run' first")
        reporter.step(f"Training on {len(files)} current extract(s)")
        engine = open_engine(config.matching.engine, workspace.tmp / "duckdb-train")
        try:
            records = build_frame(engine, files)
            reporter.done(f"{records:,} records standardised; estimating (this takes a while)")
            model = train(engine, records, max_pairs=max_pairs, seed=seed)
        finally:
            engine.close()
        path = model.save(folder.models / f"model-{model.version}.json")
        if pin:
            folder.pin.write_text(path.name + "\n", encoding="utf-8")
    options.emit({"model": str(path), "version": model.version, "pinned": pin,
                  "matches_per_record": model.matches_per_record})  # fmt: skip
    if not options.json_mode:
        click.echo(f"model {model.version} -> {path}" + (" (pinned)" if pin else ""))
        if config.matching.model is not None:
            click.echo("  note: matching.model in the hub file takes precedence over the pin")


def _pending_review(config_path: Path) -> tuple[Any, list[dict[str, Any]]]:
    import pyarrow.parquet as pq

    from hub.config import load_config
    from hub.run.match import MatchedFolder
    from hub.workspace import Workspace
    from matching.errors import MatchingError
    from matching.registry import PersonRegistry, pair_key

    config = load_config(config_path)
    folder = MatchedFolder(Workspace(config.workspace))
    if not folder.review.exists():
        raise MatchingError("no match has run in this workspace yet", hint="run 'iomhub run'")
    rows = pq.read_table(folder.review).to_pylist()
    with PersonRegistry(folder.registry) as registry:
        decided = {(d.left, d.right) for d in registry.decisions()}
    pending = [
        row for row in rows
        if pair_key((row["source_l"], row["record_id_l"]), (row["source_r"], row["record_id_r"]))
        not in decided
    ]  # fmt: skip
    return folder, pending


def _decide(folder: Any, row: dict[str, Any], same: bool, note: str | None, by: str) -> None:
    from hub.audit_events import record_review_decision
    from matching.registry import PersonRegistry

    with PersonRegistry(folder.registry) as registry:
        registry.decide((row["source_l"], row["record_id_l"]),
                        (row["source_r"], row["record_id_r"]), same, by=by, note=note)  # fmt: skip
    record_review_decision(folder.workspace, row, same, note, by)


@match.command("review")
@config_option
@click.option("--pair", "pair", help="The pair to decide (its id from the list).")
@click.option("--decision", type=click.Choice(["same", "different"]),
              help="Same person or different people; overrides the model from now on.")  # fmt: skip
@click.option("--note", help="Why (kept with the decision).")
@click.option("--by", "reviewer", default=None, help="Who decided (default: your login name).")
@click.option("--interactive", "-i", is_flag=True, help="Walk the list and decide each pair.")
@click.option("--limit", type=click.IntRange(1), default=10, show_default=True)
@click.pass_obj
@error_boundary
def match_review(options: Options, config_path: Path, pair: str | None, decision: str | None,
                 note: str | None, reviewer: str | None, interactive: bool,
                 limit: int) -> None:  # fmt: skip
    """Show pairs the model could not settle, with the evidence; record decisions."""
    from matching.errors import ReviewError
    from matching.review import describe_pair

    folder, pending = _pending_review(config_path)
    by = reviewer or getpass.getuser()
    if pair or decision:
        if not (pair and decision):
            raise click.UsageError("give both --pair and --decision")
        matches = [row for row in pending if row["pair_id"] == pair]
        if not matches:
            raise ReviewError(f"no pair {pair} waits for review",
                              hint="list pairs with 'iomhub match review'")  # fmt: skip
        _decide(folder, matches[0], decision == "same", note, by)
        options.emit({"pair": pair, "decision": decision})
        if not options.json_mode:
            click.echo(f"pair {pair}: {decision}; applies from the next run "
                       "('iomhub match run' to apply now)")  # fmt: skip
        return
    if interactive:
        decided = 0
        for row in pending:
            click.echo(describe_pair(row) + "\n")
            answer = click.prompt("[s]ame, [d]ifferent, s[k]ip, [q]uit",
                                  type=click.Choice(["s", "d", "k", "q"]), default="k")  # fmt: skip
            if answer == "q":
                break
            if answer in ("s", "d"):
                _decide(folder, row, answer == "s", None, by)
                decided += 1
        click.echo(f"{decided} decision(s) recorded; they apply from the next run")
        return
    options.emit({"pending": len(pending), "pairs": [
        {k: v for k, v in row.items() if k != "evidence"} for row in pending[:limit]]})  # fmt: skip
    if not options.json_mode:
        click.echo(f"{len(pending):,} pair(s) wait for review"
                   + (f"; the first {limit}:" if len(pending) > limit else ":"))  # fmt: skip
        for row in pending[:limit]:
            click.echo("\n" + describe_pair(row))
        if pending:
            click.echo("\ndecide with: iomhub match review --config ... --pair ID "
                       "--decision same|different")  # fmt: skip


@match.command("explain")
@config_option
@click.argument("left", required=False)
@click.argument("right", required=False)
@click.option("--pair", "pair", help="A pair id from the review list instead of two records.")
@click.pass_obj
@error_boundary
def match_explain(options: Options, config_path: Path, left: str | None, right: str | None,
                  pair: str | None) -> None:  # fmt: skip
    """Explain the score of one pair of records (FEED:RECORD_ID FEED:RECORD_ID)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hub.config import load_config
    from hub.run.match import MatchedFolder, load_model
    from hub.workspace import Workspace
    from matching.engine import open_engine
    from matching.errors import MatchingError, ReviewError
    from matching.score import evidence_in_words, explain_pairs

    config = load_config(config_path)
    workspace = Workspace(config.workspace)
    folder = MatchedFolder(workspace)
    if pair:
        rows = [r for r in pq.read_table(folder.review).to_pylist() if r["pair_id"] == pair] \
            if folder.review.exists() else []  # fmt: skip
        if not rows:
            raise ReviewError(f"no pair {pair} in the review list")
        keys = [(rows[0]["source_l"], rows[0]["record_id_l"]),
                (rows[0]["source_r"], rows[0]["record_id_r"])]  # fmt: skip
    elif left and right:
        keys = [_record_key(left), _record_key(right)]
    else:
        raise click.UsageError("give two records (FEED:RECORD_ID FEED:RECORD_ID) or --pair")
    if not folder.frame.exists():
        raise MatchingError("no match has run in this workspace yet", hint="run 'iomhub run'")
    model = load_model(config, workspace)
    engine = open_engine(config.matching.engine, workspace.tmp / "duckdb-explain")
    try:
        engine.load_parquet("frame_file", [folder.frame])
        engine.create_table("frame", "SELECT * FROM frame_file")
        records = int(engine.scalar("SELECT count(*) FROM frame"))
        ids = []
        for source, record in keys:
            found = engine.to_arrow(
                "SELECT unique_id FROM frame WHERE source = '" + source.replace("'", "''")
                + "' AND source_record_id = '" + record.replace("'", "''") + "'"
            )  # fmt: skip
            if not found.num_rows:
                raise ReviewError(f"no current record {source}:{record}")
            ids.append(found.column(0)[0].as_py())
        if ids[0] == ids[1]:
            raise ReviewError("that is one record twice")
        order = sorted(range(2), key=lambda i: ids[i])
        evidence = explain_pairs(engine, model, records, pa.table({
            "unique_id_l": pa.array([ids[order[0]]], pa.int64()),
            "unique_id_r": pa.array([ids[order[1]]], pa.int64())}))[0]  # fmt: skip
    finally:
        engine.close()
    persons = _person_ids(folder.record_links, keys)
    shown = [f"{s}:{r}" for s, r in (keys[order[0]], keys[order[1]])]
    options.emit({"left": shown[0], "right": shown[1], **evidence.as_dict(),
                  "person_ids": persons, "model": model.version})  # fmt: skip
    if not options.json_mode:
        click.echo(f"model {model.version}")
        click.echo(evidence_in_words(evidence, *shown))
        same = len(set(persons.values())) == 1 and None not in persons.values()
        click.echo("  now: " + ("one person, " if same else "different people: ")
                   + ", ".join(f"{k} -> {v}" for k, v in persons.items()))  # fmt: skip


def _person_ids(links: Path, keys: list[tuple[str, str]]) -> dict[str, str | None]:
    import pyarrow.parquet as pq

    if not links.exists():
        return {f"{s}:{r}": None for s, r in keys}
    table = pq.read_table(links, columns=["source", "source_record_id", "person_id"])
    lookup = {(r["source"], r["source_record_id"]): r["person_id"] for r in table.to_pylist()
              if (r["source"], r["source_record_id"]) in set(keys)}  # fmt: skip
    return {f"{s}:{r}": lookup.get((s, r)) for s, r in keys}


@click.group("links")
def links() -> None:
    """The record links (which partner record belongs to which person)."""


@links.command("export")
@config_option
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="File to write: .csv or .parquet (by extension).")  # fmt: skip
@click.pass_obj
@error_boundary
def links_export(options: Options, config_path: Path, out: Path) -> None:
    """Write the links (source, source_record_id, person_id) as CSV or Parquet."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from hub.config import load_config
    from hub.run.match import MatchedFolder
    from hub.workspace import Workspace
    from matching.errors import MatchingError

    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise click.UsageError(f"{out}: the file name must end in .csv or .parquet")
    config = load_config(config_path)
    folder = MatchedFolder(Workspace(config.workspace))
    if not folder.record_links.exists():
        raise MatchingError("no links yet: no match has run in this workspace",
                            hint="run 'iomhub run'")  # fmt: skip
    table = pq.read_table(folder.record_links, columns=["source", "source_record_id",
                                                        "person_id"])  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if suffix == ".csv":
        pacsv.write_csv(table, tmp)
    else:
        pq.write_table(table, tmp, compression="zstd")
    tmp.replace(out)
    options.emit({"out": str(out), "links": table.num_rows})
    if not options.json_mode and not options.quiet:
        click.echo(f"{table.num_rows:,} links -> {out}")


def register(group: click.Group) -> None:
    """Add the commands of this module to the ``iomhub`` group."""
    group.add_command(match)
    group.add_command(links)


__all__ = ["links", "match", "register"]
