//! What a volume request (`FSCTL_LOCK_VOLUME`, `FSCTL_DISMOUNT_VOLUME`, ...) achieved,
//! and the warning for one the system does not support.
//!
//! Host-visible, because the stop logic and the tests decide on these outcomes too.

/// `ERROR_INVALID_FUNCTION`: what our driver answers to a volume request Wine passes on.
pub const ERROR_INVALID_FUNCTION: u32 = 1;
/// `ERROR_NOT_SUPPORTED`.
pub const ERROR_NOT_SUPPORTED: u32 = 50;

/// What a lock or dismount request achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsctlOutcome {
    /// It worked.
    Done,
    /// The system does not support it here (Wine: invalid function / not supported).
    Unsupported(u32),
}

impl FsctlOutcome {
    /// Classifies a request's Win32 result: success, "not supported here", or a real
    /// failure (returned as the error code).
    ///
    /// # Errors
    /// The code of a failure that is not "not supported".
    pub const fn classify(result: Result<(), u32>) -> Result<Self, u32> {
        match result {
            Ok(()) => Ok(Self::Done),
            Err(e @ (ERROR_INVALID_FUNCTION | ERROR_NOT_SUPPORTED)) => Ok(Self::Unsupported(e)),
            Err(e) => Err(e),
        }
    }
}

/// `lock(sys)` until it works, the system says it has no such request, or `attempts`
/// tries failed, with `sleep(sys, pause)` between two tries (`stop`, `remove`, `save`).
///
/// # Errors
/// The last failure's code.
pub fn lock_with_retries<S>(
    sys: &mut S,
    attempts: u32,
    pause: std::time::Duration,
    mut lock: impl FnMut(&mut S) -> Result<(), u32>,
    mut sleep: impl FnMut(&mut S, std::time::Duration),
) -> Result<FsctlOutcome, u32> {
    let mut attempt = 1;
    loop {
        match FsctlOutcome::classify(lock(sys)) {
            Err(_) if attempt < attempts => {
                sleep(sys, pause);
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A warning line for an FSCTL the system does not support.
#[must_use]
pub fn fsctl_warning(what: &str, outcome: FsctlOutcome) -> Option<String> {
    match outcome {
        FsctlOutcome::Done => None,
        FsctlOutcome::Unsupported(code) => Some(format!(
            "warning: {what} not available here ({}, Win32 error {code}); continuing without it",
            crate::error::win32_text(code)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_and_warn() {
        assert_eq!(FsctlOutcome::classify(Ok(())), Ok(FsctlOutcome::Done));
        assert_eq!(
            FsctlOutcome::classify(Err(1)),
            Ok(FsctlOutcome::Unsupported(1))
        );
        assert_eq!(
            FsctlOutcome::classify(Err(50)),
            Ok(FsctlOutcome::Unsupported(50))
        );
        assert_eq!(FsctlOutcome::classify(Err(5)), Err(5));
        assert_eq!(fsctl_warning("FSCTL_LOCK_VOLUME", FsctlOutcome::Done), None);
        let w = fsctl_warning("FSCTL_DISMOUNT_VOLUME", FsctlOutcome::Unsupported(1)).unwrap();
        assert!(
            w.starts_with("warning: FSCTL_DISMOUNT_VOLUME not available here (")
                && w.ends_with("Win32 error 1); continuing without it"),
            "{w}"
        );
    }
}
