//! Host-only stand-in for the `windows` crate, used only when `cargo xtask build`
//! compiles `wdk-build` on Linux. wdk-build uses the real crate to look up the WDK in
//! the Windows registry; on Linux `WDKContentRoot` points at the stand-in WDK, so
//! every registry call here simply reports "not found".
#![allow(
    non_snake_case,
    non_camel_case_types,
    clippy::missing_safety_doc,
    reason = "mirrors the windows crate's names and signatures"
)]

pub mod core {
    /// A pointer to a NUL-terminated ANSI string.
    #[derive(Clone, Copy)]
    pub struct PCSTR(pub *const u8);

    /// An error from a Win32 call.
    #[derive(Debug)]
    pub struct Error(pub u32);

    /// `windows::core::Result`.
    pub type Result<T> = ::std::result::Result<T, Error>;

    /// `s!("text")`: a NUL-terminated literal as a [`PCSTR`].
    #[macro_export]
    macro_rules! s {
        ($text:literal) => {
            $crate::core::PCSTR(::std::concat!($text, "\0").as_ptr())
        };
    }
    pub use s;
}

pub mod Win32 {
    pub mod Foundation {
        /// A Win32 error code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct WIN32_ERROR(pub u32);
        pub const ERROR_SUCCESS: WIN32_ERROR = WIN32_ERROR(0);
        pub const ERROR_FILE_NOT_FOUND: WIN32_ERROR = WIN32_ERROR(2);
        impl WIN32_ERROR {
            pub const fn is_ok(self) -> bool {
                self.0 == 0
            }
            pub fn ok(self) -> crate::core::Result<()> {
                if self.is_ok() { Ok(()) } else { Err(crate::core::Error(self.0)) }
            }
        }
    }

    pub mod System {
        pub mod Registry {
            use crate::{Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_SUCCESS, WIN32_ERROR}, core::PCSTR};

            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
            pub struct HKEY(pub usize);
            #[derive(Clone, Copy)]
            pub struct REG_SAM_FLAGS(pub u32);
            #[derive(Clone, Copy)]
            pub struct REG_ROUTINE_FLAGS(pub u32);
            #[derive(Clone, Copy)]
            pub struct REG_VALUE_TYPE(pub u32);
            pub const HKEY_LOCAL_MACHINE: HKEY = HKEY(0x8000_0002);
            pub const KEY_READ: REG_SAM_FLAGS = REG_SAM_FLAGS(0x2_0019);
            pub const RRF_RT_REG_SZ: REG_ROUTINE_FLAGS = REG_ROUTINE_FLAGS(2);

            pub unsafe fn RegOpenKeyExA(
                _key: HKEY,
                _sub_key: PCSTR,
                _options: Option<u32>,
                _sam: REG_SAM_FLAGS,
                _result: *mut HKEY,
            ) -> WIN32_ERROR {
                ERROR_FILE_NOT_FOUND
            }

            pub unsafe fn RegGetValueA(
                _key: HKEY,
                _sub_key: Option<PCSTR>,
                _value: PCSTR,
                _flags: REG_ROUTINE_FLAGS,
                _kind: Option<*mut REG_VALUE_TYPE>,
                _data: Option<*mut ::std::ffi::c_void>,
                _len: Option<*mut u32>,
            ) -> WIN32_ERROR {
                ERROR_FILE_NOT_FOUND
            }

            pub unsafe fn RegCloseKey(_key: HKEY) -> WIN32_ERROR {
                ERROR_SUCCESS
            }
        }
    }
}
