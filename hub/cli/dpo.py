"""Commands for the Data Protection Officer: the report, retention, and subject access look-ups.

``iomhub report dpo``        the DPO's report over a period (HTML, or JSON)
``iomhub retention apply``   erase what is past its retention (a dry run unless ``--apply``)
``iomhub person find``       every record held for a person, and every release that had them
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import click

from hub.cli.common import Options, config_option, error_boundary


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from error


@click.group()
def report() -> None:
    """Reports for the people accountable for the hub."""


@report.command("dpo")
@config_option
@click.option("--since", callback=_date, help="First day (YYYY-MM-DD, UTC); default 30 days ago.")
@click.option("--until", callback=_date, help="Last day (YYYY-MM-DD, UTC); default today.")
@click.option("--out", type=click.Path(path_type=Path), help="File to write (.html, or .json).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.pass_obj
@error_boundary
def report_dpo(
    options: Options,
    config_path: Path,
    since: datetime.date | None,
    until: datetime.date | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """Agreements, disclosures, re-identifications, quarantine and retention over a period."""
    from hub.governance.dpo_report import build_dpo_report, write_dpo_report

    if out is None and not (as_json or options.json_mode):
        raise click.UsageError("give --out FILE.html (or FILE.json), or --json")
    config = options.load_config(config_path)
    if out is not None:
        document = write_dpo_report(config, out, since, until)
    else:
        document = build_dpo_report(config, since, until)
    if as_json or options.json_mode:
        click.echo(json.dumps(document, indent=2, default=str))
    elif not options.quiet:
        audit = document["audit"]
        state = (
            "verified"
            if audit["ok"]
            else (f"FAILED verification at entry {audit['first_bad_sequence']}")
        )
        click.echo(
            f"DPO report {document['period']['since']} to {document['period']['until']} "
            f"written to {out} (audit log {state}, {audit['entries']:,} entries)"
        )
    if not document["audit"]["ok"]:
        click.secho(
            f"audit log FAILED verification: {document['audit']['problem']}", fg="red", err=True
        )
        from hub.cli.common import EXIT_FAILURE

        sys.exit(EXIT_FAILURE)


@click.group()
def retention() -> None:
    """Erase landed, staged and released data past its retention period."""


@retention.command("apply")
@config_option
@click.option("--apply", "really", is_flag=True, help="Delete; without it, only say what would go.")
@click.pass_obj
@error_boundary
def retention_apply(options: Options, config_path: Path, really: bool) -> None:
    """List what is past retention; with --apply erase it and log each erasure."""
    from hub.governance.retention import run_retention

    config = options.load_config(config_path)
    outcome = run_retention(config, apply=really)
    options.emit(outcome.as_dict(config.workspace))
    due, held = outcome.due, outcome.held_beyond_retention
    if options.json_mode or options.quiet:
        return
    verb = "erased" if really else "would erase"
    for item in due:
        click.echo(
            f"{verb} {item.kind} {item.item_id} ({len(item.paths)} file(s), "
            f"{item.bytes:,} bytes): {item.reason}"
        )
    for item in held:
        click.echo(f"kept {item.kind} {item.item_id}: {item.reason}")
    for place in outcome.places:
        click.echo(
            f"in {place.place}: {place.files} file(s), {place.bytes:,} bytes of "
            f"{place.items} item(s) {'deleted' if really else 'due'}"
        )
    total = sum(item.bytes for item in due)
    click.echo(
        f"{len(due)} item(s) past retention, {total:,} bytes; "
        + (
            "each erasure is in the audit log"
            if really
            else "dry run: nothing deleted (add --apply to erase)"
        )
    )


@click.group()
def person() -> None:
    """Subject access and erasure support."""


@person.command("find")
@config_option
@click.option("--source", required=True, help="The feed the known record came from.")
@click.option("--record", "record_id", required=True, help="The partner's record id.")
@click.option("--reason", required=True, help="Why (logged), e.g. a subject access request id.")
@click.pass_obj
@error_boundary
def person_find(
    options: Options, config_path: Path, source: str, record_id: str, reason: str
) -> None:
    """Every record held for the person behind one partner record, and every release of them."""
    from hub.governance.person_find import find_and_log
    from hub.workspace import Workspace

    config = options.load_config(config_path)
    audit = Workspace(config.workspace).open_audit(config.settings)
    holdings = find_and_log(config, audit, source, record_id, reason)
    options.emit(holdings.as_dict())
    if options.json_mode:
        return
    click.echo(
        f"person {holdings.person_id or '(not linked yet)'}: {len(holdings.records)} "
        f"record(s) from {len({r.source for r in holdings.records})} partner(s), "
        f"{len(holdings.releases)} release(s)"
    )
    if holdings.note:
        click.echo(f"  note: {holdings.note}")
    for record in holdings.records:
        held = "staged copy held" if record.staged else "no staged copy held"
        probability = (
            ""
            if record.match_probability is None
            else (f", match probability {record.match_probability:.3f}")
        )
        click.echo(
            f"  record {record.source}/{record.source_record_id} in {record.extract_id} "
            f"({held}{probability})"
        )
    for release in holdings.releases:
        agreements = ", ".join(release["agreements"]) or "?"
        click.echo(
            f"  release {release['recipient']}/{release['release_id']} "
            f"({release['created_at'] or 'files erased'}; agreement(s) {agreements})"
        )


COMMANDS = (report, retention, person)
