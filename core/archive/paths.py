"""Archive paths: a template such as
``Contracts/{customer.name}/{contract.number}/{contract.number}-v{version}.pdf``
rendered for one document, with every value made safe as a file or folder name.

Placeholders are checked when the mapping loads (``template_problems``); a
value is made safe when rendered (``safe_name``): characters that Drive,
OneDrive/SharePoint or a local file system refuse become ``_``, leading and
trailing dots and spaces go, and a segment is cut to 120 characters.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

PLACEHOLDERS = {
    "customer.name": "the customer's name",
    "customer.id": "the customer's id in the store",
    "contract.number": "the contract number",
    "contract.kind": "the contract kind",
    "contract.id": "the contract's id in the store",
    "contract.start_year": "the year the contract starts",
    "document.kind": "executed, certificate, ...",
    "document.id": "the document's id in the store",
    "document.filename": "the file name as added",
    "version": "the document's version (1, 2, ...)",
    "ext": "the file extension of the document, without the dot",
}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|#%]+')
MAX_SEGMENT = 120


def template_problems(template: str) -> list[tuple[str, str]]:
    """(message, hint) for each thing wrong with the template."""
    out: list[tuple[str, str]] = []
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        return [(f"the path template does not parse: {exc}",
                 "write placeholders as {contract.number}; double a brace to mean it: {{")]
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            out.append((f"unknown placeholder {{{field}}}",
                        f"use one of {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"))
        if spec or conversion:
            out.append((f"placeholder {{{field}}} has a format or conversion",
                        "write the placeholder alone, like {version}"))
    if template.startswith("/") or "//" in template or template.endswith("/"):
        out.append(("the path must be relative, without empty folder names",
                    "like Contracts/{customer.name}/{contract.number}.pdf"))
    if any(seg in (".", "..") for seg in template.split("/")):
        out.append(("'.' and '..' are not folder names here", "name each folder"))
    if not out and not any(f for _, f, _, _ in parts if f):
        out.append(("the path has no placeholder, so every document would land on one file",
                    "include {document.id} or {contract.number} and {version}"))
    return out


def safe_name(value: Any) -> str:
    text = _UNSAFE.sub("_", str(value)).strip(" .")
    text = re.sub(r"\s+", " ", text)[:MAX_SEGMENT].strip(" .")
    return text or "_"


def render(template: str, values: Mapping[str, Any]) -> str:
    """The path for one document; each placeholder's value made safe."""
    out = []
    for literal, field, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if field is not None:
            out.append(safe_name(values[field]))
    return "/".join(seg.strip() or "_" for seg in "".join(out).split("/"))
