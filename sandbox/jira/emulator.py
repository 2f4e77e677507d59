"""``JiraEmulator``: a stateful Jira REST API (Cloud or Data Center) for tests and demos.

Usage::

    emu = JiraEmulator(mode="cloud", clock=fake_clock.now, user_timezone="Asia/Kolkata")
    with emu:                                    # or emu.start() / emu.stop()
        client = jira_client(emu)               # the real ``jira.JIRA``, CA pinned
        ...
    emu.store.create_issue("SUP", summary="...", customfield_10019="sev1")   # seed
    emu.store.edit_issue("SUP-1", {"Coverage": "24x7"}, updated=t)          # a person's edit
    emu.store.issue("SUP-1")                                                 # inspect
    emu.faults.add_rule(pattern=r"GET .*/search/jql", status=429, retry_after=7, times=3)
    emu.set_rate_limit(100, window=60)          # 429 with Retry-After / X-RateLimit-*
    emu.calls.count("GET /rest/api/2/search/jql"); emu.write_count; emu.read_count

``.app`` is the WSGI app wrapped in ``FaultyApp``: fault rules fire before
authentication and before the rate-limit budget is touched, and every call
(faulted or not) is in ``.calls``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.faults import Call, CallLog, FaultRule, FaultyApp
from sandbox.jira.app import JiraApp, server_info_body
from sandbox.jira.auth import Credentials
from sandbox.jira.errors import default_fault_body
from sandbox.jira.jql_eval import EvalContext
from sandbox.jira.ratelimit import RateLimiter
from sandbox.jira.resources import Resources
from sandbox.jira.schema import FieldCatalog, FieldDef
from sandbox.jira.search import SearchService
from sandbox.jira.store import Store
from sandbox.jira.workflow import User
from sandbox.server import Served, as_clock

MODES = ("cloud", "datacenter")
_SEARCH = re.compile(r"/search(/jql)?/?$")
API_USER = User(account_id="5b10ac8d82e05b22cc7d4ef5", name="hub-integration",
                 key="JIRAUSER10100", email="integration@contracthub.example",
                 display_name="ContractHub Integration")
OTHER_USERS = (
    User("5b10a2844c20165700ede21g", "alice", "JIRAUSER10101", "alice@vendor.example",
         "Alice Agent"),
    User("5b10a0effa615349cb016cd8", "carol", "JIRAUSER10102", "carol@customer.example",
         "Carol Customer"),
)


def is_write(call: Call) -> bool:
    """A call that changes the site (searches by POST are reads)."""
    return call.method in ("POST", "PUT", "DELETE", "PATCH") and not _SEARCH.search(call.path)


class JiraEmulator(Served):
    """One Jira site: a project ``SUP``, issues, fields, one API user and a budget."""

    def __init__(
        self,
        mode: str = "cloud",
        clock: Any = None,
        user_timezone: str = "UTC",
        custom_fields: Iterable[Mapping[str, Any] | FieldDef] | None = None,
        page_max: int = 100,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
        ambiguous_fields: str = "error",
        api_token: str | None = None,
        pat: str | None = None,
        sleep: Callable[[float], None] | None = None,
        touch_noop_writes: bool = True,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if ambiguous_fields not in ("error", "any"):
            raise ValueError("ambiguous_fields must be 'error' or 'any'")
        if page_max < 1:
            raise ValueError("page_max must be at least 1")
        ZoneInfo(user_timezone)  # refuse an unknown zone now, not at the first search
        self.mode = mode
        self.now: Callable[[], datetime] = as_clock(clock)
        self.ambiguous_fields = ambiguous_fields
        self.page_max = page_max
        api_user = replace(API_USER, time_zone=user_timezone)
        self.store = Store(FieldCatalog.build(custom_fields), self.now, self.cloud, api_user,
                           OTHER_USERS)
        self.store.touch_noop_writes = touch_noop_writes
        self.credentials = Credentials(api_user, api_token, pat)
        self.limiter = RateLimiter(self.now, rate_limit, rate_window, cloud=self.cloud)
        self.resources = Resources(self.store, user_timezone)
        self.search = SearchService(self.store, self._eval_context, page_max)
        self.api = JiraApp(self.store, self.credentials, self.limiter, self.search,
                           self.resources, lambda base: server_info_body(self.cloud, base,
                                                                         self.now()))
        if sleep is None and hasattr(clock, "sleep"):
            sleep = clock.sleep
        self.faults = FaultyApp(self.api, default_body=default_fault_body, sleep=sleep)
        self.served_as = f"jira-{mode}"

    @property
    def cloud(self) -> bool:
        return self.mode == "cloud"

    def _eval_context(self) -> EvalContext:
        return EvalContext(self.store, ZoneInfo(self.user_timezone), self.store.now(),
                           self.ambiguous_fields)

    # serving -------------------------------------------------------------------------
    @property
    def app(self) -> FaultyApp:
        return self.faults

    # credentials and the API user ---------------------------------------------------------
    @property
    def basic_auth(self) -> tuple[str, str]:
        """(email, API token) for basic auth."""
        return self.credentials.basic_auth

    @property
    def pat(self) -> str:
        """A personal access token for ``Authorization: Bearer``."""
        return self.credentials.pat

    def rotate_credentials(self) -> None:
        """New API token and PAT; the old ones answer 401 from now on."""
        self.credentials.rotate()

    @property
    def api_user(self) -> User:
        return self.store.api_user

    @property
    def user_timezone(self) -> str:
        return self.store.api_user.time_zone

    @user_timezone.setter
    def user_timezone(self, zone: str) -> None:
        """Change the API user's profile zone (``/myself`` and JQL dates follow)."""
        ZoneInfo(zone)
        with self.store.lock:
            user = replace(self.store.api_user, time_zone=zone)
            self.store.api_user = user
            self.store.users[user.account_id] = user
            self.credentials.user = user
            self.resources.user_timezone = zone

    # behaviour knobs ---------------------------------------------------------------------
    def set_rate_limit(self, limit: int | None, window: float = 60.0) -> None:
        """Allow ``limit`` authenticated calls per ``window`` seconds (None: unlimited)."""
        self.limiter.configure(limit, window)

    def add_fault(self, **kwargs: Any) -> FaultRule:
        """Shortcut for ``faults.add_rule(FaultRule(**kwargs))``."""
        return self.faults.add_rule(**kwargs)

    # call accounting ---------------------------------------------------------------------
    @property
    def calls(self) -> CallLog:
        return self.faults.calls

    def writes(self) -> list[Call]:
        """Calls that change the site (POST/PUT/DELETE other than searches)."""
        return [c for c in self.calls.all() if is_write(c)]

    def reads(self) -> list[Call]:
        return [c for c in self.calls.all() if not is_write(c)]

    @property
    def write_count(self) -> int:
        return len(self.writes())

    @property
    def read_count(self) -> int:
        return len(self.reads())
