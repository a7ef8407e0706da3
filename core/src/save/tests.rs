use super::*;
use crate::config::MAX_IMAGE_PATH_CHARS;
use crate::image::runs;
use crate::wire::FromZeros;
use crate::wire::IntoBytes;
use proptest::prelude::*;
use std::string::{String, ToString};
use std::vec::Vec;

fn id(file_id: u128, size: u64, last_write: i64) -> FileIdentity {
    FileIdentity {
        volume_serial: 0x1234_5678,
        file_id,
        size,
        last_write,
    }
}

#[test]
fn the_recorded_file_is_ours_and_anything_else_is_not() {
    let ours = id(7, 1 << 20, 1000);
    assert_eq!(check_identity(Some(&ours), Some(&ours)), Ok(true));
    assert_eq!(check_identity(None, None), Ok(false));
    let cases = [
        (Some(ours), None, Change::Gone),
        (None, Some(ours), Change::Appeared),
        (Some(ours), Some(id(8, 1 << 20, 1000)), Change::File),
        (
            Some(ours),
            Some(FileIdentity {
                volume_serial: 1,
                ..ours
            }),
            Change::File,
        ),
        (Some(ours), Some(id(7, 2 << 20, 1000)), Change::Size),
        (Some(ours), Some(id(7, 1 << 20, 1001)), Change::LastWrite),
        // Another file wins over its other differences.
        (Some(ours), Some(id(9, 3, 4)), Change::File),
    ];
    for (recorded, found, change) in cases {
        let e = check_identity(recorded.as_ref(), found.as_ref()).unwrap_err();
        assert_eq!(e, SaveError::Replaced(change));
        assert_eq!(e.status(), STATUS_OBJECT_NAME_COLLISION);
        let line = e.to_string();
        assert!(
            line.contains(change.describe()) && !line.contains('\n'),
            "{line}"
        );
    }
}

/// What happens to the image's name between two saves, in the model.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The disk saves (and records what it wrote), if the check lets it.
    OurSave,
    /// Another program writes the file in place.
    ForeignWrite { grow: bool },
    /// Another program replaces it with another file.
    ForeignReplace,
    /// Another program deletes it.
    ForeignDelete,
    /// Another program creates a file at the name.
    ForeignCreate,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => Just(Event::OurSave),
        1 => any::<bool>().prop_map(|grow| Event::ForeignWrite { grow }),
        1 => Just(Event::ForeignReplace),
        1 => Just(Event::ForeignDelete),
        1 => Just(Event::ForeignCreate),
    ]
}

proptest! {
    /// Against a model of the host directory: a save goes ahead exactly when nobody
    /// but the disk touched the name since the disk's last record, and a refused
    /// save changes nothing.
    #[test]
    fn identity_check_against_a_model(new_image in any::<bool>(), events in proptest::collection::vec(event(), 1..24)) {
        let mut next_id = 100u128;
        let mut clock = 10i64;
        // The file at the name (None: no file), and the disk's record of it.
        let mut on_disk: Option<FileIdentity> = if new_image { None } else { Some(id(1, 512, 1)) };
        let mut recorded = on_disk;
        // Whether a foreign event happened since the record.
        let mut tainted = false;
        for e in events {
            clock += 1;
            match e {
                Event::OurSave => {
                    let verdict = check_identity(recorded.as_ref(), on_disk.as_ref());
                    // A file someone else created and deleted again leaves nothing
                    // to lose; every other foreign event leaves another identity.
                    let foreign = tainted && !(recorded.is_none() && on_disk.is_none());
                    if foreign {
                        prop_assert!(verdict.is_err(), "{:?}", verdict);
                    } else {
                        prop_assert_eq!(verdict, Ok(on_disk.is_some()));
                        next_id += 1;
                        on_disk = Some(id(next_id, 512, clock));
                        recorded = on_disk;
                        tainted = false;
                    }
                }
                Event::ForeignWrite { grow } => {
                    if let Some(f) = on_disk.as_mut() {
                        if grow { f.size += 512 } else { f.last_write = clock }
                        tainted = true;
                    }
                }
                Event::ForeignReplace => {
                    if on_disk.is_some() {
                        next_id += 1;
                        on_disk = Some(id(next_id, 512, clock));
                        tainted = true;
                    }
                }
                Event::ForeignDelete => {
                    if on_disk.take().is_some() {
                        tainted = true;
                    }
                }
                Event::ForeignCreate => {
                    if on_disk.is_none() {
                        next_id += 1;
                        on_disk = Some(id(next_id, 512, clock));
                        tainted = true;
                    }
                }
            }
        }
    }
}

