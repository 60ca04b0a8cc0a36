"""Pushing blobs and manifests to a registry over plain HTTP, as a client following the spec would."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any
from urllib.parse import urljoin

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def error_codes(response: requests.Response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def push_blob(http: requests.Session, url: str, repo: str, data: bytes) -> str:
    digest = sha256(data)
    response = http.post(f"{url}/v2/{repo}/blobs/uploads/", params={"digest": digest}, data=data)
    assert response.status_code == 201, response.text
    return digest


def start_upload(http: requests.Session, url: str, repo: str) -> str:
    """The absolute upload URL of a new session."""
    response = http.post(f"{url}/v2/{repo}/blobs/uploads/")
    assert response.status_code == 202, response.text
    return urljoin(url, response.headers["Location"])


def descriptor(media_type: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data), **extra}


def image_manifest(
    http: requests.Session, url: str, repo: str, *, layers: int = 1, docker: bool = False, **extra: Any
) -> bytes:
    """Pushes a config and random layers, and returns the bytes of a manifest referencing them (not pushed)."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
                         "salt": os.urandom(8).hex()}).encode()  # fmt: skip
    push_blob(http, url, repo, config)
    layer_blobs = [os.urandom(256) for _ in range(layers)]
    for layer in layer_blobs:
        push_blob(http, url, repo, layer)
    media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
    manifest = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": descriptor(DOCKER_CONFIG if docker else OCI_CONFIG, config),
        "layers": [descriptor(DOCKER_LAYER if docker else OCI_LAYER, layer) for layer in layer_blobs],
        **extra,
    }
    return json.dumps(manifest).encode()


def put_manifest(
    http: requests.Session, url: str, repo: str, reference: str, data: bytes, media_type: str | None = None
) -> requests.Response:
    content_type = media_type or json.loads(data).get("mediaType", OCI_MANIFEST)
    return http.put(f"{url}/v2/{repo}/manifests/{reference}", data=data, headers={"Content-Type": content_type})


def push_image(http: requests.Session, url: str, repo: str, tag: str, **options: Any) -> tuple[str, bytes]:
    manifest = image_manifest(http, url, repo, **options)
    response = put_manifest(http, url, repo, tag, manifest)
    assert response.status_code == 201, response.text
    return sha256(manifest), manifest
