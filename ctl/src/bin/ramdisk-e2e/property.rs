//! `IOCTL_STORAGE_QUERY_PROPERTY`: header only, the full descriptor, a short buffer,
//! `PropertyExistsQuery`, the adapter descriptor, an unsupported property, a short
//! query.

use std::mem::size_of;

use ramdiskctl::device::Device;
use windows_sys::Win32::System::Ioctl::{
    IOCTL_STORAGE_QUERY_PROPERTY, PropertyExistsQuery, PropertyStandardQuery,
    STORAGE_DESCRIPTOR_HEADER, STORAGE_DEVICE_DESCRIPTOR, STORAGE_PROPERTY_QUERY,
    StorageAdapterProperty, StorageDeviceProperty, StorageDeviceUniqueIdProperty,
};

use crate::tally::{
    ERROR_INSUFFICIENT_BUFFER, ERROR_INVALID_PARAMETER, ERROR_NOT_SUPPORTED, Tally, bytes_of,
    decode, ioctl, want_err, want_ok,
};

fn query(property: i32, query_type: i32) -> Vec<u8> {
    // SAFETY: plain data, zero is valid.
    let mut q: STORAGE_PROPERTY_QUERY = unsafe { std::mem::zeroed() };
    q.PropertyId = property;
    q.QueryType = query_type;
    bytes_of(&q)
}

#[allow(
    clippy::many_single_char_names,
    reason = "r, h, d, q, t: the usual short names of one request, its reply, the query and the tally"
)]
pub fn cases(t: &mut Tally, dev: &Device) {
    let name = "IOCTL_STORAGE_QUERY_PROPERTY";
    let q = query(StorageDeviceProperty, PropertyStandardQuery);
    let hdr = size_of::<STORAGE_DESCRIPTOR_HEADER>();
    let (r, out) = ioctl(dev, IOCTL_STORAGE_QUERY_PROPERTY, &q, hdr);
    let h: STORAGE_DESCRIPTOR_HEADER = decode(&out);
    t.case(
        &format!("{name} device descriptor with {hdr} bytes (header only)"),
        want_ok(r, hdr).and_then(|()| {
            if h.Size as usize
                >= std::mem::offset_of!(STORAGE_DEVICE_DESCRIPTOR, RawDeviceProperties)
            {
                Ok(format!("Version {} Size {}", h.Version, h.Size))
            } else {
                Err(format!(
                    "Version {} Size {} (smaller than the descriptor)",
                    h.Version, h.Size
                ))
            }
        }),
    );
    let full = (h.Size as usize).clamp(hdr, 4096);
    let (r, out) = ioctl(dev, IOCTL_STORAGE_QUERY_PROPERTY, &q, full);
    t.case(
        &format!("{name} device descriptor with {full} bytes"),
        want_ok(r, full).map(|()| {
            let mut padded = out.clone();
            padded.resize(out.len().max(size_of::<STORAGE_DEVICE_DESCRIPTOR>()), 0);
            let d: STORAGE_DEVICE_DESCRIPTOR = decode(&padded);
            let text = |off: u32| -> String {
                let off = off as usize;
                if off == 0 || off >= out.len() {
                    return String::new();
                }
                let s = &out[off..];
                let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
                String::from_utf8_lossy(&s[..end]).trim().to_string()
            };
            format!(
                "type {} removable {} bus {} vendor {:?} product {:?}",
                d.DeviceType,
                d.RemovableMedia,
                d.BusType,
                text(d.VendorIdOffset),
                text(d.ProductIdOffset)
            )
        }),
    );
    let (r, _) = ioctl(dev, IOCTL_STORAGE_QUERY_PROPERTY, &q, 4);
    t.case(
        &format!("{name} with 4 bytes -> ERROR_INSUFFICIENT_BUFFER"),
        want_err(r, ERROR_INSUFFICIENT_BUFFER, 0).map(|()| String::new()),
    );
    let (r, _) = ioctl(
        dev,
        IOCTL_STORAGE_QUERY_PROPERTY,
        &query(StorageDeviceProperty, PropertyExistsQuery),
        0,
    );
    t.case(
        &format!("{name} PropertyExistsQuery"),
        want_ok(r, 0).map(|()| String::new()),
    );
    let (r, out) = ioctl(
        dev,
        IOCTL_STORAGE_QUERY_PROPERTY,
        &query(StorageAdapterProperty, PropertyStandardQuery),
        hdr,
    );
    let h: STORAGE_DESCRIPTOR_HEADER = decode(&out);
    t.case(
        &format!("{name} adapter descriptor header"),
        want_ok(r, hdr).and_then(|()| {
            if h.Size as usize >= hdr {
                Ok(format!("Version {} Size {}", h.Version, h.Size))
            } else {
                Err(format!("Size {}", h.Size))
            }
        }),
    );
    let (r, _) = ioctl(
        dev,
        IOCTL_STORAGE_QUERY_PROPERTY,
        &query(StorageDeviceUniqueIdProperty, PropertyStandardQuery),
        256,
    );
    t.case(
        &format!("{name} StorageDeviceUniqueIdProperty -> ERROR_NOT_SUPPORTED"),
        want_err(r, ERROR_NOT_SUPPORTED, 0).map(|()| String::new()),
    );
    let (r, _) = ioctl(dev, IOCTL_STORAGE_QUERY_PROPERTY, &q[..8], 256);
    t.case(
        &format!("{name} with an 8-byte query -> ERROR_INVALID_PARAMETER"),
        want_err(r, ERROR_INVALID_PARAMETER, 0).map(|()| String::new()),
    );
}
