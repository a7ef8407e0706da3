//! Host tests: the double against a fake world of disks (see `fake`), driven
//! through `device_control` with request bytes built here from the documented
//! layouts.

mod fake;
mod happy;
mod properties;
mod strict;
mod wire;

use std::boxed::Box;
use std::string::String;
use std::vec;
use std::vec::Vec;

use fake::{
    ARRIVAL, CREATE_POINT, DELETE_POINTS, Disk, OVERFLOW, QUERY_DOS_VOLUME_PATH, QUERY_POINTS,
    SUCCESS, World, le,
};

use crate::MountManager;

/// One triple of a `MOUNTMGR_MOUNT_POINTS` reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    pub link: String,
    pub uid: Vec<u8>,
    pub device: String,
}

/// The double and its world.
pub struct Harness {
    pub mm: Box<MountManager>,
    pub world: World,
}

/// `MOUNTMGR_TARGET_NAME` for `name`.
pub fn target_name(name: &str) -> Vec<u8> {
    let name = le(name);
    let mut v = u16::try_from(name.len()).unwrap().to_le_bytes().to_vec();
    v.extend_from_slice(&name);
    v
}

/// `MOUNTMGR_MOUNT_POINT` (24 bytes: ULONG offset, USHORT length, USHORT reserved,
/// three times) with the given fields after it.
pub fn mount_point(link: Option<&str>, uid: Option<&[u8]>, device: Option<&str>) -> Vec<u8> {
    let mut v = vec![0u8; 24];
    let put = |v: &mut Vec<u8>, at: usize, data: &[u8]| {
        let offset = u32::try_from(v.len()).unwrap();
        v[at..at + 4].copy_from_slice(&offset.to_le_bytes());
        v[at + 4..at + 6].copy_from_slice(&u16::try_from(data.len()).unwrap().to_le_bytes());
        v.extend_from_slice(data);
    };
    if let Some(l) = link {
        put(&mut v, 0, &le(l));
    }
    if let Some(u) = uid {
        put(&mut v, 8, u);
    }
    if let Some(d) = device {
        put(&mut v, 16, &le(d));
    }
    v
}

/// `MOUNTMGR_CREATE_POINT_INPUT` (8 bytes: four USHORTs) with the names after it.
pub fn create_input(link: &str, device: &str) -> Vec<u8> {
    let (link, device) = (le(link), le(device));
    let mut v = Vec::new();
    for x in [8, link.len(), 8 + link.len(), device.len()] {
        v.extend_from_slice(&u16::try_from(x).unwrap().to_le_bytes());
    }
    v.extend_from_slice(&link);
    v.extend_from_slice(&device);
    v
}

fn u32_at(b: &[u8], at: usize) -> usize {
    usize::try_from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap())).unwrap()
}

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes(b[at..at + 2].try_into().unwrap()))
}

/// Reads a `MOUNTMGR_MOUNT_POINTS` reply, checking that `Size` is the reply's
/// length and every name lies inside it.
pub fn parse_points(reply: &[u8]) -> Vec<Point> {
    assert!(reply.len() >= 32, "reply of {} bytes", reply.len());
    assert_eq!(u32_at(reply, 0), reply.len(), "Size is the reply's length");
    let n = u32_at(reply, 4);
    assert!(8 + 24 * n <= reply.len());
    (0..n)
        .map(|i| {
            let e = 8 + 24 * i;
            let field = |off: usize, len: usize| {
                let (o, l) = (u32_at(reply, e + off), u16_at(reply, e + len));
                assert!(o >= 8 + 24 * n, "names after the entries");
                reply[o..o + l].to_vec()
            };
            let utf16 = |b: Vec<u8>| {
                let units: Vec<u16> = b
                    .chunks_exact(2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]))
                    .collect();
                String::from_utf16(&units).unwrap()
            };
            Point {
                link: utf16(field(0, 4)),
                uid: field(8, 12),
                device: utf16(field(16, 20)),
            }
        })
        .collect()
}

impl Harness {
    pub fn new(disks: Vec<Disk>) -> Self {
        Self {
            mm: Box::new(MountManager::new()),
            world: World::new(disks),
        }
    }

