"""The local side of a sync: entity fields, their types, reading and writing rows.

Values cross the engine in two forms: Python values (dates, Decimals) as the
mapping transforms produce and take them, and a normalised JSON form
(``norm``) used to compare with and store as a link's base, so ``Decimal('1.50')``
and ``Decimal('1.5')`` are the same value and a date equals its ISO string.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from core.changes import ENTITY_CLASSES
from core.clock import utc

LOCAL_FIELDS: dict[str, dict[str, str]] = {
    "customer": {
        "id": "string", "name": "string", "domain": "string", "timezone": "string",
        "billing_street": "string", "billing_city": "string", "billing_country": "string",
        "owner": "string", "contract_status": "string", "support_tier": "string",
        "renewal_date": "date", "entitlement_summary": "text", "renewal_alert": "string"},
    "contract": {
        "id": "string", "number": "string", "customer_id": "reference:customer",
        "kind": "string", "status": "string", "tier": "string", "start_date": "date",
        "end_date": "date", "renewal_notice_days": "integer", "auto_renew": "boolean",
        "value": "number", "currency": "string", "coverage": "string", "timezone": "string",
        "holiday_calendar": "string", "uptime_target": "number", "incident_cap": "integer",
        "version": "integer", "parent_id": "reference:contract", "description": "text"},
    "ticket": {
        "id": "string", "key": "string", "customer_id": "reference:customer",
        "contract_id": "reference:contract", "severity": "string", "status": "string",
        "summary": "text", "created_at": "datetime", "first_response_at": "datetime",
        "resolved_at": "datetime", "entitlement_tier": "string", "coverage": "string",
        "contract_number": "string", "first_response_due": "datetime",
        "resolution_due": "datetime", "breached": "boolean", "status_history": "json"},
}
READ_ONLY = frozenset({"id", "version"})
REQUIRED_ON_CREATE: dict[str, tuple[str, ...]] = {
    "customer": ("name",), "contract": ("number", "customer_id", "start_date"),
    "ticket": ("key", "created_at")}
DEFAULTS_ON_CREATE: dict[str, dict[str, Any]] = {
    "contract": {"kind": "support", "status": "draft"}, "customer": {}, "ticket": {}}


class LocalValueError(ValueError):
    def __init__(self, field: str, value: Any, message: str) -> None:
        super().__init__(f"{field}: {message} (got {value!r})")
        self.field, self.value = field, value


def norm(value: Any) -> Any:
    """The comparable, JSON-safe form of a value."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value else str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime):
        return utc(value).isoformat()
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_values(obj: Any, entity: str) -> dict[str, Any]:
    out = {name: getattr(obj, name) for name in LOCAL_FIELDS[entity]}
    out["id"] = str(obj.id) if obj.id is not None else None
    for name, typ in LOCAL_FIELDS[entity].items():
        if typ.startswith("reference:") and out[name] is not None:
            out[name] = str(out[name])
    return out


def coerce(entity: str, field: str, value: Any) -> Any:
    """A mapped value as the column wants it; LocalValueError when it cannot be."""
    typ = LOCAL_FIELDS[entity][field]
    if value is None:
        return None
    try:
        if typ.startswith("reference:"):
            return int(value)
        if typ == "date":
            return value if isinstance(value, date) and not isinstance(value, datetime) \
                else date.fromisoformat(str(value)[:10])
        if typ == "datetime":
            dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            return utc(dt)
        if typ == "number":
            return Decimal(str(value))
        if typ == "integer":
            return int(value)
        if typ == "json":
            return value if isinstance(value, list | dict) else None
        if typ == "boolean":
            if isinstance(value, str):
                return value.strip().lower() in ("true", "1", "yes")
            return bool(value)
        return str(value)
    except (ValueError, TypeError, InvalidOperation):
        raise LocalValueError(field, value, f"not a valid {typ}") from None


def apply_values(obj: Any, entity: str, values: dict[str, Any]) -> None:
    for field, value in values.items():
        if field in READ_ONLY:
            continue
        setattr(obj, field, coerce(entity, field, value))


def create_row(session: Session, entity: str, values: dict[str, Any]) -> Any:
    missing = [f for f in REQUIRED_ON_CREATE[entity] if values.get(f) in (None, "")]
    if missing:
        raise LocalValueError(missing[0], None,
                              f"required to create a {entity} but not mapped or empty")
    obj = ENTITY_CLASSES[entity]()
    apply_values(obj, entity, {**DEFAULTS_ON_CREATE[entity], **values})
    session.add(obj)
    session.flush()
    return obj


def get_row(session: Session, entity: str, local_id: str) -> Any | None:
    """The local row, or None -- also for an id that is not one (a stray outbox entry
    must drain as "no such row", never crash every later cycle)."""
    if not str(local_id).isdigit():
        return None
    return session.get(ENTITY_CLASSES[entity], int(local_id))
