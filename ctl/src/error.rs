//! Errors with their Win32 code and text, and the process exit codes.

use std::fmt;

use serde::Serialize;

/// Exit code: the operation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad command line (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the device could not be opened (no such drive, driver not running).
pub const EXIT_NO_DEVICE: u8 = 3;
/// Exit code: data errors (unreadable sectors, size mismatch).
pub const EXIT_DATA: u8 = 4;
/// Exit code: busy (a volume whose `FSCTL_LOCK_VOLUME` could not be taken, a disk
/// the driver finds in use).
pub const EXIT_BUSY: u8 = 5;
/// Exit code of `selftest`: nothing failed, but the disk's identity could not be
/// proven, so the file-system checks did not run (always so under Wine).
pub const EXIT_NOT_PROVEN: u8 = 6;
/// Exit code: the driver does not support the request (`ERROR_INVALID_FUNCTION`:
/// `save` against a driver without `IOCTL_RAMDISK_SAVE`).
pub const EXIT_UNSUPPORTED: u8 = 7;

/// An error for the user: what was being done, the Win32 error if any, the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtlError {
    /// What failed, e.g. `cannot open \\.\R:`.
    pub context: String,
    /// The Win32 error code (`GetLastError`), if the failure came from an API.
    pub win32: Option<u32>,
    /// The process exit code.
    pub exit: u8,
    /// More lines for the user (what the driver said about a failed start, where to
    /// look), shown after the error and as `"notes"` in JSON.
    pub notes: Vec<String>,
    /// The command's report is already on stdout (`selftest`'s table with its
    /// verdict): `--json` prints no second object for the error.
    pub reported: bool,
}

impl CtlError {
    /// A failure without a Win32 code.
    pub fn msg(context: impl Into<String>) -> Self {
        Self {
            context: context.into(),
            win32: None,
            exit: EXIT_FAILED,
            notes: Vec::new(),
            reported: false,
        }
    }

    /// A failure of a Win32 call.
    pub fn win32(context: impl Into<String>, code: u32) -> Self {
        Self {
            context: context.into(),
            win32: Some(code),
            exit: EXIT_FAILED,
            notes: Vec::new(),
            reported: false,
        }
    }

    /// The same error with another exit code.
    #[must_use]
    pub const fn exit_code(mut self, exit: u8) -> Self {
        self.exit = exit;
        self
    }

    /// The same error, marked as already reported on stdout.
    #[must_use]
    pub const fn already_reported(mut self) -> Self {
        self.reported = true;
        self
    }

    /// The same error with `note` appended to its notes.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The JSON form for `--json`.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(ErrorReport {
            error: &self.context,
            win32_error: self.win32,
            win32_text: self.win32.map(win32_text),
            exit_code: self.exit,
            notes: &self.notes,
        })
        .unwrap_or_else(|_| serde_json::json!({ "error": self.context }))
    }
}

/// What `--json` prints for a failure.
#[derive(Serialize)]
struct ErrorReport<'a> {
    /// What failed.
    error: &'a str,
    /// The Win32 error code, if any.
    win32_error: Option<u32>,
    /// Its text.
    win32_text: Option<String>,
    /// The process exit code.
    exit_code: u8,
    /// [`CtlError::notes`], left out when there are none.
    #[serde(skip_serializing_if = "no_notes")]
    notes: &'a [String],
}

/// Whether an error has no notes (then `--json` leaves the key out).
#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference to the field"
)]
const fn no_notes(notes: &&[String]) -> bool {
    notes.is_empty()
}

impl fmt::Display for CtlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.win32 {
            Some(code) => write!(
                f,
                "{}: {} (Win32 error {code})",
                self.context,
                win32_text(code)
            )?,
            None => f.write_str(&self.context)?,
        }
        for note in &self.notes {
            write!(f, "\n  {note}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CtlError {}

/// The system's text for a Win32 error code (`FormatMessageW`), without the trailing
/// newline; on other hosts a built-in text for the few codes this tool meets.
#[must_use]
pub fn win32_text(code: u32) -> String {
    #[cfg(windows)]
    if let Some(t) = crate::sys::format_message(code) {
        return t;
    }
    fallback_text(code).map_or_else(|| format!("error {code}"), str::to_string)
}

/// Texts of common codes, used where `FormatMessageW` has none.
#[must_use]
pub const fn fallback_text(code: u32) -> Option<&'static str> {
    Some(match code {
        1 => "Incorrect function.",
        2 => "The system cannot find the file specified.",
        3 => "The system cannot find the path specified.",
        5 => "Access is denied.",
        21 => "The device is not ready.",
        23 => "Data error (cyclic redundancy check).",
        32 => "The process cannot access the file because it is being used by another process.",
        38 => "Reached the end of the file.",
        50 => "The request is not supported.",
        87 => "The parameter is incorrect.",
        122 => "The data area passed to a system call is too small.",
        170 => "The requested resource is in use.",
        183 => "Cannot create a file when that file already exists.",
        433 => "A device which does not exist was specified.",
        234 => "More data is available.",
        1060 => "The specified service does not exist as an installed service.",
        1062 => "The service has not been started.",
        1073 => "The specified service already exists.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_json() {
        let e = CtlError::win32(r"cannot open \\.\R:", 2).exit_code(EXIT_NO_DEVICE);
        let s = e.to_string();
        assert!(s.starts_with(r"cannot open \\.\R:: "), "{s}");
        assert!(s.ends_with("(Win32 error 2)"), "{s}");
        let j = e.to_json();
        assert_eq!(j["win32_error"], 2);
        assert_eq!(j["exit_code"], 3);
        let e = CtlError::msg("size mismatch").exit_code(EXIT_DATA);
        assert_eq!(e.to_string(), "size mismatch");
        assert_eq!(e.to_json()["win32_error"], serde_json::Value::Null);
        assert!(e.to_json().get("notes").is_none());
        assert_eq!(EXIT_USAGE, 2);
        let e = CtlError::msg("cannot start").with_note("a").with_note("b");
        assert_eq!(e.to_string(), "cannot start\n  a\n  b");
        assert_eq!(e.to_json()["notes"], serde_json::json!(["a", "b"]));
    }

    #[test]
    fn json_golden() {
        let e = CtlError::win32(r"cannot open \\.\R:", 2).exit_code(EXIT_NO_DEVICE);
        assert_eq!(
            e.to_json().to_string(),
            include_str!("../tests/golden/error.json").trim_end()
        );
        let e = CtlError::msg("size mismatch").exit_code(EXIT_DATA);
        assert_eq!(
            e.to_json().to_string(),
            include_str!("../tests/golden/error-no-code.json").trim_end()
        );
    }

    #[test]
    fn texts() {
        assert_eq!(fallback_text(87), Some("The parameter is incorrect."));
        assert_eq!(fallback_text(999_999), None);
        #[cfg(not(windows))]
        assert_eq!(win32_text(999_999), "error 999999");
    }
}
