"""Field values: validate what a client sends, render what Jira answers.

Internal forms: text as ``str``; datetimes aware UTC (milliseconds); option,
status, priority, issue type and resolution as their id (``str``); users as
their account id; labels as ``list[str]``; numbers as ``float``/``int``.

``coerce`` takes a value as the REST API accepts it (``{"value": "sev1"}``,
``{"name": "High"}``, ``"2026-03-02T09:15:00.000+0000"``...) and raises
``FieldValueError`` with the message Jira would put under ``errors[field]``.
With ``lenient=True`` (seeding from tests) plain strings name options, issue
types and users, and ``datetime`` objects are taken as they are.
On API version 3 ``description`` is an Atlassian Document (ADF).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.jira import workflow as wf
from sandbox.jira.errors import NOT_ADF, SUMMARY_NEWLINE, SUMMARY_REQUIRED
from sandbox.jira.schema import FieldDef
from sandbox.jira.wire import jira_time, parse_jira_time, to_ms

TEXT_LIMIT = 255


class FieldValueError(ValueError):
    """A value a field refuses; ``str(exc)`` is Jira's message for ``errors[field]``."""


@dataclass
class ValueContext:
    cloud: bool
    api_version: str
    find_user: Callable[[Any], wf.User | None]
    lenient: bool = False

    @property
    def adf(self) -> bool:
        return self.api_version == "3"


@dataclass
class RenderContext:
    base: str  # e.g. https://127.0.0.1:PORT/rest/api/2
    cloud: bool
    api_version: str
    user_by_id: Callable[[str], wf.User | None]

    @property
    def adf(self) -> bool:
        return self.api_version == "3"


# Atlassian Document Format ------------------------------------------------------
def adf_from_text(text: str) -> dict[str, Any]:
    paragraphs = [{"type": "paragraph", "content": [{"type": "text", "text": block}]}
                  for block in text.split("\n\n") if block]
    return {"type": "doc", "version": 1, "content": paragraphs}


def is_adf(value: Any) -> bool:
    return (isinstance(value, dict) and value.get("type") == "doc"
            and value.get("version") == 1 and isinstance(value.get("content"), list))


def adf_text(node: Any) -> str:
    """The words of a document: paragraphs joined by blank lines."""
    if isinstance(node, dict) and node.get("type") == "text":
        return str(node.get("text", ""))
    if isinstance(node, dict):
        parts = [adf_text(child) for child in node.get("content") or []]
        joiner = "\n\n" if node.get("type") == "doc" else ""
        return joiner.join(parts)
    return ""


# coerce -------------------------------------------------------------------------
def coerce(field: FieldDef, raw: Any, ctx: ValueContext) -> Any:
    handler = _COERCE.get(field.kind)
    if handler is None:
        raise FieldValueError(f"Field '{field.id}' cannot be set.")
    return handler(field, raw, ctx)


def _summary(field: FieldDef, raw: Any, ctx: ValueContext) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise FieldValueError(SUMMARY_REQUIRED)
    if not isinstance(raw, str):
        raise FieldValueError("Operation value must be a string")
    if "\n" in raw or "\r" in raw:
        raise FieldValueError(SUMMARY_NEWLINE)
    if len(raw) > TEXT_LIMIT:
        raise FieldValueError("Summary must be less than 255 characters.")
    return raw


def _string(field: FieldDef, raw: Any, ctx: ValueContext) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise FieldValueError("Operation value must be a string")
    if len(raw) > TEXT_LIMIT:
        raise FieldValueError("The entered text is too long. It exceeds the allowed limit of "
                              "255 characters.")
    return raw or None


def _text(field: FieldDef, raw: Any, ctx: ValueContext) -> str | None:
    if raw is None:
        return None
    if ctx.adf and not ctx.lenient:
        if not is_adf(raw):
            raise FieldValueError(NOT_ADF)
        return adf_text(raw) or None
    if isinstance(raw, str):
        return raw or None
    if ctx.lenient and is_adf(raw):
        return adf_text(raw) or None
    raise FieldValueError("Operation value must be a string")


def _datetime(field: FieldDef, raw: Any, ctx: ValueContext) -> datetime | None:
    if raw is None:
        return None
    if isinstance(raw, datetime) and ctx.lenient:
        return to_ms(raw)
    if isinstance(raw, str):
        try:
            return to_ms(parse_jira_time(raw))
        except ValueError:
            pass
    raise FieldValueError(f"Invalid date format. Please enter the date in the format "
                          f"\"yyyy-MM-dd'T'HH:mm:ss.SSSZ\" ({field.name}).")


def _option(field: FieldDef, raw: Any, ctx: ValueContext) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str) and ctx.lenient:
        raw = {"value": raw}
    if not isinstance(raw, dict) or not ({"id", "value"} & raw.keys()):
        raise FieldValueError("Could not find valid 'id' or 'value' in the Parent Option "
                              "object.")
    if "id" in raw:
        opt = field.option(str(raw["id"]), by="id")
        if opt is None:
            raise FieldValueError(f"Option id '{raw['id']}' is not valid")
        return opt.id
    opt = field.option(str(raw["value"]), by="value")
    if opt is None:
        raise FieldValueError(f"Option value '{raw['value']}' is not valid")
    return opt.id


