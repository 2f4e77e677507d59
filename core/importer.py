"""Import contracts from CSV or JSON: everything or nothing.

Every row is checked first; if any is bad, nothing is written and every
problem is reported as ``FILE:LINE: field: what is wrong``. Customers are
created by name when they do not exist yet. The format is in the README.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import (
    CONTRACT_KINDS,
    CONTRACT_STATUSES,
    COVERAGE_KINDS,
    TIERS,
    Contract,
    Customer,
    SlaPlan,
)

LIST_FIELDS = ("scope", "exclusions", "escalation_contacts")
KNOWN = {"number", "customer", "customer_domain", "customer_timezone", "kind", "status", "tier",
         "start_date", "end_date", "renewal_notice_days", "auto_renew", "value", "currency",
         "coverage", "timezone", "holiday_calendar", "uptime_target", "incident_cap", "parent",
         "sla_plan", "description", *LIST_FIELDS}


@dataclass(frozen=True)
class RowProblem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ImportRejected(Exception):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Rows with the line each starts on (CSV or JSON, by extension)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        return _json_rows(path, text)
    reader = csv.DictReader(io.StringIO(text))
    rows: list[tuple[int, dict[str, Any]]] = []
    _ = reader.fieldnames  # reads the header line
    line = reader.line_num
    for row in reader:
        rows.append((line + 1, {k.strip(): (v or "").strip() for k, v in row.items() if k}))
        line = reader.line_num
    return rows


def _json_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        node = yaml.compose(text)  # JSON is YAML; composing keeps line numbers
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ImportRejected([RowProblem(str(path), mark.line + 1 if mark else 1, "file",
                                         f"not valid JSON: {getattr(exc, 'problem', exc)}")]) from None
    if not isinstance(data, list):
        raise ImportRejected([RowProblem(str(path), 1, "file", "expected a JSON list of contracts")])
    out = []
    for item_node, item in zip(node.value, data, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            raise ImportRejected([RowProblem(str(path), line, "row", "expected an object")])
        out.append((line, {k: ("" if v is None else v) for k, v in item.items()}))
    return out


def _date(v: Any) -> date:
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v))


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("true", "yes", "1", "y"):
        return True
    if s in ("false", "no", "0", "n", ""):
        return False
    raise ValueError(f"{v!r} is not true/false")


def _list(v: Any) -> list[str]:
    if isinstance(v, list):
        return [str(x) for x in v]
    return [p.strip() for p in str(v).split(";") if p.strip()]


def check_row(row: dict[str, Any], problem: Any) -> dict[str, Any] | None:
    """Typed values for one row, or None after reporting its problems via ``problem``."""
    ok = True

    def bad(field: str, msg: str) -> None:
        nonlocal ok
        ok = False
        problem(field, msg)

    for k in row:
        if k not in KNOWN:
            bad(k, "unknown column")
    out: dict[str, Any] = {}
    for req in ("number", "customer", "kind", "start_date"):
        if not str(row.get(req, "")).strip():
            bad(req, "missing (required)")
    out["number"] = str(row.get("number", "")).strip()
    out["customer"] = str(row.get("customer", "")).strip()
    kind = str(row.get("kind", "")).strip() or "support"
    if row.get("kind") and kind not in CONTRACT_KINDS:
        bad("kind", f"unknown kind {kind!r} (use {', '.join(CONTRACT_KINDS)})")
    out["kind"] = kind
    status = str(row.get("status", "")).strip() or "draft"
    if status not in CONTRACT_STATUSES:
        bad("status", f"unknown status {status!r} (use {', '.join(CONTRACT_STATUSES)})")
    out["status"] = status
    tier = str(row.get("tier", "")).strip() or None
    if tier and tier not in TIERS:
        bad("tier", f"unknown tier {tier!r} (use {', '.join(TIERS)})")
    out["tier"] = tier
    for f in ("start_date", "end_date"):
        v = row.get(f, "")
        if str(v).strip():
            try:
                out[f] = _date(v)
            except ValueError:
                bad(f, f"{v!r} is not a date (use YYYY-MM-DD)")
        else:
            out[f] = None
    if out.get("start_date") and out.get("end_date") and out["end_date"] < out["start_date"]:
        bad("end_date", f"{out['end_date']} is before start_date {out['start_date']}")
    cov = str(row.get("coverage", "")).strip() or "business_hours"
    if cov not in COVERAGE_KINDS:
        bad("coverage", f"unknown coverage {cov!r} (use 24x7 or business_hours)")
    out["coverage"] = cov
    for f in ("timezone", "customer_timezone"):
        tz = str(row.get(f, "")).strip() or "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            bad(f, f"unknown time zone {tz!r} (use an IANA name such as Europe/London)")
        out[f] = tz
    cal = str(row.get("holiday_calendar", "")).strip() or None
    if cal:
        country, _, sub = cal.partition("-")
        try:
            holidays.country_holidays(country, subdiv=sub or None)
        except NotImplementedError:
            bad("holiday_calendar", f"unknown holiday calendar {cal!r} (use a country code "
                                    "such as US or GB-ENG)")
    out["holiday_calendar"] = cal
    for f, conv in (("value", Decimal), ("uptime_target", Decimal), ("incident_cap", int),
                    ("renewal_notice_days", int)):
        v = row.get(f, "")
        if str(v).strip():
            try:
                out[f] = conv(str(v).strip())
            except (InvalidOperation, ValueError):
                bad(f, f"{v!r} is not a number")
        else:
            out[f] = None
    try:
        out["auto_renew"] = _bool(row.get("auto_renew", ""))
    except ValueError as exc:
        bad("auto_renew", str(exc))
    out["currency"] = (str(row.get("currency", "")).strip() or "USD").upper()
    if len(out["currency"]) != 3:
        bad("currency", f"{out['currency']!r} is not a 3-letter currency code")
    for f in LIST_FIELDS:
        out[f] = _list(row.get(f, ""))
    for f in ("parent", "sla_plan", "customer_domain", "description"):
        out[f] = str(row.get(f, "")).strip() or None
    if kind == "amendment" and not out["parent"]:
        bad("parent", "an amendment needs the number of the contract it amends")
    return out if ok else None


def import_contracts(session: Session, path: Path) -> list[Contract]:
    """Check every row, then write all of them in the caller's transaction."""
    problems: list[RowProblem] = []
    checked: list[tuple[int, dict[str, Any]]] = []
    for line, row in read_rows(path):
        def problem(field: str, msg: str, line: int = line) -> None:
            problems.append(RowProblem(str(path), line, field, msg))
        values = check_row(row, problem)
        if values:
            checked.append((line, values))
    seen: dict[str, int] = {}
    numbers = [v["number"] for _, v in checked]
    existing = set(session.scalars(select(Contract.number).where(Contract.number.in_(numbers))))
    plans = {p.name: p for p in session.scalars(select(SlaPlan))}
    for line, v in checked:
        n = v["number"]
        if n in seen:
            problems.append(RowProblem(str(path), line, "number",
                                       f"duplicate contract number {n!r} (first on line {seen[n]})"))
        elif n in existing:
            problems.append(RowProblem(str(path), line, "number",
                                       f"contract {n!r} already exists in the store"))
        seen.setdefault(n, line)
        if v["sla_plan"] and v["sla_plan"] not in plans:
            problems.append(RowProblem(str(path), line, "sla_plan",
                                       f"no SLA plan named {v['sla_plan']!r}"))
    parents_in_store = set(session.scalars(select(Contract.number).where(
        Contract.number.in_([v["parent"] for _, v in checked if v["parent"]]))))
    for line, v in checked:
        if v["parent"] and v["parent"] not in seen and v["parent"] not in parents_in_store:
            problems.append(RowProblem(str(path), line, "parent",
                                       f"no contract {v['parent']!r} in the file or the store"))
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: p.line))
    return _write(session, [v for _, v in checked], plans)