#[test]
fn the_posix_attribute_picks_the_atomic_rename() {
    // NTFS reports FILE_SUPPORTS_POSIX_UNLINK_RENAME (0x400) among others.
    let ntfs = 0x03E7_00FF | FILE_SUPPORTS_POSIX_UNLINK_RENAME;
    let fat = 0x0000_0206; // case preserved, unicode, cleanup result: no POSIX rename
    assert_eq!(FILE_SUPPORTS_POSIX_UNLINK_RENAME, 0x400);
    assert_eq!(replace_method(ntfs, true), ReplaceMethod::PosixRename);
    assert_eq!(replace_method(fat, true), ReplaceMethod::RenameReopen);
    assert_eq!(replace_method(0x400, true), ReplaceMethod::PosixRename);
    assert_eq!(replace_method(!0x400, true), ReplaceMethod::RenameReopen);
    for attrs in [0, fat, ntfs, u32::MAX] {
        assert_eq!(replace_method(attrs, false), ReplaceMethod::Create);
    }
    assert!(sparse_supported(0x40) && sparse_supported(ntfs));
    assert!(!sparse_supported(fat) && !sparse_supported(!0x40));
}

#[test]
fn each_method_names_its_rename() {
    let p = ReplaceMethod::PosixRename;
    assert_eq!(p.information_class(), 65);
    assert_eq!(p.flags(), 0x3);
    assert!(!p.closes_first());
    let r = ReplaceMethod::RenameReopen;
    assert_eq!(r.information_class(), 10);
    assert_eq!(r.flags(), 1);
    assert!(r.closes_first());
    let c = ReplaceMethod::Create;
    assert_eq!(c.information_class(), 10);
    assert_eq!(c.flags(), 0);
    assert!(!c.closes_first());
    let mut names = Vec::new();
    for m in [p, r, c] {
        assert_eq!(ReplaceMethod::from_code(m.code()), Some(m));
        names.push(m.name());
    }
    assert_eq!(names, ["posix-rename", "rename-reopen", "create"]);
    assert_eq!(ReplaceMethod::from_code(0), None);
    assert_eq!(ReplaceMethod::from_code(4), None);
}

#[test]
fn the_rename_structure_has_the_x64_layout() {
    assert_eq!(core::mem::offset_of!(FileRenameInformation, flags), 0);
    assert_eq!(
        core::mem::offset_of!(FileRenameInformation, root_directory),
        8
    );
    assert_eq!(
        core::mem::offset_of!(FileRenameInformation, file_name_length),
        16
    );
    assert_eq!(core::mem::offset_of!(FileRenameInformation, file_name), 20);
    assert_eq!(RENAME_NAME_OFFSET, 20);
    assert_eq!(size_of::<FileRenameInformation>() % 8, 0);
    let path = ImagePath::parse(&r"D:\img\disk.img".encode_utf16().collect::<Vec<_>>()).unwrap();
    let mut out = FileRenameInformation::new_zeroed();
    out.file_name = [U16::new(0xFFFF); RENAME_NAME_UNITS];
    out.root_directory = U64::new(0xDEAD);
    let len = fill_rename(&mut out, &path, ReplaceMethod::PosixRename).unwrap();
    let name = r"\??\D:\img\disk.img";
    assert_eq!(len, 20 + 2 * name.len());
    let b = out.as_bytes();
    assert_eq!(&b[0..4], &3u32.to_le_bytes());
    assert_eq!(&b[4..16], &[0u8; 12]);
    assert_eq!(
        &b[16..20],
        &u32::try_from(2 * name.len()).unwrap().to_le_bytes()
    );
    let units: Vec<u16> = b[20..20 + 2 * name.len()]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(String::from_utf16(&units).unwrap(), name);
    assert!(b[20 + 2 * name.len()..].iter().all(|&x| x == 0));
    // ReplaceIfExists is the low byte for the plain class.
    fill_rename(&mut out, &path, ReplaceMethod::RenameReopen).unwrap();
    assert_eq!(out.as_bytes()[0..4], [1, 0, 0, 0]);
    fill_rename(&mut out, &path, ReplaceMethod::Create).unwrap();
    assert_eq!(out.as_bytes()[0..4], [0, 0, 0, 0]);
    // A short name still passes at least sizeof(FILE_RENAME_INFORMATION).
    let short = ImagePath::parse(&[u16::from(b'\\'), u16::from(b'x')]).unwrap();
    assert_eq!(
        fill_rename(&mut out, &short, ReplaceMethod::Create),
        Some(RENAME_HEADER_SIZE)
    );
}

