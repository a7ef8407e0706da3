//! Saving a disk: its data to `<file>.new` in the image's directory, flushed, the
//! identity of `<file>` checked, then `.new` takes `<file>`'s place.
//!
//! The decisions are ramdisk-core's (`ramdisk_core::save`): the `.new` disposition,
//! whether the host has sparse files, the run plan (data, holes or zeros), the
//! identity check, the replace method and the rename's bytes. This module only issues
//! the file requests between them, on a driver thread (the control worker for
//! `IOCTL_RAMDISK_SAVE` and `REMOVE`, `DriverUnload`'s thread at unload).
//!
//! Until the replace, `<file>` is untouched: every failure before it removes `.new`
//! (if it can), logs one line naming the file and why, and returns the status. The
//! disk is read through the store's raw-pointer API into a pool buffer
//! (`PoolBuffer::read_store`), never through a slice over disk memory; the 2 KiB paths
//! and the rename buffer live in pool.

use core::fmt;

use ramdisk_core::{
    config::ImagePath,
    control::SaveOutcome,
    geometry::BYTES_PER_SECTOR,
    image::{self, Progress},
    request,
    save::{self, FileIdentity, ReplaceMethod, SaveError, Step, Totals},
    status,
    wire::{IntoBytes, file::FSCTL_SET_SPARSE, file::FileRenameInformation},
};
use ramdisk_store::{Store, StoreError};
use wdk_sys::NTSTATUS;

use super::image::{ImageState, PathBox, identity, named};
use crate::kernel::{
    PoolAlloc,
    file::{HostFile, HostOpen},
    pool::{PoolBox, PoolBuffer},
    time,
};

/// The bytes one read of the disk brings into the save's buffer.
const SAVE_BUFFER: usize = 1 << 20;

/// Why a save failed; `<file>` is as it was (byte-identical) in every case.
#[derive(Clone, Copy, Debug)]
pub enum SaveFailure {
    /// ramdisk-core's refusal (someone else replaced the file, no image, read-only).
    Refused(SaveError),
    /// `<file>.new` cannot be created.
    CreateNew(NTSTATUS),
    /// A write to `<file>.new` failed (`STATUS_DISK_FULL`, …) or came up short.
    Write {
        /// Where.
        offset: u64,
        /// The status (`STATUS_DISK_FULL` for a short write).
        status: NTSTATUS,
    },
    /// Setting `.new`'s end of file or flushing it failed.
    Finish(NTSTATUS),
    /// `<file>` as it is now cannot be examined (another status than "no such file").
    Examine(NTSTATUS),
    /// The rename failed.
    Rename(NTSTATUS),
    /// The store refused a read.
    Store(StoreError),
    /// No pool for a path, the buffer or the rename.
    NoPool,
}

impl SaveFailure {
    /// The status the request completes with.
    pub const fn status(&self) -> NTSTATUS {
        match *self {
            Self::Refused(e) => e.status(),
            Self::CreateNew(s)
            | Self::Write { status: s, .. }
            | Self::Finish(s)
            | Self::Examine(s)
            | Self::Rename(s) => s,
            Self::Store(e) => e.status(),
            Self::NoPool => status::STATUS_INSUFFICIENT_RESOURCES,
        }
    }
}

impl fmt::Display for SaveFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Refused(e) => write!(f, "{e}"),
            Self::CreateNew(s) => named(f, "cannot create <file>.new", s),
            Self::Write { offset, status } => {
                write!(f, "writing <file>.new at byte {offset} failed: ")?;
                named(f, "status", status)
            }
            Self::Finish(s) => named(f, "cannot size or flush <file>.new", s),
            Self::Examine(s) => named(f, "cannot examine the file before replacing it", s),
            Self::Rename(s) => named(f, "cannot rename <file>.new over it", s),
            Self::Store(e) => write!(f, "the disk's memory refused a read: {e}"),
            Self::NoPool => f.write_str("no nonpaged pool for the paths or the buffers"),
        }
    }
}

