//! The decisions of a save, as pure functions the driver calls between its file
//! requests (`ZwCreateFile`, `ZwWriteFile`, `ZwFlushBuffersFile`, `ZwSetInformationFile`).
//!
//! A save never overwrites the last good image in place. In order:
//!
//! 1. **Which file**: the disk's `ImageFile`, or the request's `Target`
//!    ([`save_target`]); a read-only disk's own image is never written.
//! 2. **`<file>.new`** ([`crate::config::ImagePath::with_new_suffix`]) in the same
//!    directory, opened with [`NEW_FILE_DISPOSITION`] (`FILE_OVERWRITE_IF`): a
//!    leftover `.new` next to `<file>` is an interrupted save, and the next save
//!    overwrites it. The driver asks for `FSCTL_SET_SPARSE` on it: where that
//!    succeeds the file is sparse (whether or not the volume reports
//!    [`sparse_supported`]: Wine 8 does not, yet takes the request, and its host
//!    files keep unwritten ranges as holes); where it is refused (FAT, exFAT) zero
//!    runs are written as zeros.
//! 3. **The data** ([`plan`], over [`crate::image::runs`]): data runs written, runs of
//!    zero sectors left as holes in a sparse file (a fresh file reads zeros where
//!    nothing was written) or written as zeros elsewhere; the end of file set to the
//!    disk's size; then `ZwFlushBuffersFile`.
//! 4. **Still our file?** ([`check_identity`]): `<file>` as found now (file ID, size,
//!    last-write time) against what the disk recorded when it loaded it or last
//!    wrote it. Anything else means someone else replaced, changed or deleted it:
//!    the save fails with [`SaveError::Replaced`] and that file stays.
//! 5. **Replace** ([`replace_method`]): where the host's `FileFsAttributeInformation`
//!    has `FILE_SUPPORTS_POSIX_UNLINK_RENAME` (NTFS on Windows 10 1709 and later), one
//!    `FileRenameInformationEx` with `FILE_RENAME_REPLACE_IF_EXISTS |
//!    FILE_RENAME_POSIX_SEMANTICS`: atomic, and it works while the disk still holds
//!    the old file open. Elsewhere (FAT, exFAT host volumes) the disk closes its
//!    handle, renames with `FileRenameInformation` and `ReplaceIfExists`, and opens
//!    the new file again. **The weaker guarantee there**: FAT has no journal, so a
//!    power loss during the rename can leave `<file>.new` without `<file>` (the old
//!    entry gone, the new one not yet renamed) — the next load refuses that, naming
//!    both, and the saved data is in `.new`; and between the close and the reopen
//!    the disk holds no handle, so another program can open or replace `<file>`
//!    (the reopen then records whatever is there). A new image (no file there) is
//!    renamed without
//!    `ReplaceIfExists`, so it never replaces anything that appeared meanwhile.
//!    [`fill_rename`] writes the `FILE_RENAME_INFORMATION`.
//! 6. After the replace the disk opens the new `<file>`, records its identity for
//!    the next save, and closes the handle to the old, unlinked file.
//!
//! A failure before step 5 leaves `<file>` byte-identical (only `.new` was written).

use core::fmt;

use crate::config::ImagePath;
use crate::image::Run;
use crate::status::{STATUS_INVALID_PARAMETER, STATUS_OBJECT_NAME_COLLISION};
use crate::wire::file::{
    FileRenameInformation, RENAME_HEADER_SIZE, RENAME_NAME_OFFSET, RENAME_NAME_UNITS,
};
use crate::wire::{U16, U32, U64};

