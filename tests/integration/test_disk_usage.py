"""system df, ps -s, image prune and system prune through the hydock CLI and the API."""

from __future__ import annotations

from pathlib import Path

from hydock.client.api import APIClient
from hydock.client.transport import Transport
from tests.integration.conftest import Cli


def api(root: Path) -> APIClient:
    return APIClient(Transport(f"unix://{root / 'hydock.sock'}"))


def table(output: bytes) -> list[list[str]]:
    """Rows of a Docker table, split on its runs of 2+ spaces."""
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in output.decode().splitlines()]


def test_df_counts_images_containers_and_the_writable_layer(cli: Cli, root: Path, busybox_tar: Path) -> None:
    assert cli("import", str(busybox_tar), "dfbox:1").returncode == 0
    assert cli("import", str(busybox_tar)).returncode == 0  # same layer, untagged
    result = cli("run", "--name", "writer", "dfbox:1", "sh", "-c", "head -c 1000 /dev/zero > /data")
    assert result.returncode == 0, result.stderr

    usage = api(root).disk_usage()
    (writer,) = usage.containers
    assert (writer.size_rw, writer.state) == (1000, "exited")
    by_tag = {tuple(image.repo_tags or []): image for image in usage.images}
    tagged, dangling = by_tag[("dfbox:1",)], by_tag[()]
    assert (tagged.containers, dangling.containers) == (1, 0)
    assert tagged.size == dangling.size == usage.layers_size > 0, "both images are the one layer"
    assert tagged.shared_size == tagged.size
    assert writer.size_root_fs == 1000 + tagged.size

    rows = table(cli("system", "df").stdout)
    assert rows[0] == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert rows[1][:3] == ["Images", "2", "1"]
    assert rows[2] == ["Containers", "1", "0", "1kB", "1kB (100%)"]
    ps = table(cli("ps", "-a", "-s").stdout)
    assert ps[0][-1] == "SIZE" and ps[1][-1].startswith("1kB (virtual ")


def test_image_prune_removes_dangling_then_unused_images(cli: Cli, busybox_tar: Path) -> None:
    assert cli("import", str(busybox_tar), "keep:1").returncode == 0
    assert cli("import", str(busybox_tar), "unused:1").returncode == 0
    dangling = cli("import", str(busybox_tar)).stdout.decode().strip()
    assert cli("run", "-d", "--name", "user", "keep:1", "sleep", "60").returncode == 0
    stopped = cli("create", "keep:1", "true").stdout.decode().strip()

    result = cli("system", "prune", "-f")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[:3] == ["Deleted Containers:", stopped, ""]
    assert f"deleted: {dangling}" in lines
    assert {row[0] for row in table(cli("images").stdout)[1:]} == {"keep", "unused"}

    result = cli("system", "prune", "-a", "-f")
    assert "untagged: unused:1" in result.stdout.decode().splitlines()
    assert [row[0] for row in table(cli("images").stdout)[1:]] == ["keep"]
    assert cli("rm", "-f", "user").returncode == 0


def test_declining_the_prompt_removes_nothing(cli: Cli, image: str) -> None:
    assert cli("create", "--name", "stopped", image, "true").returncode == 0
    result = cli("system", "prune", input=b"n\n")
    assert result.returncode == 0
    assert result.stdout.decode().endswith("Are you sure you want to continue? [y/N] ")
    assert cli("ps", "-a", "-q").stdout.strip() != b""


def test_image_management_commands(cli: Cli, busybox_tar: Path) -> None:
    assert cli("image", "import", str(busybox_tar), "managed:1").returncode == 0
    dangling = cli("image", "import", str(busybox_tar)).stdout.decode().strip()
    assert sorted(row[:2] for row in table(cli("image", "ls").stdout)[1:]) == [["<none>", "<none>"], ["managed", "1"]]
    declined = cli("image", "prune", input=b"n\n")
    assert declined.stdout.decode().startswith("WARNING! This will remove all dangling images.\n")
    pruned = cli("image", "prune", "-f")
    assert pruned.stdout.decode().splitlines()[:2] == ["Deleted Images:", f"deleted: {dangling}"]
    assert cli("image", "rm", "managed:1").returncode == 0
    assert table(cli("image", "ls").stdout)[1:] == []
