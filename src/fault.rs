//! Fault injection and kernel-wrapper test hooks (cargo feature `fault-injection`,
//! never enabled in the release driver).
//!
//! A `FaultInject` `REG_DWORD` in Parameters makes one step of `DriverEntry` fail so
//! the tests prove each rollback path leaks nothing:
//!
//! | value | what fails |
//! |---|---|
//! | 1 | every pool allocation (the store's first one) |
//! | 2 | `IoCreateDevice` |
//! | 3 | `IoCreateSymbolicLink` (reported as a name collision) |
//! | 4 | every pool allocation after the first four (the store fails half-built) |
//! | 5 | nothing fails, but the machine's physical memory reads as 64 MiB (so the fixed-disk cap is 32 MiB) |
//! | 6 | nothing fails, but `IOCTL_MOUNTDEV_QUERY_DEVICE_NAME`'s overflow reply says 2 bytes instead of `sizeof(MOUNTDEV_NAME)`: a reply the mount manager (and its test double) must reject |
//! | 7 | nothing fails, but once the disk is loaded the low-nonpaged-pool condition reads as signalled (a dynamic disk's writes that need a new chunk fail) |
//!
//! After publishing a disk, the same build sends the disk the mount manager's queries
//! itself, from a system thread, in IRPs without a file object, and logs each reply
//! ([`query_self`]); the disk logs every IOCTL that reaches it without a file object.
//!
//! The same build answers two test IOCTLs on disk devices
//! ([`ramdisk_core::ioctl::codes::IOCTL_RAMDISK_TEST_FORGET`] and `_TEST_PEND`) that
//! exercise the kernel wrappers the e2e cannot reach otherwise: an `Irp` dropped
//! without completing, and an IRP pended and completed from a system thread.
//! And one on the control device, `IOCTL_RAMDISK_TEST_SHUTDOWN`: the I/O manager's
//! part of a system shutdown, which Wine never plays (`crate::kernel::shutdown`'s
//! double sends `IRP_MJ_SHUTDOWN` to every registered device). It is pended and run
//! on a thread of its own (started with the control worker, stopped before it): the
//! shutdown handlers it calls pend their IRPs for the control worker, whose volume
//! open needs Wine's one IRP thread free to dispatch the disk's `IRP_MJ_CREATE`.
//! Without the feature every check is a constant and compiles away.

use ramdisk_core::ioctl::Reply;

use crate::kernel::{Completion, DeviceObject, Irp};

#[cfg(feature = "fault-injection")]
mod enabled {
    use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    use ramdisk_core::ioctl::{
        self, Reply,
        codes::{
            IOCTL_MOUNTDEV_QUERY_DEVICE_NAME, IOCTL_MOUNTDEV_QUERY_STABLE_GUID,
            IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME, IOCTL_MOUNTDEV_QUERY_UNIQUE_ID,
            IOCTL_RAMDISK_TEST_FORGET, IOCTL_RAMDISK_TEST_PEND, IOCTL_VOLUME_IS_DYNAMIC,
        },
    };
    use ramdisk_core::status::{self, STATUS_BUFFER_OVERFLOW, STATUS_SUCCESS};

    use crate::kernel::{Completion, DeviceObject, Irp, irp::PendingIrp, thread, worker::Worker};

    /// The thread that plays the I/O manager's shutdown (`IOCTL_RAMDISK_TEST_SHUTDOWN`).
    static SHUTDOWN_DOUBLE: Worker = Worker::new(play_shutdown);

    pub fn start_shutdown_double() -> Result<(), wdk_sys::NTSTATUS> {
        SHUTDOWN_DOUBLE.start()
    }

    pub fn stop_shutdown_double() {
        SHUTDOWN_DOUBLE.stop();
    }

    pub fn intercept_control(mut irp: Irp) -> Result<Completion, Irp> {
        if irp.ioctl().map(|io| io.code) != Some(ioctl::codes::IOCTL_RAMDISK_TEST_SHUTDOWN) {
            return Err(irp);
        }
        let (pending, completion) = irp.pend();
        if let Err((irp, status)) = SHUTDOWN_DOUBLE.submit(pending) {
            irp.complete(status, 0);
        }
        Ok(completion)
    }

    /// `IoShutdownSystem`'s part: `IRP_MJ_SHUTDOWN` to every registered device; the
    /// reply counts them and lists their statuses.
    fn play_shutdown(mut irp: PendingIrp) {
        let mut statuses = [0; ramdisk_core::control::MAX_DISKS];
        let sent = crate::kernel::shutdown::send_shutdown(&mut statuses);
        let statuses = statuses.get(..sent).unwrap_or(&[]);
        log!(
            "test shutdown: IRP_MJ_SHUTDOWN sent to {sent} registered device(s), statuses {:?}",
            statuses
        );
        let reply = irp.ioctl().map_or(
            Reply {
                status: status::STATUS_INVALID_DEVICE_REQUEST,
                information: 0,
            },
            |io| {
                let len = io.output_len.min(io.buffer.len());
                let out = io.buffer.get_mut(..len).unwrap_or(&mut []);
                ramdisk_core::control::test_shutdown_reply(statuses, out)
            },
        );
        irp.complete(reply.status, reply.information);
    }

