"""Meaning checks: does the mapping fit the remote object and the local entity?

``structure_problems`` needs nothing but the mapping (the loader runs it);
``check_mapping`` also needs the remote object's description (a connector's
``describe``) and the local entity's fields and types. Both return problems
located at the offending node; neither raises.

A remote field may be named by its id or, when unique, by its label (Jira
custom fields are ``customfield_NNNNN`` and their names repeat);
``resolve_remote_name`` returns the id and ``resolve_mapping`` rewrites a
whole mapping to ids.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable
from collections.abc import Mapping as MappingABC

from connectors.base import FieldSpec, ObjectSpec
from core.mapping.model import FieldMap, Mapping, Transform
from core.mapping.problems import FieldPath, Problem, render_path
from core.mapping.transforms import TYPE_HINTS, template_names


class AmbiguousName(LookupError):
    def __init__(self, name: str, candidates: tuple[str, ...]) -> None:
        super().__init__(f"ambiguous field name {name!r}: candidates {', '.join(candidates)}")
        self.name = name
        self.candidates = candidates


def resolve_remote_name(name: str, remote: ObjectSpec) -> str | None:
    """The field id ``name`` refers to: itself if it is an id, else the one field
    labelled ``name``; ``None`` if none. Raises ``AmbiguousName`` if several are."""
    if name in remote.fields:
        return name
    ids = tuple(sorted(fid for fid, spec in remote.fields.items() if spec.label == name))
    if len(ids) > 1:
        raise AmbiguousName(name, ids)
    return ids[0] if ids else None


def resolve_mapping(mapping: Mapping, remote: ObjectSpec) -> Mapping:
    """A copy of ``mapping`` with every remote name replaced by its field id
    (names that do not resolve are kept; ``check_mapping`` reports them)."""
    def rid(name: str | None) -> str | None:
        try:
            return resolve_remote_name(name, remote) or name if name else name
        except AmbiguousName:
            return name
    fields = tuple(dataclasses.replace(f, remote=rid(f.remote)) for f in mapping.fields)
    return dataclasses.replace(mapping, fields=fields, upsert_key=rid(mapping.upsert_key),
                               match_remote=rid(mapping.match_remote))


class _Report:
    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.problems: list[Problem] = []

    def add(self, path: FieldPath, message: str, hint: str = "", *, key: bool = False) -> None:
        line, column = self.mapping.where(path, key=key)
        self.problems.append(Problem(self.mapping.path, line, column, render_path(path),
                                     message, hint))


def _suggest(word: str, options: list[str], fallback: str = "") -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else fallback


def _one_of(words: Iterable[str]) -> str:
    items = sorted(words)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _fpath(f: FieldMap, *rest: str | int) -> FieldPath:
    return ("fields", f.index) + rest


def structure_problems(mapping: Mapping) -> list[Problem]:
    """What is wrong with the mapping on its own: directions against
    transforms, missing ``local``, one writer per local and per remote field."""
    report = _Report(mapping)
    local_writer: dict[str, FieldMap] = {}
    remote_writer: dict[str, FieldMap] = {}
    for f in mapping.fields:
        sources = [t for t in f.transforms if t.kind.is_source]
        for t in sources:
            if t is not f.transforms[0]:
                report.add(t.path + (t.name,), f"{t.name} makes a value from nothing, so it "
                           "must come first in a chain", "move it to the front", key=True)
        if sources and f.direction != "out":
            t = sources[0]
            report.add(t.path + (t.name,), f"{t.name} works outbound only, but direction is "
                       f"{f.direction}", "set direction: out", key=True)
        if sources and f.local is not None:
            report.add(_fpath(f, "local"), f"a {sources[0].name} field takes no local field",
                       "remove local, or drop the transform", key=True)
        if not sources and f.local is None:
            report.add(_fpath(f, "local"), "missing local field",
                       "add 'local: <field>', or use a constant or template with direction: out")
        if f.inbound and f.local is not None and not sources:
            if f.local in local_writer:
                first = local_writer[f.local]
                report.add(_fpath(f, "local"), f"local field {f.local!r} is already written "
                           f"inbound by fields[{first.index}]",
                           "read each local field from one remote field; make the other "
                           "direction: out")
            local_writer.setdefault(f.local, f)
        if f.outbound:
            if f.remote in remote_writer:
                first = remote_writer[f.remote]
                report.add(_fpath(f, "remote"), f"remote field {f.remote!r} is already written "
                           f"by fields[{first.index}]", "write each remote field from one "
                           "mapping entry; make the other direction: in")
            remote_writer.setdefault(f.remote, f)
    return report.problems


def check_mapping(mapping: Mapping, remote: ObjectSpec,
                  local_fields: MappingABC[str, str]) -> list[Problem]:
    """Every problem of ``mapping`` against the remote object described by
    ``remote`` and the local entity whose fields and types are ``local_fields``
    (``string``, ``text``, ``integer``, ``number``, ``boolean``, ``date``,
    ``datetime`` or ``reference:<entity>``)."""
    report = _Report(mapping)
    report.problems.extend(structure_problems(mapping))
    checker = _Checker(mapping, remote, local_fields, report)
    resolved: dict[str, FieldMap] = {}
    for f in mapping.fields:
        spec = checker.remote_field(f.remote, _fpath(f, "remote"))
        local_type = checker.local_field(f.local, _fpath(f, "local")) if f.local else None
        if spec is not None:
            if f.outbound and not spec.writable:
                report.add(_fpath(f, "remote"), f"remote field {f.remote!r} is read-only on "
                           f"{remote.name}", "use direction: in")
            if f.outbound and spec.name in resolved and resolved[spec.name].remote != f.remote:
                report.add(_fpath(f, "remote"), f"{f.remote!r} is the same remote field as "
                           f"{resolved[spec.name].remote!r} in fields[{resolved[spec.name].index}]",
                           "write each remote field from one mapping entry")
            if f.outbound:
                resolved.setdefault(spec.name, f)
        checker.transforms_fit(f, spec, local_type)
    checker.keys(resolved)
    return report.problems


class _Checker:
    def __init__(self, mapping: Mapping, remote: ObjectSpec,
                 local_fields: MappingABC[str, str], report: _Report) -> None:
        self.mapping, self.remote, self.local_fields = mapping, remote, local_fields
        self.add = report.add

    def remote_field(self, name: str, path: FieldPath, what: str = "remote field"
                     ) -> FieldSpec | None:
        try:
            fid = resolve_remote_name(name, self.remote)
        except AmbiguousName as exc:
            self.add(path, f"ambiguous field name {name!r}: candidates "
                     f"{', '.join(exc.candidates)}", "name the field by its id")
            return None
        if fid is None:
            options = list(self.remote.fields) + [s.label for s in self.remote.fields.values()
                                                  if s.label]
            self.add(path, f"{what} {name!r} not found on {self.remote.name}",
                     _suggest(name, options, "see the fields the connector describes"))
            return None
        return self.remote.fields[fid]

    def local_field(self, name: str, path: FieldPath, what: str = "local field") -> str | None:
        if name in self.local_fields:
            return self.local_fields[name]
        self.add(path, f"{what} {name!r} not found on {self.mapping.local_entity}",
                 _suggest(name, list(self.local_fields), "allowed: "
                          + ", ".join(sorted(self.local_fields))))
        return None

    def transforms_fit(self, f: FieldMap, spec: FieldSpec | None, local_type: str | None) -> None:
        local_kind = local_type.split(":")[0] if local_type else None
        for t in f.transforms:
            where = t.path + (t.name,)
            if t.name == "template":
                for name in template_names(t.args):
                    if name not in self.local_fields:
                        self.add(where, f"template field {{{name}}} is not a local field of "
                                 f"{self.mapping.local_entity}", _suggest(name, list(
                                     self.local_fields), "use fields of the local entity"))
            if t.name in ("lookup", "find") and local_kind == "reference":
                entity = local_type.partition(":")[2]
                if entity and t.args["entity"] != entity:
                    self.add(where + ("entity",), f"local field {f.local!r} refers to {entity}, "
                             f"not {t.args['entity']}", f"use entity: {entity}")
        if not f.transforms:
            self._untransformed(f, spec, local_kind)
            return
        first, last = f.transforms[0], f.transforms[-1]
        kind = first.kind
        if local_kind and kind.local_types and local_kind not in kind.local_types:
            self.add(first.path + (first.name,), f"{first.name} transform does not fit local "
                     f"field {f.local!r} ({local_type}); it needs {_one_of(kind.local_types)}",
                     self._type_hint(first.name, local_kind), key=True)
        if spec is not None and spec.type not in last.kind.remote_types:
            self.add(last.path + (last.name,), f"{last.name} transform does not fit remote "
                     f"field {f.remote!r} ({spec.type}); it needs "
                     f"{_one_of(last.kind.remote_types)}",
                     TYPE_HINTS.get(spec.type, "map another remote field"), key=True)
        if spec is not None and last.name == "enum" and spec.choices:
            self._enum_choices(last, spec)

    def _type_hint(self, transform: str, local_kind: str) -> str:
        if transform == "lookup":
            refs = sorted(n for n, t in self.local_fields.items() if t.startswith("reference:"))
            return "lookup maps reference fields" + (f" such as {', '.join(refs)}" if refs else "")
        return TYPE_HINTS.get(local_kind, f"use a transform that reads {local_kind}, or none")

    def _enum_choices(self, t: Transform, spec: FieldSpec) -> None:
        values = [(("map", k), v) for k, v in t.args["map"].items()]
        if "default_out" in t.args:
            values.append((("default_out",), t.args["default_out"]))
        for sub, value in values:
            if value is not None and str(value) not in spec.choices:
                self.add(t.path + ("enum",) + sub, f"{value!r} is not in the picklist of "
                         f"{self.remote.name}.{spec.name}",
                         _suggest(str(value), list(spec.choices),
                                  "choices: " + ", ".join(spec.choices)))

    def _untransformed(self, f: FieldMap, spec: FieldSpec | None, local_kind: str | None) -> None:
        if local_kind == "reference":
            entity = self.local_fields[f.local].partition(":")[2] or "<entity>"
            self.add(_fpath(f, "local"), f"local field {f.local!r} holds a store id of a "
                     f"{entity}", f"add transform: {{lookup: {{entity: {entity}}}}}")
            return
        if spec is None or local_kind is None:
            return
        group = {"text": "string", "enum": "string", "id": "string", "integer": "number"}
        a, b = group.get(local_kind, local_kind), group.get(spec.type, spec.type)
        if a != b and "string" not in (a, b):
            self.add(_fpath(f, "remote"), f"local {f.local!r} is {local_kind} but remote "
                     f"{f.remote!r} is {spec.type}", TYPE_HINTS.get(
                         local_kind, "add a transform that converts between them"))

    def keys(self, written: dict[str, FieldMap]) -> None:
        m = self.mapping
        if m.upsert_key:
            spec = self.remote_field(m.upsert_key, ("upsert_key",), "field")
            if spec is not None and not spec.external_id:
                ext = [n for n, s in self.remote.fields.items() if s.external_id]
                self.add(("upsert_key",), f"{m.upsert_key!r} is not an external-id field on "
                         f"{self.remote.name}", "use one of " + ", ".join(ext) if ext else
                         "create an external-id field in the remote system")
            if spec is not None and spec.name in written:
                self.add(_fpath(written[spec.name], "remote"), f"{m.upsert_key!r} is the "
                         "upsert key; the engine writes the store's id there",
                         "remove this field, or make it direction: in")
        if m.match_remote:
            self.remote_field(m.match_remote, ("match", "remote"), "field")
        if m.match_local:
            self.local_field(m.match_local, ("match", "local"), "field")


__all__ = ["AmbiguousName", "check_mapping", "resolve_mapping", "resolve_remote_name",
           "structure_problems"]
