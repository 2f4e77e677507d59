"""Small builders for store rows used across tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from core.models import Contract, Customer


def customer(s: Session, name: str = "Acme Corp", **kw: Any) -> Customer:
    c = Customer(name=name, **kw)
    s.add(c)
    s.flush()
    return c


def contract(s: Session, cust: Customer, number: str, **kw: Any) -> Contract:
    values: dict[str, Any] = dict(kind="support", status="active", tier="standard",
                                  start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                                  coverage="business_hours", timezone="UTC")
    values.update(kw)
    c = Contract(number=number, customer=cust, **values)
    s.add(c)
    s.flush()
    return c
