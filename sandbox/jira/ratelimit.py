"""A request budget per time window, and the headers Jira sends about it.

``RateLimiter(clock, limit, window)`` lets ``limit`` authenticated API calls
through per window of ``window`` seconds (a window opens with the first call
after the previous one closed); ``limit=None`` switches limiting off (and the
headers with it).

Headers, following Atlassian's rate-limiting documents:
- Cloud, every counted answer: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``
  and, under 20% left, ``X-RateLimit-NearLimit: true``; a 429 adds
  ``Retry-After`` (integer seconds, at least 1), ``X-RateLimit-Reset``
  (``yyyy-MM-ddTHH:mmZ``, the request time plus Retry-After, rounded up to
  the minute) and ``RateLimit-Reason`` (``jira-burst-based`` by default);
- Data Center (token bucket headers): ``X-RateLimit-Limit``,
  ``X-RateLimit-Remaining``, ``X-RateLimit-FillRate``,
  ``X-RateLimit-Interval-Seconds`` and ``Retry-After`` (``0`` when allowed).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Decision:
    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    def __init__(self, clock: Callable[[], datetime], limit: int | None = None,
                 window: float = 60.0, cloud: bool = True,
                 reason: str = "jira-burst-based") -> None:
        self.clock = clock
        self.cloud = cloud
        self.reason = reason
        self._lock = threading.Lock()
        self.configure(limit, window)

    def configure(self, limit: int | None, window: float = 60.0) -> None:
        """Set (or with ``limit=None`` remove) the budget; starts a fresh window."""
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        if window <= 0:
            raise ValueError("window must be > 0 seconds")
        with self._lock:
            self.limit = limit
            self.window = float(window)
            self._start: datetime | None = None
            self._used = 0
            self.refused = 0

    def take(self) -> Decision:
        """Count one call (unless refused) and say whether it may go through."""
        with self._lock:
            if self.limit is None:
                return Decision(True, {})
            now = self.clock()
            if self._start is None or now >= self._start + timedelta(seconds=self.window):
                self._start, self._used = now, 0
            reset = self._start + timedelta(seconds=self.window)
            if self._used >= self.limit:
                self.refused += 1
                return Decision(False, self._refused_headers(now, reset))
            self._used += 1
            return Decision(True, self._headers(self.limit - self._used))

    @property
    def remaining(self) -> int | None:
        with self._lock:
            return None if self.limit is None else self.limit - self._used

    def _headers(self, remaining: int) -> dict[str, str]:
        assert self.limit is not None
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(remaining)}
        if self.cloud:
            if remaining < 0.2 * self.limit:
                headers["X-RateLimit-NearLimit"] = "true"
        else:
            headers.update({"X-RateLimit-FillRate": str(self.limit),
                            "X-RateLimit-Interval-Seconds": str(int(self.window)),
                            "Retry-After": "0"})
        return headers

    def _refused_headers(self, now: datetime, reset: datetime) -> dict[str, str]:
        retry_after = max(1, math.ceil((reset - now).total_seconds()))
        headers = self._headers(0)
        headers["Retry-After"] = str(retry_after)
        if self.cloud:
            at = (now + timedelta(seconds=retry_after)).astimezone(UTC)
            if at.second or at.microsecond:
                at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
            headers["X-RateLimit-Reset"] = at.strftime("%Y-%m-%dT%H:%MZ")
            headers["RateLimit-Reason"] = self.reason
            headers["X-RateLimit-NearLimit"] = "true"
        return headers