pub use crate::wire::file::{
    FILE_RENAME_INFORMATION_CLASS, FILE_RENAME_INFORMATION_EX_CLASS, FILE_RENAME_POSIX_SEMANTICS,
    FILE_RENAME_REPLACE_IF_EXISTS, FILE_SUPPORTS_POSIX_UNLINK_RENAME, FILE_SUPPORTS_SPARSE_FILES,
};
/// `FILE_OVERWRITE_IF` (`ZwCreateFile`'s `CreateDisposition`): create, or truncate
/// what is there.
pub const FILE_OVERWRITE_IF: u32 = 5;
/// How a save opens `<file>.new`: a leftover one (an interrupted save) is overwritten.
pub const NEW_FILE_DISPOSITION: u32 = FILE_OVERWRITE_IF;

/// What identifies the file a disk loaded or last wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    /// The host volume's serial number (`FILE_ID_INFORMATION.VolumeSerialNumber`).
    pub volume_serial: u64,
    /// The file ID (`FILE_ID_INFORMATION.FileId`, 128 bits; the 64-bit
    /// `FileInternalInformation` index zero-extended where that is all there is).
    pub file_id: u128,
    /// `EndOfFile` in bytes.
    pub size: u64,
    /// `LastWriteTime` (100 ns since 1601).
    pub last_write: i64,
}

/// What differs between the recorded identity and the file found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// Another file (another ID or volume): replaced.
    File,
    /// The same file with another size: written by someone else.
    Size,
    /// The same file, the same size, another last-write time: written by someone else.
    LastWrite,
    /// No file where the disk's image was: deleted or renamed.
    Gone,
    /// A file where the disk expected none (a new image not saved yet).
    Appeared,
}

impl Change {
    /// For messages.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::File => "another file has taken its name (a different file ID)",
            Self::Size => "its size changed: someone else wrote it",
            Self::LastWrite => "its last-write time changed: someone else wrote it",
            Self::Gone => "it was deleted or renamed",
            Self::Appeared => "a file appeared where the new image was to be created",
        }
    }
}

/// How the `.new` file takes `<file>`'s place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplaceMethod {
    /// `FileRenameInformationEx`, replace-if-exists and POSIX semantics: atomic, with
    /// the disk's handle to the old file still open.
    PosixRename,
    /// The disk's handle closed, `FileRenameInformation` with `ReplaceIfExists`, the
    /// new file reopened (the weaker guarantee in the module documentation).
    RenameReopen,
    /// No file there: `FileRenameInformation` without `ReplaceIfExists`.
    Create,
}

impl ReplaceMethod {
    /// `RAMDISK_REPLACE_*`.
    #[must_use]
    pub const fn code(self) -> u32 {
        match self {
            Self::PosixRename => crate::wire::control::RAMDISK_REPLACE_POSIX_RENAME,
            Self::RenameReopen => crate::wire::control::RAMDISK_REPLACE_RENAME_REOPEN,
            Self::Create => crate::wire::control::RAMDISK_REPLACE_CREATE,
        }
    }

    /// The method a `RAMDISK_REPLACE_*` code stands for.
    #[must_use]
    pub const fn from_code(code: u32) -> Option<Self> {
        match code {
            crate::wire::control::RAMDISK_REPLACE_POSIX_RENAME => Some(Self::PosixRename),
            crate::wire::control::RAMDISK_REPLACE_RENAME_REOPEN => Some(Self::RenameReopen),
            crate::wire::control::RAMDISK_REPLACE_CREATE => Some(Self::Create),
            _ => None,
        }
    }

    /// ramdiskctl's spelling (`--json` too).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::PosixRename => "posix-rename",
            Self::RenameReopen => "rename-reopen",
            Self::Create => "create",
        }
    }

    /// The `FILE_INFORMATION_CLASS` of the rename.
    #[must_use]
    pub const fn information_class(self) -> u32 {
        match self {
            Self::PosixRename => FILE_RENAME_INFORMATION_EX_CLASS,
            Self::RenameReopen | Self::Create => FILE_RENAME_INFORMATION_CLASS,
        }
    }

    /// The rename's `Flags` (Ex) or `ReplaceIfExists` (0/1 in the low byte).
    #[must_use]
    pub const fn flags(self) -> u32 {
        match self {
            Self::PosixRename => FILE_RENAME_REPLACE_IF_EXISTS | FILE_RENAME_POSIX_SEMANTICS,
            Self::RenameReopen => 1,
            Self::Create => 0,
        }
    }

    /// Whether the disk closes its handle to the old file before the rename.
    #[must_use]
    pub const fn closes_first(self) -> bool {
        matches!(self, Self::RenameReopen)
    }
}

