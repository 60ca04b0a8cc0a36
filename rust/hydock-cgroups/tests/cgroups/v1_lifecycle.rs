//! v1: creating, joining, listing, freezing, killing and destroying, in every hierarchy.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hydock_cgroups::{Cgroup, CgroupError, DirError, Resources, Version};

use crate::support::*;

/// The mount points a container cgroup must appear under on this host, from mountinfo: the v1
/// hierarchies of the controllers we use and the hybrid unified mount.
fn expected_roots() -> Vec<PathBuf> {
    let wanted = [
        "cpu",
        "cpuacct",
        "cpuset",
        "memory",
        "pids",
        "freezer",
        "devices",
        "blkio",
        "name=systemd",
    ];
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut roots: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let mut after = after.split(' ');
            let (fstype, _, options) = (after.next()?, after.next()?, after.next()?);
            let mount_point = before.split(' ').nth(4)?;
            let used = fstype == "cgroup2" || options.split(',').any(|o| wanted.contains(&o));
            used.then(|| PathBuf::from(mount_point))
        })
        .collect();
    roots.sort();
    roots
}

#[test]
fn create_add_list_destroy_in_every_hierarchy() {
    let layout = v1_layout();
    let (_guard, cgroup) = CgroupGuard::create(&layout, "lifecycle", &Resources::default());
    assert_eq!(cgroup.version(), Version::V1);

    let mut roots: Vec<PathBuf> = cgroup
        .paths()
        .iter()
        .map(|p| p.ancestors().nth(2).unwrap().to_path_buf())
        .collect();
    roots.sort();
    assert_eq!(roots, expected_roots());
    assert!(roots.contains(&PathBuf::from("/sys/fs/cgroup/unified")));

    let mut child = spawn_sleeper();
    cgroup.add_process(child.pid()).unwrap();
    assert_eq!(cgroup.processes().unwrap(), vec![child.pid()]);
    let membership = proc_cgroup_lines(child.pid());
    assert_eq!(membership.len(), roots.len(), "{membership:?}");
    for line in &membership {
        assert!(
            line.ends_with(&format!(":/{}", cgroup.name())),
            "not moved: {line}"
        );
    }

    let reopened = Cgroup::open_in(&layout, cgroup.name()).unwrap();
    assert_eq!(reopened.paths(), cgroup.paths());

    let paths: Vec<PathBuf> = cgroup.paths().iter().map(|p| p.to_path_buf()).collect();
    cgroup.destroy().unwrap();
    child.expect_killed();
    for path in &paths {
        assert!(!path.exists(), "{} left behind", path.display());
    }
    assert!(matches!(
        Cgroup::open_in(&layout, &test_name("lifecycle")),
        Err(CgroupError::NotFound { .. })
    ));
}

#[test]
fn nested_cpuset_levels_inherit_cpus_and_mems() {
    let layout = v1_layout();
    let (_guard, cgroup) = CgroupGuard::create(&layout, "cpuset", &Resources::default());
    let cpuset = cgroup
        .paths()
        .into_iter()
        .find(|p| p.starts_with("/sys/fs/cgroup/cpuset"))
        .unwrap();
    let root = Path::new("/sys/fs/cgroup/cpuset");
    for file in ["cpuset.cpus", "cpuset.mems"] {
        let want = std::fs::read_to_string(root.join(file)).unwrap();
        for level in [cpuset, cpuset.parent().unwrap()] {
            assert_eq!(
                std::fs::read_to_string(level.join(file)).unwrap(),
                want,
                "{}",
                level.display()
            );
        }
    }
    let child = spawn_sleeper();
    cgroup.add_process(child.pid()).unwrap();
    assert_eq!(cgroup.processes().unwrap(), vec![child.pid()]);
}

#[test]
fn rejects_bad_names_duplicates_and_rolls_back_failed_creates() {
    let layout = v1_layout();
    for bad in ["/abs", "a/../b", ""] {
        assert!(matches!(
            Cgroup::create_in(&layout, bad, &Resources::default()),
            Err(CgroupError::InvalidName { .. })
        ));
    }
    let (_guard, cgroup) = CgroupGuard::create(&layout, "duplicate", &Resources::default());
    assert!(matches!(
        Cgroup::create_in(&layout, cgroup.name(), &Resources::default()),
        Err(CgroupError::Dir(DirError::AlreadyExists { .. }))
    ));

    let name = test_name("rollback");
    let leaves: Vec<PathBuf> = cgroup
        .paths()
        .iter()
        .map(|p| p.parent().unwrap().parent().unwrap().join(&name))
        .collect();
    let _rollback_guard = CgroupGuard::for_name(&layout, &name, leaves.clone());
    let impossible_cpus = Resources {
        cpuset_cpus: Some("4000".into()),
        ..Default::default()
    };
    let err = Cgroup::create_in(&layout, &name, &impossible_cpus).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("cpuset.cpus") && message.contains("\"4000\""),
        "{message}"
    );
    for leaf in &leaves {
        assert!(!leaf.exists(), "{} left by failed create", leaf.display());
    }
}

fn cpu_usage(cgroup: &Cgroup) -> u64 {
    cgroup.stats().unwrap().cpu_usage_ns
}

#[test]
fn freeze_stops_and_thaw_resumes_then_kill_reaches_frozen_tasks() {
    let layout = v1_layout();
    let (_guard, cgroup) = CgroupGuard::create(&layout, "freeze", &Resources::default());
    let mut child = spawn_in(&cgroup, "while :; do :; done");
    let freezer = cgroup
        .paths()
        .into_iter()
        .find(|p| p.starts_with("/sys/fs/cgroup/freezer"))
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));

    cgroup.freeze().unwrap();
    assert_eq!(
        std::fs::read_to_string(freezer.join("freezer.state"))
            .unwrap()
            .trim(),
        "FROZEN"
    );
    let frozen_at = cpu_usage(&cgroup);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(cpu_usage(&cgroup), frozen_at, "a frozen task ran");

    cgroup.thaw().unwrap();
    assert_eq!(
        std::fs::read_to_string(freezer.join("freezer.state"))
            .unwrap()
            .trim(),
        "THAWED"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        cpu_usage(&cgroup) > frozen_at + 50_000_000,
        "thawed task did not run"
    );

    cgroup.freeze().unwrap();
    cgroup.kill_all(SIGKILL).unwrap();
    child.expect_killed();
    assert!(cgroup.processes().unwrap().is_empty());
}

#[test]
fn kill_all_delivers_other_signals_and_rejects_bad_ones() {
    let layout = v1_layout();
    let (_guard, cgroup) = CgroupGuard::create(&layout, "signal", &Resources::default());
    let mut child = spawn_in(
        &cgroup,
        "trap 'exit 42' TERM; while :; do busybox sleep 0.05; done",
    );
    std::thread::sleep(Duration::from_millis(200));
    cgroup
        .kill_all(nix::sys::signal::Signal::SIGTERM as i32)
        .unwrap();
    let status = child
        .wait_timeout(Duration::from_secs(5))
        .expect("child exits on TERM");
    assert_eq!(status.code(), Some(42));
    assert!(matches!(
        cgroup.kill_all(999),
        Err(CgroupError::InvalidSignal { signal: 999 })
    ));
}
