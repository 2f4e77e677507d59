"""A recursive-descent parser for the SOQL subset the hub uses (tokens: ``soql_lex``).

Grammar (keywords case-insensitive)::

    query   := SELECT (COUNT '(' ')' | field {',' field}) FROM object
               [WHERE cond] [ORDER BY order {',' order}] [LIMIT int] [OFFSET int]
    cond    := term {AND term} | term {OR term}     (mixing needs parentheses)
    term    := NOT term | '(' cond ')' | field op literal
             | field [NOT] IN '(' literal {',' literal} ')' | field LIKE string
    op      := = | != | <> | < | <= | > | >=
    order   := field [ASC | DESC] [NULLS (FIRST | LAST)]
    literal := 'string' | number | true | false | null | YYYY-MM-DD
             | YYYY-MM-DDThh:mm:ss[.sss](Z | +hh:mm | -hh:mm)
             | TODAY | YESTERDAY | TOMORROW | LAST_N_DAYS:n | NEXT_N_DAYS:n

Syntax errors raise ``SoqlError`` with ``errorCode`` ``MALFORMED_QUERY`` and
a message laid out like Salesforce's (the query, a caret, ``ERROR at
Row:R:Column:C``, then what went wrong). Binding names to fields happens in
``soql_eval``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce.soql_lex import SoqlError, Token, tokenize

__all__ = ["Query", "SoqlError", "parse", "tokenize"]


@dataclass(frozen=True)
class Literal:
    kind: str  # string number boolean null date datetime date_range
    value: Any
    pos: int
    like: str | None = None


@dataclass(frozen=True)
class FieldRef:
    name: str
    pos: int


@dataclass(frozen=True)
class Compare:
    field: FieldRef
    op: str
    value: Literal


@dataclass(frozen=True)
class InList:
    field: FieldRef
    negate: bool
    items: tuple[Literal, ...]


@dataclass(frozen=True)
class Like:
    field: FieldRef
    value: Literal


@dataclass(frozen=True)
class Not:
    inner: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool = False
    nulls_first: bool | None = None


@dataclass
class Query:
    text: str
    object: FieldRef
    fields: list[FieldRef] = field(default_factory=list)
    count: bool = False
    where: Any = None
    order: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None



# parser --------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, token: Token | None = None) -> SoqlError:
        token = token or self.tok
        shown = "<EOF>" if token.kind == "EOF" else f"'{token.text}'"
        detail = f"unexpected token: {shown}"
        return SoqlError("MALFORMED_QUERY", detail, self.text, token.pos)

    def is_kw(self, *words: str) -> bool:
        return self.tok.kind == "KEYWORD" and self.tok.text.upper() in words

    def take_kw(self, word: str) -> Token:
        if not self.is_kw(word):
            raise self.fail()
        token = self.tok
        self.i += 1
        return token

    def take_punct(self, char: str) -> Token:
        if self.tok.kind != "PUNCT" or self.tok.text != char:
            raise self.fail()
        token = self.tok
        self.i += 1
        return token

    def take_ident(self) -> FieldRef:
        if self.tok.kind != "IDENT":
            raise self.fail()
        token = self.tok
        self.i += 1
        return FieldRef(token.text, token.pos)

    def query(self) -> Query:
        self.take_kw("SELECT")
        query = Query(text=self.text, object=FieldRef("", 0))
        if self.tok.kind == "IDENT" and self.tok.text.upper() == "COUNT" and \
                self.tokens[self.i + 1].text == "(":
            self.i += 1
            self.take_punct("(")
            self.take_punct(")")
            query.count = True
        else:
            query.fields.append(self.take_ident())
            while self.tok.text == ",":
                self.i += 1
                query.fields.append(self.take_ident())
        self.take_kw("FROM")
        query.object = self.take_ident()
        if self.is_kw("WHERE"):
            self.i += 1
            query.where = self.condition()
        if self.is_kw("ORDER"):
            self.i += 1
            self.take_kw("BY")
            query.order.append(self.order_item())
            while self.tok.text == ",":
                self.i += 1
                query.order.append(self.order_item())
        if self.is_kw("LIMIT"):
            self.i += 1
            query.limit = self.integer()
        if self.is_kw("OFFSET"):
            self.i += 1
            query.offset = self.integer()
        if self.tok.kind != "EOF":
            raise self.fail()
        return query

    def integer(self) -> int:
        token = self.tok
        if token.kind != "NUMBER" or not isinstance(token.value, int) or token.value < 0:
            raise self.fail()
        self.i += 1
        return int(token.value)

    def order_item(self) -> OrderItem:
        ref = self.take_ident()
        descending = False
        nulls_first: bool | None = None
        if self.is_kw("ASC", "DESC"):
            descending = self.tok.text.upper() == "DESC"
            self.i += 1
        if self.is_kw("NULLS"):
            self.i += 1
            if not self.is_kw("FIRST", "LAST"):
                raise self.fail()
            nulls_first = self.tok.text.upper() == "FIRST"
            self.i += 1
        return OrderItem(ref, descending, nulls_first)

    def condition(self) -> Any:
        parts = [self.term()]
        joiner: str | None = None
        while self.is_kw("AND", "OR"):
            word = self.tok.text.upper()
            if joiner is not None and word != joiner:
                raise self.fail()
            joiner = word
            self.i += 1
            parts.append(self.term())
        return parts[0] if joiner is None else BoolOp(joiner, tuple(parts))

    def term(self) -> Any:
        if self.is_kw("NOT"):
            self.i += 1
            return Not(self.term())
        if self.tok.text == "(" and self.tok.kind == "PUNCT":
            self.i += 1
            inner = self.condition()
            self.take_punct(")")
            return inner
        ref = self.take_ident()
        if self.tok.kind == "OP":
            op = "!=" if self.tok.text == "<>" else self.tok.text
            self.i += 1
            return Compare(ref, op, self.literal())
        if self.is_kw("LIKE"):
            self.i += 1
            return Like(ref, self.literal())
        negate = False
        if self.is_kw("NOT"):
            negate = True
            self.i += 1
            if not self.is_kw("IN"):
                raise self.fail()
        if self.is_kw("IN"):
            self.i += 1
            self.take_punct("(")
            items = [self.literal()]
            while self.tok.text == "," and self.tok.kind == "PUNCT":
                self.i += 1
                items.append(self.literal())
            self.take_punct(")")
            return InList(ref, negate, tuple(items))
        raise self.fail()

    def literal(self) -> Literal:
        token = self.tok
        kinds = {"STRING": "string", "NUMBER": "number", "DATE": "date",
                 "DATETIME": "datetime", "DATE_RANGE": "date_range"}
        if token.kind in kinds:
            self.i += 1
            return Literal(kinds[token.kind], token.value, token.pos, token.like)
        if self.is_kw("TRUE", "FALSE"):
            self.i += 1
            return Literal("boolean", token.text.upper() == "TRUE", token.pos)
        if self.is_kw("NULL"):
            self.i += 1
            return Literal("null", None, token.pos)
        raise self.fail()


def parse(text: str) -> Query:
    """Parse one SOQL query; raises ``SoqlError`` (``MALFORMED_QUERY``)."""
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "unexpected token: <EOF>", text or "", 0)
    return _Parser(text).query()


__all__ = ["Query", "SoqlError", "parse", "tokenize"]
