"""A realistic sample book for the demo: customers, contracts, tickets, executed files.

Everything is drawn from one seeded ``random.Random``, so the same seed and the
same ``today`` give the same book. Contracts are written as an import CSV (the
format ``contracthub contracts import`` reads), tickets are filed in the Jira
emulator as people would file them (with their first response, pauses and
resolution in the issue history), and each active contract gets its executed
PDF.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

NAMES = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell",
         "Cyberdyne", "Soylent", "Hooli", "Vandelay", "Massive Dynamic", "Oscorp", "Aperture",
         "Black Mesa", "Gringotts", "Monarch", "Nakatomi", "Pied Piper", "Dunder Mifflin",
         "Prestige", "Sterling Cooper", "Blue Sun", "Weyland", "Virtucon", "Zorg", "Rekall",
         "Octan", "Gekko", "Bluth", "Kramerica", "Sirius", "Omni", "Ingen", "Spacely",
         "Cogswell", "Krusty", "Duff", "Lunar", "Atlas", "Nimbus", "Quartz", "Helix",
         "Vertex", "Orbit", "Zephyr", "Juniper", "Cobalt", "Meridian")
SUFFIXES = ("Corp", "Inc", "Ltd", "GmbH", "Labs", "Group")
ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
         "Europe/Berlin", "Asia/Tokyo")
HOLIDAYS = {"America/New_York": "US", "America/Chicago": "US", "America/Los_Angeles": "US",
            "Europe/London": "GB-ENG", "Europe/Berlin": "DE", "Asia/Tokyo": "JP"}
TIERS = ("basic", "standard", "premium", "enterprise")
KINDS = ("support", "support", "maintenance", "sla")
SUMMARIES = ("Login fails after upgrade", "API returns 500 on export", "Nightly sync stuck",
             "Dashboard slow to load", "License key rejected", "Data import drops rows",
             "SSO redirect loop", "Webhook retries flood", "Report totals wrong",
             "Cannot attach files", "Search misses new records", "Timeout on bulk update")
COLUMNS = ("number", "customer", "customer_domain", "kind", "status", "tier", "start_date",
           "end_date", "auto_renew", "value", "currency", "coverage", "timezone",
           "holiday_calendar", "incident_cap", "scope", "exclusions", "parent")


@dataclass(frozen=True)
class Book:
    customers: list[str]
    contracts: list[dict[str, Any]]


def customer_names(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    for i in range(n):
        base = NAMES[i % len(NAMES)]
        names.append(f"{base} {SUFFIXES[(i // len(NAMES) + rng.randrange(6)) % 6]}"
                     if i >= len(NAMES) or rng.random() < 0.5 else f"{base} Corp")
    return list(dict.fromkeys(names))[:n]


def make_book(today: date, *, customers: int = 50, contracts: int = 120, seed: int = 7) -> Book:
    """Customers, each with at least one contract, most active today, some ending soon."""
    rng = random.Random(seed)
    names = customer_names(rng, customers)
    rows: list[dict[str, Any]] = []
    for i in range(contracts):
        customer = names[i % len(names)]
        zone = ZONES[names.index(customer) % len(ZONES)]
        start = today - timedelta(days=rng.randrange(30, 700))
        end = start + timedelta(days=365 * rng.choice((1, 2, 3)) - 1)
        if i < len(names) and end < today + timedelta(days=20):
            end = today + timedelta(days=rng.randrange(20, 400))   # every customer covered
        if i % 12 == 5:                   # some renewals coming up: 90/30-day alerts
            end = today + timedelta(days=rng.randrange(10, 85))
            start = min(start, end - timedelta(days=200))
        status = "active" if end >= today else "expired"
        if i >= len(names) and rng.random() < 0.08:
            status = "draft"
        tier = TIERS[min(3, int(rng.triangular(0, 4, 1.5)))]
        rows.append({
            "number": f"SA-{1000 + i}", "customer": customer,
            "customer_domain": customer.split()[0].lower() + ".example",
            "kind": KINDS[i % len(KINDS)], "status": status, "tier": tier,
            "start_date": start.isoformat(), "end_date": end.isoformat(),
            "auto_renew": str(rng.random() < 0.4).lower(),
            "value": str(rng.choice((6, 12, 24, 48, 96)) * 1000), "currency": "USD",
            "coverage": "24x7" if tier in ("premium", "enterprise") else "business_hours",
            "timezone": zone, "holiday_calendar": HOLIDAYS[zone],
            "incident_cap": "" if tier != "basic" else "25",
            "scope": "Platform;API" if rng.random() < 0.7 else "Platform",
            "exclusions": "Custom code" if rng.random() < 0.3 else "", "parent": ""})
    return Book(names, rows)


def write_csv(book: Book, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=COLUMNS)
        out.writeheader()
        out.writerows(book.contracts)
    return path


def file_tickets(jira: Any, book: Book, now: datetime, *, count: int = 300, days: int = 60,
                 seed: int = 7) -> int:
    """File ``count`` tickets over the last ``days`` days in the Jira emulator's store:
    most answered and resolved, some paused waiting for the customer, a few late
    (breaches), and a few from an organisation the hub has no contract with."""
    rng = random.Random(seed + 1)
    org_field, sev_field = jira.store.field("Organization").id, jira.store.field("Severity").id
    first_field = jira.store.field("First Response At").id
    for n in range(count):
        created = now - timedelta(minutes=rng.randrange(30, days * 24 * 60))
        org = "Unknown Startup" if n % 60 == 59 else rng.choice(book.customers)
        sev = rng.choices(("sev1", "sev2", "sev3", "sev4"), (1, 3, 5, 2))[0]
        issue = jira.store.create_issue("SUP", summary=rng.choice(SUMMARIES), created=created,
                                        fields={org_field: org, sev_field: sev})
        late = rng.random() < 0.12
        answer = created + timedelta(minutes=rng.randrange(5, 600 if late else 90))
        if answer >= now:
            continue
        jira.store.edit_issue(issue.key, {first_field: answer}, updated=answer)
        jira.store.set_status(issue.key, "In Progress", at=answer)
        at = answer
        if rng.random() < 0.25:
            at += timedelta(hours=rng.randrange(1, 20))
            if at >= now:
                continue
            jira.store.set_status(issue.key, "Waiting for customer", at=at)
            at += timedelta(hours=rng.randrange(2, 48))
            if at >= now:
                continue
            jira.store.set_status(issue.key, "In Progress", at=at)
        done = at + timedelta(hours=rng.randrange(1, 200 if late else 30))
        if done < now and rng.random() < 0.8:
            jira.store.set_status(issue.key, "Resolved", at=done, resolution="Done")
    return count


def agreement_pdf(contract: dict[str, Any]) -> bytes:
    """A short executed agreement (fpdf2), the same bytes for the same contract."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(datetime(2026, 1, 1))
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, f"Support agreement {contract['number']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for key in ("customer", "kind", "tier", "coverage", "start_date", "end_date", "value"):
        pdf.cell(0, 6, f"{key.replace('_', ' ')}: {contract[key]}", new_x="LMARGIN",
                 new_y="NEXT")
    pdf.cell(0, 6, "Executed by both parties.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
