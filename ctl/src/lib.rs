//! `ramdiskctl`: the user-mode tool for the ramdisk driver.
//!
//! The Win32 parts (device I/O, the service control manager, the commands) exist only
//! on Windows; everything else (argument parsing, number formatting, the report
//! structs and their text/JSON, the transfer loop, boot-sector interpretation) is
//! plain Rust, tested on any host.

pub mod announce;
pub mod cli;
pub mod error;
pub mod eventlog;
pub mod fsctl;
pub mod mountmgr;
pub mod owner;
pub mod progress;
pub mod range;
pub mod remove;
pub mod report;
pub mod rng;
pub mod save;
pub mod selftest;
pub mod stop;
pub mod transfer;
pub mod trim;
pub mod units;
pub mod volume;

#[cfg(windows)]
pub mod broadcast;
#[cfg(windows)]
pub mod cmd;
#[cfg(windows)]
pub mod device;
#[cfg(windows)]
pub mod scm;
#[cfg(windows)]
pub mod sys;
