"""The ``fields`` partial-response parameter: ``nextPageToken,files(id,name)``, ``*``.

``parse`` turns the text into a tree (``{name: None | subtree}``); ``select``
keeps only what the tree names. A malformed selection is a ``ValueError``.
"""

from __future__ import annotations

from typing import Any

Tree = dict[str, Any]


def parse(text: str) -> Tree | None:
    """None means everything (``*`` or no selection)."""
    text = text.replace(" ", "")
    if text in ("", "*"):
        return None
    tree, rest = _items(text, 0)
    if rest != len(text):
        raise ValueError(f"Invalid field selection {text}")
    return tree


def _items(text: str, i: int) -> tuple[Tree, int]:
    tree: Tree = {}
    while i < len(text) and text[i] != ")":
        j = i
        while j < len(text) and text[j] not in ",()":
            j += 1
        name = text[i:j]
        if not name:
            raise ValueError(f"Invalid field selection {text}")
        sub: Tree | None = None
        if j < len(text) and text[j] == "(":
            sub, j = _items(text, j + 1)
            if j >= len(text) or text[j] != ")":
                raise ValueError(f"Invalid field selection {text}: unbalanced parentheses")
            j += 1
        for part in reversed(name.split("/")[1:]):
            sub = {part: sub}
        head = name.split("/")[0]
        tree[head] = None if sub is None or head in tree and tree[head] is None else \
            {**(tree.get(head) or {}), **sub}
        if j < len(text) and text[j] == ",":
            j += 1
        i = j
    return tree, i


def select(value: Any, tree: Tree | None) -> Any:
    if tree is None:
        return value
    if isinstance(value, list):
        return [select(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    if "*" in tree:
        return value
    return {k: select(value[k], sub) for k, sub in tree.items() if k in value}
