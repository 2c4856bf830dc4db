"""Commands for sharing: ``agreements check``, ``agreements approve``, ``publish`` and
``reidentify``.

Registered on the main command group by :func:`register`. They go through the same error
boundary and exit codes as every other command (see :mod:`hub.cli`).
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

import click

from hub.cli.common import EXIT_PARTIAL, config_option, error_boundary
from hub.output import plural


@click.group("agreements")
def agreements_group() -> None:
    """Check the sharing agreements and what each recipient may receive."""


@agreements_group.command("check")
@config_option
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Judge the agreements on this day instead of today.",
)
@click.pass_obj
@error_boundary
def agreements_check(options: Any, config_path: Path, today: datetime.datetime | None) -> None:
    """Per recipient: the effective fields and the clause that allows each; warn of reviews and
    expiries within 30 days; fail on a malformed or contradictory agreement (exit 2)."""
    from hub.governance.agreements_check import check_agreements

    check = check_agreements(options.load_config(config_path), today.date() if today else None)
    options.emit(check.as_dict())
    if options.json_mode:
        return
    for recipient in check.recipients:
        click.secho(
            f"\nrecipient {recipient.recipient}"
            f"{': ' + recipient.description if recipient.description else ''}",
            bold=True,
        )
        click.echo(
            f"  {'person_id':<22} {'pseudonymise':<22} {'(every person released)':<28}"
            " this recipient's own pseudonym"
        )
        for grant in recipient.fields:
            click.echo(
                f"  {grant.field:<22} {grant.treatment:<22} "
                f"{', '.join(grant.sources):<28} {'; '.join(grant.clauses)}"
            )
        for line in recipient.conditions:
            click.echo(f"  under {line}")
        if recipient.not_released:
            click.echo(f"  not released: {', '.join(recipient.not_released)}")
    for pending in check.pending:
        _echo_widening(pending.agreement_id, pending.version, pending.in_force, pending.widening)
    click.echo()
    for warning in check.warnings:
        click.secho(f"warning: {warning}", fg="yellow")
    click.secho(
        f"{plural(check.agreements, 'agreement')} valid, no contradictions (judged on {check.day})",
        fg="green",
    )


def _echo_widening(
    agreement_id: str, version: str, in_force: str | None, changes: tuple[Any, ...]
) -> None:
    against = f"v{in_force}" if in_force else "nothing in force"
    click.secho(f"\n{agreement_id} v{version} against {against}:", bold=True)
    if not changes:
        click.echo("  widens nothing")
    for change in changes:
        click.secho(f"  + {change}", fg="yellow")


@agreements_group.command("approve")
@config_option
@click.argument("agreement_id")
@click.argument("version")
@click.option(
    "--by", "approved_by", required=True, help="Who approves (recorded in the audit log)."
)
@click.pass_obj
@error_boundary
def agreements_approve(
    options: Any, config_path: Path, agreement_id: str, version: str, approved_by: str
) -> None:
    """Approve an agreement version as its file holds it: from now on it is the version in force
    (audited). Shows every way it widens the version it replaces."""
    from hub.governance.agreements_check import approve_agreement

    outcome = approve_agreement(
        options.load_config(config_path), agreement_id, version, approved_by
    )
    options.emit({**outcome.__dict__, "widening": [str(w) for w in outcome.widening]})
    if options.json_mode:
        return
    if outcome.already_approved:
        click.echo(f"{agreement_id} v{version} was already approved by {outcome.approved_by}")
        return
    _echo_widening(agreement_id, version, outcome.previous_version, outcome.widening)
    click.secho(
        f"{agreement_id} v{version} (sha256 {outcome.sha256[:12]}) approved by "
        f"{outcome.approved_by}; in force from now; recorded in the audit log",
        fg="green",
    )


@click.command("publish")
@config_option
@click.option(
    "--recipient", "recipients", multiple=True, help="Publish only for this recipient (repeatable)."
)
@click.option("--force", is_flag=True, help="Publish even if nothing changed since the last one.")
@click.pass_obj
@error_boundary
def publish_command(
    options: Any, config_path: Path, recipients: tuple[str, ...], force: bool
) -> None:
    """Publish each recipient's release from the matched view: checked, then all or nothing."""
    from hub.run.pipeline import publish_now

    outcomes = publish_now(
        options.load_config(config_path), options.reporter(), recipients=list(recipients) or None,
        force=force,
    )  # fmt: skip
    options.emit({"releases": [outcome.__dict__ for outcome in outcomes]})
    if not options.json_mode and not options.quiet:
        for outcome in outcomes:
            where = f" -> {outcome.path}" if outcome.path else ""
            click.echo(
                f"{outcome.recipient}: {outcome.status}"
                f"{' ' + outcome.release_id if outcome.release_id else ''}{where}"
            )
    if any(outcome.error for outcome in outcomes):
        sys.exit(EXIT_PARTIAL)


@click.command("reidentify")
@config_option
@click.option("--recipient", required=True, help="The recipient whose pseudonym it is.")
@click.option("--pseudonym", required=True, help="The pseudonym (32 hex digits).")
@click.option("--reason", default="", help="Why (required; recorded in the audit log).")
@click.pass_obj
@error_boundary
def reidentify_command(
    options: Any, config_path: Path, recipient: str, pseudonym: str, reason: str
) -> None:
    """Map a recipient's pseudonym back to the hub's person (authorised operators; audited)."""
    from hub.governance.reidentify import reidentify
    from hub.workspace import Workspace

    config = options.load_config(config_path)
    audit = Workspace(config.workspace).open_audit(config.settings)
    result = reidentify(config, recipient, pseudonym, reason, audit)
    options.emit(result.__dict__)
    if options.json_mode:
        return
    if not result.found:
        click.echo(f"no person found for that pseudonym of {recipient} (recorded)")
        sys.exit(1)
    click.echo(
        f"{recipient} pseudonym {result.pseudonym} ({result.field}) is person "
        f"{result.person_id}; releases: {', '.join(result.releases) or 'current view'}"
    )
    for record in result.records:
        click.echo(f"  {record['source']}: record {record['source_record_id']}")
    click.echo("recorded in the audit log with your reason")


def register(group: click.Group) -> None:
    """Add the sharing commands to the main command group."""
    for command in (agreements_group, publish_command, reidentify_command):
        group.add_command(command)
