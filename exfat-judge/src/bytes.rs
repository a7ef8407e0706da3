//! Byte-level assertions: what the specification requires of a freshly formatted
//! volume that no checker looks at.
//!
//! Written against the specification's text here, independently of ramdisk-core's
//! formatter (own offsets, own checksum loop).
//! [`check_boot_regions`] holds for any volume (the kernel changes nothing there but
//! `VolumeFlags` and `PercentInUse`, which the checksum skips); [`check_fresh`] adds
//! what a fresh format leaves: `VolumeFlags` 0, the root directory's three entries in
//! order, the FAT chains, the bitmap bits and `PercentInUse`.

use std::{fs::File, os::unix::fs::FileExt, path::Path};

use anyhow::{Context, Result};

/// The boot checksum of section 3.4 (Figure 1), over the eleven sectors in `region`:
/// rotate right by one, add the byte, skipping bytes 106, 107 and 112.
#[must_use]
pub fn boot_checksum(region: &[u8]) -> u32 {
    let mut sum: u32 = 0;
    for (i, &b) in region.iter().enumerate() {
        if matches!(i, 106 | 107 | 112) {
            continue;
        }
        sum = sum.rotate_right(1).wrapping_add(u32::from(b));
    }
    sum
}

/// The `TableChecksum` of section 7.2.2.
#[must_use]
pub fn table_checksum(table: &[u8]) -> u32 {
    table.iter().fold(0u32, |sum, &b| {
        sum.rotate_right(1).wrapping_add(u32::from(b))
    })
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]))
}

fn read(file: &File, offset: u64, len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, offset)
        .with_context(|| format!("read {len} bytes at {offset}"))?;
    Ok(buf)
}

/// The geometry the boot sector gives.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    bps: usize,
    cluster: u64,
    fat_offset: u64,
    heap: u64,
    count: u32,
    root: u32,
}

impl Geometry {
    fn of(boot: &[u8]) -> Option<Self> {
        let bps_shift = boot[108];
        let spc_shift = boot[109];
        if !(9..=12).contains(&bps_shift) || spc_shift > 25 - bps_shift {
            return None;
        }
        let bps = 1usize << bps_shift;
        Some(Self {
            bps,
            cluster: (bps as u64) << spc_shift,
            fat_offset: u64::from(le32(boot, 80)) * bps as u64,
            heap: u64::from(le32(boot, 88)) * bps as u64,
            count: le32(boot, 92),
            root: le32(boot, 96),
        })
    }

    fn cluster_at(&self, cluster: u32) -> u64 {
        self.heap + u64::from(cluster.saturating_sub(2)) * self.cluster
    }
}

/// The boot sector's fields against section 3.1 (and the disk's `size`).
fn boot_sector_fields(b: &[u8], size: u64) -> Vec<String> {
    let bps = b.len();
    let mut p = Vec::new();
    if b[..3] != [0xEB, 0x76, 0x90] {
        p.push(format!("JumpBoot {:02X?}", &b[..3]));
    }
    if &b[3..11] != b"EXFAT   " {
        p.push(format!(
            "FileSystemName {:?}",
            String::from_utf8_lossy(&b[3..11])
        ));
    }
    if b[11..64].iter().any(|&x| x != 0) {
        p.push("MustBeZero is not all zero".into());
    }
    if le64(b, 64) != 0 {
        p.push(format!("PartitionOffset {}", le64(b, 64)));
    }
    if le64(b, 72) * bps as u64 != size {
        p.push(format!(
            "VolumeLength {} sectors is not the disk ({size} bytes)",
            le64(b, 72)
        ));
    }
    if le16(b, 104) != 0x0100 {
        p.push(format!("FileSystemRevision {:04X}h", le16(b, 104)));
    }
    if b[110] != 1 {
        p.push(format!("NumberOfFats {}", b[110]));
    }
    if b[111] != 0x80 {
        p.push(format!("DriveSelect {:02X}h", b[111]));
    }
    if b[113..120].iter().any(|&x| x != 0) {
        p.push("the Reserved bytes 113..120 are not zero".into());
    }
    if let Some(i) = b[120..510].iter().position(|&x| x != 0xF4) {
        p.push(format!(
            "BootCode byte {} is {:02X}h, not F4h",
            120 + i,
            b[120 + i]
        ));
    }
    if b[510..512] != [0x55, 0xAA] {
        p.push("BootSignature is not AA55h".into());
    }
    if b[512..].iter().any(|&x| x != 0) {
        p.push("the boot sector's excess space is not zero".into());
    }
    if le32(b, 80) < 24 {
        p.push(format!(
            "FatOffset {} is inside the boot regions",
            le32(b, 80)
        ));
    }
    p
}

