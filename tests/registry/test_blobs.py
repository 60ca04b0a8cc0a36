"""Blobs and uploads over real HTTP: monolithic, chunked and resumable uploads, ranges, mounts, deletes, errors."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from tests.registry.conftest import Server, StartServer
from tests.registry.helpers import error_codes, push_blob, sha256, start_upload


def stored_blobs(root: Path) -> list[str]:
    return sorted(path.name for path in (root / "blobs/sha256").iterdir())


def test_base_endpoint_says_it_is_a_registry(registry: Server, http: requests.Session) -> None:
    response = http.get(f"{registry.url}/v2/")
    assert response.status_code == 200
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_monolithic_post_then_head_and_get(registry: Server, http: requests.Session) -> None:
    data = os.urandom(100_000)
    digest = sha256(data)
    response = http.post(f"{registry.url}/v2/lib/app/blobs/uploads/", params={"digest": digest}, data=data)
    assert response.status_code == 201
    assert response.headers["Location"] == f"/v2/lib/app/blobs/{digest}"
    assert response.headers["Docker-Content-Digest"] == digest

    head = http.head(f"{registry.url}/v2/lib/app/blobs/{digest}")
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(data))
    assert head.headers["Docker-Content-Digest"] == digest
    get = http.get(f"{registry.url}/v2/lib/app/blobs/{digest}")
    assert get.content == data and get.headers["Docker-Content-Digest"] == digest


def test_range_requests_on_blobs(registry: Server, http: requests.Session) -> None:
    data = bytes(range(256)) * 4
    digest = push_blob(http, registry.url, "ranges", data)
    response = http.get(f"{registry.url}/v2/ranges/blobs/{digest}", headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.content == data[10:20]
    assert response.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = http.get(f"{registry.url}/v2/ranges/blobs/{digest}", headers={"Range": "bytes=1000-"})
    assert tail.status_code == 206 and tail.content == data[1000:]


def test_post_then_put_upload(registry: Server, http: requests.Session) -> None:
    data = b"post then put"
    location = start_upload(http, registry.url, "pp")
    response = http.put(location, params={"digest": sha256(data)}, data=data)
    assert response.status_code == 201
    assert http.get(f"{registry.url}/v2/pp/blobs/{sha256(data)}").content == data


def test_chunked_upload_in_order_resumes_after_a_bad_range(registry: Server, http: requests.Session) -> None:
    data = os.urandom(3 * 65536 + 123)
    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    location = start_upload(http, registry.url, "chunks")
    offset = 0
    for chunk in chunks[:2]:
        end = offset + len(chunk) - 1
        response = http.patch(location, data=chunk, headers={"Content-Range": f"{offset}-{end}"})
        assert response.status_code == 202, response.text
        assert response.headers["Range"] == f"0-{end}"
        location = requests.compat.urljoin(registry.url, response.headers["Location"])
        offset += len(chunk)

    skipped = http.patch(location, data=chunks[3], headers={"Content-Range": f"{offset + 65536}-{len(data) - 1}"})
    assert skipped.status_code == 416
    assert error_codes(skipped) == ["BLOB_UPLOAD_INVALID"]
    overlapping = http.patch(location, data=chunks[2], headers={"Content-Range": f"{offset - 10}-{offset + 65525}"})
    assert overlapping.status_code == 416

    status = http.get(location)
    assert status.status_code == 204
    assert status.headers["Range"] == f"0-{offset - 1}"
    response = http.patch(location, data=chunks[2], headers={"Content-Range": f"{offset}-{offset + 65535}"})
    assert response.status_code == 202
    offset += 65536
    final = http.put(
        location,
        params={"digest": sha256(data)},
        data=chunks[3],
        headers={"Content-Range": f"{offset}-{len(data) - 1}"},
    )
    assert final.status_code == 201, final.text
    assert http.get(f"{registry.url}/v2/chunks/blobs/{sha256(data)}").content == data


def test_final_chunk_out_of_order_is_416(registry: Server, http: requests.Session) -> None:
    location = start_upload(http, registry.url, "final416")
    assert http.patch(location, data=b"abc", headers={"Content-Range": "0-2"}).status_code == 202
    response = http.put(location, params={"digest": sha256(b"abcdef")}, data=b"def", headers={"Content-Range": "4-6"})
    assert response.status_code == 416


def test_chunk_length_must_match_its_range(registry: Server, http: requests.Session) -> None:
    location = start_upload(http, registry.url, "sizes")
    response = http.patch(location, data=b"abcd", headers={"Content-Range": "0-9"})
    assert response.status_code == 400
    assert error_codes(response) == ["SIZE_INVALID"]
    assert http.get(location).headers["Range"] == "0-0"


def test_malformed_content_range_is_refused(registry: Server, http: requests.Session) -> None:
    location = start_upload(http, registry.url, "badrange")
    response = http.patch(location, data=b"abc", headers={"Content-Range": "zero-two"})
    assert response.status_code == 400
    assert error_codes(response) == ["BLOB_UPLOAD_INVALID"]


def test_streamed_patch_without_range_appends(registry: Server, http: requests.Session) -> None:
    """Docker's client streams a layer in one PATCH with no Content-Range."""
    data = os.urandom(2_000_000)
    location = start_upload(http, registry.url, "stream")
    response = http.patch(location, data=iter([data[:1_000_000], data[1_000_000:]]))
    assert response.status_code == 202
    assert response.headers["Range"] == f"0-{len(data) - 1}"
    assert http.put(location, params={"digest": sha256(data)}).status_code == 201


