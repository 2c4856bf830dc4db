"""Commands for sharing: ``agreements check``, ``publish`` and ``reidentify``.

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


@click.group("agreements")
def agreements_group() -> None:
    """Check the sharing agreements and what each recipient may receive."""


def _conditions(policy: Any) -> list[str]:
    lines = []
    for agreement in policy.agreements:
        parts = []
        if agreement.subjects:
            parts.append(f"only people known to {' or '.join(agreement.subjects.known_to)}")
        for name, values in agreement.where.items():
            parts.append(f"only where {name} is {' or '.join(repr(v) for v in values)}")
        for name, clause in agreement.fields.items():
            for other, values in clause.where.items():
                parts.append(
                    f"{name}: only where {other} is {' or '.join(repr(v) for v in values)}"
                )
        parts.append(f"in force until {agreement.expiry_date}")
        lines.append(f"{agreement.label}: {'; '.join(parts)}")
    return lines


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
    from hub.run.publish import load_sharing, today_utc
    from sharing_agreements.policy import agreement_warnings, recipient_policy
    from sharing_agreements.view import VIEW_FIELDS

    config = options.load_config(config_path)
    agreements = load_sharing(config)
    day = today.date() if today else today_utc()
    feeds = [feed.name for feed in config.feeds]
    warnings = [
        f"{a.label} ({a.source_file}): {w}"
        for a in agreements.agreements
        for w in agreement_warnings(a, day)
    ]
    document: dict[str, Any] = {"date": day.isoformat(), "recipients": {}, "warnings": warnings}
    human = not options.json_mode
    for recipient in config.recipients:
        policy = recipient_policy(agreements.agreements, recipient.name, feeds, day)
        allowed = {rule.field for rule in policy.columns}
        withheld = [name for name in VIEW_FIELDS if name not in allowed]
        document["recipients"][recipient.name] = {
            "fields": [
                {
                    "field": r.field,
                    "treatment": str(r.treatment),
                    "from": list(r.sources),
                    "clauses": [str(c) for c in r.clauses],
                }
                for r in policy.columns
            ],
            "not_released": withheld,
            "conditions": _conditions(policy),
        }
        if not policy.columns:
            warnings.append(
                f"recipient {recipient.name}: no agreement in force allows any "
                "field; nothing will be published"
            )
        if human:
            click.secho(
                f"\nrecipient {recipient.name}"
                f"{': ' + recipient.description if recipient.description else ''}",
                bold=True,
            )
            click.echo(
                f"  {'person_id':<22} {'pseudonymise':<22} {'(every person released)':<28}"
                " this recipient's own pseudonym"
            )
            for rule in policy.columns:
                clauses = "; ".join(str(c) for c in rule.clauses)
                click.echo(
                    f"  {rule.field:<22} {rule.treatment!s:<22} "
                    f"{', '.join(rule.sources):<28} {clauses}"
                )
            for line in _conditions(policy):
                click.echo(f"  under {line}")
            if withheld:
                click.echo(f"  not released: {', '.join(withheld)}")
    options.emit(document)
    if human:
        click.echo()
        for warning in warnings:
            click.secho(f"warning: {warning}", fg="yellow")
        click.secho(
            f"{len(agreements.agreements)} agreement(s) valid, no contradictions (judged on {day})",
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
    from hub.run.pipeline import record_config_changes
    from hub.run.publish import publish_all
    from hub.workspace import Workspace

    config = options.load_config(config_path)
    workspace = Workspace(config.workspace)
    with workspace.lock():
        state = workspace.open_state()
        try:
            audit = workspace.open_audit(config.settings)
            record_config_changes(config, state, audit)
            outcomes = publish_all(
                config,
                workspace,
                state,
                audit,
                options.reporter(),
                recipients=list(recipients) or None,
                force=force,
            )
        finally:
            state.close()
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
