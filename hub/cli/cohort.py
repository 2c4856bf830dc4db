"""``iomhub cohort ...``: the IOM cohort's candidates under the scheme's rules.

Commands (exit codes as in :mod:`hub.cli`)::

    iomhub cohort candidates --config HUB.yaml [--out FILE.csv|FILE.parquet] [--on YYYY-MM-DD]

The candidates file names people (by the hub's internal person id) with their offending and
risk: it is for the IOM panel, inside the hub's trust boundary.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from hub.cli.common import Options, config_option, error_boundary


@click.group("cohort")
def cohort() -> None:
    """The IOM cohort: candidates per strand (fixed, flex, free) with their reasons."""


@cohort.command("candidates")
@config_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Write candidates and exclusions to this .csv or .parquet file.")  # fmt: skip
@click.option("--on", "on_day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The reference day for sentence time left, ages and offence windows "
              "(default: today).")  # fmt: skip
@click.pass_obj
@error_boundary
def cohort_candidates(
    options: Options, config_path: Path, out: Path | None, on_day: datetime.datetime | None
) -> None:
    """List the people the cohort rules put forward, per strand, and those excluded."""
    from hub.cohort.listing import describe_counts, list_candidates, write_candidates

    listing = list_candidates(options.load_config(config_path), on_day.date() if on_day else None)
    written = write_candidates(listing, out) if out else None
    counts = listing.counts()
    options.emit({"on": listing.today.isoformat(), "candidates": counts,
                  "excluded": len(listing.excluded), "written": str(written) if written else None,
                  "severity": listing.severity_source,
                  "withheld": {k: list(v) for k, v in listing.withheld.items()},
                  "offences_used": listing.offences_used,
                  "offences_unlinked": listing.offences_unlinked})  # fmt: skip
    if options.json_mode or options.quiet:
        return
    click.echo(describe_counts(listing))
    if written:
        click.echo(f"  written to {written}")


COMMANDS = (cohort,)