#[test]
fn the_longest_path_and_its_new_file_fit_the_rename() {
    let longest: Vec<u16> = std::format!(r"D:\{}", "n".repeat(MAX_IMAGE_PATH_CHARS - 3))
        .encode_utf16()
        .collect();
    let path = ImagePath::parse(&longest).unwrap();
    let new = path.with_new_suffix();
    assert_eq!(new.units().len(), RENAME_NAME_UNITS);
    let mut out = FileRenameInformation::new_zeroed();
    assert_eq!(
        fill_rename(&mut out, &new, ReplaceMethod::Create),
        Some(20 + 2 * RENAME_NAME_UNITS)
    );
    assert!(fill_rename(&mut out, &path, ReplaceMethod::PosixRename).is_some());
}

#[test]
fn the_new_file_sits_next_to_the_image_and_is_overwritten() {
    let path =
        ImagePath::parse(&r"\??\D:\img\disk.img".encode_utf16().collect::<Vec<_>>()).unwrap();
    let new = path.with_new_suffix();
    assert_eq!(
        String::from_utf16(new.units()).unwrap(),
        r"\??\D:\img\disk.img.new"
    );
    // The same directory: everything up to the last `\` is shared.
    let dir = |p: &[u16]| p[..=p.iter().rposition(|&u| u == u16::from(b'\\')).unwrap()].to_vec();
    assert_eq!(dir(new.units()), dir(path.units()));
    // A leftover .new (an interrupted save) is created or truncated, never kept.
    assert_eq!(NEW_FILE_DISPOSITION, FILE_OVERWRITE_IF);
    assert_eq!(FILE_OVERWRITE_IF, 5);
}

#[test]
fn which_file_a_save_writes() {
    assert_eq!(save_target(true, false, false), Ok(SaveTarget::Target));
    assert_eq!(save_target(true, true, true), Ok(SaveTarget::Target));
    assert_eq!(save_target(false, true, false), Ok(SaveTarget::ImageFile));
    assert_eq!(
        save_target(false, false, false),
        Err(SaveError::NoImageFile)
    );
    assert_eq!(save_target(false, false, true), Err(SaveError::NoImageFile));
    assert_eq!(save_target(false, true, true), Err(SaveError::ReadOnly));
    for e in [SaveError::NoImageFile, SaveError::ReadOnly] {
        assert_eq!(e.status(), crate::status::STATUS_INVALID_PARAMETER);
        assert!(e.to_string().contains("--to"));
    }
}

/// `x` as an index (the model's sizes are small).
fn us(x: u64) -> usize {
    usize::try_from(x).unwrap()
}

/// A host file in the model: written bytes, and which sectors hold allocated data.
struct ModelFile {
    bytes: Vec<u8>,
    allocated: Vec<bool>,
}

impl ModelFile {
    fn new() -> Self {
        Self {
            bytes: Vec::new(),
            allocated: Vec::new(),
        }
    }
    fn write(&mut self, offset: u64, data: &[u8]) {
        let (o, end) = (us(offset), us(offset) + data.len());
        if self.bytes.len() < end {
            self.bytes.resize(end, 0);
            self.allocated.resize(end / 512, false);
        }
        self.bytes[o..end].copy_from_slice(data);
        for s in o / 512..end / 512 {
            self.allocated[s] = true;
        }
    }
    /// Sets the end of file (a sparse extension: nothing allocated).
    fn set_len(&mut self, len: u64) {
        self.bytes.resize(us(len), 0);
        self.allocated.resize(us(len) / 512, false);
    }
}

