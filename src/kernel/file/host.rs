//! A kernel handle to a host file (a disk's image): `ZwCreateFile` with
//! `OBJ_KERNEL_HANDLE` and synchronous I/O (`FILE_SYNCHRONOUS_IO_NONALERT`), closed on
//! drop.
//!
//! Checked against Microsoft's pages for `ZwCreateFile`, `ZwReadFile`, `ZwWriteFile`,
//! `ZwQueryInformationFile`, `ZwSetInformationFile`, `ZwFlushBuffersFile`,
//! `ZwFsControlFile` and `ZwQueryVolumeInformationFile` (argument order and types as
//! wdk-sys generates them from mingw-w64's `ntifs.h`/`wdm.h`, which match), and the
//! structures `FILE_STANDARD_INFORMATION` (`EndOfFile`, `Directory`),
//! `FILE_BASIC_INFORMATION` (`LastWriteTime`), `FILE_INTERNAL_INFORMATION`
//! (`IndexNumber`), `FILE_END_OF_FILE_INFORMATION` (`EndOfFile`),
//! `FILE_DISPOSITION_INFORMATION` (`DeleteFile`, a `BOOLEAN`): every `LARGE_INTEGER`
//! is read and written through `QuadPart`, a direct member of its union in both header
//! sets. `FILE_RENAME_INFORMATION` and `FILE_FS_ATTRIBUTE_INFORMATION` go as bytes
//! laid out by `ramdisk_core::wire::file` (the WDK's rename structure has a union the
//! mingw-w64 header lacks).
//!
//! Every call runs at `PASSIVE_LEVEL` on a driver thread (the control worker, or
//! `DriverEntry`'s).

use core::{ffi::c_void, ptr};

use ramdisk_core::wire::file::FileFsAttributeInformation;
use wdk_sys::{
    _FILE_INFORMATION_CLASS, _FSINFOCLASS, DELETE, FILE_ATTRIBUTE_NORMAL, FILE_BASIC_INFORMATION,
    FILE_DIRECTORY_FILE, FILE_DISPOSITION_INFORMATION, FILE_END_OF_FILE_INFORMATION,
    FILE_INFORMATION_CLASS, FILE_INTERNAL_INFORMATION, FILE_NON_DIRECTORY_FILE, FILE_OPEN,
    FILE_READ_ATTRIBUTES, FILE_READ_DATA, FILE_SEQUENTIAL_ONLY, FILE_SHARE_DELETE, FILE_SHARE_READ,
    FILE_SHARE_WRITE, FILE_STANDARD_INFORMATION, FILE_SYNCHRONOUS_IO_NONALERT,
    FILE_WRITE_ATTRIBUTES, FILE_WRITE_DATA, HANDLE, LARGE_INTEGER, NTSTATUS,
    STATUS_BUFFER_OVERFLOW, STATUS_SUCCESS, SYNCHRONIZE,
    ntddk::{
        ZwClose, ZwCreateFile, ZwFlushBuffersFile, ZwQueryInformationFile,
        ZwQueryVolumeInformationFile, ZwReadFile, ZwSetInformationFile, ZwWriteFile,
    },
};

use super::{Control, control, io_status_block, opened, settle};
use crate::kernel::unicode::{UnicodeString, object_attributes};

/// How a host file is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostOpen {
    /// The image a disk serves, held for the disk's lifetime: read access, sharing
    /// `FILE_SHARE_READ | FILE_SHARE_DELETE` (others may read it, nobody may write
    /// it, a save may still replace it), an existing non-directory file.
    Image,
    /// The directory that holds an image (to tell "no such file" from "no such
    /// directory"): attributes only, any sharing.
    Directory,
    /// Whether a name exists at all (`<file>.new`): attributes only, any sharing.
    Probe,
    /// A save's `<file>.new`: created, or a leftover one (an interrupted save)
    /// truncated (`ramdisk_core::save::NEW_FILE_DISPOSITION`, `FILE_OVERWRITE_IF`);
    /// read/write data and attributes (`FSCTL_SET_SPARSE`), `DELETE` (the rename, and
    /// the removal after a failure), no sharing.
    WriteNew,
}

/// `FILE_STANDARD_INFORMATION`'s parts a load reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standard {
    /// `EndOfFile`: the size in bytes.
    pub end_of_file: u64,
    /// `Directory`.
    pub directory: bool,
}

/// An open kernel handle to a host file (`OBJ_KERNEL_HANDLE`, synchronous I/O),
/// closed on drop.
pub struct HostFile(HANDLE);

