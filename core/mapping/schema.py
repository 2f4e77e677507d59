"""The JSON Schema of the mapping format, and its errors said for admins.

``schema.json`` ships with the package so editors can validate with it too.
jsonschema's own messages are written for programmers ("Additional
properties are not allowed ('diretion' was unexpected)"); ``schema_problems``
turns each error into a sentence about the key or value at fault, with what
would be right.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterator
from functools import lru_cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from core.mapping.problems import FieldPath, render_path
from core.mapping.transforms import TRANSFORMS
from core.mapping.yamlsource import Source, locate

RawProblem = tuple[FieldPath, int, int, str, str]


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    text = files("core.mapping").joinpath("schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def mapping_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a mapping file; a fresh copy each call."""
    return copy.deepcopy(_schema())


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(_schema())


_MISSING_HINTS = {
    "version": "add 'version: 1' at the top",
    "connection": "add 'connection: <a connection name from contracthub.yaml>'",
    "remote_object": "add 'remote_object: <the remote object, e.g. Contract>'",
    "local_entity": "add 'local_entity: customer, contract, ticket or document'",
    "fields": "add 'fields:' with one '- local: ... remote: ...' item per field",
    "remote": "name the remote field, e.g. 'remote: Status'",
    "map": "add 'map: {local value: remote value, ...}'",
    "entity": "add 'entity: customer' (or contract, ticket, document)",
}

_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "text",
               "integer": "a whole number", "number": "a number",
               "boolean": "true or false", "null": "nothing"}


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"text {value!r}"
    return f"{type(value).__name__} {value}"


def _one_of(options: list[Any]) -> str:
    words = [str(o) for o in options]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _suggest(word: str, options: list[str], fallback: str) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else fallback


def schema_problems(source: Source) -> list[RawProblem]:
    """Every schema error in ``source.data``, located and explained."""
    problems: list[RawProblem] = []
    for error in _validator().iter_errors(source.data):
        problems.extend(_explain(error, source))
    return problems


def _explain(error: ValidationError, source: Source) -> Iterator[RawProblem]:
    path: FieldPath = tuple(error.absolute_path)
    def where(p: FieldPath, *, key: bool = False) -> tuple[int, int]:
        return locate(source.locations, p, key=key)

    keyword, expected, value = error.validator, error.validator_value, error.instance
    title = error.schema.get("title") if isinstance(error.schema, dict) else None

    if keyword == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        for key in [k for k in value if k not in allowed]:
            line, column = where(path + (key,), key=True)
            if title == "transform":
                hint = _suggest(key, allowed, "use one of " + ", ".join(allowed))
                yield path + (key,), line, column, f"unknown transform {key!r}", hint
            else:
                hint = _suggest(key, allowed, "allowed keys: " + ", ".join(allowed))
                yield path + (key,), line, column, f"unknown key {key!r}", hint
    elif keyword == "required":
        for key in [k for k in expected if k not in value]:
            line, column = where(path)
            hint = _MISSING_HINTS.get(key, f"add '{key}: ...'")
            yield path + (key,), line, column, "missing required key", hint
    elif keyword == "dependentRequired":
        for key, needs in expected.items():
            for other in [n for n in needs if key in value and n not in value]:
                line, column = where(path + (key,), key=True)
                yield path, line, column, f"{key!r} needs {other!r} too", f"add '{other}: ...'"
    elif keyword in ("enum", "const"):
        options = expected if keyword == "enum" else [expected]
        line, column = where(path)
        if path == ("version",):
            message = f"unsupported version {value!r}" if value is not None else "no version"
            yield path, line, column, message, "only version 1 exists: write 'version: 1'"
            return
        hint = _suggest(str(value), [str(o) for o in options], "use " + _one_of(options)) \
            if isinstance(value, str) else "use " + _one_of(options)
        yield path, line, column, f"{value!r} is not one of {', '.join(map(str, options))}", hint
    elif keyword == "type":
        line, column = where(path)
        wanted = expected if isinstance(expected, list) else [expected]
        message = f"expected {_one_of([_TYPE_NAMES[t] for t in wanted])}, got {_describe(value)}"
        yield path, line, column, message, _type_hint(path, wanted, source)
    elif keyword in ("minItems", "minProperties") and not value:
        line, column = where(path)
        yield path, line, column, "must not be empty", _empty_hint(path)
    elif keyword == "maxProperties" and title == "transform":
        line, column = where(path)
        names = ", ".join(value)
        yield path, line, column, f"one transform per item, got {names}", \
            "for a chain write a list: [{string: {trim: true}}, {string: {truncate: 80}}]"
    elif keyword in ("minimum", "maximum"):
        line, column = where(path)
        word = "less than the minimum" if keyword == "minimum" else "more than the maximum"
        bound = ">=" if keyword == "minimum" else "<="
        yield path, line, column, f"{value} is {word} of {expected}", \
            f"use a whole number {bound} {expected}"
    elif keyword == "minLength":
        line, column = where(path)
        yield path, line, column, "must not be empty", "write a value or remove the key"
    elif keyword == "pattern":
        line, column = where(path)
        yield path, line, column, f"{value!r} is not a valid name", \
            "use letters, digits, '_', '-' and '.'"
    else:
        line, column = where(path)
        yield path, line, column, error.message, ""


def _type_hint(path: FieldPath, wanted: list[str], source: Source) -> str:
    written = source.plain_scalars.get(path)
    if written is not None and "string" in wanted:
        return f"quote it if you mean the text: \"{written}\""
    in_transform = bool(path) and (path[-1] == "transform" or path[-2:-1] == ("transform",))
    value = _at(source.data, path)
    if in_transform and isinstance(value, str) and value in TRANSFORMS:
        return f"write {{{value}: {{}}}}"
    if in_transform:
        return "write transform: {name: {args}} or a list of them"
    if path == ("fields",):
        return "write each field as a list item starting with '- '"
    if path[-1:] and isinstance(path[-1], int) and path[:1] == ("fields",):
        return "each field is a mapping such as {local: number, remote: ContractNumber}"
    return f"write {_one_of([_TYPE_NAMES[t] for t in wanted])}"


def _at(data: Any, path: FieldPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _empty_hint(path: FieldPath) -> str:
    if path == ("fields",):
        return "add at least one '- local: ... remote: ...' item"
    if path and path[-1] == "transform":
        return "name a transform or remove the key"
    return f"give {render_path(path)} at least one entry or remove it"
