//! PE checks for a kernel driver image, using the `object` crate's PE reader.

use object::{
    LittleEndian as LE, Object, ObjectSection,
    pe::{
        IMAGE_DIRECTORY_ENTRY_DEBUG, IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE,
        IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY, IMAGE_DLLCHARACTERISTICS_NX_COMPAT,
        IMAGE_FILE_MACHINE_AMD64, IMAGE_SCN_MEM_EXECUTE, IMAGE_SCN_MEM_WRITE,
        IMAGE_SUBSYSTEM_NATIVE, ImageDebugDirectory,
    },
    read::pe::{
        ImageNtHeaders, ImageOptionalHeader, PeFile64, ResourceDirectoryEntryData,
        ResourceDirectoryTable,
    },
};
use ramdisk_core::{
    eventlog::{MESSAGE_TABLE_LANGUAGE, MESSAGE_TABLE_NAME, RT_MESSAGETABLE},
    service::PDB_FILE,
};

/// `IMAGE_DEBUG_TYPE_EX_DLLCHARACTERISTICS` (PE format, "Debug Type"): a debug directory
/// entry whose data is the extended DLL characteristics (the `object` crate has no name
/// for it).
pub const IMAGE_DEBUG_TYPE_EX_DLLCHARACTERISTICS: u32 = 20;
/// `IMAGE_DLLCHARACTERISTICS_EX_CET_COMPAT` (PE format, "Extended DLL Characteristics"):
/// the image is compatible with CET shadow stacks (`/CETCOMPAT`).
pub const IMAGE_DLLCHARACTERISTICS_EX_CET_COMPAT: u32 = 0x0001;

/// DLLs a WDM driver may import from.
pub const ALLOWED_DLLS: &[&str] = &["ntoskrnl.exe", "hal.dll"];
/// Imports whose presence is a defect (see the README), with why.
pub const FORBIDDEN_IMPORTS: &[(&str, &str)] = &[
    (
        "ExAllocatePool2",
        "a Rust-heap allocation path survived linking (and it does not exist before Windows 10 2004)",
    ),
    (
        "__chkstk",
        "a stack frame above 4 KiB needs a stack probe: kernel stacks are small (24 KiB on x64), so the release driver keeps every frame below a page",
    ),
    (
        "IoCreateDeviceSecure",
        "it lives in the static wdmsec.lib on Windows, not in ntoskrnl.exe: the driver would load under Wine (which exports it) and fail to load on Windows",
    ),
];

/// What a passing image looks like, for the log.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per check that held.
    pub facts: Vec<String>,
    /// One line per check that failed.
    pub failures: Vec<String>,
}

impl Report {
    fn check(&mut self, ok: bool, fact: String, failure: impl FnOnce() -> String) {
        if ok {
            self.facts.push(fact);
        } else {
            self.failures.push(failure());
        }
    }
}

/// The standard PE image checksum (as `CheckSumMappedFile` computes it): a 16-bit
/// one's-complement-style sum of the file with the checksum field taken as zero,
/// plus the file length.
pub fn pe_checksum(data: &[u8], checksum_offset: usize) -> u32 {
    let mut sum: u64 = 0;
    for (i, chunk) in data.chunks(2).enumerate() {
        let at = i * 2;
        if at >= checksum_offset && at < checksum_offset + 4 {
            continue;
        }
        let word = u64::from(chunk[0]) | (u64::from(*chunk.get(1).unwrap_or(&0)) << 8);
        sum += word;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum = (sum & 0xffff) + (sum >> 16);
    #[allow(
        clippy::cast_possible_truncation,
        reason = "the total length of a driver image always fits in 32 bits"
    )]
    let total = (sum as u32).wrapping_add(data.len() as u32);
    total
}

/// The extended DLL characteristics: the first 4 bytes of the data of the debug directory
/// entry of type `IMAGE_DEBUG_TYPE_EX_DLLCHARACTERISTICS`, if the image has one.
fn ex_dll_characteristics(pe: &PeFile64<'_>, data: &[u8]) -> Result<Option<u32>, String> {
    let Some(dir) = pe.data_directory(IMAGE_DIRECTORY_ENTRY_DEBUG) else {
        return Ok(None);
    };
    let bytes = dir
        .data(data, &pe.section_table())
        .map_err(|e| e.to_string())?;
    let entries =
        object::pod::slice_from_all_bytes::<ImageDebugDirectory>(bytes).map_err(|()| {
            format!(
                "debug directory size {} is not a whole number of entries",
                bytes.len()
            )
        })?;
    let Some(entry) = entries
        .iter()
        .find(|e| e.typ.get(LE) == IMAGE_DEBUG_TYPE_EX_DLLCHARACTERISTICS)
    else {
        return Ok(None);
    };
    let at = entry.pointer_to_raw_data.get(LE) as usize;
    let value = data
        .get(at..at + 4)
        .filter(|_| entry.size_of_data.get(LE) >= 4)
        .ok_or_else(|| {
            format!("extended DLL characteristics at file offset {at:#x} out of range")
        })?;
    Ok(Some(u32::from_le_bytes(
        value.try_into().map_err(|_| "short read")?,
    )))
}

