"""Templates: versions, merge fields, sandboxing, deterministic PDF (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core import audit
from core.blobs import BlobStore
from core.hub import Hub
from core.lifecycle.render import TemplateError, render_html
from core.lifecycle.roles import PermissionDenied
from core.lifecycle.template_models import TemplateVersion
from core.lifecycle.templates import (
    draft_from_template,
    fields_of,
    publish,
    render_contract,
)
from core.models import AuditEvent, Contract, Document
from tests.lifecycle.drafting import AGREEMENT_FIELDS, contract_named, draft, with_users

GOLDEN = Path(__file__).parent / "golden" / "support_agreement.txt"
SHIPPED = Path(__file__).resolve().parents[2] / "templates"


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_a_draft_records_its_template_version_and_stores_its_pdf(hub: Hub,
                                                                 blobs: BlobStore) -> None:
    number = draft(with_users(hub), blobs, tier="premium", value="48000", scope="Platform;API",
                   discount_percent="10")
    with hub.session() as s:
        c = contract_named(s, number)
        ver = s.get(TemplateVersion, c.template_version_id)
        assert (c.status, c.kind, c.tier, str(c.value)) == ("draft", "support", "premium",
                                                            "48000.00")
        assert (ver.template.name, ver.version) == ("support_agreement", 1)
        assert fields_of(s, c) == {**AGREEMENT_FIELDS, "discount_percent": "10"}
        doc = s.scalar(select(Document).where(Document.contract_id == c.id))
        assert (doc.kind, doc.version, doc.media_type) == ("draft", 1, "application/pdf")
        pdf = render_contract(s, c, now=hub.clock.now())
        assert blobs.read(doc.sha256) == pdf  # regenerating gives the same bytes
        drafted = s.scalar(select(AuditEvent).where(AuditEvent.action == "contract.drafted"))
        assert drafted.payload["template_version"] == 1 and drafted.actor == "sam"


def test_golden_pdf_text(hub: Hub, blobs: BlobStore) -> None:
    number = draft(with_users(hub), blobs, tier="premium", value="48000", coverage="24x7",
                   scope="Platform;API", exclusions="Custom code", discount_percent="10",
                   escalation_contacts="duty@northwind.example;head-of-support@northwind.example")
    with hub.session() as s:
        text = pdf_text(render_contract(s, contract_named(s, number), now=hub.clock.now()))
    if os.environ.get("CONTRACTHUB_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_a_missing_merge_field_names_the_field_and_the_template(hub: Hub,
                                                                blobs: BlobStore) -> None:
    fields = {k: v for k, v in AGREEMENT_FIELDS.items() if k != "governing_law"}
    with hub.session(actor="sam") as s, s.begin():
        from tests.factories import customer

        cust = customer(s)
        with pytest.raises(TemplateError) as exc:
            draft_from_template(s, blobs, template="support_agreement", customer=cust,
                                fields=fields, actor="sam", now=hub.clock.now())
    assert "merge field 'governing_law' is not defined" in str(exc.value)
    assert "template support_agreement v1, line " in str(exc.value)


def test_a_missing_attribute_is_an_error_with_its_line_not_a_blank() -> None:
    body = "<p>{{ customer.name }}</p>\n<p>{{ customer.vat_number }}</p>\n"
    with pytest.raises(TemplateError, match=r"t v1, line 2: merge field 'vat_number'"):
        render_html("t v1", body, {"customer": {"name": "Acme"}})
    assert render_html("t v1", "{{ x | default('n/a') }}", {}) == "n/a"


def test_the_sandbox_refuses_python_internals() -> None:
    with pytest.raises(TemplateError, match="not allowed in a template"):
        render_html("evil v1", "{{ ''.__class__.__mro__[1].__subclasses__() }}", {})


def test_values_are_escaped_into_the_html() -> None:
    assert render_html("t", "<p>{{ n }}</p>", {"n": "<b>A&B</b>"}) == \
        "<p>&lt;b&gt;A&amp;B&lt;/b&gt;</p>"


@pytest.mark.parametrize("actor", ["sam", "fin", "val", "mallory"])
def test_publishing_is_denied_unless_legal_or_admin(hub: Hub, actor: str) -> None:
    with_users(hub)
    with hub.session() as s, s.begin(), pytest.raises(PermissionDenied):
        publish(s, hub.config, name="support_agreement", body="<p>x</p>", actor=actor,
                now=hub.clock.now())


def test_legal_publishes_a_new_version_and_old_contracts_keep_theirs(hub: Hub,
                                                                     blobs: BlobStore) -> None:
    with_users(hub)
    old = draft(hub, blobs)
    body = (SHIPPED / "support_agreement.html.j2").read_text().replace(
        "Technical Support Agreement", "Technical Support Agreement (2027 edition)")
    with hub.session() as s, s.begin():
        ver, created = publish(s, hub.config, name="support_agreement", body=body, actor="lee",
                               now=hub.clock.now())
        assert (ver.version, created) == (2, True)
        again, created = publish(s, hub.config, name="support_agreement", body=body,
                                 actor="ada", now=hub.clock.now())
        assert (again.version, created) == (2, False)
    new = draft(hub, blobs, customer_name="Globex")
    with hub.session() as s:
        assert "2027 edition" not in pdf_text(render_contract(s, contract_named(s, old),
                                                              now=hub.clock.now()))
        assert "2027 edition" in pdf_text(render_contract(s, contract_named(s, new),
                                                          now=hub.clock.now()))
        published = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "template.published", AuditEvent.actor == "lee")).all()
        assert [e.payload["version"] for e in published] == [2]
        assert audit.verify(s).ok


def test_a_version_with_bad_syntax_is_refused_with_its_line(hub: Hub) -> None:
    with_users(hub)
    with hub.session() as s, s.begin(), pytest.raises(TemplateError, match="line 2"):
        publish(s, hub.config, name="support_agreement", body="<p>ok</p>\n{% if %}\n",
                actor="lee", now=hub.clock.now())


def test_a_bad_term_is_named(hub: Hub, blobs: BlobStore) -> None:
    with pytest.raises(TemplateError, match="tier: unknown tier 'gold'"):
        draft(with_users(hub), blobs, tier="gold")
    with pytest.raises(TemplateError, match="field 'contract'"):
        draft(hub, blobs, contract="x")


def test_renewal_amendment_from_a_parent(hub: Hub, blobs: BlobStore) -> None:
    parent_number = draft(with_users(hub), blobs, tier="standard", value="20000",
                          start_date="2026-01-01", end_date="2026-12-31")
    with hub.session(actor="sam") as s, s.begin():
        parent = contract_named(s, parent_number)
        c = draft_from_template(s, blobs, template="renewal_amendment", customer=parent.customer,
                                fields={"customer_signatory": "Jane Doe", "value": "21000",
                                        "price_change_percent": "5"},
                                actor="sam", now=hub.clock.now(), parent=parent)
        assert (c.number, c.kind, c.version, c.parent_id) == (f"{parent_number}-A0001",
                                                              "amendment", 2, parent.id)
        assert (c.start_date.isoformat(), c.end_date.isoformat()) == ("2027-01-01", "2027-12-31")
        assert (c.tier, c.coverage) == ("standard", parent.coverage)
        text = pdf_text(render_contract(s, c, now=hub.clock.now()))
    assert f"Amends: {parent_number} (version 1)" in text
    assert "USD 21,000.00" in text and "(previously USD 20,000.00)" in text


def test_sla_addendum_renders_the_targets(hub: Hub, blobs: BlobStore) -> None:
    number = draft(with_users(hub), blobs, template="sla_addendum", tier="enterprise",
                   uptime_target="99.95")
    with hub.session() as s:
        c = contract_named(s, number)
        assert c.kind == "sla"
        text = pdf_text(render_contract(s, c, now=hub.clock.now()))
    assert "sev1 15 minutes 4 hours" in text
    assert "at least 99.950% of each calendar" in text


def test_render_with_another_template_uses_its_latest_version(hub: Hub, blobs: BlobStore) -> None:
    number = draft(with_users(hub), blobs)
    with hub.session() as s:
        c = s.scalar(select(Contract).where(Contract.number == number))
        html = render_contract(s, c, now=hub.clock.now(), template="sla_addendum", fmt="html")
    assert html.startswith(b"<h1>Service Level Addendum</h1>")


def test_every_missing_merge_field_is_named_at_once() -> None:
    body = (SHIPPED / "support_agreement.html.j2").read_text()
    with pytest.raises(TemplateError) as exc:
        render_html("support_agreement v1", body, {
            "customer": {"name": "Acme", "address": ""},
            "contract": {"number": "C-1", "start_date": "2026-01-01", "end_date": None,
                         "auto_renew": False, "tier_text": "Standard", "scope": [],
                         "coverage_text": "24x7", "incident_cap": None, "uptime_target": None,
                         "exclusions": [], "escalation_contacts": [], "value_text": "USD 1.00"},
            "sla": {"plan": "p", "targets": []}})
    message = str(exc.value)
    assert message.startswith("template support_agreement v1: line ")
    assert re.findall(r"line \d+: merge field '(\w+)' is not defined", message) == [
        "governing_law", "customer_signatory", "customer_signatory_title"]
