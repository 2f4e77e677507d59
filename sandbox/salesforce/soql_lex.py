"""The SOQL tokenizer: text to tokens, and the error Salesforce answers for bad syntax.

``SoqlError`` lays its message out like Salesforce's (the query, a caret,
``ERROR at Row:R:Column:C``, then what went wrong); the parser in ``soql``
raises it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.salesforce import values

KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC",
    "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "TRUE", "FALSE", "NULL",
}
DATE_KEYWORDS = {"TODAY", "YESTERDAY", "TOMORROW"}
N_DAYS_KEYWORDS = {"LAST_N_DAYS", "NEXT_N_DAYS"}
OPERATORS = ("<=", ">=", "!=", "<>", "=", "<", ">")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'",
            "\\": "\\"}
_TEMPORAL_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


class SoqlError(Exception):
    """A query Salesforce would refuse: ``error_code`` and a Salesforce-like message."""

    def __init__(self, error_code: str, detail: str, text: str = "", pos: int | None = None):
        self.error_code = error_code
        self.detail = detail
        self.row, self.column = _row_col(text, pos) if pos is not None else (None, None)
        if pos is not None:
            line = text.splitlines()[self.row - 1] if text else ""
            message = (f"\n{line}\n{' ' * (self.column - 1)}^\n"
                       f"ERROR at Row:{self.row}:Column:{self.column}\n{detail}")
        else:
            message = detail
        self.message = message
        super().__init__(message)


def _row_col(text: str, pos: int) -> tuple[int, int]:
    before = text[:pos]
    row = before.count("\n") + 1
    column = pos - (before.rfind("\n") + 1) + 1
    return row, column


@dataclass(frozen=True)
class Token:
    kind: str  # IDENT KEYWORD STRING NUMBER DATE DATETIME DATE_RANGE OP PUNCT EOF
    text: str
    pos: int
    value: Any = None
    like: str | None = None  # regex for a string used with LIKE




def _string(text: str, start: int) -> Token:
    chars: list[str] = []
    like: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "'":
            return Token("STRING", text[start:i + 1], start, "".join(chars), "".join(like))
        if char == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt in ("%", "_"):
                chars.append("\\" + nxt)
                like.append(re.escape(nxt))
            elif nxt.lower() in _ESCAPES or nxt in _ESCAPES:
                decoded = _ESCAPES.get(nxt, _ESCAPES.get(nxt.lower(), nxt))
                chars.append(decoded)
                like.append(re.escape(decoded))
            elif nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2:i + 6]):
                decoded = chr(int(text[i + 2:i + 6], 16))
                chars.append(decoded)
                like.append(re.escape(decoded))
                i += 4
            else:
                raise SoqlError("MALFORMED_QUERY", "Invalid string literal: illegal "
                                f"escape sequence '\\{nxt}'", text, i)
            i += 2
            continue
        chars.append(char)
        like.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    raise SoqlError("MALFORMED_QUERY", "unterminated string literal", text, start)


def _temporal(text: str, pos: int, raw: str) -> Token:
    if "T" not in raw:
        parsed_date = values.parse_date(raw)
        if parsed_date is None:
            raise SoqlError("MALFORMED_QUERY", f"invalid date: {raw}", text, pos)
        return Token("DATE", raw, pos, parsed_date)
    instant = values.parse_datetime(raw)
    if instant is None:
        raise SoqlError("MALFORMED_QUERY", f"line 1:{pos} no viable alternative at "
                        f"character '{raw}'", text, pos)
    return Token("DATETIME", raw, pos, instant)


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens; raises ``SoqlError`` on an unknown character."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "'":
            token = _string(text, i)
            tokens.append(token)
            i += len(token.text)
        elif char in "(),":
            tokens.append(Token("PUNCT", char, i))
            i += 1
        elif (temporal := _TEMPORAL_RE.match(text, i)) and temporal.group().count("-") >= 2:
            tokens.append(_temporal(text, i, temporal.group()))
            i = temporal.end()
        elif number := _NUMBER_RE.match(text, i):
            raw = number.group()
            tokens.append(Token("NUMBER", raw, i, float(raw) if "." in raw else int(raw)))
            i = number.end()
        elif ident := _IDENT_RE.match(text, i):
            raw = ident.group()
            upper = raw.upper()
            if upper in N_DAYS_KEYWORDS and (days := re.match(r":(\d+)", text[ident.end():])):
                tokens.append(Token("DATE_RANGE", raw + days.group(), i, (upper, int(days[1]))))
                i = ident.end() + days.end()
            elif upper in DATE_KEYWORDS:
                tokens.append(Token("DATE_RANGE", raw, i, (upper, 0)))
                i = ident.end()
            else:
                tokens.append(Token("KEYWORD" if upper in KEYWORDS else "IDENT", raw, i))
                i = ident.end()
        elif op := next((o for o in OPERATORS if text.startswith(o, i)), None):
            tokens.append(Token("OP", op, i))
            i += len(op)
        else:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{char}'", text, i)
    tokens.append(Token("EOF", "<EOF>", len(text)))
    return tokens
