"""``iomhub cohort ...``: the IOM cohort's candidates, the panel's decisions and its members.

Commands (exit codes as in :mod:`hub.cli`)::

    iomhub cohort candidates --config HUB.yaml [--out FILE.csv|FILE.parquet] [--on YYYY-MM-DD]
    iomhub cohort select     --config HUB.yaml --person ID --strand fixed|flex|free --reason TEXT
    iomhub cohort deselect   --config HUB.yaml --person ID --reason TEXT
    iomhub cohort members    --config HUB.yaml [--on YYYY-MM-DD]
    iomhub cohort performance --config HUB.yaml [--out DIR] [--on YYYY-MM-DD]

Select and deselect are run by a panel decision-maker (``IOMHUB_ACTOR``, listed under
``panel:`` in ``cohort.yaml``); a decision takes effect when one police and one probation
decision-maker have both made it. The candidates file and the members list name people (by the
hub's internal person id): they are for the IOM panel, inside the hub's trust boundary.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Literal

import click

from hub.cli.common import Options, config_option, error_boundary

_ON = click.option(
    "--on", "on_day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="The reference day (default: today).",
)  # fmt: skip
Action = Literal["select", "deselect"]
_PERSON = click.option("--person", "person_id", required=True, help="The hub's person id.")
_REASON = click.option("--reason", required=True, help="Why (recorded and audited).")


def _day(on_day: datetime.datetime | None) -> datetime.date | None:
    return on_day.date() if on_day else None


@click.group("cohort")
def cohort() -> None:
    """The IOM cohort: candidates per strand, panel decisions, members."""


@cohort.command("candidates")
@config_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Write candidates and exclusions to this .csv or .parquet file.")  # fmt: skip
@_ON
@click.pass_obj
@error_boundary
def cohort_candidates(
    options: Options, config_path: Path, out: Path | None, on_day: datetime.datetime | None
) -> None:
    """List the people the cohort rules put forward, per strand, and those excluded."""
    from hub.cohort.listing import describe_counts, list_candidates

    listing = list_candidates(options.load_config(config_path), _day(on_day), out)
    options.emit({"on": listing.today.isoformat(), "candidates": listing.counts(),
                  "excluded": len(listing.excluded), "written": str(out) if out else None,
                  "severity": listing.severity_source,
                  "withheld": {k: list(v) for k, v in listing.withheld.items()},
                  "offences_used": listing.offences_used,
                  "offences_unlinked": listing.offences_unlinked})  # fmt: skip
    if options.json_mode or options.quiet:
        return
    click.echo(describe_counts(listing))
    if out:
        click.echo(f"  written to {out}")


def _decide(options: Options, config_path: Path, person_id: str, decision: Action,
            strand: str | None, reason: str, on_day: datetime.datetime | None) -> None:  # fmt: skip
    from hub.cohort.panel import decide

    outcome = decide(options.load_config(config_path), person_id, decision, strand, reason,
                     _day(on_day))  # fmt: skip
    spell = outcome.membership
    options.emit({"person_id": outcome.person_id, "decision": decision, "strand": outcome.strand,
                  "agency": outcome.agency, "outcome": outcome.outcome,
                  "waiting_for": outcome.waiting_for,
                  "start": spell.start.isoformat() if spell else None,
                  "end": spell.end.isoformat() if spell and spell.end else None})  # fmt: skip
    if options.json_mode or options.quiet:
        return
    if outcome.waiting_for:
        click.echo(f"{outcome.person_id}: {decision} ({outcome.strand}) recorded for "
                   f"{outcome.agency}; waits for {outcome.waiting_for}")  # fmt: skip
    elif decision == "select" and spell:
        click.echo(f"{outcome.person_id}: in the {spell.strand} cohort from "
                   f"{spell.start.isoformat()} (agreed by {spell.selected_by})")  # fmt: skip
    elif spell:
        click.echo(f"{outcome.person_id}: left the {spell.strand} cohort on "
                   f"{spell.end.isoformat() if spell.end else '?'} "
                   f"(agreed by {spell.deselected_by})")  # fmt: skip


@cohort.command("select")
@config_option
@_PERSON
@click.option("--strand", required=True, type=click.Choice(["fixed", "flex", "free"]))
@_REASON
@_ON
@click.pass_obj
@error_boundary
def cohort_select(options: Options, config_path: Path, person_id: str, strand: str, reason: str,
                  on_day: datetime.datetime | None) -> None:  # fmt: skip
    """Select a person for a strand (takes effect once police and probation both have)."""
    _decide(options, config_path, person_id, "select", strand, reason, on_day)


@cohort.command("deselect")
@config_option
@_PERSON
@_REASON
@_ON
@click.pass_obj
@error_boundary
def cohort_deselect(options: Options, config_path: Path, person_id: str, reason: str,
                    on_day: datetime.datetime | None) -> None:  # fmt: skip
    """Deselect a member (takes effect once police and probation both have)."""
    _decide(options, config_path, person_id, "deselect", None, reason, on_day)


@cohort.command("members")
@config_option
@_ON
@click.pass_obj
@error_boundary
def cohort_members(options: Options, config_path: Path, on_day: datetime.datetime | None) -> None:
    """The cohort on a day: each member's strand, reason, start and who agreed it."""
    from hub.cohort.panel import members

    spells = members(options.load_config(config_path), _day(on_day))
    options.emit({"members": [{"person_id": m.person_id, "strand": m.strand, "reason": m.reason,
                               "start": m.start.isoformat(), "selected_by": m.selected_by}
                              for m in spells]})  # fmt: skip
    if options.json_mode or options.quiet:
        return
    for m in spells:
        click.echo(f"{m.person_id}  {m.strand:<5}  since {m.start.isoformat()}  {m.reason}  "
                   f"(agreed by {m.selected_by})")  # fmt: skip
    click.echo(f"{len(spells):,} member(s)")


COMMANDS = (cohort,)


@cohort.command("performance")
@config_option
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for the report and CSVs (default: the workspace's "
              "reports/cohort-performance/).")  # fmt: skip
@_ON
@click.pass_obj
@error_boundary
def cohort_performance(
    options: Options, config_path: Path, out: Path | None, on_day: datetime.datetime | None
) -> None:
    """The scheme's performance per strand: an HTML report and CSVs for the analyst."""
    from hub.cohort.performance_report import write_report

    report = write_report(options.load_config(config_path), out, _day(on_day))
    options.emit({"on": report.performance.today.isoformat(), "report": str(report.html),
                  "figures_csv": str(report.figures_csv), "people_csv": str(report.people_csv),
                  "suppressed": report.suppressed})  # fmt: skip
    if options.json_mode or options.quiet:
        return
    click.echo(report.headline())
    click.echo(f"  report: {report.html}")
    click.echo(f"  CSVs for the performance analyst: {report.figures_csv}, {report.people_csv}")
