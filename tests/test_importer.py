"""Contract import: all or nothing, every bad row named FILE:LINE: field: problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.importer import ImportRejected, import_contracts
from core.models import Contract, Customer

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "contracts.csv"
HEADER = "number,customer,kind,status,tier,start_date,end_date,coverage,timezone,parent\n"


def test_shipped_example_imports(hub):
    with hub.session() as s, s.begin():
        created = import_contracts(s, EXAMPLE)
    assert len(created) == 8
    with hub.session() as s:
        amend = s.scalar(select(Contract).where(Contract.number == "C-1003"))
        assert amend.parent.number == "C-1001" and amend.kind == "amendment"
        assert s.scalar(select(func.count()).select_from(Customer)) == 4


def test_bad_rows_import_nothing_and_are_all_listed(hub, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(HEADER
                 + "C-1,Acme,support,active,premium,2026-01-01,2026-12-31,24x7,UTC,\n"
                 + "C-2,,support,active,premium,2026-01-01,2026-12-31,24x7,UTC,\n"
                 + "C-3,Acme,support,signed,premium,2026-01-01,2026-12-31,24x7,UTC,\n"
                 + "C-4,Acme,support,active,premium,2026-01-01,2025-12-31,24x7,UTC,\n"
                 + "C-5,Acme,support,active,premium,2026-13-01,,24x7,UTC,\n"
                 + "C-6,Acme,support,active,premium,2026-01-01,,24x7,Mars/Olympus,\n"
                 + "C-1,Acme,support,active,premium,2026-01-01,,24x7,UTC,\n"
                 + "C-7,Acme,amendment,active,premium,2026-01-01,,24x7,UTC,C-404\n")
    with hub.session() as s, pytest.raises(ImportRejected) as exc, s.begin():
        import_contracts(s, f)
    lines = [str(p).replace(str(f), "F") for p in exc.value.problems]
    assert lines == [
        "F:3: customer: missing (required)",
        "F:4: status: unknown status 'signed' (use draft, pending_approval, approved, "
        "out_for_signature, active, expired, terminated, cancelled)",
        "F:5: end_date: 2025-12-31 is before start_date 2026-01-01",
        "F:6: start_date: '2026-13-01' is not a date (use YYYY-MM-DD)",
        "F:7: timezone: unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/London)",
        "F:8: number: duplicate contract number 'C-1' (first on line 2)",
        "F:9: parent: no contract 'C-404' in the file or the store",
    ]
    with hub.session() as s:
        assert s.scalar(select(func.count()).select_from(Contract)) == 0


def test_duplicate_of_a_stored_contract_is_refused(hub, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text(HEADER + "C-1,Acme,support,active,premium,2026-01-01,,24x7,UTC,\n")
    with hub.session() as s, s.begin():
        import_contracts(s, f)
    with hub.session() as s, pytest.raises(ImportRejected, match="already exists"), s.begin():
        import_contracts(s, f)


def test_json_rows_report_their_line(hub, tmp_path):
    f = tmp_path / "c.json"
    rows = [{"number": "J-1", "customer": "Acme", "kind": "support", "start_date": "2026-01-01",
             "scope": ["Platform", "API"], "auto_renew": True},
            {"number": "J-2", "customer": "Acme", "kind": "support", "start_date": "2026-01-01",
             "coverage": "weekends"}]
    f.write_text(json.dumps(rows, indent=2))
    with hub.session() as s, pytest.raises(ImportRejected) as exc, s.begin():
        import_contracts(s, f)
    assert [str(p).replace(str(f), "F") for p in exc.value.problems] == [
        "F:13: coverage: unknown coverage 'weekends' (use 24x7 or business_hours)"]
    f.write_text(json.dumps(rows[:1]))
    with hub.session() as s, s.begin():
        [c] = import_contracts(s, f)
        assert c.scope == ["Platform", "API"] and c.auto_renew is True
