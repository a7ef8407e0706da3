//! A disk's image file: opened and checked before the disk's memory is allocated,
//! loaded into the store before the disk is published, held open for the disk's
//! lifetime (`FILE_SHARE_READ | FILE_SHARE_DELETE`).
//!
//! The decisions are ramdisk-core's (`ramdisk_core::image`): which failed open means
//! a new image ([`image::absent`]), the size rule, the boot sector, the file system
//! asked for ([`image::check_image`]), the sparse run plan ([`image::runs`]), the
//! 10 % progress steps. Every failure logs one line naming the file and leaves
//! nothing behind (the handle closes on drop; the store is not allocated yet).
//!
//! Loading runs on the thread that creates the disk: the control worker for a
//! CREATE, `DriverEntry`'s own thread for the registry's disks (a system thread at
//! `PASSIVE_LEVEL`; `DriverEntry` must wait for the load anyway, all or nothing).

use core::fmt;

use ramdisk_core::{
    config::{Config, ImagePath, SaveOn},
    geometry::BYTES_PER_SECTOR,
    image::{self, Absent, ImageCheck, ImageError, Progress},
    save::FileIdentity,
    status,
};
use ramdisk_store::{Store, StoreError, StoreWriter};
use wdk_sys::NTSTATUS;

use crate::{
    driver::LoadError,
    kernel::{
        PoolAlloc,
        file::{HostFile, HostOpen},
        pool::{PoolBox, PoolBuffer},
        time,
    },
};

/// A disk's `ImageFile` path, in pool (2 KiB: never in a kernel-stack frame).
pub type PathBox = PoolBox<ImagePath>;

/// The bytes one read of a load brings in.
const LOAD_BUFFER: usize = 1 << 20;

/// Why an image is not served.
#[derive(Clone, Copy, Debug)]
pub enum ImageFailure {
    /// The file cannot be opened (a status other than "no such file").
    Open(NTSTATUS),
    /// The file does not exist and its directory cannot be opened.
    NoDirectory(NTSTATUS),
    /// The file does not exist but `<file>.new` does (an interrupted save).
    Interrupted,
    /// Its size, boot sector or file system.
    Check(ImageError),
    /// A query or a read failed.
    Read(NTSTATUS),
    /// The file ended before its size (it shrank while loading).
    Short {
        /// Where the read came up short.
        offset: u64,
    },
    /// The store refused a write (a dynamic disk at its `MemoryLimit`).
    Store(StoreError),
    /// No pool for the path or the read buffer.
    NoPool,
}

impl ImageFailure {
    /// The status the creation fails with.
    pub const fn status(&self) -> NTSTATUS {
        match *self {
            Self::Open(s) | Self::NoDirectory(s) | Self::Read(s) => s,
            Self::Interrupted => status::STATUS_OBJECT_NAME_COLLISION,
            Self::Check(e) => e.status(),
            Self::Short { .. } => status::STATUS_END_OF_FILE,
            Self::Store(e) => e.status(),
            Self::NoPool => status::STATUS_INSUFFICIENT_RESOURCES,
        }
    }
}

/// `<what>: 0x… (STATUS_…)`: a failed file request, for the image and save lines.
pub fn named(f: &mut fmt::Formatter<'_>, what: &str, s: NTSTATUS) -> fmt::Result {
    write!(
        f,
        "{what}: {:#010x} ({})",
        s.cast_unsigned(),
        status::name(s)
    )
}

impl fmt::Display for ImageFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Open(s) => named(f, "cannot open it", s),
            Self::NoDirectory(s) => named(
                f,
                "no such file, and its directory cannot be opened either",
                s,
            ),
            Self::Interrupted => f.write_str(
                "no such file, but <file>.new exists: a save was interrupted before it replaced the image (rename <file>.new to serve it, or delete it to start a new image)",
            ),
            Self::Check(e) => write!(f, "{e}"),
            Self::Read(s) => named(f, "cannot read it", s),
            Self::Short { offset } => write!(
                f,
                "the file ended at byte {offset}, before its size (it changed while loading)"
            ),
            Self::Store(e) => write!(f, "the disk's memory refused the image's data: {e}"),
            Self::NoPool => f.write_str("no nonpaged pool for the path or the read buffer"),
        }
    }
}

