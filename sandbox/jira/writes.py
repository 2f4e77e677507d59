"""Writes through the REST API: create, edit, transition, comment, remote link.

Each validates the whole request first and changes nothing when any part is
refused: 400 ``{"errorMessages": [...], "errors": {field: message}}``.
A field that is unknown, read-only (``status``, ``created``, ``updated``...)
or not on the screen answers Jira's "Field 'x' cannot be set. It is not on the
appropriate screen, or unknown." Every successful write that changes
something moves the issue's ``updated`` to now, the hub's own writes included;
so does one that changes nothing (``Store.touch_noop_writes``, on by default).
"""

from __future__ import annotations

from typing import Any

from sandbox.jira import values as v
from sandbox.jira import workflow as wf
from sandbox.jira.errors import (
    COMMENT_NOT_VALID,
    INVALID_PAYLOAD,
    JiraError,
    bad_request,
    field_errors,
    not_on_screen,
)
from sandbox.jira.model import ChangeItem, Comment, Issue, RemoteLink
from sandbox.jira.store import Store

CREATE_ONLY = frozenset({"project", "issuetype"})
EDIT_BODY_KEYS = frozenset({"fields", "update", "properties", "historyMetadata", "transition"})


def _object(body: Any) -> dict[str, Any]:
    """The JSON object a body (or part of one) must be; 400 otherwise."""
    if not isinstance(body, dict):
        raise bad_request(INVALID_PAYLOAD)
    return body


def _coerce_fields(store: Store, fields: dict[str, Any], ctx: v.ValueContext,
                   allowed: frozenset[str] = frozenset(), creating: bool = False
                   ) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field_id, raw in fields.items():
        fd = store.catalog.by_id(field_id)
        settable = fd is not None and fd.in_issue and (
            fd.settable or field_id in allowed or (creating and field_id in CREATE_ONLY))
        if fd is None or not settable:
            errors[field_id] = not_on_screen(field_id)
            continue
        if creating and field_id == "project":
            continue
        try:
            values[field_id] = v.coerce(fd, raw, ctx)
        except v.FieldValueError as exc:
            errors[field_id] = str(exc)
    return values, errors


def _apply_update_ops(store: Store, issue: Issue | None, update: dict[str, Any],
                      ctx: v.ValueContext, values: dict[str, Any], errors: dict[str, str]
                      ) -> list[Any]:
    """Fold ``update`` operations into ``values``; returns comment bodies to add."""
    comments: list[Any] = []
    for field_id, ops in update.items():
        if not isinstance(ops, list):
            errors[field_id] = INVALID_PAYLOAD
            continue
        if field_id == "comment":
            for op in ops:
                body = op.get("add", {}).get("body") if isinstance(op, dict) else None
                if body is None:
                    errors["comment"] = COMMENT_NOT_VALID
                else:
                    comments.append(body)
            continue
        if field_id in values:
            errors[field_id] = f"Field '{field_id}' cannot be set in both 'fields' and 'update'."
            continue
        fd = store.catalog.by_id(field_id)
        if fd is None or not fd.settable or not fd.in_issue:
            errors[field_id] = not_on_screen(field_id)
            continue
        current = list(issue.get(field_id) or []) if issue and fd.kind == "labels" else None
        for op in ops:
            verb, arg = next(iter(op.items())) if isinstance(op, dict) and op else ("?", None)
            try:
                if verb == "set":
                    values[field_id] = v.coerce(fd, arg, ctx)
                    current = values[field_id] if fd.kind == "labels" else None
                elif verb in ("add", "remove") and fd.kind == "labels" and current is not None:
                    label = v.coerce(fd, [arg], ctx)[0]
                    if verb == "add" and label not in current:
                        current.append(label)
                    elif verb == "remove" and label in current:
                        current.remove(label)
                    values[field_id] = list(current)
                else:
                    errors[field_id] = f"Operation '{verb}' is not supported for field " \
                                       f"'{field_id}'."
            except v.FieldValueError as exc:
                errors[field_id] = str(exc)
    return comments