/// Problems with both boot regions (empty: none).
///
/// # Errors
/// When the image cannot be read.
pub fn check_boot_regions(img: &Path) -> Result<Vec<String>> {
    let file = File::open(img).with_context(|| format!("open {}", img.display()))?;
    let size = file.metadata()?.len();
    let head = read(&file, 0, 512)?;
    let mut p = Vec::new();
    let Some(g) = Geometry::of(&head) else {
        p.push(format!(
            "BytesPerSectorShift {} / SectorsPerClusterShift {} out of range",
            head[108], head[109]
        ));
        return Ok(p);
    };
    let bps = g.bps;
    let main = read(&file, 0, 12 * bps)?;
    let backup = read(&file, 12 * bps as u64, 12 * bps)?;
    p.extend(boot_sector_fields(&main[..bps], size));
    for s in 1..=8 {
        let sector = &main[s * bps..(s + 1) * bps];
        if sector[bps - 4..] != [0x00, 0x00, 0x55, 0xAA] {
            p.push(format!(
                "extended boot sector {s}: signature {:02X?}, not AA550000h",
                &sector[bps - 4..]
            ));
        }
        if sector[..bps - 4].iter().any(|&x| x != 0) {
            p.push(format!(
                "extended boot sector {s}: ExtendedBootCode is not zero"
            ));
        }
    }
    if main[9 * bps..10 * bps].iter().any(|&x| x != 0) {
        p.push("the OEM parameters sector is not ten Null Parameters (zero)".into());
    }
    if main[10 * bps..11 * bps].iter().any(|&x| x != 0) {
        p.push("the reserved sector is not zero".into());
    }
    let sum = boot_checksum(&main[..11 * bps]);
    if main[11 * bps..]
        .chunks_exact(4)
        .any(|w| w != sum.to_le_bytes())
    {
        p.push(format!(
            "the boot checksum sector does not repeat {sum:08X}h (first word {:08X}h)",
            le32(&main, 11 * bps)
        ));
    }
    // The backup's VolumeFlags and PercentInUse are stale by definition (section 3.1).
    let mut stale = backup;
    for at in [106, 107, 112] {
        stale[at] = main[at];
    }
    if stale != main {
        let first = stale
            .iter()
            .zip(&main)
            .position(|(a, c)| a != c)
            .unwrap_or(0);
        p.push(format!(
            "the backup boot region differs from the main one (first at byte {first})"
        ));
    }
    Ok(p)
}

/// Problems with a freshly formatted image (empty: none).
///
/// [`check_boot_regions`], and `VolumeFlags` 0, the FAT's first entries and chains,
/// the root directory's label, bitmap and up-case entries in that order and nothing
/// after them, the up-case table's checksum, the bitmap's bits and `PercentInUse`.
///
/// # Errors
/// When the image cannot be read.
pub fn check_fresh(img: &Path) -> Result<Vec<String>> {
    let mut p = check_boot_regions(img)?;
    if !p.is_empty() {
        return Ok(p);
    }
    let file = File::open(img)?;
    let b = read(&file, 0, 512)?;
    let Some(g) = Geometry::of(&b) else {
        return Ok(p);
    };
    if le16(&b, 106) != 0 {
        p.push(format!(
            "VolumeFlags {:04X}h after formatting",
            le16(&b, 106)
        ));
    }
    p.extend(check_allocations(&file, &g, &b)?);
    Ok(p)
}

/// The allocation bitmap of a fresh volume: exactly the first `used` bits set.
fn check_bitmap(file: &File, g: &Geometry, first: u32, len: u64, used: u64) -> Result<Vec<String>> {
    let mut p = Vec::new();
    let bits = read(file, g.cluster_at(first), usize::try_from(len)?)?;
    for (i, byte) in bits.iter().enumerate() {
        for bit in 0..8 {
            let n = 8 * i as u64 + bit;
            let set = byte >> bit & 1 == 1;
            if set != (n < used) {
                p.push(format!(
                    "bitmap bit {n} is {}, the format uses clusters 2..{}",
                    u8::from(set),
                    2 + used
                ));
                break;
            }
        }
    }
    Ok(p)
}

