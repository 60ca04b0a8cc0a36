"""GET /containers/{id}/stats: cgroup accounting in Docker's stats JSON (two samples for CPU %), once or a sample a
second."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import msgspec

from hydock.daemon.blocking import run_blocking
from hydock.engine.containers import ContainerService
from hydock.engine.records import ContainerRecord
from hydock.errors import ContainerNotFound
from hydock.timeutil import now_rfc3339

SAMPLE_INTERVAL = 0.5
STREAM_INTERVAL = 1.0


class CPUUsage(msgspec.Struct):
    total_usage: int
    usage_in_kernelmode: int
    usage_in_usermode: int


class ThrottlingData(msgspec.Struct):
    periods: int
    throttled_periods: int
    throttled_time: int


class CPUStats(msgspec.Struct):
    cpu_usage: CPUUsage
    system_cpu_usage: int
    online_cpus: int
    throttling_data: ThrottlingData


class MemoryStats(msgspec.Struct, omit_defaults=True):
    usage: int = 0
    max_usage: int = 0
    limit: int = 0
    stats: dict[str, int] = {}


class PidsStats(msgspec.Struct, omit_defaults=True):
    current: int = 0
    limit: int | None = None


class StatsResponse(msgspec.Struct):
    read: str
    preread: str
    name: str
    id: str
    pids_stats: PidsStats
    cpu_stats: CPUStats
    precpu_stats: CPUStats
    memory_stats: MemoryStats
    networks: dict[str, dict] = {}
    blkio_stats: dict[str, list] = {}
    num_procs: int = 0


def _system_cpu_ns() -> int:
    """Total CPU time of the host since boot, as Docker computes system_cpu_usage (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:8]
    return sum(int(v) for v in fields) * (1_000_000_000 // os.sysconf("SC_CLK_TCK"))


def _cpu_stats(raw: dict) -> CPUStats:
    return CPUStats(
        CPUUsage(raw.get("cpu_usage_ns", 0), raw.get("cpu_system_ns", 0), raw.get("cpu_user_ns", 0)),
        _system_cpu_ns(),
        os.cpu_count() or 1,
        ThrottlingData(raw.get("cpu_periods", 0), raw.get("cpu_throttled_periods", 0), raw.get("cpu_throttled_ns", 0)),
    )


def _empty_cpu() -> CPUStats:
    return CPUStats(CPUUsage(0, 0, 0), 0, os.cpu_count() or 1, ThrottlingData(0, 0, 0))


async def stats_snapshot(service: ContainerService, record: ContainerRecord, *, one_shot: bool) -> StatsResponse:
    """One stats object; unless `one_shot`, precpu_stats come from a sample taken just before."""
    pre_time = now_rfc3339()
    before = await run_blocking(service.stats, record.id)
    precpu = _cpu_stats(before) if before else _empty_cpu()
    if not one_shot and before:
        await asyncio.sleep(SAMPLE_INTERVAL)
    raw = await run_blocking(service.stats, record.id) if not one_shot else before
    return _response(record, raw, precpu, pre_time)


async def stats_stream(service: ContainerService, record: ContainerRecord) -> AsyncIterator[StatsResponse]:
    """Docker's stream: a sample a second while the container runs, each with the one before as its precpu_stats
    (the first, like a snapshot, with one taken just before)."""
    snapshot = await stats_snapshot(service, record, one_shot=False)
    while True:
        yield snapshot
        try:
            if not (await run_blocking(service.inspect, record.id)).state.running:
                return
            await asyncio.sleep(STREAM_INTERVAL)
            raw = await run_blocking(service.stats, record.id)
        except ContainerNotFound:
            return  # removed meanwhile
        snapshot = _response(record, raw, snapshot.cpu_stats, snapshot.read)


def _response(record: ContainerRecord, raw: dict, precpu: CPUStats, pre_time: str) -> StatsResponse:
    if not raw:
        return StatsResponse(
            now_rfc3339(), pre_time, record.name, record.id, PidsStats(), _empty_cpu(), precpu, MemoryStats()
        )
    memory = MemoryStats(
        raw["memory_usage"],
        raw["memory_peak"],
        raw["memory_limit"] or os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        dict(raw["memory_stat"]),
    )
    pids = PidsStats(raw["pids_current"], raw["pids_limit"])
    return StatsResponse(now_rfc3339(), pre_time, record.name, record.id, pids, _cpu_stats(raw), precpu, memory)
