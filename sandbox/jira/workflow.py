"""The site's fixed vocabulary: statuses, transitions, issue types, priorities,
resolutions, users and projects, and their REST representations.

Workflow (one for every project)::

    Open --Start Progress--> In Progress --Waiting for customer--> Waiting for customer
    Open/In Progress/Waiting for customer --Resolve Issue--> Resolved
    Resolved --Close Issue--> Closed;  Resolved/Closed --Reopen--> Open
    Waiting for customer --Start Progress--> In Progress

Entering a ``done`` status sets ``resolution`` (Done unless the transition
says otherwise) and ``resolutiondate``; leaving it clears both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: str  # new | indeterminate | done


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to: str  # status id
    sources: tuple[str, ...]  # status ids it leaves from


@dataclass(frozen=True)
class Named:
    """An issue type, priority or resolution."""

    id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class User:
    account_id: str
    name: str
    key: str
    email: str
    display_name: str
    time_zone: str = "UTC"


@dataclass(frozen=True)
class Project:
    id: str
    key: str
    name: str


CATEGORIES = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}
STATUSES = (
    Status("1", "Open", "new"),
    Status("3", "In Progress", "indeterminate"),
    Status("10001", "Waiting for customer", "indeterminate"),
    Status("5", "Resolved", "done"),
    Status("6", "Closed", "done"),
)
TRANSITIONS = (
    Transition("11", "Start Progress", "3", ("1", "10001")),
    Transition("21", "Waiting for customer", "10001", ("1", "3")),
    Transition("31", "Resolve Issue", "5", ("1", "3", "10001")),
    Transition("41", "Close Issue", "6", ("5",)),
    Transition("51", "Reopen", "1", ("5", "6")),
)
ISSUE_TYPES = (
    Named("10002", "Task", "A task that needs to be done."),
    Named("10004", "Bug", "A problem which impairs or prevents the functions of the product."),
    Named("10005", "Support Request", "A request from a customer."),
)
PRIORITIES = (
    Named("1", "Highest"), Named("2", "High"), Named("3", "Medium"), Named("4", "Low"),
    Named("5", "Lowest"),
)
RESOLUTIONS = (
    Named("10000", "Done", "Work has been completed on this issue."),
    Named("10001", "Won't Do", "This issue won't be actioned."),
)
DEFAULT_PRIORITY = "3"
DEFAULT_ISSUE_TYPE = "10002"
INITIAL_STATUS = "1"
DONE_RESOLUTION = "10000"


def find(items: tuple[Any, ...], ref: str) -> Any | None:
    """An item by id, or by name case-insensitively."""
    text = str(ref)
    for item in items:
        if item.id == text:
            return item
    for item in items:
        if item.name.lower() == text.lower():
            return item
    return None


def status(status_id: str) -> Status:
    found = find(STATUSES, status_id)
    if found is None:
        raise KeyError(status_id)
    return found  # type: ignore[no-any-return]


def transitions_from(status_id: str) -> list[Transition]:
    return [t for t in TRANSITIONS if status_id in t.sources]


# REST representations ----------------------------------------------------------
def category_json(base: str, category: str) -> dict[str, Any]:
    cat_id, name, colour = CATEGORIES[category]
    return {"self": f"{base}/statuscategory/{cat_id}", "id": cat_id, "key": category,
            "colorName": colour, "name": name}


def status_json(base: str, st: Status) -> dict[str, Any]:
    return {"self": f"{base}/status/{st.id}", "description": "", "iconUrl": "",
            "name": st.name, "id": st.id, "statusCategory": category_json(base, st.category)}


def issuetype_json(base: str, it: Named) -> dict[str, Any]:
    return {"self": f"{base}/issuetype/{it.id}", "id": it.id, "description": it.description,
            "iconUrl": "", "name": it.name, "subtask": False, "hierarchyLevel": 0}


def priority_json(base: str, pr: Named) -> dict[str, Any]:
    return {"self": f"{base}/priority/{pr.id}", "iconUrl": "", "name": pr.name, "id": pr.id}


def resolution_json(base: str, res: Named) -> dict[str, Any]:
    return {"self": f"{base}/resolution/{res.id}", "id": res.id,
            "description": res.description, "name": res.name}


def project_json(base: str, pr: Project, with_types: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"self": f"{base}/project/{pr.id}", "id": pr.id, "key": pr.key,
                           "name": pr.name, "projectTypeKey": "service_desk",
                           "simplified": False, "avatarUrls": {}}
    if with_types:
        out["issueTypes"] = [issuetype_json(base, it) for it in ISSUE_TYPES]
    return out


def user_json(base: str, user: User, cloud: bool) -> dict[str, Any]:
    """A user as Cloud (``accountId``) or Data Center (``name``/``key``) writes one."""
    out: dict[str, Any] = {"emailAddress": user.email, "avatarUrls": {},
                           "displayName": user.display_name, "active": True,
                           "timeZone": user.time_zone}
    if cloud:
        return {"self": f"{base}/user?accountId={user.account_id}",
                "accountId": user.account_id, **out, "accountType": "atlassian"}
    return {"self": f"{base}/user?username={user.name}", "name": user.name, "key": user.key,
            **out}


def transition_json(base: str, tr: Transition) -> dict[str, Any]:
    return {"id": tr.id, "name": tr.name, "to": status_json(base, status(tr.to)),
            "hasScreen": False, "isGlobal": False, "isInitial": False, "isAvailable": True,
            "isConditional": False, "isLooped": False}
