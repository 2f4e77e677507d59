"""Upload bodies: ``multipart/related`` (metadata JSON part, then media) and
resumable sessions (``Content-Range`` chunks, 308 with ``Range`` in between).

Drive's resumable protocol, as documented: the initiating POST answers 200
with an absolute ``Location``; each PUT carries ``Content-Range: bytes
a-b/total`` (or ``bytes a-b/*`` while the total is unknown; ``bytes */total``
asks for the status). Every chunk but the last is a multiple of 256 KiB. An
unfinished upload answers 308 with ``Range: bytes=0-N`` (no Range before the
first byte); the last chunk answers 200 with the file.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.google_drive.errors import DriveError

CHUNK_QUANTUM = 256 * 1024
_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], bytes, str]:
    """(metadata, media, media type) from a multipart/related body."""
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.lower().startswith("multipart/related") or m is None:
        raise DriveError(400, "badContent", "Multipart upload needs Content-Type "
                         "multipart/related with a boundary.")
    delimiter = b"--" + m.group(1).encode()
    pieces = body.split(delimiter)
    parts = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            break
        parts.append(_part(piece))
    if len(parts) != 2:
        raise DriveError(400, "badContent", f"Multipart upload needs 2 parts (metadata, media), "
                         f"got {len(parts)}.")
    (meta_headers, meta_raw), (media_headers, media) = parts
    try:
        meta = json.loads(meta_raw.decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        raise DriveError(400, "parseError", "The metadata part is not valid JSON.") from None
    return meta, media, media_headers.get("content-type", "application/octet-stream")


def _part(piece: bytes) -> tuple[dict[str, str], bytes]:
    # A part starts after the delimiter's line end and ends before the next one's.
    piece = piece[2:] if piece.startswith(b"\r\n") else piece[1:] if piece.startswith(b"\n") \
        else piece
    if piece.endswith(b"\r\n"):
        piece = piece[:-2]
    elif piece.endswith(b"\n"):
        piece = piece[:-1]
    crlf, lf = piece.find(b"\r\n\r\n"), piece.find(b"\n\n")
    sep = b"\r\n\r\n" if crlf != -1 and (lf == -1 or crlf < lf) else b"\n\n"
    head, _, payload = piece.partition(sep)
    headers = {}
    for line in head.decode(errors="replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip():
            headers[name.strip().lower()] = value.strip()
    return headers, payload


@dataclass
class Session:
    id: str
    meta: dict[str, Any]
    media_type: str
    total: int | None
    target: str | None = None  # file id when replacing content (files.update)
    received: bytearray = field(default_factory=bytearray)


class Sessions:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, Session] = {}

    def open(self, meta: dict[str, Any], media_type: str, total: int | None,
             target: str | None = None) -> Session:
        s = Session(secrets.token_urlsafe(18), meta, media_type, total, target)
        with self._lock:
            self._open[s.id] = s
        return s

    def get(self, upload_id: str) -> Session:
        with self._lock:
            s = self._open.get(upload_id)
        if s is None:
            raise DriveError(404, "notFound", "Upload session not found or expired.")
        return s

    def close(self, upload_id: str) -> None:
        with self._lock:
            self._open.pop(upload_id, None)

    def put(self, s: Session, content_range: str | None, chunk: bytes) -> bool:
        """Append a chunk; True when the upload is complete."""
        m = _RANGE.match((content_range or "").strip())
        if m is None:
            if content_range is None and s.total is None:
                s.received.extend(chunk)  # one-shot body without a range
                s.total = len(s.received)
                return True
            raise DriveError(400, "badRequest", f"Invalid Content-Range {content_range!r}.")
        first, last, total = m.groups()
        if total != "*":
            if s.total is not None and int(total) != s.total:
                raise DriveError(400, "badRequest", "Content-Range total does not match the "
                                 "upload's declared length.")
            s.total = int(total)
        if first is None:  # status query: bytes */total
            return s.total is not None and len(s.received) >= s.total
        a, b = int(first), int(last)
        if a != len(s.received) or b - a + 1 != len(chunk):
            raise DriveError(400, "badRequest", f"Chunk bytes {a}-{b} do not continue the "
                             f"{len(s.received)} bytes received.")
        done = s.total is not None and b + 1 == s.total
        if not done and len(chunk) % CHUNK_QUANTUM:
            raise DriveError(400, "badRequest", "Chunks other than the last must be a multiple "
                             "of 256 KiB.")
        s.received.extend(chunk)
        return done
