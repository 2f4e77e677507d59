"""The ``$batch`` wire format (OData 4.0, 11.7): requests out, one answer per request back.

``encode`` writes each request as an ``application/http`` part of a
``multipart/mixed`` body (absolute URLs, ``Content-Type: application/json;
type=entry`` and ``Content-Length`` on requests with a body, as Dataverse
wants them); ``decode`` reads the ``multipart/mixed`` answer back into
``(status, headers, json body)`` per request, in order. Pure functions.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

CRLF = "\r\n"


@dataclass(frozen=True)
class Part:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def encode(parts: list[Part]) -> tuple[str, bytes]:
    """(Content-Type, body) of a batch holding ``parts``."""
    boundary = f"batch_{uuid.uuid4()}"
    out = []
    for p in parts:
        lines = [f"--{boundary}", "Content-Type: application/http",
                 "Content-Transfer-Encoding: binary", "", f"{p.method} {p.url} HTTP/1.1"]
        payload = json.dumps(p.body) if p.body is not None else ""
        if p.body is not None:
            lines += ["Content-Type: application/json; type=entry",
                      f"Content-Length: {len(payload.encode())}"]
        lines += [f"{k}: {v}" for k, v in p.headers.items()]
        out.append(CRLF.join(lines) + CRLF + CRLF + payload + CRLF)
    return (f"multipart/mixed; boundary={boundary}",
            ("".join(out) + f"--{boundary}--{CRLF}").encode())


def decode(content_type: str, text: str) -> list[Answer]:
    """The answers in a ``multipart/mixed`` batch response, in order."""
    m = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if m is None:
        raise ValueError("the batch answer is not multipart/mixed")
    answers = []
    for chunk in text.replace(CRLF, "\n").split(f"--{m.group(1)}")[1:]:
        if chunk.startswith("--"):
            break
        _, _, inner = chunk.strip("\n").partition("\n\n")
        head, _, body = inner.partition("\n\n")
        lines = [line for line in head.split("\n") if line]
        if not lines or not lines[0].startswith("HTTP/"):
            raise ValueError("a batch answer part holds no status line")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = body.strip()
        answers.append(Answer(status, headers, json.loads(body) if body else None))
    return answers
