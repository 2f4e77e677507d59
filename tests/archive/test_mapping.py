"""Archive mapping files: every mistake reported as FILE:LINE:COLUMN, paths made safe."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.archive.mapping import Period, is_archive_mapping, load_archive_mapping
from core.archive.paths import render, safe_name
from core.mapping.problems import MappingError

ROOT = Path(__file__).resolve().parents[2]


def problems(tmp_path: Path, text: str) -> list[str]:
    p = tmp_path / "m.yaml"
    p.write_text(text)
    with pytest.raises(MappingError) as err:
        load_archive_mapping(p)
    return [str(x) for x in err.value.problems]


def test_the_shipped_mapping_loads():
    m = load_archive_mapping(ROOT / "mappings" / "drive_archive.yaml")
    assert m.connection == "drive" and m.kinds == ("executed", "certificate")
    assert m.period_for("executed") == Period(7, "y")
    assert m.period_for("certificate") == Period(10, "y")
    assert is_archive_mapping(ROOT / "mappings" / "drive_archive.yaml")
    assert not is_archive_mapping(ROOT / "mappings" / "salesforce_accounts.yaml")


def test_every_mistake_at_once_with_file_line_and_column(tmp_path):
    found = problems(tmp_path, """\
version: 1
archive:
  connection: drive
  path: "Contracts/{customer.nmae}/{contract.number:>10}.pdf"
  kinds: [executed, signed]
  retention:
    default: seven years
    by_kind: {certificate: 10w, memo: 1y}
  colour: blue
""")
    where = str(tmp_path / "m.yaml")
    assert f"{where}:4:9: archive.path: unknown placeholder {{customer.nmae}}" in \
        "\n".join(found)
    assert any(":4:9: archive.path: placeholder {contract.number} has a format" in p
               for p in found)
    assert any(":5:21: archive.kinds[1]: unknown document kind 'signed'" in p for p in found)
    assert any(":7:14: archive.retention.default: 'seven years' is not a period" in p
               for p in found)
    assert any("archive.retention.by_kind.certificate: '10w' is not a period" in p
               for p in found)
    assert any("archive.retention.by_kind.memo: unknown document kind 'memo'" in p
               for p in found)
    assert any(":9:3: archive.colour: unknown key 'colour'" in p for p in found)


@pytest.mark.parametrize("path,message", [
    ("/Contracts/{contract.number}.pdf", "must be relative"),
    ("Contracts//{contract.number}.pdf", "must be relative"),
    ("Contracts/../{contract.number}.pdf", "'.' and '..'"),
    ("Contracts/all.pdf", "no placeholder"),
    ("Contracts/{contract.number.pdf", "does not parse"),
])
def test_bad_path_templates(tmp_path, path, message):
    found = problems(tmp_path, f'version: 1\narchive: {{connection: drive, path: "{path}"}}\n')
    assert any(message in p for p in found), found


def test_version_and_shape(tmp_path):
    assert any("version must be 1" in p for p in problems(
        tmp_path, "version: 2\narchive: {connection: d, path: '{document.id}'}\n"))
    assert any("archive must be a mapping" in p for p in problems(tmp_path, "version: 1\n"
                                                                             "archive: [1]\n"))
    assert any("YAML syntax" in p for p in problems(tmp_path, "version: 1\narchive: {\n"))


def test_values_become_safe_names():
    assert safe_name('Acme: "R&D" / EU?') == "Acme_ _R&D_ _ EU_"
    assert safe_name(" ..hidden.. ") == "hidden"
    assert safe_name("") == "_" and len(safe_name("x" * 500)) == 120
    path = render("Contracts/{customer.name}/{contract.number}-v{version}.{ext}",
                  {"customer.name": "../../etc", "contract.number": "C/1", "version": 2,
                   "ext": "pdf"})
    assert path == "Contracts/_.._etc/C_1-v2.pdf"


def test_periods_count_calendar_months_and_years():
    start = datetime(2024, 2, 29, tzinfo=UTC)
    assert Period(1, "y").after(start) == datetime(2025, 2, 28, tzinfo=UTC)
    assert Period(18, "m").after(start) == datetime(2025, 8, 29, tzinfo=UTC)
    assert Period(90, "d").after(start) == datetime(2024, 5, 29, tzinfo=UTC)


def test_check_archive_file_for_mappings_validate(tmp_path):
    from core.archive.mapping import check_archive_file

    shipped = str(ROOT / "mappings" / "drive_archive.yaml")
    problems, note = check_archive_file(shipped, "drive", {"drive": {"type": "google_drive"}})
    assert problems == [] and "to connection 'drive' (google_drive)" in note
    problems, _ = check_archive_file(shipped, "gdrive", {"drive": {"type": "google_drive"}})
    assert [str(p) for p in problems] == [
        f"{shipped}:5:15: archive.connection: connection is 'drive' but the sync using this "
        "file uses 'gdrive' (use connection: gdrive)"]
    problems, _ = check_archive_file(shipped, None, {})
    assert "connection 'drive' is not configured" in str(problems[0])
