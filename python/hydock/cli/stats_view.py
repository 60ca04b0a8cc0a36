"""`hydock stats`: one table of samples (--no-stream), or Docker's live view, redrawn in place every second from one
stats stream per container."""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from hydock.cli.gotemplate_tabwriter import MIN_WIDTH, align_columns
from hydock.cli.table import short_id
from hydock.errors import HydockError
from hydock.units import binary_size, human_size

if TYPE_CHECKING:
    from hydock.client.api import APIClient

HEADERS = ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]
REFRESH = 1.0
# Docker's redraw: the cursor home, each line followed by erase-to-end-of-line, then erase below (so a shorter
# table leaves nothing of the longer one behind, with no flicker of a cleared screen).
HOME, ERASE_LINE, ERASE_BELOW = "\033[H", "\033[K", "\033[J"


def print_once(client: APIClient, targets: list[str]) -> None:
    sys.stdout.write(_table([stats_row(client.stats(target)) for target in targets]))


def live_view(client: APIClient, names: list[str], all_: bool) -> None:
    """Named containers keep their row (their last sample) once stopped, as Docker's do; otherwise the rows follow
    the containers listed (running ones, or all with `all_`) at each refresh."""
    samples = _Samples(client)
    while True:
        targets = names or [summary.id for summary in client.containers(all=all_)]
        for target in targets:
            samples.follow(target)
        rows = [samples.row(target) for target in targets]
        lines = _table(rows).splitlines()
        sys.stdout.write(HOME + "".join(f"{line}{ERASE_LINE}\n" for line in lines) + ERASE_BELOW)
        sys.stdout.flush()
        time.sleep(REFRESH)


class _Samples:
    """The newest stats object of each container followed, each stream read by a thread of its own."""

    def __init__(self, client: APIClient) -> None:
        self._client = client
        self._latest: dict[str, dict[str, Any]] = {}
        self._followed: set[str] = set()

    def follow(self, target: str) -> None:
        if target not in self._followed:
            self._followed.add(target)
            threading.Thread(target=self._read, args=(target,), daemon=True).start()

    def row(self, target: str) -> list[str]:
        sample = self._latest.get(target)
        if sample is None:
            return [short_id(target), "--", "0.00%", "0B / 0B", "0.00%", "0B / 0B", "0B / 0B", "0"]
        return stats_row(sample)

    def _read(self, target: str) -> None:
        from hydock.cli.terminal import side_client

        client = side_client(self._client)
        try:
            for sample in client.stats_stream(target):
                self._latest[target] = sample
        except HydockError:
            pass  # removed meanwhile: its row keeps its last sample
        finally:
            client.transport.close()


def _table(rows: list[list[str]]) -> str:
    text = "\n".join("\t".join(row) for row in [HEADERS, *rows])
    return align_columns(text, MIN_WIDTH) + "\n"


def stats_row(snapshot: dict[str, Any]) -> list[str]:
    """One line of docker stats, computed from a stats object as the docker CLI does."""
    name, ident = snapshot["name"].lstrip("/"), short_id(snapshot["id"])
    cpu, pre = snapshot["cpu_stats"], snapshot["precpu_stats"]
    memory = snapshot["memory_stats"]
    net_io, block_io = _network_io(snapshot), _block_io(snapshot)
    pids = str(snapshot.get("pids_stats", {}).get("current", 0))
    if not memory.get("limit"):
        return [ident, name, "0.00%", "0B / 0B", "0.00%", net_io, block_io, pids]
    cpu_delta = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
    system_delta = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
    cpu_percent = cpu_delta / system_delta * cpu["online_cpus"] * 100 if system_delta > 0 and cpu_delta > 0 else 0.0
    inactive = memory.get("stats", {})
    usage = memory["usage"] - inactive.get("total_inactive_file", inactive.get("inactive_file", 0))
    return [
        ident,
        name,
        f"{cpu_percent:.2f}%",
        f"{binary_size(usage)} / {binary_size(memory['limit'])}",
        f"{usage / memory['limit'] * 100:.2f}%",
        net_io,
        block_io,
        pids,
    ]


def _network_io(snapshot: dict[str, Any]) -> str:
    interfaces = (snapshot.get("networks") or {}).values()
    received = sum(interface.get("rx_bytes", 0) for interface in interfaces)
    sent = sum(interface.get("tx_bytes", 0) for interface in interfaces)
    return f"{human_size(received, 3)} / {human_size(sent, 3)}"


def _block_io(snapshot: dict[str, Any]) -> str:
    entries = (snapshot.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []
    read = sum(entry.get("value", 0) for entry in entries if entry.get("op", "").lower() == "read")
    written = sum(entry.get("value", 0) for entry in entries if entry.get("op", "").lower() == "write")
    return f"{human_size(read, 3)} / {human_size(written, 3)}"
