//! The v2 code path, on this host's unified mount (cgroup2 with no controllers enabled).

use std::time::Duration;

use hydock_cgroups::{Cgroup, CgroupError, FsError, Resources, Version};

use crate::support::*;

#[test]
fn create_add_list_freeze_kill_destroy() {
    let layout = unified_layout();
    let (_guard, cgroup) = CgroupGuard::create(&layout, "v2", &Resources::default());
    assert_eq!(cgroup.version(), Version::V2);
    let path = cgroup.paths()[0].to_path_buf();
    assert!(path.starts_with("/sys/fs/cgroup/unified"));

    let mut child = spawn_in(&cgroup, "while :; do :; done");
    assert_eq!(cgroup.processes().unwrap(), vec![child.pid()]);
    assert!(proc_cgroup_lines(child.pid()).contains(&format!("0::/{}", cgroup.name())));

    cgroup.freeze().unwrap();
    let events = std::fs::read_to_string(path.join("cgroup.events")).unwrap();
    assert!(events.contains("frozen 1"), "{events}");
    cgroup.thaw().unwrap();

    cgroup.kill_all(SIGKILL).unwrap();
    child.expect_killed();
    assert!(cgroup.processes().unwrap().is_empty());

    let survivor = spawn_sleeper();
    cgroup.add_process(survivor.pid()).unwrap();
    cgroup.destroy().unwrap();
    assert!(!path.exists());
    let mut survivor = survivor;
    survivor.expect_killed();
}

#[test]
fn limits_without_controllers_fail_naming_the_file() {
    let layout = unified_layout();
    let name = test_name("v2-nomem");
    let leaf = std::path::Path::new("/sys/fs/cgroup/unified").join(&name);
    let _guard = CgroupGuard::for_name(&layout, &name, vec![leaf.clone()]);
    let memory = Resources {
        memory_limit: Some(32 << 20),
        ..Default::default()
    };
    let err = Cgroup::create_in(&layout, &name, &memory).unwrap_err();
    assert!(
        matches!(&err, CgroupError::Fs(FsError::ControllerUnavailable { controller, .. }) if controller == "memory"),
        "{err}"
    );
    assert_controller_error(&err, "memory.max");
    assert!(!leaf.exists(), "failed create left {}", leaf.display());

    let (_guard, cgroup) = CgroupGuard::create(&layout, "v2-nopids", &Resources::default());
    let err = cgroup
        .update(&Resources {
            pids_limit: Some(10),
            ..Default::default()
        })
        .unwrap_err();
    assert_controller_error(&err, "pids.max");
    assert_controller_error(&cgroup.stats().unwrap_err(), "memory.current");
    let child = spawn_in(&cgroup, "busybox sleep 100");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(cgroup.processes().unwrap(), vec![child.pid()]);
}