/// An image that exists, opened and checked, not loaded yet.
pub struct Opened {
    /// The handle the disk keeps.
    pub file: HostFile,
    /// What the checks found (the disk's size, the volume, the partition type).
    pub check: ImageCheck,
    /// `FileInternalInformation`: the file's ID.
    pub file_id: u64,
    /// `FileBasicInformation.LastWriteTime`.
    pub last_write: u64,
}

/// What `ImageFile` names.
pub enum Source {
    /// An existing image, to serve as it is.
    Existing(Opened),
    /// No such file in a directory that exists, and no `<file>.new`: a new image
    /// (the disk is formatted fresh; a save would create the file).
    New,
}

/// A disk's image, as the disk keeps it: the path, the handle, when it is saved, and
/// what a save compares before it replaces the file (ID, size, last-write time at
/// load or after the disk's own last save).
pub struct ImageState {
    /// The path.
    pub path: PathBox,
    /// The open image (`None` for a new image: no file yet).
    pub file: Option<HostFile>,
    /// The file as loaded or last saved (`None`: no file recorded, a new image).
    pub recorded: Option<FileIdentity>,
    /// `SaveOn`.
    pub save_on: SaveOn,
}

impl ImageState {
    /// What a disk keeps of its image: `opened` for an existing one (the handle and
    /// its identity), `None` for a new image (no file yet).
    pub fn new(path: PathBox, opened: Option<Opened>, save_on: SaveOn) -> Self {
        match opened {
            Some(o) => Self {
                path,
                recorded: Some(identity(o.file_id, o.check.disk_size, o.last_write)),
                file: Some(o.file),
                save_on,
            },
            None => Self {
                path,
                file: None,
                recorded: None,
                save_on,
            },
        }
    }
}

/// The identity of an opened image (`volume_serial` 0: not queried, on both sides of
/// every comparison).
pub const fn identity(file_id: u64, size: u64, last_write: u64) -> FileIdentity {
    FileIdentity {
        volume_serial: 0,
        file_id: file_id as u128,
        size,
        last_write: last_write.cast_signed(),
    }
}

/// Logs `failure` naming the file, and makes it the creation's error.
fn fail(letter: u8, path: &ImagePath, failure: ImageFailure) -> LoadError {
    log!(error, disk: letter, "ImageFile {path}: {failure}");
    LoadError::Image(failure)
}

/// Opens and checks the image `path` names for a disk of `config`.
///
/// # Errors
/// [`LoadError::Image`], after a log line naming the file.
// A frame of its own (the first sector): no frame above a page.
#[inline(never)]
pub fn open(config: &Config, path: &ImagePath) -> Result<Source, LoadError> {
    let letter = config.drive_letter;
    let file = match HostFile::open(path.units(), HostOpen::Image) {
        Ok(file) => file,
        Err(open) => {
            let absent = image::absent(
                open,
                || status_of(HostFile::open(path.parent(), HostOpen::Directory)),
                || probe_new(path),
            );
            return match absent {
                Absent::New => {
                    log!(
                        disk: letter,
                        "ImageFile {path}: no such file (its directory exists): a new image, formatted fresh; with SaveOn=never nothing creates the file (ramdiskctl save will)"
                    );
                    Ok(Source::New)
                }
                Absent::Failed(s) => Err(fail(letter, path, ImageFailure::Open(s))),
                Absent::NoDirectory(s) => Err(fail(letter, path, ImageFailure::NoDirectory(s))),
                Absent::Interrupted => {
                    log!(error, disk: letter, "ImageFile {path}: missing, while {path}.new exists");
                    Err(fail(letter, path, ImageFailure::Interrupted))
                }
            };
        }
    };
    let read = |s| fail(letter, path, ImageFailure::Read(s));
    let standard = file.standard().map_err(read)?;
    if standard.directory {
        return Err(fail(
            letter,
            path,
            ImageFailure::Open(status::STATUS_FILE_IS_A_DIRECTORY),
        ));
    }
    let size = standard.end_of_file;
    let mut first = [0u8; BYTES_PER_SECTOR as usize];
    let got = if size == 0 {
        0
    } else {
        file.read_at(0, &mut first).map_err(read)?
    };
    let given = config
        .persist
        .disk_size_given
        .then_some(config.format.disk_size);
    let check = image::check_image(
        size,
        given,
        config.format.file_system,
        first.get(..got).unwrap_or(&[]),
    )
    .map_err(|e| fail(letter, path, ImageFailure::Check(e)))?;
    let file_id = file.file_id().map_err(read)?;
    let last_write = file.last_write_time().map_err(read)?;
    if image::leftover_new(probe_new(path)) {
        log!(
            disk: letter,
            "ImageFile {path}: {path}.new exists too, left by an interrupted save: serving {path} (the last complete save); the next save overwrites {path}.new"
        );
    }
    Ok(Source::Existing(Opened {
        file,
        check,
        file_id,
        last_write,
    }))
}

