//! Signal state handed to the container's process: nothing blocked, nothing ignored.
//!
//! The child is a fork of the caller, whose mask and dispositions (a Rust program ignores
//! SIGPIPE, a supervisor may block SIGCHLD) must not leak into the container.

use nix::errno::Errno;
use nix::sys::signal::{
    sigaction, sigprocmask, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal,
};

#[derive(Debug, thiserror::Error)]
pub(crate) enum SignalsError {
    #[error("reset the disposition of {signal}: {source}")]
    Disposition { signal: Signal, source: Errno },
    #[error("set the signal mask: {source}")]
    Mask { source: Errno },
}

/// Restores the default disposition of every signal and unblocks them all.
pub(crate) fn reset_for_exec() -> Result<(), SignalsError> {
    let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    for signal in Signal::iterator().filter(|s| !matches!(s, Signal::SIGKILL | Signal::SIGSTOP)) {
        // SAFETY: installing SIG_DFL registers no handler, so no code can run asynchronously.
        unsafe { sigaction(signal, &default) }
            .map_err(|source| SignalsError::Disposition { signal, source })?;
    }
    set_mask(&SigSet::empty())
}

pub(crate) fn set_mask(mask: &SigSet) -> Result<(), SignalsError> {
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(mask), None)
        .map_err(|source| SignalsError::Mask { source })
}