/// What the disk holds of its own image while a save replaces it.
pub struct Held<'a> {
    /// The open image.
    file: &'a mut Option<HostFile>,
    /// Its identity as loaded or last saved.
    recorded: &'a mut Option<FileIdentity>,
}

/// Saves `store` to the disk's own image (`state`): the identity checked before, the
/// new file held and recorded after.
///
/// # Errors
/// As [`save()`].
pub fn save_image(
    letter: u8,
    store: &Store<PoolAlloc>,
    state: &mut ImageState,
    locked: bool,
) -> Result<SaveOutcome, SaveFailure> {
    let ImageState {
        path,
        file,
        recorded,
        ..
    } = state;
    save(letter, store, path, Some(Held { file, recorded }), locked)
}

/// Saves `store` to `path`: the disk's image when `held` (the identity checked, the
/// new file held and recorded), else a request's `Target` (created or replaced, the
/// disk's image untouched); `locked` is whether the caller holds the volume lock
/// (for the result and the log line).
///
/// The outcome's `status` is `STATUS_SUCCESS`, or what failed after the replace (the
/// image is saved but could not be opened again).
///
/// # Errors
/// [`SaveFailure`] before the replace, after a log line naming the file: `<file>`
/// is unchanged and `<file>.new` removed (if it could be).
// A frame of its own: no frame above a page.
#[inline(never)]
pub fn save(
    letter: u8,
    store: &Store<PoolAlloc>,
    path: &ImagePath,
    mut held: Option<Held<'_>>,
    locked: bool,
) -> Result<SaveOutcome, SaveFailure> {
    let started = time::system_time();
    let fail = |failure: SaveFailure| {
        log!(error, disk: letter, "saving to {path} failed, the file is left as it was: {failure}");
        failure
    };
    let mut new_path = PathBox::new_zeroed().ok_or_else(|| fail(SaveFailure::NoPool))?;
    new_path.set_new_of(path);
    let new = HostFile::open(new_path.units(), HostOpen::WriteNew)
        .map_err(|s| fail(SaveFailure::CreateNew(s)))?;
    log!(disk: letter, "saving {} bytes to {}", store.len(), &*new_path);
    let written = write_new(letter, store, &new);
    let (attributes, sparse, totals) = match written {
        Ok(w) => w,
        Err(e) => return Err(fail(discard(letter, new, &new_path, e))),
    };
    // Still the file the disk loaded or last wrote? (A target: is one there?)
    let found = match examine(path) {
        Ok(found) => found,
        Err(s) => {
            return Err(fail(discard(
                letter,
                new,
                &new_path,
                SaveFailure::Examine(s),
            )));
        }
    };
    let exists = held.as_ref().map_or_else(
        || Ok(found.is_some()),
        |h| save::check_identity(h.recorded.as_ref(), found.as_ref()),
    );
    let exists = match exists {
        Ok(exists) => exists,
        Err(e) => {
            return Err(fail(discard(
                letter,
                new,
                &new_path,
                SaveFailure::Refused(e),
            )));
        }
    };
    let method = save::replace_method(attributes, exists);
    if let Err(s) = replace(&new, path, method, held.as_mut()) {
        if let Some(h) = held.as_mut()
            && method.closes_first()
        {
            // The handle was closed for the rename: hold the (unchanged) old file again.
            *h.file = HostFile::open(path.units(), HostOpen::Image).ok();
        }
        return Err(fail(discard(
            letter,
            new,
            &new_path,
            SaveFailure::Rename(s),
        )));
    }
    drop(new);
    let target = held.is_none();
    let outcome_status = held
        .as_mut()
        .map_or(status::STATUS_SUCCESS, |h| reopen(letter, path, h));
    let elapsed = (time::system_time() - started).cast_unsigned();
    let ms = elapsed / 10_000;
    let size = store.len();
    let mb_per_s = (size / 1_000).checked_div(ms).unwrap_or(0);
    log!(
        disk: letter,
        "saved {size} bytes to {path} in {ms} ms ({mb_per_s} MB/s): {} bytes of data, {} bytes {}, replaced by {} (host attributes {attributes:#x}), {}",
        totals.data_bytes,
        totals.hole_bytes,
        if sparse { "left as holes" } else { "of zeros written" },
        method.name(),
        if locked { "under the caller's volume lock" } else { "not locked" }
    );
    Ok(SaveOutcome {
        status: outcome_status,
        method,
        locked,
        sparse,
        target,
        file_bytes: size,
        data_bytes: totals.data_bytes,
        hole_bytes: totals.hole_bytes,
        elapsed,
    })
}

