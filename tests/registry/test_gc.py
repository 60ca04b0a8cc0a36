"""`hydock registry gc`: what any manifest reaches stays, the rest goes, and never while a writer is serving."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

import hydock
from tests.registry.conftest import StartServer
from tests.registry.helpers import OCI_INDEX, OCI_MANIFEST, descriptor, image_manifest, push_blob, put_manifest, sha256


def gc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(hydock.__file__).parents[1])}  # the hydock under test
    return subprocess.run([sys.executable, "-m", "hydock", "registry", "gc", "--root", str(root), *args],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip


def blob_files(root: Path) -> set[str]:
    return {f"sha256:{path.name}" for path in (root / "blobs/sha256").iterdir()}


def referenced_blobs(manifest: bytes) -> set[str]:
    document = json.loads(manifest)
    return {document["config"]["digest"], *(layer["digest"] for layer in document["layers"])}


def test_gc_keeps_what_is_reachable_and_sweeps_the_rest(
    start_server: StartServer, registry_root: Path, http: requests.Session
) -> None:
    server = start_server("serve", "--root", str(registry_root))
    url = server.url
    kept = image_manifest(http, url, "app")
    assert put_manifest(http, url, "app", "v1", kept).status_code == 201
    # An untagged manifest is still a manifest of the repository: kept.
    untagged = image_manifest(http, url, "app")
    assert put_manifest(http, url, "app", sha256(untagged), untagged).status_code == 201
    # An index reached only through its tag, and its child reached only through the index.
    child = image_manifest(http, url, "multi")
    assert put_manifest(http, url, "multi", sha256(child), child).status_code == 201
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        descriptor(OCI_MANIFEST, child, platform={"architecture": "amd64", "os": "linux"})]}).encode()  # fmt: skip
    assert put_manifest(http, url, "multi", "latest", index).status_code == 201
    # A signature of the kept image.
    signature = image_manifest(http, url, "app", subject=descriptor(OCI_MANIFEST, kept))
    assert put_manifest(http, url, "app", sha256(signature), signature).status_code == 201
    # A deleted image, one of whose layers a kept image shares.
    doomed = json.loads(image_manifest(http, url, "app"))
    doomed["layers"].append(json.loads(kept)["layers"][0])
    deleted = json.dumps(doomed).encode()
    assert put_manifest(http, url, "app", "old", deleted).status_code == 201
    assert http.delete(f"{url}/v2/app/manifests/{sha256(deleted)}").status_code == 202
    # A blob pushed and never referenced.
    stray = push_blob(http, url, "app", b"stray blob")

    reachable = {sha256(m) for m in (kept, untagged, child, index, signature)}
    for manifest in (kept, untagged, child, signature):
        reachable |= referenced_blobs(manifest)
    garbage = {sha256(deleted), stray} | (referenced_blobs(deleted) - reachable)
    assert blob_files(registry_root) == reachable | garbage

    refused = gc(registry_root)
    assert refused.returncode != 0 and "a registry server is writing to" in refused.stderr
    server.stop()

    dry = gc(registry_root, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert {line.split()[-1] for line in dry.stdout.splitlines() if line.startswith("would delete blob")} == garbage
    assert blob_files(registry_root) == reachable | garbage

    done = gc(registry_root)
    assert done.returncode == 0, done.stderr
    assert f"{len(garbage)} blobs deleted" in done.stdout
    assert blob_files(registry_root) == reachable

    # Everything kept is still served; the stray blob is no longer claimed by its repository.
    reader = start_server("serve", "--root", str(registry_root), "--read-only")
    for repo, reference, body in [("app", "v1", kept), ("app", sha256(untagged), untagged),
                                  ("multi", "latest", index), ("multi", sha256(child), child)]:  # fmt: skip
        assert http.get(f"{reader.url}/v2/{repo}/manifests/{reference}").content == body
    for digest in referenced_blobs(kept):
        assert http.head(f"{reader.url}/v2/app/blobs/{digest}").status_code == 200
    assert http.head(f"{reader.url}/v2/app/blobs/{stray}").status_code == 404
    assert not (registry_root / "repositories/app/_layers/sha256" / stray.removeprefix("sha256:")).exists()
    referrers = http.get(f"{reader.url}/v2/app/referrers/{sha256(kept)}").json()["manifests"]
    assert [entry["digest"] for entry in referrers] == [sha256(signature)]

    # A read-only server may keep serving while gc runs: it cannot add references.
    again = gc(registry_root)
    assert again.returncode == 0 and "0 blobs deleted" in again.stdout


def test_gc_purges_only_stale_uploads(start_server: StartServer, registry_root: Path, http: requests.Session) -> None:
    server = start_server("serve", "--root", str(registry_root))
    stale = http.post(f"{server.url}/v2/up/blobs/uploads/").headers["Docker-Upload-UUID"]
    fresh = http.post(f"{server.url}/v2/up/blobs/uploads/").headers["Docker-Upload-UUID"]
    server.stop()
    eight_days_ago = time.time() - 8 * 24 * 3600
    os.utime(registry_root / "ingest" / stale, (eight_days_ago, eight_days_ago))
    result = gc(registry_root)
    assert result.returncode == 0, result.stderr
    assert f"deleted stale upload {stale}" in result.stdout
    assert sorted(path.name for path in (registry_root / "ingest").iterdir()) == [fresh, f"{fresh}.json"]
