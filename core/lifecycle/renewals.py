"""Renewals: alerts before a contract ends, and auto-renewal into a new version.

Alerts: for every active contract with an end date, ``renewals.alert_days``
(per kind, else ``default``: 90 and 30) days before the end, one email to
``renewals.notify`` (and the customer's owner when that is an address), one
``renewal_alerts`` row and one ``renewal.alert`` audit event -- once per
(contract, end date, threshold), so running again changes nothing and a moved
end date alerts again. A run that missed thresholds (the daemon was down) sends
only the nearest one and records the others as covered by it. The customer's
derived ``renewal_date`` (pushed to the CRM's Renewal_Date__c by the shipped
mappings) is refreshed in the same transaction.

Auto-renewal: on its end date (in the contract's time zone) an active,
auto-renewing contract renews into a new contract row -- version + 1, the
parent linked, the same terms over the next term of the same length, active
and locked (executed under the parent's auto-renewal clause) -- and the parent
hands the auto-renewal on (``auto_renew`` off, so it simply ends on its date).
Audited as ``contract.renewed`` on the parent; the new row's own
``contract.created`` event follows from core.changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.blobs import BlobStore
from core.clock import Clock
from core.config import RenewalSettings
from core.derived import refresh_customers
from core.documents import contract_by_number
from core.lifecycle.mailer import Mailer, MailError
from core.lifecycle.signing import SigningError
from core.lifecycle.signing_models import RenewalAlert
from core.models import Contract

ACTOR = "system:renewals"
NOT_COPIED = {"id", "number", "status", "start_date", "end_date", "parent_id", "version",
              "locked", "updated_at"}
VERSION_SUFFIX = re.compile(r"-v\d+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class RenewalReport:
    alerts: list[str] = field(default_factory=list)    # "NUMBER: 90 days (end 2027-03-31)"
    renewed: list[str] = field(default_factory=list)   # "OLD -> NEW"
    errors: list[str] = field(default_factory=list)


def alert_days(settings: RenewalSettings, kind: str) -> list[int]:
    days = settings.alert_days.get(kind, settings.alert_days.get("default", [90, 30]))
    return sorted({int(d) for d in days if int(d) >= 0}, reverse=True)


def local_today(contract: Contract, now: datetime) -> date:
    return now.astimezone(ZoneInfo(contract.timezone)).date()


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)


def next_term(start: date, end: date) -> tuple[date, date]:
    """The term after ``start..end`` (inclusive), as long: whole months stay whole months."""
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if months > 0 and add_months(start, months) == after:
        return after, add_months(after, months) - timedelta(days=1)
    return after, after + (end - start)


def recipients(settings: RenewalSettings, contract: Contract) -> list[str]:
    owner = contract.customer.owner or ""
    return list(dict.fromkeys([*settings.notify, *([owner] if EMAIL.match(owner) else [])]))


def run_renewals(session: Session, clock: Clock, mailer: Mailer | None,
                 settings: RenewalSettings | None = None) -> RenewalReport:
    """Alerts then auto-renewals that are due now; each contract commits on its own."""
    settings = settings or RenewalSettings()
    now = clock.now()
    report = RenewalReport()
    active = session.scalars(select(Contract).where(
        Contract.status == "active", Contract.end_date.is_not(None))
        .order_by(Contract.number)).all()
    for c in active:
        try:
            alert(session, mailer, settings, c, now, report)
            if c.auto_renew and local_today(c, now) >= c.end_date:
                renew(session, mailer, settings, c, now, report)
            session.commit()
        except MailError as exc:
            session.rollback()
            report.errors.append(f"{c.number}: {exc}")
    return report


def alert(session: Session, mailer: Mailer | None, settings: RenewalSettings, c: Contract,
          now: datetime, report: RenewalReport) -> None:
    today = local_today(c, now)
    if today > c.end_date:
        return
    sent = set(session.scalars(select(RenewalAlert.days_before).where(
        RenewalAlert.contract_id == c.id, RenewalAlert.end_date == c.end_date)))
    due = [d for d in alert_days(settings, c.kind)
           if d not in sent and today >= c.end_date - timedelta(days=d)]
    if not due:
        return
    nearest = min(due)
    to = recipients(settings, c)
    for d in due:
        session.add(RenewalAlert(contract_id=c.id, end_date=c.end_date, days_before=d,
                                 sent_at=now, recipients=", ".join(to if d == nearest else [])))
    refresh_customers(session, now, {c.customer_id})
    audit.append(session, at=now, actor=ACTOR, action="renewal.alert", entity="contract",
                 entity_id=c.number, payload={"days_before": nearest, "end_date": c.end_date,
                                              "covers": due, "to": to,
                                              "auto_renew": c.auto_renew})
    if to and mailer is not None:
        what = ("renews automatically on" if c.auto_renew else "ends on")
        mailer.send(to, f"Renewal in {nearest} days: contract {c.number} ({c.customer.name})",
                    f"Contract {c.number} for {c.customer.name} ({c.kind}, tier "
                    f"{c.tier or '-'}) {what} {c.end_date:%Y-%m-%d}.\n"
                    f"Renewal notice period: {c.renewal_notice_days} days.\n"
                    f"Draft a renewal amendment with: contracthub contracts amend {c.number}\n",
                    now=now)
    report.alerts.append(f"{c.number}: {nearest} days (end {c.end_date:%Y-%m-%d})")


def renewal_number(c: Contract, version: int) -> str:
    return f"{VERSION_SUFFIX.sub('', c.number)}-v{version}"


def renew(session: Session, mailer: Mailer | None, settings: RenewalSettings, c: Contract,
          now: datetime, report: RenewalReport) -> Contract:
    start, end = next_term(c.start_date, c.end_date)
    values: dict[str, Any] = {col.key: getattr(c, col.key) for col in Contract.__mapper__.
                              column_attrs if col.key not in NOT_COPIED}
    new = Contract(**values, number=renewal_number(c, c.version + 1), status="active",
                   start_date=start, end_date=end, parent_id=c.id, version=c.version + 1,
                   locked=c.locked)
    session.add(new)
    c.auto_renew = False
    session.flush()
    audit.append(session, at=now, actor=ACTOR, action="contract.renewed", entity="contract",
                 entity_id=c.number, payload={"renewal": new.number, "version": new.version,
                                              "start_date": start, "end_date": end,
                                              "by": "auto_renew clause"})
    refresh_customers(session, now, {c.customer_id})
    to = recipients(settings, c)
    if to and mailer is not None:
        mailer.send(to, f"Renewed: contract {c.number} -> {new.number}",
                    f"Contract {c.number} for {c.customer.name} renewed automatically into "
                    f"{new.number} (version {new.version}), {start:%Y-%m-%d} to "
                    f"{end:%Y-%m-%d}.\n", now=now)
    report.renewed.append(f"{c.number} -> {new.number}")
    return new


def draft_amendment(session: Session, blobs: BlobStore, *, number: str, fields: dict[str, Any],
                    actor: str, now: datetime, template: str = "renewal_amendment") -> Contract:
    """An executed contract changes only by amendment: a draft (version + 1, parent linked)
    rendered from ``template`` (core.lifecycle.templates), then approved and signed."""
    from core.lifecycle.templates import draft_from_template

    parent = contract_by_number(session, number)
    if not parent.locked:
        raise SigningError(f"contract {number} is not executed ({parent.status}): edit it "
                           "instead of amending it")
    return draft_from_template(session, blobs, template=template, customer=parent.customer,
                               fields=fields, actor=actor, now=now, kind="amendment",
                               parent=parent)


def upcoming(session: Session, now: datetime, within_days: int = 120) -> list[dict[str, Any]]:
    """Active contracts ending within ``within_days``, with the alerts already sent."""
    contracts = session.scalars(select(Contract).where(
        Contract.status == "active", Contract.end_date.is_not(None),
        Contract.end_date <= now.date() + timedelta(days=within_days),
        Contract.end_date >= now.date()).order_by(Contract.end_date, Contract.number)).all()
    alerts: dict[tuple[int, Any], list[int]] = {}
    for cid, end, days in session.execute(select(
            RenewalAlert.contract_id, RenewalAlert.end_date, RenewalAlert.days_before)
            .where(RenewalAlert.contract_id.in_([c.id for c in contracts]))):
        alerts.setdefault((cid, end), []).append(days)
    rows = []
    for c in contracts:
        sent = sorted(alerts.get((c.id, c.end_date), []), reverse=True)
        rows.append({"number": c.number, "customer": c.customer.name, "kind": c.kind,
                     "end_date": c.end_date, "days_left": (c.end_date - now.date()).days,
                     "auto_renew": c.auto_renew, "alerts_sent": sent})
    return rows
