"""JQL: a real tokenizer and a recursive-descent parser for the subset the
emulator answers.

Grammar (keywords case-insensitive; ``&&``/``&`` mean AND, ``||``/``|`` OR,
``!`` NOT)::

    query    := [or_expr] [ORDER BY sort ("," sort)*]
    or_expr  := and_expr (OR and_expr)*
    and_expr := not_expr (AND not_expr)*
    not_expr := NOT not_expr | "(" or_expr ")" | clause
    clause   := field op operand
    field    := word | "quoted name" | cf[NNNNN]
    op       := = | != | > | >= | < | <= | ~ | !~ | IN | NOT IN | IS | IS NOT
    operand  := value | function "(" args ")" | EMPTY | NULL | "(" value ("," value)* ")"
    sort     := field [ASC | DESC]

Syntax errors raise ``JqlError`` with Jira's sentences ("Error in the JQL
Query: Expecting operator but got 'x'. The valid operators are ... (line 1,
character 12)"). Precedence as Jira documents it: comparison, NOT, AND, OR.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "Error in the JQL Query: "
VALID_OPERATORS = ("The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', "
                   "'IN', 'NOT IN', 'IS' and 'IS NOT'.")
KEYWORDS = frozenset({"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc",
                      "desc"})
OPERATOR_CHARS = "=!<>~"
STOP_CHARS = set(" \t\r\n\"'(),=!<>~&|")
SYMBOLS = {"&&": "and", "&": "and", "||": "or", "|": "or"}


class JqlError(Exception):
    """A JQL the emulator refuses; ``messages`` go to ``errorMessages``."""

    def __init__(self, *messages: str) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(messages))


# tokens ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # word | string | op | lparen | rparen | comma | keyword | eof
    text: str
    line: int
    col: int

    @property
    def where(self) -> str:
        return f"(line {self.line}, character {self.col})"

    def is_kw(self, *words: str) -> bool:
        return self.kind == "keyword" and self.text.lower() in words


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, line, line_start = 0, 1, 0
    while i < len(text):
        ch = text[i]
        col = i - line_start + 1
        if ch == "\n":
            i, line, line_start = i + 1, line + 1, i + 1
            continue
        if ch.isspace():
            i += 1
            continue
        if ch in "\"'":
            value, i = _quoted(text, i, line, col)
            tokens.append(Token("string", value, line, col))
            continue
        two = text[i:i + 2]
        if two in ("!=", "!~", ">=", "<="):
            tokens.append(Token("op", two, line, col))
            i += 2
        elif ch in "=<>~":
            tokens.append(Token("op", ch, line, col))
            i += 1
        elif ch == "!":
            tokens.append(Token("keyword", "not", line, col))
            i += 1
        elif two in SYMBOLS or ch in SYMBOLS:
            sym = two if two in SYMBOLS else ch
            tokens.append(Token("keyword", SYMBOLS[sym], line, col))
            i += len(sym)
        elif ch in "(),":
            kind = {"(": "lparen", ")": "rparen", ",": "comma"}[ch]
            tokens.append(Token(kind, ch, line, col))
            i += 1
        else:
            start = i
            while i < len(text) and text[i] not in STOP_CHARS:
                i += 1
            word = text[start:i]
            kind = "keyword" if word.lower() in KEYWORDS else "word"
            tokens.append(Token(kind, word, line, col))
    tokens.append(Token("eof", "", line, len(text) - line_start + 1))
    return tokens


def _quoted(text: str, start: int, line: int, col: int) -> tuple[str, int]:
    quote, i, out = text[start], start + 1, []
    escapes = {"n": "\n", "t": "\t", "r": "\r"}
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and i + 5 < len(text):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(escapes.get(nxt, nxt))
            i += 2
            continue
        if ch == quote:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise JqlError(f"{PREFIX}The quoted string '{''.join(out)}' has not been completed. "
                   f"(line {line}, character {col})")


# syntax tree ----------------------------------------------------------------------
@dataclass(frozen=True)
class FieldName:
    text: str
    token: Token


@dataclass(frozen=True)
class Literal:
    text: str
    quoted: bool


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Empty:
    pass


Value = Literal | Function | Empty


@dataclass(frozen=True)
class ValueList:
    items: tuple[Value, ...]


@dataclass(frozen=True)
class Clause:
    field: FieldName
    op: str  # "=", "!=", ">", ">=", "<", "<=", "~", "!~", "in", "not in", "is", "is not"
    operand: Value | ValueList


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Clause | BoolOp | Not


@dataclass(frozen=True)
class SortKey:
    field: FieldName
    descending: bool


@dataclass(frozen=True)
class Query:
    where: Node | None
    order: tuple[SortKey, ...]


# parser -----------------------------------------------------------------------------
def parse(text: str) -> Query:
    """Parse a JQL string; ``JqlError`` with Jira's wording when it is not JQL."""
    return _Parser(tokenize(text)).query()


