"""Merge fields into a template (Jinja2, sandboxed, strict) and print it to PDF;
the merge context a template sees.

Templates are HTML in the subset fpdf2's ``write_html`` understands (h1-h4,
p, b, i, u, ul/ol/li, table/tr/th/td, br, hr). The environment is Jinja2's
``SandboxedEnvironment`` (a template cannot reach Python internals) with
``StrictUndefined``: a merge field that is not supplied is an error naming
the field, the template and the line, never a blank in a contract.

The PDF is deterministic: its creation date is the moment passed in (from the
hub's clock), the producer is fixed and fpdf2 derives the file id from the
content, so the same inputs give the same bytes.
"""

from __future__ import annotations

import sys
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from fpdf import FPDF
from jinja2 import BaseLoader, StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from sqlalchemy.orm import Session

from core.calendar import Coverage
from core.credits import CreditRule
from core.entitlement import resolve, targets_of
from core.models import SEVERITIES, Contract

PRODUCER = "contracthub"
# Typographic characters the PDF core fonts (latin-1) lack, and what prints instead.
PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                       "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ",
                       "\u2022": "-", "\u2122": "(TM)"})


class TemplateError(Exception):
    """A template that cannot be rendered: a missing merge field, bad syntax..."""


MAX_MISSING = 20


class _MissingField(UndefinedError):
    def __init__(self, name: str | None, top_level: bool) -> None:
        super().__init__(f"merge field {name!r} is not defined")
        self.name, self.top_level = name, top_level


class _Missing(StrictUndefined):
    """Remembers which name was missing, for a message that names it."""

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        from jinja2.utils import missing

        raise _MissingField(self._undefined_name, self._undefined_obj is missing)

    __str__ = __iter__ = __len__ = __bool__ = __eq__ = __ne__ = __hash__ = (  # type: ignore[assignment]
        _fail_with_undefined_error)


class _OneTemplate(BaseLoader):
    """One template whose file name is its label, so tracebacks carry its lines."""

    def __init__(self, label: str, body: str) -> None:
        self.label, self.body = label, body

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
        return self.body, self.label, lambda: True


@lru_cache(maxsize=32)
def _environment(label: str, body: str) -> SandboxedEnvironment:
    """One environment per (label, body): a published version never changes, so its
    compiled form is reused across a bulk send."""
    return SandboxedEnvironment(loader=_OneTemplate(label, body), undefined=_Missing,
                                autoescape=True, keep_trailing_newline=True)


def _template_line(label: str) -> int | None:
    """The template line being rendered when the current exception was raised."""
    tb = sys.exc_info()[2]
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == label:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def check_syntax(label: str, body: str) -> None:
    try:
        _environment(label, body).get_template(label)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template {label}, line {exc.lineno}: {exc.message}") from None


MAX_MISSING = 20


def render_html(label: str, body: str, context: dict[str, Any]) -> str:
    """The merged HTML. ``label`` names the template (e.g. ``support_agreement v2``).

    Every missing top-level merge field is reported at once, each with its
    line, so a bulk-send row is fixed in one go."""
    env = _environment(label, body)
    context = dict(context)
    missing: list[tuple[int | None, str]] = []
    while len(missing) < MAX_MISSING:
        try:
            html = env.get_template(label).render(**context)
        except TemplateSyntaxError as exc:
            raise TemplateError(f"template {label}, line {exc.lineno}: {exc.message}") from None
        except SecurityError as exc:
            raise TemplateError(f"template {label}: not allowed in a template: {exc}") from None
        except UndefinedError as exc:
            missing.append((_template_line(label), str(exc.message)))
            name = getattr(exc, "name", None)
            if not getattr(exc, "top_level", False) or not name or name in context:
                break
            context[name] = ""  # carry on to find the next missing field
        else:
            if not missing:
                return html
            break
    if len(missing) == 1:
        line, message = missing[0]
        raise TemplateError(f"template {label}{f', line {line}' if line else ''}: {message}")
    raise TemplateError(f"template {label}: " + "; ".join(
        f"{f'line {line}: ' if line else ''}{message}" for line, message in missing))


