"""The REST resources other than search: issues and what hangs off them, and
the site's metadata (``field``, ``myself``, ``project``, ``issuetype``...).

Each handler takes the request, the API version (``2``, ``3`` or ``latest``)
and the path arguments, and returns a ``Reply``; ``JiraError`` carries
refusals. Issues are addressed by key or id; a missing or deleted one
answers 404 with Jira's "Issue does not exist or you do not have permission
to see it."
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from sandbox.jira import render, writes
from sandbox.jira import workflow as wf
from sandbox.jira.errors import JiraError, bad_request
from sandbox.jira.store import Store
from sandbox.jira.wire import Reply, read_json


def int_arg(request: Request, name: str, default: int) -> int:
    """An integer query parameter; 400 when it is not one."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return max(0, int(raw))
    except ValueError as exc:
        raise bad_request(f"The '{name}' parameter must be an integer.") from exc


class Resources:
    def __init__(self, store: Store, user_timezone: str) -> None:
        self.store = store
        self.user_timezone = user_timezone

    @staticmethod
    def base_url(request: Request) -> str:
        return request.host_url.rstrip("/")

    def ctx(self, request: Request, ver: str) -> Any:
        return render.render_context(self.store, self.base_url(request), ver)

    # site -----------------------------------------------------------------------------
    def fields(self, request: Request, ver: str) -> Reply:
        return Reply(200, [f.wire() for f in self.store.catalog.fields])

    def myself(self, request: Request, ver: str) -> Reply:
        user = self.store.api_user
        body = wf.user_json(self.ctx(request, ver).base, user, self.store.cloud)
        body.update({"timeZone": self.user_timezone, "locale": "en_US",
                     "groups": {"size": 1, "items": []},
                     "applicationRoles": {"size": 1, "items": []},
                     "expand": "groups,applicationRoles"})
        return Reply(200, body)

    def projects(self, request: Request, ver: str) -> Reply:
        base = self.ctx(request, ver).base
        return Reply(200, [wf.project_json(base, p) for p in self.store.projects.values()])

    def project(self, request: Request, ver: str, ref: str) -> Reply:
        found = self.store.project(ref)
        if found is None:
            raise JiraError(404, [f"No project could be found with key '{ref}'."])
        return Reply(200, wf.project_json(self.ctx(request, ver).base, found, with_types=True))

    def issuetypes(self, request: Request, ver: str) -> Reply:
        base = self.ctx(request, ver).base
        return Reply(200, [wf.issuetype_json(base, t) for t in wf.ISSUE_TYPES])

    def priorities(self, request: Request, ver: str) -> Reply:
        base = self.ctx(request, ver).base
        return Reply(200, [wf.priority_json(base, p) for p in wf.PRIORITIES])

    def statuses(self, request: Request, ver: str) -> Reply:
        base = self.ctx(request, ver).base
        return Reply(200, [wf.status_json(base, s) for s in wf.STATUSES])

    # issues -------------------------------------------------------------------------------
    def issue_get(self, request: Request, ver: str, ref: str) -> Reply:
        issue = self.store.issue(ref)
        spec = render.parse_list(request.args.getlist("fields")) if "fields" in request.args \
            else None
        fields = render.select_fields(self.store.catalog, spec, "*all")
        expand = render.parse_list(request.args.getlist("expand")) or []
        return Reply(200, render.issue_json(self.store, issue, self.ctx(request, ver), fields,
                                            expand))

    def issue_put(self, request: Request, ver: str, ref: str) -> Reply:
        issue = self.store.issue(ref)
        writes.edit(self.store, issue, read_json(request), ver)
        return Reply(204)

    def issue_delete(self, request: Request, ver: str, ref: str) -> Reply:
        self.store.delete_issue(self.store.issue(ref).key)
        return Reply(204)

    def issue_create(self, request: Request, ver: str) -> Reply:
        issue = writes.create(self.store, read_json(request), ver)
        base = self.ctx(request, ver).base
        return Reply(201, {"id": issue.id, "key": issue.key, "self": f"{base}/issue/{issue.id}"})

    def changelog(self, request: Request, ver: str, ref: str) -> Reply:
        issue = self.store.issue(ref)
        start = int_arg(request, "startAt", 0)
        size = min(int_arg(request, "maxResults", 100), 100)
        return Reply(200, render.changelog_page(issue, self.ctx(request, ver), start, size))

    # comments ---------------------------------------------------------------------------
    def comments(self, request: Request, ver: str, ref: str) -> Reply:
        issue = self.store.issue(ref)
        ctx = self.ctx(request, ver)
        if request.method == "POST":
            comment = writes.comment(self.store, issue, read_json(request), ver)
            return Reply(201, render.comment_json(issue, comment, ctx))
        start = int_arg(request, "startAt", 0)
        size = int_arg(request, "maxResults", 5000)
        return Reply(200, render.comments_page(issue, ctx, start, size))

    def comment(self, request: Request, ver: str, ref: str, comment_id: str) -> Reply:
        issue = self.store.issue(ref)
        for comment in issue.comments:
            if comment.id == comment_id:
                return Reply(200, render.comment_json(issue, comment, self.ctx(request, ver)))
        raise JiraError(404, ["Can not find a comment for the id: " + comment_id + "."])

    # remote links --------------------------------------------------------------------------
    def remote_links(self, request: Request, ver: str, ref: str) -> Reply:
        issue = self.store.issue(ref)
        ctx = self.ctx(request, ver)
        if request.method == "POST":
            link, created = writes.remote_link(self.store, issue, read_json(request))
            return Reply(201 if created else 200,
                         {"id": link.id, "self": render.remote_link_json(issue, link, ctx)["self"]})
        global_id = request.args.get("globalId")
        if global_id is not None:
            for link in issue.remote_links:
                if link.global_id == global_id:
                    return Reply(200, render.remote_link_json(issue, link, ctx))
            raise JiraError(404, [f"No remote link with global id '{global_id}' found."])
        return Reply(200, [render.remote_link_json(issue, link, ctx)
                           for link in issue.remote_links])

    def remote_link(self, request: Request, ver: str, ref: str, link_id: str) -> Reply:
        issue = self.store.issue(ref)
        for link in issue.remote_links:
            if str(link.id) == link_id:
                if request.method == "DELETE":
                    issue.remote_links.remove(link)
                    return Reply(204)
                return Reply(200, render.remote_link_json(issue, link, self.ctx(request, ver)))
        raise JiraError(404, [f"No remote link with id '{link_id}' found."])

    # transitions ------------------------------------------------------------------------------
    def transitions(self, request: Request, ver: str, ref: str) -> Reply:
        issue = self.store.issue(ref)
        if request.method == "POST":
            writes.transition(self.store, issue, read_json(request), ver)
            return Reply(204)
        base = self.ctx(request, ver).base
        available = wf.transitions_from(issue.status)
        wanted = request.args.get("transitionId")
        if wanted:
            available = [t for t in available if t.id == wanted]
        return Reply(200, {"expand": "transitions",
                           "transitions": [wf.transition_json(base, t) for t in available]})
