"""Bounded retries with exponential backoff and jitter, for transient connector failures.

One :class:`Retrier` is a budget for one pull of one feed: reconnecting after a refused
connection and resuming a download after a dropped one draw on the same budget, so a feed never
retries more than its policy's ``attempts`` in all.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from connectors.config import RetryPolicy
from schemas.errors import HubError

Sleep = Callable[[float], object]
"""Waits the given seconds; returning True means "stop waiting, the service is stopping"."""


def backoff_delay(policy: RetryPolicy, retry: int, rng: Callable[[], float]) -> float:
    """The wait before retry number ``retry`` (1 = the first retry), with jitter.

    The base wait doubles from ``first_delay_seconds`` up to ``max_delay_seconds``; the result
    lies between half the base and the base ("equal jitter").
    """
    base = min(policy.max_delay_seconds, policy.first_delay_seconds * 2 ** (retry - 1))
    return base / 2 + rng() * base / 2


class Retrier:
    """Decides, error by error, whether to wait and try again or give up."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        sleep: Sleep | None = None,
        rng: Callable[[], float] = random.random,
        on_retry: Callable[[HubError, int, float], None] | None = None,
    ) -> None:
        self.policy = policy
        self.sleep: Sleep = sleep or time.sleep
        self.rng = rng
        self.on_retry = on_retry
        self.failures = 0

    @property
    def retries(self) -> int:
        """How many times a retry was granted so far."""
        return max(0, min(self.failures, self.policy.attempts - 1))

    def wait_or_raise(self, error: HubError) -> None:
        """Wait before the next try, or re-raise ``error`` when it is terminal or out of budget."""
        if not error.transient:
            raise error
        self.failures += 1
        if self.failures >= self.policy.attempts:
            raise error
        delay = backoff_delay(self.policy, self.failures, self.rng)
        if self.on_retry is not None:
            self.on_retry(error, self.failures, delay)
        if self.sleep(delay) is True:
            raise error
