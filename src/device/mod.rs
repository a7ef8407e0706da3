//! What each device of the driver is, and the one router every IRP goes through.
//!
//! Every device object carries a [`DeviceKind`] in its (tagged) extension; the
//! kernel's dispatch routine hands the IRP and the device's kind here, and this is
//! the one place that decides which code serves it: disks, the control device, and
//! (fault-injection build) the tests' mount-manager double.

pub mod control;
pub mod disk;
#[cfg(feature = "fault-injection")]
pub mod double;
pub mod image;
pub mod save;
pub mod shutdown;

use ramdisk_core::status::{STATUS_NO_SUCH_DEVICE, STATUS_SUCCESS};

use crate::kernel::{Completion, Held, Irp, Major};

pub use control::Control;
pub use disk::Disk;

/// The kinds of device this driver creates.
#[allow(
    clippy::large_enum_variant,
    reason = "the enum lives in a device extension sized for its largest variant; boxing a disk would need a heap"
)]
pub enum DeviceKind {
    /// A RAM disk.
    Disk(Disk),
    /// `\Device\RamdiskControl`.
    Control(Control),
    /// The tests' mount-manager double (fault-injection build only).
    #[cfg(feature = "fault-injection")]
    MountManagerDouble(double::Double),
}

/// Serves one IRP for a device of kind `kind`, entered with the rundown reference
/// `held` (`None`: not published yet, or being removed: every request fails with
/// `STATUS_NO_SUCH_DEVICE`, but CLOSE and CLEANUP succeed, as they must, and so does
/// SHUTDOWN, which never fails a shutdown).
pub fn route(kind: Option<(&DeviceKind, Held<'_>)>, irp: Irp) -> Completion {
    match kind {
        Some((DeviceKind::Disk(disk), held)) => disk.dispatch(irp, held),
        Some((DeviceKind::Control(_), _)) => Control::dispatch(irp),
        #[cfg(feature = "fault-injection")]
        Some((DeviceKind::MountManagerDouble(double), _)) => double.dispatch(irp),
        None => match irp.major() {
            Major::Close | Major::Cleanup => irp.complete(STATUS_SUCCESS, 0),
            Major::Shutdown => irp.complete(ramdisk_core::save::shutdown::IRP_STATUS, 0),
            _ => irp.complete(STATUS_NO_SUCH_DEVICE, 0),
        },
    }
}
