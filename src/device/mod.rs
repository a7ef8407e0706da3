//! What each device of the driver is, and the one router every IRP goes through.
//!
//! Every device object carries a [`DeviceKind`] in its (tagged) extension; the
//! kernel's dispatch routine hands the IRP and the device's kind here, and this is
//! the one place that decides which code serves it. Disks now; the control device
//! of the many-disks issue becomes a second variant.

pub mod disk;
#[cfg(feature = "fault-injection")]
pub mod double;

use ramdisk_core::status::STATUS_NO_SUCH_DEVICE;

use crate::kernel::{Completion, Irp};

pub use disk::Disk;

/// The kinds of device this driver creates.
#[cfg_attr(
    feature = "fault-injection",
    expect(
        clippy::large_enum_variant,
        reason = "the enum lives in a device extension sized for its largest variant; boxing a disk would need a heap"
    )
)]
pub enum DeviceKind {
    /// A RAM disk.
    Disk(Disk),
    /// The tests' mount-manager double (fault-injection build only).
    #[cfg(feature = "fault-injection")]
    MountManagerDouble(double::Double),
}

/// Serves one IRP for a device of kind `kind` (`None`: not published yet, or retired).
pub fn route(kind: Option<&DeviceKind>, irp: Irp) -> Completion {
    match kind {
        Some(DeviceKind::Disk(disk)) => disk.dispatch(irp),
        #[cfg(feature = "fault-injection")]
        Some(DeviceKind::MountManagerDouble(double)) => double.dispatch(irp),
        None => irp.complete(STATUS_NO_SUCH_DEVICE, 0),
    }
}
