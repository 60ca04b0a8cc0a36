"""Manifests, tags, catalog and referrers over real HTTP: every manifest kind, reference checks, pagination."""

from __future__ import annotations

import json
import os

import pytest
import requests

from tests.registry.conftest import Server, StartServer
from tests.registry.helpers import (
    DOCKER_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
    descriptor,
    error_codes,
    image_manifest,
    push_blob,
    push_image,
    put_manifest,
    sha256,
)

PLATFORM = {"architecture": "amd64", "os": "linux"}


@pytest.mark.parametrize("docker", [False, True], ids=["oci", "docker-schema2"])
def test_image_manifest_by_tag_and_digest(registry: Server, http: requests.Session, docker: bool) -> None:
    repo = f"img/{'docker' if docker else 'oci'}"
    manifest = image_manifest(http, registry.url, repo, layers=2, docker=docker)
    media_type = json.loads(manifest)["mediaType"]
    response = put_manifest(http, registry.url, repo, "v1", manifest)
    assert response.status_code == 201, response.text
    digest = sha256(manifest)
    assert response.headers["Docker-Content-Digest"] == digest
    assert response.headers["Location"] == f"/v2/{repo}/manifests/{digest}"

    for reference in ("v1", digest):
        got = http.get(f"{registry.url}/v2/{repo}/manifests/{reference}")
        assert got.status_code == 200
        assert got.content == manifest  # the exact bytes pushed
        assert got.headers["Content-Type"] == media_type
        assert got.headers["Docker-Content-Digest"] == digest
        head = http.head(f"{registry.url}/v2/{repo}/manifests/{reference}")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Content-Length"] == str(len(manifest))
        assert head.headers["Docker-Content-Digest"] == digest


@pytest.mark.parametrize("media_type", [OCI_INDEX, DOCKER_LIST])
def test_index_needs_its_child_manifests(registry: Server, http: requests.Session, media_type: str) -> None:
    repo = "multi/arch"
    child_digest, child = push_image(http, registry.url, repo, "amd64")
    absent = image_manifest(http, registry.url, repo)  # its blobs are pushed, the manifest itself is not
    index = {"schemaVersion": 2, "mediaType": media_type, "manifests": [
        descriptor(OCI_MANIFEST, child, platform=PLATFORM),
        descriptor(OCI_MANIFEST, absent, platform={"architecture": "arm64", "os": "linux"})]}  # fmt: skip
    data = json.dumps(index).encode()
    response = put_manifest(http, registry.url, repo, "latest", data)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"code": "MANIFEST_BLOB_UNKNOWN", "message": response.json()["errors"][0][
        "message"], "detail": {"digest": sha256(absent)}}]  # fmt: skip

    assert put_manifest(http, registry.url, repo, sha256(absent), absent).status_code == 201
    response = put_manifest(http, registry.url, repo, "latest", data)
    assert response.status_code == 201
    got = http.get(f"{registry.url}/v2/{repo}/manifests/latest")
    assert got.content == data and got.headers["Content-Type"] == media_type
    assert child_digest in got.text


