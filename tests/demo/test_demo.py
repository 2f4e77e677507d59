"""``contracthub demo`` at a small size: everything converges and lands where it should."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select

from core.demo.book import make_book
from core.demo.run import DemoSize, run_demo
from core.hub import open_hub
from core.models import ServiceCredit, Ticket


def test_book_is_reproducible_and_covers_every_customer() -> None:
    from datetime import date

    a = make_book(date(2026, 12, 4), customers=20, contracts=45)
    b = make_book(date(2026, 12, 4), customers=20, contracts=45)
    assert a == b
    assert len(a.customers) == 20 and len(a.contracts) == 45
    active = {r["customer"] for r in a.contracts
              if r["status"] == "active" and r["end_date"] >= "2026-12-04"}
    assert active == set(a.customers)


def test_demo_converges_and_shows_every_system(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, width=120)
    rc = run_demo(tmp_path, DemoSize(customers=6, contracts=10, tickets=30), console)
    text = out.getvalue()
    assert rc == 0, text
    assert "converged after" in text
    assert "Salesforce: 6 accounts, 10 contracts" in text
    assert "Jira: 30 tickets" in text
    hub = open_hub(tmp_path / "contracthub.yaml")
    with hub.session() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 30
        evaluated = s.scalar(select(func.count()).select_from(Ticket)
                             .where(Ticket.contract_number.is_not(None)))
        assert evaluated and evaluated >= 25     # all but the unknown organisation's
        breached = s.scalar(select(func.count()).select_from(Ticket)
                            .where(Ticket.breached.is_(True)))
        credits = s.scalar(select(func.count()).select_from(ServiceCredit))
    assert (breached or 0) == 0 or credits, "a breach must yield a credit row"
    hub.engine.dispose()


def test_demo_run_twice_in_the_same_folder_starts_fresh(tmp_path: Path) -> None:
    size = DemoSize(customers=3, contracts=4, tickets=5)
    for _ in range(2):
        out = io.StringIO()
        assert run_demo(tmp_path, size, Console(file=out, width=120)) == 0, out.getvalue()
    assert "Salesforce: 3 accounts, 4 contracts" in out.getvalue()


def test_renewal_alerts_of_the_book_reach_both_crms(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_demo(tmp_path, DemoSize(customers=6, contracts=12, tickets=0),
                    Console(file=out, width=160)) == 0, out.getvalue()
    text = out.getvalue()
    assert "Salesforce accounts with a renewal alert:" in text
    assert "Dynamics 365 accounts with a renewal alert:" in text
    assert "-day renewal notice" in text