    /// `FaultInject` = 6: the device-name overflow reply is 2 bytes.
    const SHORT_DEVICE_NAME_OVERFLOW: u32 = 6;

    /// The queries the mount manager sends a new volume (output sizes as it sends them:
    /// the fixed part first, then room for the whole reply).
    const SELF_QUERIES: [(u32, usize); 8] = [
        (IOCTL_MOUNTDEV_QUERY_DEVICE_NAME, 4),
        (IOCTL_MOUNTDEV_QUERY_DEVICE_NAME, 256),
        (IOCTL_MOUNTDEV_QUERY_UNIQUE_ID, 4),
        (IOCTL_MOUNTDEV_QUERY_UNIQUE_ID, 256),
        (IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME, 6),
        (IOCTL_MOUNTDEV_QUERY_SUGGESTED_LINK_NAME, 256),
        (IOCTL_MOUNTDEV_QUERY_STABLE_GUID, 16),
        (IOCTL_VOLUME_IS_DYNAMIC, 1),
    ];

    /// Up to 48 bytes as hex, for a log line.
    struct Hex<'a>(&'a [u8]);

    impl core::fmt::Display for Hex<'_> {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            for b in self.0.iter().take(48) {
                write!(f, "{b:02x}")?;
            }
            Ok(())
        }
    }

    pub fn query_self(device: &DeviceObject, letter: u8) {
        let asked = thread::run(|| {
            for (code, len) in SELF_QUERIES {
                let mut out = [0u8; 256];
                let out = out.get_mut(..len).unwrap_or(&mut []);
                let (st, info) = device.send_ioctl(code, out);
                log!(
                    disk: letter,
                    "self-query {} out={len}: {:#010x} ({}) information={info} bytes={}",
                    ioctl::name(code),
                    st.cast_unsigned(),
                    status::name(st),
                    Hex(out.get(..info).unwrap_or(&[]))
                );
            }
        });
        if let Err(st) = asked {
            log!(error, disk: letter, "self-queries not sent: no thread ({:#010x})", st.cast_unsigned());
        }
    }

    pub fn note_without_file_object(letter: u8, code: u32, reply: Reply) {
        log!(
            disk: letter,
            "{} without a file object: {:#010x} ({}), {} bytes",
            ioctl::name(code),
            reply.status.cast_unsigned(),
            status::name(reply.status),
            reply.information
        );
    }

    pub fn tamper(code: u32, reply: Reply) -> Reply {
        if active(SHORT_DEVICE_NAME_OVERFLOW)
            && code == IOCTL_MOUNTDEV_QUERY_DEVICE_NAME
            && reply.status == STATUS_BUFFER_OVERFLOW
        {
            return Reply {
                status: reply.status,
                information: 2,
            };
        }
        reply
    }

    /// `FaultInject` = 1: every pool allocation fails.
    const ALLOCATION: u32 = 1;
    /// `FaultInject` = 4: pool allocations after the first four fail.
    const ALLOCATION_AFTER_FOUR: u32 = 4;

    static MODE: AtomicU32 = AtomicU32::new(0);
    static ALLOCATIONS: AtomicU32 = AtomicU32::new(0);
    static LOADED: AtomicBool = AtomicBool::new(false);

    pub fn set(mode: u32) {
        MODE.store(mode, Ordering::Release);
        ALLOCATIONS.store(0, Ordering::Release);
        LOADED.store(false, Ordering::Release);
    }

    pub fn loaded() {
        LOADED.store(true, Ordering::Release);
    }

    pub fn is_loaded() -> bool {
        LOADED.load(Ordering::Acquire)
    }

    pub fn active(mode: u32) -> bool {
        MODE.load(Ordering::Acquire) == mode
    }

    pub fn fail_allocation() -> bool {
        let n = ALLOCATIONS.fetch_add(1, Ordering::AcqRel);
        active(ALLOCATION) || (active(ALLOCATION_AFTER_FOUR) && n >= 4)
    }

    pub fn intercept_ioctl(mut irp: Irp) -> Result<Completion, Irp> {
        let code = irp.ioctl().map(|io| io.code);
        match code {
            Some(IOCTL_RAMDISK_TEST_FORGET) => Ok(irp.drop_for_test()),
            Some(IOCTL_RAMDISK_TEST_PEND) => {
                let (pending, completion) = irp.pend();
                // If the thread cannot start, dropping `pending` completes it with
                // STATUS_INTERNAL_ERROR (and logs it).
                let _ = thread::run(move || pending.complete(STATUS_SUCCESS, 0));
                Ok(completion)
            }
            _ => Err(irp),
        }
    }
}

/// `FaultInject` = 2: `IoCreateDevice` fails.
const DEVICE: u32 = 2;
/// `FaultInject` = 3: `IoCreateSymbolicLink` reports a name collision.
const LINK: u32 = 3;
/// `FaultInject` = 5: the physical memory reads as [`SMALL_MEMORY`] bytes.
const SMALL_MACHINE: u32 = 5;
/// The physical memory `FaultInject` = 5 pretends: 64 MiB.
const SMALL_MEMORY: u64 = 64 << 20;
/// `FaultInject` = 7: `\KernelObjects\LowNonPagedPoolCondition` reads as signalled.
#[cfg(feature = "fault-injection")]
const LOW_POOL: u32 = 7;

