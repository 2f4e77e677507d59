"""Content-addressed blob storage on local disk: bytes are named by their sha256.

``blobs/ab/cdef...`` holds the bytes whose hash is ``abcdef...``. Writing is
atomic (temp file, fsync, rename), idempotent (the same bytes land once),
and reading verifies the hash, so a blob altered on disk is an error, never
a silently wrong document.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 1024 * 1024


class BlobError(Exception):
    """A blob that is missing, too large or no longer matches its hash."""


class BlobStore:
    def __init__(self, root: Path, max_bytes: int | None = None) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:]

    def put_file(self, source: Path) -> tuple[str, int]:
        """Store a file; returns (sha256, size)."""
        size = source.stat().st_size
        if self.max_bytes is not None and size > self.max_bytes:
            raise BlobError(f"{source}: {size} bytes is over the store's maximum of "
                            f"{self.max_bytes} bytes (store.max_document_bytes)")
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.path(sha)
            if target.exists():
                os.unlink(tmp)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
            return sha, size
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        fd, tmp = tempfile.mkstemp()
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            return self.put_file(Path(tmp))
        finally:
            os.unlink(tmp)

    def read(self, sha256: str) -> bytes:
        p = self.path(sha256)
        if not p.exists():
            raise BlobError(f"blob {sha256} is missing from {self.root}")
        data = p.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise BlobError(f"blob {sha256} in {self.root} no longer matches its hash")
        return data
