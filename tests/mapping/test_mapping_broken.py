"""The corpus of broken configs: each file says on its first line which problem
it must produce, as ``# expect: LINE:COLUMN: field.path: message``."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.mapping import MappingError, check_mapping, load_mapping
from core.mapping.problems import Problem

from .fakes import LOCAL_FIELDS, REMOTE_SPECS

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(BROKEN.glob("*.yaml"))


def problems_of(path: Path) -> list[Problem]:
    """Load, then check the meaning against the fake describe: all problems found."""
    try:
        mapping = load_mapping(path)
    except MappingError as exc:
        return exc.problems
    return check_mapping(mapping, REMOTE_SPECS[mapping.remote_object],
                         LOCAL_FIELDS[mapping.local_entity])


def expectation(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: ...'"
    return first.removeprefix("# expect: ")


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_broken_config_reports_expected_problem(path: Path) -> None:
    problems = problems_of(path)
    assert problems, f"{path.name} loaded and checked without a problem"
    wanted = f"{path}:{expectation(path)}"
    shown = "\n".join(str(p) for p in problems)
    assert any(str(p).startswith(wanted) for p in problems), f"want {wanted}\ngot\n{shown}"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_problem_names_file_line_and_field(path: Path) -> None:
    for problem in problems_of(path):
        assert str(problem).startswith(f"{path}:{problem.line}:{problem.column}: ")
        assert problem.line >= 1 and problem.column >= 1
        assert problem.field_path and problem.message
        assert problem.hint, f"no hint for {problem}"
