"""The emulated site's state: projects, users and issues, in memory.

Seeding and inspecting from tests (all thread-safe, all usable while serving)::

    issue = store.create_issue("SUP", summary="Printer on fire",
                               customfield_10019="sev1", created=t0)
    store.edit_issue(issue.key, {"customfield_10014": "24x7"}, updated=t1)  # a person's edit
    store.set_status(issue.key, "In Progress", at=t2)                      # with history
    store.add_comment(issue.key, "Looking", at=t3)
    store.delete_issue(issue.key)                                          # 404 afterwards
    store.issue("SUP-1"); store.issues()

Seeding takes values leniently (plain option values, issue type / priority /
user names, ``datetime`` objects) and custom fields by id or, when unique, by
name (``fields={"Severity": "sev2"}``). Every change is written to the
issue's change history; ``updated`` moves to the change's time. A seeding
edit (``edit_issue``) always sets ``updated``, even with no field change (a
"touch"). So does every successful API write (edit, transition, comment,
remote link), the hub's own included, unless ``touch_noop_writes`` is False:
then a write that changes nothing leaves ``updated`` alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sandbox.jira import values as v
from sandbox.jira import workflow as wf
from sandbox.jira.errors import JiraError, issue_not_found
from sandbox.jira.model import ChangeItem, Comment, History, Issue
from sandbox.jira.schema import FieldCatalog, FieldDef
from sandbox.jira.wire import to_ms

Clock = Callable[[], datetime]
UNLOGGED = frozenset({"created", "updated", "resolutiondate"})  # no history items


class Store:
    def __init__(self, catalog: FieldCatalog, clock: Clock, cloud: bool, api_user: wf.User,
                 others: Iterable[wf.User] = ()) -> None:
        self.lock = threading.RLock()
        self.catalog = catalog
        self.clock = clock
        self.cloud = cloud
        self.api_user = api_user
        self.users: dict[str, wf.User] = {u.account_id: u for u in (api_user, *others)}
        self.projects: dict[str, wf.Project] = {}
        self.deleted: set[str] = set()
        self.touch_noop_writes = True
        self._issues: dict[str, Issue] = {}
        self._by_key: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._next = {"issue": 10000, "comment": 10000, "link": 10000, "history": 10000,
                      "project": 10000}
        self.add_project("SUP", "Support")

    # ids and time ----------------------------------------------------------------
    def now(self) -> datetime:
        return to_ms(self.clock())

    def next_id(self, kind: str) -> int:
        with self.lock:
            value = self._next[kind]
            self._next[kind] += 1
            return value

    # projects and users ------------------------------------------------------------
    def add_project(self, key: str, name: str | None = None) -> wf.Project:
        with self.lock:
            key = key.upper()
            if key not in self.projects:
                self.projects[key] = wf.Project(str(self.next_id("project")), key, name or key)
                self._counters[key] = 0
            return self.projects[key]

    def project(self, ref: Any) -> wf.Project | None:
        text = str(ref)
        for pr in self.projects.values():
            if text.upper() == pr.key or text == pr.id or text.lower() == pr.name.lower():
                return pr
        return None

    def add_user(self, user: wf.User) -> wf.User:
        with self.lock:
            self.users[user.account_id] = user
            return user

    def user_by_id(self, account_id: str) -> wf.User | None:
        return self.users.get(account_id)

    def find_user(self, ref: Any) -> wf.User | None:
        """A user by ``{"accountId"}`` (Cloud), ``{"name"|"key"}`` (Data Center),
        ``{"id"}``, or (seeding) a plain account id, name or email."""
        if isinstance(ref, dict):
            keys = ("accountId", "id") if self.cloud else ("name", "key", "id")
            wanted = [str(ref[k]) for k in keys if k in ref]
        elif isinstance(ref, str):
            wanted = [ref]
        else:
            return None
        for user in self.users.values():
            if any(w in (user.account_id, user.name, user.key, user.email) for w in wanted):
                return user
        return None

    # lookup ---------------------------------------------------------------------------
    def find(self, ref: Any) -> Issue | None:
        with self.lock:
            text = str(ref)
            issue_id = self._by_key.get(text.upper(), text)
            return self._issues.get(issue_id)

    def issue(self, ref: Any) -> Issue:
        """The issue by key or id; ``JiraError`` 404 (Jira's body) when absent or deleted."""
        found = self.find(ref)
        if found is None:
            raise issue_not_found()
        return found

    def issues(self) -> list[Issue]:
        with self.lock:
            return list(self._issues.values())

    def field(self, ref: str) -> FieldDef:
        """A field by id, or a custom field by its (unique) name; KeyError otherwise."""
        found = self.catalog.by_id(ref)
        if found is not None:
            return found
        named = [f for f in self.catalog.fields if f.custom and f.name.lower() == ref.lower()]
        if len(named) != 1:
            raise KeyError(f"no single field named {ref!r} ({len(named)} match)")
        return named[0]

    # the change machinery ----------------------------------------------------------
    def value_context(self, api_version: str = "2", lenient: bool = False) -> v.ValueContext:
        return v.ValueContext(self.cloud, api_version, self.find_user, lenient)

    def change_item(self, fd: FieldDef, old: Any, new: Any) -> ChangeItem:
        return ChangeItem(
            field=fd.name if fd.custom else fd.id, field_id=fd.id,
            fieldtype="custom" if fd.custom else "jira",
            from_id=v.raw_id(fd, old), from_string=v.display(fd, old, self.user_by_id),
            to_id=v.raw_id(fd, new), to_string=v.display(fd, new, self.user_by_id))

    def apply(self, issue: Issue, changes: Mapping[str, Any], at: datetime,
              author: str | None = None, extra: Iterable[ChangeItem] = ()) -> bool:
        """Set internal values, write one history entry for what changed, move
        ``updated`` to ``at`` when anything changed. Returns whether it did."""
        items = list(extra)
        for field_id, new in changes.items():
            old = issue.values.get(field_id)
            if old == new:
                continue
            fd = self.catalog.by_id(field_id)
            if fd is not None and field_id not in UNLOGGED:
                items.append(self.change_item(fd, old, new))
            issue.values[field_id] = new
        if not items:
            return False
        issue.histories.append(History(str(self.next_id("history")),
                                       author or self.api_user.account_id, at, items))
        issue.values["updated"] = at
        return True

    def touch(self, issue: Issue, at: datetime) -> None:
        """After an API write that changed nothing: move ``updated`` anyway
        (unless ``touch_noop_writes`` is off)."""
        if self.touch_noop_writes:
            issue.values["updated"] = at

    def status_changes(self, issue: Issue, status_id: str, at: datetime,
                       resolution: str | None = None) -> dict[str, Any]:
        """The value changes a move to ``status_id`` makes (resolution, resolved date)."""
        changes: dict[str, Any] = {"status": status_id}
        done = wf.status(status_id).category == "done"
        was_done = wf.status(issue.status).category == "done"
        if done and not was_done:
            changes["resolution"] = resolution or wf.DONE_RESOLUTION
            changes["resolutiondate"] = at
        elif done and resolution:
            changes["resolution"] = resolution
        elif not done:
            changes["resolution"] = None
            changes["resolutiondate"] = None
        return changes

    # seeding --------------------------------------------------------------------------
    def _seed_values(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        ctx = self.value_context(lenient=True)
        out: dict[str, Any] = {}
        for name, raw in fields.items():
            fd = self.field(name)
            try:
                out[fd.id] = v.coerce(fd, raw, ctx)
            except v.FieldValueError as exc:
                raise ValueError(f"{fd.id}: {exc}") from exc
        return out

    def create_issue(self, project: str = "SUP", summary: str = "Support request",
                     issuetype: str = "Task", *, fields: Mapping[str, Any] | None = None,
                     status: str | None = None, priority: str = "Medium",
                     reporter: str | None = None, created: datetime | None = None,
                     updated: datetime | None = None, **more: Any) -> Issue:
        """Seed an issue (project created on first use). ``status`` puts it there
        from the start, without history."""
        with self.lock:
            pr = self.add_project(project)
            given = {"summary": summary, "issuetype": issuetype, "priority": priority,
                     **dict(fields or {}), **more}
            if reporter is not None:
                given["reporter"] = reporter
            vals = self._seed_values(given)
            vals.setdefault("reporter", self.api_user.account_id)
            at = to_ms(created) if created else self.now()
            st = wf.find(wf.STATUSES, status or wf.INITIAL_STATUS)
            if st is None:
                raise ValueError(f"unknown status {status!r}")
            return self.insert(pr, vals, at, to_ms(updated) if updated else at, st.id)

    def insert(self, pr: wf.Project, vals: dict[str, Any], created: datetime,
               updated: datetime, status_id: str = wf.INITIAL_STATUS) -> Issue:
        with self.lock:
            self._counters[pr.key] += 1
            key = f"{pr.key}-{self._counters[pr.key]}"
            issue_id = str(self.next_id("issue"))
            base: dict[str, Any] = {f.id: None for f in self.catalog.issue_fields()}
            base.update({"labels": [], "priority": wf.DEFAULT_PRIORITY,
                         "issuetype": wf.DEFAULT_ISSUE_TYPE, "assignee": None})
            base.update(vals)
            base.update({"status": status_id, "created": created, "updated": updated,
                         "project": pr.key, "comment": None})
            if wf.status(status_id).category == "done":
                base["resolution"] = base.get("resolution") or wf.DONE_RESOLUTION
                base["resolutiondate"] = created
            issue = Issue(issue_id, key, pr, base)
            self._issues[issue_id] = issue
            self._by_key[key] = issue_id
            return issue

    def edit_issue(self, ref: str, fields: Mapping[str, Any] | None = None, *,
                   updated: datetime | None = None, author: str | None = None,
                   **more: Any) -> Issue:
        """A person's edit at ``updated`` (default now): values are set, history
        written, and ``updated`` set even when nothing changed."""
        with self.lock:
            issue = self.issue(ref)
            at = to_ms(updated) if updated else self.now()
            changes = self._seed_values({**dict(fields or {}), **more})
            user = self.find_user(author) if author else None
            self.apply(issue, changes, at, user.account_id if user else None)
            issue.values["updated"] = at
            return issue

    def set_status(self, ref: str, status: str, *, at: datetime | None = None,
                   author: str | None = None, resolution: str | None = None) -> Issue:
        """Move an issue to a status (by name or id) directly, with history."""
        with self.lock:
            issue = self.issue(ref)
            st = wf.find(wf.STATUSES, status)
            if st is None:
                raise ValueError(f"unknown status {status!r}")
            when = to_ms(at) if at else self.now()
            res = wf.find(wf.RESOLUTIONS, resolution).id if resolution else None
            self.apply(issue, self.status_changes(issue, st.id, when, res), when, author)
            return issue

    def add_comment(self, ref: str, body: str, *, at: datetime | None = None,
                    author: str | None = None) -> Comment:
        with self.lock:
            issue = self.issue(ref)
            when = to_ms(at) if at else self.now()
            who = self.find_user(author) if author else self.api_user
            comment = Comment(str(self.next_id("comment")), body,
                              (who or self.api_user).account_id, when, when)
            issue.comments.append(comment)
            issue.values["updated"] = when
            return comment

    def delete_issue(self, ref: str) -> None:
        with self.lock:
            issue = self.issue(ref)
            del self._issues[issue.id]
            del self._by_key[issue.key]
            self.deleted.add(issue.key)


def raise_if_errors(errors: dict[str, str]) -> None:
    if errors:
        raise JiraError(400, [], errors)
