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
