"""A container's /etc/hosts as dockerd writes and updates it."""

from __future__ import annotations

from pathlib import Path

from hydock.runtime.etc_files import hosts_file, update_host_address


def test_a_links_line_follows_its_container_to_a_new_address_and_nothing_else_changes(tmp_path: Path) -> None:
    text = hosts_file(
        hostname="c0ffee",
        host_network=False,
        addresses=["172.17.0.9"],
        extra_hosts=[("www 1a2b3c web", "172.17.0.2"), ("www2 4d5e6f other", "172.17.0.3"), ("www.x", "10.0.0.1")],
    )
    (tmp_path / "hosts").write_text(text)
    inode = (tmp_path / "hosts").stat().st_ino
    update_host_address(tmp_path, "www", "172.17.0.7")
    updated = (tmp_path / "hosts").read_text()
    assert updated == text.replace("172.17.0.2\twww ", "172.17.0.7\twww ").replace(
        "10.0.0.1\twww.x", "172.17.0.7\twww.x"
    )
    assert (tmp_path / "hosts").stat().st_ino == inode  # in place: the container has the file bind-mounted