def _number(field: FieldDef, raw: Any, ctx: ValueContext) -> float | int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise FieldValueError("Operation value must be a number")
    return raw


def _named(items: tuple[Any, ...], label: str) -> Callable[[FieldDef, Any, ValueContext], Any]:
    def coerce_named(field: FieldDef, raw: Any, ctx: ValueContext) -> str | None:
        if raw is None:
            if field.id in ("issuetype", "priority"):
                raise FieldValueError(f"{label} is required.")
            return None
        if isinstance(raw, str) and ctx.lenient:
            raw = {"name": raw}
        found = None
        if isinstance(raw, dict) and "id" in raw:
            found = next((item for item in items if item.id == str(raw["id"])), None)
        elif isinstance(raw, dict) and "name" in raw:
            found = next((item for item in items
                          if item.name.lower() == str(raw["name"]).lower()), None)
        if found is None:
            raise FieldValueError(f"Specify a valid '{label}' id or name")
        return str(found.id)
    return coerce_named


def _user(field: FieldDef, raw: Any, ctx: ValueContext) -> str | None:
    if raw is None:
        if field.id == "reporter":
            raise FieldValueError("Reporter is required.")
        return None
    user = ctx.find_user(raw)
    if user is None:
        ref = raw.get("accountId", raw.get("name", raw)) if isinstance(raw, dict) else raw
        if ctx.cloud:
            raise FieldValueError("Specified user does not exist or you do not have required "
                                  "permissions")
        raise FieldValueError(f"User '{ref}' does not exist.")
    return user.account_id


def _labels(field: FieldDef, raw: Any, ctx: ValueContext) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise FieldValueError("Operation value must be an array of strings")
    for label in raw:
        if " " in label or not label:
            raise FieldValueError(f"The label '{label}' contains spaces which is invalid.")
    return list(dict.fromkeys(raw))


_COERCE: dict[str, Callable[[FieldDef, Any, ValueContext], Any]] = {
    "summary": _summary, "string": _string, "text": _text, "datetime": _datetime,
    "option": _option, "number": _number, "user": _user, "labels": _labels,
    "priority": _named(wf.PRIORITIES, "priority"),
    "issuetype": _named(wf.ISSUE_TYPES, "issuetype"),
    "resolution": _named(wf.RESOLUTIONS, "resolution"),
}


# render -------------------------------------------------------------------------
def render(field: FieldDef, value: Any, ctx: RenderContext) -> Any:
    """The JSON Jira answers for a field's internal value."""
    if value is None:
        return [] if field.kind == "labels" else None
    kind = field.kind
    if kind == "datetime":
        return jira_time(value)
    if kind == "text":
        return adf_from_text(value) if ctx.adf else value
    if kind == "option":
        opt = field.option(value, by="id")
        return None if opt is None else {
            "self": f"{ctx.base}/customFieldOption/{opt.id}", "value": opt.value, "id": opt.id}
    if kind == "status":
        return wf.status_json(ctx.base, wf.status(value))
    if kind == "priority":
        return wf.priority_json(ctx.base, wf.find(wf.PRIORITIES, value))
    if kind == "issuetype":
        return wf.issuetype_json(ctx.base, wf.find(wf.ISSUE_TYPES, value))
    if kind == "resolution":
        return wf.resolution_json(ctx.base, wf.find(wf.RESOLUTIONS, value))
    if kind == "user":
        user = ctx.user_by_id(value)
        return None if user is None else wf.user_json(ctx.base, user, ctx.cloud)
    if kind == "labels":
        return list(value)
    return value


def display(field: FieldDef, value: Any, user_by_id: Callable[[str], wf.User | None]
            ) -> str | None:
    """How the changelog writes a value (``fromString``/``toString``)."""
    if value is None or value == []:
        return None
    kind = field.kind
    if kind == "option":
        opt = field.option(value, by="id")
        return opt.value if opt else None
    if kind in ("status", "priority", "issuetype", "resolution"):
        table = {"status": wf.STATUSES, "priority": wf.PRIORITIES,
                 "issuetype": wf.ISSUE_TYPES, "resolution": wf.RESOLUTIONS}[kind]
        found = wf.find(table, value)
        return found.name if found else None
    if kind == "user":
        user = user_by_id(value)
        return user.display_name if user else str(value)
    if kind == "datetime":
        return jira_time(value)
    if kind == "labels":
        return " ".join(value)
    return str(value)


def raw_id(field: FieldDef, value: Any) -> str | None:
    """The changelog's ``from``/``to`` (an id for reference fields, else None)."""
    if value is None:
        return None
    if field.kind in ("option", "status", "priority", "issuetype", "resolution", "user"):
        return str(value)
    return None
