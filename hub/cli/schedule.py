"""``iomhub schedule``: the long-lived service that pulls each feed on its schedule.

Kept apart from :mod:`hub.cli` (which registers it) so the main CLI file stays small.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.cli.common import EXIT_PARTIAL, Options, config_option, error_boundary

if TYPE_CHECKING:
    from hub.logs import LogFormat


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
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines on stderr: timestamped text, or one JSON object per line.",
)
@click.pass_obj
@error_boundary
def schedule_command(
    options: Options, config_path: Path, once: bool, max_wait: float, log_format: LogFormat
) -> None:
    """Pull each feed when its cron schedule is due; ingest when new data has landed.

    Runs until SIGTERM or Ctrl-C, which stop it after the step in hand (exit 0). Runs never
    overlap with each other or with `iomhub run`: they share the workspace lock. Says what it
    does as timestamped, levelled log lines on stderr (--log-format json for JSON lines;
    nothing under --json).
    """
    from hub.logs import service_logger
    from hub.run.schedule import run_schedule

    config = options.load_config(config_path)
    if options.json_mode:  # one JSON document on stdout, nothing else said
        summary = run_schedule(config, options.reporter(), once=once, max_wait_seconds=max_wait)
    else:
        with service_logger(sys.stderr, log_format, quiet=options.quiet) as reporter:
            summary = run_schedule(config, reporter, once=once, max_wait_seconds=max_wait)
    if not once:
        return
    if summary is None:
        options.emit({"run": None, "due": []})
        return
    options.emit(summary.as_dict())
    if summary.failed:
        sys.exit(EXIT_PARTIAL)
