//! Reads and writes: the last sector, past and across the end, misalignment, zero
//! lengths, a pattern read back, one large read.

use ramdiskctl::device::Device;
use ramdiskctl::rng::Rng;

use crate::tally::{ERROR_INVALID_PARAMETER, SECTOR, Tally, want_err, want_ok};

#[allow(
    clippy::many_single_char_names,
    reason = "r, s, b, n, t: the usual short names of one request, its buffers and the tally"
)]
pub fn cases(t: &mut Tally, dev: &Device, len: u64) {
    let mut s = vec![0u8; SECTOR];
    let r = dev.read_at(0, &mut s);
    t.case(
        "read sector 0",
        want_ok(r, SECTOR).and_then(|()| {
            if s[510..] == ramdisk_core::wire::fat::BOOT_SIGNATURE {
                Ok(String::new())
            } else {
                Err("no 55 AA boot signature".into())
            }
        }),
    );
    let last = len - SECTOR as u64;
    let mut last_data = vec![0u8; SECTOR];
    let r = dev.read_at(last, &mut last_data);
    t.case(
        "read the last sector",
        want_ok(r, SECTOR).map(|()| String::new()),
    );
    let r = dev.write_at(last, &last_data);
    t.case(
        "write the last sector",
        want_ok(r, SECTOR).map(|()| String::new()),
    );
    let r = dev.read_at(len, &mut s);
    t.case(
        "read one sector past the end -> ERROR_INVALID_PARAMETER",
        want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
    );
    let r = dev.write_at(len, &s);
    t.case(
        "write one sector past the end -> ERROR_INVALID_PARAMETER",
        want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
    );
    let mut two = vec![0u8; 2 * SECTOR];
    let r = dev.read_at(last, &mut two);
    t.case(
        "read across the end -> ERROR_INVALID_PARAMETER",
        want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
    );
    for (what, off, n) in [
        ("offset", 1u64, SECTOR),
        ("offset", 256, SECTOR),
        ("length", 0, 100),
        ("length", 0, 513),
    ] {
        let mut b = vec![0u8; n];
        let r = dev.read_at(off, &mut b);
        t.case(
            &format!("read misaligned {what} ({off}, {n}) -> ERROR_INVALID_PARAMETER"),
            want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
        );
        let r = dev.write_at(off, &b);
        t.case(
            &format!("write misaligned {what} ({off}, {n}) -> ERROR_INVALID_PARAMETER"),
            want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
        );
    }
    let r = dev.read_at(0, &mut []);
    t.case("read of zero bytes", want_ok(r, 0).map(|()| String::new()));
    let r = dev.write_at(0, &[]);
    t.case("write of zero bytes", want_ok(r, 0).map(|()| String::new()));
    // A pattern written through the driver reads back; the old data is put back.
    let at = (len / 2) & !(SECTOR as u64 - 1);
    let mut old = vec![0u8; 64 * 1024];
    let n = old.len().min(usize::try_from(len - at).unwrap_or(0));
    let old = &mut old[..n];
    let saved = dev.read_at(at, old);
    let mut pattern = vec![0u8; n];
    Rng::new(42).fill(&mut pattern);
    let w = dev.write_at(at, &pattern);
    let mut back = vec![0u8; n];
    let r = dev.read_at(at, &mut back);
    t.case(
        &format!("write {n} bytes at {at} and read them back"),
        want_ok(saved, n)
            .and_then(|()| want_ok(w, n))
            .and_then(|()| want_ok(r, n))
            .and_then(|()| {
                if back == pattern {
                    Ok(String::new())
                } else {
                    Err("data differs".into())
                }
            }),
    );
    let _ = dev.write_at(at, old);
    let big = usize::try_from(len.min(4 << 20)).unwrap_or(SECTOR);
    let mut b = vec![0u8; big];
    let r = dev.read_at(0, &mut b);
    t.case(
        &format!("one read of {big} bytes"),
        want_ok(r, big).map(|()| String::new()),
    );
}
