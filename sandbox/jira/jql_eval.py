"""Evaluate parsed JQL against the store's issues.

Promises:
- fields by ``cf[NNNNN]``, by name (quoted or a single word, case-insensitive)
  or by system clause name; an unknown one answers Jira's "Field 'x' does not
  exist or you do not have permission to view it."; a name shared by several
  custom fields is refused (``ambiguous="error"``, the default) or matches
  when any of them does (``ambiguous="any"``);
- date literals ``"yyyy/MM/dd HH:mm"``, ``"yyyy-MM-dd HH:mm"``, ``"yyyy/MM/dd"``,
  ``"yyyy-MM-dd"`` are read in the API user's profile time zone with minute
  precision; periods (``-5d``, ``"4w 2d"``) and ``now()`` count from the clock.
  Issue timestamps compare at full (millisecond) precision;
- Jira's semantics for empties: ``!=`` and ``NOT IN`` never match an empty
  field; ``IS EMPTY``/``= EMPTY`` do;
- text fields (summary, description, text custom fields) take ``~``/``!~``
  (every word of the value must appear), not ``=``;
- sorting: ``ORDER BY`` keys in turn, empties last ascending (first
  descending); without one, and for ties, newest issue first (id descending).
All semantic errors of a query are reported together, as Jira does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.jira import jql
from sandbox.jira import workflow as wf
from sandbox.jira.model import Issue
from sandbox.jira.schema import FieldDef
from sandbox.jira.store import Store

Predicate = Callable[[Issue], bool]
_DATE = re.compile(r"^(\d{4})([/-])(\d{1,2})\2(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")
_PERIOD = re.compile(r"^([+-])?\s*((?:\d+\s*[yMwdhm]\s*)+)$")
_PERIOD_PART = re.compile(r"(\d+)\s*([yMwdhm])")
_UNITS = {"y": timedelta(days=365), "M": timedelta(days=30), "w": timedelta(weeks=1),
          "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
EQUALITY = ("=", "!=", "in", "not in", "is", "is not")
ORDERED = ("=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not")
OPERATORS = {
    "summary": ("~", "!~", "is", "is not"), "text": ("~", "!~", "is", "is not"),
    "string": ("~", "!~", "is", "is not"), "datetime": ORDERED, "number": ORDERED,
    "key": ("=", "!=", ">", ">=", "<", "<=", "in", "not in"), "comments": ("~", "!~"),
}
NAMED_TABLES = {"status": wf.STATUSES, "priority": wf.PRIORITIES,
                "issuetype": wf.ISSUE_TYPES, "resolution": wf.RESOLUTIONS}


@dataclass
class EvalContext:
    store: Store
    tz: ZoneInfo
    now: datetime
    ambiguous: str = "error"


@dataclass
class Compiled:
    bounded: bool
    predicate: Predicate
    sort: Callable[[list[Issue]], list[Issue]]


class _Compiler:
    def __init__(self, ctx: EvalContext) -> None:
        self.ctx = ctx
        self.errors: list[str] = []

    def fields_for(self, name: jql.FieldName) -> list[FieldDef]:
        found = self.ctx.store.catalog.resolve_clause(name.text)
        if not found:
            self.errors.append(f"Field '{name.text}' does not exist or you do not have "
                               f"permission to view it.")
        elif len(found) > 1 and self.ctx.ambiguous == "error":
            ids = ", ".join(f"cf[{f.custom_id}]" for f in found)
            self.errors.append(f"Field '{name.text}' is ambiguous: {len(found)} fields have "
                               f"that name ({ids}). Use the field's id instead.")
            return []
        return found

    def node(self, node: jql.Node) -> Predicate:
        if isinstance(node, jql.Not):
            inner = self.node(node.part)
            return lambda issue: not inner(issue)
        if isinstance(node, jql.BoolOp):
            parts = [self.node(p) for p in node.parts]
            if node.op == "and":
                return lambda issue: all(p(issue) for p in parts)
            return lambda issue: any(p(issue) for p in parts)
        return self.clause(node)

    def clause(self, clause: jql.Clause) -> Predicate:
        """One field: its predicate. A shared name (``ambiguous="any"``): any field
        that can take the clause; errors only when none can."""
        usable: list[Predicate] = []
        first_errors: list[str] | None = None
        for fd in self.fields_for(clause.field):
            saved, self.errors = self.errors, []
            pred = self.field_clause(fd, clause)
            errors, self.errors = self.errors, saved
            if pred is not None and not errors:
                usable.append(pred)
            elif first_errors is None:
                first_errors = errors
        if not usable and first_errors:
            self.errors.extend(first_errors)
        return lambda issue: any(p(issue) for p in usable)

    def field_clause(self, fd: FieldDef, clause: jql.Clause) -> Predicate | None:
        kind = "key" if fd.id == "issuekey" else fd.kind
        allowed = OPERATORS.get(kind, EQUALITY)
        if clause.op not in allowed:
            self.errors.append(f"The operator '{clause.op}' is not supported by the "
                               f"'{clause.field.text}' field.")
            return None
        items = clause.operand.items if isinstance(clause.operand, jql.ValueList) \
            else (clause.operand,)
        targets = [self.convert(fd, kind, item, clause.field.text) for item in items]
        if any(t is _BAD for t in targets):
            return None
        getter = _getter(fd, kind)
        return _predicate(clause.op, kind, getter, targets)

    # values ------------------------------------------------------------------------
    def convert(self, fd: FieldDef, kind: str, item: jql.Value, shown: str) -> Any:
        if isinstance(item, jql.Empty):
            return None
        if isinstance(item, jql.Function):
            return self.function(fd, kind, item)
        text = item.text
        store = self.ctx.store
        if kind == "datetime":
            return self.date(text, shown)
        if kind == "key":
            issue = store.find(text)
            if issue is None:
                self.errors.append(f"An issue with key '{text}' does not exist for field "
                                   f"'{shown}'.")
                return _BAD
            return issue
        if kind == "option":
            opt = fd.option(text) or fd.option(text, by="id")
            return opt.id if opt else self.no_value(text, shown)
        if kind in NAMED_TABLES:
            if kind == "resolution" and text.lower() == "unresolved":
                return None
            found = wf.find(NAMED_TABLES[kind], text)
            return found.id if found else self.no_value(text, shown)
        if kind == "statuscategory":
            for key, (cat_id, name, _) in wf.CATEGORIES.items():
                if text.lower() in (key, name.lower(), str(cat_id)):
                    return key
            return self.no_value(text, shown)
        if kind == "project":
            pr = store.project(text)
            return pr.key if pr else self.no_value(text, shown)
        if kind == "user":
            user = store.find_user(text)
            return user.account_id if user else self.no_value(text, shown)
        if kind == "number":
            try:
                return float(text)
            except ValueError:
                return self.no_value(text, shown)
        return text

    def no_value(self, text: str, shown: str) -> Any:
        self.errors.append(f"The value '{text}' does not exist for the field '{shown}'.")
        return _BAD

    def function(self, fd: FieldDef, kind: str, fn: jql.Function) -> Any:
        name = fn.name.lower()
        known = {"now": "datetime", "currentuser": "user"}
        if name not in known:
            self.errors.append(f"Unable to find JQL function '{fn.name}()'.")
            return _BAD
        if fn.args:
            self.errors.append(f"Function '{fn.name}' expected '0' arguments but received "
                               f"'{len(fn.args)}'.")
            return _BAD
        if known[name] != kind:
            self.errors.append(f"A value provided by the function '{fn.name}' is invalid for the "
                               f"field '{fd.name}'.")
            return _BAD
        return self.ctx.now if name == "now" else self.ctx.store.api_user.account_id

    def date(self, text: str, shown: str) -> Any:
        parsed = parse_date(text, self.ctx.tz, self.ctx.now)
        if parsed is None:
            self.errors.append(
                f"Date value '{text}' for field '{shown}' is invalid. Valid formats include: "
                f"'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a "
                f"period format e.g. '-5d', '4w 2d'.")
            return _BAD
        return parsed

    # sorting -------------------------------------------------------------------------
    def sorter(self, keys: tuple[jql.SortKey, ...]) -> Callable[[list[Issue]], list[Issue]]:
        plan: list[tuple[Callable[[Issue], Any], bool]] = []
        for key in keys:
            found = self.ctx.store.catalog.resolve_clause(key.field.text)
            if not found or not found[0].orderable and found[0].id != "issuekey":
                self.errors.append(f"Not able to sort using field '{key.field.text}'.")
                continue
            if len(found) > 1 and self.ctx.ambiguous == "error":
                self.fields_for(key.field)
                continue
            plan.append((_sort_value(found[0], self.ctx.store), key.descending))

        def sort(issues: list[Issue]) -> list[Issue]:
            out = sorted(issues, key=lambda i: int(i.id), reverse=True)
            for value, descending in reversed(plan):
                out.sort(key=lambda i, f=value: (f(i) is None, f(i)), reverse=descending)
            return out
        return sort


_BAD = object()


def parse_date(text: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    """A JQL date literal as an aware UTC instant (minute precision), or None."""
    match = _DATE.match(text.strip())
    if match:
        year, _, month, day, hour, minute = match.groups()
        try:
            local = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                             tzinfo=tz)
        except ValueError:
            return None
        return local.astimezone(UTC)
    period = _PERIOD.match(text.strip())
    if period:
        total = sum((int(n) * _UNITS[u] for n, u in _PERIOD_PART.findall(period.group(2))),
                    timedelta())
        return now - total if period.group(1) == "-" else now + total
    return None


def _getter(fd: FieldDef, kind: str) -> Callable[[Issue], Any]:
    if kind == "key":
        return lambda issue: issue
    if kind == "statuscategory":
        return lambda issue: wf.status(issue.status).category
    if kind == "comments":
        return lambda issue: " ".join(c.body for c in issue.comments) or None
    return lambda issue: issue.get(fd.id)


def _key_order(issue: Issue) -> tuple[str, int]:
    return issue.project.key, issue.number


def _compare(op: str, value: Any, target: Any) -> bool:
    if value is None or target is None:
        return False
    if isinstance(value, Issue):
        if op in ("=", "!="):
            return (value.id == target.id) == (op == "=")
        if value.project.key != target.project.key:
            return False
        value, target = value.number, target.number
    return {">": value > target, ">=": value >= target, "<": value < target,
            "<=": value <= target, "=": value == target, "!=": value != target}[op]


def _contains(value: Any, target: Any) -> bool:
    if not value or target is None:
        return False
    words = [w.strip("*?").lower() for w in str(target).split()]
    return all(w in str(value).lower() for w in words if w)


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def _predicate(op: str, kind: str, get: Callable[[Issue], Any], targets: list[Any]
               ) -> Predicate:
    target = targets[0]
    if op in ("is", "is not") or (op in ("=", "!=") and target is None):
        want_empty = op in ("is", "=")
        return lambda i: _is_empty(get(i)) == want_empty
    if op in ("~", "!~"):
        positive = op == "~"
        return lambda i: (not _is_empty(get(i))) and _contains(get(i), target) == positive
    if kind == "labels":
        def labels_match(i: Issue) -> bool:
            have = get(i) or []
            hits = any(t in have for t in targets if t is not None)
            if op in ("=", "in"):
                return hits or (None in targets and not have)
            return bool(have) and not hits
        return labels_match
    if op in ("in", "not in"):
        wanted = [t for t in targets if t is not None]
        empty_ok = None in targets

        def member(i: Issue) -> bool:
            value = get(i)
            if _is_empty(value):
                return op == "in" and empty_ok
            hit = any(_compare("=", value, t) for t in wanted)
            return hit if op == "in" else not hit
        return member
    return lambda i: not _is_empty(get(i)) and _compare(op, get(i), target)


def _sort_value(fd: FieldDef, store: Store) -> Callable[[Issue], Any]:
    if fd.id == "issuekey":
        return _key_order
    if fd.kind == "option":
        order = {o.id: n for n, o in enumerate(fd.options)}
        return lambda i: order.get(i.get(fd.id))
    if fd.kind in NAMED_TABLES:
        table = NAMED_TABLES[fd.kind]
        ranks = {item.id: n for n, item in enumerate(table)}
        return lambda i: ranks.get(i.get(fd.id))
    if fd.kind == "user":
        def user_name(i: Issue) -> str | None:
            user = store.user_by_id(i.get(fd.id)) if i.get(fd.id) else None
            return user.display_name.lower() if user else None
        return user_name
    if fd.kind in ("summary", "string", "text"):
        return lambda i: (i.get(fd.id) or "").lower() or None
    if fd.kind == "labels":
        return lambda i: " ".join(sorted(i.get(fd.id) or [])) or None
    if fd.kind == "project":
        return lambda i: i.project.key
    return lambda i: i.get(fd.id)


def compile_query(query: jql.Query, ctx: EvalContext) -> Compiled:
    """Resolve fields and values; ``JqlError`` with every problem found."""
    compiler = _Compiler(ctx)
    predicate: Predicate = compiler.node(query.where) if query.where else (lambda issue: True)
    sort = compiler.sorter(query.order)
    if compiler.errors:
        raise jql.JqlError(*dict.fromkeys(compiler.errors))
    return Compiled(query.where is not None, predicate, sort)


def run(text: str, ctx: EvalContext) -> tuple[Compiled, list[Issue]]:
    """Parse, compile and evaluate ``text`` against every issue, sorted."""
    compiled = compile_query(jql.parse(text), ctx)
    matching = [i for i in ctx.store.issues() if compiled.predicate(i)]
    return compiled, compiled.sort(matching)