/// Why a save refuses (before anything is replaced).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SaveError {
    /// `<file>` is not the file the disk loaded or last wrote.
    Replaced(Change),
    /// The disk has no `ImageFile` and the request no `Target`.
    NoImageFile,
    /// A read-only disk's own image is never written (a `Target` is fine).
    ReadOnly,
}

impl SaveError {
    /// The status the request completes with.
    #[must_use]
    pub const fn status(self) -> i32 {
        match self {
            Self::Replaced(_) => STATUS_OBJECT_NAME_COLLISION,
            Self::NoImageFile | Self::ReadOnly => STATUS_INVALID_PARAMETER,
        }
    }
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Replaced(change) => write!(
                f,
                "the image file is no longer the one this disk loaded or last saved ({}); \
                 the save leaves it alone",
                change.describe()
            ),
            Self::NoImageFile => f.write_str(
                "the disk has no ImageFile; name the file to save to (ramdiskctl save --to FILE)",
            ),
            Self::ReadOnly => f.write_str(
                "the disk is ReadOnly: its image is never written (save to another file with --to)",
            ),
        }
    }
}

/// Where a save writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SaveTarget {
    /// The disk's `ImageFile` (the identity check applies; the disk records the new
    /// file's identity afterwards).
    ImageFile,
    /// The request's `Target`: created or replaced, the disk's image untouched.
    Target,
}

/// The file a save writes: the request's `Target` when it has one, else the disk's
/// `ImageFile`.
///
/// # Errors
/// [`SaveError::NoImageFile`], [`SaveError::ReadOnly`].
pub const fn save_target(
    has_target: bool,
    has_image: bool,
    read_only: bool,
) -> Result<SaveTarget, SaveError> {
    match (has_target, has_image, read_only) {
        (true, _, _) => Ok(SaveTarget::Target),
        (false, false, _) => Err(SaveError::NoImageFile),
        (false, true, true) => Err(SaveError::ReadOnly),
        (false, true, false) => Ok(SaveTarget::ImageFile),
    }
}

/// Whether the file found at the image's name (`found`; `None`: no file there) is
/// still the one the disk recorded (`recorded`; `None`: a new image, not saved yet).
///
/// `Ok(true)`: a file is there to replace; `Ok(false)`: none, the rename creates it.
///
/// # Errors
/// [`SaveError::Replaced`] with what changed.
pub const fn check_identity(
    recorded: Option<&FileIdentity>,
    found: Option<&FileIdentity>,
) -> Result<bool, SaveError> {
    let change = match (recorded, found) {
        (None, None) => return Ok(false),
        (None, Some(_)) => Change::Appeared,
        (Some(_), None) => Change::Gone,
        (Some(r), Some(f)) => {
            if r.file_id != f.file_id || r.volume_serial != f.volume_serial {
                Change::File
            } else if r.size != f.size {
                Change::Size
            } else if r.last_write != f.last_write {
                Change::LastWrite
            } else {
                return Ok(true);
            }
        }
    };
    Err(SaveError::Replaced(change))
}

/// The replace for a host volume whose `FileFsAttributeInformation` reports
/// `fs_attributes`, when a file is there to replace (`exists`, from
/// [`check_identity`] or, for a `Target`, whether one is there).
#[must_use]
pub const fn replace_method(fs_attributes: u32, exists: bool) -> ReplaceMethod {
    if !exists {
        ReplaceMethod::Create
    } else if fs_attributes & FILE_SUPPORTS_POSIX_UNLINK_RENAME != 0 {
        ReplaceMethod::PosixRename
    } else {
        ReplaceMethod::RenameReopen
    }
}