/// The status of an open (the handle, if any, closes at once).
fn status_of(opened: Result<HostFile, NTSTATUS>) -> NTSTATUS {
    opened.map_or_else(|s| s, |_| status::STATUS_SUCCESS)
}

/// Whether `<path>.new` exists: the status of opening it.
// A frame of its own; the second path lives in pool.
#[inline(never)]
fn probe_new(path: &ImagePath) -> NTSTATUS {
    let Some(mut new) = PathBox::new_zeroed() else {
        return status::STATUS_INSUFFICIENT_RESOURCES;
    };
    new.set_new_of(path);
    status_of(HostFile::open(new.units(), HostOpen::Probe))
}

/// Copies the opened image into `store` (sized for it): runs of zero sectors are
/// skipped (fresh fixed memory is zero, and a dynamic store's holes read as zeros,
/// so a mostly-empty image allocates only its data); logs every 10 % of a large
/// image and the throughput at the end.
///
/// # Errors
/// [`LoadError::Image`], after a log line naming the file.
// A frame of its own: no frame above a page.
#[inline(never)]
pub fn load(
    letter: u8,
    path: &ImagePath,
    opened: &Opened,
    store: &Store<PoolAlloc>,
) -> Result<(), LoadError> {
    let size = opened.check.disk_size;
    let Some(mut buffer) = PoolBuffer::new(LOAD_BUFFER) else {
        return Err(fail(letter, path, ImageFailure::NoPool));
    };
    let buffer = buffer.as_mut_slice();
    let started = time::system_time();
    let mut progress = Progress::new(size);
    let chunk_sectors = (store.chunk_size() as u64) / u64::from(BYTES_PER_SECTOR);
    let mut writer = StoreWriter::new(store);
    let mut offset = 0u64;
    while offset < size {
        let want = usize::try_from(size - offset).map_or(buffer.len(), |r| r.min(buffer.len()));
        let part = buffer.get_mut(..want).unwrap_or(&mut []);
        let got = opened
            .file
            .read_at(offset, part)
            .map_err(|s| fail(letter, path, ImageFailure::Read(s)))?;
        if got < want {
            return Err(fail(
                letter,
                path,
                ImageFailure::Short {
                    offset: offset + got as u64,
                },
            ));
        }
        let part: &[u8] = part;
        let sectors = (want as u64) / u64::from(BYTES_PER_SECTOR);
        // Data runs never cross a chunk of the disk: `offset` is a multiple of the
        // buffer, which is a multiple of every chunk size.
        for run in image::runs(sectors, sectors, chunk_sectors, |s| {
            image::sector_is_zero(part, s)
        }) {
            if run.hole {
                continue;
            }
            let from = usize::try_from(run.first * u64::from(BYTES_PER_SECTOR)).unwrap_or(0);
            let len = usize::try_from(run.count * u64::from(BYTES_PER_SECTOR)).unwrap_or(0);
            let data = part.get(from..from + len).unwrap_or(&[]);
            ramdisk_core::fat::SectorWriter::write(&mut writer, offset + from as u64, data)
                .map_err(|_| {
                    let e = writer.error().unwrap_or(StoreError::OutOfRange);
                    fail(letter, path, ImageFailure::Store(e))
                })?;
        }
        offset += want as u64;
        if let Some(percent) = progress.advance(offset) {
            log!(disk: letter, "loading {path}: {percent} % ({offset} of {size} bytes)");
        }
    }
    let ms = (time::system_time() - started) / 10_000;
    let mb_per_s = if ms > 0 {
        size / 1_000 / ms.cast_unsigned()
    } else {
        0
    };
    log!(
        disk: letter,
        "loaded {size} bytes from {path} in {ms} ms ({mb_per_s} MB/s), {} bytes of memory hold its data; file ID {:#x}, last written {}",
        store.allocated_bytes(),
        opened.file_id,
        opened.last_write
    );
    Ok(())
}
