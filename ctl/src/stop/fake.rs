//! A scripted [`StopSystem`] for the host tests of the safe stop and of the safe
//! removal (which drives the same volume steps): every call is logged in `calls`,
//! and each answer comes from the script. The removal's tests implement
//! `RemoveSystem` for it with the `disks`, `list_error` and `remove` fields, which
//! the stop's tests leave at their defaults.

use std::time::Duration;

use ramdisk_core::control::RamdiskDiskInfo;

use super::StopSystem;
use crate::error::CtlError;

/// The volume handle the fake hands out (and checks it gets back).
const VOLUME: u32 = 7;

/// The script and the log.
#[derive(Default)]
pub struct Fake {
    /// Every call, in order (`open \\.\R:`, `lock`, `dismount`, `sleep 50`, …).
    pub calls: Vec<String>,
    /// `open_volume` fails with this Win32 error.
    pub open: Option<u32>,
    /// The answers of successive `lock` calls (then `Ok`).
    pub locks: Vec<Result<(), u32>>,
    /// `dismount` fails with this Win32 error.
    pub dismount: Option<u32>,
    /// The service was not running (`request_stop` answers `false`).
    pub not_running: bool,
    /// `request_stop` fails (Win32 1052).
    pub stop_error: bool,
    /// Volume handles open now.
    pub open_handles: u32,
    /// What `DELETE_POINTS` answers (`None`: one point deleted).
    pub delete: Option<Result<u32, u32>>,
    /// The removal's disk list.
    pub disks: Vec<RamdiskDiskInfo>,
    /// The removal's list request fails with this Win32 error.
    pub list_error: Option<u32>,
    /// The removal's REMOVE fails with this Win32 error.
    pub remove: Option<u32>,
}

impl StopSystem for Fake {
    type Volume = u32;
    fn open_volume(&mut self, path: &str) -> Result<u32, u32> {
        self.calls.push(format!("open {path}"));
        if let Some(code) = self.open {
            return Err(code);
        }
        self.open_handles += 1;
        Ok(VOLUME)
    }
    fn lock(&mut self, v: &u32) -> Result<(), u32> {
        assert_eq!(*v, VOLUME);
        self.calls.push("lock".into());
        if self.locks.is_empty() {
            Ok(())
        } else {
            self.locks.remove(0)
        }
    }
    fn dismount(&mut self, v: &u32) -> Result<(), u32> {
        assert_eq!(*v, VOLUME);
        self.calls.push("dismount".into());
        self.dismount.map_or(Ok(()), Err)
    }
    fn close_volume(&mut self, v: u32) {
        assert_eq!(v, VOLUME);
        self.open_handles -= 1;
        self.calls.push("close".into());
    }
    fn delete_mount_point(&mut self, letter: char) -> Result<u32, u32> {
        self.calls.push(format!("delete {letter}:"));
        self.delete.unwrap_or(Ok(1))
    }
    fn request_stop(&mut self) -> Result<bool, CtlError> {
        self.calls.push("stop".into());
        if self.stop_error {
            return Err(CtlError::win32("cannot stop service RustRamDisk", 1052));
        }
        Ok(!self.not_running)
    }
    fn wait_stopped(&mut self) -> Result<(), CtlError> {
        self.calls.push("wait".into());
        Ok(())
    }
    fn sleep(&mut self, pause: Duration) {
        self.calls.push(format!("sleep {}", pause.as_millis()));
    }
}