def html_to_pdf(html: str, *, title: str, created_at: datetime) -> bytes:
    """A4 PDF of the HTML, byte-for-byte the same for the same inputs."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(created_at)
    pdf.set_producer(PRODUCER)
    pdf.set_creator(PRODUCER)
    pdf.set_title(_latin1(title))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.write_html(_latin1(html))
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    """The PDF core fonts cover latin-1: typographic punctuation is mapped to
    its plain form, anything else outside latin-1 prints as '?'."""
    return text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


# --------------------------------------------------------------------------- what a template sees


def _money(value: Decimal | None, currency: str) -> str:
    return f"{currency} {value:,.2f}" if value is not None else "no charge"


def _duration(minutes: int) -> str:
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return "1 hour" if hours == 1 else f"{hours} hours"


def _coverage_text(c: Contract) -> str:
    if c.coverage == "24x7":
        return "24 hours a day, 7 days a week, including public holidays"
    cov = Coverage(kind="business_hours", timezone=c.timezone)
    text = (f"during business hours, {cov.day_start:%H:%M} to {cov.day_end:%H:%M} Monday to "
            f"Friday, {c.timezone} time")
    return text + (f", excluding public holidays ({c.holiday_calendar})"
                   if c.holiday_calendar else "")


def contract_view(c: Contract) -> dict[str, Any]:
    return {
        "number": c.number, "kind": c.kind, "status": c.status, "version": c.version,
        "tier": c.tier, "tier_text": (c.tier or "standard").title(),
        "start_date": c.start_date.isoformat(),
        "end_date": c.end_date.isoformat() if c.end_date else None,
        "auto_renew": c.auto_renew, "renewal_notice_days": c.renewal_notice_days,
        "value": c.value, "currency": c.currency, "value_text": _money(c.value, c.currency),
        "coverage": c.coverage, "coverage_text": _coverage_text(c), "timezone": c.timezone,
        "holiday_calendar": c.holiday_calendar, "scope": list(c.scope or []),
        "exclusions": list(c.exclusions or []),
        "escalation_contacts": list(c.escalation_contacts or []),
        "uptime_target": c.uptime_target, "incident_cap": c.incident_cap,
    }


def _sla_view(c: Contract) -> dict[str, Any]:
    targets = targets_of(c)
    rule = CreditRule.from_dict(c.sla_plan.credit_rule if c.sla_plan else None)
    per = ", ".join(f"{sev} {rule.percent_per_breach.get(sev, 0).normalize():f}%"
                    for sev in SEVERITIES)
    cap = (f"at most {rule.monthly_cap_percent.normalize():f}% of the monthly fee per month"
           if rule.monthly_cap_percent is not None else "without a monthly cap")
    return {
        "plan": f"SLA plan {c.sla_plan.name}" if c.sla_plan else
                f"the {(c.tier or 'basic')} tier's standard targets",
        "targets": [{"severity": sev, "first_response": _duration(targets[sev][0]),
                     "resolution": _duration(targets[sev][1])}
                    for sev in SEVERITIES if sev in targets],
        "credit_text": f"Each missed target earns a credit of a share of the monthly fee "
                       f"({per}), {cap}.",
    }


def context_for(session: Session, contract: Contract, fields: dict[str, Any],
                now: datetime) -> dict[str, Any]:
    """Everything a template may use: the merge fields at the top level, plus
    ``customer``, ``contract``, ``parent``, ``sla``, ``entitlement`` and ``today``."""
    cust = contract.customer
    address = ", ".join(x for x in (cust.billing_street, cust.billing_city,
                                    cust.billing_country) if x)
    ent = resolve(session, cust, now)
    return {
        **fields,
        "customer": {"name": cust.name, "domain": cust.domain, "address": address,
                     "street": cust.billing_street, "city": cust.billing_city,
                     "country": cust.billing_country},
        "contract": contract_view(contract),
        "parent": contract_view(contract.parent) if contract.parent else None,
        "sla": _sla_view(contract),
        "entitlement": {"entitled": ent.entitled, "tier": ent.tier, "coverage": ent.coverage,
                        "expires": ent.expires.isoformat() if ent.expires else None,
                        "remaining_incidents": ent.remaining_incidents},
        "today": now.date().isoformat(),
    }
