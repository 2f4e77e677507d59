"""The one retry policy: tenacity, honouring Retry-After, with an injectable sleep.

Only ``RetryLater`` (and its ``RateLimited``) is retried. A rate-limited call
waits exactly what the server asked (never less); other transient failures
back off exponentially (``base * 2**n``, capped). A server asking for longer
than ``max_retry_after`` ends the attempt: the error goes up and the next
cycle tries again, rather than a worker blocking for an hour. ``sleep`` is
the clock's, so tests run the waits without waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connectors.base import RateLimited, RetryLater

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base: float = 0.5
    cap: float = 60.0
    max_retry_after: float = 900.0

    def wait_for(self, exc: BaseException | None, attempt: int) -> float:
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return float(exc.retry_after)
        return min(self.cap, self.base * 2 ** (attempt - 1))


def call_with_retry(fn: Callable[[], T], *, policy: RetryPolicy, sleep: Callable[[float], None],
                    on_wait: Callable[[float, BaseException], None] | None = None) -> T:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        seconds = policy.wait_for(exc, state.attempt_number)
        if on_wait and exc is not None:
            on_wait(seconds, exc)
        return seconds

    def stop(state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and (exc.retry_after or 0) > policy.max_retry_after:
            return True
        return stop_after_attempt(policy.attempts)(state)

    retrying = Retrying(retry=retry_if_exception_type(RetryLater), wait=wait, stop=stop,
                        sleep=sleep, reraise=True)
    return retrying(fn)
