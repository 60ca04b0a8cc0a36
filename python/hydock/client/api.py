"""Typed calls of the Docker Engine API over a Transport: one method per endpoint the hydock CLI and Client use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from hydock.api_network import (
    NetworkConnectRequest,
    NetworkCreateRequest,
    NetworkCreateResponse,
    NetworkDisconnectRequest,
    NetworkPruneResponse,
    NetworkResource,
)
from hydock.api_storage import (
    PATH_STAT_HEADER,
    Change,
    PathStat,
    Volume,
    VolumeCreateBody,
    VolumeList,
    VolumePruneResponse,
)
from hydock.api_types import (
    BuildCachePruneResponse,
    ContainerPruneResponse,
    ContainerSummary,
    CreateBody,
    CreateResponse,
    DiskUsage,
    ExecConfig,
    ExecCreated,
    ExecStartBody,
    HistoryEntry,
    ImagePruneResponse,
    ImageSummary,
    ImportProgress,
    JSONMessage,
    TopResponse,
    UpdateBody,
    UpdateResponse,
    WaitResponse,
)
from hydock.client.errors import ProtocolError, raise_for_status
from hydock.client.streams import STDOUT, demux, json_stream
from hydock.client.transport import HijackedConnection, QueryValue, Response, Transport, percent_encoded
from hydock.errors import HydockError

if TYPE_CHECKING:
    from hydock.registry.auth import AuthConfig, AuthResponse

Stream = tuple[str, bytes]
"""("stdout" | "stderr", data), as the engine's logs yield them."""


def _segment(name: str) -> str:
    # Image references keep their "/" and ":" (the daemon's image routes match across slashes).
    return percent_encoded(name, "/:@")


class PendingWait:
    """A wait the daemon has acknowledged (headers sent); `result()` blocks until the condition is met."""

    def __init__(self, response: Response) -> None:
        self._response = response

    def result(self) -> WaitResponse:
        with self._response:
            return self._response.json(WaitResponse)

    def close(self) -> None:
        self._response.close()


