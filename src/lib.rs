//! ramdisk: a WDM RAM disk driver.
#![no_std]
