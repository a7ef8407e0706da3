//! `IOCTL_MOUNTDEV_QUERY_DEVICE_NAME` / `_UNIQUE_ID`: room for the header only, the
//! full reply (compared byte for byte with what the suite expects), too small.

use std::fmt::Write as _;

use ramdiskctl::device::Device;

use crate::tally::{ERROR_INSUFFICIENT_BUFFER, ERROR_MORE_DATA, Tally, ioctl, want_err, want_ok};

/// `CTL_CODE(MOUNTDEVCONTROLTYPE, 2, METHOD_BUFFERED, FILE_ANY_ACCESS)` (not in windows-sys).
const IOCTL_MOUNTDEV_QUERY_DEVICE_NAME: u32 = 0x004D_0008;
/// `CTL_CODE(MOUNTDEVCONTROLTYPE, 0, METHOD_BUFFERED, FILE_ANY_ACCESS)`.
const IOCTL_MOUNTDEV_QUERY_UNIQUE_ID: u32 = 0x004D_0000;
/// `sizeof(MOUNTDEV_NAME)`: a USHORT and one WCHAR.
const MOUNTDEV_HEADER: usize = 4;

/// What the driver must answer; the suite passes both on the command line (its
/// `DEVICE_NAME` and `UNIQUE_ID` constants), so this client names nothing itself.
pub struct Expect {
    /// The NT device name, e.g. `\Device\Ramdisk`.
    pub device_name: String,
    /// The unique ID's bytes.
    pub unique_id: Vec<u8>,
}

/// Both queries.
pub fn cases(t: &mut Tally, dev: &Device, expect: &Expect) {
    let name: Vec<u8> = expect
        .device_name
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    query(
        t,
        dev,
        "IOCTL_MOUNTDEV_QUERY_DEVICE_NAME",
        IOCTL_MOUNTDEV_QUERY_DEVICE_NAME,
        &name,
        &|b| utf16(b),
    );
    query(
        t,
        dev,
        "IOCTL_MOUNTDEV_QUERY_UNIQUE_ID",
        IOCTL_MOUNTDEV_QUERY_UNIQUE_ID,
        &expect.unique_id,
        &|b| format!("{} bytes {}", b.len(), hex(b)),
    );
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// One query: the two-step protocol, the reply equal to `want`.
fn query(
    t: &mut Tally,
    dev: &Device,
    name: &str,
    code: u32,
    want: &[u8],
    shown: &dyn Fn(&[u8]) -> String,
) {
    let (r, out) = ioctl(dev, code, &[], MOUNTDEV_HEADER);
    let n = usize::from(u16::from_le_bytes([out[0], out[1]]));
    t.case(
        &format!("{name} with {MOUNTDEV_HEADER} bytes -> ERROR_MORE_DATA and the length"),
        want_err(r, ERROR_MORE_DATA, MOUNTDEV_HEADER).and_then(|()| {
            if n > 0 && n < 1024 {
                Ok(format!("length {n}"))
            } else {
                Err(format!("length field {n}"))
            }
        }),
    );
    let full = 2 + n;
    let (r, out) = ioctl(dev, code, &[], full);
    t.case(
        &format!("{name} with {full} bytes"),
        want_ok(r, full).and_then(|()| {
            let got = &out[2..full];
            if got == want {
                Ok(shown(got))
            } else {
                Err(format!("{}, want {}", shown(got), shown(want)))
            }
        }),
    );
    let (r, _) = ioctl(dev, code, &[], 2);
    t.case(
        &format!("{name} with 2 bytes -> ERROR_INSUFFICIENT_BUFFER"),
        want_err(r, ERROR_INSUFFICIENT_BUFFER, 0).map(|()| String::new()),
    );
}
