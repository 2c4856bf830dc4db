"""What the hub tells the person running it: progress, results and problems.

Human output goes to stderr line by line (progress for long steps as rows and rows per second,
and a heartbeat naming the phase in hand while a step runs long without saying anything);
``--quiet`` keeps only problems and warnings; ``--json`` prints nothing but the final JSON
document on stdout.
Nothing printed here contains personal data: only feed names, file names, counts and reasons.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import click


class Reporter:
    """Prints progress and outcomes according to the chosen verbosity."""

    def __init__(self, *, quiet: bool = False, json_mode: bool = False,
                 stream: TextIO | None = None) -> None:  # fmt: skip
        self.quiet = quiet or json_mode
        self.json_mode = json_mode
        self.stream = stream or sys.stderr
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def _print(self, message: str, **style: object) -> None:
        click.echo(click.style(message, **style) if style else message, file=self.stream)  # type: ignore[arg-type]

    def step(self, message: str) -> None:
        """A stage starts."""
        if not self.quiet:
            self._print(message, bold=True)

    def done(self, message: str) -> None:
        """A unit of work finished."""
        if not self.quiet:
            self._print(f"  {message}")

    def note(self, message: str) -> None:
        """Something worth knowing that is not a failure."""
        if not self.quiet:
            self._print(f"  note: {message}", fg="yellow")

    def warning(self, message: str) -> None:
        """Not a failure, but the person running the hub must hear of it (a partner sent the
        same bytes again, a field too long); shown even with --quiet, unless output is JSON."""
        self.warnings.append(message)
        if not self.json_mode:
            self._print(f"  warning: {message}", fg="yellow")

    def problem(self, message: str) -> None:
        """Something failed; always shown unless output is JSON."""
        self.problems.append(message)
        if not self.json_mode:
            self._print(f"  error: {message}", fg="red")

    def progress(self, label: str, every_seconds: float = 2.0) -> Callable[[int, float], None]:
        """A callback for long steps: prints rows and rows/s at most every few seconds."""
        last = [time.monotonic()]

        def report(rows: int, elapsed: float) -> None:
            now = time.monotonic()
            if self.quiet or now - last[0] < every_seconds:
                return
            last[0] = now
            self._print(f"  {label}: {rows:,} rows ({rows / max(elapsed, 1e-9):,.0f} rows/s)",
                        dim=True)  # fmt: skip

        return report

    @contextmanager
    def heartbeat(self, label: str, every_seconds: float = 30.0) -> Iterator[Callable[[str], None]]:
        """While a long step runs, say every ``every_seconds`` how long it has run and the phase
        in hand. Yields the step's progress callback: it says a phase and remembers it."""
        phase = ["starting"]
        started = time.monotonic()
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every_seconds):
                self.done(f"{label}: {time.monotonic() - started:,.0f} s so far; {phase[0]}")

        def say(message: str) -> None:
            phase[0] = message
            self.done(message)

        thread = threading.Thread(target=beat, name=f"heartbeat-{label}", daemon=True)
        thread.start()
        try:
            yield say
        finally:
            stop.set()
            thread.join()


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 agreement``, ``2 agreements``: a count with its noun agreeing."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"