def test_digest_mismatch_leaves_nothing_visible(registry: Server, registry_root: Path, http: requests.Session) -> None:
    before = stored_blobs(registry_root)
    claimed = sha256(b"something else")
    response = http.post(f"{registry.url}/v2/mismatch/blobs/uploads/", params={"digest": claimed}, data=b"actual")
    assert response.status_code == 400
    assert error_codes(response) == ["DIGEST_INVALID"]

    location = start_upload(http, registry.url, "mismatch")
    http.patch(location, data=b"actual", headers={"Content-Range": "0-5"})
    response = http.put(location, params={"digest": claimed})
    assert response.status_code == 400 and error_codes(response) == ["DIGEST_INVALID"]
    assert http.get(location).status_code == 404  # the failed upload is over
    assert http.head(f"{registry.url}/v2/mismatch/blobs/{claimed}").status_code == 404
    assert http.head(f"{registry.url}/v2/mismatch/blobs/{sha256(b'actual')}").status_code == 404
    assert stored_blobs(registry_root) == before
    assert [p.name for p in (registry_root / "ingest").iterdir()] == []


def test_finishing_needs_a_valid_digest(registry: Server, http: requests.Session) -> None:
    location = start_upload(http, registry.url, "needdigest")
    assert error_codes(http.put(location)) == ["DIGEST_INVALID"]
    response = http.put(location, params={"digest": "sha512:" + "ab" * 64})
    assert response.status_code == 400 and error_codes(response) == ["DIGEST_INVALID"]
    assert http.get(location).status_code == 204  # still open: nothing was wrong with the upload


def test_cancelled_and_unknown_uploads(registry: Server, http: requests.Session) -> None:
    location = start_upload(http, registry.url, "cancel")
    assert http.delete(location).status_code == 204
    response = http.get(location)
    assert response.status_code == 404 and error_codes(response) == ["BLOB_UPLOAD_UNKNOWN"]
    assert error_codes(http.patch(location, data=b"x")) == ["BLOB_UPLOAD_UNKNOWN"]
    bogus = f"{registry.url}/v2/cancel/blobs/uploads/../../etc"
    assert http.get(bogus).status_code == 404
    other_repo = location.replace("/v2/cancel/", "/v2/other/")
    assert error_codes(http.get(other_repo)) == ["BLOB_UPLOAD_UNKNOWN"]


def test_upload_survives_a_server_restart(
    start_server: StartServer, registry_root: Path, http: requests.Session
) -> None:
    first = start_server("serve", "--root", str(registry_root))
    location = start_upload(http, first.url, "resume")
    assert http.patch(location, data=b"hello ", headers={"Content-Range": "0-5"}).status_code == 202
    first.stop()
    second = start_server("serve", "--root", str(registry_root))
    location = location.replace(first.url, second.url)
    assert http.get(location).headers["Range"] == "0-5"
    response = http.put(location, params={"digest": sha256(b"hello world")}, data=b"world",
                        headers={"Content-Range": "6-10"})  # fmt: skip
    assert response.status_code == 201, response.text


def test_unknown_blob_and_invalid_names(registry: Server, http: requests.Session) -> None:
    missing = sha256(b"never pushed")
    response = http.get(f"{registry.url}/v2/nothing/blobs/{missing}")
    assert response.status_code == 404 and error_codes(response) == ["BLOB_UNKNOWN"]
    assert http.head(f"{registry.url}/v2/nothing/blobs/{missing}").status_code == 404
    for name in ("UPPER", "a..b", "-lead", "trail-/x"):
        response = http.get(f"{registry.url}/v2/{name}/blobs/{missing}")
        assert response.status_code == 400 and error_codes(response) == ["NAME_INVALID"], name
    response = http.get(f"{registry.url}/v2/ok/blobs/sha256:short")
    assert response.status_code == 400 and error_codes(response) == ["DIGEST_INVALID"]


