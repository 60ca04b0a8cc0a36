"""OCI image records as msgspec Structs: image config, manifest, descriptors (Docker-compatible JSON)."""

from __future__ import annotations

import msgspec

MEDIA_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
LAYER_MEDIA_BY_COMPRESSION = {"none": MEDIA_OCI_LAYER, "gzip": MEDIA_OCI_LAYER_GZIP, "zstd": MEDIA_OCI_LAYER_ZSTD}


class HealthConfig(msgspec.Struct, rename="pascal", omit_defaults=True):
    """HEALTHCHECK: Test is ["NONE"], ["CMD", arg...] or ["CMD-SHELL", command]; durations in nanoseconds."""

    test: list[str]
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0


class ContainerConfig(msgspec.Struct, rename="pascal", omit_defaults=True):
    """The `config` object of an image config: what a container runs by default."""

    user: str = ""
    exposed_ports: dict[str, dict] | None = None
    env: list[str] | None = None
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    volumes: dict[str, dict] | None = None
    working_dir: str = ""
    labels: dict[str, str] | None = None
    stop_signal: str = ""
    shell: list[str] | None = None
    healthcheck: HealthConfig | None = None
    on_build: list[str] | None = None


class RootFS(msgspec.Struct):
    type: str = "layers"
    diff_ids: list[str] = []


class History(msgspec.Struct, omit_defaults=True):
    created: str = ""
    created_by: str = ""
    author: str = ""
    comment: str = ""
    empty_layer: bool = False


class ImageConfig(msgspec.Struct, omit_defaults=True):
    """OCI image config (application/vnd.oci.image.config.v1+json); its digest is the image ID."""

    architecture: str
    os: str
    rootfs: RootFS
    created: str = ""
    author: str = ""
    variant: str = ""
    config: ContainerConfig = msgspec.field(default_factory=ContainerConfig)
    history: list[History] = []


class Platform(msgspec.Struct, omit_defaults=True):
    """What an index entry's manifest runs on."""

    architecture: str
    os: str
    os_version: str = msgspec.field(default="", name="os.version")
    os_features: list[str] | None = msgspec.field(default=None, name="os.features")
    variant: str = ""


class Descriptor(msgspec.Struct, rename="camel", omit_defaults=True):
    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] | None = None
    platform: Platform | None = None


class Manifest(msgspec.Struct, rename="camel", omit_defaults=True):
    schema_version: int
    config: Descriptor
    layers: list[Descriptor]
    media_type: str = MEDIA_OCI_MANIFEST
    annotations: dict[str, str] | None = None


class Index(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """OCI image index (also what an image layout's index.json holds) or Docker manifest list."""

    schema_version: int
    media_type: str = ""
    manifests: list[Descriptor]
    annotations: dict[str, str] | None = None


class ImageRecord(msgspec.Struct):
    """What the store keeps per image: its manifest; config and layers are reached through it."""

    id: str
    manifest_digest: str
    last_tag_time: str = ""
    repo_digests: list[str] = []


class LayerRecord(msgspec.Struct):
    """An unpacked layer: `chain_id` names its directory, `short` its overlay short link."""

    chain_id: str
    diff_id: str
    parent: str
    size: int
    short: str
