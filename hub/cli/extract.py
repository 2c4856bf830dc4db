"""``iomhub extract``: what an officer does about a partner's extract (accept a held one)."""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli.common import Options, config_option, error_boundary


@click.group("extract")
def extract_group() -> None:
    """Act on a partner's extract."""


@extract_group.command("accept")
@config_option
@click.argument("feed")
@click.argument("file")
@click.option("--reason", required=True, help="Why the extract is right (kept in the audit log).")
@click.pass_obj
@error_boundary
def extract_accept(options: Options, config_path: Path, feed: str, file: str, reason: str) -> None:
    """Make a held extract of FEED current on purpose; FILE is its file name.

    An extract is held when too many of its rows were quarantined or it has far fewer rows than
    the current one (`iomhub status` says which and why). Later runs match and publish it.
    """
    from hub.run.extracts import accept_extract

    accepted = accept_extract(options.load_config(config_path), feed, file, reason)
    options.emit({"feed": accepted.feed, "extract_id": accepted.extract_id,
                  "file": accepted.file, "rows": accepted.rows,
                  "replaced": accepted.replaced})  # fmt: skip
    if not options.json_mode:
        click.echo(f"{accepted.feed}/{accepted.file} is current ({accepted.rows:,} rows), "
                   f"replacing {accepted.replaced or 'nothing'}; `iomhub ingest` matches and "
                   "publishes with it")  # fmt: skip
