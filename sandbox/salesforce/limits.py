"""The org's daily API request budget, as a rolling 24-hour window.

Every authenticated data call counts one request (an sObject Collections call
is one request whatever its size). ``header()`` is the ``Sforce-Limit-Info``
value; ``spend()`` refuses once the window holds ``daily_limit`` requests.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)


class ApiBudget:
    def __init__(self, clock: Callable[[], datetime], daily_limit: int = 15000) -> None:
        self.clock = clock
        self.daily_limit = daily_limit
        self._calls: deque[datetime] = deque()
        self._lock = threading.Lock()

    def _trim(self) -> None:
        horizon = self.clock() - WINDOW
        while self._calls and self._calls[0] <= horizon:
            self._calls.popleft()

    @property
    def used(self) -> int:
        with self._lock:
            self._trim()
            return len(self._calls)

    def spend(self) -> bool:
        """Count one request; False (nothing counted) when the budget is spent."""
        with self._lock:
            self._trim()
            if len(self._calls) >= self.daily_limit:
                return False
            self._calls.append(self.clock())
            return True

    def set_used(self, count: int) -> None:
        """Pretend ``count`` requests were made just now (for tests)."""
        with self._lock:
            now = self.clock()
            self._calls = deque([now] * count)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

    def header(self) -> str:
        return f"api-usage={self.used}/{self.daily_limit}"
