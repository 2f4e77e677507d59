"""Fault injection and a call log for the sandbox emulators.

``FaultyApp(app)`` wraps any WSGI app. Every request is logged as a
``Call`` (method, path, status, whether a fault answered it) and counted
per endpoint key ``"METHOD /path"`` (the path without its query string and
without a trailing slash). Every rule observes every request before the
wrapped app sees it; of the rules that would fire, the earliest added answers
instead of the app (or, with ``status=None``, only delays the request).

A rule is reproducible: its ``after``/``times`` counters and its seeded
random generator depend only on the sequence of matching requests.
Delays go through an injectable ``sleep`` so tests never wait.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
DefaultBody = Callable[[int], Any]


@dataclass
class FaultRule:
    """When to answer with a fault instead of the real app.

    ``pattern`` is a regular expression searched in ``"METHOD /path"``.
    The rule skips its first ``after`` matching calls, then fires on each
    matching call with ``probability`` (drawn from ``random.Random(seed)``),
    at most ``times`` times (``None``: no limit). A firing rule first waits
    ``delay`` seconds; then, if ``status`` is not ``None``, answers with that
    status, ``body`` (JSON-able; ``str``/``bytes`` are sent as they are; ``None``
    asks the emulator for its vendor-shaped default body), ``Retry-After``
    when ``retry_after`` is given, and any extra ``headers``.
    """

    pattern: str
    status: int | None
    retry_after: float | None = None
    body: Any = None
    after: int = 0
    times: int | None = None
    probability: float = 1.0
    seed: int = 0
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    seen: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._regex = re.compile(self.pattern)
        self._rng = random.Random(self.seed)
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")

    def matches(self, key: str) -> bool:
        return self._regex.search(key) is not None

    def observe(self, key: str) -> bool:
        """Count a call; say whether the rule would fire for it (not yet fired)."""
        if not self.matches(key):
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        return not (self.probability < 1.0 and self._rng.random() >= self.probability)


@dataclass(frozen=True)
class Call:
    """One request the emulator received."""

    method: str
    path: str
    query: str
    status: int
    faulted: bool

    @property
    def key(self) -> str:
        return endpoint_key(self.method, self.path)


def endpoint_key(method: str, path: str) -> str:
    """``"METHOD /path"`` with the trailing slash removed (``/`` stays)."""
    trimmed = path.rstrip("/") or "/"
    return f"{method.upper()} {trimmed}"


class CallLog:
    """Thread-safe list of calls with per-endpoint counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self.by_endpoint: Counter[str] = Counter()

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self.by_endpoint[call.key] += 1

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self.by_endpoint.clear()

    def all(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def __iter__(self) -> Iterator[Call]:
        return iter(self.all())

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)

    def matching(self, pattern: str) -> list[Call]:
        """Calls whose key equals ``pattern`` (trailing slash ignored) or
        matches it as a full regular expression."""
        method, _, path = pattern.partition(" ")
        exact = endpoint_key(method, path) if path.startswith("/") else pattern
        try:
            regex: re.Pattern[str] | None = re.compile(pattern)
        except re.error:
            regex = None
        return [
            c for c in self.all()
            if c.key == exact or (regex is not None and regex.fullmatch(c.key))
        ]

    def count(self, pattern: str) -> int:
        """How many calls ``matching(pattern)``."""
        return len(self.matching(pattern))

    def statuses(self, pattern: str = ".*") -> list[int]:
        return [c.status for c in self.matching(pattern)]


def _generic_body(status: int) -> Any:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"error": phrase}


class FaultyApp:
    """WSGI middleware: log every call, inject faults by rule."""

    def __init__(
        self,
        app: WSGIApp,
        clock: Any = None,
        *,
        default_body: DefaultBody | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """``clock`` (anything with ``sleep(seconds)``, e.g. ``core.clock.FakeClock``)
        or ``sleep`` replaces ``time.sleep`` for rule delays; ``default_body(status)``
        gives the vendor-shaped body of a fault without an explicit one."""
        self.app = app
        self.default_body = default_body or _generic_body
        self.sleep = sleep or (clock.sleep if clock is not None else time.sleep)
        self.calls = CallLog()
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    # rules -----------------------------------------------------------
    def add_rule(self, rule: FaultRule | None = None, /, **kwargs: Any) -> FaultRule:
        """Add a rule (a ``FaultRule`` or its keyword arguments); returns it."""
        if rule is None:
            rule = FaultRule(**kwargs)
        elif kwargs:
            raise TypeError("pass a FaultRule or keyword arguments, not both")
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def reset_log(self) -> None:
        self.calls.reset()

    # WSGI ----------------------------------------------------------------
    def _pick(self, key: str) -> FaultRule | None:
        """Every rule observes the call (so its counters and random draws do not
        depend on other rules); the earliest-added rule that would fire does."""
        with self._lock:
            ready = [rule for rule in self._rules if rule.observe(key)]
            if not ready:
                return None
            ready[0].fired += 1
            return ready[0]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        query = environ.get("QUERY_STRING", "")
        key = endpoint_key(method, path)
        rule = self._pick(key)
        if rule is not None and rule.delay > 0:
            self.sleep(rule.delay)
        if rule is not None and rule.status is not None:
            self.calls.record(Call(method, path, query, rule.status, True))
            return self._fault_response(rule, start_response)

        seen: dict[str, int] = {}

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        try:
            result = self.app(environ, recording_start_response)
        except Exception:
            self.calls.record(Call(method, path, query, 500, False))
            raise
        self.calls.record(Call(method, path, query, seen.get("status", 0), False))
        return result

    def _fault_response(self, rule: FaultRule, start_response: Callable[..., Any]) -> list[bytes]:
        body = rule.body if rule.body is not None else self.default_body(rule.status or 500)
        if isinstance(body, bytes):
            payload, ctype = body, "application/octet-stream"
        elif isinstance(body, str):
            payload, ctype = body.encode(), "text/plain;charset=UTF-8"
        else:
            payload, ctype = json.dumps(body).encode(), "application/json;charset=UTF-8"
        headers = [("Content-Type", ctype), ("Content-Length", str(len(payload)))]
        if rule.retry_after is not None:
            value = rule.retry_after
            text = str(int(value)) if float(value).is_integer() else str(value)
            headers.append(("Retry-After", text))
        headers.extend(rule.headers.items())
        status = rule.status or 500
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Fault"
        start_response(f"{status} {phrase}", headers)
        return [payload]
