"""Salesforce-style record ids.

An id is 15 case-sensitive characters (3-character key prefix, then pod and
serial characters) or the same 15 plus a 3-character case-folding checksum
(18 characters). The emulator always hands out 18-character ids, accepts
both forms, and compares them by their 15-character core.

Serials use only digits and capital letters, so ids issued later sort after
earlier ones whether the comparison is case-sensitive or not.
"""

from __future__ import annotations

import re

KEY_PREFIXES = {"Account": "001", "Contract": "800", "User": "005", "Organization": "00D"}
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SERIAL_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_POD = "Dn0"


def checksum(id15: str) -> str:
    """The 3-character suffix that makes a 15-character id case-insensitive."""
    out = []
    for chunk in range(3):
        flags = 0
        for bit, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                flags |= 1 << bit
        out.append(_SUFFIX_ALPHABET[flags])
    return "".join(out)


def make_id(prefix: str, serial: int) -> str:
    """The 18-character id number ``serial`` for a key prefix."""
    digits = []
    n = serial
    for _ in range(9):
        n, r = divmod(n, 36)
        digits.append(_SERIAL_ALPHABET[r])
    if n:
        raise OverflowError("serial too large for an id")
    id15 = prefix + _POD + "".join(reversed(digits))
    return id15 + checksum(id15)


def is_valid(value: object) -> bool:
    """True for a well-formed 15- or 18-character id (checksum verified)."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        return False
    return len(value) == 15 or checksum(value[:15]) == value[15:]


def to18(value: str) -> str:
    """The 18-character form of a valid id."""
    return value if len(value) == 18 else value + checksum(value)


def core(value: str) -> str:
    """The 15-character case-sensitive core of a valid id."""
    return value[:15]


def prefix_of(value: str) -> str:
    return value[:3]


USER_ID = make_id(KEY_PREFIXES["User"], 1)
ORG_ID = make_id(KEY_PREFIXES["Organization"], 1)
