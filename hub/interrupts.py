"""The operator's Ctrl-C: noted as it comes, and recognised however a library reports it.

Python raises KeyboardInterrupt in the main thread. A DuckDB query running at that moment
stops and raises an error of its own instead (``RuntimeError('Query interrupted')`` when the
signal interrupted it, ``InterruptException`` when the connection was interrupted), which
Splink may wrap again. So the command line notes every SIGINT (:func:`note_interrupts`), and
:func:`is_interruption` treats any error raised after one as its consequence.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

_interrupted = threading.Event()


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _interrupted.set()
    raise KeyboardInterrupt


def note_interrupts() -> Callable[[], None]:
    """Note each SIGINT, then raise KeyboardInterrupt as Python does (main thread only).

    Returns what puts the previous handler back.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGINT, _on_sigint)
    return lambda: signal.signal(signal.SIGINT, previous)


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
