"""The OneDrive/SharePoint connector beyond the shared contract: settings, drive choice,
token refresh on 401, throttling on the fake clock, idempotent re-archiving, adopting a
half-archived file, refusing a foreign one, resuming a session after 416."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from connectors.base import ConfigError, SkipRecord, load_connector
from connectors.microsoft_graph import GraphConnector
from connectors.microsoft_graph.uploads import _send_fragments
from sandbox.fixtures import sandbox_requests_session
from tests.microsoft_graph.conftest import FRAGMENT


def props(doc: int | str, content: bytes) -> dict[str, str]:
    return {"contracthub_document": str(doc), "sha256": hashlib.sha256(content).hexdigest()}


def pdf(n: int) -> bytes:
    return f"%PDF-1.7 executed contract {n}\n".encode()


@pytest.mark.parametrize(("change", "needle"), [
    ({"drive_id": "b!abc"}, "exactly one"),
    ({"site": None}, "exactly one"),
    ({"upload_fragment_bytes": 400000}, "multiple of 327680"),
    ({"colour": "blue"}, "unknown setting 'colour'"),
    ({"graph_url": "http://graph.example/v1.0"}, "graph_url"),
    ({"site": {"hostname": "https://x", "path": "/sites/a"}}, "site.hostname"),
    ({"scope": "https://graph.microsoft.com/Files.ReadWrite"}, "/.default"),
])
def test_settings_errors_name_the_key(graph_settings: dict[str, Any], change: dict[str, Any],
                                      needle: str, sandbox_clock: Any) -> None:
    raw = {k: v for k, v in {**graph_settings, **change}.items() if v is not None}
    with pytest.raises(ConfigError, match=needle) as caught:
        GraphConnector(name="sp", settings=raw, clock=sandbox_clock)
    assert graph_settings["auth"]["client_secret"] not in str(caught.value)


def test_missing_secret_names_the_key(graph_settings: dict[str, Any], sandbox_clock: Any) -> None:
    auth = {k: v for k, v in graph_settings["auth"].items() if k != "client_secret"}
    with pytest.raises(ConfigError, match="auth.client_secret"):
        GraphConnector(name="sp", settings={**graph_settings, "auth": auth}, clock=sandbox_clock)


def test_entry_point_builds_the_connector(graph_settings: dict[str, Any],
                                          sandbox_clock: Any) -> None:
    conn = load_connector("microsoft_graph", name="sp", settings=graph_settings,
                          clock=sandbox_clock)
    assert isinstance(conn, GraphConnector) and conn.kind == "storage"


def test_drive_by_id_and_library_by_name(make_graph: Any, graph_sandbox: Any) -> None:
    other = graph_sandbox.add_library("Executed Contracts")
    by_site = make_graph(site={"hostname": "contoso.sharepoint.com",
                               "path": "sites/contracts", "library": "executed contracts"})
    by_site.put("a/x.pdf", pdf(1), props(1, pdf(1)))
    by_id = make_graph(site=None, drive_id=other.id)
    assert by_id.find(props(1, pdf(1))) is not None
    assert graph_sandbox.files(other) == {"Archive/a/x.pdf": pdf(1)}
    assert graph_sandbox.files() == {}


def test_unknown_library_or_site_is_a_config_error(make_graph: Any) -> None:
    with pytest.raises(ConfigError, match="no library 'Nope'.*Documents"):
        make_graph(site={"hostname": "contoso.sharepoint.com", "path": "/sites/contracts",
                         "library": "Nope"}).check()
    with pytest.raises(ConfigError, match="no SharePoint site /sites/other"):
        make_graph(site={"hostname": "contoso.sharepoint.com", "path": "/sites/other"}).check()


def test_wrong_secret_stops_without_leaking(make_graph: Any, graph_settings: dict[str, Any]
                                            ) -> None:
    from connectors.base import StopSync

    bad = "not-the-secret-~1234"
    conn = make_graph(auth={**graph_settings["auth"], "client_secret": bad})
    with pytest.raises(StopSync, match="auth.client_secret") as caught:
        conn.check()
    assert bad not in str(caught.value) and bad not in caught.value.detail


def test_expired_token_is_refreshed_once(make_graph: Any, microsoft_identity: Any,
                                         graph_sandbox: Any) -> None:
    conn = make_graph()
    stored = conn.put("C/1.pdf", pdf(1), props(1, pdf(1)))
    microsoft_identity.expire_all_tokens()
    assert conn.get(stored.remote_id) is not None
    assert microsoft_identity.calls.count(r"POST /.*/token") == 2
    assert graph_sandbox.calls.statuses(r"GET /v1.0/drives/.*")[-2:] == [401, 200]


def test_throttled_put_waits_retry_after_on_the_clock(make_graph: Any, graph_sandbox: Any,
                                                      sandbox_clock: Any) -> None:
    conn = make_graph()
    conn.check()
    graph_sandbox.add_fault(pattern=r"^PUT /v1.0/drives/.*/content", status=429,
                            retry_after=42, times=2)
    graph_sandbox.add_fault(pattern=r"^PATCH .*/listItem/fields", status=503, retry_after=3,
                            times=1)
    before = len(sandbox_clock.sleeps)
    conn.put("C/1.pdf", pdf(1), props(1, pdf(1)))
    assert sandbox_clock.sleeps[before:] == [42, 42, 3]
    assert graph_sandbox.files() == {"Archive/C/1.pdf": pdf(1)}


def test_archiving_200_documents_twice_makes_200_files(make_graph: Any,
                                                       graph_sandbox: Any) -> None:
    docs = {n: (f"Contracts/Cust {n % 7}/C-{n}/C-{n}-v1.pdf", pdf(n)) for n in range(200)}

    def archive(conn: GraphConnector) -> int:
        uploads = 0
        for n, (path, content) in docs.items():
            if conn.find(props(n, content)) is None:
                conn.put(path, content, props(n, content))
                uploads += 1
        return uploads

    first = make_graph()
    assert archive(first) == 200
    second = make_graph()
    assert archive(second) == 0
    assert len(graph_sandbox.files()) == 200
    assert second.calls.counts.get("upload.small", 0) == 0
    assert sorted(graph_sandbox.folders())[:2] == ["Archive", "Archive/Contracts"]
    assert len(graph_sandbox.folders()) == 2 + 7 + 200


def test_a_half_archived_file_is_adopted_not_duplicated(make_graph: Any,
                                                        graph_sandbox: Any) -> None:
    conn = make_graph()
    conn.put("C/1.pdf", pdf(1), props(1, pdf(1)))
    item = graph_sandbox.item_at("Archive/C/1.pdf")
    item.fields.clear()  # as if the run died between the upload and the columns
    again = make_graph().put("C/1.pdf", pdf(1), props(1, pdf(1)))
    assert again.remote_id == item.id and again.properties["contracthub_document"] == "1"
    assert len(graph_sandbox.files()) == 1
    assert graph_sandbox.calls.statuses(r"PUT /v1.0/drives/.*/content") == [201, 409]


def test_tampered_archived_file_is_restored_in_place(make_graph: Any,
                                                     graph_sandbox: Any) -> None:
    conn = make_graph()
    first = conn.put("C/1.pdf", pdf(1), props(1, pdf(1)))
    graph_sandbox.item_at("Archive/C/1.pdf").content = b"forged"
    restored = conn.put("C/1.pdf", pdf(1), props(1, pdf(1)))
    assert restored.remote_id == first.remote_id
    assert conn.fetch(first.remote_id) == pdf(1)


def test_a_foreign_file_at_the_path_is_left_alone(make_graph: Any, graph_sandbox: Any) -> None:
    conn = make_graph()
    conn.check()
    store = graph_sandbox.store
    with store.lock:
        archive = store.resolve(store.items[graph_sandbox.drive.root_id], "Archive")
        store.put_file(archive, "1.pdf", b"someone else's", "application/pdf")
    with pytest.raises(SkipRecord, match="another file already exists at 1.pdf"):
        conn.put("1.pdf", pdf(1), props(1, pdf(1)))
    assert graph_sandbox.files() == {"Archive/1.pdf": b"someone else's"}


def test_session_upload_resumes_after_416(make_graph: Any, graph_sandbox: Any) -> None:
    conn = make_graph()
    conn.check()
    content = bytes(range(256)) * (FRAGMENT * 3 // 256) + b"end"
    folder = conn.tree.ensure(["big"])
    session = conn.client.call("upload.session", "POST", f"{conn.drive_path}/items/{folder}:/"
                               "b.pdf:/createUploadSession", json={}).json()
    # a first fragment the server got but whose answer was lost
    sandbox_requests_session().put(session["uploadUrl"], data=content[:FRAGMENT], headers={
        "Content-Range": f"bytes 0-{FRAGMENT - 1}/{len(content)}"})
    item = _send_fragments(conn.client, session["uploadUrl"], content)
    assert item["size"] == len(content)
    assert graph_sandbox.files()["Archive/big/b.pdf"] == content
    assert graph_sandbox.calls.statuses(r"PUT /upload/.*")[1] == 416
