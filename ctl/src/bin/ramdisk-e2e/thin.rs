//! Dynamic disks: the thin-provisioning properties, decoded with the windows-sys
//! structs (`thin DEVICE`), and pattern writes and checks at any offset (`pattern`),
//! whose Win32 error the suite judges (a disk at its memory limit).

use std::mem::size_of;

use ramdiskctl::device::Device;
use ramdiskctl::rng::Rng;
use windows_sys::Win32::System::Ioctl::{
    DEVICE_LB_PROVISIONING_DESCRIPTOR, DEVICE_TRIM_DESCRIPTOR, IOCTL_STORAGE_QUERY_PROPERTY,
    PropertyStandardQuery, STORAGE_PROPERTY_QUERY, StorageDeviceLBProvisioningProperty,
    StorageDeviceTrimProperty,
};

use crate::tally::{ERROR_NOT_SUPPORTED, Tally, bytes_of, decode, ioctl, show, want_ok};

fn query(property: i32) -> Vec<u8> {
    // SAFETY: plain data, zero is valid.
    let mut q: STORAGE_PROPERTY_QUERY = unsafe { std::mem::zeroed() };
    q.PropertyId = property;
    q.QueryType = PropertyStandardQuery;
    bytes_of(&q)
}

/// `StorageDeviceTrimProperty` and `StorageDeviceLBProvisioningProperty`: a dynamic
/// disk (`granularity` given) reports TRIM enabled and thin provisioning with that
/// unmap granularity, unmapped blocks reading zeros; a fixed disk reports TRIM
/// disabled (it frees nothing) and has no thin-provisioning property.
pub fn cases(t: &mut Tally, dev: &Device, granularity: Option<u64>) {
    let trim_size = size_of::<DEVICE_TRIM_DESCRIPTOR>();
    let (r, out) = ioctl(
        dev,
        IOCTL_STORAGE_QUERY_PROPERTY,
        &query(StorageDeviceTrimProperty),
        trim_size,
    );
    let d: DEVICE_TRIM_DESCRIPTOR = decode(&out);
    t.case(
        "StorageDeviceTrimProperty",
        match granularity {
            Some(_) => want_ok(r, trim_size).and_then(|()| {
                if d.TrimEnabled && d.Size as usize == trim_size {
                    Ok("TrimEnabled TRUE".into())
                } else {
                    Err(format!("TrimEnabled {} Size {}", d.TrimEnabled, d.Size))
                }
            }),
            None => want_ok(r, trim_size).and_then(|()| {
                if d.TrimEnabled {
                    Err("a fixed disk reports TRIM enabled".into())
                } else {
                    Ok("TrimEnabled FALSE (fixed)".into())
                }
            }),
        },
    );
    let lbp_size = size_of::<DEVICE_LB_PROVISIONING_DESCRIPTOR>();
    let (r, out) = ioctl(
        dev,
        IOCTL_STORAGE_QUERY_PROPERTY,
        &query(StorageDeviceLBProvisioningProperty),
        lbp_size,
    );
    let d: DEVICE_LB_PROVISIONING_DESCRIPTOR = decode(&out);
    t.case(
        "StorageDeviceLBProvisioningProperty",
        match granularity {
            Some(g) => want_ok(r, lbp_size).and_then(|()| {
                let (enabled, read_zeros) = (d._bitfield & 1, (d._bitfield >> 1) & 1);
                if enabled == 1 && read_zeros == 1 && d.OptimalUnmapGranularity == g {
                    Ok(format!(
                        "thin, reads zeros, granularity {}",
                        d.OptimalUnmapGranularity
                    ))
                } else {
                    Err(format!(
                        "bits {:#04x}, granularity {} (want {g})",
                        d._bitfield, d.OptimalUnmapGranularity
                    ))
                }
            }),
            None if r.error == Some(ERROR_NOT_SUPPORTED) => Ok("not supported (fixed)".into()),
            None => Err(format!("a fixed disk answered: {}", show(r))),
        },
    );
}

/// The pattern of `seed` for `len` bytes at `offset` (seed 0: zeros).
fn pattern(offset: u64, len: usize, seed: u64) -> Vec<u8> {
    if seed == 0 {
        return vec![0; len];
    }
    let mut rng = Rng::new(seed ^ offset);
    let mut out = vec![0u8; len];
    rng.fill(&mut out);
    out
}

/// `pattern DEVICE write|check OFFSET LEN SEED`: writes the pattern, or reads and
/// compares it (seed 0 = zeros). Prints `error=<Win32 error or 0> bytes=<n>` and, for
/// a check, `match=<true|false>`.
pub fn pattern_io(dev: &Device, write: bool, offset: u64, len: usize, seed: u64) -> bool {
    let want = pattern(offset, len, seed);
    if write {
        let r = dev.write_at(offset, &want);
        println!("error={} bytes={}", r.error.unwrap_or(0), r.bytes);
        return r.error.is_none();
    }
    let mut got = vec![0u8; len];
    let r = dev.read_at(offset, &mut got);
    let same = got == want;
    println!(
        "error={} bytes={} match={same}",
        r.error.unwrap_or(0),
        r.bytes
    );
    r.error.is_none() && same
}