class APIClient:
    """The Engine API endpoints of containers and images; every non-2xx reply raises its hydock error."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def _call(self, method: str, path: str, **kwargs: Any) -> Response:
        response = self.transport.request(method, path, **kwargs)
        raise_for_status(response)
        return response

    # containers

    def create_container(self, body: CreateBody, name: str | None = None) -> CreateResponse:
        encoded = msgspec.json.encode(body)
        return self._call("POST", "/containers/create", query={"name": name}, body=encoded).json(CreateResponse)

    def start(self, container: str) -> bool:
        """False if it was already running (304)."""
        return self._call("POST", f"/containers/{_segment(container)}/start").status != 304

    def attach(
        self, container: str, *, logs: bool = False, stdin: bool = False, detach_keys: str = ""
    ) -> HijackedConnection:
        query = {
            "stream": True,
            "stdin": stdin or None,
            "stdout": True,
            "stderr": True,
            "logs": logs,
            "detachKeys": detach_keys or None,
        }
        return self.transport.hijack("POST", f"/containers/{_segment(container)}/attach", query=query)

    def resize(self, container: str, height: int, width: int) -> None:
        self._call("POST", f"/containers/{_segment(container)}/resize", query={"h": height, "w": width})

    def wait(self, container: str, condition: str = "not-running") -> PendingWait:
        response = self.transport.request(
            "POST", f"/containers/{_segment(container)}/wait", query={"condition": condition}, stream=True
        )
        if response.status >= 400:
            with response:
                raise_for_status(response)
        return PendingWait(response)

    def create_exec(self, container: str, config: ExecConfig) -> str:
        body = msgspec.json.encode(config)
        return self._call("POST", f"/containers/{_segment(container)}/exec", body=body).json(ExecCreated).id

    def start_exec(self, exec_id: str, *, tty: bool = False) -> HijackedConnection:
        body = msgspec.json.encode(ExecStartBody(detach=False, tty=tty))
        return self.transport.hijack("POST", f"/exec/{_segment(exec_id)}/start", body=body)

    def resize_exec(self, exec_id: str, height: int, width: int) -> None:
        self._call("POST", f"/exec/{_segment(exec_id)}/resize", query={"h": height, "w": width})

    def start_exec_detached(self, exec_id: str) -> None:
        self._call("POST", f"/exec/{_segment(exec_id)}/start", body=msgspec.json.encode(ExecStartBody(detach=True)))

    def inspect_exec(self, exec_id: str) -> dict[str, Any]:
        return self._call("GET", f"/exec/{_segment(exec_id)}/json").json()

    def stop(self, container: str, timeout: int | None = None) -> None:
        self._call("POST", f"/containers/{_segment(container)}/stop", query={"t": timeout})

    def kill(self, container: str, signal: str | int = "KILL") -> None:
        self._call("POST", f"/containers/{_segment(container)}/kill", query={"signal": str(signal)})

    def remove_container(self, container: str, *, force: bool = False, volumes: bool = False) -> None:
        self._call("DELETE", f"/containers/{_segment(container)}", query={"force": force, "v": volumes or None})

    def containers(
        self, *, all: bool = False, limit: int = -1, filters: dict[str, list[str]] | None = None, size: bool = False
    ) -> list[ContainerSummary]:
        query: dict[str, Any] = {"all": all, "limit": limit if limit > 0 else None, "size": size or None}
        if filters:
            query["filters"] = msgspec.json.encode(filters).decode()
        return self._call("GET", "/containers/json", query=query).json(list[ContainerSummary])

    def inspect_container(self, container: str) -> dict[str, Any]:
        return self._call("GET", f"/containers/{_segment(container)}/json").json()

    def logs(
        self,
        container: str,
        *,
        follow: bool = False,
        tail: str = "all",
        stdout: bool = True,
        stderr: bool = True,
        tty: bool = False,
    ) -> Iterator[Stream]:
        """The container's log; a `tty` container's comes raw (all of it "stdout"), as Docker sends it."""
        query: dict[str, QueryValue] = {"follow": follow, "tail": tail, "stdout": stdout, "stderr": stderr}
        response = self.transport.request("GET", f"/containers/{_segment(container)}/logs", query=query, stream=True)
        if response.status >= 400:
            with response:
                raise_for_status(response)
        with response:
            if tty:
                for data in response.iter_chunks():
                    yield "stdout", data
                return
            for number, data in demux(response.iter_chunks()):
                yield ("stdout" if number == STDOUT else "stderr"), data

    def stats(self, container: str) -> dict[str, Any]:
        """One stats object with precpu_stats sampled just before (Docker's stream=false)."""
        return self._call("GET", f"/containers/{_segment(container)}/stats", query={"stream": False}).json()

    def stats_stream(self, container: str) -> Iterator[dict[str, Any]]:
        """A stats object a second while the container runs (Docker's stream=true)."""
        response = self._call("GET", f"/containers/{_segment(container)}/stats", stream=True)
        with response:
            yield from json_stream(response.iter_lines())

    def restart(self, container: str, timeout: int | None = None) -> None:
        self._call("POST", f"/containers/{_segment(container)}/restart", query={"t": timeout})

    def pause(self, container: str) -> None:
        self._call("POST", f"/containers/{_segment(container)}/pause")

    def unpause(self, container: str) -> None:
        self._call("POST", f"/containers/{_segment(container)}/unpause")

    def rename(self, container: str, name: str) -> None:
        self._call("POST", f"/containers/{_segment(container)}/rename", query={"name": name})

    def update(self, container: str, body: UpdateBody) -> UpdateResponse:
        encoded = msgspec.json.encode(body)
        return self._call("POST", f"/containers/{_segment(container)}/update", body=encoded).json(UpdateResponse)

    def top(self, container: str, ps_args: str | None = None) -> TopResponse:
        query = {"ps_args": ps_args or None}
        return self._call("GET", f"/containers/{_segment(container)}/top", query=query).json(TopResponse)

    def prune_containers(self) -> ContainerPruneResponse:
        return self._call("POST", "/containers/prune").json(ContainerPruneResponse)

    def commit(
        self, container: str, repository: str | None, *, changes: list[str], message: str, author: str, pause: bool
    ) -> str:
        repo, tag = _split_reference(repository) if repository else (None, None)
        query = {"container": container, "repo": repo, "tag": tag, "changes": changes or None,
                 "comment": message or None, "author": author or None, "pause": pause}  # fmt: skip
        return self._call("POST", "/commit", query=query).json()["Id"]

    def prune_images(self, *, dangling_only: bool = True) -> ImagePruneResponse:
        query = {"filters": msgspec.json.encode({"dangling": [str(dangling_only).lower()]}).decode()}
        return self._call("POST", "/images/prune", query=query).json(ImagePruneResponse)

    def disk_usage(self) -> DiskUsage:
        return self._call("GET", "/system/df").json(DiskUsage)

    # a container's files

    def stat_path(self, container: str, path: str) -> PathStat:
        """HEAD /containers/{id}/archive: what `path` is inside the container."""
        response = self._call("HEAD", f"/containers/{_segment(container)}/archive", query={"path": path})
        return _path_stat(response)

    def get_archive(self, container: str, path: str) -> tuple[PathStat, Iterator[bytes]]:
        """A tar of `path` (all below it, for a directory) as the daemon streams it, and what `path` is."""
        response = self._call("GET", f"/containers/{_segment(container)}/archive", query={"path": path}, stream=True)
        return _path_stat(response), response.iter_chunks()

    def put_archive(
        self,
        container: str,
        path: str,
        tar: Iterable[bytes],
        *,
        copy_uid_gid: bool = False,
        no_overwrite_dir_non_dir: bool = False,
    ) -> None:
        """Unpacks the tar into the directory `path` of the container."""
        query = {"path": path, "copyUIDGID": copy_uid_gid or None, "noOverwriteDirNonDir": no_overwrite_dir_non_dir}
        headers = {"Content-Type": "application/x-tar"}
        self._call("PUT", f"/containers/{_segment(container)}/archive", query=query, body=tar, headers=headers)

    def export(self, container: str) -> Iterator[bytes]:
        return self._call("GET", f"/containers/{_segment(container)}/export", stream=True).iter_chunks()

    def changes(self, container: str) -> list[Change]:
        # Docker answers null for no changes.
        return msgspec.convert(
            self._call("GET", f"/containers/{_segment(container)}/changes").json() or [], list[Change]
        )

    # volumes

    def volumes(self, filters: dict[str, list[str]] | None = None) -> VolumeList:
        query = {"filters": msgspec.json.encode(filters).decode() if filters else None}
        return self._call("GET", "/volumes", query=query).json(VolumeList)

    def create_volume(self, body: VolumeCreateBody) -> Volume:
        return self._call("POST", "/volumes/create", body=msgspec.json.encode(body)).json(Volume)

    def inspect_volume(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"/volumes/{_segment(name)}").json()

    def remove_volume(self, name: str, *, force: bool = False) -> None:
        self._call("DELETE", f"/volumes/{_segment(name)}", query={"force": force or None})

    def prune_volumes(self, filters: dict[str, list[str]]) -> VolumePruneResponse:
        query = {"filters": msgspec.json.encode(filters).decode()}
        return self._call("POST", "/volumes/prune", query=query).json(VolumePruneResponse)

    # networks

    def create_network(self, request: NetworkCreateRequest) -> NetworkCreateResponse:
        encoded = msgspec.json.encode(request)
        return self._call("POST", "/networks/create", body=encoded).json(NetworkCreateResponse)

    def networks(self, filters: dict[str, list[str]] | None = None) -> list[NetworkResource]:
        query = {"filters": msgspec.json.encode(filters).decode() if filters else None}
        return self._call("GET", "/networks", query=query).json(list[NetworkResource])

    def inspect_network(self, network: str) -> NetworkResource:
        return self._call("GET", f"/networks/{_segment(network)}").json(NetworkResource)

    def remove_network(self, network: str) -> None:
        self._call("DELETE", f"/networks/{_segment(network)}")

    def connect_network(self, network: str, request: NetworkConnectRequest) -> None:
        self._call("POST", f"/networks/{_segment(network)}/connect", body=msgspec.json.encode(request))

    def disconnect_network(self, network: str, request: NetworkDisconnectRequest) -> None:
        self._call("POST", f"/networks/{_segment(network)}/disconnect", body=msgspec.json.encode(request))

    def prune_networks(self, filters: dict[str, list[str]] | None = None) -> NetworkPruneResponse:
        query = {"filters": msgspec.json.encode(filters).decode() if filters else None}
        return self._call("POST", "/networks/prune", query=query).json(NetworkPruneResponse)

    # images

    def import_image(
        self,
        source: Iterable[bytes],
        reference: str | None = None,
        *,
        changes: list[str] | None = None,
        message: str = "",
    ) -> str:
        repo, tag = _split_reference(reference) if reference else (None, None)
        query = {"fromSrc": "-", "repo": repo, "tag": tag, "changes": changes or None, "message": message or None}
        response = self._call("POST", "/images/create", query=query, body=source)
        *_, last = response.read().strip().splitlines() or [b"{}"]
        return msgspec.json.decode(last, type=ImportProgress).status

    def pull(self, name: str, tag: str, *, registry_auth: str, platform: str = "") -> Iterator[JSONMessage]:
        """POST /images/create?fromImage=: the daemon's progress messages as they come (an empty tag: all tags)."""
        query = {"fromImage": name, "tag": tag, "platform": platform or None}
        return self._messages("/images/create", query, registry_auth)

    def push(self, name: str, tag: str, *, registry_auth: str) -> Iterator[JSONMessage]:
        return self._messages(f"/images/{_segment(name)}/push", {"tag": tag or None}, registry_auth)

    def login(self, config: AuthConfig) -> AuthResponse:
        from hydock.registry.auth import AuthResponse  # only `login` needs it: every other command would pay 1 ms

        return self._call("POST", "/auth", body=msgspec.json.encode(config)).json(AuthResponse)

    def _messages(self, path: str, query: dict[str, Any], registry_auth: str) -> Iterator[JSONMessage]:
        response = self.transport.request(
            "POST", path, query=query, headers={"X-Registry-Auth": registry_auth}, stream=True
        )
        with response:
            raise_for_status(response)
            for message in json_stream(response.iter_lines(), JSONMessage):
                if message.error_detail is not None or message.error:
                    raise HydockError(message.error_detail.message if message.error_detail else message.error)
                yield message

    def build(
        self, context: Iterable[bytes], query: Mapping[str, QueryValue], headers: Mapping[str, str]
    ) -> Iterator[JSONMessage]:
        """POST /build: streams the context tar, yields the daemon's messages (an error one included: the caller
        shows it with what came before)."""
        headers = {"Content-Type": "application/x-tar", **headers}
        response = self._call("POST", "/build", query=query, body=context, headers=headers, stream=True)
        with response:
            yield from json_stream(response.iter_lines(), JSONMessage)

    def prune_build_cache(self, *, all: bool = False) -> BuildCachePruneResponse:
        return self._call("POST", "/build/prune", query={"all": all}).json(BuildCachePruneResponse)

    def images(self, *, all: bool = False) -> list[ImageSummary]:
        return self._call("GET", "/images/json", query={"all": all}).json(list[ImageSummary])

    def inspect_image(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"/images/{_segment(name)}/json").json()

    def tag(self, name: str, reference: str) -> None:
        repo, tag = _split_reference(reference)
        self._call("POST", f"/images/{_segment(name)}/tag", query={"repo": repo, "tag": tag})

    def remove_image(self, name: str, *, force: bool = False) -> list[dict[str, str]]:
        return self._call("DELETE", f"/images/{_segment(name)}", query={"force": force}).json(list[dict[str, str]])

    def history(self, name: str) -> list[HistoryEntry]:
        return self._call("GET", f"/images/{_segment(name)}/history").json(list[HistoryEntry])

    def save_images(self, names: list[str]) -> Iterator[bytes]:
        """The tar of the named images, as the daemon streams it."""
        return self._call("GET", "/images/get", query={"names": names}, stream=True).iter_chunks()

    def load_images(self, source: Iterable[bytes], *, quiet: bool = False) -> Iterator[JSONMessage]:
        """Streams an image archive to the daemon; yields its messages, raising the error it ends with, if any."""
        headers = {"Content-Type": "application/x-tar"}
        response = self._call("POST", "/images/load", query={"quiet": quiet}, body=source, headers=headers, stream=True)
        for message in json_stream(response.iter_lines(), JSONMessage):
            if message.error_detail is not None or message.error:
                raise HydockError(message.error_detail.message if message.error_detail else message.error)
            yield message


def _path_stat(response: Response) -> PathStat:
    import base64  # only `cp` and `container stat` read this header

    header = response.headers.get(PATH_STAT_HEADER, "")
    try:
        return msgspec.json.decode(base64.b64decode(header), type=PathStat)
    except (ValueError, msgspec.DecodeError):
        response.close()
        raise ProtocolError(f"{response.method} {response.path}: no valid {PATH_STAT_HEADER} header") from None


def _split_reference(reference: str) -> tuple[str, str | None]:
    """ "host:5000/a/b:v2" -> ("host:5000/a/b", "v2"): the tag is after the last ":" that follows the last "/"."""
    repo, colon, tag = reference.rpartition(":")
    if not colon or "/" in tag:
        return reference, None
    return repo, tag