/// Writes the disk into `new` by core's plan, sets its end of file to the disk's
/// size and flushes it: the host's attributes, whether the file is sparse, the totals.
fn write_new(
    letter: u8,
    store: &Store<PoolAlloc>,
    new: &HostFile,
) -> Result<(u32, bool, Totals), SaveFailure> {
    // A host that cannot say leaves both features off (zeros written, rename-reopen).
    let attributes = new.volume_attributes().unwrap_or_else(|s| {
        log!(
            disk: letter,
            "FileFsAttributeInformation of the host volume failed ({:#010x}, {}): no sparse file, rename-reopen",
            s.cast_unsigned(),
            status::name(s)
        );
        0
    });
    // FSCTL_SET_SPARSE is asked for whatever the attributes say: its success is what
    // makes holes safe to leave (a fresh file reads zeros wherever nothing was
    // written). Wine 8 reports no FILE_SUPPORTS_SPARSE_FILES yet accepts the request,
    // and its host files keep unwritten ranges as holes; FAT refuses it.
    let (set_sparse, _) = new.fs_control(FSCTL_SET_SPARSE, &[], &mut []);
    let sparse = set_sparse == status::STATUS_SUCCESS;
    if sparse != save::sparse_supported(attributes) {
        log!(
            disk: letter,
            "FSCTL_SET_SPARSE: {:#010x} ({}), while the host volume {} FILE_SUPPORTS_SPARSE_FILES: zero runs {}",
            set_sparse.cast_unsigned(),
            status::name(set_sparse),
            if save::sparse_supported(attributes) { "reports" } else { "does not report" },
            if sparse { "left as holes" } else { "written as zeros" }
        );
    }
    let mut buffer = PoolBuffer::new(SAVE_BUFFER).ok_or(SaveFailure::NoPool)?;
    let size = store.len();
    let sector = u64::from(BYTES_PER_SECTOR);
    let chunk_sectors = (store.chunk_size() as u64) / sector;
    let mut progress = Progress::new(size);
    let mut totals = Totals::default();
    let mut offset = 0u64;
    while offset < size {
        let want = usize::try_from(size - offset).map_or(SAVE_BUFFER, |r| r.min(SAVE_BUFFER));
        let range = request::check(
            i64::try_from(offset).unwrap_or(i64::MAX),
            u32::try_from(want).unwrap_or(u32::MAX),
            size,
        )
        .map_err(|_| SaveFailure::Store(StoreError::OutOfRange))?;
        buffer
            .read_store(store, range)
            .map_err(SaveFailure::Store)?;
        let part: &[u8] = buffer.as_mut_slice().get(..want).unwrap_or(&[]);
        let sectors = (want as u64) / sector;
        let runs = image::runs(sectors, sectors, chunk_sectors, |s| {
            image::sector_is_zero(part, s)
        });
        for step in save::plan(runs, sector, sparse) {
            totals.add(step);
            let (at, len) = match step {
                Step::Data { offset: at, len } | Step::Zeros { offset: at, len } => (at, len),
                Step::Hole { .. } => continue,
            };
            // A zero run's bytes in the buffer are zeros: the same slice serves both.
            let from = usize::try_from(at).unwrap_or(usize::MAX);
            let to = from.saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
            let data = part.get(from..to).unwrap_or(&[]);
            let file_at = offset + at;
            match new.write_at(file_at, data) {
                Ok(n) if n == data.len() => {}
                Ok(n) => {
                    return Err(SaveFailure::Write {
                        offset: file_at + n as u64,
                        status: status::STATUS_DISK_FULL,
                    });
                }
                Err(status) => {
                    return Err(SaveFailure::Write {
                        offset: file_at,
                        status,
                    });
                }
            }
        }
        offset += want as u64;
        if let Some(percent) = progress.advance(offset) {
            log!(disk: letter, "saving: {percent} % ({offset} of {size} bytes)");
        }
    }
    new.set_end_of_file(size).map_err(SaveFailure::Finish)?;
    new.flush().map_err(SaveFailure::Finish)?;
    Ok((attributes, sparse, totals))
}

