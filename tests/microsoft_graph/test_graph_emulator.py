"""Graph emulator fidelity over HTTPS with a token from the identity emulator: uploads
(small and session, 416), folders and conflicts, paging, delta (pages, deleted, latest,
410), downloads by 302, listItem fields, error bodies."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.microsoft_graph.quickxor import quick_xor_hash
from sandbox.fixtures import sandbox_requests_session
from sandbox.microsoft_identity import GRAPH_RESOURCE

KIB320 = 320 * 1024


class Graph:
    """Plain requests with a bearer token, like the connector does."""

    def __init__(self, emu: Any) -> None:
        self.emu = emu
        self.session = sandbox_requests_session()
        self.token = emu.identity.issue_token(GRAPH_RESOURCE)
        self.d = f"{emu.graph_url}/drives/{emu.drive.id}"

    def __call__(self, method: str, url: str, **kw: Any) -> requests.Response:
        url = url if url.startswith("https://") else self.d + url
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return self.session.request(method, url, headers=headers, allow_redirects=False, **kw)

    def folder(self, name: str, parent: str = "root") -> dict[str, Any]:
        parent_url = "/root" if parent == "root" else f"/items/{parent}"
        r = self("POST", f"{parent_url}/children", json={
            "name": name, "folder": {}, "@microsoft.graph.conflictBehavior": "fail"})
        assert r.status_code == 201, r.text
        return dict(r.json())


@pytest.fixture
def graph(graph_sandbox: Any) -> Graph:
    return Graph(graph_sandbox)


def test_bearer_token_is_required_and_errors_are_graph_shaped(graph: Graph,
                                                              graph_sandbox: Any) -> None:
    r = graph.session.get(graph.d)
    assert r.status_code == 401
    body = r.json()["error"]
    assert body["code"] == "InvalidAuthenticationToken" and body["message"]
    assert "request-id" in body["innerError"]
    graph_sandbox.identity.expire_all_tokens()
    assert graph("GET", "").status_code == 401
    missing = Graph(graph_sandbox)("GET", "/root:/nope.pdf")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "itemNotFound"


def test_site_by_path_and_library_by_name(graph: Graph, graph_sandbox: Any) -> None:
    base = graph_sandbox.graph_url
    site = graph("GET", f"{base}/sites/contoso.sharepoint.com:/sites/contracts").json()
    assert site["id"] == graph_sandbox.site.id
    drives = graph("GET", f"{base}/sites/{site['id']}/drives").json()["value"]
    assert [d["name"] for d in drives] == ["Documents"]
    assert graph("GET", f"{base}/drives/{drives[0]['id']}").json()["driveType"] == \
        "documentLibrary"


def test_small_upload_new_then_replaced_then_conflict_fail(graph: Graph) -> None:
    folder = graph.folder("A")
    url = f"/items/{folder['id']}:/c.pdf:/content"
    first = graph("PUT", url, data=b"one")
    assert first.status_code == 201
    item = first.json()
    assert item["parentReference"]["path"].endswith("/root:/A")
    assert item["file"]["hashes"]["quickXorHash"] == quick_xor_hash(b"one")
    second = graph("PUT", url, data=b"two!")
    assert second.status_code == 200 and second.json()["id"] == item["id"]
    assert second.json()["cTag"] != item["cTag"] and second.json()["size"] == 4
    refused = graph("PUT", url + "?@microsoft.graph.conflictBehavior=fail", data=b"x")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "nameAlreadyExists"
    by_path = graph("GET", "/root:/A/c.pdf").json()
    assert by_path["id"] == item["id"]


def test_folder_conflict_fail_is_409(graph: Graph) -> None:
    graph.folder("Contracts")
    again = graph("POST", "/root/children", json={
        "name": "contracts", "folder": {}, "@microsoft.graph.conflictBehavior": "fail"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "nameAlreadyExists"
    bad = graph("POST", "/root/children", json={"name": "a:b", "folder": {}})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalidRequest"


def test_upload_session_fragments_416_and_completion(graph: Graph, graph_sandbox: Any) -> None:
    content = bytes(range(256)) * (KIB320 * 3 // 256) + b"tail"
    total = len(content)
    created = graph("POST", "/root:/big.pdf:/createUploadSession",
                    json={"item": {"@microsoft.graph.conflictBehavior": "fail"}})
    assert created.status_code == 200
    upload = created.json()["uploadUrl"]
    assert created.json()["nextExpectedRanges"] == ["0-"]
    s = graph.session

    def put(start: int, end: int) -> requests.Response:
        return s.put(upload, data=content[start:end + 1], headers={
            "Content-Range": f"bytes {start}-{end}/{total}"})

    odd = put(0, 1000)
    assert odd.status_code == 400  # not a multiple of 320 KiB
    r = put(0, KIB320 - 1)
    assert r.status_code == 202 and r.json()["nextExpectedRanges"] == [f"{KIB320}-{total - 1}"]
    assert put(0, KIB320 - 1).status_code == 416  # already received
    assert put(KIB320 * 2, KIB320 * 3 - 1).status_code == 416  # skips a range
    with_token = s.put(upload, data=content[KIB320:KIB320 * 2], headers={
        "Content-Range": f"bytes {KIB320}-{KIB320 * 2 - 1}/{total}",
        "Authorization": f"Bearer {graph.token}"})
    assert with_token.status_code == 401
    assert s.get(upload).json()["nextExpectedRanges"] == [f"{KIB320}-{total - 1}"]
    assert put(KIB320, KIB320 * 3 - 1).status_code == 202
    done = put(KIB320 * 3, total - 1)
    assert done.status_code == 201
    assert graph_sandbox.files()["big.pdf"] == content
    assert done.json()["size"] == total


def test_path_upload_creates_folders_but_a_session_needs_them(graph: Graph,
                                                              graph_sandbox: Any) -> None:
    assert graph("PUT", "/root:/x/y/z.pdf:/content", data=b"z").status_code == 201
    assert graph_sandbox.folders() == ["x", "x/y"]
    missing = graph("POST", "/root:/nope/b.pdf:/createUploadSession", json={})
    assert missing.status_code == 404


def test_download_redirects_to_a_url_that_needs_no_token(graph: Graph) -> None:
    item = graph("PUT", "/root:/d.pdf:/content", data=b"%PDF-1.7 bytes").json()
    r = graph("GET", f"/items/{item['id']}/content")
    assert r.status_code == 302
    plain = sandbox_requests_session().get(r.headers["Location"])
    assert plain.status_code == 200 and plain.content == b"%PDF-1.7 bytes"


def test_children_paging_with_next_link(graph: Graph) -> None:
    folder = graph.folder("many")
    for n in range(5):
        graph("PUT", f"/items/{folder['id']}:/f{n}.pdf:/content", data=b"x")
    names: list[str] = []
    url = f"/items/{folder['id']}/children?$top=2"
    pages = 0
    while url:
        body = graph("GET", url).json()
        names += [v["name"] for v in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
    assert names == [f"f{n}.pdf" for n in range(5)] and pages == 3


def test_delta_pages_deleted_latest_and_410(graph: Graph, graph_sandbox: Any) -> None:
    folder = graph.folder("D")
    ids = [graph("PUT", f"/items/{folder['id']}:/f{n}.pdf:/content", data=b"x").json()["id"]
           for n in range(3)]
    seen: list[dict[str, Any]] = []
    url = "/root/delta?$top=2"
    while True:
        body = graph("GET", url).json()
        seen += body["value"]
        if "@odata.deltaLink" in body:
            delta_link = body["@odata.deltaLink"]
            break
        url = body["@odata.nextLink"]
    assert {v["id"] for v in seen} >= set(ids) | {folder["id"]}
    assert "path" not in seen[-1]["parentReference"]
    latest = graph("GET", "/root/delta?token=latest").json()
    assert latest["value"] == [] and "@odata.deltaLink" in latest
    assert graph("DELETE", f"/items/{ids[0]}").status_code == 204
    graph("PATCH", f"/items/{ids[1]}", json={"name": "renamed.pdf"})
    changes = graph("GET", delta_link).json()
    by_id = {v["id"]: v for v in changes["value"]}
    assert by_id[ids[0]]["deleted"] == {} and by_id[ids[1]]["name"] == "renamed.pdf"
    assert ids[2] not in by_id
    since_latest = graph("GET", latest["@odata.deltaLink"]).json()["value"]
    assert {v["id"] for v in since_latest} == {ids[0], ids[1]}
    graph_sandbox.expire_delta_tokens()
    gone = graph("GET", delta_link)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "resyncRequired"


def test_list_item_fields_and_filter(graph: Graph) -> None:
    item = graph("PUT", "/root:/m.pdf:/content", data=b"x").json()
    r = graph("PATCH", f"/items/{item['id']}/listItem/fields",
              json={"ContractHubDocument": "doc-1", "ContractHubProperties": "{}"})
    assert r.status_code == 200 and r.json()["ContractHubDocument"] == "doc-1"
    unknown = graph("PATCH", f"/items/{item['id']}/listItem/fields", json={"Nope": "x"})
    assert unknown.status_code == 400
    rows = graph("GET", "/list/items?$expand=fields,driveItem"
                        "&$filter=fields/ContractHubDocument eq 'doc-1'").json()["value"]
    assert [row["driveItem"]["id"] for row in rows] == [item["id"]]
    not_indexed = graph("GET", "/list/items?$filter=fields/ContractHubProperties eq '{}'")
    assert not_indexed.status_code == 400 and "not indexed" in not_indexed.text
    honoured = graph("GET", "/list/items?$filter=fields/ContractHubProperties eq '{}'",
                     headers={"Prefer": "HonorNonIndexedQueriesWarningMayFailRandomly"})
    assert len(honoured.json()["value"]) == 1
    expanded = graph("GET", f"/items/{item['id']}?$expand=listItem($expand=fields)").json()
    assert expanded["listItem"]["fields"]["ContractHubDocument"] == "doc-1"


def test_move_and_rename_and_delete_folder(graph: Graph, graph_sandbox: Any) -> None:
    a, b = graph.folder("A"), graph.folder("B")
    f = graph("PUT", f"/items/{a['id']}:/x.pdf:/content", data=b"x").json()
    moved = graph("PATCH", f"/items/{f['id']}", json={"parentReference": {"id": b["id"]},
                                                       "name": "y.pdf"})
    assert moved.status_code == 200 and moved.json()["parentReference"]["path"].endswith(
        "root:/B")
    assert graph("DELETE", f"/items/{b['id']}").status_code == 204
    assert graph_sandbox.files() == {} and graph_sandbox.folders() == ["A"]


def test_throttling_fault_has_retry_after_and_graph_body(graph: Graph,
                                                         graph_sandbox: Any) -> None:
    graph_sandbox.add_fault(pattern=r"GET /v1.0/drives/", status=429, retry_after=7, times=1)
    r = graph("GET", "")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert r.json()["error"]["code"] == "TooManyRequests"
    assert graph("GET", "").status_code == 200
