//! `ramdiskctl start`: start the service, announce the drive letter; when the driver
//! refuses to load, say why, from its System event-log entry.

use std::time::{Duration, Instant};

use super::{Ctx, NO_BROADCAST, NOT_A_LETTER};
use crate::announce::Announcement;
use crate::broadcast;
use crate::error::{CtlError, win32_text};
use crate::eventlog::{driver_says, not_found_note};
use crate::report::StartReport;
use crate::scm;
use crate::sys::{default_device, read_system_log, unix_now};
use crate::units::drive_letter;

/// `ERROR_SERVICE_ALREADY_RUNNING`.
const ALREADY_RUNNING: u32 = 1056;

/// How long to wait for the driver's entry: the I/O manager's error-log thread and the
/// event log service write it a moment after `DriverEntry` returned.
const EVENT_WAIT: Duration = Duration::from_secs(3);

/// The notes for a failed start: what the driver wrote to the System log since
/// `since`, or where else to look.
fn driver_notes(since: u32) -> Vec<String> {
    let deadline = Instant::now() + EVENT_WAIT;
    loop {
        match read_system_log(since) {
            Ok((records, any)) => {
                let says = driver_says(&records, since);
                if !says.is_empty() {
                    return says
                        .into_iter()
                        .map(|s| format!("the driver says (System event log): {s}"))
                        .collect();
                }
                if !any {
                    return vec![not_found_note("the System event log is empty here")];
                }
            }
            Err(e) => {
                return vec![not_found_note(&format!(
                    "it could not be read: {} (Win32 error {e})",
                    win32_text(e)
                ))];
            }
        }
        if Instant::now() > deadline {
            return vec![not_found_note(&format!(
                "no entry from {} within {} s",
                scm::SERVICE,
                EVENT_WAIT.as_secs()
            ))];
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub fn run(ctx: &Ctx, no_broadcast: bool) -> Result<(), CtlError> {
    let svc = scm::open_service()?;
    // Records carry whole seconds: one second of slack.
    let since = unix_now().saturating_sub(1);
    scm::start(&svc).map_err(|e| {
        if e.win32.is_some_and(|c| c != ALREADY_RUNNING) {
            // DriverEntry refused; it said why.
            driver_notes(since).into_iter().fold(e, CtlError::with_note)
        } else {
            e
        }
    })?;
    let device = default_device();
    let announce = match drive_letter(&device) {
        _ if no_broadcast => Announcement::skipped(NO_BROADCAST),
        Some(l) => broadcast::announce(l, broadcast::Event::Arrival),
        None => Announcement::skipped(NOT_A_LETTER),
    };
    ctx.print(&StartReport {
        service: scm::SERVICE,
        running: true,
        device,
        announce,
    });
    Ok(())
}
