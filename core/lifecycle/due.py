"""One pass of everything in the lifecycle that falls due with time, for the daemon.

Signing reminders, expiries and archiving (core.lifecycle.signing_due), then
renewal alerts and auto-renewals (core.lifecycle.renewals), on the hub's clock.
Without ``signing.smtp`` the signing part is skipped (it cannot remind anyone)
and renewals still renew and record their alerts, without email.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from core.hub import Hub
from core.lifecycle.mailer import SmtpMailer
from core.lifecycle.renewals import run_renewals
from core.lifecycle.signing_due import run_due

ACTOR = "system:lifecycle"


def run_lifecycle_due(hub: Hub) -> dict[str, Any]:
    smtp = hub.config.signing.smtp
    mailer = SmtpMailer(smtp) if smtp is not None else None
    out: dict[str, Any] = {}
    if mailer is None:
        out["signing"] = {"skipped": "signing.smtp is not set"}
    else:
        with hub.session(actor=ACTOR) as s:
            out["signing"] = asdict(run_due(s, hub.clock, mailer, hub.config.signing))
    with hub.session(actor=ACTOR) as s:
        out["renewals"] = asdict(run_renewals(s, hub.clock, mailer, hub.config.renewals))
    return out


def lifecycle_status(hub: Hub, *, first: int = 5) -> dict[str, Any]:
    """For ``contracthub status``: signatures waiting, and contracts whose renewal alert
    went out (the alert record) and that have not ended yet."""
    from sqlalchemy import func, select

    from core.audit import jsonable
    from core.lifecycle.renewals import upcoming
    from core.lifecycle.signing_models import SigningRequest

    with hub.session() as s:
        pending = s.scalar(select(func.count()).select_from(SigningRequest).where(
            SigningRequest.status == "pending")) or 0
        alerted = [r for r in upcoming(s, hub.clock.now(), 3660) if r["alerts_sent"]]
    return {"signing_pending": pending, "renewals_alerted": len(alerted),
            "renewals_first": jsonable(alerted[:first])}


def lifecycle_lines(data: dict[str, Any]) -> list[str]:
    """Nothing when there is nothing to say, so a hub without a lifecycle looks the same."""
    lines = []
    if data["signing_pending"]:
        lines.append(f"signing: {data['signing_pending']} request(s) waiting for signatures "
                     "(contracthub signing list)")
    if data["renewals_alerted"]:
        lines.append(f"renewals: {data['renewals_alerted']} contract(s) alerted for renewal")
    for r in data["renewals_first"]:
        sent = ", ".join(f"{d}d" for d in r["alerts_sent"])
        lines.append(f"  {r['number']} {r['customer']} ends {r['end_date']} "
                     f"({r['days_left']} days{', auto-renews' if r['auto_renew'] else ''}); "
                     f"alerts sent: {sent}")
    if data["renewals_alerted"] > len(data["renewals_first"]):
        lines.append("  ... (contracthub renewals list)")
    return lines