/// Removes a failed save's `<file>.new` (marked for deletion, then closed) and passes
/// `failure` on.
fn discard(letter: u8, new: HostFile, new_path: &ImagePath, failure: SaveFailure) -> SaveFailure {
    if let Err(s) = new.delete_on_close() {
        log!(
            error, disk: letter,
            "cannot remove {new_path} ({:#010x}, {}): the next save overwrites it",
            s.cast_unsigned(),
            status::name(s)
        );
    }
    drop(new);
    failure
}

/// The file at `path` as it is now: `None` when there is none.
fn examine(path: &ImagePath) -> Result<Option<FileIdentity>, NTSTATUS> {
    let file = match HostFile::open(path.units(), HostOpen::Probe) {
        Ok(file) => file,
        Err(status::STATUS_OBJECT_NAME_NOT_FOUND) => return Ok(None),
        Err(s) => return Err(s),
    };
    let standard = file.standard()?;
    Ok(Some(identity(
        file.file_id()?,
        standard.end_of_file,
        file.last_write_time()?,
    )))
}

/// Renames `new` to `path` by `method` (closing the disk's handle first where the
/// method says so).
fn replace(
    new: &HostFile,
    path: &ImagePath,
    method: ReplaceMethod,
    held: Option<&mut Held<'_>>,
) -> Result<(), NTSTATUS> {
    let mut rename = PoolBox::<FileRenameInformation>::new_zeroed()
        .ok_or(status::STATUS_INSUFFICIENT_RESOURCES)?;
    let len = save::fill_rename(&mut rename, path, method).ok_or(status::STATUS_NAME_TOO_LONG)?;
    if method.closes_first()
        && let Some(h) = held
    {
        *h.file = None;
    }
    let bytes = rename.as_mut_bytes();
    let info = bytes.get_mut(..len).ok_or(status::STATUS_INTERNAL_ERROR)?;
    new.rename(info, matches!(method, ReplaceMethod::PosixRename))
}

/// After a replace: holds the new image open and records its identity; the handle to
/// the old file closes. A status other than success when it cannot be opened (the
/// disk then records no file: its next save refuses until the file is dealt with).
fn reopen(letter: u8, path: &ImagePath, held: &mut Held<'_>) -> NTSTATUS {
    let opened = HostFile::open(path.units(), HostOpen::Image).and_then(|file| {
        let standard = file.standard()?;
        let id = identity(
            file.file_id()?,
            standard.end_of_file,
            file.last_write_time()?,
        );
        Ok((file, id))
    });
    match opened {
        Ok((file, id)) => {
            *held.file = Some(file);
            *held.recorded = Some(id);
            status::STATUS_SUCCESS
        }
        Err(s) => {
            *held.file = None;
            *held.recorded = None;
            log!(
                error, disk: letter,
                "saved {path}, but cannot open it again ({:#010x}, {}): the disk no longer holds it, and its next save refuses",
                s.cast_unsigned(),
                status::name(s)
            );
            s
        }
    }
}
