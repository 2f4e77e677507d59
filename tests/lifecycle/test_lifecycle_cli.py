"""The lifecycle commands as a user runs them: roles via config and --as, one-line
errors, templates, draft, submit/approve/reject, approvals list and bulk."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.cli.conftest import EXAMPLE_CSV, ok, run

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """\
store: {url: "sqlite:///hub.db"}
actor: sam
users: {sam: support, lee: legal, fin: finance, val: viewer, ada: admin}
"""
FIELDS = ["--field", "customer_signatory=Jane Doe", "--field", "customer_signatory_title=CTO"]


@pytest.fixture
def hub_dir(tmp_path: Path) -> Path:
    (tmp_path / "contracthub.yaml").write_text(CONFIG)
    ok(tmp_path, "--as", "ada", "contracts", "import", str(EXAMPLE_CSV))
    return tmp_path


def fails(cwd: Path, *args: str) -> str:
    r = run(cwd, *args)
    assert r.returncode == 1, f"{args}: {r.stdout}\n{r.stderr}"
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_roles_templates_and_an_approval_round_trip(hub_dir: Path) -> None:
    names = [t["name"] for t in json.loads(ok(hub_dir, "templates", "list", "--json").stdout)]
    assert names == ["renewal_amendment", "sla_addendum", "support_agreement"]
    body = hub_dir / "sa.html.j2"
    shutil.copy(ROOT / "templates" / "support_agreement.html.j2", body)
    body.write_text(body.read_text() + "<p>Version two.</p>\n")
    assert fails(hub_dir, "--as", "val", "templates", "publish", "support_agreement",
                 str(body)) == ("error: val (role viewer) may not templates.publish; allowed: "
                                "admin, legal")
    assert "published: support_agreement v2" in ok(
        hub_dir, "--as", "lee", "templates", "publish", "support_agreement", str(body)).stdout

    line = fails(hub_dir, "contracts", "draft", "--template", "support_agreement",
                 "--customer", "Acme Corp", *FIELDS)
    assert line.startswith("error: template support_agreement v2, line ")
    assert line.endswith("merge field 'governing_law' is not defined")
    out = ok(hub_dir, "contracts", "draft", "--template", "support_agreement", "--customer",
             "Acme Corp", *FIELDS, "--field", "governing_law=Delaware", "--field",
             "value=75000", "--field", "discount_percent=20").stdout
    assert "drafted CH-" in out
    number = out.split()[1]

    ok(hub_dir, "templates", "render", "support_agreement", "--contract", number, "--out",
       "a.pdf")
    text = PdfReader(io.BytesIO((hub_dir / "a.pdf").read_bytes())).pages[0].extract_text()
    assert "Acme Corp" in text and number in text
    ok(hub_dir, "templates", "render", "support_agreement", "--contract", number, "--out",
       "a.html")
    assert "Version two." in (hub_dir / "a.html").read_text()

    submitted = ok(hub_dir, "contracts", "submit", number).stdout
    assert "step 2 (legal: discount 20% over 15%)" in submitted
    assert "step 3 (finance: value USD 75,000.00 over 50,000)" in submitted
    mine = json.loads(ok(hub_dir, "approvals", "list", "--mine", "--json").stdout)
    assert [(r["number"], r["waiting_for"]) for r in mine] == [(number, "support")]
    assert json.loads(ok(hub_dir, "--as", "fin", "approvals", "list", "--mine",
                         "--json").stdout) == []
    assert "cannot decide step 1" in fails(hub_dir, "--as", "fin", "contracts", "approve", number)
    ok(hub_dir, "contracts", "approve", number, "--comment", "scope checked")
    assert fails(hub_dir, "--as", "lee", "contracts", "reject", number, "--comment", " "
                 ) == "error: a rejection needs a --comment saying what to change"
    assert "is now draft" in ok(hub_dir, "--as", "lee", "contracts", "reject", number,
                                "--comment", "15% at most").stdout
    assert fails(hub_dir, "--as", "mallory", "approvals", "list").startswith(
        "error: mallory (role none: not listed under users")


def test_bulk_reports_bad_rows_and_exits_1(hub_dir: Path) -> None:
    (hub_dir / "bulk.csv").write_text(
        "customer,customer_signatory,customer_signatory_title,governing_law\n"
        "Acme Corp,Jane,CTO,Delaware\n"
        "Nobody,Jane,CTO,Delaware\n"
        "Acme Corp,Jane,CTO,\n")
    r = run(hub_dir, "contracts", "bulk", "support_agreement", "bulk.csv")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "bulk.csv:2: CH-" in r.stdout and "pending_approval" in r.stdout
    assert "bulk.csv:3: no customer named 'Nobody'" in r.stderr
    assert "bulk.csv:4: template support_agreement v1, line " in r.stderr
    assert "1 contract(s) drafted and submitted, 2 row(s) rejected" in r.stdout
    assert fails(hub_dir, "--as", "val", "contracts", "bulk", "support_agreement",
                 "bulk.csv").startswith("error: val (role viewer) may not contracts.bulk")