/// CET shadow-stack compatibility (`/CETCOMPAT`), which lives outside `DllCharacteristics`.
fn check_cet_compat(r: &mut Report, pe: &PeFile64<'_>, data: &[u8]) {
    match ex_dll_characteristics(pe, data) {
        Ok(Some(ex)) => r.check(
            ex & IMAGE_DLLCHARACTERISTICS_EX_CET_COMPAT != 0,
            "CETCOMPAT set (extended DLL characteristics)".into(),
            || format!("extended DLL characteristics {ex:#x} lack CETCOMPAT"),
        ),
        Ok(None) => r
            .failures
            .push("no extended DLL characteristics debug entry: not linked with /CETCOMPAT".into()),
        Err(e) => r.failures.push(format!("unreadable debug directory: {e}")),
    }
}

/// The program database the image names (its `CodeView` debug record) is the shipped
/// one, [`PDB_FILE`], by file name alone (`/PDBALTPATH`): a debugger looks for that
/// name, and no build-machine path is recorded.
fn check_pdb_name(r: &mut Report, pe: &PeFile64<'_>) {
    match pe.pdb_info() {
        Ok(Some(info)) => {
            let path = String::from_utf8_lossy(info.path()).into_owned();
            r.check(
                path == PDB_FILE,
                format!("debug record names {PDB_FILE}"),
                || format!("debug record names {path:?}, not {PDB_FILE} (/PDBALTPATH)"),
            );
        }
        Ok(None) => r
            .failures
            .push("no CodeView debug record (no PDB named)".into()),
        Err(e) => r
            .failures
            .push(format!("unreadable CodeView debug record: {e}")),
    }
}

/// The message table's bytes in the image: resource type `RT_MESSAGETABLE`, name 1,
/// language 0x0409 (the path `FindResourceEx` walks), if present.
fn message_table<'a>(pe: &PeFile64<'a>, data: &'a [u8]) -> Result<Option<&'a [u8]>, String> {
    let sections = pe.section_table();
    let Some(rsrc) = pe
        .data_directories()
        .resource_directory(data, &sections)
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let level = |table: ResourceDirectoryTable<'a>, id: u16| {
        table
            .entries
            .iter()
            .find(|e| e.name_or_id().id() == Some(id))
            .map(|e| e.data(rsrc).map_err(|e| e.to_string()))
            .transpose()
    };
    let root = rsrc.root().map_err(|e| e.to_string())?;
    let Some(by_name) = level(root, RT_MESSAGETABLE)?.and_then(ResourceDirectoryEntryData::table)
    else {
        return Ok(None);
    };
    let Some(by_language) =
        level(by_name, MESSAGE_TABLE_NAME)?.and_then(ResourceDirectoryEntryData::table)
    else {
        return Ok(None);
    };
    let Some(entry) =
        level(by_language, MESSAGE_TABLE_LANGUAGE)?.and_then(ResourceDirectoryEntryData::data)
    else {
        return Ok(None);
    };
    let bytes = sections
        .pe_data_at(data, entry.offset_to_data.get(LE))
        .and_then(|b| b.get(..entry.size.get(LE) as usize))
        .ok_or("the message table's data is outside the image")?;
    Ok(Some(bytes))
}

/// The image carries exactly the message table `ramdisk-core` encodes (the texts of its
/// System event-log entries, which Event Viewer reads through `EventMessageFile`).
fn check_message_table(r: &mut Report, pe: &PeFile64<'_>, data: &[u8]) {
    let mut want = [0u8; 2048];
    let Some(len) = ramdisk_core::eventlog::message_table(&mut want) else {
        r.failures
            .push("ramdisk-core cannot encode its message table".into());
        return;
    };
    match message_table(pe, data) {
        Ok(Some(found)) => r.check(
            found == &want[..len],
            format!(
                "message table ({} messages, {len} bytes) as ramdisk-core encodes it",
                ramdisk_core::eventlog::MESSAGES.len()
            ),
            || {
                format!(
                    "the message table ({} bytes) differs from ramdisk-core's",
                    found.len()
                )
            },
        ),
        Ok(None) => r
            .failures
            .push("no RT_MESSAGETABLE 1 (0x0409) resource: the event log has no texts".into()),
        Err(e) => r
            .failures
            .push(format!("unreadable resource directory: {e}")),
    }
}