/// Whether the host volume reports sparse files (`FILE_SUPPORTS_SPARSE_FILES`); the
/// driver logs it next to what `FSCTL_SET_SPARSE` answered, which is what decides.
#[must_use]
pub const fn sparse_supported(fs_attributes: u32) -> bool {
    fs_attributes & FILE_SUPPORTS_SPARSE_FILES != 0
}

/// Writes the rename of the `.new` file to `target` with `method` into `out`.
///
/// `target` is the final name (an NT path). Returns the `Length` to pass to
/// `ZwSetInformationFile`: `FileName` and its offset, at least
/// `sizeof(FILE_RENAME_INFORMATION)`.
///
/// `None` when `target` does not fit (it cannot, for an [`ImagePath`]).
#[must_use]
pub fn fill_rename(
    out: &mut FileRenameInformation,
    target: &ImagePath,
    method: ReplaceMethod,
) -> Option<usize> {
    let units = target.units();
    if units.len() > RENAME_NAME_UNITS {
        return None;
    }
    let name_bytes = units.len() * 2;
    out.flags = U32::new(method.flags());
    out.padding = U32::new(0);
    out.root_directory = U64::new(0);
    out.file_name_length = U32::new(u32::try_from(name_bytes).ok()?);
    for (i, slot) in out.file_name.iter_mut().enumerate() {
        *slot = U16::new(units.get(i).copied().unwrap_or(0));
    }
    out.tail = U32::new(0);
    Some((RENAME_NAME_OFFSET + name_bytes).max(RENAME_HEADER_SIZE))
}

/// One step of writing the `.new` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Write the disk's bytes at `offset`, `len` bytes.
    Data {
        /// Byte offset (in the disk and the file alike).
        offset: u64,
        /// Bytes.
        len: u64,
    },
    /// Write zeros (the host has no sparse files).
    Zeros {
        /// Byte offset.
        offset: u64,
        /// Bytes.
        len: u64,
    },
    /// Nothing written: a hole in the sparse file.
    Hole {
        /// Byte offset.
        offset: u64,
        /// Bytes.
        len: u64,
    },
}

/// The totals of a save, for its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Totals {
    /// Bytes of data runs.
    pub data_bytes: u64,
    /// Bytes of zero runs.
    pub hole_bytes: u64,
    /// Bytes actually written (data, plus zeros on a host without sparse files).
    pub written_bytes: u64,
}

impl Totals {
    /// Counts one step.
    pub const fn add(&mut self, step: Step) {
        match step {
            Step::Data { len, .. } => {
                self.data_bytes = self.data_bytes.saturating_add(len);
                self.written_bytes = self.written_bytes.saturating_add(len);
            }
            Step::Zeros { len, .. } => {
                self.hole_bytes = self.hole_bytes.saturating_add(len);
                self.written_bytes = self.written_bytes.saturating_add(len);
            }
            Step::Hole { len, .. } => self.hole_bytes = self.hole_bytes.saturating_add(len),
        }
    }
}

/// The steps that write the disk's `runs` into the `.new` file.
///
/// `runs` come from [`crate::image::runs`], in sectors of `sector_bytes`: data runs
/// become data, zero runs holes when `sparse`, else zeros. After the last step the
/// driver sets the end of file to the disk's size (a trailing hole has no write to
/// extend the file).
pub fn plan(
    runs: impl Iterator<Item = Run>,
    sector_bytes: u64,
    sparse: bool,
) -> impl Iterator<Item = Step> {
    runs.map(move |r| {
        let offset = r.first.saturating_mul(sector_bytes);
        let len = r.count.saturating_mul(sector_bytes);
        match (r.hole, sparse) {
            (false, _) => Step::Data { offset, len },
            (true, true) => Step::Hole { offset, len },
            (true, false) => Step::Zeros { offset, len },
        }
    })
}

pub mod shutdown;

#[cfg(test)]
mod tests;
