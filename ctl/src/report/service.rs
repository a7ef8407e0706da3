//! `install`, `start`, `stop`, `uninstall`: the service.

use serde::{Serialize, Serializer};

use super::Report;
use crate::announce::Announcement;
use crate::cli::{ParamValue, StartType};
use crate::stop::{MountPointStep, Step};

/// `install`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstallReport {
    /// The service name.
    pub service: &'static str,
    /// binPath.
    pub bin_path: String,
    /// Start type.
    pub start: StartType,
    /// The Parameters values written, in the order written (a JSON object).
    #[serde(serialize_with = "as_map")]
    pub parameters: Vec<(&'static str, ParamValue)>,
}

fn as_map<S: Serializer>(v: &[(&'static str, ParamValue)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(v.iter().map(|(n, p)| (n, p)))
}

impl Report for InstallReport {
    fn text(&self) -> String {
        let shown: Vec<String> = self
            .parameters
            .iter()
            .map(|(n, v)| match v {
                ParamValue::Dword(x) => format!("{n}={x}"),
                ParamValue::Qword(x) => format!("{n}={x} (REG_QWORD)"),
                ParamValue::Sz(s) => format!("{n}=\"{s}\""),
            })
            .collect();
        format!(
            "installed service {} ({}, start {:?}){}",
            self.service,
            self.bin_path,
            self.start,
            if shown.is_empty() {
                String::new()
            } else {
                format!("\n  Parameters: {}", shown.join(", "))
            }
        )
    }
}

/// `start`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StartReport {
    /// The service name.
    pub service: &'static str,
    /// Running now.
    pub running: bool,
    /// The device announced.
    pub device: String,
    /// What Explorer was told (`broadcast`, `broadcast_note`, `shell_notify`).
    #[serde(flatten)]
    pub announce: Announcement,
}

impl Report for StartReport {
    fn text(&self) -> String {
        with_line(
            format!("started service {} ({})", self.service, self.device),
            self.announce.text_line(),
        )
    }
}

fn with_line(mut s: String, line: Option<String>) -> String {
    if let Some(l) = line {
        s.push('\n');
        s.push_str(&l);
    }
    s
}

/// `stop`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StopReport {
    /// The service name.
    pub service: &'static str,
    /// The device dismounted first.
    pub device: String,
    /// The service was running and is stopped now (false: it was not running).
    pub stopped: bool,
    /// What Explorer was told (`broadcast`, `broadcast_note`, `shell_notify`).
    #[serde(flatten)]
    pub announce: Announcement,
    /// How `FSCTL_LOCK_VOLUME` went (`null`: no volume was there).
    pub lock: Option<Step>,
    /// How `FSCTL_DISMOUNT_VOLUME` went (`null`: no volume was there).
    pub dismount: Option<Step>,
    /// How `IOCTL_MOUNTMGR_DELETE_POINTS` for the drive letter went (`null`: the
    /// device is not a drive letter).
    pub mount_point: Option<MountPointStep>,
    /// The disks removed safely before the stop (their letters, `R:`).
    pub removed_disks: Vec<String>,
    /// What did not work on the way (volume requests not supported here ...).
    pub warnings: Vec<String>,
}

impl Report for StopReport {
    fn text(&self) -> String {
        if self.stopped {
            with_line(
                format!("stopped service {}", self.service),
                self.announce.text_line(),
            )
        } else {
            format!("service {} was not running", self.service)
        }
    }
}

/// `uninstall`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UninstallReport {
    /// The service name.
    pub service: &'static str,
    /// It was running and was stopped first.
    pub stopped: bool,
    /// Marked for deletion.
    pub deleted: bool,
}

impl Report for UninstallReport {
    fn text(&self) -> String {
        format!(
            "{}deleted service {}",
            if self.stopped { "stopped and " } else { "" },
            self.service
        )
    }
}
