//! ramdisk: a WDM RAM disk driver.
//!
//! Kernel glue only: every decision (configuration, request checks, IOCTL replies,
//! disk identity, FAT layout) is made by `ramdisk-core`, and the bytes of a disk live
//! in `ramdisk-store`. Raw WDK pointers appear only in `kernel` (which also holds the
//! exported `DriverEntry`); the rest is safe code:
//!
//! - `driver`: load (→ `LoadError`) and unload, the table of disks;
//! - `config`: the registry → `ramdisk_core::config`;
//! - `device`: the tagged device extension, the one IRP router, the disk device;
//! - `mountmgr`: volume registration with the mount manager, and removal at unload;
//! - `log`: the `log!` macro; `fault`: test-only fault injection.

#![no_std]
// The workspace table denies these; unsafe code forbids them outright.
#![forbid(
    clippy::multiple_unsafe_ops_per_block,
    clippy::undocumented_unsafe_blocks,
    clippy::unnecessary_safety_doc
)]

#[cfg(not(test))]
extern crate wdk_panic;

#[macro_use]
mod log;

mod config;
mod device;
mod driver;
mod fault;
mod kernel;
mod mountmgr;

#[cfg(not(test))]
use wdk_alloc::WdkAllocator;

// wdk-alloc stays the global allocator as windows-drivers-rs requires, but nothing in
// this driver allocates from it: the PE checks prove `ExAllocatePool2` is not imported.
#[cfg(not(test))]
#[global_allocator]
static GLOBAL_ALLOCATOR: WdkAllocator = WdkAllocator;