def _comment_text(raw: Any, ctx: v.ValueContext) -> str:
    if ctx.adf:
        if not v.is_adf(raw):
            raise bad_request(COMMENT_NOT_VALID)
        return v.adf_text(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise bad_request(COMMENT_NOT_VALID)
    return raw


def create(store: Store, body: Any, api_version: str) -> Issue:
    """``POST /issue``: ``{"fields": {project, issuetype, summary, ...}, "update"?}``."""
    body = _object(body)
    fields = _object(body.get("fields", {}))
    ctx = store.value_context(api_version)
    values, errors = _coerce_fields(store, fields, ctx, creating=True)
    project_ref = fields.get("project")
    ref = project_ref.get("key", project_ref.get("id")) if isinstance(project_ref, dict) \
        else None
    project = store.project(ref) if ref is not None else None
    if project is None:
        errors["project"] = "Specify a valid project ID or key"
    if "issuetype" not in fields:
        errors["issuetype"] = "Specify an issue type"
    if "summary" not in fields:
        errors["summary"] = "You must specify a summary of the issue."
    comments = _apply_update_ops(store, None, _object(body.get("update", {})), ctx, values,
                                 errors)
    if errors:
        raise field_errors(errors)
    values.setdefault("reporter", store.api_user.account_id)
    now = store.now()
    assert project is not None
    issue = store.insert(project, values, now, now)
    for raw in comments:
        store.add_comment(issue.key, _comment_text(raw, ctx), at=now)
    return issue


def edit(store: Store, issue: Issue, body: Any, api_version: str) -> None:
    """``PUT /issue/{key}``: ``{"fields": {...}, "update": {...}}``."""
    body = _object(body)
    unknown = set(body) - EDIT_BODY_KEYS
    if unknown:
        raise bad_request(INVALID_PAYLOAD)
    ctx = store.value_context(api_version)
    values, errors = _coerce_fields(store, _object(body.get("fields", {})), ctx)
    comments = _apply_update_ops(store, issue, _object(body.get("update", {})), ctx, values,
                                 errors)
    if errors:
        raise field_errors(errors)
    texts = [_comment_text(raw, ctx) for raw in comments]
    now = store.now()
    if not store.apply(issue, values, now):
        store.touch(issue, now)
    for text in texts:
        store.add_comment(issue.key, text, at=now)


def transition(store: Store, issue: Issue, body: Any, api_version: str) -> None:
    """``POST /issue/{key}/transitions``: ``{"transition": {"id"}, "fields"?, "update"?}``."""
    body = _object(body)
    ref = body.get("transition")
    tid = str(ref.get("id")) if isinstance(ref, dict) and ref.get("id") is not None else None
    if tid is None:
        raise bad_request("Missing 'transition' identifier")
    tr = next((t for t in wf.transitions_from(issue.status) if t.id == tid), None)
    if tr is None:
        raise bad_request(f"Transition id '{tid}' is not valid for this issue.")
    ctx = store.value_context(api_version)
    done = wf.status(tr.to).category == "done"
    allowed = frozenset({"resolution"}) if done else frozenset()
    values, errors = _coerce_fields(store, _object(body.get("fields", {})), ctx, allowed)
    comments = _apply_update_ops(store, issue, _object(body.get("update", {})), ctx, values,
                                 errors)
    if errors:
        raise field_errors(errors)
    texts = [_comment_text(raw, ctx) for raw in comments]
    now = store.now()
    resolution = values.pop("resolution", None)
    store.apply(issue, {**store.status_changes(issue, tr.to, now, resolution), **values}, now)
    for text in texts:
        store.add_comment(issue.key, text, at=now)


def comment(store: Store, issue: Issue, body: Any, api_version: str) -> Comment:
    """``POST /issue/{key}/comment``: ``{"body": text}`` (v2) or an ADF document (v3)."""
    body = _object(body)
    text = _comment_text(body.get("body"), store.value_context(api_version))
    return store.add_comment(issue.key, text)


def remote_link(store: Store, issue: Issue, body: Any) -> tuple[RemoteLink, bool]:
    """``POST /issue/{key}/remotelink``: create, or update the link with the same
    ``globalId`` (fields not sent become empty). Returns (link, created)."""
    body = _object(body)
    obj = body.get("object")
    if not isinstance(obj, dict) or not obj.get("url") or not obj.get("title"):
        errors = {}
        if not isinstance(obj, dict) or not obj.get("url"):
            errors["url"] = "'url' is required."
        if not isinstance(obj, dict) or not obj.get("title"):
            errors["title"] = "'title' is required."
        raise JiraError(400, [], errors)
    global_id = body.get("globalId")
    payload = {k: body[k] for k in ("globalId", "application", "relationship", "object")
               if k in body}
    now = store.now()
    if global_id is not None:
        for link in issue.remote_links:
            if link.global_id == global_id:
                if link.payload != payload:
                    link.payload = payload
                    issue.values["updated"] = now
                else:
                    store.touch(issue, now)
                return link, False
    link = RemoteLink(store.next_id("link"), global_id, payload)
    issue.remote_links.append(link)
    item = ChangeItem("RemoteIssueLink", "RemoteIssueLink", "jira", None, None, str(link.id),
                      f"This issue links to \"{obj['title']}\"")
    store.apply(issue, {}, now, extra=[item])
    return link, True