/// Entry point = the `DriverEntry` export; imports only from ntoskrnl.exe / hal.dll,
/// none forbidden.
fn check_entry_and_imports(r: &mut Report, pe: &PeFile64<'_>, entry: u64) {
    // Entry point = the DriverEntry export.
    match pe.exports() {
        Ok(exports) => {
            let driver_entry = exports.iter().find(|e| e.name() == b"DriverEntry");
            match driver_entry {
                Some(e) => r.check(
                    e.address() == entry,
                    "entry point = DriverEntry export".into(),
                    || {
                        format!(
                            "entry point {entry:#x} is not DriverEntry ({:#x})",
                            e.address()
                        )
                    },
                ),
                None => r.failures.push("no DriverEntry export".into()),
            }
        }
        Err(e) => r.failures.push(format!("unreadable export table: {e}")),
    }

    // Imports: only ntoskrnl.exe / hal.dll, none forbidden.
    match pe.imports() {
        Ok(imports) => {
            let mut libs: Vec<String> = imports
                .iter()
                .map(|i| String::from_utf8_lossy(i.library()).to_ascii_lowercase())
                .collect();
            libs.sort();
            libs.dedup();
            let all_allowed = libs.iter().all(|l| ALLOWED_DLLS.contains(&l.as_str()));
            r.check(
                all_allowed && !libs.is_empty(),
                format!("{} imports, only from {}", imports.len(), libs.join(", ")),
                || format!("imports from {libs:?}; only {ALLOWED_DLLS:?} are allowed"),
            );
            for (forbidden, why) in FORBIDDEN_IMPORTS {
                let found = imports.iter().any(|i| i.name() == forbidden.as_bytes());
                r.check(!found, format!("no {forbidden} import"), || {
                    format!("imports {forbidden}: {why}")
                });
            }
        }
        Err(e) => r.failures.push(format!("unreadable import table: {e}")),
    }
}

/// No section both writable and executable.
fn check_sections(r: &mut Report, pe: &PeFile64<'_>) {
    // No section both writable and executable.
    for section in pe.sections() {
        let flags = match section.flags() {
            object::SectionFlags::Coff { characteristics } => characteristics,
            _ => 0,
        };
        let wx = flags & IMAGE_SCN_MEM_WRITE != 0 && flags & IMAGE_SCN_MEM_EXECUTE != 0;
        if wx {
            r.failures.push(format!(
                "section {} is writable and executable",
                section.name().unwrap_or("?")
            ));
        }
    }
    if !r
        .failures
        .iter()
        .any(|f| f.contains("writable and executable"))
    {
        r.facts.push("no W+X section".into());
    }
}

/// Runs every driver check; `failures` is empty when the image is a well-formed driver.
pub fn check_driver(data: &[u8]) -> Report {
    let mut r = Report::default();
    let pe = match PeFile64::parse(data) {
        Ok(pe) => pe,
        Err(e) => {
            r.failures.push(format!("not a PE32+ image: {e}"));
            return r;
        }
    };
    let nt = pe.nt_headers();
    let machine = nt.file_header().machine.get(LE);
    r.check(
        machine == IMAGE_FILE_MACHINE_AMD64,
        "machine AMD64".into(),
        || format!("machine is {machine:#06x}, not AMD64"),
    );
    let opt = nt.optional_header();
    let subsystem = opt.subsystem();
    r.check(
        subsystem == IMAGE_SUBSYSTEM_NATIVE,
        "subsystem NATIVE".into(),
        || format!("subsystem is {subsystem}, not NATIVE (1)"),
    );
    let dllch = opt.dll_characteristics();
    for (flag, name) in [
        (IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE, "DYNAMIC_BASE"),
        (IMAGE_DLLCHARACTERISTICS_NX_COMPAT, "NX_COMPAT"),
        (IMAGE_DLLCHARACTERISTICS_FORCE_INTEGRITY, "FORCE_INTEGRITY"),
    ] {
        r.check(dllch & flag != 0, format!("{name} set"), || {
            format!("DllCharacteristics {dllch:#06x} lacks {name}")
        });
    }

    check_cet_compat(&mut r, &pe, data);
    check_pdb_name(&mut r, &pe);
    check_message_table(&mut r, &pe, data);

    let entry = u64::from(opt.address_of_entry_point()) + opt.image_base();
    check_entry_and_imports(&mut r, &pe, entry);
    check_sections(&mut r, &pe);

    // Checksum: present and correct.
    let e_lfanew = u32::from_le_bytes([data[0x3c], data[0x3d], data[0x3e], data[0x3f]]) as usize;
    let checksum_offset = e_lfanew + 4 + 20 + 64;
    let stored = opt.check_sum();
    let computed = pe_checksum(data, checksum_offset);
    r.check(
        stored != 0 && stored == computed,
        format!("PE checksum {stored:#010x} valid"),
        || format!("PE checksum {stored:#010x} wrong (computed {computed:#010x})"),
    );
    r
}

