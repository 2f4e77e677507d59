"""Load a mapping file: YAML syntax, then the schema, then what needs no remote.

Every mistake found becomes a ``Problem`` at the line and column of the
node at fault, and all of them are raised together in one ``MappingError``,
so an admin fixes a file in one pass. Checks that need the remote object's
description or the local entity's fields live in ``validate.check_mapping``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.mapping.model import FieldMap, Mapping, Transform, freeze
from core.mapping.problems import FieldPath, MappingError, Problem, render_path
from core.mapping.schema import schema_problems
from core.mapping.transforms import TRANSFORMS
from core.mapping.validate import structure_problems
from core.mapping.yamlsource import Source, locate, parse_yaml


def load_mapping(path: str | Path) -> Mapping:
    """Read and load the mapping file at ``path``; raises ``MappingError``."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise MappingError([Problem(shown, 1, 1, "(file)", f"cannot read the file: {reason}",
                                    "check the path and that it is UTF-8 text")]) from None
    return load_mapping_text(text, shown)


def load_mapping_text(text: str, path: str) -> Mapping:
    """Load a mapping from ``text``; ``path`` names it in problems and gives the default name."""
    source = parse_yaml(text)
    raw = list(source.problems)
    if source.data is not None or not raw:
        raw += schema_problems(source)
    raw += _argument_problems(source, {p for p, *_ in raw})
    problems = [Problem(path, line, col, render_path(p), msg, hint)
                for p, line, col, msg, hint in raw]
    if problems:
        raise MappingError(problems)
    mapping = _build(source, path)
    problems = structure_problems(mapping)
    if problems:
        raise MappingError(problems)
    return mapping


def _transform_items(field: Any, base: FieldPath) -> list[tuple[FieldPath, Any]]:
    spec = field.get("transform") if isinstance(field, dict) else None
    if isinstance(spec, dict):
        return [(base, spec)]
    if isinstance(spec, list):
        return [(base + (j,), item) for j, item in enumerate(spec)]
    return []


def _argument_problems(source: Source, bad: set[FieldPath]
                       ) -> list[tuple[FieldPath, int, int, str, str]]:
    """Checks each transform makes of its own arguments (time zones, formats,
    templates), for transforms whose part of the file passed the schema."""
    data = source.data
    fields = data.get("fields") if isinstance(data, dict) else None
    if not isinstance(fields, list):
        return []
    out = []
    for i, field in enumerate(fields):
        for tpath, item in _transform_items(field, ("fields", i, "transform")):
            if not isinstance(item, dict) or len(item) != 1:
                continue
            (name, args), = item.items()
            if name not in TRANSFORMS or any(p[:len(tpath)] == tpath for p in bad):
                continue
            for sub, message, hint in TRANSFORMS[name].check(args):
                at = tpath + (name,) + sub
                line, column = locate(source.locations, at)
                out.append((at, line, column, message, hint))
    return out


def _build(source: Source, path: str) -> Mapping:
    data = source.data
    match = data.get("match") or {}
    fields = []
    for i, raw in enumerate(data["fields"]):
        transforms = tuple(
            Transform(name, freeze(args), path=tpath)
            for tpath, item in _transform_items(raw, ("fields", i, "transform"))
            for name, args in item.items())
        fields.append(FieldMap(
            local=raw.get("local"), remote=raw["remote"],
            direction=raw.get("direction", "both"), conflict=raw.get("conflict"),
            transforms=transforms, line=locate(source.locations, ("fields", i))[0], index=i))
    return Mapping(
        name=data.get("name") or Path(path).stem,
        connection=data["connection"],
        remote_object=data["remote_object"],
        local_entity=data["local_entity"],
        upsert_key=data.get("upsert_key"),
        match_local=match.get("local"),
        match_remote=match.get("remote"),
        conflict_policy=data.get("conflict_policy", "store_wins"),
        deletes=data.get("deletes", "flag"),
        fields=tuple(fields),
        path=path,
        version=data["version"],
        locations=freeze(source.locations),
    )
