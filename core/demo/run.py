"""``contracthub demo``: the whole hub against the sandbox, from nothing to converged.

Steps: start every emulator; write ``DIR/contracthub.yaml`` reaching them;
create a fresh SQLite store with the sample book (``core.demo.book``); file the
tickets in Jira; run every sync, round after round, until a round changes
nothing; then show what landed where. With ``keep_running`` the emulators stay
up and the daemon keeps syncing until Ctrl-C.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from core.demo.book import Book, agreement_pdf, file_tickets, make_book, write_csv
from core.hub import Hub, open_hub


@dataclass
class Round:
    number: int
    changes: int
    api_calls: int
    results: list[Any] = field(default_factory=list)


@dataclass
class DemoSize:
    customers: int = 50
    contracts: int = 120
    tickets: int = 300


def prepare(folder: Path, box: Any, size: DemoSize, console: Console) -> tuple[Hub, Book]:
    from core.importer import import_contracts
    from sandbox.launch import write_config

    for stale in ("contracthub.db", "blobs"):
        target = folder / stale
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    path = write_config(box, folder, every="30s")
    hub = open_hub(path, auto_migrate=True)
    book = make_book(hub.clock.now().date(), customers=size.customers, contracts=size.contracts)
    csv_path = write_csv(book, folder / "sample-book.csv")
    with hub.session() as s, s.begin():
        import_contracts(s, csv_path)
    documents = add_executed_documents(hub, book)
    tickets = file_tickets(box["jira"], book, hub.clock.now(), count=size.tickets)
    alerts = renewal_alerts(hub)
    console.print(f"[bold]store[/] {folder / 'contracthub.db'}: {len(book.customers)} customers, "
                  f"{len(book.contracts)} contracts ({csv_path.name}), {documents} executed "
                  f"documents, {alerts} renewal alerts due (no mail server in the demo: they "
                  f"go to the CRMs' Renewal Alert field); [bold]Jira[/]: {tickets} tickets "
                  "filed over 60 days")
    return hub, book


def renewal_alerts(hub: Hub) -> int:
    """The renewal pass the daemon runs, once: alerts for contracts ending soon."""
    from core.lifecycle.renewals import run_renewals

    with hub.session() as s:
        return len(run_renewals(s, hub.clock, None, hub.config.renewals).alerts)


def add_executed_documents(hub: Hub, book: Book) -> int:
    from core.documents import add_document

    blobs = hub.blobs()
    added = 0
    with tempfile.TemporaryDirectory() as tmp, hub.session() as s, s.begin():
        for row in book.contracts:
            if row["status"] != "active":
                continue
            file = Path(tmp) / f"{row['number']}-signed.pdf"
            file.write_bytes(agreement_pdf(row))
            add_document(s, blobs, row["number"], file, kind="executed", actor="demo",
                         now=hub.clock.now())
            added += 1
    return added


def converge(hub: Hub, console: Console, max_rounds: int = 6) -> list[Round]:
    """Run every sync until a whole round creates, updates, deletes and pushes nothing."""
    from core.sync.engine import run_cycle
    from core.sync.jobs import build_jobs

    jobs = build_jobs(hub)
    rounds: list[Round] = []
    with console.status("syncing...") as status:
        for n in range(1, max_rounds + 1):
            r = Round(n, 0, 0)
            for job in jobs:
                status.update(f"round {n}: {job.name}")
                result = run_cycle(hub, job)
                c = result.counts
                r.changes += c.created + c.updated + c.deleted + c.pushed
                r.api_calls += c.api_calls
                r.results.append(result)
                line = (f"round {n} {job.name:<13} {result.status:<5} in {c.pulled:>4} "
                        f"(+{c.created} ~{c.updated}) out {c.pushed:>4} "
                        f"dead {c.dead_lettered:>2} calls {c.api_calls:>4}")
                console.print(line + (f"  [red]{result.error}[/]" if result.error else ""),
                              highlight=False)
            rounds.append(r)
            if r.changes == 0:
                console.print(f"[green]converged[/] after {n} rounds "
                              f"({sum(x.api_calls for x in rounds)} API calls in all)")
                break
        else:
            console.print(f"[yellow]still changing after {max_rounds} rounds[/]")
    return rounds


def credit_ledger(hub: Hub) -> None:
    """Price this month's and last month's breaches for every customer (idempotent)."""
    from sqlalchemy import select

    from core.credits import compute_month, month_of
    from core.models import Customer

    now = hub.clock.now()
    with hub.session() as s, s.begin():
        for customer in s.scalars(select(Customer)).all():
            for at in (now, now.replace(day=1) - timedelta(days=1)):
                compute_month(s, customer, month_of(at, customer.timezone or "UTC"), now)


def run_demo(folder: Path, size: DemoSize, console: Console, *, keep_running: bool = False) -> int:
    from core.demo.report import report
    from sandbox.launch import start_sandbox

    folder.mkdir(parents=True, exist_ok=True)
    with console.status("starting the sandbox emulators..."):
        box = start_sandbox()
    with box:
        for name, url in box.urls().items():
            console.print(f"[bold]{name}[/] emulator at {url}")
        hub, _ = prepare(folder, box, size, console)
        rounds = converge(hub, console)
        credit_ledger(hub)
        report(hub, box, console)
        ok = bool(rounds) and rounds[-1].changes == 0
        if keep_running:
            keep(folder, box, console)
        hub.engine.dispose()
    return 0 if ok else 1


def keep(folder: Path, box: Any, console: Console) -> None:
    import scheduler

    console.print(f"\nthe emulators stay up; config: {folder / 'contracthub.yaml'}")
    for name, url in box.urls().items():
        console.print(f"  {name:<12} {url}")
    console.print("the daemon keeps syncing every 30 s; Ctrl-C stops everything")
    scheduler.main(str(folder / "contracthub.yaml"))