def test_cross_repository_mount_stores_once(registry: Server, registry_root: Path, http: requests.Session) -> None:
    data = os.urandom(4096)
    digest = push_blob(http, registry.url, "source/repo", data)
    assert http.head(f"{registry.url}/v2/target/repo/blobs/{digest}").status_code == 404  # links are per repository

    response = http.post(
        f"{registry.url}/v2/target/repo/blobs/uploads/", params={"mount": digest, "from": "source/repo"}
    )
    assert response.status_code == 201
    assert response.headers["Location"] == f"/v2/target/repo/blobs/{digest}"
    assert http.get(f"{registry.url}/v2/target/repo/blobs/{digest}").content == data
    assert stored_blobs(registry_root).count(digest.removeprefix("sha256:")) == 1

    # A blob the source does not have: an ordinary upload starts instead.
    fallback = http.post(f"{registry.url}/v2/target/repo/blobs/uploads/",
                         params={"mount": sha256(b"absent"), "from": "source/repo"})  # fmt: skip
    assert fallback.status_code == 202 and "/blobs/uploads/" in fallback.headers["Location"]
    escape = http.post(f"{registry.url}/v2/target/repo/blobs/uploads/", params={"mount": digest, "from": "../../x"})
    assert escape.status_code == 400 and error_codes(escape) == ["NAME_INVALID"]


def test_same_blob_in_two_repositories_is_stored_once(
    registry: Server, registry_root: Path, http: requests.Session
) -> None:
    data = os.urandom(1000)
    push_blob(http, registry.url, "one", data)
    push_blob(http, registry.url, "two", data)
    assert stored_blobs(registry_root).count(sha256(data).removeprefix("sha256:")) == 1


def test_blob_delete_unlinks_from_the_repository(registry: Server, http: requests.Session) -> None:
    data = os.urandom(512)
    digest = push_blob(http, registry.url, "del/a", data)
    push_blob(http, registry.url, "del/b", data)
    assert http.delete(f"{registry.url}/v2/del/a/blobs/{digest}").status_code == 202
    assert http.head(f"{registry.url}/v2/del/a/blobs/{digest}").status_code == 404
    assert http.get(f"{registry.url}/v2/del/b/blobs/{digest}").content == data
    response = http.delete(f"{registry.url}/v2/del/a/blobs/{digest}")
    assert response.status_code == 404 and error_codes(response) == ["BLOB_UNKNOWN"]


def test_concurrent_uploads_of_the_same_blob(registry: Server, registry_root: Path) -> None:
    data = os.urandom(8 << 20)
    digest = sha256(data)
    statuses: list[int] = []

    def slow_body() -> Iterator[bytes]:
        for i in range(0, len(data), 1 << 20):
            yield data[i : i + (1 << 20)]
            time.sleep(0.01)

    def push(repo: str) -> None:
        with requests.Session() as session:
            url = f"{registry.url}/v2/{repo}/blobs/uploads/"
            statuses.append(session.post(url, params={"digest": digest}, data=slow_body()).status_code)

    threads = [threading.Thread(target=push, args=(f"race{i % 2}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 6
    assert stored_blobs(registry_root) == [digest.removeprefix("sha256:")]
    for repo in ("race0", "race1"):
        assert sha256(requests.get(f"{registry.url}/v2/{repo}/blobs/{digest}").content) == digest
    assert [p.name for p in (registry_root / "ingest").iterdir()] == []


def test_too_many_uploads_at_once(start_server: StartServer, registry_root: Path, http: requests.Session) -> None:
    server = start_server("serve", "--root", str(registry_root), "--max-uploads", "1")
    streaming, release = threading.Event(), threading.Event()
    data = b"x" * 1000

    def held_body() -> Iterator[bytes]:
        yield data[:10]
        streaming.set()
        release.wait(10)
        yield data[10:]

    result: list[int] = []
    url = f"{server.url}/v2/busy/blobs/uploads/"
    holder = threading.Thread(
        target=lambda: result.append(requests.post(url, params={"digest": sha256(data)}, data=held_body()).status_code)
    )
    holder.start()
    try:
        assert streaming.wait(10)
        time.sleep(0.3)  # the server has the headers and is reading the body
        response = http.post(url, params={"digest": sha256(b"y")}, data=b"y")
        assert response.status_code == 429
        assert error_codes(response) == ["TOOMANYREQUESTS"]
        assert response.headers["Retry-After"] == "1"
    finally:
        release.set()
        holder.join()
    assert result == [201]
    assert push_blob(http, server.url, "busy", b"y") == sha256(b"y")
