"""Editing issues: only the fields given, only when they differ, never creating one.

Jira issues are created by people (the hub mirrors them), so every write names
the issue's id; one without (``creates = False``) or a delete is refused per
record. An edit is one ``PUT /rest/api/2/issue/{id}?notifyUsers=false`` with
``{"fields": {...}}`` sent on the library's session (its ``Issue.update``
GETs the issue again afterwards: a call for nothing). Values take the form
the field's schema wants (options ``{"value"}``, times
``2026-03-02T09:15:30.000+0000``).

"Only when they differ": the connector remembers, per issue, the values it
last read or wrote for the fields the hub writes (reads ask for those fields
once the hub has written them), and leaves out what Jira already holds; an
edit with nothing left costs no call. Jira moves ``updated`` on every edit,
the hub's own, so a write that changes nothing must not be sent at all.

``contract_link`` is a remote link with a stable ``globalId`` per
connection: posting it again updates the same link (idempotent); an empty
value removes it. Its value is a URL, or a contract number turned into one
by the ``contract_url`` setting.

Answers: 404 -> ``REMOTE_DELETED`` (never re-created), 400 -> a record error
with Jira's message per field, 403 -> a record error (no edit permission on
that issue); 429/5xx/401 raise for the engine's retry policy.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests
from jira import JIRAError

from connectors.base import REMOTE_DELETED, RecordError, WriteOp, WriteResult
from connectors.http import transport_error
from connectors.jira.api import SYSTEM, JiraApi, jira_messages, translate
from connectors.jira.fields import Catalog

log = logging.getLogger(__name__)
MISSING = object()
LINK = "contract_link"
REMEMBER_MAX = 50_000


class Refused(Exception):
    def __init__(self, error: RecordError) -> None:
        super().__init__(error.message)
        self.error = error


class IssueWriter:
    def __init__(self, api: JiraApi, catalog: Callable[[], Catalog]) -> None:
        self.api = api
        self.catalog = catalog
        self.settings = api.settings
        self.global_id = f"contracthub:{self.settings.name}:contract"
        self.quiet = not self.settings.notify_users
        """Send ``notifyUsers=false`` (Jira allows it to admins and project admins only)."""
        self.out_fields: set[str] = set()
        """Field ids the hub has written: reads ask for them, to know what Jira holds."""
        self._known: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._versions: dict[str, str] = {}

    # -- what Jira holds ---------------------------------------------------------------
    def remember(self, issue: dict[str, Any]) -> None:
        """Note the written fields' values (and the version) of an issue just read."""
        issue_id, raw = str(issue.get("id")), issue.get("fields") or {}
        catalog = self.catalog()
        seen = {f: catalog.comparable(f, raw.get(f)) for f in self.out_fields if f in raw}
        self._note(issue_id, seen, str(raw.get("updated") or ""))

    def _note(self, issue_id: str, values: dict[str, Any], version: str | None = None) -> None:
        known = self._known.pop(issue_id, {})
        known.update(values)
        self._known[issue_id] = known
        if version:
            self._versions[issue_id] = version
        while len(self._known) > REMEMBER_MAX:
            old, _ = self._known.popitem(last=False)
            self._versions.pop(old, None)

    def forget(self, issue_id: str) -> None:
        self._known.pop(issue_id, None)
        self._versions.pop(issue_id, None)

    # -- one op ------------------------------------------------------------------------
    def write(self, op: WriteOp) -> WriteResult:
        try:
            sent = self._write(op)
        except Refused as refused:
            if refused.error.code == REMOTE_DELETED and op.remote_id:
                self.forget(op.remote_id)
            return WriteResult(op.key, op.remote_id, error=refused.error)
        version = None if sent else self._versions.get(str(op.remote_id))
        return WriteResult(op.key, op.remote_id, version=version)

    def _write(self, op: WriteOp) -> bool:
        if op.op == "delete":
            raise Refused(RecordError("NOT_SUPPORTED", "the hub does not delete Jira issues; "
                                      "delete it in Jira (the hub then flags its ticket)"))
        if not op.remote_id:
            raise Refused(RecordError("NOT_CREATABLE", "Jira issues are created by people, "
                                      "not by the hub: only issues it has read can be edited"))
        issue_id, catalog = str(op.remote_id), self.catalog()
        fields = dict(op.fields)
        link = fields.pop(LINK, MISSING)
        unknown = sorted(f for f in fields if f not in catalog.by_id)
        if unknown:
            raise Refused(RecordError("INVALID_FIELD", f"no field {', '.join(unknown)} on "
                                      "Jira issues", tuple(unknown)))
        wire: dict[str, Any] = {}
        for f, value in fields.items():
            try:
                wire[f] = catalog.wire(f, value, self.api.cloud)
            except (TypeError, ValueError) as exc:
                raise Refused(RecordError("INVALID_VALUE", f"{f}: {exc}", (f,))) from None
        self.out_fields.update(wire)
        known = self._known.get(issue_id, {})
        changed = {f: v for f, v in wire.items()
                   if known.get(f, MISSING) != catalog.comparable(f, v)}
        sent = False
        if changed:
            self._edit(issue_id, changed)
            self._note(issue_id, {f: catalog.comparable(f, v) for f, v in changed.items()})
            sent = True
        if link is not MISSING:
            sent = self._link(issue_id, link) or sent
        if sent:
            self._versions.pop(issue_id, None)  # Jira moved `updated`: unknown until read
        return sent

    def _edit(self, issue_id: str, fields: dict[str, Any]) -> None:
        what = f"editing issue {issue_id}"
        if not self.quiet:
            self._send("PUT", f"issue/{issue_id}", what, body={"fields": fields})
            return
        try:
            self._send("PUT", f"issue/{issue_id}", what, body={"fields": fields},
                       params={"notifyUsers": "false"})
        except Refused as refused:
            if refused.error.code not in ("FORBIDDEN", "REJECTED") or \
                    "notif" not in refused.error.message.lower():
                raise
            log.warning("jira %s: the API user may not edit without notifications (%s); "
                        "edits now notify watchers. Grant it project admin, or set "
                        "notify_users: true.", self.settings.name, refused.error.message)
            self.quiet = False
            self._send("PUT", f"issue/{issue_id}", what, body={"fields": fields})

    # -- the contract link ----------------------------------------------------------------
    def _link(self, issue_id: str, value: Any) -> bool:
        url, title = self._target(value)
        known = self._known.get(issue_id, {}).get(LINK, MISSING)
        if known == url:
            return False
        path = f"issue/{issue_id}/remotelink"
        if url is None:
            links = self._send("GET", path, f"reading the remote links of issue {issue_id}")
            ours = [lk for lk in links or () if lk.get("globalId") == self.global_id]
            for lk in ours:
                self._send("DELETE", f"{path}/{lk['id']}", f"removing the contract link of "
                           f"issue {issue_id}")
            self._note(issue_id, {LINK: None})
            return bool(ours)
        body = {"globalId": self.global_id,
                "application": {"type": "contracthub", "name": "ContractHub"},
                "relationship": "governed by", "object": {"url": url, "title": title}}
        self._send("POST", path, f"linking issue {issue_id} to its contract", body=body)
        self._note(issue_id, {LINK: url})
        return True

    def _target(self, value: Any) -> tuple[str | None, str]:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None, ""
        if text.startswith(("https://", "http://")):
            return text, "Contract"
        template = self.settings.contract_url
        if not template:
            raise Refused(RecordError("INVALID_VALUE", f"{LINK} needs a URL, or the "
                                      "connection's contract_url setting to make one from "
                                      f"{text!r}", (LINK,)))
        return template.replace("{number}", quote(text, safe="")), f"Contract {text}"

    def _send(self, method: str, path: str, what: str, *, body: Any = None,
              params: dict[str, Any] | None = None) -> Any:
        try:
            return self.api.request(method, path, what, body=body, params=params)
        except JIRAError as exc:
            raise self._refusal(exc, what) from None
        except requests.RequestException as exc:
            raise transport_error(exc, f"{SYSTEM} connection {self.settings.name!r}") from None

    def _refusal(self, exc: JIRAError, what: str) -> Exception:
        status = exc.status_code or 0
        messages, errors = jira_messages(exc)
        text = "; ".join(messages + [f"{k}: {v}" for k, v in errors.items()])
        if status == 404:
            return Refused(RecordError(REMOTE_DELETED, f"{what}: the issue does not exist "
                                       f"(deleted, or no longer visible): {text}"))
        if status == 400:
            return Refused(RecordError("INVALID_FIELD" if errors else "REJECTED",
                                       f"{what}: {text or 'refused'}", tuple(errors)))
        if status == 403:
            return Refused(RecordError("FORBIDDEN", f"{what}: {text or 'no permission'}"))
        return translate(exc, what, self.settings.name, self.api.now())
