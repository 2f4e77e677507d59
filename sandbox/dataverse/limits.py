"""Service protection limits: requests per user in a five-minute sliding window.

Dataverse evaluates, per user (here: per token subject), the number of
requests in a 300-second sliding window (6,000 by default). Past it every
request answers 429 ``0x80072322`` with ``Retry-After`` (the seconds until
the oldest counted request leaves the window). Every answer carries
``x-ms-ratelimit-burst-remaining-xrm-requests`` (requests left in the window)
and ``x-ms-ratelimit-time-remaining-xrm-requests`` (execution time left, in
milliseconds; the emulator spends none).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

WINDOW_SECONDS = 300
EXECUTION_MS = 1_200_000


class ServiceProtection:
    def __init__(self, now: Callable[[], datetime], limit: int = 6000,
                 window_seconds: int = WINDOW_SECONDS) -> None:
        self.now, self.limit = now, limit
        self.window = timedelta(seconds=window_seconds)
        self._calls: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _trim(self, calls: deque[datetime], now: datetime) -> None:
        while calls and calls[0] <= now - self.window:
            calls.popleft()

    def spend(self, subject: str) -> float | None:
        """Count one request; None when allowed, else the Retry-After seconds."""
        now = self.now()
        with self._lock:
            calls = self._calls.setdefault(subject, deque())
            self._trim(calls, now)
            if len(calls) >= self.limit:
                return max(1.0, math.ceil((calls[0] + self.window - now).total_seconds()))
            calls.append(now)
            return None

    def remaining(self, subject: str) -> int:
        now = self.now()
        with self._lock:
            calls = self._calls.setdefault(subject, deque())
            self._trim(calls, now)
            return max(0, self.limit - len(calls))

    def headers(self, subject: str) -> dict[str, str]:
        return {"x-ms-ratelimit-burst-remaining-xrm-requests": str(self.remaining(subject)),
                "x-ms-ratelimit-time-remaining-xrm-requests": f"{EXECUTION_MS:,}.00"}

    def set_used(self, subject: str, count: int) -> None:
        """Pretend ``subject`` made ``count`` requests just now (for tests)."""
        with self._lock:
            self._calls[subject] = deque([self.now()] * count)
