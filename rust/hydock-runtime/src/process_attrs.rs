//! Settings from the spec that are not about mounts or credentials: hostname and domain name,
//! sysctls, rlimits, OOM score adjustment.

use nix::errno::Errno;
use nix::sys::resource::{setrlimit, Resource};
use oci_spec::runtime::{PosixRlimit, PosixRlimitType};

#[derive(Debug, thiserror::Error)]
pub(crate) enum ProcessAttrsError {
    #[error("setting a {what} needs a UTS namespace")]
    NoUtsNamespace { what: &'static str },
    #[error("set {what} {name:?}: {source}")]
    Name {
        what: &'static str,
        name: String,
        source: Errno,
    },
    #[error("{resource} soft={soft} hard={hard}: {source}")]
    Rlimit {
        resource: String,
        soft: u64,
        hard: u64,
        source: Errno,
    },
    #[error("sysctl {key}: invalid name")]
    SysctlName { key: String },
    #[error("sysctl {key} = {value:?}: {source}")]
    Sysctl {
        key: String,
        value: String,
        source: std::io::Error,
    },
    #[error("write /proc/self/oom_score_adj = {value}: {source}")]
    OomScore { value: i32, source: std::io::Error },
}

/// Sets the hostname and domain name; both belong to the UTS namespace, never the host's.
pub(crate) fn set_names(
    hostname: Option<&str>,
    domainname: Option<&str>,
    has_uts: bool,
) -> Result<(), ProcessAttrsError> {
    for (what, name) in [("hostname", hostname), ("domain name", domainname)] {
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            continue;
        };
        if !has_uts {
            return Err(ProcessAttrsError::NoUtsNamespace { what });
        }
        let result = if what == "hostname" {
            nix::unistd::sethostname(name)
        } else {
            set_domainname(name)
        };
        result.map_err(|source| ProcessAttrsError::Name {
            what,
            name: name.to_string(),
            source,
        })?;
    }
    Ok(())
}

fn set_domainname(name: &str) -> Result<(), Errno> {
    // SAFETY: the pointer and length describe `name`'s bytes, which the kernel only reads.
    Errno::result(unsafe { libc::setdomainname(name.as_ptr().cast(), name.len()) }).map(drop)
}

/// Writes each `key = value` under the container's /proc/sys (keys in dotted form).
/// Runs after pivot_root and before /proc/sys is made read-only.
pub(crate) fn set_sysctls<'a>(
    sysctls: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Result<(), ProcessAttrsError> {
    for (key, value) in sysctls {
        let valid = !key.is_empty()
            && key
                .split('.')
                .all(|part| !part.is_empty() && part != ".." && !part.contains('/'));
        if !valid {
            return Err(ProcessAttrsError::SysctlName { key: key.clone() });
        }
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        std::fs::write(&path, value).map_err(|source| ProcessAttrsError::Sysctl {
            key: key.clone(),
            value: value.clone(),
            source,
        })?;
    }
    Ok(())
}

pub(crate) fn set_rlimits(rlimits: &[PosixRlimit]) -> Result<(), ProcessAttrsError> {
    for limit in rlimits {
        setrlimit(resource(limit.typ()), limit.soft(), limit.hard()).map_err(|source| {
            ProcessAttrsError::Rlimit {
                resource: limit.typ().to_string(),
                soft: limit.soft(),
                hard: limit.hard(),
                source,
            }
        })?;
    }
    Ok(())
}

fn resource(kind: PosixRlimitType) -> Resource {
    match kind {
        PosixRlimitType::RlimitCpu => Resource::RLIMIT_CPU,
        PosixRlimitType::RlimitFsize => Resource::RLIMIT_FSIZE,
        PosixRlimitType::RlimitData => Resource::RLIMIT_DATA,
        PosixRlimitType::RlimitStack => Resource::RLIMIT_STACK,
        PosixRlimitType::RlimitCore => Resource::RLIMIT_CORE,
        PosixRlimitType::RlimitRss => Resource::RLIMIT_RSS,
        PosixRlimitType::RlimitNproc => Resource::RLIMIT_NPROC,
        PosixRlimitType::RlimitNofile => Resource::RLIMIT_NOFILE,
        PosixRlimitType::RlimitMemlock => Resource::RLIMIT_MEMLOCK,
        PosixRlimitType::RlimitAs => Resource::RLIMIT_AS,
        PosixRlimitType::RlimitLocks => Resource::RLIMIT_LOCKS,
        PosixRlimitType::RlimitSigpending => Resource::RLIMIT_SIGPENDING,
        PosixRlimitType::RlimitMsgqueue => Resource::RLIMIT_MSGQUEUE,
        PosixRlimitType::RlimitNice => Resource::RLIMIT_NICE,
        PosixRlimitType::RlimitRtprio => Resource::RLIMIT_RTPRIO,
        PosixRlimitType::RlimitRttime => Resource::RLIMIT_RTTIME,
    }
}

pub(crate) fn set_oom_score_adj(value: i32) -> Result<(), ProcessAttrsError> {
    std::fs::write("/proc/self/oom_score_adj", value.to_string())
        .map_err(|source| ProcessAttrsError::OomScore { value, source })
}
