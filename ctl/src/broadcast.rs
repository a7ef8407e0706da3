//! Telling Explorer a drive letter came or went: the `WM_DEVICECHANGE` broadcast and
//! `SHChangeNotify` (what may be claimed about them: [`crate::announce`]).

use std::mem::size_of;

use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::System::RemoteDesktop::ProcessIdToSessionId;
use windows_sys::Win32::System::StationsAndDesktops::{
    GetProcessWindowStation, GetUserObjectInformationW, UOI_FLAGS, USEROBJECTFLAGS,
};
use windows_sys::Win32::System::Threading::GetCurrentProcessId;
use windows_sys::Win32::UI::Shell::{
    SHCNE_DRIVEADD, SHCNE_DRIVEREMOVED, SHCNF_PATHW, SHChangeNotify,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    DBT_DEVICEARRIVAL, DBT_DEVICEREMOVECOMPLETE, DBT_DEVTYP_VOLUME, DEV_BROADCAST_VOLUME,
    HWND_BROADCAST, SMTO_ABORTIFHUNG, SendMessageTimeoutW, WM_DEVICECHANGE, WSF_VISIBLE,
};

use crate::announce::{Announcement, Session, broadcast_blocked};
use crate::error::win32_text;
use crate::sys::{last_error, wide};

/// Which event to announce.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// The letter arrived.
    Arrival,
    /// The letter is gone.
    RemoveComplete,
}

/// This process's session and whether its window station is interactive.
fn session() -> Session {
    let mut id = 0u32;
    // SAFETY: no preconditions.
    let pid = unsafe { GetCurrentProcessId() };
    // SAFETY: no preconditions; the out pointer is a local.
    let id = (unsafe { ProcessIdToSessionId(pid, &raw mut id) } != 0).then_some(id);
    let mut flags = USEROBJECTFLAGS::default();
    let mut needed = 0u32;
    // SAFETY: no preconditions; the handle is the process's own (never closed).
    let station = unsafe { GetProcessWindowStation() } as HANDLE;
    // SAFETY: `station` is the process's window station; the buffer and its size match.
    let interactive_station = (unsafe {
        GetUserObjectInformationW(
            station,
            UOI_FLAGS,
            (&raw mut flags).cast(),
            u32::try_from(size_of::<USEROBJECTFLAGS>()).unwrap_or(0),
            &raw mut needed,
        )
    } != 0)
        .then_some(flags.dwFlags & WSF_VISIBLE.cast_unsigned() != 0);
    Session {
        id,
        interactive_station,
    }
}

/// Broadcasts the event for drive `letter` to all top-level windows of this
/// desktop (1 s timeout each).
///
/// # Errors
/// The Win32 error of a failed broadcast.
fn broadcast(bit: u32, event: Event) -> Result<(), u32> {
    let mut dbv = DEV_BROADCAST_VOLUME {
        dbcv_size: u32::try_from(size_of::<DEV_BROADCAST_VOLUME>()).unwrap_or(0),
        dbcv_devicetype: DBT_DEVTYP_VOLUME,
        dbcv_reserved: 0,
        dbcv_unitmask: 1 << bit,
        dbcv_flags: 0,
    };
    let wparam = match event {
        Event::Arrival => DBT_DEVICEARRIVAL,
        Event::RemoveComplete => DBT_DEVICEREMOVECOMPLETE,
    };
    let mut result = 0usize;
    // SAFETY: `dbv` outlives the synchronous broadcast; the result pointer is a local.
    let rc = unsafe {
        SendMessageTimeoutW(
            HWND_BROADCAST,
            WM_DEVICECHANGE,
            wparam as usize,
            (&raw mut dbv) as isize,
            SMTO_ABORTIFHUNG,
            1000,
            &raw mut result,
        )
    };
    if rc == 0 { Err(last_error()) } else { Ok(()) }
}

/// `SHChangeNotify(SHCNE_DRIVEADD / SHCNE_DRIVEREMOVED, SHCNF_PATHW, "X:\")`.
fn shell_notify(letter: char, event: Event) {
    let root = wide(&format!("{letter}:\\"));
    let id = match event {
        Event::Arrival => SHCNE_DRIVEADD,
        Event::RemoveComplete => SHCNE_DRIVEREMOVED,
    };
    // SAFETY: `root` is NUL-terminated and outlives the call; the second item is unused.
    unsafe {
        SHChangeNotify(
            id.cast_signed(),
            SHCNF_PATHW,
            root.as_ptr().cast(),
            std::ptr::null(),
        );
    }
}

/// Announces the event for drive `letter` on both channels, reporting the broadcast
/// as done only where it could reach a user's desktop and succeeded.
#[must_use]
pub fn announce(letter: char, event: Event) -> Announcement {
    let letter = letter.to_ascii_uppercase();
    let Some(bit) = (letter as u32).checked_sub('A' as u32).filter(|b| *b < 26) else {
        return Announcement::skipped("not sent: not a drive letter");
    };
    shell_notify(letter, event);
    let broadcast_note = broadcast_blocked(session()).or_else(|| {
        broadcast(bit, event).err().map(|code| {
            format!(
                "failed: SendMessageTimeoutW(HWND_BROADCAST) {} (Win32 error {code})",
                win32_text(code)
            )
        })
    });
    Announcement {
        broadcast: broadcast_note.is_none(),
        broadcast_note,
        shell_notify: true,
    }
}