def test_image_manifest_needs_its_blobs(registry: Server, http: requests.Session) -> None:
    config = push_blob(http, registry.url, "partial", b"{}")
    missing_layers = [os.urandom(64), os.urandom(64)]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar", layer) for layer in missing_layers]}).encode()  # fmt: skip
    response = put_manifest(http, registry.url, "partial", "v1", manifest)
    assert response.status_code == 400
    assert error_codes(response) == ["MANIFEST_BLOB_UNKNOWN"] * 2
    assert sorted(e["detail"]["digest"] for e in response.json()["errors"]) == sorted(map(sha256, missing_layers))
    assert http.get(f"{registry.url}/v2/partial/manifests/v1").status_code == 404

    # A blob of another repository does not count: it must be mounted first.
    other = push_blob(http, registry.url, "elsewhere", b"layer")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": other, "size": 5}]}).encode()  # fmt: skip
    assert error_codes(put_manifest(http, registry.url, "partial", "v1", manifest)) == ["MANIFEST_BLOB_UNKNOWN"]


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"not json", OCI_MANIFEST),
        (b'{"schemaVersion": 1, "name": "x"}', "application/vnd.docker.distribution.manifest.v1+json"),
        (b'{"schemaVersion": 2, "mediaType": "application/x-unknown"}', "application/x-unknown"),
        (json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": []}).encode(), OCI_MANIFEST),
        (json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}).encode(), OCI_MANIFEST),
    ],
    ids=["not-json", "schema1", "unknown-type", "no-config", "type-mismatch"],
)
def test_invalid_manifests(registry: Server, http: requests.Session, body: bytes, content_type: str) -> None:
    response = http.put(f"{registry.url}/v2/bad/manifests/v1", data=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert error_codes(response) == ["MANIFEST_INVALID"]


def test_push_by_digest_checks_the_digest(registry: Server, http: requests.Session) -> None:
    manifest = image_manifest(http, registry.url, "bydigest")
    wrong = sha256(b"other")
    response = put_manifest(http, registry.url, "bydigest", wrong, manifest)
    assert response.status_code == 400 and error_codes(response) == ["DIGEST_INVALID"]
    assert http.get(f"{registry.url}/v2/bydigest/manifests/{wrong}").status_code == 404
    assert put_manifest(http, registry.url, "bydigest", sha256(manifest), manifest).status_code == 201
    assert http.get(f"{registry.url}/v2/bydigest/tags/list").json()["tags"] == []


def test_oversized_manifest_is_refused(registry: Server, http: requests.Session) -> None:
    response = put_manifest(http, registry.url, "huge", "v1", b" " * (5 << 20), OCI_MANIFEST)
    assert response.status_code == 413
    assert error_codes(response) == ["MANIFEST_INVALID"]


def test_unknown_manifests_and_repositories(registry: Server, http: requests.Session) -> None:
    response = http.get(f"{registry.url}/v2/never/pushed/manifests/latest")
    assert response.status_code == 404 and error_codes(response) == ["NAME_UNKNOWN"]
    push_image(http, registry.url, "known", "v1")
    for reference in ("v2", sha256(b"nothing")):
        response = http.get(f"{registry.url}/v2/known/manifests/{reference}")
        assert response.status_code == 404 and error_codes(response) == ["MANIFEST_UNKNOWN"]
    response = http.get(f"{registry.url}/v2/never/pushed/tags/list")
    assert response.status_code == 404 and error_codes(response) == ["NAME_UNKNOWN"]


def test_delete_tag_then_manifest(registry: Server, http: requests.Session) -> None:
    digest, manifest = push_image(http, registry.url, "deletes", "v1")
    assert put_manifest(http, registry.url, "deletes", "v2", manifest).status_code == 201
    assert http.delete(f"{registry.url}/v2/deletes/manifests/v1").status_code == 202
    assert http.get(f"{registry.url}/v2/deletes/manifests/v1").status_code == 404
    assert http.get(f"{registry.url}/v2/deletes/manifests/v2").status_code == 200

    assert http.delete(f"{registry.url}/v2/deletes/manifests/{digest}").status_code == 202
    for reference in ("v2", digest):
        response = http.get(f"{registry.url}/v2/deletes/manifests/{reference}")
        assert response.status_code == 404 and error_codes(response) == ["MANIFEST_UNKNOWN"]
    assert http.get(f"{registry.url}/v2/deletes/tags/list").json()["tags"] == []
    response = http.delete(f"{registry.url}/v2/deletes/manifests/{digest}")
    assert response.status_code == 404 and error_codes(response) == ["MANIFEST_UNKNOWN"]


def test_tags_list_pagination(registry: Server, http: requests.Session) -> None:
    _, manifest = push_image(http, registry.url, "paged", "seed")
    http.delete(f"{registry.url}/v2/paged/manifests/seed")
    tags = ["1.0", "1.1", "2.0", "B", "a", "latest", "z_9"]
    for tag in tags:
        assert put_manifest(http, registry.url, "paged", tag, manifest).status_code == 201
    everything = http.get(f"{registry.url}/v2/paged/tags/list")
    assert everything.json() == {"name": "paged", "tags": sorted(tags)}
    assert "Link" not in everything.headers

    collected, url = [], f"{registry.url}/v2/paged/tags/list?n=3"
    while url:
        page = http.get(url)
        assert len(page.json()["tags"]) <= 3
        collected += page.json()["tags"]
        link = page.headers.get("Link")
        url = registry.url + link.split(">")[0].lstrip("<") if link else ""
        assert link is None or link.endswith('; rel="next"')
    assert collected == sorted(tags)

    assert http.get(f"{registry.url}/v2/paged/tags/list?n=2&last=B").json()["tags"] == ["a", "latest"]
    assert http.get(f"{registry.url}/v2/paged/tags/list?last=latest").json()["tags"] == ["z_9"]
    empty = http.get(f"{registry.url}/v2/paged/tags/list?n=0")
    assert empty.json()["tags"] == [] and "Link" not in empty.headers
    assert http.get(f"{registry.url}/v2/paged/tags/list?n=-1").status_code == 400


def test_catalog_pagination(start_server: StartServer, tmp_path, http: requests.Session) -> None:
    server = start_server("serve", "--root", str(tmp_path / "catalog"))
    names = ["alpha", "beta/one", "beta/two", "gamma/deep/er"]
    for name in names:
        push_blob(http, server.url, name, name.encode())
    assert http.get(f"{server.url}/v2/_catalog").json() == {"repositories": names}
    first = http.get(f"{server.url}/v2/_catalog?n=2")
    assert first.json()["repositories"] == names[:2]
    assert first.headers["Link"] == '</v2/_catalog?n=2&last=beta%2Fone>; rel="next"'
    second = http.get(server.url + first.headers["Link"].split(">")[0].lstrip("<"))
    assert second.json()["repositories"] == names[2:]
    assert "Link" not in second.headers


def test_referrers(registry: Server, http: requests.Session) -> None:
    repo = "signed/app"
    subject_digest, subject = push_image(http, registry.url, repo, "v1")
    subject_descriptor = descriptor(OCI_MANIFEST, subject)
    empty_config = push_blob(http, registry.url, repo, b"{}")
    artifacts = {}
    for artifact_type in ("application/vnd.example.sbom", "application/vnd.example.signature"):
        blob = push_blob(http, registry.url, repo, artifact_type.encode())
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty_config, "size": 2},
            "layers": [{"mediaType": "text/plain", "digest": blob, "size": len(artifact_type)}],
            "subject": subject_descriptor, "annotations": {"kind": artifact_type}}).encode()  # fmt: skip
        response = put_manifest(http, registry.url, repo, sha256(manifest), manifest)
        assert response.status_code == 201, response.text
        assert response.headers["OCI-Subject"] == subject_digest
        artifacts[artifact_type] = manifest
    # Without artifactType, an image's referrer entry is typed by its config.
    untyped = image_manifest(http, registry.url, repo, subject=subject_descriptor)
    assert put_manifest(http, registry.url, repo, sha256(untyped), untyped).status_code == 201

    response = http.get(f"{registry.url}/v2/{repo}/referrers/{subject_digest}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == OCI_INDEX
    index = response.json()
    assert index["schemaVersion"] == 2 and index["mediaType"] == OCI_INDEX
    by_digest = {entry["digest"]: entry for entry in index["manifests"]}
    assert set(by_digest) == {sha256(m) for m in artifacts.values()} | {sha256(untyped)}
    sbom = by_digest[sha256(artifacts["application/vnd.example.sbom"])]
    assert sbom == {"mediaType": OCI_MANIFEST, "digest": sha256(artifacts["application/vnd.example.sbom"]),
                    "size": len(artifacts["application/vnd.example.sbom"]),
                    "annotations": {"kind": "application/vnd.example.sbom"},
                    "artifactType": "application/vnd.example.sbom"}  # fmt: skip
    assert by_digest[sha256(untyped)]["artifactType"] == "application/vnd.oci.image.config.v1+json"

    filtered = http.get(f"{registry.url}/v2/{repo}/referrers/{subject_digest}",
                        params={"artifactType": "application/vnd.example.signature"})  # fmt: skip
    assert filtered.headers["OCI-Filters-Applied"] == "artifactType"
    assert [e["digest"] for e in filtered.json()["manifests"]] == [
        sha256(artifacts["application/vnd.example.signature"])
    ]

    # Deleting a referrer takes it out of the list; an unknown subject has an empty list, never a 404.
    http.delete(f"{registry.url}/v2/{repo}/manifests/{sha256(untyped)}")
    assert len(http.get(f"{registry.url}/v2/{repo}/referrers/{subject_digest}").json()["manifests"]) == 2
    nothing = http.get(f"{registry.url}/v2/{repo}/referrers/{sha256(b'none')}")
    assert nothing.status_code == 200 and nothing.json()["manifests"] == []
    assert http.get(f"{registry.url}/v2/{repo}/referrers/not-a-digest").status_code == 400


def test_referrer_may_come_before_its_subject(registry: Server, http: requests.Session) -> None:
    future = {"mediaType": OCI_MANIFEST, "digest": sha256(b"future"), "size": 6}
    manifest = image_manifest(http, registry.url, "early", subject=future)
    response = put_manifest(http, registry.url, "early", sha256(manifest), manifest)
    assert response.status_code == 201
    listed = http.get(f"{registry.url}/v2/early/referrers/{future['digest']}").json()["manifests"]
    assert [entry["digest"] for entry in listed] == [sha256(manifest)]


def test_unsupported_method(registry: Server, http: requests.Session) -> None:
    response = http.post(f"{registry.url}/v2/x/manifests/latest")
    assert response.status_code == 405
    assert error_codes(response) == ["UNSUPPORTED"]
