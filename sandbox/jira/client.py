"""A real ``jira.JIRA`` client bound to an emulator, trusting the sandbox CA.

How the CA wins over ``REQUESTS_CA_BUNDLE``: ``requests`` lets that variable
replace ``Session.verify`` whenever a request is sent with ``verify`` unset,
but jira's ``ResilientSession`` (jira 3.x) sends every request with
``verify=session.verify`` explicitly, and an explicit path is never replaced.
So ``options={"verify": ca_bundle}`` is enough, and it already holds for the
constructor's own ``GET /serverInfo``. (Setting ``_session.trust_env = False``
afterwards would be too late for that first call, and touches a private
attribute.) ``check_update`` stays off so nothing reaches PyPI.
"""

from __future__ import annotations

from typing import Any

from sandbox.jira.emulator import JiraEmulator


def jira_client(emu: JiraEmulator, auth: str = "basic", *, ca_bundle: str | None = None,
                timeout: float = 10, max_retries: int = 0, **kwargs: Any) -> Any:
    """``JIRA(server=emu.base_url, basic_auth=... | token_auth=..., options={"verify": CA},
    max_retries=0, timeout=10, get_server_info=True)``."""
    from jira import JIRA

    options = {"verify": ca_bundle or emu.ca_bundle, "check_update": False,
               **kwargs.pop("options", {})}
    credentials: dict[str, Any]
    if auth == "basic":
        credentials = {"basic_auth": emu.basic_auth}
    elif auth == "pat":
        credentials = {"token_auth": emu.pat}
    else:
        raise ValueError("auth must be 'basic' or 'pat'")
    return JIRA(server=emu.base_url, options=options, max_retries=max_retries, timeout=timeout,
                get_server_info=True, **credentials, **kwargs)
