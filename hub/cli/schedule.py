"""``iomhub schedule``: the long-lived service that pulls each feed on its schedule.

Kept apart from :mod:`hub.cli` (which registers it) so the main CLI file stays small.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hub.cli.common import EXIT_PARTIAL, Options, config_option, error_boundary


@click.command("schedule")
@config_option
@click.option("--once", is_flag=True, help="Pull what is due now, then exit (for cron).")
@click.option(
    "--max-wait",
    type=click.FloatRange(1),
    default=300,
    show_default=True,
    help="Longest sleep between checks, in seconds.",
)
@click.pass_obj
@error_boundary
def schedule_command(options: Options, config_path: Path, once: bool, max_wait: float) -> None:
    """Pull each feed when its cron schedule is due; ingest when new data has landed.

    Runs until SIGTERM or Ctrl-C, which stop it after the step in hand (exit 0). Runs never
    overlap with each other or with `iomhub run`: they share the workspace lock.
    """
    from hub.run.schedule import run_schedule

    summary = run_schedule(options.load_config(config_path), options.reporter(), once=once,
                           max_wait_seconds=max_wait)  # fmt: skip
    if not once:
        return
    if summary is None:
        options.emit({"run": None, "due": []})
        return
    options.emit(summary.as_dict())
    if summary.failed:
        sys.exit(EXIT_PARTIAL)
