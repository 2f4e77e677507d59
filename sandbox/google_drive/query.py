"""The files.list ``q`` language, the subset the hub uses, parsed properly.

Grammar (case-insensitive keywords)::

    expr    := term (('and' | 'or') term)*      -- 'and' binds tighter than 'or'
    term    := 'not' term | '(' expr ')' | clause
    clause  := 'name' ('=' | '!=' | 'contains') STRING
             | 'mimeType' ('=' | '!=') STRING
             | STRING 'in' 'parents'
             | 'trashed' ('=' | '!=') ('true' | 'false')
             | 'appProperties' 'has' '{' 'key' '=' STRING 'and' 'value' '=' STRING '}'

Strings are single-quoted; ``\\'`` and ``\\\\`` escape. Anything else is a
``QueryError`` naming the position, which the app answers as 400 ``invalid``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<op>!=|=|\(|\)|\{|\})"
                    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))")


class QueryError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise QueryError(f"Invalid query: unexpected character at position {pos}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append((kind, value, m.start(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, resolve: Callable[[str], str]) -> None:
        self.resolve = resolve
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, value: str | None = None) -> str:
        tok = self.peek()
        if tok is None:
            raise QueryError(f"Invalid query: expected {value or kind} at the end")
        if tok[0] != kind or (value is not None and tok[1].lower() != value.lower()):
            raise QueryError(f"Invalid query: expected {value or kind} at position {tok[2]}, "
                             f"found {tok[1]!r}")
        self.i += 1
        return tok[1]

    def at_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "word" and tok[1].lower() in words

    def expr(self) -> Predicate:
        left = self.conj()
        while self.at_word("or"):
            self.i += 1
            right = self.conj()
            left = (lambda a, b: lambda f: a(f) or b(f))(left, right)
        return left

    def conj(self) -> Predicate:
        left = self.term()
        while self.at_word("and"):
            self.i += 1
            right = self.term()
            left = (lambda a, b: lambda f: a(f) and b(f))(left, right)
        return left

    def term(self) -> Predicate:
        tok = self.peek()
        if tok is None:
            raise QueryError("Invalid query: a condition was expected at the end")
        if self.at_word("not"):
            self.i += 1
            inner = self.term()
            return lambda f: not inner(f)
        if tok[0] == "op" and tok[1] == "(":
            self.i += 1
            inner = self.expr()
            self.take("op", ")")
            return inner
        return self.clause()

    def clause(self) -> Predicate:
        kind, value, pos = self.peek()  # type: ignore[misc]
        if kind == "str":
            self.i += 1
            self.take("word", "in")
            self.take("word", "parents")
            folder = self.resolve(value)
            return lambda f: folder in f.get("parents", [])
        if kind != "word":
            raise QueryError(f"Invalid query: unexpected {value!r} at position {pos}")
        term = value.lower()
        self.i += 1
        if term in ("name", "mimetype"):
            field = "name" if term == "name" else "mimeType"
            op = self.operator(("=", "!=") + (("contains",) if term == "name" else ()))
            text = self.take("str")
            if op == "=":
                return lambda f: f.get(field) == text
            if op == "!=":
                return lambda f: f.get(field) != text
            return lambda f: text.lower() in str(f.get(field, "")).lower()
        if term == "trashed":
            op = self.operator(("=", "!="))
            flag = self.take("word")
            if flag.lower() not in ("true", "false"):
                raise QueryError(f"Invalid query: trashed takes true or false, not {flag!r}")
            want = (flag.lower() == "true") == (op == "=")
            return lambda f: bool(f.get("trashed")) == want
        if term == "appproperties":
            self.take("word", "has")
            self.take("op", "{")
            self.take("word", "key")
            self.take("op", "=")
            key = self.take("str")
            self.take("word", "and")
            self.take("word", "value")
            self.take("op", "=")
            val = self.take("str")
            self.take("op", "}")
            return lambda f: (f.get("appProperties") or {}).get(key) == val
        raise QueryError(f"Invalid query: unsupported query term {value!r} at position {pos}")

    def operator(self, allowed: tuple[str, ...]) -> str:
        tok = self.peek()
        if tok is None or tok[1].lower() not in allowed:
            where = f"position {tok[2]}" if tok else "the end"
            raise QueryError(f"Invalid query: expected one of {', '.join(allowed)} at {where}")
        self.i += 1
        return tok[1].lower()


def parse(text: str, resolve: Callable[[str], str] = lambda i: i) -> Predicate:
    """A predicate over a file resource dict; raises ``QueryError``. ``resolve``
    maps folder aliases (``'root'``) to ids."""
    if not text.strip():
        return lambda f: True
    parser = _Parser(text, resolve)
    pred = parser.expr()
    if parser.peek() is not None:
        tok = parser.peek()
        raise QueryError(f"Invalid query: unexpected {tok[1]!r} at position {tok[2]}")  # type: ignore[index]
    return pred
