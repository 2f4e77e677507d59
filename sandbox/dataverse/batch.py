"""``POST $batch``: several requests in one ``multipart/mixed`` body (OData 4.0, 11.7).

Each part is ``Content-Type: application/http`` holding one request (request
line with an absolute or service-relative URL, headers, blank line, JSON
body). Requests run in order, each on its own (the emulator does not take
change sets: a nested ``multipart/mixed`` part answers 400). The answer is
200 ``multipart/mixed; boundary=batchresponse_<uuid>`` with one
``application/http`` part per request, in order: status line, headers, body.
Without ``Prefer: odata.continue-on-error`` the batch stops after the first
request that fails (its error is the last part); with it every request runs.
At most 1,000 requests a batch. The batch spends one request of the caller's
service-protection window (an emulator choice: Dataverse evaluates batches
against its limits too, and documents execution time as what large batches
run into).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from sandbox.dataverse.errors import SYNTAX, DataverseError
from sandbox.dataverse.query import Answer

MAX_REQUESTS = 1000
CRLF = "\r\n"
Route = Callable[[Request, str], tuple[int, Answer]]


def boundary_of(content_type: str) -> str:
    m = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not content_type.lower().startswith("multipart/mixed") or m is None:
        raise DataverseError(400, SYNTAX, "A $batch request must be multipart/mixed with a "
                                          "boundary.")
    return m.group(1)


def split_parts(body: str, boundary: str) -> list[str]:
    delimiter = f"--{boundary}"
    chunks = body.replace(CRLF, "\n").split(delimiter)
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith("--"):
            break
        parts.append(chunk.strip("\n"))
    return parts


def _head_and_body(text: str) -> tuple[list[str], str]:
    head, _, rest = text.partition("\n\n")
    return [line for line in head.split("\n") if line], rest


def parse_request(part: str, api_path: str) -> tuple[str, str, str, dict[str, str], str]:
    """(method, path, query, headers, body) of one ``application/http`` part."""
    part_headers, inner = _head_and_body(part)
    kinds = [h.split(":", 1)[1].strip().lower() for h in part_headers
             if h.lower().startswith("content-type:")]
    if kinds and kinds[0].startswith("multipart/mixed"):
        raise DataverseError(400, SYNTAX, "Change sets are not supported by the sandbox "
                                          "emulator; send the requests on their own.")
    lines, body = _head_and_body(inner)
    if not lines:
        raise DataverseError(400, SYNTAX, "A $batch part holds no request.")
    try:
        method, target, _ = lines[0].split(" ", 2)
    except ValueError:
        raise DataverseError(400, SYNTAX, f"Invalid request line '{lines[0]}'.") from None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    url = urlsplit(target)
    path = url.path if url.path.startswith("/") else api_path + url.path
    return method.upper(), path, url.query, headers, body.strip()


def _status_line(status: int) -> str:
    from http import HTTPStatus

    return f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"


def run(request: Request, api_path: str, route: Route) -> tuple[str, bytes]:
    """Run a batch; (response content type, body)."""
    boundary = boundary_of(request.headers.get("Content-Type", ""))
    parts = split_parts(request.get_data(as_text=True), boundary)
    if len(parts) > MAX_REQUESTS:
        raise DataverseError(400, SYNTAX, f"The number of requests in a batch exceeds "
                                          f"{MAX_REQUESTS}.")
    keep_going = "odata.continue-on-error" in request.headers.get("Prefer", "")
    out_boundary = f"batchresponse_{uuid.uuid4()}"
    chunks = []
    for part in parts:
        method, path, query, headers, body = parse_request(part, api_path)
        inner = EnvironBuilder(path=path, method=method, query_string=query, headers=headers,
                               data=body.encode(), base_url=request.host_url).get_request()
        rest = inner.path[len(api_path):] if inner.path.startswith(api_path) else inner.path
        try:
            status, answer = route(inner, rest)
            extra, payload = dict(answer.headers), answer.body if status != 204 else None
        except DataverseError as exc:
            status, extra, payload = exc.status, dict(exc.headers), exc.body()
        lines = [_status_line(status), "OData-Version: 4.0",
                 *(f"{k}: {v}" for k, v in extra.items())]
        if payload is not None:
            lines.append("Content-Type: application/json; odata.metadata=minimal")
        text = CRLF.join(lines) + CRLF + CRLF + (json.dumps(payload) if payload is not None
                                                 else "")
        chunks.append(f"--{out_boundary}{CRLF}Content-Type: application/http{CRLF}"
                      f"Content-Transfer-Encoding: binary{CRLF}{CRLF}{text}{CRLF}")
        if status >= 400 and not keep_going:
            break
    return (f"multipart/mixed; boundary={out_boundary}",
            ("".join(chunks) + f"--{out_boundary}--{CRLF}").encode())
