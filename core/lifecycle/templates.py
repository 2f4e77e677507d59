"""Contract templates: versions in the store, drafting a contract from one.

A template is a Jinja2 HTML body (see ``core.lifecycle.render``). Versions are
immutable and numbered 1, 2, 3...; only legal (or admin) may publish one, and
publishing the same body as the latest version is a no-op. The templates
shipped in the top-level ``templates/`` folder (``catalog.yaml``) are seeded
as version 1 the first time the store needs them.

Drafting takes per-contract fields: those named like a contract term
(``tier``, ``start_date``, ``value``... as in ``contracts import``) set the
contract's terms, checked the same way; every other field is a merge field
kept with the contract (``contract_fields``) for the template to use.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.blobs import BlobStore
from core.documents import add_document
from core.importer import KNOWN, check_row
from core.lifecycle import roles
from core.lifecycle.render import (
    TemplateError,
    check_syntax,
    context_for,
    contract_view,
    html_to_pdf,
    render_html,
)
from core.lifecycle.template_models import ContractFields, ContractTemplate, TemplateVersion
from core.models import CONTRACT_KINDS, Contract, Customer, SlaPlan

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "templates"
SHIPPED_BY = "contracthub (shipped)"
TERM_FIELDS = frozenset(KNOWN) - {"customer", "customer_domain", "customer_timezone", "kind",
                                  "status", "parent"}
RESERVED = frozenset({"customer", "contract", "parent", "sla", "entitlement", "today"})
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
NAME = FIELD_NAME  # a template's name follows the same rule as a merge field's

__all__ = ["TemplateError", "draft_from_template", "publish", "render_contract"]


def catalog() -> dict[str, dict[str, str]]:
    data = yaml.safe_load((SHIPPED_DIR / "catalog.yaml").read_text(encoding="utf-8"))
    return dict(data["templates"])


def ensure_shipped(session: Session, now: datetime) -> None:
    """Seed each shipped template that the store does not have yet as version 1."""
    have = set(session.scalars(select(ContractTemplate.name)))
    for name, meta in catalog().items():
        if name in have:
            continue
        body = (SHIPPED_DIR / meta["file"]).read_text(encoding="utf-8")
        tpl = ContractTemplate(name=name, kind=meta["kind"], title=meta["title"], created_at=now)
        session.add(tpl)
        _add_version(session, tpl, body, SHIPPED_BY, now)


def _add_version(session: Session, tpl: ContractTemplate, body: str, actor: str,
                 now: datetime) -> TemplateVersion:
    number = (max((v.version for v in tpl.versions), default=0)) + 1
    sha = hashlib.sha256(body.encode()).hexdigest()
    ver = TemplateVersion(template=tpl, version=number, body=body, sha256=sha,
                          published_by=actor, published_at=now)
    session.add(ver)
    session.flush()
    audit.append(session, at=now, actor=actor, action="template.published", entity="template",
                 entity_id=tpl.name, payload={"version": number, "sha256": sha,
                                              "kind": tpl.kind, "version_id": ver.id})
    return ver


def get_template(session: Session, name: str) -> ContractTemplate:
    tpl = session.scalar(select(ContractTemplate).where(ContractTemplate.name == name))
    if tpl is None:
        known = ", ".join(session.scalars(select(ContractTemplate.name)
                                          .order_by(ContractTemplate.name))) or "none"
        raise TemplateError(f"no template named {name!r} (known: {known})")
    return tpl


def latest(tpl: ContractTemplate) -> TemplateVersion:
    return tpl.versions[-1]


def publish(session: Session, config: Any, *, name: str, body: str, actor: str, now: datetime,
            kind: str | None = None, title: str | None = None) -> tuple[TemplateVersion, bool]:
    """Publish ``body`` as the next version of ``name``; returns (version, created)."""
    roles.require(config, actor, "templates.publish")
    if not NAME.match(name):
        raise TemplateError(f"template name {name!r}: use lower-case letters, digits and _")
    check_syntax(f"{name} (new version)", body)
    ensure_shipped(session, now)
    tpl = session.scalar(select(ContractTemplate).where(ContractTemplate.name == name))
    if tpl is None:
        kind = kind or "support"
        if kind not in CONTRACT_KINDS:
            raise TemplateError(f"unknown kind {kind!r} (use {', '.join(CONTRACT_KINDS)})")
        tpl = ContractTemplate(name=name, kind=kind, title=title or name.replace("_", " ").title(),
                               created_at=now)
        session.add(tpl)
    elif tpl.versions and latest(tpl).sha256 == hashlib.sha256(body.encode()).hexdigest():
        return latest(tpl), False
    return _add_version(session, tpl, body, actor, now), True


def fields_of(session: Session, contract: Contract) -> dict[str, Any]:
    row = session.get(ContractFields, contract.id)
    return dict(row.values) if row else {}


def render_contract(session: Session, contract: Contract, *, now: datetime,
                    template: str | None = None, fmt: str = "pdf") -> bytes:
    """The contract rendered with its own template version (or the latest of
    ``template`` when another is named) as PDF or HTML bytes."""
    ver = _version_for(session, contract, template)
    label = f"{ver.template.name} v{ver.version}"
    html = render_html(label, ver.body, context_for(session, contract,
                                                    fields_of(session, contract), now))
    if fmt == "html":
        return html.encode()
    return html_to_pdf(html, title=f"{ver.template.title} {contract.number}", created_at=now)


def _version_for(session: Session, contract: Contract, name: str | None) -> TemplateVersion:
    own = session.get(TemplateVersion, contract.template_version_id) \
        if contract.template_version_id else None
    if name is None or (own is not None and own.template.name == name):
        if own is None:
            raise TemplateError(f"contract {contract.number} was not drafted from a template: "
                                "name one to render it with")
        return own
    return latest(get_template(session, name))


# --------------------------------------------------------------------------- drafting


def _split(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    terms, merge = {}, {}
    for key, value in fields.items():
        if key in TERM_FIELDS:
            terms[key] = value
        elif key in RESERVED or not FIELD_NAME.match(key):
            raise TemplateError(f"field {key!r}: not a usable merge field name (lower-case "
                                f"letters, digits and _; not {', '.join(sorted(RESERVED))})")
        else:
            merge[key] = value
    return terms, merge


def _next_number(session: Session, now: datetime, parent: Contract | None) -> str:
    if parent is not None:
        prefix, n = f"{parent.number}-A", 1
    else:
        prefix, n = f"CH-{now.year}-", 1
    taken = set(session.scalars(select(Contract.number)
                                .where(Contract.number.like(prefix.replace("_", r"\_") + "%",
                                                            escape="\\"))))
    while f"{prefix}{n:04d}" in taken:
        n += 1
    return f"{prefix}{n:04d}"


def _terms(session: Session, customer: Customer, kind: str, terms: dict[str, Any],
           parent: Contract | None, now: datetime) -> dict[str, Any]:
    """Typed contract values: defaults (from the parent for an amendment), then the fields."""
    base: dict[str, Any] = {}
    if parent is not None:
        start = (parent.end_date or now.date()) + timedelta(days=1)
        base = {k: v for k, v in contract_view(parent).items() if k in TERM_FIELDS}
        base.update(start_date=start.isoformat(), number=None,
                    sla_plan=parent.sla_plan.name if parent.sla_plan else None)
    else:
        start = now.date()
        base["start_date"] = start.isoformat()
    given_start = terms.get("start_date")
    if given_start and not terms.get("end_date"):
        try:
            start = date.fromisoformat(str(given_start))
        except ValueError:
            pass
    if not terms.get("end_date"):
        base["end_date"] = (start.replace(year=start.year + 1) - timedelta(days=1)).isoformat()
    row = {k: ("" if v is None else ";".join(v) if isinstance(v, list) else str(v))
           for k, v in {**base, **terms}.items()}
    row.update(number=row.get("number") or "pending", customer=customer.name, kind=kind,
               parent=parent.number if parent is not None else "")
    problems: list[str] = []
    values = check_row(row, lambda f, m: problems.append(f"{f}: {m}"))
    if values is None:
        raise TemplateError("; ".join(problems))
    if values["sla_plan"] and session.scalar(
            select(SlaPlan).where(SlaPlan.name == values["sla_plan"])) is None:
        raise TemplateError(f"sla_plan: no SLA plan named {values['sla_plan']!r}")
    return values


def draft_from_template(session: Session, blobs: BlobStore, *, template: str, customer: Customer,
                        fields: dict[str, Any], actor: str, now: datetime,
                        kind: str | None = None, parent: Contract | None = None) -> Contract:
    """Create a draft contract from the latest version of ``template``, render it
    and store the PDF as the contract's next ``draft`` document."""
    ensure_shipped(session, now)
    ver = latest(get_template(session, template))
    terms, merge = _split(fields)
    kind = kind or ver.template.kind
    v = _terms(session, customer, kind, terms, parent, now)
    number = terms.get("number") or _next_number(session, now, parent)
    if session.scalar(select(func.count()).select_from(Contract)
                      .where(Contract.number == number)):
        raise TemplateError(f"number: contract {number!r} already exists")
    plan = session.scalar(select(SlaPlan).where(SlaPlan.name == v["sla_plan"])) \
        if v["sla_plan"] else None
    contract = Contract(
        number=number, customer=customer, kind=kind, status="draft", tier=v["tier"],
        start_date=v["start_date"], end_date=v["end_date"],
        renewal_notice_days=v["renewal_notice_days"] or 60, auto_renew=v["auto_renew"],
        value=v["value"], currency=v["currency"], coverage=v["coverage"],
        timezone=v["timezone"], holiday_calendar=v["holiday_calendar"], scope=v["scope"],
        exclusions=v["exclusions"], escalation_contacts=v["escalation_contacts"],
        uptime_target=v["uptime_target"], incident_cap=v["incident_cap"], sla_plan=plan,
        parent=parent, version=(parent.version + 1) if parent else 1,
        description=v["description"], template_version_id=ver.id)
    session.add(contract)
    session.flush()
    session.add(ContractFields(contract_id=contract.id, values=audit.jsonable(merge)))
    audit.append(session, at=now, actor=actor, action="contract.drafted", entity="contract",
                 entity_id=number, payload={"template": template, "template_version": ver.version,
                                            "template_version_id": ver.id,
                                            "fields": sorted(merge)})
    store_draft(session, blobs, contract, actor=actor, now=now)
    return contract


def store_draft(session: Session, blobs: BlobStore, contract: Contract, *, actor: str,
                now: datetime) -> Any:
    """Render the contract and keep the PDF as its next draft document (a no-op
    when the bytes equal the latest draft)."""
    pdf = render_contract(session, contract, now=now)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{contract.number}-draft.pdf"
        path.write_bytes(pdf)
        doc, _ = add_document(session, blobs, contract.number, path, kind="draft", actor=actor,
                              now=now)
    return doc
