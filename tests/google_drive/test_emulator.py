"""The Drive emulator on the wire, as the v3 documents describe it (plain HTTPS requests)."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from sandbox.fixtures import sandbox_requests_session
from sandbox.google_drive import DriveEmulator
from sandbox.google_drive.auth import GOOGLE_AUDIENCE, JWT_BEARER
from sandbox.google_drive.store import FOLDER

API = "/drive/v3"


def assertion(emu: DriveEmulator, **overrides: object) -> str:
    key = emu.key_file()
    now = int(time.time())
    claims = {"iss": key["client_email"], "scope": "https://www.googleapis.com/auth/drive.file",
              "aud": GOOGLE_AUDIENCE, "iat": now, "exp": now + 3600, **overrides}
    return jwt.encode(claims, key["private_key"], algorithm="RS256",
                      headers={"kid": key["private_key_id"]})


@pytest.fixture
def http(drive: DriveEmulator):
    s = sandbox_requests_session(drive.ca_bundle)
    answer = s.post(drive.token_uri, data={"grant_type": JWT_BEARER,
                                           "assertion": assertion(drive)})
    assert answer.status_code == 200, answer.text
    s.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    s.base = drive.base_url  # type: ignore[attr-defined]
    return s


def url(http, path: str) -> str:
    return http.base + path


def make(drive: DriveEmulator, name: str, parent: str = "root", props=None, content=b"x"):
    meta = {"name": name, "parents": [parent], "appProperties": props or {},
            "mimeType": "application/pdf" if content is not None else FOLDER}
    return drive.store.create(meta, content)


# -- tokens --------------------------------------------------------------------------
def test_token_needs_a_jwt_signed_by_the_service_account_key(drive):
    s = sandbox_requests_session(drive.ca_bundle)
    other_key = DriveEmulator().account.key_file("https://x")["private_key"]
    forged = jwt.encode({"iss": drive.key_file()["client_email"], "aud": GOOGLE_AUDIENCE,
                         "iat": int(time.time()), "exp": int(time.time()) + 600},
                        other_key, algorithm="RS256")
    bad = s.post(drive.token_uri, data={"grant_type": JWT_BEARER, "assertion": forged})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    wrong_aud = s.post(drive.token_uri, data={"grant_type": JWT_BEARER,
                                             "assertion": assertion(drive, aud="https://x")})
    assert wrong_aud.status_code == 400
    own_uri = s.post(drive.token_uri, data={"grant_type": JWT_BEARER,
                                           "assertion": assertion(drive, aud=drive.token_uri)})
    assert own_uri.status_code == 200 and own_uri.json()["token_type"] == "Bearer"


def test_api_without_a_token_answers_401_in_drive_shape(drive):
    s = sandbox_requests_session(drive.ca_bundle)
    r = s.get(drive.base_url + API + "/files")
    body = r.json()["error"]
    assert r.status_code == 401 and body["code"] == 401
    assert body["errors"][0]["reason"] == "authError"


# -- files.list ---------------------------------------------------------------------
def test_q_subset_with_and_or_parentheses_and_app_properties(drive, http):
    folder = make(drive, "Contracts", content=None)
    a = make(drive, "a.pdf", folder.id, {"doc": "1", "sha256": "aa"})
    make(drive, "b.pdf", folder.id, {"doc": "2"})
    c = make(drive, "it's.pdf", "root", {"doc": "1"})
    drive.trash(c.id)

    def names(q: str) -> list[str]:
        r = http.get(url(http, API + "/files"), params={"q": q, "fields": "files(name)"})
        assert r.status_code == 200, r.text
        return sorted(f["name"] for f in r.json()["files"])

    assert names(f"'{folder.id}' in parents and trashed = false") == ["a.pdf", "b.pdf"]
    assert names("appProperties has { key='doc' and value='1' }") == ["a.pdf", "it's.pdf"]
    assert names("appProperties has { key='doc' and value='1' } and trashed = false") == \
        ["a.pdf"]
    assert names("name = 'b.pdf' or (name = 'it\\'s.pdf' and trashed = true)") == \
        ["b.pdf", "it's.pdf"]
    assert names(f"mimeType = '{FOLDER}'") == ["Contracts"]
    assert names("not name = 'a.pdf' and mimeType != 'application/vnd.google-apps.folder'") \
        == ["b.pdf", "it's.pdf"]
    assert names("'root' in parents and name = 'Contracts'") == ["Contracts"]
    assert a.id


@pytest.mark.parametrize("q", ["name = ", "name == 'a'", "size > 3", "(name = 'a'",
                               "name = 'a' and", "appProperties has { key='k' }",
                               "trashed = maybe", "name = 'unterminated"])
def test_bad_q_is_a_clear_400(http, q):
    r = http.get(url(http, API + "/files"), params={"q": q})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["errors"][0]["reason"] == "invalid" and "Invalid query" in err["message"]
    assert err["errors"][0]["location"] == "q"


def test_paging_and_fields_selection(drive, http):
    for n in range(7):
        make(drive, f"f{n}.pdf", props={"n": str(n)})
    seen, token, pages = [], None, 0
    while True:
        params = {"pageSize": 3, "fields": "nextPageToken,files(id,name,appProperties)",
                  "q": "trashed = false", "orderBy": "name"}
        if token:
            params["pageToken"] = token
        body = http.get(url(http, API + "/files"), params=params).json()
        pages += 1
        assert all(set(f) == {"id", "name", "appProperties"} for f in body["files"])
        seen += [f["name"] for f in body["files"]]
        token = body.get("nextPageToken")
        if not token:
            break
    assert pages == 3 and seen == [f"f{n}.pdf" for n in range(7)]
    # a selection without nextPageToken silently ends paging, as on Drive
    body = http.get(url(http, API + "/files"), params={"pageSize": 3,
                                                       "fields": "files(id)"}).json()
    assert "nextPageToken" not in body and len(body["files"]) == 3
    bad = http.get(url(http, API + "/files"), params={"pageToken": "garbage"})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["location"] == \
        "pageToken"
    too_big = http.get(url(http, API + "/files"), params={"pageSize": 5000})
    assert too_big.status_code == 400


# -- uploads ------------------------------------------------------------------------
def test_multipart_create_with_lf_lines_and_get_media(drive, http):
    meta = json.dumps({"name": "c.pdf", "appProperties": {"doc": "9"}})
    body = (b"--XYZ\nContent-Type: application/json; charset=UTF-8\n\n" + meta.encode() +
            b"\n--XYZ\nContent-Type: application/pdf\nContent-Transfer-Encoding: binary\n\n"
            b"%PDF\r\n\r\nbytes\n--XYZ--")
    r = http.post(url(http, "/upload" + API + "/files"),
                  params={"uploadType": "multipart", "fields": "id,name,size,sha256Checksum,"
                                                               "md5Checksum,mimeType"},
                  data=body, headers={"Content-Type": 'multipart/related; boundary="XYZ"'})
    assert r.status_code == 200, r.text
    f = r.json()
    assert f["name"] == "c.pdf" and f["mimeType"] == "application/pdf"
    assert f["size"] == str(len(b"%PDF\r\n\r\nbytes"))
    media = http.get(url(http, API + f"/files/{f['id']}"), params={"alt": "media"})
    assert media.content == b"%PDF\r\n\r\nbytes"


def test_resumable_upload_308_range_status_query_and_final_200(drive, http):
    content = bytes(range(256)) * 1024 * 2 + b"tail"  # 512 KiB + 4
    start = http.post(url(http, "/upload" + API + "/files"),
                      params={"uploadType": "resumable", "fields": "id,size"},
                      json={"name": "big.pdf"},
                      headers={"X-Upload-Content-Type": "application/pdf",
                               "X-Upload-Content-Length": str(len(content))})
    assert start.status_code == 200
    where = start.headers["Location"]
    assert where.startswith(drive.base_url + "/upload/drive/v3/files?")
    q = 256 * 1024
    first = http.put(where, data=content[:q],
                     headers={"Content-Range": f"bytes 0-{q - 1}/{len(content)}"})
    assert first.status_code == 308 and first.headers["Range"] == f"bytes=0-{q - 1}"
    odd = http.put(where, data=content[q:q + 1000],
                   headers={"Content-Range": f"bytes {q}-{q + 999}/{len(content)}"})
    assert odd.status_code == 400  # not a multiple of 256 KiB and not the last chunk
    status = http.put(where, data=b"", headers={"Content-Range": f"bytes */{len(content)}"})
    assert status.status_code == 308 and status.headers["Range"] == f"bytes=0-{q - 1}"
    rest = http.put(where, data=content[q:], headers={
        "Content-Range": f"bytes {q}-{len(content) - 1}/{len(content)}"})
    assert rest.status_code == 200 and rest.json()["size"] == str(len(content))
    assert drive.store.get(rest.json()["id"]).content == content


def test_update_metadata_parents_trash_and_media_replace(drive, http):
    a, b = make(drive, "A", content=None), make(drive, "B", content=None)
    f = make(drive, "f.pdf", a.id)
    r = http.patch(url(http, API + f"/files/{f.id}"),
                   params={"addParents": b.id, "removeParents": a.id,
                           "fields": "name,parents,trashed"},
                   json={"name": "g.pdf", "trashed": True})
    assert r.json() == {"name": "g.pdf", "parents": [b.id], "trashed": True}
    m = http.patch(url(http, "/upload" + API + f"/files/{f.id}"),
                   params={"uploadType": "media", "fields": "size"}, data=b"new bytes",
                   headers={"Content-Type": "application/pdf"})
    assert m.json() == {"size": "9"}
    assert http.delete(url(http, API + f"/files/{f.id}")).status_code == 204
    gone = http.get(url(http, API + f"/files/{f.id}"))
    assert gone.status_code == 404 and gone.json()["error"]["errors"][0]["reason"] == "notFound"


# -- changes ------------------------------------------------------------------------
def test_changes_feed_pages_and_new_start_token(drive, http):
    start = http.get(url(http, API + "/changes/startPageToken")).json()["startPageToken"]
    files = [make(drive, f"f{n}.pdf") for n in range(3)]
    drive.trash(files[0].id)
    drive.delete(files[1].id)
    token, items, pages = start, [], 0
    while True:
        body = http.get(url(http, API + "/changes"), params={
            "pageToken": token, "pageSize": 2,
            "fields": "nextPageToken,newStartPageToken,changes(changeType,removed,fileId,"
                      "time,file(id,trashed))"}).json()
        pages += 1
        items += body["changes"]
        if "nextPageToken" in body:
            assert "newStartPageToken" not in body
            token = body["nextPageToken"]
            continue
        new_start = body["newStartPageToken"]
        break
    latest = {c["fileId"]: c for c in items}
    assert len(items) == 3 and pages >= 2  # one change per file, its latest state
    assert latest[files[0].id]["file"]["trashed"] is True
    assert latest[files[1].id]["removed"] is True and "file" not in latest[files[1].id]
    assert latest[files[2].id]["changeType"] == "file"
    empty = http.get(url(http, API + "/changes"), params={"pageToken": new_start}).json()
    assert empty["changes"] == [] and empty["newStartPageToken"] == new_start
    drive.store.expire_tokens()
    old = http.get(url(http, API + "/changes"), params={"pageToken": start})
    assert old.status_code == 400


# -- faults -------------------------------------------------------------------------
@pytest.mark.parametrize("status,reason", [(403, "userRateLimitExceeded"),
                                           (429, "rateLimitExceeded")])
def test_rate_limit_faults_carry_drive_bodies(drive, http, status, reason):
    drive.add_fault(pattern=r"GET /drive/v3/files$", status=status, retry_after=5, times=1)
    r = http.get(url(http, API + "/files"))
    assert r.status_code == status and r.headers["Retry-After"] == "5"
    err = r.json()["error"]
    assert err["code"] == status and err["errors"][0]["reason"] == reason
    assert err["errors"][0]["domain"] == "usageLimits"
    assert http.get(url(http, API + "/files")).status_code == 200


def test_metadata_only_create_makes_an_empty_file_unless_a_folder(http):
    empty = http.post(url(http, API + "/files"), params={"fields": "mimeType,size"},
                      json={"name": "note"}).json()
    assert empty == {"mimeType": "application/octet-stream", "size": "0"}
    folder = http.post(url(http, API + "/files"), params={"fields": "mimeType,size"},
                       json={"name": "F", "mimeType": FOLDER}).json()
    assert folder == {"mimeType": FOLDER}
