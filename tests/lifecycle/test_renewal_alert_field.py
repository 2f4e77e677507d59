"""The renewal alert reaches the CRM record: a derived customer field the shipped
Salesforce and Dynamics account mappings push (Renewal_Alert__c / chub_renewalalert)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select

from core.config import RenewalSettings
from core.lifecycle.renewals import run_renewals
from core.models import Customer
from tests.factories import contract, customer

SETTINGS = RenewalSettings(alert_days={"default": [90, 30]}, notify=[])
MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


def alert_text(hub) -> str | None:  # noqa: ANN001
    with hub.session() as s:
        return s.scalar(select(Customer.renewal_alert))


def test_the_nearest_alert_sent_is_on_the_customer_until_the_contract_moves_on(hub, clock):
    with hub.session() as s, s.begin():
        contract(s, customer(s, "Acme Corp"), "C-1", start_date=date(2025, 7, 1),
                 end_date=date(2026, 6, 30))   # imported, not executed here: editable
    clock.set(clock.now().replace(year=2026, month=3, day=1))
    with hub.session() as s:
        run_renewals(s, hub.clock, None, SETTINGS)
    assert alert_text(hub) is None                          # nothing sent yet
    clock.set(clock.now().replace(month=4, day=2))
    with hub.session() as s:
        run_renewals(s, hub.clock, None, SETTINGS)
    assert alert_text(hub) == "C-1 ends 2026-06-30: 90-day renewal notice"
    clock.advance(timedelta(days=60))
    with hub.session() as s:
        run_renewals(s, hub.clock, None, SETTINGS)
    assert alert_text(hub) == "C-1 ends 2026-06-30: 30-day renewal notice"
    with hub.session() as s, s.begin():                     # the end date moves: a new term
        from core.models import Contract
        s.scalar(select(Contract)).end_date = date(2027, 6, 30)
    from core.derived import refresh_customers
    with hub.session() as s, s.begin():
        refresh_customers(s, clock.now())
    assert alert_text(hub) is None


def test_the_shipped_account_mappings_push_it():
    for name, remote in (("salesforce_accounts.yaml", "Renewal_Alert__c"),
                         ("dynamics_accounts.yaml", "chub_renewalalert")):
        fields = yaml.safe_load((MAPPINGS / name).read_text())["fields"]
        assert {"local": "renewal_alert", "remote": remote, "direction": "out"} in fields
