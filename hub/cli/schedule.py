"""``iomhub schedule``: the long-lived service that pulls each feed on its schedule.

Kept apart from :mod:`hub.cli` (which registers it) so the main CLI file stays small.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from hub.cli.common import Options, config_option, error_boundary


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
    _schedule(options, config_path, once, max_wait)


def _schedule(options: Any, config_path: Path, once: bool, max_wait: float) -> None:
    import threading

    from hub.run.schedule import Scheduler, stop_on_signals

    config = options.load_config(config_path)
    stop = threading.Event()
    stop_on_signals(stop)
    scheduler = Scheduler(config, options.reporter(), stop=stop, max_wait_seconds=max_wait)
    if not once:
        scheduler.run_forever()
        return
    summary = scheduler.tick(wait_if_locked=False)
    if summary is None:
        options.emit({"run": None, "due": []})
        return
    options.emit(summary.as_dict())
    if summary.failed:
        from hub.cli.common import EXIT_PARTIAL

        sys.exit(EXIT_PARTIAL)
