//! Switching to `spec.process.user`: groups, gid, uid and umask, keeping capabilities across.

use nix::errno::Errno;
use nix::sys::prctl::set_keepcaps;
use nix::sys::stat::{umask, Mode};
use nix::unistd::{setgroups, setresgid, setresuid, Gid, Uid};
use oci_spec::runtime::User;

/// runc's umask when the spec does not give one.
const DEFAULT_UMASK: u32 = 0o022;

#[derive(Debug, thiserror::Error)]
#[error("{step} ({what}): {source}")]
pub(crate) struct UserError {
    step: &'static str,
    what: String,
    source: Errno,
}

/// Leaves the process with the spec's uid, gid and supplementary groups. The permitted
/// capabilities survive (PR_SET_KEEPCAPS) so that the capability step can set them exactly.
pub(crate) fn switch_user(user: &User) -> Result<(), UserError> {
    let fail = |step, what: String| move |source| UserError { step, what, source };
    let groups: Vec<Gid> = user
        .additional_gids()
        .iter()
        .flatten()
        .map(|g| Gid::from_raw(*g))
        .collect();
    let (uid, gid) = (Uid::from_raw(user.uid()), Gid::from_raw(user.gid()));
    set_keepcaps(true).map_err(fail("keep capabilities", "on".into()))?;
    setgroups(&groups).map_err(fail(
        "setgroups",
        format!("{:?}", user.additional_gids().clone().unwrap_or_default()),
    ))?;
    setresgid(gid, gid, gid).map_err(fail("setresgid", gid.to_string()))?;
    setresuid(uid, uid, uid).map_err(fail("setresuid", uid.to_string()))?;
    set_keepcaps(false).map_err(fail("keep capabilities", "off".into()))?;
    let mask = user.umask().unwrap_or(DEFAULT_UMASK) & 0o777;
    umask(Mode::from_bits_truncate(mask));
    Ok(())
}
