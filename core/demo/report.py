"""What the demo shows at the end: what landed in each system, read from the systems.

Salesforce and Jira figures come from the emulators' own state (what a person
would see in those systems), breaches and credits from the store.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from core.hub import Hub

SAMPLE = 6


def report(hub: Hub, box: Any, console: Console) -> None:
    if "salesforce" in box.running:
        salesforce(box["salesforce"], console)
    if "dynamics" in box.running:
        dynamics(box["dynamics"], console)
    if "jira" in box.running:
        jira(box["jira"], console)
    credits(hub, console)
    archives(hub, console)


# (account, contract object, account fields: name, status, tier, renewal, summary;
#  the renewal-alert field)
CRMS = {
    "Salesforce": ("Account", "Contract", ("Name", "Contract_Status__c", "Support_Tier__c",
                                           "Renewal_Date__c", "Entitlement_Summary__c"),
                   "Renewal_Alert__c"),
    "Dynamics 365": ("account", "chub_supportcontract", (
        "name", "chub_contractstatus", "chub_supporttier", "chub_renewaldate",
        "chub_entitlementsummary"), "chub_renewalalert"),
}


def salesforce(emu: Any, console: Console) -> None:
    crm_accounts(emu, "Salesforce", console)


def dynamics(emu: Any, console: Console) -> None:
    crm_accounts(emu, "Dynamics 365", console)


def crm_accounts(emu: Any, crm: str, console: Console) -> None:
    """The CRM's accounts as the hub left them: status, tier, renewal, entitlement."""
    account, contract, names, alert = CRMS[crm]
    accounts, contracts = emu.store.all(account), emu.store.all(contract)
    by_status = Counter(a.get(names[1]) or "-" for a in accounts)
    table = Table(title=f"{crm}: {len(accounts)} accounts, {len(contracts)} contracts "
                        f"(account status: {dict(by_status)})")
    for col, width in (("Account", 16), ("Status", 8), ("Tier", 10), ("Renewal", 10),
                       ("Entitlement summary", None)):
        table.add_column(col, no_wrap=True, overflow="ellipsis", min_width=width)
    for a in sorted(accounts, key=lambda a: str(a.get(names[0]) or ""))[:SAMPLE]:
        table.add_row(*(str(a.get(n) or "-") for n in names))
    console.print(table)
    alerted = [a for a in accounts if a.get(alert)]
    if alerted:
        console.print(f"{crm} accounts with a renewal alert: {len(alerted)}, e.g. "
                      f"{alerted[0].get(names[0])}: {alerted[0][alert]}", highlight=False)


def jira(emu: Any, console: Console) -> None:
    fields = {name: emu.store.field(name) for name in (
        "Organization", "Support Tier", "Coverage", "First Response Due", "Resolution Due",
        "SLA Breached", "Contract Number", "Severity")}
    issues = emu.store.issues()

    def val(issue: Any, name: str) -> Any:
        fd = fields[name]
        v = issue.values.get(fd.id)
        opt = fd.option(v, by="id") if fd.options and v is not None else None
        return opt.value if opt else v

    entitled = [i for i in issues if val(i, "Contract Number")]
    breached = [i for i in issues if val(i, "SLA Breached") == "Yes"]
    table = Table(title=f"Jira: {len(issues)} tickets, {len(entitled)} with an entitlement, "
                        f"{len(issues) - len(entitled)} without (no contract found)")
    for col in ("Ticket", "Organization", "Tier", "Response due", "Resolution due", "Contract"):
        table.add_column(col, no_wrap=True, overflow="ellipsis")
    for i in entitled[:SAMPLE]:
        table.add_row(i.key, str(val(i, "Organization")), str(val(i, "Support Tier")),
                      _t(val(i, "First Response Due")),
                      _t(val(i, "Resolution Due")), str(val(i, "Contract Number")))
    console.print(table)
    console.print(f"Jira issues flagged SLA Breached: {len(breached)}")


def _t(v: Any) -> str:
    return v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") else str(v or "-")


def credits(hub: Hub, console: Console) -> None:
    from core.models import ServiceCredit, Ticket

    with hub.session() as s:
        tickets = s.scalar(select(func.count()).select_from(Ticket)) or 0
        breached = s.scalar(select(func.count()).select_from(Ticket)
                            .where(Ticket.breached.is_(True))) or 0
        rows = s.execute(select(ServiceCredit.currency, func.count(),
                                func.sum(ServiceCredit.amount))
                         .group_by(ServiceCredit.currency)).all()
    owed = ", ".join(f"{n} credits = {Decimal(total or 0):.2f} {cur}" for cur, n, total in rows)
    console.print(f"[bold]store[/]: {tickets} tickets mirrored, {breached} breached an SLA; "
                  f"service credits due: {owed or 'none'} "
                  "(`contracthub sla report --customer NAME --month YYYY-MM` shows the arithmetic)")


def archives(hub: Hub, console: Console) -> None:
    """Executed documents archived per storage connection, with a few of their paths."""
    from core.archive.models import ArchivedCopy

    with hub.session() as s:
        rows = s.execute(select(ArchivedCopy.connection, func.count())
                         .where(ArchivedCopy.state == "archived")
                         .group_by(ArchivedCopy.connection)).all()
        for connection, n in rows:
            paths = s.scalars(select(ArchivedCopy.path).where(
                ArchivedCopy.connection == connection).order_by(ArchivedCopy.path).limit(2))
            console.print(f"[bold]{connection}[/]: {n} documents archived, e.g. "
                          + ", ".join(paths), highlight=False)
