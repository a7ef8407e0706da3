//! The suite's window into a mount manager (the tests' double, or Wine's):
//! `QUERY_POINTS` by device name, `QUERY_DOS_VOLUME_PATH`, and the double's
//! transcript. Requests are built by hand from Microsoft's `mountmgr.h` layouts (x64):
//! windows-sys has no mount-manager definitions, and neither ramdisk-core's nor the
//! double's code is used, so each side checks the others.

use std::fmt::Write as _;

use ramdiskctl::device::Device;

/// `CTL_CODE(MOUNTMGRCONTROLTYPE, 2, METHOD_BUFFERED, FILE_ANY_ACCESS)`.
const IOCTL_MOUNTMGR_QUERY_POINTS: u32 = 0x006D_0008;
/// `CTL_CODE(MOUNTMGRCONTROLTYPE, 12, METHOD_BUFFERED, FILE_ANY_ACCESS)`.
const IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH: u32 = 0x006D_0030;
/// The double's test IOCTL: `CTL_CODE(FILE_DEVICE_UNKNOWN, 0xBF8, METHOD_BUFFERED,
/// FILE_ANY_ACCESS)`.
const IOCTL_RAMDISK_TEST_MM_TRANSCRIPT: u32 = 0x0022_2FE0;
/// `sizeof(MOUNTMGR_MOUNT_POINT)`.
const MOUNT_POINT: usize = 24;
/// `ERROR_MORE_DATA`.
const ERROR_MORE_DATA: u32 = 234;

fn utf16_le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn text_of(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn u32_at(b: &[u8], at: usize) -> usize {
    b.get(at..at + 4)
        .map_or(0, |x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as usize)
}

fn u16_at(b: &[u8], at: usize) -> usize {
    b.get(at..at + 2)
        .map_or(0, |x| usize::from(u16::from_le_bytes([x[0], x[1]])))
}

/// Sends `code`, growing the output after `ERROR_MORE_DATA` (up to 1 MiB); returns
/// the reply bytes or the Win32 error.
fn ask(manager: &Device, code: u32, input: &[u8], mut len: usize) -> Result<Vec<u8>, u32> {
    loop {
        let mut out = vec![0u8; len];
        let r = manager.ioctl(code, input, &mut out);
        match r.error {
            None => {
                out.truncate(r.bytes);
                return Ok(out);
            }
            Some(ERROR_MORE_DATA) if len < 1 << 20 => len *= 4,
            Some(e) => return Err(e),
        }
    }
}

/// `mm-points DEVICE_NAME`: one line per point the manager lists for the NT device
/// `device` (`point link=... device=... uid=<hex>`), then `count=N`; or `error=N`.
pub fn points(manager: &Device, device: &str) {
    let name = utf16_le(device);
    let mut input = vec![0u8; MOUNT_POINT];
    input[16..20].copy_from_slice(&24u32.to_le_bytes()); // DeviceNameOffset
    input[20..22].copy_from_slice(&u16::try_from(name.len()).unwrap_or(0).to_le_bytes());
    input.extend(&name);
    match ask(manager, IOCTL_MOUNTMGR_QUERY_POINTS, &input, 64) {
        Ok(reply) => {
            let count = u32_at(&reply, 4);
            for i in 0..count {
                let e = 8 + i * MOUNT_POINT;
                let field = |off: usize, len: usize| {
                    let (o, l) = (u32_at(&reply, e + off), u16_at(&reply, e + len));
                    reply.get(o..o + l).unwrap_or(&[]).to_vec()
                };
                let uid = field(8, 12).iter().fold(String::new(), |mut s, b| {
                    let _ = write!(s, "{b:02x}");
                    s
                });
                println!(
                    "point link={} device={} uid={uid}",
                    text_of(&field(0, 4)),
                    text_of(&field(16, 20))
                );
            }
            println!("count={count}");
        }
        Err(e) => println!("error={e}"),
    }
}

/// `mm-dos-path DEVICE_NAME`: `path=<first path>`, or `error=N`.
pub fn dos_path(manager: &Device, device: &str) {
    let name = utf16_le(device);
    let mut input = u16::try_from(name.len())
        .unwrap_or(0)
        .to_le_bytes()
        .to_vec();
    input.extend(&name);
    match ask(manager, IOCTL_MOUNTMGR_QUERY_DOS_VOLUME_PATH, &input, 8) {
        Ok(reply) => {
            let n = u32_at(&reply, 0).min(reply.len().saturating_sub(4));
            let multi = text_of(reply.get(4..4 + n).unwrap_or(&[]));
            println!("path={}", multi.split('\0').next().unwrap_or(""));
        }
        Err(e) => println!("error={e}"),
    }
}

/// `mm-transcript`: the double's transcript, as it is.
pub fn transcript(manager: &Device) {
    match ask(manager, IOCTL_RAMDISK_TEST_MM_TRANSCRIPT, &[], 64 << 10) {
        Ok(reply) => print!("{}", String::from_utf8_lossy(&reply)),
        Err(e) => println!("error={e}"),
    }
}
