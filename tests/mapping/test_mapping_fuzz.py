"""Whatever an admin types, loading answers with a mapping or a located
``MappingError``, never with a crash; checking never crashes either."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.mapping import MappingError, check_mapping, load_mapping_text

from .fakes import CONTRACT_FIELDS, CONTRACT_SPEC

GOOD = (Path(__file__).parent / "good" / "salesforce_contracts.yaml").read_text()
LINES = GOOD.splitlines(keepends=True)
PROBLEM = re.compile(r"^m\.yaml:\d+:\d+: \S.*: .+")

edits = st.lists(st.tuples(
    st.sampled_from(["delete", "duplicate", "insert", "replace_char"]),
    st.integers(0, len(LINES) - 1),
    st.lists(st.sampled_from(list(" \t-:{}[]'\"#&*!|>%@`,?~\n") + ["ab", "1", "null", "<<"]),
             max_size=6).map("".join),
), min_size=1, max_size=4)


def mutate(ops: list[tuple[str, int, str]]) -> str:
    lines = list(LINES)
    for op, at, junk in ops:
        at %= len(lines) or 1
        if not lines:
            break
        if op == "delete":
            del lines[at]
        elif op == "duplicate":
            lines.insert(at, lines[at])
        elif op == "insert":
            lines.insert(at, junk + "\n")
        else:
            line = lines[at]
            pos = len(junk) % max(len(line), 1)
            lines[at] = line[:pos] + junk + line[pos + 1:]
    return "".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits)
def test_any_edit_loads_or_fails_with_located_problems(ops: list[tuple[str, int, str]]) -> None:
    text = mutate(ops)
    try:
        mapping = load_mapping_text(text, "m.yaml")
    except MappingError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert PROBLEM.match(str(problem)), str(problem)
        return
    for problem in check_mapping(mapping, CONTRACT_SPEC, CONTRACT_FIELDS):
        assert PROBLEM.match(str(problem)), str(problem)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes_the_loader(text: str) -> None:
    try:
        load_mapping_text(text, "m.yaml")
    except MappingError:
        pass
