//! v1: limits are enforced by the kernel and show up in the stats.

use std::time::{Duration, Instant};

use hydock_cgroups::Resources;

use crate::support::*;

const MIB: i64 = 1 << 20;

#[test]
fn memory_limit_ooms_the_allocator() {
    let layout = v1_layout();
    let limits = Resources {
        memory_limit: Some(32 * MIB),
        ..Default::default()
    };
    let (_guard, cgroup) = CgroupGuard::create(&layout, "memory", &limits);
    let memory_dir = cgroup
        .paths()
        .into_iter()
        .find(|p| p.starts_with("/sys/fs/cgroup/memory"))
        .unwrap();
    let memsw = memory_dir.join("memory.memsw.limit_in_bytes");
    if memsw.exists() {
        let total: i64 = std::fs::read_to_string(&memsw)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(
            total,
            64 * MIB,
            "memsw should default to twice the memory limit"
        );
    }

    // dd reads 256 MiB from /dev/zero into one buffer, touching every page of it.
    let mut child = spawn_in(
        &cgroup,
        "exec busybox dd if=/dev/zero of=/dev/null bs=256M count=1",
    );
    child.expect_killed();

    assert!(cgroup.oom_kills().unwrap() >= 1);
    let stats = cgroup.stats().unwrap();
    assert_eq!(stats.memory_limit, Some(32 << 20));
    assert!(stats.oom_kills >= 1);
    assert!(
        stats.memory_peak > 16 << 20,
        "peak {} should be near the limit",
        stats.memory_peak
    );
    assert!(
        stats.memory_peak <= 32 << 20,
        "peak {} above the limit",
        stats.memory_peak
    );
    assert!(
        stats.memory_stat.iter().any(|(key, _)| key == "rss"),
        "{:?}",
        stats.memory_stat
    );

    cgroup
        .update(&Resources {
            memory_limit: Some(128 * MIB),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(cgroup.stats().unwrap().memory_limit, Some(128 << 20));
    if memsw.exists() {
        // Growing past the old memsw limit only works if memsw was raised first.
        let total: i64 = std::fs::read_to_string(&memsw)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(total, 256 * MIB);
    }
}

#[test]
fn pids_limit_stops_forks() {
    let layout = v1_layout();
    let limits = Resources {
        pids_limit: Some(10),
        ..Default::default()
    };
    let (_guard, cgroup) = CgroupGuard::create(&layout, "pids", &limits);
    let mut child = spawn_in(
        &cgroup,
        "for i in $(busybox seq 30); do busybox sleep 5 & done; wait",
    );
    let mut highest = 0;
    let start = Instant::now();
    while !child.has_exited() && start.elapsed() < Duration::from_secs(3) {
        highest = highest.max(cgroup.stats().unwrap().pids_current);
        std::thread::sleep(Duration::from_millis(5));
    }
    let stats = cgroup.stats().unwrap();
    highest = highest.max(stats.pids_current);
    assert_eq!(stats.pids_limit, Some(10));
    assert!(highest <= 10, "{highest} tasks under a limit of 10");
    assert!(
        highest >= 9,
        "only {highest} tasks: the loop did not fork up to the limit"
    );

    let pids_dir = cgroup
        .paths()
        .into_iter()
        .find(|p| p.starts_with("/sys/fs/cgroup/pids"))
        .unwrap();
    let events = std::fs::read_to_string(pids_dir.join("pids.events")).unwrap();
    let refused: u64 = events.trim().strip_prefix("max ").unwrap().parse().unwrap();
    assert!(refused >= 1, "no fork refused: {events}");
    assert!(
        child.stderr().contains("can't fork"),
        "the shell should report the failed fork"
    );
}

#[test]
fn cpu_quota_throttles_a_busy_loop() {
    let layout = v1_layout();
    let limits = Resources {
        cpu_quota: Some(50_000),
        cpu_period: Some(100_000),
        cpu_shares: Some(512),
        ..Default::default()
    };
    let (_guard, cgroup) = CgroupGuard::create(&layout, "cpu", &limits);
    let cpu_dir = cgroup
        .paths()
        .into_iter()
        .find(|p| p.starts_with("/sys/fs/cgroup/cpu/"))
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(cpu_dir.join("cpu.shares"))
            .unwrap()
            .trim(),
        "512"
    );

    let _child = spawn_in(&cgroup, "while :; do :; done");
    std::thread::sleep(Duration::from_millis(1200));
    let stats = cgroup.stats().unwrap();
    eprintln!(
        "cpu quota 50%: {} ms of CPU in 1200 ms, {} of {} periods throttled ({} ms)",
        stats.cpu_usage_ns / 1_000_000,
        stats.cpu_throttled_periods,
        stats.cpu_periods,
        stats.cpu_throttled_ns / 1_000_000
    );
    assert!(stats.cpu_throttled_periods > 0);
    assert!(stats.cpu_throttled_ns > 0);
    assert!(stats.cpu_periods >= stats.cpu_throttled_periods);
    assert!(
        stats.cpu_usage_ns < 800_000_000,
        "{} ns of CPU in 1.2 s at 50%",
        stats.cpu_usage_ns
    );
    assert!(
        stats.cpu_usage_ns > 200_000_000,
        "busy loop barely ran: {} ns",
        stats.cpu_usage_ns
    );
    assert!(stats.cpu_user_ns + stats.cpu_system_ns > 100_000_000);
}
