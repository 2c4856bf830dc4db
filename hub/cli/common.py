"""What every ``iomhub`` command shares: global options, the one error boundary, exit codes.

The environment is read here, once per command: :class:`Options` holds the settings (secrets,
operator) and the environment mapping, and passes them to the config loader, which carries them
down. Command modules (``hub/cli/*.py``) import from here; ``hub/cli/__init__.py`` assembles them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from functools import cached_property, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from schemas.errors import HubError

if TYPE_CHECKING:
    from hub.config import HubConfig
    from hub.settings import HubSettings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_LOCKED, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
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


def _fail(message: str, hint: str | None, code: int) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    if hint:
        click.echo(f"  what to do: {hint}", err=True)
    sys.exit(code)


def error_boundary(function: F) -> F:
    """Turn hub errors into a red message and a documented exit code."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options = click.get_current_context().find_object(Options)
        try:
            return function(*args, **kwargs)
        except HubError as error:
            if options and options.debug:
                raise
            _fail(error.message, error.hint, error.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", None, EXIT_INTERRUPTED)
        except OSError as error:
            if options and options.debug:
                raise
            _fail(f"{error.strerror or error} ({error.filename or 'no file'})", None,
                  EXIT_FAILURE)  # fmt: skip

    return wrapper  # type: ignore[return-value]


config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), envvar="IOMHUB_CONFIG",
    required=True, help="The hub's YAML file (or set IOMHUB_CONFIG).",
)  # fmt: skip