def _write(session: Session, rows: list[dict[str, Any]], plans: dict[str, SlaPlan]) -> list[Contract]:
    customers = {c.name: c for c in session.scalars(
        select(Customer).where(Customer.name.in_({r["customer"] for r in rows})))}
    created: dict[str, Contract] = {}
    # Parents before amendments, whatever the file order.
    for r in sorted(rows, key=lambda r: r["kind"] == "amendment"):
        cust = customers.get(r["customer"])
        if cust is None:
            cust = Customer(name=r["customer"], domain=r["customer_domain"],
                            timezone=r["customer_timezone"])
            session.add(cust)
            customers[cust.name] = cust
        parent = created.get(r["parent"]) if r["parent"] else None
        if r["parent"] and parent is None:
            parent = session.scalar(select(Contract).where(Contract.number == r["parent"]))
        c = Contract(number=r["number"], customer=cust, kind=r["kind"], status=r["status"],
                     tier=r["tier"], start_date=r["start_date"], end_date=r["end_date"],
                     renewal_notice_days=r["renewal_notice_days"] or 60,
                     auto_renew=r["auto_renew"], value=r["value"], currency=r["currency"],
                     coverage=r["coverage"], timezone=r["timezone"],
                     holiday_calendar=r["holiday_calendar"], scope=r["scope"],
                     exclusions=r["exclusions"], escalation_contacts=r["escalation_contacts"],
                     uptime_target=r["uptime_target"], incident_cap=r["incident_cap"],
                     sla_plan=plans.get(r["sla_plan"]) if r["sla_plan"] else None,
                     parent=parent, description=r["description"])
        session.add(c)
        created[c.number] = c
    session.flush()
    return list(created.values())
