"""``iomhub match ...`` and ``iomhub links ...``: run, train, review and explain matching.

Commands (exit codes as in :mod:`hub.cli`)::

    iomhub match run      --config HUB.yaml            match the current extracts now
    iomhub match train    --config HUB.yaml            train a model on the workspace, pin it
    iomhub match review   --config HUB.yaml            list pairs waiting for review
    iomhub match review   --config HUB.yaml --pair ID --decision same|different
    iomhub match review   --config HUB.yaml --interactive
    iomhub match explain  --config HUB.yaml police:DC1 probation:S1   (or --pair ID)
    iomhub match decisions list      --config HUB.yaml            every decision and its status
    iomhub match decisions withdraw  --config HUB.yaml police:DC1 probation:S1 --note WHY
    iomhub match labels export       --config HUB.yaml --out labels.csv   (Splink's format)
    iomhub links export   --config HUB.yaml --out links.csv|links.parquet

Review and explain show personal data (names, dates of birth) to the person running them; they
are for the IOM team's authorised reviewers.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.cli.common import Options, config_option, error_boundary, full_match_option

if TYPE_CHECKING:
    from hub.run.review import ReviewPair


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
@full_match_option
@click.pass_obj
@error_boundary
def match_run(options: Options, config_path: Path, full: bool) -> None:
    """Match the current extracts now (even when nothing changed)."""
    from hub.run.match_run import match_now

    result = match_now(options.load_config(config_path), options.reporter(), full=full)
    options.emit(result.as_dict())
    counts = result.counts
    if counts and not options.json_mode and not options.quiet:
        click.echo(f"{counts.persons:,} people from {counts.records:,} records; "
                   f"{counts.review_pairs:,} pairs for review")  # fmt: skip


@match.command("train")
@config_option
@click.option("--max-pairs", type=click.IntRange(min=1), default=5_000_000, show_default=True,
              help="Pairs sampled to estimate u probabilities.")  # fmt: skip
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--pin/--no-pin", default=True, show_default=True,
              help="Make runs use the new model (writes matched/models/PINNED).")  # fmt: skip
@click.pass_obj
@error_boundary
def match_train(options: Options, config_path: Path, max_pairs: int, seed: int,
                pin: bool) -> None:  # fmt: skip
    """Estimate the model from the workspace's current records and save a versioned file."""
    from hub.run.match_run import train_model

    model = train_model(options.load_config(config_path), options.reporter(), max_pairs=max_pairs,
                        seed=seed, pin=pin)  # fmt: skip
    options.emit(model.as_dict())
    if not options.json_mode:
        click.echo(f"model {model.version} -> {model.path}" + (" (pinned)" if pin else ""))
        if model.overridden_by_config:
            click.echo("  note: matching.model in the hub file takes precedence over the pin")


@match.command("review")
@config_option
@click.option("--pair", "pair", help="The pair to decide (its id from the list).")
@click.option("--decision", type=click.Choice(["same", "different"]),
              help="Same person or different people; overrides the model from now on.")  # fmt: skip
