"""``iomhub feed``: start a new partner's feed file from a sample of its extract."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from hub.cli.common import Options, error_boundary


@click.group("feed")
def feed_group() -> None:
    """Start a new partner's feed file."""


@feed_group.command("init")
@click.option("--sample", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              required=True, help="A sample extract from the partner.")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="The feed file to write (refuses to overwrite).")  # fmt: skip
@click.option("--name", help="The feed's name (default: the first word of the sample's name).")
@click.pass_obj
@error_boundary
def feed_init(options: Options, sample: Path, out: Path, name: str | None) -> None:
    """Draft a feed file from a partner's sample: encoding, delimiter, columns, date formats.

    Columns are mapped by name where they match a canonical field; date formats are guessed
    from the values and the draft is read back through the sample. Edit the file, then run
    `iomhub config check`.
    """
    from hub.run.feed_init import init_feed

    written = init_feed(sample, out, name=name)
    options.emit({**asdict(written), "path": str(written.path)})
    if not options.json_mode:
        click.echo(f"wrote {written.path}: feed {written.feed}, {len(written.fields)} fields "
                   f"mapped")  # fmt: skip
        if written.unmapped:
            click.echo(f"  not mapped: {', '.join(written.unmapped)}")
        for note in written.notes:
            click.secho(f"  check: {note}", fg="yellow")
