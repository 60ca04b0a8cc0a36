//! The shim binary travels inside this extension module and is written out once per content
//! hash, so every running shim maps the same file and shares its pages.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

static SHIM: &[u8] = include_bytes!(env!("HYDOCK_SHIM_BINARY"));
/// The first 12 hex digits of the binary's sha256, computed by build.rs.
const SHIM_TAG: &str = env!("HYDOCK_SHIM_TAG");

/// Path of the shim under `dir`, writing it (atomically) if this version is not there yet.
pub fn install(dir: &Path) -> std::io::Result<PathBuf> {
    let short = SHIM_TAG;
    let path = dir.join(format!("hydock-shim-{short}"));
    if path.exists() {
        return Ok(path);
    }
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".hydock-shim-{short}.{}", std::process::id()));
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o755)
        .open(&tmp)?;
    file.write_all(SHIM)?;
    file.sync_all()?;
    drop(file);
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))?;
    fs::rename(&tmp, &path)?;
    remove_other_versions(dir, &path);
    Ok(path)
}

/// Older shims left by earlier hydock versions; running ones keep their mapped file alive.
fn remove_other_versions(dir: &Path, current: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_shim = entry
            .file_name()
            .to_string_lossy()
            .starts_with("hydock-shim-");
        if is_shim && path != current {
            let _ = fs::remove_file(path);
        }
    }
}