@click.option("--note", help="Why (kept with the decision; required with --decision).")
@click.option("--by", "reviewer", default=None, help="Who decided (default: your login name).")
@click.option("--interactive", "-i", is_flag=True, help="Walk the list and decide each pair.")
@click.option("--limit", type=click.IntRange(1), default=10, show_default=True)
@click.option("--purpose", help="Why you look (written to the audit log with your name).")
@click.pass_obj
@error_boundary
def match_review(options: Options, config_path: Path, pair: str | None, decision: str | None,
                 note: str | None, reviewer: str | None, interactive: bool,
                 limit: int, purpose: str | None) -> None:  # fmt: skip
    """Show pairs the model could not settle, with the evidence; record decisions."""
    from hub.governance.consultations import record_command_view
    from hub.run.review import decide_pair, pending_reviews, record_decision
    from matching.review import describe_pair

    config = options.load_config(config_path)
    by = reviewer or getpass.getuser()
    if pair or decision:
        if not (pair and decision):
            raise click.UsageError("give both --pair and --decision")
        if not (note or "").strip():
            raise click.UsageError("give --note: a decision says why")
        decided = decide_pair(config, pair, same=decision == "same", decided_by=by, note=note)
        options.emit({"pair": decided.pair_id, "decision": decided.decision,
                      "held": decided.held})  # fmt: skip
        if not options.json_mode:
            effect = (
                "waits for a second reviewer (four eyes)"
                if decided.held
                else "applies from the next run ('iomhub match run' to apply now)"
            )
            click.echo(f"pair {decided.pair_id}: {decided.decision}; {effect}")  # fmt: skip
        return
    pending = pending_reviews(config).pairs
    if interactive:
        count = 0
        for row in pending:
            record_command_view(config, "match review", purpose=purpose, pairs=[row.pair_id],
                                records=_records_of([row]))  # fmt: skip
            click.echo(describe_pair(row.as_row()) + "\n")
            answer = click.prompt("[s]ame, [d]ifferent, s[k]ip, [q]uit",
                                  type=click.Choice(["s", "d", "k", "q"]), default="k")  # fmt: skip
            if answer == "q":
                break
            if answer in ("s", "d"):
                why = click.prompt("note (why)").strip()
                record_decision(config, row, same=answer == "s", decided_by=by, note=why)
                count += 1
        click.echo(f"{count} decision(s) recorded; they apply from the next run")
        return
    shown = pending[:limit]
    if shown:
        record_command_view(config, "match review", purpose=purpose,
                            pairs=[row.pair_id for row in shown],
                            records=_records_of(shown))  # fmt: skip
    options.emit({"pending": len(pending), "pairs": [row.summary() for row in shown]})
    if not options.json_mode:
        click.echo(f"{len(pending):,} pair(s) wait for review"
                   + (f"; the first {limit}:" if len(pending) > limit else ":"))  # fmt: skip
        for row in pending[:limit]:
            click.echo("\n" + describe_pair(row.as_row()))
        if pending:
            click.echo("\ndecide with: iomhub match review --config ... --pair ID "
                       "--decision same|different")  # fmt: skip


@match.command("explain")
@config_option
@click.argument("left", required=False)
@click.argument("right", required=False)
@click.option("--pair", "pair", help="A pair id from the review list instead of two records.")
@click.option("--purpose", help="Why you look (written to the audit log with your name).")
@click.pass_obj
@error_boundary
def match_explain(options: Options, config_path: Path, left: str | None, right: str | None,
                  pair: str | None, purpose: str | None) -> None:  # fmt: skip
    """Explain the score of one pair of records (FEED:RECORD_ID FEED:RECORD_ID)."""
    from hub.governance.consultations import record_command_view
    from hub.run.explain import explain_records, explain_review_pair
    from matching.score import evidence_in_words

    config = options.load_config(config_path)
    if pair:
        explained = explain_review_pair(config, pair)
    elif left and right:
        explained = explain_records(config, _record_key(left), _record_key(right))
    else:
        raise click.UsageError("give two records (FEED:RECORD_ID FEED:RECORD_ID) or --pair")
    record_command_view(config, "match explain", purpose=purpose, pairs=[pair] if pair else [],
                        records=[explained.left, explained.right])  # fmt: skip
    options.emit(explained.as_dict())
    if not options.json_mode:
        click.echo(f"model {explained.model_version}")
        click.echo(evidence_in_words(explained.evidence, explained.left, explained.right))
        click.echo("  now: " + ("one person, " if explained.one_person else "different people: ")
                   + ", ".join(f"{k} -> {v}" for k, v in explained.person_ids.items()))  # fmt: skip


@match.group("decisions")
def decisions() -> None:
    """Reviewers' decisions: list them, withdraw one."""