#[cfg(test)]
mod tests {
    //! The real-driver tests need the cross-built `rustramdisk.sys` (and mingw-w64 for a
    //! user-mode counter-example); `cargo xtask test` builds both and runs them with
    //! `--include-ignored`. In a plain `cargo test` they are reported as ignored.
    use std::{path::PathBuf, process::Command};

    use super::*;

    fn driver() -> Vec<u8> {
        let path = std::env::var_os("RAMDISK_SYS").map(PathBuf::from).expect(
            "RAMDISK_SYS must name the cross-built rustramdisk.sys (cargo xtask test sets it)",
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    fn failures_of(data: &[u8]) -> Vec<String> {
        check_driver(data).failures
    }

    fn assert_fails_with(data: &[u8], needle: &str) {
        let f = failures_of(data);
        assert!(
            f.iter().any(|m| m.contains(needle)),
            "expected a failure mentioning {needle:?}, got {f:?}"
        );
    }

    fn opt_offset(data: &[u8]) -> usize {
        u32::from_le_bytes([data[0x3c], data[0x3d], data[0x3e], data[0x3f]]) as usize + 24
    }

    fn replace(data: &mut [u8], from: &[u8], to: &[u8]) {
        assert_eq!(from.len(), to.len());
        let at = data
            .windows(from.len())
            .position(|w| w == from)
            .unwrap_or_else(|| panic!("{:?} not in image", String::from_utf8_lossy(from)));
        data[at..at + to.len()].copy_from_slice(to);
    }

    #[test]
    fn checksum_of_known_bytes() {
        // 4 bytes of data: words 0x0201 + 0x0403 = 0x0604, plus length 4.
        assert_eq!(pe_checksum(&[1, 2, 3, 4], 100), 0x0608);
        // The checksum field itself is skipped.
        assert_eq!(pe_checksum(&[1, 2, 0xff, 0xff, 0xff, 0xff], 2), 0x0201 + 6);
        // Carries fold back into 16 bits.
        assert_eq!(pe_checksum(&[0xff, 0xff, 0x02, 0x00], 100), 0x0002 + 4);
    }

    #[test]
    fn garbage_is_rejected() {
        assert_fails_with(b"MZ not really a PE file at all", "not a PE32+ image");
    }

    #[test]
    #[ignore = "needs the cross-built rustramdisk.sys: run by cargo xtask test"]
    fn real_driver_passes() {
        let r = check_driver(&driver());
        assert!(r.failures.is_empty(), "{:?}", r.failures);
        assert!(r.facts.len() >= 10, "{:?}", r.facts);
        assert!(
            r.facts.iter().any(|f| f.contains("CETCOMPAT")),
            "{:?}",
            r.facts
        );
    }

    #[test]
    #[ignore = "needs the cross-built rustramdisk.sys: run by cargo xtask test"]
    fn each_broken_field_is_caught() {
        let good = driver();
        let opt = opt_offset(&good);

        let mut d = good.clone();
        d[opt + 68] = 3; // Subsystem = WINDOWS_CUI
        assert_fails_with(&d, "subsystem");

        for (bit, name) in [
            (0x40u16, "DYNAMIC_BASE"),
            (0x100, "NX_COMPAT"),
            (0x80, "FORCE_INTEGRITY"),
        ] {
            let mut d = good.clone();
            let v = u16::from_le_bytes([d[opt + 70], d[opt + 71]]) & !bit;
            d[opt + 70..opt + 72].copy_from_slice(&v.to_le_bytes());
            assert_fails_with(&d, name);
        }

        // CETCOMPAT: clear the bit in the extended DLL characteristics, then drop the
        // debug entry that carries them (its type becomes IMAGE_DEBUG_TYPE_UNKNOWN).
        let pe = PeFile64::parse(&*good).unwrap();
        let dir = pe.data_directory(IMAGE_DIRECTORY_ENTRY_DEBUG).unwrap();
        let (dir_at, dir_len) = dir.file_range(&pe.section_table()).unwrap();
        let entry_at = (dir_at as usize..(dir_at + dir_len) as usize)
            .step_by(28)
            .find(|&at| {
                u32::from_le_bytes(good[at + 12..at + 16].try_into().unwrap())
                    == IMAGE_DEBUG_TYPE_EX_DLLCHARACTERISTICS
            })
            .expect("the driver has an extended DLL characteristics debug entry");
        let data_at =
            u32::from_le_bytes(good[entry_at + 24..entry_at + 28].try_into().unwrap()) as usize;
        let mut d = good.clone();
        d[data_at] &= !1; // IMAGE_DLLCHARACTERISTICS_EX_CET_COMPAT
        assert_fails_with(&d, "lack CETCOMPAT");
        let mut d = good.clone();
        d[entry_at + 12..entry_at + 16].copy_from_slice(&0u32.to_le_bytes());
        assert_fails_with(&d, "not linked with /CETCOMPAT");

        // The message table: one byte of its text changed.
        let mut d = good.clone();
        let text: Vec<u8> = "RAM disk %2 created"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut other = text.clone();
        other[0] = b'W';
        replace(&mut d, &text, &other);
        assert_fails_with(&d, "message table");

        // The PDB the image names.
        let mut d = good.clone();
        replace(&mut d, b"rustramdisk.pdb\0", b"rustramdisk.pdx\0");
        assert_fails_with(&d, "not rustramdisk.pdb");

        let mut d = good.clone();
        d[opt + 16] ^= 0x10; // AddressOfEntryPoint moved
        assert_fails_with(&d, "entry point");

        let mut d = good.clone();
        d[opt + 64] ^= 1; // CheckSum
        assert_fails_with(&d, "PE checksum");

        let mut d = good.clone();
        d[opt - 20] = 0x4c; // Machine = i386 (0x014c)
        d[opt - 19] = 0x01;
        assert_fails_with(&d, "machine");

        let mut d = good.clone();
        replace(&mut d, b"ntoskrnl.exe", b"kernel32.dll");
        assert_fails_with(&d, "imports from");

        // Rename the first import whose name is long enough to each forbidden one.
        for (forbidden, _) in FORBIDDEN_IMPORTS {
            let long_name = PeFile64::parse(&*good)
                .unwrap()
                .imports()
                .unwrap()
                .iter()
                .map(|i| i.name().to_vec())
                .find(|n| n.len() >= forbidden.len())
                .expect("the driver imports a function with a name at least as long");
            let mut from = long_name;
            from.push(0);
            let mut to = forbidden.as_bytes().to_vec();
            to.resize(from.len(), 0);
            let mut d = good.clone();
            replace(&mut d, &from, &to);
            assert_fails_with(&d, &format!("imports {forbidden}"));
        }

        // Make the first section writable and executable.
        let mut d = good;
        let sections = opt + usize::from(u16::from_le_bytes([d[opt - 4], d[opt - 3]]));
        let ch = sections + 36;
        let v = u32::from_le_bytes(d[ch..ch + 4].try_into().unwrap())
            | IMAGE_SCN_MEM_WRITE
            | IMAGE_SCN_MEM_EXECUTE;
        d[ch..ch + 4].copy_from_slice(&v.to_le_bytes());
        assert_fails_with(&d, "writable and executable");
    }

    #[test]
    #[ignore = "needs mingw-w64 (x86_64-w64-mingw32-gcc): run by cargo xtask test"]
    fn user_mode_program_is_rejected() {
        let dir = std::env::temp_dir().join(format!("ramdisk-pe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = dir.join("hello.c");
        std::fs::write(&c, "int main(void) { return 0; }\n").unwrap();
        let exe = dir.join("hello.exe");
        let status = Command::new("x86_64-w64-mingw32-gcc")
            .arg(&c)
            .arg("-o")
            .arg(&exe)
            .status()
            .expect("x86_64-w64-mingw32-gcc missing: apt-get install mingw-w64");
        assert!(status.success());
        let data = std::fs::read(&exe).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let f = failures_of(&data);
        assert!(f.iter().any(|m| m.contains("subsystem")), "{f:?}");
        assert!(f.iter().any(|m| m.contains("imports from")), "{f:?}");
        assert!(f.iter().any(|m| m.contains("DriverEntry")), "{f:?}");
        assert!(f.iter().any(|m| m.contains("CETCOMPAT")), "{f:?}");
        assert!(f.iter().any(|m| m.contains("RT_MESSAGETABLE")), "{f:?}");
    }
}