/// Arms a fault (no-op without the feature).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        dead_code,
        unused_variables,
        reason = "only the fault-injection build reads FaultInject"
    )
)]
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn set(mode: u32) {
    #[cfg(feature = "fault-injection")]
    enabled::set(mode);
}

#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
fn active(mode: u32) -> bool {
    #[cfg(feature = "fault-injection")]
    return enabled::active(mode);
    #[cfg(not(feature = "fault-injection"))]
    {
        let _ = mode;
        false
    }
}

/// Whether this pool allocation must fail.
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn fail_allocation() -> bool {
    #[cfg(feature = "fault-injection")]
    return enabled::fail_allocation();
    #[cfg(not(feature = "fault-injection"))]
    false
}

/// Whether device creation must fail.
pub fn fail_device() -> bool {
    active(DEVICE)
}

/// Whether link creation must fail.
pub fn fail_link() -> bool {
    active(LINK)
}

/// Whether the low-nonpaged-pool condition must read as signalled (only once the
/// disk is loaded: the test wants its writes to fail, not its formatting).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn low_pool() -> bool {
    #[cfg(feature = "fault-injection")]
    return active(LOW_POOL) && enabled::is_loaded();
    #[cfg(not(feature = "fault-injection"))]
    false
}

/// `DriverEntry` finished loading (arms `FaultInject` 7).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn loaded() {
    #[cfg(feature = "fault-injection")]
    enabled::loaded();
}

/// The physical memory the memory plan uses (the fixed-disk cap, a dynamic disk's
/// default and largest `MemoryLimit`): what the kernel reported, or
/// [`SMALL_MEMORY`] under `FaultInject` = 5.
pub fn physical_memory(reported: Option<u64>) -> Option<u64> {
    if active(SMALL_MACHINE) {
        Some(SMALL_MEMORY)
    } else {
        reported
    }
}

/// Serves the test IOCTLs (fault-injection build only); gives every other IRP back.
///
/// # Errors
/// The IRP, untouched, when it is not a test IOCTL (always, without the feature).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn intercept_ioctl(irp: Irp) -> Result<Completion, Irp> {
    #[cfg(feature = "fault-injection")]
    return enabled::intercept_ioctl(irp);
    #[cfg(not(feature = "fault-injection"))]
    Err(irp)
}

/// Serves the control device's test IOCTL (`IOCTL_RAMDISK_TEST_SHUTDOWN`, fault-injection
/// build only); gives every other IRP back.
///
/// # Errors
/// The IRP, untouched, when it is not that IOCTL (always, without the feature).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn intercept_control(irp: Irp) -> Result<Completion, Irp> {
    #[cfg(feature = "fault-injection")]
    return enabled::intercept_control(irp);
    #[cfg(not(feature = "fault-injection"))]
    Err(irp)
}

/// Starts the shutdown double's thread (fault-injection build only; with the control
/// worker).
///
/// # Errors
/// The status of `PsCreateSystemThread`.
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        clippy::unnecessary_wraps,
        reason = "const and infallible only without the feature"
    )
)]
pub fn start_shutdown_double() -> Result<(), wdk_sys::NTSTATUS> {
    #[cfg(feature = "fault-injection")]
    return enabled::start_shutdown_double();
    #[cfg(not(feature = "fault-injection"))]
    Ok(())
}

/// Stops the shutdown double's thread and waits for it (before the control worker
/// stops: a shutdown it plays waits for the worker).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn stop_shutdown_double() {
    #[cfg(feature = "fault-injection")]
    enabled::stop_shutdown_double();
}

/// Sends the mount manager's queries to the new disk `device` without a file object
/// and logs the replies (fault-injection build only).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn query_self(device: &DeviceObject, letter: u8) {
    #[cfg(feature = "fault-injection")]
    enabled::query_self(device, letter);
    #[cfg(not(feature = "fault-injection"))]
    let _ = (device, letter);
}

/// Logs an IOCTL reply that went to an IRP without a file object (fault-injection build).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn note_without_file_object(letter: u8, code: u32, reply: Reply) {
    #[cfg(feature = "fault-injection")]
    enabled::note_without_file_object(letter, code, reply);
    #[cfg(not(feature = "fault-injection"))]
    let _ = (letter, code, reply);
}

/// The reply as sent: `FaultInject` = 6 breaks one (fault-injection build only).
#[cfg_attr(
    not(feature = "fault-injection"),
    expect(
        clippy::missing_const_for_fn,
        reason = "const only without the feature"
    )
)]
pub fn tamper(code: u32, reply: Reply) -> Reply {
    #[cfg(feature = "fault-injection")]
    return enabled::tamper(code, reply);
    #[cfg(not(feature = "fault-injection"))]
    {
        let _ = code;
        reply
    }
}
