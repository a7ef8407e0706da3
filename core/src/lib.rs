//! `ramdisk-core`: every decision the ramdisk driver makes, as pure functions.
//!
//! The kernel glue in the `ramdisk` crate only moves bytes between Windows and
//! these functions: configuration parsing and validation, read/write request
//! checks, IOCTL request/reply encoding, and the FAT12/16/32 and exFAT layout
//! planners and formatters. Nothing here allocates, panics on input, or uses `unsafe`.

#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

pub mod config;
pub mod control;
pub mod disk;
pub mod dsm;
pub mod eventlog;
pub mod exfat;
pub mod fat;
pub mod geometry;
pub mod image;
pub mod ioctl;
pub mod mountmgr;
pub mod pool_tag;
pub mod request;
pub mod save;
pub mod security;
pub mod service;
pub mod status;
pub mod volume;
pub mod wire;
