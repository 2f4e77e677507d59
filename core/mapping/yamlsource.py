"""YAML text -> plain data plus the line and column of every node.

``yaml.compose`` keeps each node's start mark; we walk the node tree and
build the data ourselves, so every error later found in the data can point
at the exact key or value in the file. Keys are always taken as written
(``on:``/``yes:`` stay text, not booleans); scalar values are resolved by
PyYAML's safe constructors. Duplicate keys, which PyYAML silently merges,
are reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from core.mapping.problems import FieldPath

Location = tuple[int, int, int, int]
"""(value line, value column, key line, key column), all from 1; key is 0, 0 for list items."""


@dataclass
class Source:
    """Parsed YAML: ``data``, node ``locations`` by path, and ``problems``
    as (path, line, column, message, hint)."""

    data: Any = None
    locations: dict[FieldPath, Location] = field(default_factory=dict)
    problems: list[tuple[FieldPath, int, int, str, str]] = field(default_factory=list)
    plain_scalars: dict[FieldPath, str] = field(default_factory=dict)
    """Unquoted scalars that PyYAML turned into something other than text, as written."""


_YAML_HINTS = (
    ("'\\t'", "indent with spaces, not tabs"),
    ("mapping values are not allowed", "check the indentation, or quote a value containing ': '"),
    ("expected <block end>", "check the indentation of this line against the lines above"),
    ("did not find expected key", "check the indentation of this line against the lines above"),
    ("did not find expected '-'", "line up the '-' of every list item"),
    ("found undefined alias", "define the &anchor before using *alias"),
    ("another document", "keep one mapping per file; remove the '---' separator"),
)


def _yaml_hint(message: str) -> str:
    for needle, hint in _YAML_HINTS:
        if needle in message:
            return hint
    return "fix the YAML syntax here"


def locate(locations: Mapping[FieldPath, Location], path: FieldPath, *,
           key: bool = False) -> tuple[int, int]:
    """Line and column of the node at ``path`` (of its key with ``key=True``),
    else of the closest enclosing node, else 1:1."""
    for end in range(len(path), -1, -1):
        loc = locations.get(tuple(path[:end]))
        if loc:
            if key and end == len(path) and loc[2]:
                return loc[2], loc[3]
            return loc[0], loc[1]
    return 1, 1


def parse_yaml(text: str) -> Source:
    source = Source()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = exc.problem or exc.context or "invalid YAML"
        hint = _yaml_hint(f"{exc.context} {message}")
        source.problems.append(((), line, column, f"YAML syntax: {message}", hint))
        return source
    except yaml.YAMLError as exc:
        source.problems.append(((), 1, 1, f"YAML syntax: {exc}", "fix the YAML syntax"))
        return source
    if root is None:
        source.problems.append(((), 1, 1, "the file is empty",
                                "start with version: 1, then connection, remote_object, "
                                "local_entity and fields"))
        return source
    builder = _Builder(source)
    source.locations[()] = (root.start_mark.line + 1, root.start_mark.column + 1, 0, 0)
    source.data = builder.build(root, ())
    return source


class _Builder:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.constructor = yaml.SafeLoader("")
        self.active: set[int] = set()

    def build(self, node: yaml.Node, path: FieldPath) -> Any:
        if id(node) in self.active:
            self._problem(path, node, "recursive alias", "an alias may not contain itself")
            return None
        if isinstance(node, yaml.ScalarNode):
            try:
                value = self.constructor.construct_object(node)
            except (yaml.YAMLError, ValueError) as exc:
                reason = getattr(exc, "problem", None) or str(exc)
                self._problem(path, node, f"cannot read {node.value!r}: {reason}",
                              f"quote it if you mean the text: \"{node.value}\"")
                return node.value
            if not isinstance(value, str) and node.style is None and node.value:
                self.source.plain_scalars[path] = node.value
            return value
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self._child(child, path + (i,), None) for i, child in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(path, key_node, "a key must be a plain name", "write name: value")
                continue
            key = key_node.value
            if key == "<<":
                self._problem(path + (key,), key_node, "merge keys (<<) are not supported",
                              "write the keys out in full")
                continue
            if key in out:
                first = self.source.locations[path + (key,)]
                self._problem(path + (key,), key_node, f"duplicate key {key!r}",
                              f"it is already set on line {first[2]}; keep one")
                continue
            out[key] = self._child(value_node, path + (key,), key_node)
        return out

    def _child(self, node: yaml.Node, path: FieldPath, key_node: yaml.Node | None) -> Any:
        key_mark = key_node.start_mark if key_node is not None else None
        self.source.locations[path] = (
            node.start_mark.line + 1, node.start_mark.column + 1,
            key_mark.line + 1 if key_mark else 0, key_mark.column + 1 if key_mark else 0)
        return self.build(node, path)

    def _problem(self, path: FieldPath, node: yaml.Node, message: str, hint: str) -> None:
        mark = node.start_mark
        self.source.problems.append((path, mark.line + 1, mark.column + 1, message, hint))