    /// One request; (status, Information, the reply bytes).
    pub fn call(&mut self, code: u32, input: &[u8], out_len: usize) -> (i32, usize, Vec<u8>) {
        let mut buf = vec![0xA5u8; input.len().max(out_len)];
        buf[..input.len()].copy_from_slice(input);
        let (status, info) =
            self.mm
                .device_control(&mut self.world, code, &mut buf, input.len(), out_len);
        assert!(info <= out_len, "Information {info} > output {out_len}");
        assert_eq!(self.world.open_handles, 0, "every handle closed");
        (status, info, buf[..info].to_vec())
    }

    pub fn arrival(&mut self, device: &str) -> i32 {
        self.call(ARRIVAL, &target_name(device), 0).0
    }

    /// `QUERY_POINTS` (or `DELETE_POINTS`) as a client does it: 32 bytes first,
    /// then `Size` bytes after an overflow.
    pub fn points(
        &mut self,
        code: u32,
        link: Option<&str>,
        uid: Option<&[u8]>,
        device: Option<&str>,
    ) -> Result<Vec<Point>, i32> {
        let input = mount_point(link, uid, device);
        let (status, info, reply) = self.call(code, &input, 32);
        match status {
            SUCCESS => Ok(parse_points(&reply)),
            OVERFLOW => {
                assert_eq!(info, 32);
                let size = u32_at(&reply, 0);
                assert!(size > 32);
                // The device may answer differently the second time (a tampered one).
                match self.call(code, &input, size) {
                    (SUCCESS, info, reply) => {
                        assert_eq!(info, size);
                        Ok(parse_points(&reply))
                    }
                    (status, ..) => Err(status),
                }
            }
            other => Err(other),
        }
    }

    pub fn query(
        &mut self,
        link: Option<&str>,
        uid: Option<&[u8]>,
        device: Option<&str>,
    ) -> Result<Vec<Point>, i32> {
        self.points(QUERY_POINTS, link, uid, device)
    }

    pub fn delete(
        &mut self,
        link: Option<&str>,
        uid: Option<&[u8]>,
        device: Option<&str>,
    ) -> Result<Vec<Point>, i32> {
        self.points(DELETE_POINTS, link, uid, device)
    }

    /// The link names `QUERY_POINTS` lists for `device`.
    pub fn links_of(&mut self, device: &str) -> Result<Vec<String>, i32> {
        Ok(self
            .query(None, None, Some(device))?
            .into_iter()
            .map(|p| p.link)
            .collect())
    }

    pub fn create(&mut self, link: &str, device: &str) -> i32 {
        self.call(CREATE_POINT, &create_input(link, device), 0).0
    }

    /// `QUERY_DOS_VOLUME_PATH` as `GetFinalPathNameByHandle` does it; the first
    /// string of the `MultiSz`.
    pub fn dos_path(&mut self, device: &str) -> Result<String, i32> {
        let input = target_name(device);
        let (status, info, reply) = self.call(QUERY_DOS_VOLUME_PATH, &input, 8);
        let size = match status {
            SUCCESS => return Ok(dos_string(&reply, info)),
            OVERFLOW => {
                assert_eq!(info, 4);
                4 + u32_at(&reply, 0)
            }
            other => return Err(other),
        };
        match self.call(QUERY_DOS_VOLUME_PATH, &input, size) {
            (SUCCESS, info, reply) => {
                assert_eq!(info, size);
                Ok(dos_string(&reply, info))
            }
            (status, ..) => Err(status),
        }
    }

    pub fn transcript(&self) -> String {
        String::from_utf8(self.mm.transcript().to_vec()).unwrap()
    }

    /// The transcript lines since byte `from` that start with `prefix`.
    pub fn lines_since(&self, from: usize, prefix: &str) -> Vec<String> {
        self.transcript()[from..]
            .lines()
            .filter(|l| l.starts_with(prefix))
            .map(String::from)
            .collect()
    }
}

/// The first string of a `MOUNTMGR_VOLUME_PATHS` reply, checking `MultiSzLength`
/// covers it and both NULs.
fn dos_string(reply: &[u8], info: usize) -> String {
    let length = u32_at(reply, 0);
    assert_eq!(info, 4 + length);
    let units: Vec<u16> = reply[4..4 + length]
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    assert_eq!(
        &units[units.len() - 2..],
        &[0, 0],
        "double NUL inside MultiSzLength"
    );
    let end = units.iter().position(|&u| u == 0).unwrap();
    assert_eq!(end, units.len() - 2, "one string");
    String::from_utf16(&units[..end]).unwrap()
}
