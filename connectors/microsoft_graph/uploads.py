"""Putting bytes into a folder: a small ``PUT .../{name}:/content`` up to the session
threshold, an upload session above it.

Session fragments are ``upload_fragment_bytes`` (a multiple of 320 KiB) with
``Content-Range``; they go to the pre-authenticated ``uploadUrl`` without the
bearer token. A failed fragment is retried by the policy; a 416 (the server
already has more, or less, than we thought) asks the session where it stands and
goes on from ``nextExpectedRanges``. An expired session (404) is a RetryLater: the
next cycle starts a new one.
"""

from __future__ import annotations

from typing import Any

from connectors.base import RetryLater
from connectors.microsoft_graph.client import GraphClient, NotFound, RangeRefused
from connectors.microsoft_graph.folders import item_path

CONFLICT = "@microsoft.graph.conflictBehavior"


def upload(client: GraphClient, drive_path: str, folder_id: str, name: str, content: bytes,
           media_type: str, conflict: str) -> dict[str, Any]:
    """The driveItem after uploading ``content`` as ``name`` in ``folder_id``;
    ``conflict`` is Graph's conflictBehavior (``fail`` raises ``Conflict``)."""
    target = drive_path + item_path(folder_id, name)
    if len(content) <= client.settings.session_above_bytes:
        answer = client.call("upload.small", "PUT", f"{target}/content?{CONFLICT}={conflict}",
                             data=content, headers={"Content-Type": media_type})
        return dict(answer.json())
    session = client.call("upload.session", "POST", f"{target}/createUploadSession",
                          json={"item": {CONFLICT: conflict}}).json()
    return _send_fragments(client, str(session["uploadUrl"]), content)


def _next_offset(ranges: list[str]) -> int:
    return int(str(ranges[0]).split("-", 1)[0]) if ranges else 0


def _send_fragments(client: GraphClient, upload_url: str, content: bytes) -> dict[str, Any]:
    size, total = client.settings.upload_fragment_bytes, len(content)
    offset = 0
    try:
        while True:
            end = min(offset + size, total) - 1
            try:
                answer = client.call("upload.fragment", "PUT", upload_url, auth=False,
                                     data=content[offset:end + 1], headers={
                                         "Content-Range": f"bytes {offset}-{end}/{total}"})
            except RangeRefused:
                status = client.call("upload.status", "GET", upload_url, auth=False).json()
                offset = _next_offset(status.get("nextExpectedRanges") or [])
                continue
            if answer.status_code in (200, 201):
                return dict(answer.json())
            offset = _next_offset(answer.json().get("nextExpectedRanges") or [])
    except NotFound:
        raise RetryLater("Microsoft Graph: the upload session expired before the file was "
                         "complete; it is started again on the next try") from None
