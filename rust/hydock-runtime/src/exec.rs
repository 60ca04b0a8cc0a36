//! The container's command: found on the spec's PATH like Go's exec.LookPath, then executed.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::unistd::{access, AccessFlags};
use oci_spec::runtime::Process;

use crate::error::{SpawnError, SpawnErrorKind};

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A resolved command, ready for execve.
pub(crate) struct Command {
    name: String,
    program: CString,
    args: Vec<CString>,
    env: Vec<CString>,
}

fn exec_error(kind: SpawnErrorKind, message: String) -> SpawnError {
    SpawnError {
        step: "exec".into(),
        message,
        kind,
    }
}

fn c_string(text: &str) -> Result<CString, SpawnError> {
    CString::new(text).map_err(|_| {
        exec_error(
            SpawnErrorKind::Other,
            format!("{text:?} contains a NUL byte"),
        )
    })
}

impl Command {
    /// Resolves `process.args[0]` against the PATH in `process.env`, from the current directory
    /// and with the current credentials (so after the user switch and chdir).
    pub(crate) fn resolve(process: &Process) -> Result<Command, SpawnError> {
        let args = process.args().as_deref().unwrap_or_default();
        let name = args
            .first()
            .ok_or_else(|| exec_error(SpawnErrorKind::Other, "no command specified".into()))?;
        let env = process.env().as_deref().unwrap_or_default();
        let path_var = env
            .iter()
            .rev()
            .find_map(|e| e.strip_prefix("PATH="))
            .unwrap_or(DEFAULT_PATH);
        let program = look_path(name, path_var)?;
        Ok(Command {
            name: name.clone(),
            program: c_string(&program.to_string_lossy())?,
            args: args.iter().map(|a| c_string(a)).collect::<Result<_, _>>()?,
            env: env.iter().map(|e| c_string(e)).collect::<Result<_, _>>()?,
        })
    }

    /// Replaces the process image; returns only on failure.
    pub(crate) fn exec(&self) -> SpawnError {
        let errno = match nix::unistd::execve(&self.program, &self.args, &self.env) {
            Ok(never) => match never {},
            Err(errno) => errno,
        };
        let name = &self.name;
        match errno {
            Errno::ENOENT => exec_error(
                SpawnErrorKind::NotFound,
                format!("exec: {name:?}: no such file or directory"),
            ),
            Errno::EACCES | Errno::EPERM => exec_error(
                SpawnErrorKind::PermissionDenied,
                format!("exec: {name:?}: permission denied"),
            ),
            Errno::ENOEXEC => exec_error(
                SpawnErrorKind::Other,
                format!("exec: {name:?}: exec format error"),
            ),
            other => exec_error(
                SpawnErrorKind::Other,
                format!("exec: {name:?}: {}", other.desc()),
            ),
        }
    }
}

/// Go's exec.LookPath: a name with a slash is used as is; otherwise the first executable
/// regular file named `name` in a PATH directory (an empty entry means ".").
fn look_path(name: &str, path_var: &str) -> Result<PathBuf, SpawnError> {
    if name.contains('/') {
        return match check_executable(Path::new(name)) {
            Ok(()) => Ok(PathBuf::from(name)),
            Err(Errno::ENOENT) => Err(exec_error(
                SpawnErrorKind::NotFound,
                format!("exec: {name:?}: stat {name}: no such file or directory"),
            )),
            Err(errno) => Err(exec_error(
                SpawnErrorKind::PermissionDenied,
                format!("exec: {name:?}: {}", errno.desc().to_lowercase()),
            )),
        };
    }
    path_var
        .split(':')
        .map(|dir| Path::new(if dir.is_empty() { "." } else { dir }).join(name))
        .find(|candidate| check_executable(candidate).is_ok())
        .ok_or_else(|| {
            exec_error(
                SpawnErrorKind::NotFound,
                format!("exec: {name:?}: executable file not found in $PATH"),
            )
        })
}

fn check_executable(path: &Path) -> Result<(), Errno> {
    let metadata = std::fs::metadata(path)
        .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
    if metadata.is_dir() {
        return Err(Errno::EISDIR);
    }
    // access() checks the real ids, which equal the effective ones once the user is switched.
    match access(path, AccessFlags::X_OK) {
        Ok(()) => Ok(()),
        Err(Errno::EACCES) => Err(Errno::EACCES),
        Err(_) => {
            use std::os::unix::fs::PermissionsExt;
            if metadata.permissions().mode() & 0o111 != 0 {
                Ok(())
            } else {
                Err(Errno::EACCES)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn look_path_skips_non_executables_and_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        std::fs::create_dir_all(a.join("tool")).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("plain"), "").unwrap();
        std::fs::write(b.join("plain"), "").unwrap();
        std::fs::write(b.join("tool"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(b.join("tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path_var = format!("{}:{}", a.display(), b.display());

        assert_eq!(look_path("tool", &path_var).unwrap(), b.join("tool"));
        let err = look_path("plain", &path_var).unwrap_err();
        assert_eq!(err.kind, SpawnErrorKind::NotFound);
        assert_eq!(
            err.message,
            "exec: \"plain\": executable file not found in $PATH"
        );
    }

    #[test]
    fn names_with_a_slash_are_not_searched() {
        let err = look_path("/no/such/tool", DEFAULT_PATH).unwrap_err();
        assert_eq!(err.kind, SpawnErrorKind::NotFound);
        assert_eq!(
            err.message,
            "exec: \"/no/such/tool\": stat /no/such/tool: no such file or directory"
        );
        let err = look_path("/etc/passwd", DEFAULT_PATH).unwrap_err();
        assert_eq!(err.kind, SpawnErrorKind::PermissionDenied);
    }
}
