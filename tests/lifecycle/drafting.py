"""Helpers for the template, approval and bulk tests: people with roles, a
customer, and a support agreement drafted with every field its text needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.blobs import BlobStore
from core.hub import Hub
from core.lifecycle.templates import draft_from_template
from core.models import Contract, Customer
from tests.factories import customer

USERS = {"ada": "admin", "lee": "legal", "fin": "finance", "sam": "support", "val": "viewer",
         "dana": "finance"}
AGREEMENT_FIELDS = {"customer_signatory": "Jane Doe", "customer_signatory_title": "CTO",
                    "governing_law": "England and Wales"}


def with_users(hub: Hub) -> Hub:
    hub.config = hub.config.model_copy(update={"users": USERS})
    return hub


def draft(hub: Hub, blobs: BlobStore, *, customer_name: str = "Acme Corp", actor: str = "sam",
          template: str = "support_agreement", **fields: Any) -> str:
    """Draft in its own transaction; returns the contract number."""
    with hub.session(actor=actor) as s, s.begin():
        cust = s.scalar(select(Customer).where(Customer.name == customer_name)) or customer(
            s, customer_name, billing_city="Boston", billing_country="US")
        c = draft_from_template(s, blobs, template=template, customer=cust,
                                fields={**AGREEMENT_FIELDS, **fields}, actor=actor,
                                now=hub.clock.now())
        return c.number


def contract_named(s: Any, number: str) -> Contract:
    from core.documents import contract_by_number

    return contract_by_number(s, number)