// SAFETY: a kernel handle may be used and closed from any system thread; a
// synchronous file object serializes the I/O issued on it.
unsafe impl Send for HostFile {}
// SAFETY: as for `Send`: every method is a system call on the handle, which the
// I/O manager serializes for a synchronous file object.
unsafe impl Sync for HostFile {}

/// A `LARGE_INTEGER` holding `value`.
fn large(value: u64) -> LARGE_INTEGER {
    // SAFETY: LARGE_INTEGER is a plain integer union; all-zero is valid.
    let mut l: LARGE_INTEGER = unsafe { core::mem::zeroed() };
    l.QuadPart = i64::try_from(value).unwrap_or(i64::MAX);
    l
}

/// `QuadPart` of a `LARGE_INTEGER` the kernel filled, as unsigned (never negative
/// for the sizes, IDs and times read here).
const fn quad(l: LARGE_INTEGER) -> u64 {
    // SAFETY: every bit pattern of the union is a valid i64.
    unsafe { l.QuadPart }.cast_unsigned()
}

/// A buffer length as the `ULONG` the calls take (at most `u32::MAX`).
fn ulong(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl HostFile {
    /// `ZwCreateFile(name, …)` as `how` says, with `OBJ_KERNEL_HANDLE |
    /// OBJ_CASE_INSENSITIVE` and `FILE_SYNCHRONOUS_IO_NONALERT`.
    ///
    /// # Errors
    /// `ZwCreateFile`'s status: `STATUS_OBJECT_NAME_NOT_FOUND` (no such file),
    /// `STATUS_OBJECT_PATH_NOT_FOUND` (no such directory), `STATUS_SHARING_VIOLATION`,
    /// `STATUS_ACCESS_DENIED`, `STATUS_FILE_IS_A_DIRECTORY`, `STATUS_NOT_A_DIRECTORY`,
    /// `STATUS_OBJECT_NAME_COLLISION` (`CreateNew` of an existing name), …
    pub fn open(name: &[u16], how: HostOpen) -> Result<Self, NTSTATUS> {
        let any_share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
        let (access, share, disposition, options) = match how {
            HostOpen::Image => (
                FILE_READ_DATA | FILE_READ_ATTRIBUTES,
                FILE_SHARE_READ | FILE_SHARE_DELETE,
                FILE_OPEN,
                FILE_NON_DIRECTORY_FILE | FILE_SEQUENTIAL_ONLY,
            ),
            HostOpen::Directory => (
                FILE_READ_ATTRIBUTES,
                any_share,
                FILE_OPEN,
                FILE_DIRECTORY_FILE,
            ),
            HostOpen::Probe => (FILE_READ_ATTRIBUTES, any_share, FILE_OPEN, 0),
            HostOpen::WriteNew => (
                FILE_READ_DATA
                    | FILE_WRITE_DATA
                    | FILE_READ_ATTRIBUTES
                    | FILE_WRITE_ATTRIBUTES
                    | DELETE,
                0,
                ramdisk_core::save::NEW_FILE_DISPOSITION,
                FILE_NON_DIRECTORY_FILE | FILE_SEQUENTIAL_ONLY,
            ),
        };
        let mut us = UnicodeString::new(name);
        let mut oa = object_attributes(Some(&mut us), ptr::null_mut());
        let mut iosb = io_status_block();
        let mut handle: HANDLE = ptr::null_mut();
        // SAFETY: every pointer is to a live local; no allocation size, no EA buffer;
        // PASSIVE_LEVEL (a driver thread).
        let status = unsafe {
            ZwCreateFile(
                &raw mut handle,
                access | SYNCHRONIZE,
                &raw mut oa,
                &raw mut iosb,
                ptr::null_mut(),
                FILE_ATTRIBUTE_NORMAL,
                share,
                disposition,
                options | FILE_SYNCHRONOUS_IO_NONALERT,
                ptr::null_mut(),
                0,
            )
        };
        opened(status, handle).map(Self)
    }

    /// Reads up to `buffer.len()` bytes at `offset`; the bytes read (fewer at the end
    /// of the file).
    ///
    /// # Errors
    /// `ZwReadFile`'s status (`STATUS_END_OF_FILE` at or past the end).
    pub fn read_at(&self, offset: u64, buffer: &mut [u8]) -> Result<usize, NTSTATUS> {
        let mut at = large(offset);
        let mut iosb = io_status_block();
        // SAFETY: our handle; `buffer` is ours, writable for its length, and outlives
        // the call (synchronous I/O; `settle` waits should it pend).
        let status = unsafe {
            ZwReadFile(
                self.0,
                ptr::null_mut(),
                None,
                ptr::null_mut(),
                &raw mut iosb,
                buffer.as_mut_ptr().cast::<c_void>(),
                ulong(buffer.len()),
                &raw mut at,
                ptr::null_mut(),
            )
        };
        match settle(self.0, status, &iosb) {
            STATUS_SUCCESS => Ok(usize::try_from(iosb.Information)
                .unwrap_or(0)
                .min(buffer.len())),
            status => Err(status),
        }
    }

    /// Writes `data` at `offset`; the bytes written.
    ///
    /// # Errors
    /// `ZwWriteFile`'s status (`STATUS_DISK_FULL`, …).
    pub fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize, NTSTATUS> {
        let mut at = large(offset);
        let mut iosb = io_status_block();
        // SAFETY: our handle; `data` is only read, and outlives the call.
        let status = unsafe {
            ZwWriteFile(
                self.0,
                ptr::null_mut(),
                None,
                ptr::null_mut(),
                &raw mut iosb,
                data.as_ptr().cast_mut().cast::<c_void>(),
                ulong(data.len()),
                &raw mut at,
                ptr::null_mut(),
            )
        };
        match settle(self.0, status, &iosb) {
            STATUS_SUCCESS => Ok(usize::try_from(iosb.Information).unwrap_or(0)),
            status => Err(status),
        }
    }

    /// `ZwQueryInformationFile` of class `class` into `info` (a WDK structure).
    fn query<T>(&self, class: FILE_INFORMATION_CLASS) -> Result<T, NTSTATUS> {
        // SAFETY: the information structures queried here are plain data (integers
        // and LARGE_INTEGER unions); all-zero is valid.
        let mut info: T = unsafe { core::mem::zeroed() };
        let mut iosb = io_status_block();
        // SAFETY: our handle; `info` is a live local of the class's structure and size.
        let status = unsafe {
            ZwQueryInformationFile(
                self.0,
                &raw mut iosb,
                (&raw mut info).cast::<c_void>(),
                ulong(size_of::<T>()),
                class,
            )
        };
        match settle(self.0, status, &iosb) {
            STATUS_SUCCESS => Ok(info),
            status => Err(status),
        }
    }

    /// `FileStandardInformation`: size and whether it is a directory.
    ///
    /// # Errors
    /// `ZwQueryInformationFile`'s status.
    pub fn standard(&self) -> Result<Standard, NTSTATUS> {
        let info: FILE_STANDARD_INFORMATION =
            self.query(_FILE_INFORMATION_CLASS::FileStandardInformation)?;
        Ok(Standard {
            end_of_file: quad(info.EndOfFile),
            directory: info.Directory != 0,
        })
    }

    /// `FileBasicInformation`'s `LastWriteTime` (100 ns units since 1601).
    ///
    /// # Errors
    /// `ZwQueryInformationFile`'s status.
    pub fn last_write_time(&self) -> Result<u64, NTSTATUS> {
        let info: FILE_BASIC_INFORMATION =
            self.query(_FILE_INFORMATION_CLASS::FileBasicInformation)?;
        Ok(quad(info.LastWriteTime))
    }

    /// `FileInternalInformation`'s `IndexNumber`: the file's ID on its volume.
    ///
    /// # Errors
    /// `ZwQueryInformationFile`'s status.
    pub fn file_id(&self) -> Result<u64, NTSTATUS> {
        let info: FILE_INTERNAL_INFORMATION =
            self.query(_FILE_INFORMATION_CLASS::FileInternalInformation)?;
        Ok(quad(info.IndexNumber))
    }

    /// `FileEndOfFileInformation`: the file becomes `size` bytes long.
    ///
    /// # Errors
    /// `ZwSetInformationFile`'s status.
    pub fn set_end_of_file(&self, size: u64) -> Result<(), NTSTATUS> {
        let mut info = FILE_END_OF_FILE_INFORMATION {
            EndOfFile: large(size),
        };
        self.set(&mut info, _FILE_INFORMATION_CLASS::FileEndOfFileInformation)
    }

    /// `ZwSetInformationFile` of class `class` with `info` (a WDK structure).
    fn set<T>(&self, info: &mut T, class: FILE_INFORMATION_CLASS) -> Result<(), NTSTATUS> {
        let mut iosb = io_status_block();
        // SAFETY: our handle; `info` is a live structure of the class, of its size.
        let status = unsafe {
            ZwSetInformationFile(
                self.0,
                &raw mut iosb,
                core::ptr::from_mut(info).cast::<c_void>(),
                ulong(size_of::<T>()),
                class,
            )
        };
        match settle(self.0, status, &iosb) {
            STATUS_SUCCESS => Ok(()),
            status => Err(status),
        }
    }

    /// Renames the file with a `FILE_RENAME_INFORMATION` filled by
    /// `ramdisk_core::save::fill_rename` (`ex`: the
    /// `FileRenameInformationEx` class, whose first member is `Flags`).
    ///
    /// # Errors
    /// `ZwSetInformationFile`'s status.
    pub fn rename(&self, info: &mut [u8], ex: bool) -> Result<(), NTSTATUS> {
        let class = if ex {
            _FILE_INFORMATION_CLASS::FileRenameInformationEx
        } else {
            _FILE_INFORMATION_CLASS::FileRenameInformation
        };
        let mut iosb = io_status_block();
        // SAFETY: our handle; `info` is a live buffer of its length holding a
        // FILE_RENAME_INFORMATION.
        let status = unsafe {
            ZwSetInformationFile(
                self.0,
                &raw mut iosb,
                info.as_mut_ptr().cast::<c_void>(),
                ulong(info.len()),
                class,
            )
        };
        match settle(self.0, status, &iosb) {
            STATUS_SUCCESS => Ok(()),
            status => Err(status),
        }
    }

    /// `ZwFlushBuffersFile`: the file's data reach the disk.
    ///
    /// # Errors
    /// Its status.
    pub fn flush(&self) -> Result<(), NTSTATUS> {
        let mut iosb = io_status_block();
        // SAFETY: our handle; a live status block.
        let status = unsafe { ZwFlushBuffersFile(self.0, &raw mut iosb) };
        match settle(self.0, status, &iosb) {
            STATUS_SUCCESS => Ok(()),
            status => Err(status),
        }
    }

    /// `ZwFsControlFile(code)` with `input`, receiving into `output`: the final status
    /// and the bytes returned (never more than `output.len()`).
    pub fn fs_control(&self, code: u32, input: &[u8], output: &mut [u8]) -> (NTSTATUS, usize) {
        control(self.0, Control::FileSystem(code), input, output)
    }

    /// `FileFsAttributeInformation`'s `FileSystemAttributes` of the file's volume
    /// (`FILE_SUPPORTS_*`): the fixed part and room for a short file-system name are
    /// asked for (a buffer below `sizeof(FILE_FS_ATTRIBUTE_INFORMATION)` may be
    /// refused outright); a longer name answers `STATUS_BUFFER_OVERFLOW` with the
    /// attributes filled in.
    ///
    /// # Errors
    /// `ZwQueryVolumeInformationFile`'s status.
    pub fn volume_attributes(&self) -> Result<u32, NTSTATUS> {
        use ramdisk_core::wire::{FromBytes, FromZeros};
        let mut bytes = [0u8; 80];
        let mut iosb = io_status_block();
        // SAFETY: our handle; `bytes` is a live buffer of its length.
        let status = unsafe {
            ZwQueryVolumeInformationFile(
                self.0,
                &raw mut iosb,
                bytes.as_mut_ptr().cast::<c_void>(),
                ulong(bytes.len()),
                _FSINFOCLASS::FileFsAttributeInformation,
            )
        };
        match settle(self.0, status, &iosb) {
            STATUS_SUCCESS | STATUS_BUFFER_OVERFLOW => {
                let info = FileFsAttributeInformation::read_from_prefix(&bytes)
                    .map_or_else(|_| FileFsAttributeInformation::new_zeroed(), |(i, _)| i);
                Ok(info.file_system_attributes.get())
            }
            status => Err(status),
        }
    }
}

impl HostFile {
    /// `FileDispositionInformation` with `DeleteFile` TRUE: the file goes when this
    /// handle closes (a failed save's `<file>.new`; needs `DELETE` access).
    ///
    /// # Errors
    /// `ZwSetInformationFile`'s status.
    pub fn delete_on_close(&self) -> Result<(), NTSTATUS> {
        let mut info = FILE_DISPOSITION_INFORMATION { DeleteFile: 1 };
        self.set(
            &mut info,
            _FILE_INFORMATION_CLASS::FileDispositionInformation,
        )
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        // SAFETY: our kernel handle, closed once.
        let _ = unsafe { ZwClose(self.0) };
    }
}
