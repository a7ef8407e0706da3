//! The only room of the driver that touches raw WDK pointers.
//!
//! Every wrapper here owns one kernel object or one IRP and states its SAFETY
//! argument once; the rest of the driver (`driver.rs`, `config.rs`, `device/`) is
//! safe code on top of these types and of `ramdisk-core` / `ramdisk-store`.
//! Every `extern` the driver declares by hand lives here.
//!
//! # WDK field paths
//!
//! Each path below was checked against Microsoft's documentation page for its
//! structure (the WDK's real union nesting), not only against the mingw-w64 headers
//! our Linux build sees, and against public drivers that compile with the real WDK:
//!
//! - `IRP`: `IoStatus.Status` (anonymous union → `__bindgen_anon_1`),
//!   `IoStatus.Information`, `AssociatedIrp.SystemBuffer`, `MdlAddress`,
//!   `Tail.Overlay.CurrentStackLocation` (two anonymous levels:
//!   `Tail.Overlay.__bindgen_anon_2.__bindgen_anon_1`), `Flags` (a `ULONG`:
//!   `IRP_PAGING_IO` picks the MDL mapping priority). `UserIosb` /
//!   `UserApcContext` differ between mingw and the WDK and are never touched.
//! - `IO_STACK_LOCATION`: `MajorFunction`, `Control` (`IoMarkIrpPending` sets
//!   `SL_PENDING_RETURNED` in it), `Parameters.Read.{Length,ByteOffset}`,
//!   `Parameters.Write.{Length,ByteOffset}`, `Parameters.DeviceIoControl.
//!   {OutputBufferLength,InputBufferLength,IoControlCode}`.
//! - `MDL`: `Next`, `MdlFlags`, `MappedSystemVa`, `ByteCount`.
//! - `DEVICE_OBJECT`: `Flags`, `AlignmentRequirement`, `SectorSize`,
//!   `DeviceExtension`, `NextDevice`, `Vpb`; `VPB`: `Flags` (`VPB_MOUNTED`).
//! - `FILE_OBJECT`: `FileName.Length` (the control device refuses a non-empty name).
//! - `KEY_BASIC_INFORMATION`: `NameLength`, `Name` (offset 16), asserted against
//!   `ramdisk-core`'s wire struct (`registry.rs`).
//! - `DRIVER_OBJECT`: `MajorFunction[]`, `DriverUnload`, `DeviceObject`.
//! - `KEY_VALUE_PARTIAL_INFORMATION`: `Type`, `DataLength`, `Data` (offset 12).
//! - `IO_STACK_LOCATION.DeviceObject` (set by `IoCallDriver`: which disk a pended
//!   `IRP_MJ_SHUTDOWN` is for, compared only).
//! - `IO_STACK_LOCATION.FileObject`; `IO_STATUS_BLOCK`: `Status` (anonymous union →
//!   `__bindgen_anon_1`), `Information`.
//! - `SECURITY_DESCRIPTOR` (absolute form): `Control`.
//! - `IO_ERROR_LOG_PACKET`: 48 bytes; `NumberOfStrings` (4), `StringOffset` (6),
//!   `ErrorCode` (12), `FinalStatus` (20), asserted against the offsets
//!   `ramdisk-core` encodes (`eventlog.rs`).
//! - `SYSTEM_BASIC_INFORMATION` (not in the WDK headers; `ZwQuerySystemInformation`
//!   insists on its exact 64-byte size): `PageSize` (8), `NumberOfPhysicalPages` (12),
//!   declared and asserted in `sysinfo.rs`.
//!
//! Generated `_IRP__bindgen_ty_N` type names are never named: they differ between
//! header sets.

pub mod debug;
pub mod device_object;
pub mod driver_object;
pub mod event;
pub mod eventlog;
pub mod file;
#[cfg(feature = "fault-injection")]
pub mod guid;
pub mod irp;
pub mod low_pool;
pub mod pool;
pub mod registry;
pub mod security;
#[cfg(feature = "fault-injection")]
mod self_ioctl;
pub mod shutdown;
pub mod symlink;
pub mod sync;
pub mod sysinfo;
pub mod thread;
pub mod time;
pub mod unicode;
pub mod worker;

pub use device_object::{DeviceObject, Held, NewDevice};
pub use driver_object::DriverObject;
pub use irp::{Completion, DeviceId, Irp, Major};
pub use pool::PoolAlloc;
pub use symlink::DriveLink;
