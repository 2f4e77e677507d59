"""The OData ``$filter`` subset Dataverse answers: a tokenizer and a recursive-descent parser.

Grammar (keywords case-sensitive, as OData's are)::

    expr    := or
    or      := and {'or' and}
    and     := unary {'and' unary}
    unary   := 'not' unary | primary
    primary := '(' expr ')' | func | property op literal
    func    := ('contains' | 'startswith' | 'endswith') '(' property ',' string ')'
    op      := eq | ne | gt | ge | lt | le
    literal := 'text' (quotes doubled) | integer | decimal | true | false | null
             | YYYY-MM-DD | YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm) | guid

Anything else raises ``FilterError`` with the position, answered by the app as
Dataverse does: 400 ``{"error": {"code": "0x80060888", "message": "Syntax
error at position N in '...'."}}``. Evaluation (``matches``) follows OData's
null rules: ``eq null`` is true for a missing value, comparisons with null are
false.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
FUNCTIONS = frozenset({"contains", "startswith", "endswith"})
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}\b)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[(),])
""", re.VERBOSE)


class FilterError(Exception):
    """A ``$filter`` Dataverse would refuse, with its message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


@dataclass(frozen=True)
class Compare:
    prop: str
    op: str
    value: Any


@dataclass(frozen=True)
class Func:
    name: str
    prop: str
    value: str


@dataclass(frozen=True)
class Not:
    inner: Any


@dataclass(frozen=True)
class Bool:
    op: str  # "and" | "or"
    left: Any
    right: Any


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FilterError(f"Syntax error at position {pos} in '{text}'.")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def error(self, token: Token | None = None) -> FilterError:
        pos = token.pos if token else len(self.text)
        return FilterError(f"Syntax error at position {pos} in '{self.text}'.")

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> Token:
        tok = self.peek()
        if tok is None or (kind and tok.kind != kind) or (text and tok.text != text):
            raise self.error(tok)
        self.i += 1
        return tok

    def at(self, kind: str, text: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == kind and tok.text == text

    def parse(self) -> Any:
        if not self.tokens:
            raise self.error()
        node = self.or_()
        if self.peek() is not None:
            raise self.error(self.peek())
        return node

    def or_(self) -> Any:
        node = self.and_()
        while self.at("name", "or"):
            self.i += 1
            node = Bool("or", node, self.and_())
        return node

    def and_(self) -> Any:
        node = self.unary()
        while self.at("name", "and"):
            self.i += 1
            node = Bool("and", node, self.unary())
        return node

    def unary(self) -> Any:
        if self.at("name", "not"):
            self.i += 1
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Any:
        if self.at("punct", "("):
            self.i += 1
            node = self.or_()
            self.take("punct", ")")
            return node
        name = self.take("name")
        if name.text in FUNCTIONS and self.at("punct", "("):
            self.i += 1
            prop = self.take("name").text
            self.take("punct", ",")
            arg = self.take("string")
            self.take("punct", ")")
            return Func(name.text, prop, _string(arg.text))
        op = self.take("name")
        if op.text not in OPERATORS:
            raise self.error(op)
        return Compare(name.text, op.text, self.literal())

    def literal(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise self.error()
        self.i += 1
        if tok.kind == "string":
            return _string(tok.text)
        if tok.kind == "guid":
            return str(uuid.UUID(tok.text))
        if tok.kind == "datetime":
            return datetime.fromisoformat(tok.text.replace("Z", "+00:00")).astimezone(UTC)
        if tok.kind == "date":
            try:
                return date.fromisoformat(tok.text)
            except ValueError:
                raise self.error(tok) from None
        if tok.kind == "number":
            return Decimal(tok.text) if "." in tok.text else int(tok.text)
        if tok.kind == "name" and tok.text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[tok.text]
        raise self.error(tok)


def _string(raw: str) -> str:
    return raw[1:-1].replace("''", "'")


def parse(text: str) -> Any:
    """The expression tree of ``text``; ``FilterError`` when it is not in the subset."""
    return _Parser(text).parse()


def properties(node: Any) -> set[str]:
    """Every property name the expression refers to (checked against the table)."""
    if isinstance(node, Compare | Func):
        return {node.prop}
    if isinstance(node, Not):
        return properties(node.inner)
    if isinstance(node, Bool):
        return properties(node.left) | properties(node.right)
    return set()


def matches(node: Any, row: dict[str, Any]) -> bool:
    if isinstance(node, Bool):
        if node.op == "and":
            return matches(node.left, row) and matches(node.right, row)
        return matches(node.left, row) or matches(node.right, row)
    if isinstance(node, Not):
        return not matches(node.inner, row)
    if isinstance(node, Func):
        value = row.get(node.prop)
        if not isinstance(value, str):
            return False
        hay, needle = value.lower(), node.value.lower()  # Dataverse compares case-blind
        return {"contains": needle in hay, "startswith": hay.startswith(needle),
                "endswith": hay.endswith(needle)}[node.name]
    assert isinstance(node, Compare)
    return _compare(row.get(node.prop), node.op, node.value)


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None or right is None:
        same = left is None and right is None
        return same if op == "eq" else (not same if op == "ne" else False)
    left, right = _comparable(left), _comparable(right)
    try:
        return {"eq": left == right, "ne": left != right, "gt": left > right,
                "ge": left >= right, "lt": left < right, "le": left <= right}[op]
    except TypeError:
        return op == "ne"


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value