/// Runs the plan of `disk` (sectors, chunks of `chunk` sectors of which those in
/// `absent` are unallocated) into a model file.
fn save_model(
    disk: &[u8],
    chunk: u64,
    absent: &[bool],
    max_data: u64,
    sparse: bool,
) -> (ModelFile, Totals) {
    let sectors = disk.len() as u64 / 512;
    let is_zero = |s: u64| {
        absent[us(s / chunk)] || disk[us(s) * 512..(us(s) + 1) * 512].iter().all(|&b| b == 0)
    };
    let mut file = ModelFile::new();
    let mut totals = Totals::default();
    for step in plan(runs(sectors, max_data, chunk, is_zero), 512, sparse) {
        totals.add(step);
        match step {
            Step::Data { offset, len } => {
                // Never crosses a chunk, never more than the buffer.
                assert!(len > 0 && len <= max_data * 512);
                assert_eq!(offset / (chunk * 512), (offset + len - 1) / (chunk * 512));
                file.write(offset, &disk[us(offset)..us(offset + len)]);
            }
            Step::Zeros { offset, len } => {
                assert!(!sparse);
                file.write(offset, &std::vec![0u8; us(len)]);
            }
            Step::Hole { .. } => assert!(sparse),
        }
    }
    file.set_len(disk.len() as u64);
    (file, totals)
}

proptest! {
    /// The saved file reads back as the disk (an absent chunk reads zeros); with
    /// sparse files only the data runs are allocated, without them every byte is
    /// written; the totals add up.
    #[test]
    fn a_save_plan_writes_the_disk(
        chunks in 1usize..6,
        chunk in prop_oneof![Just(1u64), Just(4), Just(8)],
        seed in proptest::collection::vec((any::<bool>(), any::<u8>()), 1..48),
        absent_bits in any::<u8>(),
        max_data in 1u64..6,
        sparse in any::<bool>(),
    ) {
        let sectors = chunks as u64 * chunk;
        let mut disk = std::vec![0u8; us(sectors) * 512];
        for (s, (zero, b)) in seed.iter().cycle().take(us(sectors)).enumerate() {
            if !zero {
                disk[s * 512 + (usize::from(*b) % 512)] = b | 1;
            }
        }
        let absent: Vec<bool> = (0..chunks).map(|c| absent_bits >> (c % 8) & 1 == 1).collect();
        let mut expect = disk.clone();
        for (c, &gone) in absent.iter().enumerate() {
            if gone {
                let span = c * us(chunk) * 512..(c + 1) * us(chunk) * 512;
                expect[span].fill(0);
            }
        }
        let (file, totals) = save_model(&disk, chunk, &absent, max_data, sparse);
        prop_assert_eq!(&file.bytes, &expect);
        prop_assert_eq!(totals.data_bytes + totals.hole_bytes, disk.len() as u64);
        let nonzero = expect.chunks(512).filter(|s| s.iter().any(|&b| b != 0)).count() as u64;
        prop_assert_eq!(totals.data_bytes, nonzero * 512);
        if sparse {
            let allocated = file.allocated.iter().filter(|&&a| a).count() as u64;
            prop_assert_eq!(allocated * 512, totals.data_bytes);
            prop_assert_eq!(totals.written_bytes, totals.data_bytes);
        } else {
            prop_assert!(file.allocated.iter().all(|&a| a));
            prop_assert_eq!(totals.written_bytes, disk.len() as u64);
        }
    }
}

#[test]
fn an_empty_dynamic_disk_is_one_hole() {
    let steps: Vec<Step> = plan(runs(1 << 24, 2048, 128, |_| true), 512, true).collect();
    assert_eq!(
        steps,
        [Step::Hole {
            offset: 0,
            len: 8 << 30
        }]
    );
    let steps: Vec<Step> = plan(runs(4, 2048, 128, |_| true), 512, false).collect();
    assert_eq!(
        steps,
        [Step::Zeros {
            offset: 0,
            len: 2048
        }]
    );
}
