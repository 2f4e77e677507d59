"""Renewal alerts at 90/30 days (per kind), once each, by email; auto-renewal on the end date
into a new version; a year simulated day by day with the FakeClock and the SMTP sink."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from core import audit
from core.config import RenewalSettings
from core.derived import refresh_customers
from core.lifecycle.renewals import next_term, run_renewals, upcoming
from core.lifecycle.signing_models import RenewalAlert
from core.models import AuditEvent, Contract, Customer
from tests.factories import contract, customer

SETTINGS = RenewalSettings(alert_days={"default": [90, 30], "sla": [60, 14]},
                           notify=["renewals@vendor.test"])


def renewals(hub, mailer, settings=SETTINGS):  # noqa: ANN001,ANN201
    with hub.session() as s:
        return run_renewals(s, hub.clock, mailer, settings)


def test_a_year_of_alerts_and_an_auto_renewal(hub, mailer, sink, clock):
    with hub.session() as s, s.begin():
        acme = customer(s, "Acme Corp", owner="am@vendor.test")
        contract(s, acme, "C-1", start_date=date(2025, 7, 1), end_date=date(2026, 6, 30),
                 locked=True)
        contract(s, acme, "C-2", kind="sla", start_date=date(2025, 10, 1),
                 end_date=date(2026, 9, 30), auto_renew=True, locked=True)
    seen: list[tuple[date, str, str]] = []
    for _ in range(365):
        report = renewals(hub, mailer)
        assert not report.errors
        for m in sink.take():
            seen.append((clock.now().date(), m["Subject"], m["X-Envelope-To"]))
        assert renewals(hub, mailer).alerts == []  # a second run the same day: nothing
        clock.advance(timedelta(days=1))
    to = "renewals@vendor.test, am@vendor.test"
    assert seen == [
        (date(2026, 4, 1), "Renewal in 90 days: contract C-1 (Acme Corp)", to),
        (date(2026, 5, 31), "Renewal in 30 days: contract C-1 (Acme Corp)", to),
        (date(2026, 8, 1), "Renewal in 60 days: contract C-2 (Acme Corp)", to),
        (date(2026, 9, 16), "Renewal in 14 days: contract C-2 (Acme Corp)", to),
        (date(2026, 9, 30), "Renewed: contract C-2 -> C-2-v2", to),
    ]
    with hub.session() as s:
        c2 = s.scalar(select(Contract).where(Contract.number == "C-2"))
        new = s.scalar(select(Contract).where(Contract.number == "C-2-v2"))
        assert (new.parent_id, new.version, new.kind, new.status, new.locked) == (
            c2.id, 2, "sla", "active", True)
        assert (new.start_date, new.end_date, new.auto_renew) == (
            date(2026, 10, 1), date(2027, 9, 30), True)
        assert c2.auto_renew is False  # the renewal carries the clause on
    with hub.session() as s, s.begin():  # the sync cycle's derived pass, for the CRM field
        refresh_customers(s, clock.now())
    with hub.session() as s:
        assert s.scalar(select(Customer.renewal_date)) == date(2027, 9, 30)
        renewed = s.scalar(select(AuditEvent).where(AuditEvent.action == "contract.renewed"))
        assert renewed.entity_id == "C-2" and renewed.payload["renewal"] == "C-2-v2"
        assert renewed.at == datetime(2026, 9, 30, 9, 0, tzinfo=clock.now().tzinfo)
        assert len(s.scalars(select(RenewalAlert)).all()) == 4
        assert audit.verify(s).ok


def test_a_late_first_run_sends_only_the_nearest_alert(hub, mailer, sink, clock):
    with hub.session() as s, s.begin():
        contract(s, customer(s), "C-9", end_date=clock.now().date() + timedelta(days=20))
    assert renewals(hub, mailer).alerts == ["C-9: 30 days (end 2026-03-22)"]
    assert [m["Subject"] for m in sink.take()] == [
        "Renewal in 30 days: contract C-9 (Acme Corp)"]
    with hub.session() as s:
        assert sorted(s.scalars(select(RenewalAlert.days_before))) == [30, 90]
        assert upcoming(s, clock.now())[0]["alerts_sent"] == [90, 30]


def test_a_moved_end_date_alerts_again(hub, mailer, sink, clock):
    with hub.session() as s, s.begin():
        contract(s, customer(s), "C-5", end_date=clock.now().date() + timedelta(days=80))
    assert len(renewals(hub, mailer).alerts) == 1
    with hub.session() as s, s.begin():
        s.scalar(select(Contract)).end_date = clock.now().date() + timedelta(days=85)
    assert renewals(hub, mailer).alerts == ["C-5: 90 days (end 2026-05-26)"]


def test_next_term_keeps_whole_months_and_leap_days() -> None:
    assert next_term(date(2026, 1, 1), date(2026, 12, 31)) == (date(2027, 1, 1),
                                                               date(2027, 12, 31))
    assert next_term(date(2027, 3, 1), date(2028, 2, 29)) == (date(2028, 3, 1),
                                                              date(2029, 2, 28))
    assert next_term(date(2026, 1, 1), date(2026, 1, 10)) == (date(2026, 1, 11),
                                                              date(2026, 1, 20))


def test_status_mentions_alerted_renewals(hub, mailer, sink, clock):
    from core.lifecycle.due import lifecycle_lines, lifecycle_status

    with hub.session() as s, s.begin():
        contract(s, customer(s), "C-7", end_date=clock.now().date() + timedelta(days=25),
                 auto_renew=True)
    assert lifecycle_lines(lifecycle_status(hub)) == []  # nothing alerted yet: silent
    renewals(hub, mailer)
    assert lifecycle_lines(lifecycle_status(hub)) == [
        "renewals: 1 contract(s) alerted for renewal",
        "  C-7 Acme Corp ends 2026-03-27 (25 days, auto-renews); alerts sent: 90d, 30d"]


def test_renewals_cli_runs_lists_and_checks_roles(tmp_path):
    import json
    from datetime import UTC

    from typer.testing import CliRunner

    from core.cli import app
    from core.config import load_config
    from core.db import open_store, session_factory
    from core.lifecycle.roles import PermissionDenied

    cfg_path = tmp_path / "contracthub.yaml"
    cfg_path.write_text('store: {url: "sqlite:///hub.db"}\nactor: ann\n'
                        "users: {ann: admin, vic: viewer}\n")
    engine = open_store(load_config(cfg_path).store_url)
    today = datetime.now(UTC).date()
    with session_factory(engine)() as s, s.begin():
        contract(s, customer(s), "C-8", end_date=today + timedelta(days=20))
    engine.dispose()
    runner = CliRunner()
    base = ["--config", str(cfg_path)]
    denied = runner.invoke(app, [*base, "--as", "vic", "renewals", "run"])
    assert isinstance(denied.exception, PermissionDenied)
    ran = runner.invoke(app, [*base, "renewals", "run"])
    assert ran.exit_code == 0, ran.output
    assert "alerts 1, renewed 0 (signing.smtp not set: no emails)" in ran.output
    listed = runner.invoke(app, [*base, "--as", "vic", "renewals", "list", "--json"])
    rows = json.loads(listed.stdout)
    assert [(r["number"], r["days_left"], r["alerts_sent"]) for r in rows] == [
        ("C-8", 20, [90, 30])]
