"""Docker's mount syntaxes (-v, --mount, --tmpfs, --volumes-from) read with its rules and messages (dockerd 20.10's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydock.api_storage import BindOptions, MountSpec, TmpfsOptions, VolumeOptions
from hydock.engine.mount_specs import (
    parse_bind,
    parse_mount,
    parse_tmpfs,
    parse_volumes_from,
    split_tmpfs_flag,
    tmpfs_mount_options,
    valid_mode,
)
from hydock.errors import InvalidArgument


def test_binds_with_an_absolute_source_are_host_paths_and_others_name_volumes() -> None:
    bind = parse_bind("/tmp//x/:/data/:ro,z")
    assert (bind.type, bind.source, bind.destination, bind.rw, bind.mode) == ("bind", "/tmp/x", "/data", False, "ro,z")
    assert bind.propagation == "rprivate" and bind.create_source
    volume = parse_bind("cache:/var/cache:nocopy")
    assert (volume.type, volume.source, volume.rw, volume.copy_data, volume.propagation) == (
        "volume",
        "cache",
        True,
        False,
        "",
    )
    anonymous = parse_bind("/data")
    assert (anonymous.type, anonymous.source, anonymous.destination) == ("volume", "", "/data")
    assert parse_bind("/a:/b:rshared").propagation == "rshared"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("a:b:c:d", "invalid volume specification: 'a:b:c:d'"),
        (":/x", "invalid volume specification: ':/x'"),
        ("/x:ro", "invalid volume specification: '/x:ro'"),
        ("rel:/x:zz", "invalid mode: zz"),
        ("/a:/b:ro,rw", "invalid mode: ro,rw"),
        (
            "/x:rel",
            "invalid volume specification: '/x:rel': invalid mount config for type \"bind\": "
            "invalid mount path: 'rel' mount path must be absolute",
        ),
        (
            "/x:/",
            "invalid volume specification: '/x:/': invalid mount config for type \"bind\": "
            "invalid specification: destination can't be '/'",
        ),  # fmt: skip
    ],
)
def test_bad_binds_get_dockers_messages(spec: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_bind(spec)
    assert str(info.value) == message


def test_modes_allow_one_word_of_each_kind() -> None:
    assert valid_mode("") and valid_mode("ro,Z,rslave,nocopy,cached")
    assert not valid_mode("ro,rw") and not valid_mode("z,Z") and not valid_mode("bogus")


def test_mount_entries_are_checked_as_dockerd_checks_them(tmp_path: Path) -> None:
    bind = parse_mount(MountSpec(type="bind", source=str(tmp_path), target="/b", read_only=True))
    assert (bind.type, bind.rw, bind.propagation, bind.create_source) == ("bind", False, "rprivate", False)
    shared = parse_mount(
        MountSpec(type="bind", source=str(tmp_path), target="/b", bind_options=BindOptions(propagation="rshared"))
    )
    assert shared.propagation == "rshared"
    volume = parse_mount(
        MountSpec(
            type="volume",
            source="v1",
            target="/v",
            volume_options=VolumeOptions(no_copy=True, labels={"a": "b"}),
        )
    )
    assert (volume.source, volume.copy_data, volume.volume_labels) == ("v1", False, {"a": "b"})
    tmpfs = parse_mount(MountSpec(type="tmpfs", target="/t", tmpfs_options=TmpfsOptions(1 << 20, 0o1770)))
    assert tmpfs.tmpfs_options == ["nosuid", "nodev", "noexec", "size=1024k", "mode=1770"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (MountSpec(type="bind", source="/nonexist-hydock", target="/x"), "bind source path does not exist: /nonexist-hydock"),
        (MountSpec(type="bind", source="rel", target="/x"), "invalid mount path: 'rel' mount path must be absolute"),
        (MountSpec(type="volume", target="rel"), "invalid mount path: 'rel' mount path must be absolute"),
        (MountSpec(type="bogus", target="/x"), "mount type unknown"),
        (MountSpec(type="tmpfs", source="a", target="/x"), "field Source must not be specified"),
        (MountSpec(type="volume", target="/x", read_only=True), "must not set ReadOnly mode when using anonymous volumes"),
        (MountSpec(type="bind", target="/x"), "field Source must not be empty"),
        (MountSpec(type="volume", target=""), "field Target must not be empty"),
        (MountSpec(type="volume", target="/x", bind_options=BindOptions("rshared")), "field BindOptions must not be specified"),
        (MountSpec(type="bind", source="/tmp", target="/x", bind_options=BindOptions("up")), "invalid propagation mode: up"),
    ],
)  # fmt: skip
def test_bad_mount_entries_get_dockers_messages(spec: MountSpec, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_mount(spec)
    assert str(info.value) == f'invalid mount config for type "{spec.type}": {message}'


def test_tmpfs_flags_put_the_users_options_after_dockers_defaults() -> None:
    assert split_tmpfs_flag("/run:rw,size=64m,exec") == ("/run", "rw,size=64m,exec")
    request = parse_tmpfs("/run", "size=64m,exec")
    assert request.tmpfs_options == ["nosuid", "nodev", "noexec", "size=64m", "exec"]
    assert parse_tmpfs("/run", "ro").rw is False
    assert tmpfs_mount_options(TmpfsOptions(), read_only=True) == ["nosuid", "nodev", "noexec", "ro"]
    with pytest.raises(InvalidArgument, match="mount path must be absolute"):
        parse_tmpfs("run", "")


def test_volumes_from_takes_an_optional_mode() -> None:
    assert parse_volumes_from("data") == ("data", False)
    assert parse_volumes_from("data:ro") == ("data", True)
    assert parse_volumes_from("data:rw,z") == ("data", False)
    with pytest.raises(InvalidArgument, match="invalid mode: bogus"):
        parse_volumes_from("data:bogus")
    with pytest.raises(InvalidArgument, match="invalid volume specification"):
        parse_volumes_from("data:rshared")
