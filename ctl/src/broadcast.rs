//! Telling Explorer a drive letter came or went (`WM_DEVICECHANGE`).

use windows_sys::Win32::UI::WindowsAndMessaging::{
    DBT_DEVICEARRIVAL, DBT_DEVICEREMOVECOMPLETE, DBT_DEVTYP_VOLUME, DEV_BROADCAST_VOLUME,
    HWND_BROADCAST, SMTO_ABORTIFHUNG, SendMessageTimeoutW, WM_DEVICECHANGE,
};

/// Which event to announce.
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// `DBT_DEVICEARRIVAL`.
    Arrival,
    /// `DBT_DEVICEREMOVECOMPLETE`.
    RemoveComplete,
}

/// Broadcasts the event for drive `letter` to all top-level windows (1 s timeout each).
/// Returns false when the broadcast failed (e.g. no window station).
pub fn volume(letter: char, event: Event) -> bool {
    let Some(bit) = (letter.to_ascii_uppercase() as u32)
        .checked_sub('A' as u32)
        .filter(|b| *b < 26)
    else {
        return false;
    };
    let mut dbv = DEV_BROADCAST_VOLUME {
        dbcv_size: u32::try_from(std::mem::size_of::<DEV_BROADCAST_VOLUME>()).unwrap_or(0),
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
    rc != 0
}
