"""``GET /drives/{d}/root/delta``: the drive's change feed.

Tokens are opaque to clients (base64 JSON here). Without a token the answer is
every live item; with one, every item stamped after it, deleted ones as
``{id, deleted: {}}``. Pages end in ``@odata.nextLink`` until the last, which
carries ``@odata.deltaLink``. ``token=latest`` answers no items and a deltaLink
at 'now'. A token from before ``GraphEmulator.expire_delta_tokens`` answers 410
``resyncRequired``; a token that does not
parse is 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import quote

from sandbox.microsoft_graph.errors import GraphError, invalid
from sandbox.microsoft_graph.store import GraphStore
from sandbox.microsoft_graph.wire import deleted_item, drive_item

RESYNC_MESSAGE = ("Resync required. Replace any local items with the server's version "
                  "(including deletes) if you're sure that the service was up to date with "
                  "your local changes when you last sync'd. Upload any local changes that "
                  "the server doesn't know about.")


def _encode(state: dict[str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _decode(token: str) -> dict[str, int]:
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid("The delta token is not valid.") from None
    if not isinstance(state, dict) or not all(isinstance(v, int) for v in state.values()):
        raise invalid("The delta token is not valid.")
    return state


def delta_page(store: GraphStore, drive_id: str, token: str | None, page_size: int,
               base: str) -> dict[str, Any]:
    drive = store.drive(drive_id)
    link = f"{base}/v1.0/drives/{quote(drive_id, safe='')}/root/delta?token="
    if token == "latest":
        return {"value": [], "@odata.deltaLink": link + _encode({"s": store.seq,
                                                                 "e": drive.delta_epoch})}
    if token is None:
        state = {"s": -1}
    else:
        state = _decode(token)
    since = state.get("s", -1)
    upto = state.get("u", store.seq)
    after = state.get("a", since)  # pages go by sequence: an edit mid-paging skips nothing
    if token is not None and state.get("e", 0) != drive.delta_epoch:
        raise GraphError(410, "resyncRequired", RESYNC_MESSAGE)
    if since < 0:
        items = [i for i in store.live_items(drive_id) if after < i.seq <= upto]
    else:
        items = [i for i in store.changes_since(drive_id, after) if i.seq <= upto]
    page = items[:page_size]
    value = [deleted_item(i) if i.deleted else drive_item(store, i, base, with_path=False)
             for i in page]
    if len(items) > page_size:
        return {"value": value,
                "@odata.nextLink": link + _encode({"s": since, "u": upto, "a": page[-1].seq,
                                                   "e": drive.delta_epoch})}
    return {"value": value,
            "@odata.deltaLink": link + _encode({"s": upto, "e": drive.delta_epoch})}
