"""The operator's Ctrl-C: noted as it comes, and recognised however a library reports it.

Python raises KeyboardInterrupt in the main thread. A DuckDB query running at that moment
stops and raises an error of its own instead (``RuntimeError('Query interrupted')`` when the
signal interrupted it, ``InterruptException`` when the connection was interrupted), which
Splink may wrap again. So the command line notes every SIGINT (:func:`note_interrupts`), and
:func:`is_interruption` treats any error raised after one as its consequence. A
KeyboardInterrupt raised inside a library's callback can be swallowed there; :func:`check`
raises it again between steps.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

_interrupted = threading.Event()
_last_raised = [float("-inf")]
ECHO_SECONDS = 2.0
"""A SIGINT this soon after the one raised is an echo, not a new request: DuckDB hands the
interrupt that stopped its query back to Python, and raising it again would cut short the
orderly end (message, exit 130) with a second KeyboardInterrupt."""


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _interrupted.set()
    now = time.monotonic()
    if now - _last_raised[0] < ECHO_SECONDS:
        return
    _last_raised[0] = now
    raise KeyboardInterrupt


def note_interrupts() -> Callable[[], None]:
    """Note each SIGINT, then raise KeyboardInterrupt as Python does (main thread only).

    Returns what puts the previous handler back; after an interruption the handler stays, so
    an echo still pending as the command ends cannot reach Python's default handler.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGINT, _on_sigint)

    def restore() -> None:
        if not _interrupted.is_set():
            signal.signal(signal.SIGINT, previous)

    return restore


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if the operator's SIGINT has come: the one the handler raised
    may have been swallowed where Python cannot pass it on (a library's callback or
    finaliser prints "Exception ignored" and goes on), so long loops ask between steps."""
    if _interrupted.is_set():
        raise KeyboardInterrupt


def signalled() -> bool:
    """Whether the operator's SIGINT has reached this process."""
    return _interrupted.is_set()


def _says_interrupted(error: BaseException) -> bool:
    """DuckDB's own word for a query stopped by the signal, should it come before the handler
    has run (the handler runs in the main thread at its next step)."""
    return isinstance(error, RuntimeError) and "Query interrupted" in str(error)


def is_interruption(error: BaseException) -> bool:
    """Whether ``error`` is the operator's Ctrl-C, was caused by it, or came after it."""
    if _interrupted.is_set():
        return True
    duckdb = sys.modules.get("duckdb")  # not imported here: only a loaded DuckDB raises its own
    kinds = (KeyboardInterrupt, duckdb.InterruptException) if duckdb else (KeyboardInterrupt,)
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kinds) or _says_interrupted(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
