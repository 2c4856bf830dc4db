"""Log lines for the long-running service (``iomhub schedule``): timestamped and levelled.

:class:`LoggingReporter` is a :class:`~hub.output.Reporter` whose messages become records of the
``iomhub`` logger (stdlib :mod:`logging`): progress and outcomes at INFO, warnings at WARNING,
problems at ERROR. :func:`service_logger` sends them to a stream as text lines
(``2026-12-05T09:15:24Z INFO iomhub: message``) or as JSON lines (``time``, ``level``,
``logger``, ``message``), times in UTC. Messages carry no personal data (see hub.output).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

from hub.output import Reporter

LogFormat = Literal["text", "json"]
LOGGER_NAME = "iomhub"
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class LoggingReporter(Reporter):
    """A reporter that writes log records instead of console lines."""

    def __init__(self, logger: logging.Logger, *, quiet: bool = False) -> None:
        super().__init__(quiet=quiet)
        self.logger = logger

    def _print(self, message: str, **style: object) -> None:
        self.logger.info(message.strip())

    def warning(self, message: str) -> None:
        self.warnings.append(message)
        self.logger.warning(message)

    def problem(self, message: str) -> None:
        self.problems.append(message)
        self.logger.error(message)


def _formatter(log_format: LogFormat) -> logging.Formatter:
    formatter: logging.Formatter
    if log_format == "json":
        formatter = JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt=_DATE_FORMAT,
        )
    else:
        formatter = logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt=_DATE_FORMAT
        )
    formatter.converter = time.gmtime
    return formatter


@contextmanager
def service_logger(
    stream: TextIO, log_format: LogFormat = "text", *, quiet: bool = False
) -> Iterator[LoggingReporter]:
    """A reporter logging to ``stream`` while the block runs (WARNING and above when
    ``quiet``); the handler is removed afterwards."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_formatter(log_format))
    previous_level, previous_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False
    try:
        yield LoggingReporter(logger, quiet=quiet)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
        logger.propagate = previous_propagate
