"""Retries: exponential backoff with jitter, bounded; terminal errors never retried."""

from __future__ import annotations

import pytest

from connectors.config import RetryPolicy
from connectors.errors import ConnectorError, ConnectorUnavailable
from connectors.retry import Retrier, backoff_delay

POLICY = RetryPolicy(attempts=5, first_delay_seconds=2, max_delay_seconds=10)


@pytest.mark.parametrize(("retry", "base"), [(1, 2), (2, 4), (3, 8), (4, 10), (9, 10)])
def test_the_wait_doubles_up_to_the_cap_with_jitter_between_half_and_all(retry, base):
    assert backoff_delay(POLICY, retry, lambda: 0.0) == base / 2
    assert backoff_delay(POLICY, retry, lambda: 1.0) == base


def test_transient_errors_are_retried_until_the_budget_is_spent():
    waits: list[float] = []
    retrier = Retrier(POLICY, sleep=waits.append, rng=lambda: 0.5)
    error = ConnectorUnavailable("server down")
    for _ in range(4):
        retrier.wait_or_raise(error)
    with pytest.raises(ConnectorUnavailable):
        retrier.wait_or_raise(error)
    assert waits == [1.5, 3.0, 6.0, 7.5] and retrier.retries == 4


def test_terminal_errors_are_raised_at_once():
    waits: list[float] = []
    retrier = Retrier(POLICY, sleep=waits.append)
    with pytest.raises(ConnectorError):
        retrier.wait_or_raise(ConnectorError("host key changed"))
    assert waits == [] and retrier.retries == 0


def test_a_stopping_service_gives_up_waiting():
    retrier = Retrier(POLICY, sleep=lambda seconds: True)
    with pytest.raises(ConnectorUnavailable):
        retrier.wait_or_raise(ConnectorUnavailable("timed out"))


def test_one_attempt_means_no_retry():
    with pytest.raises(ConnectorUnavailable):
        Retrier(RetryPolicy(attempts=1)).wait_or_raise(ConnectorUnavailable("refused"))
