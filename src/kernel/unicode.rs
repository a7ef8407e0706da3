//! `UNICODE_STRING` and `OBJECT_ATTRIBUTES` over borrowed UTF-16 text.

use core::{marker::PhantomData, ptr};

use wdk_sys::{HANDLE, OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE, OBJECT_ATTRIBUTES, UNICODE_STRING};

/// A `UNICODE_STRING` describing `'a` UTF-16 text (no terminating NUL needed).
/// Lengths are in bytes; text longer than 32 767 units becomes an empty string
/// (no name this driver uses comes close).
pub struct UnicodeString<'a> {
    raw: UNICODE_STRING,
    _text: PhantomData<&'a [u16]>,
}

impl<'a> UnicodeString<'a> {
    /// Describes `text`.
    pub fn new(text: &'a [u16]) -> Self {
        let bytes = u16::try_from(core::mem::size_of_val(text)).unwrap_or(0);
        Self {
            raw: UNICODE_STRING {
                Length: bytes,
                MaximumLength: bytes,
                Buffer: text.as_ptr().cast_mut(),
            },
            _text: PhantomData,
        }
    }

    /// The pointer the kernel takes (it only reads through it).
    pub const fn as_ptr(&mut self) -> *mut UNICODE_STRING {
        &raw mut self.raw
    }
}

/// `InitializeObjectAttributes(&oa, name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, root, NULL)`.
/// The name (if any) must outlive every use of the result.
pub fn object_attributes(name: Option<&mut UnicodeString<'_>>, root: HANDLE) -> OBJECT_ATTRIBUTES {
    OBJECT_ATTRIBUTES {
        // 48 bytes on x64.
        #[expect(clippy::cast_possible_truncation, reason = "48 bytes")]
        Length: core::mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
        RootDirectory: root,
        ObjectName: name.map_or(ptr::null_mut(), UnicodeString::as_ptr),
        Attributes: OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE,
        SecurityDescriptor: ptr::null_mut(),
        SecurityQualityOfService: ptr::null_mut(),
    }
}

/// The characters of a counted `UNICODE_STRING` the I/O manager handed us.
///
/// # Safety
/// `us` points at a valid `UNICODE_STRING` whose buffer outlives `'a`.
pub unsafe fn borrowed<'a>(us: *const UNICODE_STRING) -> &'a [u16] {
    // SAFETY: the caller guarantees a valid counted string.
    let us = unsafe { &*us };
    if us.Buffer.is_null() {
        return &[];
    }
    // SAFETY: `Buffer` holds `Length` bytes of UTF-16 that outlive `'a`.
    unsafe { core::slice::from_raw_parts(us.Buffer, usize::from(us.Length) / 2) }
}