@decisions.command("list")
@config_option
@click.option("--purpose", help="Why you look (written to the audit log with your name).")
@click.pass_obj
@error_boundary
def decisions_list(options: Options, config_path: Path, purpose: str | None) -> None:
    """Every decision: in force, awaiting a second reviewer, or not sure."""
    from hub.governance.consultations import record_command_view
    from hub.run.review_decisions import list_decisions

    config = options.load_config(config_path)
    rows = list_decisions(config)
    shown = [text for r in rows for text in (r.left_text, r.right_text)]
    if rows:
        record_command_view(config, "match decisions list", purpose=purpose, records=shown)
    options.emit({"decisions": [{"pair": r.pair_id, "left": r.left_text, "right": r.right_text,
                                 "decision": r.kind.value, "status": r.status,
                                 "by": r.decided_by, "at": r.decided_at, "note": r.note}
                                for r in rows]})  # fmt: skip
    if not options.json_mode:
        click.echo(f"{len(rows)} decision(s)")
        for r in rows:
            click.echo(f"  {r.left_text}  {r.right_text}  {r.kind.value}  ({r.status}; "
                       f"{r.decided_by}, {r.decided_at}): {r.note}")  # fmt: skip


@decisions.command("withdraw")
@config_option
@click.argument("left")
@click.argument("right")
@click.option("--note", required=True, help="Why the decision is withdrawn.")
@click.option("--by", "reviewer", default=None, help="Who withdraws (default: your login name).")
@click.pass_obj
@error_boundary
def decisions_withdraw(options: Options, config_path: Path, left: str, right: str, note: str,
                       reviewer: str | None) -> None:  # fmt: skip
    """Withdraw the decision on two records (FEED:RECORD_ID FEED:RECORD_ID); the model decides
    the pair again from the next run."""
    from hub.run.review_decisions import withdraw
    from hub.workspace import Workspace

    config = options.load_config(config_path)
    audit = Workspace(config.workspace).open_audit(config.settings)
    withdrawn = withdraw(config, audit, _record_key(left), _record_key(right),
                         by=reviewer or getpass.getuser(), note=note)  # fmt: skip
    options.emit({"pair": withdrawn.pair_id, "withdrawn": withdrawn.kind.value})
    if not options.json_mode:
        click.echo(f"{withdrawn.left_text} {withdrawn.right_text}: {withdrawn.kind.value} "
                   "withdrawn; the model decides the pair again from the next run")  # fmt: skip


@match.group("labels")
def labels() -> None:
    """Reviewers' decisions as labels."""


@labels.command("export")
@config_option
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
@click.option("--purpose", help="Why you look (written to the audit log with your name).")
@click.pass_obj
@error_boundary
def labels_export(options: Options, config_path: Path, out: Path, purpose: str | None) -> None:
    """Write the decisions in force as labels in Splink's format (CSV)."""
    from hub.governance.consultations import record_command_view
    from hub.run.review_labels import export_labels, labels_csv

    config = options.load_config(config_path)
    _, count = labels_csv(config)
    record_command_view(config, "match labels export", purpose=purpose, out=out,
                        records_shown=count * 2)  # fmt: skip
    written = export_labels(config, out)
    options.emit({"out": str(out), "labels": written})
    if not options.json_mode and not options.quiet:
        click.echo(f"{written:,} labels -> {out}")


@click.group("links")
def links() -> None:
    """The record links (which partner record belongs to which person)."""


@links.command("export")
@config_option
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="File to write: .csv or .parquet (by extension).")  # fmt: skip
@click.option("--purpose", help="Why you look (written to the audit log with your name).")
@click.pass_obj
@error_boundary
def links_export(options: Options, config_path: Path, out: Path, purpose: str | None) -> None:
    """Write the links (source, source_record_id, person_id) as CSV or Parquet."""
    from hub.governance.consultations import record_command_view
    from hub.run.match_run import export_links

    config = options.load_config(config_path)
    exported = export_links(config, out, before_writing=lambda links: record_command_view(
        config, "links export", purpose=purpose, out=out, records_shown=links))  # fmt: skip
    options.emit({"out": str(exported.out), "links": exported.links})
    if not options.json_mode and not options.quiet:
        click.echo(f"{exported.links:,} links -> {exported.out}")


def _records_of(rows: list[ReviewPair]) -> list[str]:
    return [f"{source}:{record}" for row in rows
            for source, record in ((row.source_l, row.record_id_l),
                                   (row.source_r, row.record_id_r))]  # fmt: skip


def register(group: click.Group) -> None:
    """Add the commands of this module to the ``iomhub`` group."""
    group.add_command(match)
    group.add_command(links)


__all__ = ["links", "match", "register"]
