"""Upload sessions (``createUploadSession``): a pre-authenticated ``uploadUrl`` that takes
byte ranges in order.

Each fragment is a ``PUT`` with ``Content-Range: bytes START-END/TOTAL``; every fragment
but the last must be a multiple of 320 KiB. Between fragments the answer is 202 with
``nextExpectedRanges``; the last answers 201 (new file) or 200 (replaced) with the
driveItem. A fragment that does not start where the received bytes end is 416. The
URL needs no bearer token, and one sent with it is refused (401), as the documents
warn. ``GET`` reports progress, ``DELETE`` cancels.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.microsoft_graph.errors import GraphError, invalid, item_not_found
from sandbox.microsoft_graph.store import GraphStore
from sandbox.microsoft_graph.wire import drive_item, iso, json_response

FRAGMENT_UNIT = 320 * 1024
MAX_FRAGMENT = 60 * 1024 * 1024
SESSION_LIFETIME = timedelta(days=2)
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@dataclass
class UploadSession:
    id: str
    drive_id: str
    parent_id: str
    name: str
    conflict: str
    expires: datetime
    received: bytearray = field(default_factory=bytearray)
    total: int | None = None


class Uploads:
    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.sessions: dict[str, UploadSession] = {}

    def create(self, drive_id: str, parent_id: str, name: str, conflict: str,
               base: str) -> dict[str, Any]:
        session = UploadSession(secrets.token_urlsafe(24), drive_id, parent_id, name, conflict,
                                self.store.now() + SESSION_LIFETIME)
        self.sessions[session.id] = session
        return {"uploadUrl": f"{base}/upload/{session.id}?tempauth={secrets.token_urlsafe(16)}",
                "expirationDateTime": iso(session.expires), "nextExpectedRanges": ["0-"]}

    def _session(self, session_id: str) -> UploadSession:
        session = self.sessions.get(session_id)
        if session is None or self.store.now() >= session.expires:
            self.sessions.pop(session_id, None)
            raise GraphError(404, "itemNotFound", "The upload session was not found or "
                             "has expired.")
        return session

    def _status(self, session: UploadSession) -> dict[str, Any]:
        start = len(session.received)
        end = "" if session.total is None else str(session.total - 1)
        return {"expirationDateTime": iso(session.expires),
                "nextExpectedRanges": [f"{start}-{end}"]}

    def handle(self, request: Request, session_id: str, base: str) -> Response:
        if request.headers.get("Authorization"):
            raise GraphError(401, "unauthenticated", "The upload URL is pre-authenticated: "
                             "do not send an Authorization header to it.")
        session = self._session(session_id)
        if request.method == "GET":
            return json_response(200, self._status(session))
        if request.method == "DELETE":
            del self.sessions[session_id]
            return json_response(204)
        if request.method != "PUT":
            raise GraphError(405, "invalidRequest", "Use PUT to upload a fragment.")
        return self._fragment(request, session, base)

    def _fragment(self, request: Request, session: UploadSession, base: str) -> Response:
        match = _RANGE.match(request.headers.get("Content-Range", "").strip())
        if not match:
            raise invalid("The Content-Range header is missing or malformed "
                          "(expected 'bytes START-END/TOTAL').")
        start, end, total = (int(g) for g in match.groups())
        data = request.get_data()
        if end < start or end >= total or len(data) != end - start + 1:
            raise invalid("The Content-Range does not match the fragment's length.")
        if session.total is not None and total != session.total:
            raise invalid("The total size differs from the session's earlier fragments.")
        if len(data) > MAX_FRAGMENT:
            raise GraphError(413, "requestTooLarge", "Fragments are limited to 60 MiB.")
        if start != len(session.received):
            error = GraphError(416, "invalidRange", "The uploaded fragment overlaps with data "
                               "that has already been received, or skips data not yet sent.")
            raise error
        last = end + 1 == total
        if not last and len(data) % FRAGMENT_UNIT:
            raise invalid("Fragments other than the last must be a multiple of 320 KiB "
                          "(327,680 bytes).")
        session.total = total
        session.received.extend(data)
        session.expires = self.store.now() + SESSION_LIFETIME
        if not last:
            return json_response(202, self._status(session))
        del self.sessions[session.id]
        parent = self.store.items.get(session.parent_id)
        if parent is None or parent.deleted:
            raise item_not_found()
        item, created = self.store.put_file(parent, session.name, bytes(session.received),
                                            _mime(session.name), session.conflict)
        return json_response(201 if created else 200, drive_item(self.store, item, base))


def _mime(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"