/// The FAT, the root directory's first entries, the up-case table, the bitmap and
/// `PercentInUse` of a fresh volume.
fn check_allocations(file: &File, g: &Geometry, b: &[u8]) -> Result<Vec<String>> {
    let mut p = Vec::new();
    let fat_entry = |i: u32| -> Result<u32> {
        let w = read(file, g.fat_offset + 4 * u64::from(i), 4)?;
        Ok(le32(&w, 0))
    };
    if fat_entry(0)? != 0xFFFF_FFF8 || fat_entry(1)? != 0xFFFF_FFFF {
        p.push(format!(
            "FatEntry[0..2] {:08X}h {:08X}h",
            fat_entry(0)?,
            fat_entry(1)?
        ));
    }
    let root_len = usize::try_from(g.cluster.min(4096)).unwrap_or(512);
    let root = read(file, g.cluster_at(g.root), root_len)?;
    let entry = |i: usize| &root[32 * i..32 * (i + 1)];
    let label = entry(0);
    if label[0] != 0x83 || label[1] > 11 || label[24..].iter().any(|&x| x != 0) {
        p.push(format!(
            "root entry 0 is not a Volume Label entry (type {:02X}h, {} characters)",
            label[0], label[1]
        ));
    }
    let bitmap = entry(1);
    let bitmap_len = le64(bitmap, 24);
    if bitmap[0] != 0x81 || bitmap[1] != 0 || bitmap[2..20].iter().any(|&x| x != 0) {
        p.push(format!(
            "root entry 1 is not the first Allocation Bitmap (type {:02X}h)",
            bitmap[0]
        ));
    }
    if bitmap_len != u64::from(g.count).div_ceil(8) {
        p.push(format!(
            "the bitmap is {bitmap_len} bytes, not ⌈{} / 8⌉",
            g.count
        ));
    }
    let upcase = entry(2);
    if upcase[0] != 0x82 || le32(upcase, 4) != 0xE619_D30D || le64(upcase, 24) != 5836 {
        p.push(format!(
            "root entry 2 is not the recommended Up-case Table (type {:02X}h, checksum {:08X}h, {} bytes)",
            upcase[0],
            le32(upcase, 4),
            le64(upcase, 24)
        ));
    }
    if root_len > 96 && entry(3)[0] != 0 {
        p.push(format!(
            "root entry 3 is type {:02X}h, not the end of the directory",
            entry(3)[0]
        ));
    }
    let table = read(file, g.cluster_at(le32(upcase, 20)), 5836)?;
    if table_checksum(&table) != 0xE619_D30D {
        p.push(format!(
            "the up-case table's bytes sum to {:08X}h",
            table_checksum(&table)
        ));
    }
    // Chains: bitmap, up-case table, root directory, each contiguous.
    let cluster = |bytes: u64| u32::try_from(bytes.div_ceil(g.cluster)).unwrap_or(u32::MAX);
    let allocations = [
        (le32(bitmap, 20), cluster(bitmap_len)),
        (le32(upcase, 20), cluster(5836)),
        (g.root, 1),
    ];
    let mut used = 0u64;
    for (first, n) in allocations {
        for c in first..first + n {
            let want = if c + 1 == first + n {
                0xFFFF_FFFF
            } else {
                c + 1
            };
            if fat_entry(c)? != want {
                p.push(format!(
                    "FatEntry[{c}] is {:08X}h, want {want:08X}h",
                    fat_entry(c)?
                ));
            }
        }
        used += u64::from(n);
    }
    if fat_entry(2 + u32::try_from(used).unwrap_or(0))? != 0 {
        p.push("the FAT entry after the metadata chains is not free".into());
    }
    p.extend(check_bitmap(file, g, le32(bitmap, 20), bitmap_len, used)?);
    let percent = used * 100 / u64::from(g.count.max(1));
    if u64::from(b[112]) != percent {
        p.push(format!("PercentInUse {} is not {percent}", b[112]));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_the_specifications_figures() {
        // Figure 1 as printed: ((sum & 1) ? 0x80000000 : 0) + (sum >> 1) + byte.
        let data: Vec<u8> = (0..=255u8).cycle().take(5632).collect();
        let mut want: u32 = 0;
        for (i, &b) in data.iter().enumerate() {
            if i == 106 || i == 107 || i == 112 {
                continue;
            }
            want = (if want & 1 == 1 { 0x8000_0000u32 } else { 0 })
                .wrapping_add(want >> 1)
                .wrapping_add(u32::from(b));
        }
        assert_eq!(boot_checksum(&data), want);
        assert_eq!(
            table_checksum(&ramdisk_core::exfat::upcase::BYTES),
            0xE619_D30D
        );
    }
}
