"""``contracthub sla report`` as a user runs it (a subprocess), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.models import AuditEvent, ServiceCredit, SlaPlan, Ticket
from tests.factories import contract, customer

ROOT = Path(__file__).resolve().parent.parent
# Until core/cli/__init__.py imports sla_cmd, load it before running the console entry point.
ENTRY = "import core.cli.sla_cmd; from core.cli import main; main()"
AS_OF = "2026-02-01T00:00:00Z"


def at(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def run(hub, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    cfg = tmp_path / "contracthub.yaml"
    cfg.write_text(json.dumps({"store": {"url": hub.config.store.url}}))
    env = {k: v for k, v in os.environ.items() if k != "CONTRACTHUB_CONFIG"}
    env.update({"COLUMNS": "200", "PYTHONPATH": str(ROOT)})
    return subprocess.run([sys.executable, "-c", ENTRY, "--config", str(cfg), *args],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def acme(hub):
    """C-1: 48,000 USD a year -> monthly fee 4,000.00; 24x7 UTC; sev1 30/240 min,
    sev2 60/480 min; 10% per sev1 breach, 5% per sev2, cap 30% = 1,200.00."""
    with hub.session() as s, s.begin():
        cust = customer(s, "Acme Corp", timezone="UTC")
        plan = SlaPlan(name="Gold", targets={
            "sev1": {"first_response_min": 30, "resolution_min": 240},
            "sev2": {"first_response_min": 60, "resolution_min": 480}},
            credit_rule={"percent_per_breach": {"sev1": 10, "sev2": 5},
                         "monthly_cap_percent": 30})
        contract(s, cust, "C-1", coverage="24x7", value=Decimal("48000"), currency="USD",
                 sla_plan=plan, start_date=date(2025, 1, 1))

        def ticket(key, sev, created, fr, res, history=()):
            s.add(Ticket(key=key, customer_id=cust.id, severity=sev, created_at=created,
                         first_response_at=created + timedelta(minutes=fr),
                         resolved_at=created + timedelta(minutes=res),
                         status_history=list(history)))

        # SUP-1: resolved after 360 min > 240: breached Jan 5 13:00 -> 10% = 400.00
        ticket("SUP-1", "sev1", at(2026, 1, 5, 9), 10, 360)
        # SUP-2: first response after 45 min > 30: breached Jan 6 09:30 -> 400.00;
        # resolution 180 <= 240 met
        ticket("SUP-2", "sev1", at(2026, 1, 6, 9), 45, 180)
        # SUP-3: 09:00 -> 16:00 = 420 min, waiting for customer 10:00-12:00 (120):
        # elapsed 300 > 240, due 13:00 + 2h = 15:00 -> 400.00, total 1,200.00 = the cap
        ticket("SUP-3", "sev1", at(2026, 1, 7, 9), 5, 420, [
            {"at": "2026-01-07T09:00:00Z", "status": "Open"},
            {"at": "2026-01-07T10:00:00Z", "status": "Waiting for customer"},
            {"at": "2026-01-07T12:00:00Z", "status": "In Progress"}])
        # SUP-4: 300 min > 240, breached Jan 8 13:00: cap already reached -> 0.00, capped
        ticket("SUP-4", "sev1", at(2026, 1, 8, 9), 20, 300)
        # SUP-5: sev2 answered after 30 of 60, resolved after 180 of 480: met, no credit
        ticket("SUP-5", "sev2", at(2026, 1, 9, 9), 30, 180)
        # SUP-0: December, outside the month
        ticket("SUP-0", "sev1", at(2025, 12, 30, 9), 10, 60)
    return hub


def test_json_report_shows_clocks_credits_and_total(acme, tmp_path):
    r = run(acme, tmp_path, "sla", "report", "--customer", "Acme Corp", "--month", "2026-01",
            "--at", AS_OF, "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert (rep["customer"], rep["month"], rep["as_of"]) == ("Acme Corp", "2026-01",
                                                             "2026-02-01T00:00:00+00:00")
    tickets = {t["key"]: t for t in rep["tickets"]}
    assert list(tickets) == ["SUP-1", "SUP-2", "SUP-3", "SUP-4", "SUP-5"]
    s3 = tickets["SUP-3"]
    assert (s3["contract"], s3["coverage"], s3["severity"]) == ("C-1", "24x7", "sev1")
    assert s3["pauses"] == [{"start": "2026-01-07T10:00:00+00:00",
                             "end": "2026-01-07T12:00:00+00:00"}]
    assert s3["resolution"] == {"target_min": 240, "elapsed_min": 300, "paused_min": 120,
                                "due": "2026-01-07T15:00:00+00:00",
                                "stopped_at": "2026-01-07T16:00:00+00:00", "state": "breached"}
    assert s3["first_response"]["elapsed_min"] == 5 and s3["first_response"]["state"] == "met"
    assert tickets["SUP-2"]["first_response"]["state"] == "breached"
    assert tickets["SUP-2"]["first_response"]["due"] == "2026-01-06T09:30:00+00:00"
    assert tickets["SUP-5"]["resolution"]["state"] == "met" and not tickets["SUP-5"]["breached"]
    credits = [(c["ticket"], c["measure"], c["percent"], c["amount"], c["capped"])
               for c in rep["credits"]]
    assert credits == [("SUP-1", "resolution", "10", "400.00", False),
                       ("SUP-2", "first_response", "10", "400.00", False),
                       ("SUP-3", "resolution", "10", "400.00", False),
                       ("SUP-4", "resolution", "10", "0.00", True)]
    assert rep["credits"][2]["explanation"] == ("10% x 4,000.00 USD monthly fee = 400.00 USD; "
                                                "cap 30% = 1,200.00 USD reached")
    assert rep["credits"][0]["monthly_fee"] == "4000.00"
    assert rep["total"] == {"USD": "1200.00"}


def test_csv_report_and_rerun_keeps_one_ledger(acme, tmp_path):
    args = ("sla", "report", "--customer", "acme corp", "--month", "2026-01", "--at", AS_OF)
    r = run(acme, tmp_path, *args, "--csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    # 5 tickets x 2 measures, then the total
    assert len(rows) == 11
    by = {(x["ticket"], x["measure"]): x for x in rows}
    s3 = by[("SUP-3", "resolution")]
    assert (s3["target_min"], s3["elapsed_min"], s3["paused_min"], s3["state"]) == (
        "240", "300", "120", "breached")
    assert (s3["credit_percent"], s3["credit_amount"], s3["currency"], s3["capped"]) == (
        "10", "400.00", "USD", "False")
    assert by[("SUP-4", "resolution")]["credit_amount"] == "0.00"
    assert by[("SUP-5", "resolution")]["credit_amount"] == ""
    assert (rows[-1]["ticket"], rows[-1]["credit_amount"], rows[-1]["currency"]) == (
        "TOTAL", "1200.00", "USD")
    with acme.session() as s:
        ledger = s.execute(select(ServiceCredit.id, ServiceCredit.amount)
                           .order_by(ServiceCredit.id)).all()
    assert [a for _, a in ledger] == [Decimal("400.00")] * 3 + [Decimal("0.00")]
    r = run(acme, tmp_path, *args)  # the text report, run again
    assert r.returncode == 0, r.stderr
    assert "total credits: 1,200.00 USD" in r.stdout
    assert "cap 30% = 1,200.00 USD already reached: 0.00 USD credited" in r.stdout
    with acme.session() as s:
        assert s.execute(select(ServiceCredit.id, ServiceCredit.amount)
                         .order_by(ServiceCredit.id)).all() == ledger
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "sla.breached")) == 4


def test_dry_run_saves_no_ledger(acme, tmp_path):
    r = run(acme, tmp_path, "sla", "report", "--customer", "Acme Corp", "--month", "2026-01",
            "--at", AS_OF, "--json", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["total"] == {"USD": "1200.00"}
    with acme.session() as s:
        assert s.scalar(select(func.count()).select_from(ServiceCredit)) == 0


def _one_line_error(r: subprocess.CompletedProcess, message: str) -> None:
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stderr.startswith(message) and r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_unknown_customer_exits_1(acme, tmp_path):
    r = run(acme, tmp_path, "sla", "report", "--customer", "Nobody", "--month", "2026-01")
    _one_line_error(r, "error: no customer named 'Nobody'")


@pytest.mark.parametrize("args, message", [
    (["--month", "2026-1"], "error: month '2026-1' is not YYYY-MM (e.g. 2026-01)"),
    (["--month", "2026-13", "--json"], "error: month '2026-13' is not YYYY-MM"),
    (["--month", "2026-01", "--json", "--csv"], "error: give at most one of --json or --csv"),
    (["--month", "2026-01", "--at", "soon"], "error: --at 'soon' is not an ISO time"),
])
def test_bad_options_exit_1_with_one_line(sqlite_hub, tmp_path, args, message):
    # checked before any store work: SQLite alone is enough here
    r = run(sqlite_hub, tmp_path, "sla", "report", "--customer", "Acme Corp", *args)
    _one_line_error(r, message)
