"""The docker-py shaped models, one suite run through both doors: hydock.Engine in process, hydock.Client over
hydockd."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import hydock
from hydock.errors import ContainerError, NotFound
from hydock.models.containers import Container, ContainerCollection
from hydock.models.images import ImageCollection


class Door:
    def __init__(self, images: ImageCollection, containers: ContainerCollection) -> None:
        self.images = images
        self.containers = containers


@pytest.fixture(params=["engine", "client"])
def door(request: pytest.FixtureRequest, root: Path, image: str) -> Iterator[Door]:
    if request.param == "engine":
        with hydock.Engine(root) as engine:
            yield Door(engine.images, engine.containers)
        return
    request.getfixturevalue("cli")  # the daemon on this root
    with hydock.Client(base_url=f"unix://{root / 'hydock.sock'}") as client:
        yield Door(client.images, client.containers)


def test_foreground_run_returns_the_output(door: Door, image: str) -> None:
    assert door.containers.run(image, "echo out; echo err >&2", remove=True) == b"out\n"
    assert door.containers.run(image, ["sh", "-c", "echo err >&2"], stdout=False, stderr=True, remove=True) == b"err\n"
    assert door.containers.list(all=True) == []


def test_a_failed_run_raises_with_the_container_unless_removed(door: Door, image: str) -> None:
    with pytest.raises(ContainerError) as removed:
        door.containers.run(image, "echo oops >&2; exit 3", remove=True)
    assert (removed.value.exit_status, removed.value.stderr, removed.value.container) == (3, b"oops\n", None)
    assert removed.value.command == ["/bin/sh", "-c", "echo oops >&2; exit 3"]
    with pytest.raises(ContainerError) as kept:
        door.containers.run(image, "exit 4", name="kept")
    container = kept.value.container
    assert isinstance(container, Container) and container.name == "kept"
    assert container.wait() == {"StatusCode": 4, "Error": None}
    container.remove()
    assert door.containers.list(all=True) == []


def test_detached_container_lifecycle(door: Door, image: str) -> None:
    container = door.containers.run(image, "echo one; echo two >&2; sleep 30", detach=True, name="bg")
    assert isinstance(container, Container)
    assert container.status == "running" and container.name == "bg" and len(container.short_id) == 12
    deadline = time.monotonic() + 10
    while container.logs() != b"one\ntwo\n":
        assert time.monotonic() < deadline, container.logs()
        time.sleep(0.05)
    assert [c.id for c in door.containers.list()] == [container.id]
    assert door.containers.get("bg").id == container.id
    container.kill()
    assert container.wait()["StatusCode"] == 137
    assert container.logs(stderr=False) == b"one\n"
    assert container.logs(tail=1) == b"two\n"
    container.reload()
    assert container.status == "exited"
    container.remove()
    with pytest.raises(NotFound):
        door.containers.get("bg")


def test_create_maps_docker_py_arguments_and_refuses_unknown_ones(door: Door, image: str) -> None:
    created = door.containers.create(
        image, "true", name="made", environment={"A": "1"}, labels={"k": "v"}, working_dir="/tmp", mem_limit="64m"
    )
    assert created.status == "created"
    assert "A=1" in created.attrs["Config"]["Env"] and created.attrs["Config"]["Labels"]["k"] == "v"
    assert created.attrs["Config"]["WorkingDir"] == "/tmp"
    assert created.attrs["HostConfig"]["Memory"] == 64 << 20
    created.remove()
    with pytest.raises(TypeError, match="unsupported run\\(\\) arguments: bogus"):
        door.containers.create(image, "true", bogus=1)


def test_images_get_list_and_tags(door: Door, image: str) -> None:
    busybox = door.images.get(image)
    assert busybox.tags == ["busybox:latest"] and busybox.id.startswith("sha256:")
    assert [listed.id for listed in door.images.list()] == [busybox.id]
    with pytest.raises(NotFound):
        door.images.get("nothing-here")
