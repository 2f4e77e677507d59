"""Small HTTP helpers shared by the emulator's resources."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.salesforce.errors import ApiError

JSON_TYPE = "application/json;charset=UTF-8"


@dataclass
class Reply:
    """What a resource answers: status, JSON-able body (None: no body), headers."""

    status: int
    body: Any = None
    headers: dict[str, str] | None = None


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if status == 204 or body is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(body), status=status, content_type=JSON_TYPE, headers=headers)


def read_json(request: Request) -> Any:
    """The request body as JSON; 400 ``JSON_PARSER_ERROR`` when it is not."""
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"{exc.msg} at [line:{exc.lineno}, "
                       f"column:{exc.colno}]") from exc
