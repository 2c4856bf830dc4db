"""What every ``iomhub`` command shares: global options, the one error boundary, exit codes.

The environment is read here, once per command: :class:`Options` holds the settings (secrets,
operator) and the environment mapping, and passes them to the config loader, which carries them
down. Command modules (``hub/cli/*.py``) import from here; ``hub/cli/__init__.py`` assembles them.
"""

from __future__ import annotations

import json
import os
import select
import sys
from collections.abc import Callable, Mapping
from contextlib import suppress
from functools import cached_property, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from hub.interrupts import is_interruption, signalled
from schemas.errors import HubError

if TYPE_CHECKING:
    from hub.config import HubConfig
    from hub.settings import HubSettings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_LOCKED, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_PIPE_CLOSED = 141
"""128 + SIGPIPE: what a shell reports for a command whose reader went away."""
OWNER_ONLY_UMASK = 0o077
"""Files 0600 and folders 0700: the workspace, outbox and keys hold personal data or secrets."""
F = TypeVar("F", bound=Callable[..., Any])


class Options:
    """Global options shared by every command."""

    def __init__(self, quiet: bool, json_mode: bool, debug: bool) -> None:
        self.quiet = quiet
        self.json_mode = json_mode
        self.debug = debug
        self.environment: Mapping[str, str] = dict(os.environ)
        """The process environment, read once: ``${NAME}`` in the config and source secrets."""

    @cached_property
    def settings(self) -> HubSettings:
        """The hub's settings (secrets, operator), read once from the environment."""
        from hub.settings import HubSettings

        return HubSettings()

    def load_config(self, config_path: Path) -> HubConfig:
        """The hub config, carrying this command's settings and environment."""
        from hub.config import load_config

        return load_config(config_path, settings=self.settings, environment=self.environment)

    def reporter(self) -> Any:
        from hub.output import Reporter

        return Reporter(quiet=self.quiet, json_mode=self.json_mode)

    def emit(self, document: dict[str, Any]) -> None:
        """Print the command's JSON document when --json was given."""
        if self.json_mode:
            click.echo(json.dumps(document, indent=2, default=str))


GLOBAL_FLAGS = ("--json", "--quiet", "-q", "--debug")
"""Flags of the group that are accepted after the subcommand too (``iomhub status --json``)."""


class HubGroup(click.Group):
    """The ``iomhub`` group: global flags anywhere on the line, and usage errors as a JSON
    document when ``--json`` was asked for."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Move the global flags given after the subcommand to the front (never past ``--``)."""
        end = args.index("--") if "--" in args else len(args)
        flags = [arg for arg in args[:end] if arg in GLOBAL_FLAGS]
        rest = [arg for arg in args[:end] if arg not in GLOBAL_FLAGS] + args[end:]
        return super().parse_args(ctx, flags + rest)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:
            options = ctx.find_object(Options)
            if options is None or not options.json_mode:
                raise
            _fail(error.format_message(), None, error.exit_code, json_mode=True)


def _say(message: str, hint: str | None, code: int, *, json_mode: bool = False) -> None:
    if json_mode:
        document = {"error": message, "hint": hint, "exit_code": code}
        click.echo(json.dumps(document, indent=2))
        return
    click.secho(f"Error: {message}", fg="red", err=True)
    if hint:
        click.echo(f"  what to do: {hint}", err=True)


def _fail(message: str, hint: str | None, code: int, *, json_mode: bool = False) -> NoReturn:
    _say(message, hint, code, json_mode=json_mode)
    sys.exit(code)


def output_closed() -> bool:
    """Whether the reader of standard output has gone (``iomhub ... | head`` after head ends)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _end_quietly() -> NoReturn:
    """End after the output pipe closed: nothing more is written, nothing said, as `cat` does."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # what is still buffered goes nowhere at exit
    sys.exit(EXIT_PIPE_CLOSED)


def _end_interrupted(json_mode: bool) -> NoReturn:
    """End now after the operator's Ctrl-C: say so, flush, exit 130. The run is already
    recorded as interrupted; a library still unwinding (DuckDB hands its interrupt back) must not
    turn the end into a second KeyboardInterrupt and a death by signal."""
    _say("interrupted", None, EXIT_INTERRUPTED, json_mode=json_mode)
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(EXIT_INTERRUPTED)


def _end_for(error: BaseException, debug: bool, json_mode: bool) -> None:
    """End the command for ``error`` with its message and exit code (a JSON document on stdout
    under ``--json``); return if it is to be raised as it is (a bug, or any error under
    ``--debug``)."""
    if is_interruption(error):
        if signalled():
            _end_interrupted(json_mode)
        _fail("interrupted", None, EXIT_INTERRUPTED, json_mode=json_mode)
    if isinstance(error, BrokenPipeError) and output_closed():
        _end_quietly()
    if debug:
        return
    if isinstance(error, HubError):
        _fail(error.message, error.hint, error.exit_code, json_mode=json_mode)
    if isinstance(error, OSError):
        _fail(f"{error.strerror or error} ({error.filename or 'no file'})", None, EXIT_FAILURE,
              json_mode=json_mode)  # fmt: skip


def error_boundary(function: F) -> F:
    """Turn hub errors into a red message and a documented exit code; Ctrl-C into
    "interrupted" (130), wherever it lands; a closed output pipe into a quiet end."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options = click.get_current_context().find_object(Options)
        try:
            return function(*args, **kwargs)
        except (KeyboardInterrupt, Exception) as error:
            _end_for(error, bool(options and options.debug), bool(options and options.json_mode))
            raise

    return wrapper  # type: ignore[return-value]


config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), envvar="IOMHUB_CONFIG",
    required=True, help="The hub's YAML file (or set IOMHUB_CONFIG).",
)  # fmt: skip
full_match_option = click.option(
    "--full", is_flag=True, help="Re-match every record (a full run), not only the new and "
    "changed ones (see matching.incremental in the hub file).",
)  # fmt: skip
