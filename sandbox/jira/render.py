"""Issues, comments, change history and remote links as Jira's REST API writes them.

Field selection (``fields=``): ``*all`` (every field), ``*navigable`` (all but
``comment``), field ids, ``-id`` to leave one out; unknown ids are ignored,
as Jira does. ``expand=changelog`` adds ``changelog.histories`` (Cloud:
newest first, as its document says; Data Center: oldest first);
``expand=names`` adds ``names`` (field id -> name).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sandbox.jira import values as v
from sandbox.jira import workflow as wf
from sandbox.jira.model import Comment, History, Issue, RemoteLink
from sandbox.jira.schema import FieldCatalog, FieldDef
from sandbox.jira.store import Store
from sandbox.jira.wire import jira_time

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def parse_list(raw: Iterable[str] | str | None) -> list[str] | None:
    """A comma-separated or repeated parameter as a list (None when absent)."""
    if raw is None:
        return None
    parts = [raw] if isinstance(raw, str) else list(raw)
    out = [p.strip() for part in parts for p in str(part).split(",")]
    return [p for p in out if p]


def select_fields(catalog: FieldCatalog, spec: list[str] | None, default: str
                  ) -> list[FieldDef]:
    """The fields to render for a ``fields`` parameter (``default`` when absent)."""
    tokens = spec if spec is not None else [default]
    chosen: dict[str, FieldDef] = {}
    excluded: set[str] = set()
    for token in tokens:
        if token == "*all":
            chosen.update({f.id: f for f in catalog.issue_fields()})
        elif token == "*navigable":
            chosen.update({f.id: f for f in catalog.issue_fields() if f.navigable})
        elif token.startswith("-"):
            excluded.add(token[1:])
        else:
            fd = catalog.by_id(token)
            if fd is not None and fd.in_issue:
                chosen[fd.id] = fd
    return [f for f in chosen.values() if f.id not in excluded]


def render_context(store: Store, base_url: str, api_version: str) -> v.RenderContext:
    return v.RenderContext(f"{base_url}/rest/api/{api_version}", store.cloud, api_version,
                           store.user_by_id)


def field_value(store: Store, issue: Issue, fd: FieldDef, ctx: v.RenderContext) -> Any:
    if fd.kind == "project":
        return wf.project_json(ctx.base, issue.project)
    if fd.kind == "comments":
        return comments_page(issue, ctx)
    return v.render(fd, issue.get(fd.id), ctx)


def issue_json(store: Store, issue: Issue, ctx: v.RenderContext, fields: list[FieldDef],
               expand: Iterable[str] = (), id_only: bool = False) -> dict[str, Any]:
    if id_only:
        return {"id": issue.id}
    out: dict[str, Any] = {"expand": ISSUE_EXPAND, "id": issue.id,
                           "self": f"{ctx.base}/issue/{issue.id}", "key": issue.key}
    out["fields"] = {fd.id: field_value(store, issue, fd, ctx) for fd in fields}
    wanted = set(expand)
    if "changelog" in wanted:
        out["changelog"] = changelog_json(issue, ctx, newest_first=ctx.cloud)
    if "names" in wanted:
        out["names"] = {fd.id: fd.name for fd in fields}
    return out


def user_or_none(ctx: v.RenderContext, account_id: str) -> dict[str, Any] | None:
    user = ctx.user_by_id(account_id)
    return None if user is None else wf.user_json(ctx.base, user, ctx.cloud)


def history_json(history: History, ctx: v.RenderContext) -> dict[str, Any]:
    return {"id": history.id, "author": user_or_none(ctx, history.author),
            "created": jira_time(history.created),
            "items": [item.wire() for item in history.items]}


def changelog_json(issue: Issue, ctx: v.RenderContext, newest_first: bool) -> dict[str, Any]:
    histories = sorted(issue.histories, key=lambda h: (h.created, int(h.id)),
                       reverse=newest_first)
    return {"startAt": 0, "maxResults": len(histories), "total": len(histories),
            "histories": [history_json(h, ctx) for h in histories]}


def changelog_page(issue: Issue, ctx: v.RenderContext, start: int, size: int
                   ) -> dict[str, Any]:
    """``GET /issue/{key}/changelog`` (Cloud): oldest first, paged."""
    histories = sorted(issue.histories, key=lambda h: (h.created, int(h.id)))
    page = histories[start:start + size]
    return {"self": f"{ctx.base}/issue/{issue.key}/changelog?startAt={start}&maxResults={size}",
            "maxResults": size, "startAt": start, "total": len(histories),
            "isLast": start + len(page) >= len(histories),
            "values": [history_json(h, ctx) for h in page]}


def comment_json(issue: Issue, comment: Comment, ctx: v.RenderContext) -> dict[str, Any]:
    author = user_or_none(ctx, comment.author)
    return {"self": f"{ctx.base}/issue/{issue.id}/comment/{comment.id}", "id": comment.id,
            "author": author,
            "body": v.adf_from_text(comment.body) if ctx.adf else comment.body,
            "updateAuthor": author, "created": jira_time(comment.created),
            "updated": jira_time(comment.updated), "jsdPublic": True}


def comments_page(issue: Issue, ctx: v.RenderContext, start: int = 0,
                  size: int | None = None) -> dict[str, Any]:
    total = len(issue.comments)
    size = total if size is None else size
    page = issue.comments[start:start + size]
    return {"comments": [comment_json(issue, c, ctx) for c in page], "self":
            f"{ctx.base}/issue/{issue.id}/comment", "maxResults": size, "total": total,
            "startAt": start}


def remote_link_json(issue: Issue, link: RemoteLink, ctx: v.RenderContext) -> dict[str, Any]:
    out: dict[str, Any] = {"id": link.id,
                           "self": f"{ctx.base}/issue/{issue.key}/remotelink/{link.id}"}
    if link.global_id is not None:
        out["globalId"] = link.global_id
    for key in ("application", "relationship", "object"):
        if key in link.payload:
            out[key] = link.payload[key]
    return out
