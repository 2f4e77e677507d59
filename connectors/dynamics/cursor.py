"""The read cursor: the Dataverse link to follow next (pure, versioned).

``{"v": 1, "kind": "delta", "link": "https://org/api/data/v9.2/accounts?$select=...&$deltatoken=...",
"select": "accountid,modifiedon,name"}``

- ``kind: "next"``: a read was cut between pages; ``link`` is the
  ``@odata.nextLink`` of the last page applied.
- ``kind: "delta"``: the read finished; ``link`` is the ``@odata.deltaLink``
  that returns what changed (and was deleted) since.
- ``select``: the columns the link reads. A mapping that now needs other
  columns cannot use an old link (it would never return the new ones): the
  read starts over, in full.

A cursor of another version, one that does not parse, or one whose link is
not under the connection's API URL is not trusted: the read starts over in
full (always safe to repeat; the engine skips rows it already has by their
etag).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

VERSION = 1


@dataclass(frozen=True)
class ReadCursor:
    kind: str
    link: str
    select: str

    @classmethod
    def decode(cls, raw: Mapping[str, Any] | None, api_url: str, select: str
               ) -> ReadCursor | None:
        """The cursor to resume from, or None for a full read."""
        if not raw or raw.get("v") != VERSION:
            return None
        kind, link = raw.get("kind"), raw.get("link")
        if kind not in ("next", "delta") or not isinstance(link, str):
            return None
        if not link.startswith(api_url) or raw.get("select") != select:
            return None
        return cls(kind, link, select)

    def encode(self) -> dict[str, Any]:
        return {"v": VERSION, "kind": self.kind, "link": self.link, "select": self.select}
