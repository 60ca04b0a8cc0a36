"""hydock commit (and docker commit through hydockd): a container's changes become an image."""

from __future__ import annotations

import json

from tests.integration.conftest import Cli


def test_commit_with_changes_then_run_the_new_image(cli: Cli, image: str) -> None:
    made = cli("run", "--name", "maker", "-e", "KEPT=yes", image, "sh", "-c", "echo made > /made; rm /bin/true")
    assert made.returncode == 0, made.stderr
    committed = cli("commit", "-m", "added /made", "-a", "tester", "-c", 'CMD ["cat", "/made"]', "maker", "made:1")
    assert committed.returncode == 0, committed.stderr
    image_id = committed.stdout.decode().strip()
    assert image_id.startswith("sha256:") and len(image_id) == 71
    assert cli("run", "--rm", "made:1").stdout == b"made\n"
    removed = cli("run", "--rm", "made:1", "ls", "/bin/true")
    assert removed.returncode == 1 and b"No such file or directory" in removed.stderr  # the deletion is committed too
    inspect = json.loads(cli("inspect", "made:1").stdout)[0]
    assert inspect["Author"] == "tester" and inspect["Config"]["Cmd"] == ["cat", "/made"]
    assert "KEPT=yes" in inspect["Config"]["Env"]
    history = cli("history", "made:1").stdout.decode().splitlines()
    assert "added /made" in history[1]
    assert cli("rm", "maker").returncode == 0


def test_commit_of_a_running_container_leaves_it_running(cli: Cli, image: str) -> None:
    container = cli("run", "-d", image, "sh", "-c", "echo live > /live; sleep 60").stdout.decode().strip()
    for _ in range(100):
        if cli("exec", container, "cat", "/live").stdout == b"live\n":
            break
    image_id = cli("commit", container).stdout.decode().strip()
    assert json.loads(cli("inspect", container).stdout)[0]["State"]["Status"] == "running"
    assert cli("run", "--rm", image_id, "cat", "/live").stdout == b"live\n"
    assert cli("rm", "-f", container).returncode == 0
