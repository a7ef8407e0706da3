//! Host-only `std` facade for compiling `wdk-build` on Linux (see xtask/src/cross.rs).
//! It is the real `std` plus the one Windows-only function wdk-build names
//! (`std::os::windows::fs::symlink_file`, used by its cargo-make helpers, never by a
//! build script), implemented with the Unix symlink call.
#![no_std]

extern crate std as real_std;

pub use real_std::*;

/// `std::os`, plus `os::windows::fs::symlink_file`.
pub mod os {
    pub use real_std::os::*;

    /// The slice of `std::os::windows` wdk-build uses.
    pub mod windows {
        /// `std::os::windows::fs`.
        pub mod fs {
            use real_std::{io, path::Path};

            /// Creates a file symlink (Unix symlink on the Linux host).
            ///
            /// # Errors
            /// As `std::os::unix::fs::symlink`.
            pub fn symlink_file<P: AsRef<Path>, Q: AsRef<Path>>(
                original: P,
                link: Q,
            ) -> io::Result<()> {
                real_std::os::unix::fs::symlink(original, link)
            }
        }
    }
}