def _shown(tok: Token) -> str:
    return tok.text


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, expecting: str, at_end: str | None = None, tail: str = "") -> JqlError:
        tok = self.tok
        if tok.kind == "eof":
            return JqlError(PREFIX + (at_end or f"Expecting {expecting} before the end of the "
                                                f"query.") + tail)
        extra = f" {tail.strip()}" if tail else ""
        return JqlError(f"{PREFIX}Expecting {expecting} but got '{_shown(tok)}'.{extra} "
                        f"{tok.where}")

    def query(self) -> Query:
        where: Node | None = None
        if not self.tok.is_kw("order") and self.tok.kind != "eof":
            where = self.or_expr()
        order: tuple[SortKey, ...] = ()
        if self.tok.is_kw("order"):
            order = self.order_by()
        if self.tok.kind != "eof":
            raise self.fail("either 'OR' or 'AND'")
        return Query(where, order)

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.tok.is_kw("or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.tok.is_kw("and"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def not_expr(self) -> Node:
        if self.tok.is_kw("not"):
            self.take()
            return Not(self.not_expr())
        if self.tok.kind == "lparen":
            self.take()
            inner = self.or_expr()
            if self.tok.kind != "rparen":
                if self.tok.kind == "eof":
                    raise JqlError(f"{PREFIX}Expecting ')' before the end of the query.")
                raise self.fail("either 'OR' or 'AND'")
            self.take()
            return inner
        return self.clause()

    def field_name(self) -> FieldName:
        tok = self.tok
        if tok.kind in ("word", "string"):
            self.take()
            return FieldName(tok.text, tok)
        raise self.fail("a field name", at_end="Expecting a field name at the end of the query.")

    def clause(self) -> Clause:
        name = self.field_name()
        op = self.operator()
        if op in ("is", "is not"):
            if not self.tok.is_kw("empty", "null"):
                raise self.fail("'EMPTY'")
            self.take()
            return Clause(name, op, Empty())
        if op in ("in", "not in"):
            return Clause(name, op, self.list_or_function())
        return Clause(name, op, self.value())

    def operator(self) -> str:
        tok = self.tok
        if tok.kind == "op":
            self.take()
            return tok.text
        if tok.is_kw("in"):
            self.take()
            return "in"
        if tok.is_kw("is"):
            self.take()
            if self.tok.is_kw("not"):
                self.take()
                return "is not"
            return "is"
        if tok.is_kw("not") and self.tokens[self.i + 1].is_kw("in"):
            self.i += 2
            return "not in"
        raise self.fail("operator", tail=" " + VALID_OPERATORS)

    def value(self) -> Value:
        tok = self.tok
        if tok.is_kw("empty", "null"):
            self.take()
            return Empty()
        if tok.kind == "string":
            self.take()
            return Literal(tok.text, True)
        if tok.kind == "word":
            self.take()
            if self.tok.kind == "lparen":
                return self.function(tok.text)
            return Literal(tok.text, False)
        if tok.kind == "eof":
            raise JqlError(f"{PREFIX}Expecting either a value, list or function before the end "
                           f"of the query.")
        raise JqlError(f"{PREFIX}Expecting either a value, list or function but got "
                       f"'{_shown(tok)}'. You must surround '{_shown(tok)}' in quotation marks to "
                       f"use it as a value. {tok.where}")

    def function(self, name: str) -> Function:
        self.take()  # "("
        args: list[str] = []
        while self.tok.kind != "rparen":
            if self.tok.kind in ("word", "string"):
                args.append(self.take().text)
            else:
                raise self.fail("')'")
            if self.tok.kind == "comma":
                self.take()
        self.take()
        return Function(name, tuple(args))

    def list_or_function(self) -> ValueList | Function:
        if self.tok.kind == "word" and self.tokens[self.i + 1].kind == "lparen":
            name = self.take().text
            return self.function(name)
        if self.tok.kind != "lparen":
            raise self.fail("'('")
        self.take()
        items = [self.value()]
        while self.tok.kind == "comma":
            self.take()
            items.append(self.value())
        if self.tok.kind != "rparen":
            raise self.fail("')'")
        self.take()
        return ValueList(tuple(items))

    def order_by(self) -> tuple[SortKey, ...]:
        self.take()  # ORDER
        if not self.tok.is_kw("by"):
            raise self.fail("'by'")
        self.take()
        keys = [self.sort_key()]
        while self.tok.kind == "comma":
            self.take()
            keys.append(self.sort_key())
        if self.tok.kind != "eof":
            raise self.fail("either ',' or the end of the query")
        return tuple(keys)

    def sort_key(self) -> SortKey:
        name = self.field_name()
        descending = False
        if self.tok.is_kw("asc", "desc"):
            descending = self.take().text.lower() == "desc"
        return SortKey(name, descending)
