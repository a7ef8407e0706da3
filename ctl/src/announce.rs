//! Telling Explorer that a drive letter came or went, and saying truthfully how far
//! the news could go.
//!
//! Two channels: a `WM_DEVICECHANGE` broadcast (`DBT_DEVICEARRIVAL` /
//! `DBT_DEVICEREMOVECOMPLETE`) to `HWND_BROADCAST`, and `SHChangeNotify`
//! (`SHCNE_DRIVEADD` / `SHCNE_DRIVEREMOVED` for `R:\`). `HWND_BROADCAST` reaches only
//! the top-level windows of the caller's own desktop: from a service, a scheduled
//! task, an SSH session or anything else in session 0 (or on a non-interactive window
//! station) it cannot reach the signed-in user's Explorer, so it is not sent there and
//! the report says why instead of claiming it was done.

use serde::Serialize;

/// Where this process runs, as far as a broadcast is concerned (`None`: the query
/// failed, so nothing is known).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// `ProcessIdToSessionId` of this process.
    pub id: Option<u32>,
    /// The process window station is visible (`WSF_VISIBLE`): an interactive one.
    pub interactive_station: Option<bool>,
}

/// Why `HWND_BROADCAST` cannot reach the signed-in user's desktop from `session`, if
/// it cannot. When nothing is known the broadcast is tried.
#[must_use]
pub fn broadcast_blocked(session: Session) -> Option<String> {
    if session.id == Some(0) {
        return Some(
            "not sent: this process runs in session 0 (a service, a scheduled task, an SSH \
             session), where HWND_BROADCAST reaches no user's desktop; Explorer in the user's \
             session refreshes by itself, or press F5 there"
                .into(),
        );
    }
    if session.interactive_station == Some(false) {
        return Some(
            "not sent: this process has a non-interactive window station, where \
             HWND_BROADCAST reaches no user's desktop; Explorer refreshes by itself, or \
             press F5 there"
                .into(),
        );
    }
    None
}

/// What `start`/`stop` did to let Explorer know (three JSON keys of their reports).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Announcement {
    /// The `WM_DEVICECHANGE` broadcast was sent and delivered to this desktop's
    /// windows (`SendMessageTimeoutW` succeeded).
    pub broadcast: bool,
    /// Why it was not, if it was not.
    pub broadcast_note: Option<String>,
    /// `SHChangeNotify` was called (it reports nothing back).
    pub shell_notify: bool,
}

impl Announcement {
    /// Nothing was announced, for the reason `why`.
    #[must_use]
    pub fn skipped(why: &str) -> Self {
        Self {
            broadcast: false,
            broadcast_note: Some(why.to_string()),
            shell_notify: false,
        }
    }

    /// The line for the text output when an announcement was made but the broadcast
    /// was not sent or failed.
    #[must_use]
    pub fn text_line(&self) -> Option<String> {
        match (&self.broadcast_note, self.shell_notify && !self.broadcast) {
            (Some(note), true) => Some(format!("  Explorer broadcast {note}")),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_in_session_zero_or_without_an_interactive_station() {
        let s = |id, interactive_station| Session {
            id,
            interactive_station,
        };
        assert_eq!(broadcast_blocked(s(Some(1), Some(true))), None);
        assert_eq!(broadcast_blocked(s(None, None)), None, "unknown: try it");
        assert_eq!(broadcast_blocked(s(Some(2), None)), None);
        let zero = broadcast_blocked(s(Some(0), Some(true))).unwrap();
        assert!(
            zero.starts_with("not sent: this process runs in session 0"),
            "{zero}"
        );
        let station = broadcast_blocked(s(Some(1), Some(false))).unwrap();
        assert!(
            station.contains("non-interactive window station"),
            "{station}"
        );
        assert!(broadcast_blocked(s(Some(0), None)).is_some());
    }

    #[test]
    fn text_only_when_the_broadcast_was_wanted_and_missing() {
        assert_eq!(
            Announcement::skipped("skipped (--no-broadcast)").text_line(),
            None
        );
        let done = Announcement {
            broadcast: true,
            broadcast_note: None,
            shell_notify: true,
        };
        assert_eq!(done.text_line(), None);
        let blocked = Announcement {
            broadcast: false,
            broadcast_note: Some("not sent: session 0".into()),
            shell_notify: true,
        };
        assert_eq!(
            blocked.text_line().as_deref(),
            Some("  Explorer broadcast not sent: session 0")
        );
    }
}
