"""The ``iomhub`` command line: thin commands over the hub's functions, one error boundary.

The cli room only parses options, calls one function of ``hub.run`` or ``hub.governance`` (or
the core), and prints its typed result; it holds no logic another front door would lack. It may
import every room (``hub.run``, ``hub.governance``, ``hub.demo``) and the core.

Exit codes:

====  ==============================================================================
0     success
1     a failure the hub could not work around (the message says what and where)
2     invalid configuration or usage
3     the workspace is locked by another run
4     the run finished, but a feed failed, a file or an extract was rejected, or an extract
      was held (others went on)
130   interrupted (Ctrl-C), at whatever stage; the run is recorded as 'interrupted'
141   the output pipe closed early (``iomhub ... | head``); nothing more is said
====  ==============================================================================

Every file and folder the hub creates is its owner's only (umask 077), whatever the umask it
was started with. Tracebacks are shown only with ``--debug``. Heavy libraries (Splink, DuckDB)
are imported by the commands that need them, so ``iomhub --help`` stays fast.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.cli import dpo as cli_dpo
from hub.cli import match as cli_match
from hub.cli import sharing as cli_sharing
from hub.cli import web as cli_web
from hub.cli.cohort import COMMANDS as COHORT_COMMANDS
from hub.cli.common import (
    EXIT_FAILURE,
    EXIT_PARTIAL,
    EXIT_USAGE,
    OWNER_ONLY_UMASK,
    HubGroup,
    Options,
    config_option,
    error_boundary,
    full_match_option,
)
from hub.cli.extract import extract_group
from hub.cli.feed import feed_group
from hub.cli.schedule import schedule_command
from hub.interrupts import note_interrupts
from hub.output import plural

if TYPE_CHECKING:
    from hub.governance.config_check import ConfigCheck


@click.group(cls=HubGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="iom-exchange-hub", message="iomhub %(version)s")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
@click.option("--json", "json_mode", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def main(ctx: click.Context, quiet: bool, json_mode: bool, debug: bool) -> None:
    """IOM Exchange Hub: take in partner extracts, link people, share under agreements."""
    ctx.call_on_close(note_interrupts())
    previous_umask = os.umask(OWNER_ONLY_UMASK)
    ctx.call_on_close(lambda: os.umask(previous_umask))  # for callers in the same process
    ctx.obj = Options(quiet, json_mode, debug)


@main.group()
def config() -> None:
    """Check the configuration and export its JSON Schema."""


@config.command("check")
@config_option
@click.pass_obj
@error_boundary
def config_check(options: Options, config_path: Path) -> None:
    """Check the config, each feed's current extract, the agreements and the keys.

    Contacts no partner. Exits 2 when a run would fail; warnings alone exit 0.
    """
    from hub.governance.config_check import check_config

    hub_config = options.load_config(config_path)
    result = check_config(hub_config)
    rules = None
    if hub_config.cohort is not None:
        from hub.cohort.listing import cohort_rules

        rules = cohort_rules(hub_config)  # a ConfigError names the file and the setting
    options.emit({**result.as_dict(), "cohort": str(hub_config.cohort) if rules else None})
    if not options.json_mode:
        _print_config_check(options, result)
        if rules and not options.quiet:
            click.echo(f"  cohort rules {hub_config.cohort}: {rules.scheme}")
    if result.errors:
        sys.exit(EXIT_USAGE)


def _print_config_check(options: Options, result: ConfigCheck) -> None:
    if not options.quiet:
        click.echo(f"{result.config}: loaded; workspace {result.workspace}")
        for feed in result.feeds:
            sample = "" if feed.sample is None else (
                f"; current extract sampled: {feed.sample.rows_rejected:,} of "
                f"{feed.sample.rows_read:,} rows would be quarantined")  # fmt: skip
            click.echo(f"  feed {feed.name}: {feed.source}, {feed.columns} columns mapped, "
                       f"schedule '{feed.schedule}'{sample}")  # fmt: skip
        click.echo(f"  {plural(result.agreements, 'agreement')} loaded")
        for key in result.keys:
            click.echo(f"  {key.name}: {'found' if key.found else 'MISSING'}")
    for finding in result.warnings:
        click.secho(f"warning: {finding.subject}: {finding.message}", fg="yellow", err=True)
    for finding in result.errors:
        click.secho(f"error: {finding.subject}: {finding.message}", fg="red", err=True)
    if result.errors:
        click.secho(f"{plural(len(result.errors), 'error')}: a run would fail", fg="red", err=True)
    elif not options.quiet:
        click.secho(f"{result.config}: valid", fg="green")


@config.command("schema")
@click.option("--out", type=click.Path(path_type=Path), default=Path("docs/schema"),
              show_default=True, help="Folder for the JSON Schema files.")  # fmt: skip
@click.pass_obj
@error_boundary
def config_schema(options: Options, out: Path) -> None:
    """Write JSON Schemas of the hub, feed and agreement files, for editor completion."""
    from hub.config_schema import write_json_schemas

    written = write_json_schemas(out)
    options.emit({"written": [str(p) for p in written]})
    if not options.json_mode:
        for path in written:
            click.echo(f"wrote {path}")


def _run(
    options: Options, config_path: Path, *, pull: bool, command: str, full: bool = False
) -> None:
    from hub.run.pipeline import run_once

    hub_config = options.load_config(config_path)
    summary = run_once(hub_config, options.reporter(), pull=pull, command=command,
                       full_match=full)  # fmt: skip
    options.emit(summary.as_dict())
    if not options.json_mode and not options.quiet:
        totals = summary.totals()
        click.echo(
            f"run {summary.run_id}: {totals['files_pulled']} file(s) pulled, "
            f"{totals['rows_ingested']:,} rows ingested, {totals['rows_quarantined']:,} "
            f"quarantined, {totals['feeds_failed']} feed(s) failed, "
            f"{totals['extracts_rejected']} extract(s) rejected, {totals['extracts_held']} held"
        )
    if summary.failed:
        sys.exit(EXIT_PARTIAL)


@main.command("run")
@config_option
@full_match_option
@click.pass_obj
@error_boundary
def run_command(options: Options, config_path: Path, full: bool) -> None:
    """Pull every feed once and run every later stage on what landed."""
    _run(options, config_path, pull=True, command="run", full=full)


@main.command("ingest")
@config_option
@click.pass_obj
@error_boundary
def ingest_command(options: Options, config_path: Path) -> None:
    """Ingest extracts already landed, without pulling."""
    _run(options, config_path, pull=False, command="ingest")


@main.command("status")
@config_option
@click.pass_obj
@error_boundary
def status_command(options: Options, config_path: Path) -> None:
    """Feeds (last success, errors, staleness, paused), held and rejected extracts, the last
    match and its review backlog, the latest release per recipient, and the audit log."""
    from hub.run.hub_status import hub_status, render_summary
    from hub.run.status import render_table

    status = hub_status(options.load_config(config_path))
    options.emit(status.as_dict())
    if not options.json_mode:
        click.echo(render_table(status.feeds))
        click.echo(render_summary(status))


@main.command("synth")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder for the extracts (a subfolder per feed).")  # fmt: skip
@click.option(
    "--truth",
    type=click.Path(path_type=Path),
    required=True,
    help="Parquet file for the true person of every record (keep it apart).",
)
@click.option("--people", type=click.IntRange(10), default=1000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.pass_obj
@error_boundary
def synth_command(options: Options, out: Path, truth: Path, people: int, seed: int) -> None:
    """Write synthetic extracts of the four demo partners (nobody in them is real)."""
    from hub.demo.synthetic import generate_partners
    from hub.demo.synthetic.feeds.police_offences import with_police_offences

    generated = generate_partners(out, truth, people, seed=seed)
    files, records = with_police_offences(generated.files, generated.records, seed=seed)
    options.emit({"files": {k: str(v) for k, v in files.items()},
                  "records": records, "truth": str(generated.truth_path)})  # fmt: skip
    if not options.json_mode:
        for feed, path in files.items():
            click.echo(f"{feed}: {records[feed]:,} records -> {path}")
        click.echo(f"truth -> {generated.truth_path}")


@main.command("demo")
@click.option(
    "--dir",
    "demo_dir",
    type=click.Path(path_type=Path),
    default=Path(".demo"),
    show_default=True,
    help="Folder for the demo's partners and workspace.",
)
@click.option("--people", type=click.IntRange(10), default=2000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.pass_obj
@error_boundary
def demo_command(options: Options, demo_dir: Path, people: int, seed: int) -> None:
    """Run the main job end to end on built-in synthetic partners, and say what happened."""
    from hub.demo.runner import run_demo

    summary = run_demo(
        demo_dir,
        people=people,
        seed=seed,
        reporter=options.reporter(),
        settings=options.settings,
        environment=options.environment,
    )
    options.emit(summary)
    if summary.get("failed"):
        sys.exit(EXIT_PARTIAL)


@main.group()
def keys() -> None:
    """Create keys (kept outside the workspace and the repository)."""


@keys.command("generate")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="File to create (mode 0600); refuses to overwrite.")  # fmt: skip
@click.pass_obj
@error_boundary
def keys_generate(options: Options, out: Path) -> None:
    """Write a new random 256-bit key as hex (for IOMHUB_AUDIT_KEY_FILE, IOMHUB_WITNESS_KEY_FILE
    and the like)."""
    from hub.keys import write_new_key

    write_new_key(out)
    options.emit({"written": str(out)})
    if not options.json_mode:
        click.echo(f"wrote a new key to {out} (mode 0600); keep it outside the workspace")


@main.group()
def audit() -> None:
    """Check the audit log."""


@audit.command("verify")
@config_option
@click.option(
    "--witness", is_flag=True, help="Also check the log against the witness's newest checkpoint."
)
@click.pass_obj
@error_boundary
def audit_verify(options: Options, config_path: Path, witness: bool) -> None:
    """Check every entry's chain, hash and HMAC, and the records kept outside the log; name
    the first bad entry; exit 1 if any."""
    from dataclasses import asdict

    from hub.governance.audit_verify import verify_audit_log
    from hub.run.alerts import alert_audit_verify

    hub_config = options.load_config(config_path)
    result = verify_audit_log(hub_config, witness=witness)
    alert_audit_verify(hub_config, result.ok, result.problem, options.reporter())
    options.emit(asdict(result))
    if not options.json_mode:
        if result.ok:
            click.secho(f"audit log intact: {result.entries} entries verified", fg="green")
            for anchor in result.anchors:
                click.echo(f"  agrees with {anchor}")
            if result.last_hash:
                click.echo(f"  last entry hash {result.last_hash} (keep a copy outside the hub)")
        else:
            click.secho(
                f"audit log FAILED verification at entry {result.first_bad_sequence}: "
                f"{result.problem}",
                fg="red",
                err=True,
            )
    if not result.ok:
        sys.exit(EXIT_FAILURE)


cli_sharing.register(main)
cli_match.register(main)
for command in (
    *cli_dpo.COMMANDS,
    *COHORT_COMMANDS,
    schedule_command,
    extract_group,
    feed_group,
    *cli_web.COMMANDS,
):
    main.add_command(command)


def _whole_first_sentences(command: click.Command) -> None:
    """Command lists show each command's first sentence whole (wrapped), never cut with '...'."""
    if command.short_help is None and command.help:
        paragraph = inspect.cleandoc(command.help).split("\n\n")[0]
        command.short_help = re.split(r"(?<=\.)\s", " ".join(paragraph.split()))[0]
    for sub in getattr(command, "commands", {}).values():
        _whole_first_sentences(sub)


_whole_first_sentences(main)
