//! The tally of checks and the helpers every group of checks uses: expected
//! outcomes, struct decoding, raw IOCTLs, the fixed-size reply protocol.

use std::mem::size_of;

use ramdiskctl::device::{Device, IoResult};

pub const ERROR_INVALID_FUNCTION: u32 = 1;
pub const ERROR_NOT_SUPPORTED: u32 = 50;
pub const ERROR_INVALID_PARAMETER: u32 = 87;
pub const ERROR_INSUFFICIENT_BUFFER: u32 = 122;
pub const ERROR_MORE_DATA: u32 = 234;

pub const SECTOR: usize = 512;

#[derive(Default)]
pub struct Tally {
    pub passed: u32,
    pub failed: u32,
}

impl Tally {
    pub fn case(&mut self, name: &str, r: Result<String, String>) {
        match r {
            Ok(note) if note.is_empty() => {
                self.passed += 1;
                println!("PASS {name}");
            }
            Ok(note) => {
                self.passed += 1;
                println!("PASS {name} ({note})");
            }
            Err(why) => {
                self.failed += 1;
                println!("FAIL {name}: {why}");
            }
        }
    }
}

pub fn show(r: IoResult) -> String {
    r.error.map_or_else(
        || format!("success, {} bytes", r.bytes),
        |e| {
            format!(
                "error {e} ({}), {} bytes",
                ramdiskctl::error::win32_text(e),
                r.bytes
            )
        },
    )
}

pub fn want_ok(r: IoResult, bytes: usize) -> Result<(), String> {
    if r.error.is_none() && r.bytes == bytes {
        Ok(())
    } else {
        Err(format!("want success with {bytes} bytes, got {}", show(r)))
    }
}

pub fn want_err(r: IoResult, code: u32, bytes: usize) -> Result<(), String> {
    if r.error == Some(code) && r.bytes == bytes {
        Ok(())
    } else {
        Err(format!(
            "want error {code} with {bytes} bytes, got {}",
            show(r)
        ))
    }
}

pub fn decode<T: Copy>(buf: &[u8]) -> T {
    assert!(buf.len() >= size_of::<T>());
    // SAFETY: the buffer holds at least size_of::<T>() bytes of a plain C struct.
    unsafe { std::ptr::read_unaligned(buf.as_ptr().cast::<T>()) }
}

pub fn bytes_of<T>(v: &T) -> Vec<u8> {
    // SAFETY: reading the bytes of a plain C struct (padding is zero-initialised
    // by the callers, which build values from `zeroed()`).
    unsafe { std::slice::from_raw_parts(std::ptr::from_ref(v).cast::<u8>(), size_of::<T>()) }
        .to_vec()
}

pub fn ioctl(dev: &Device, code: u32, input: &[u8], out_len: usize) -> (IoResult, Vec<u8>) {
    let mut out = vec![0xCCu8; out_len];
    let r = dev.ioctl(code, input, &mut out);
    (r, out)
}

/// A fixed-size reply: exact size works, one byte less fails with 122 and 0 bytes.
pub fn fixed<T: Copy>(
    t: &mut Tally,
    dev: &Device,
    name: &str,
    code: u32,
    check: impl FnOnce(&T) -> Result<String, String>,
) {
    let n = size_of::<T>();
    let (r, out) = ioctl(dev, code, &[], n);
    t.case(
        &format!("{name} with {n} bytes"),
        want_ok(r, n).and_then(|()| check(&decode::<T>(&out))),
    );
    let (r, _) = ioctl(dev, code, &[], n - 1);
    t.case(
        &format!("{name} with {} bytes -> ERROR_INSUFFICIENT_BUFFER", n - 1),
        want_err(r, ERROR_INSUFFICIENT_BUFFER, 0).map(|()| String::new()),
    );
}

/// Opens `path` for reading and writing and reads its length, which must be at least
/// `min_len`; a failure is recorded as a failed check (and gives `None`).
pub fn open(t: &mut Tally, path: &str, min_len: u64) -> Option<(Device, u64)> {
    let dev = match Device::open(path, true) {
        Ok(d) => d,
        Err(e) => {
            t.case(&format!("open {path}"), Err(e.to_string()));
            return None;
        }
    };
    match dev.length() {
        Ok(l) if l >= min_len => Some((dev, l)),
        Ok(l) => {
            t.case("disk length", Err(format!("{l} bytes")));
            None
        }
        Err(e) => {
            t.case("disk length", Err(e.to_string()));
            None
        }
    }
}
