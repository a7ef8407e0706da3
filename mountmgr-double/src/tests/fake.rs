//! A fake world for the double: disks that answer the volume protocol (well, or
//! badly on request), an object namespace of symbolic links, a registry key.
//!
//! The disks' replies and every byte layout here are written for the tests, from
//! the documentation, without the crate's own `layout` module, so a layout bug in
//! the double shows up as a failing test instead of agreeing with itself.

use std::boxed::Box;
use std::string::String;
use std::vec::Vec;

use crate::Env;

pub const SUCCESS: i32 = 0;
pub const OVERFLOW: i32 = 0x8000_0005_u32.cast_signed();
pub const INVALID_PARAMETER: i32 = 0xC000_000D_u32.cast_signed();
pub const INVALID_DEVICE_REQUEST: i32 = 0xC000_0010_u32.cast_signed();
pub const ACCESS_DENIED: i32 = 0xC000_0022_u32.cast_signed();
pub const NAME_NOT_FOUND: i32 = 0xC000_0034_u32.cast_signed();
pub const NAME_COLLISION: i32 = 0xC000_0035_u32.cast_signed();
pub const INSUFFICIENT_RESOURCES: i32 = 0xC000_009A_u32.cast_signed();
pub const NOT_SUPPORTED: i32 = 0xC000_00BB_u32.cast_signed();
pub const PROTOCOL_ERROR: i32 = 0xC000_0186_u32.cast_signed();
pub const NOT_FOUND: i32 = 0xC000_0225_u32.cast_signed();
pub const PENDING: i32 = 0x103;

pub const QUERY_UNIQUE_ID: u32 = 0x004D_0000;
pub const UNIQUE_ID_CHANGE_NOTIFY: u32 = 0x004D_0004;
pub const QUERY_DEVICE_NAME: u32 = 0x004D_0008;
pub const QUERY_SUGGESTED_LINK_NAME: u32 = 0x004D_000C;
pub const LINK_CREATED: u32 = 0x004D_C010;
pub const LINK_DELETED: u32 = 0x004D_C014;
pub const QUERY_STABLE_GUID: u32 = 0x004D_0018;
pub const VOLUME_ONLINE: u32 = 0x0056_C008;
pub const GET_GPT_ATTRIBUTES: u32 = 0x0056_0038;
pub const GET_PARTITION_INFO_EX: u32 = 0x0007_0048;
pub const GET_DEVICE_NUMBER: u32 = 0x002D_1080;

pub const CREATE_POINT: u32 = 0x006D_C000;
pub const DELETE_POINTS: u32 = 0x006D_C004;
pub const QUERY_POINTS: u32 = 0x006D_0008;
pub const ARRIVAL: u32 = 0x006D_402C;
pub const QUERY_DOS_VOLUME_PATH: u32 = 0x006D_0030;
pub const TRANSCRIPT: u32 = 0x0022_2FE0;

/// UTF-16 of `s`.
pub fn u16s(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// UTF-16LE bytes of `s`.
pub fn le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// `s` from UTF-16 units.
pub fn text(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

/// One request as a disk saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub device: String,
    pub code: u32,
    pub input: Vec<u8>,
    pub out_len: usize,
    pub write_handle: bool,
}

/// A reply override: given the call and the output buffer (already filled with
/// the well-behaved reply, whose (status, Information) is passed too), return a
/// different (status, Information), or `None` to keep the good one.
pub type Tamper = Box<dyn FnMut(&Call, &mut [u8], (i32, usize)) -> Option<(i32, usize)>>;

/// A disk device.
pub struct Disk {
    /// Its NT object name.
    pub name: String,
    /// What `QUERY_DEVICE_NAME` reports.
    pub reported_name: String,
    pub uid: Vec<u8>,
    /// `(UseOnlyIfThereAreNoOtherLinks, name)`.
    pub suggested: Option<(bool, String)>,
    pub stable_guid: Option<[u8; 16]>,
    pub gpt_attributes: Option<u64>,
    /// `PARTITION_INFORMATION_EX` answered (MBR, FAT16 huge, recognized).
    pub partition_info: bool,
    /// Opens fail (the device is gone).
    pub gone: bool,
    /// Opens for write fail with access denied.
    pub deny_write: bool,
    pub tamper: Option<Tamper>,
}

impl Disk {
    /// A disk that answers like ramdisk's Parameters disk.
    pub fn ramdisk(n: u32, letter: char) -> Self {
        Self {
            name: std::format!(r"\Device\Ramdisk{n}"),
            reported_name: std::format!(r"\Device\Ramdisk{n}"),
            uid: if n == 0 {
                b"ramdisk:Parameters".to_vec()
            } else {
                std::format!("ramdisk:Disks\\D{n}").into_bytes()
            },
            suggested: Some((false, std::format!(r"\DosDevices\{letter}:"))),
            stable_guid: None,
            gpt_attributes: None,
            partition_info: true,
            gone: false,
            deny_write: false,
            tamper: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Handle {
    disk: usize,
    write: bool,
}

/// The fake kernel: disks, symbolic links, the registry key.
pub struct World {
    pub disks: Vec<Disk>,
    /// `(link, target)`, in creation order; names compare ignoring case.
    pub links: Vec<(String, String)>,
    /// `(value name, data)`.
    pub registry: Vec<(String, Vec<u8>)>,
    pub calls: Vec<Call>,
    pub open_handles: i32,
    pub opens: Vec<(String, bool)>,
    pub guids: u8,
    pub store_status: i32,
    pub fixed_guid: Option<[u8; 16]>,
}

impl World {
    pub fn new(disks: Vec<Disk>) -> Self {
        Self {
            disks,
            links: Vec::new(),
            registry: Vec::new(),
            calls: Vec::new(),
            open_handles: 0,
            opens: Vec::new(),
            guids: 0,
            store_status: SUCCESS,
            fixed_guid: None,
        }
    }

    pub fn disk(&mut self, name: &str) -> &mut Disk {
        self.disks.iter_mut().find(|d| d.name == name).unwrap()
    }

    /// The target of `link`.
    pub fn link(&self, link: &str) -> Option<&str> {
        self.links
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(link))
            .map(|(_, t)| t.as_str())
    }

    /// The links whose target is `device`.
    pub fn links_to(&self, device: &str) -> Vec<String> {
        self.links
            .iter()
            .filter(|(_, t)| t == device)
            .map(|(l, _)| l.clone())
            .collect()
    }

    /// The registry values whose data is `uid`.
    pub fn stored_for(&self, uid: &[u8]) -> Vec<String> {
        self.registry
            .iter()
            .filter(|(_, d)| d == uid)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The codes the disk `device` received since call `from`.
    pub fn codes_since(&self, from: usize, device: &str) -> Vec<(u32, usize)> {
        self.calls[from..]
            .iter()
            .filter(|c| c.device == device)
            .map(|c| (c.code, c.out_len))
            .collect()
    }

    fn answer(disk: &Disk, call: &Call, out: &mut [u8]) -> (i32, usize) {
        let counted = |data: &[u8], out: &mut [u8]| -> (i32, usize) {
            if out.len() < 4 {
                return (INVALID_PARAMETER, 0);
            }
            let n = u16::try_from(data.len()).unwrap();
            out[..2].copy_from_slice(&n.to_le_bytes());
            if out.len() < 2 + data.len() {
                return (OVERFLOW, 4);
            }
            out[2..2 + data.len()].copy_from_slice(data);
            (SUCCESS, 2 + data.len())
        };
        match call.code {
            QUERY_DEVICE_NAME => counted(&le(&disk.reported_name), out),
            QUERY_UNIQUE_ID => counted(&disk.uid, out),
            QUERY_SUGGESTED_LINK_NAME => {
                let Some((only, name)) = &disk.suggested else {
                    return (INVALID_DEVICE_REQUEST, 0);
                };
                if out.len() < 6 {
                    return (INVALID_PARAMETER, 0);
                }
                let name = le(name);
                out[0] = u8::from(*only);
                out[2..4].copy_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
                if out.len() < 4 + name.len() {
                    return (OVERFLOW, 6);
                }
                out[4..4 + name.len()].copy_from_slice(&name);
                (SUCCESS, 4 + name.len())
            }
            QUERY_STABLE_GUID => match disk.stable_guid {
                Some(g) if out.len() >= 16 => {
                    out[..16].copy_from_slice(&g);
                    (SUCCESS, 16)
                }
                _ => (INVALID_DEVICE_REQUEST, 0),
            },
            GET_GPT_ATTRIBUTES => match disk.gpt_attributes {
                Some(a) if out.len() >= 8 => {
                    out[..8].copy_from_slice(&a.to_le_bytes());
                    (SUCCESS, 8)
                }
                _ => (INVALID_DEVICE_REQUEST, 0),
            },
            GET_PARTITION_INFO_EX if disk.partition_info && out.len() >= 144 => {
                out[..144].fill(0);
                // PartitionStyle MBR (0) at 0, PartitionLength at 16, PartitionNumber at 24.
                out[16..24].copy_from_slice(&(64_u64 << 20).to_le_bytes());
                out[32] = 0x06; // Mbr.PartitionType
                out[34] = 1; // Mbr.RecognizedPartition
                (SUCCESS, 144)
            }
            GET_DEVICE_NUMBER if out.len() >= 12 => {
                out[..4].copy_from_slice(&7_u32.to_le_bytes());
                out[4..12].fill(0xFF);
                (SUCCESS, 12)
            }
            LINK_CREATED | LINK_DELETED | VOLUME_ONLINE if !call.write_handle => (ACCESS_DENIED, 0),
            LINK_CREATED | LINK_DELETED => {
                let n = usize::from(u16::from_le_bytes([call.input[0], call.input[1]]));
                assert_eq!(call.input.len(), 2 + n, "MOUNTDEV_NAME input size");
                (SUCCESS, 0)
            }
            VOLUME_ONLINE => (SUCCESS, 0),
            _ => (INVALID_DEVICE_REQUEST, 0),
        }
    }
}

impl Env for World {
    type Handle = Handle;

    fn open(&mut self, device_name: &[u16], write: bool) -> Result<Handle, i32> {
        let name = text(device_name);
        self.opens.push((name.clone(), write));
        let Some(i) = self
            .disks
            .iter()
            .position(|d| d.name.eq_ignore_ascii_case(&name))
        else {
            return Err(NAME_NOT_FOUND);
        };
        if self.disks[i].gone {
            return Err(NAME_NOT_FOUND);
        }
        if write && self.disks[i].deny_write {
            return Err(ACCESS_DENIED);
        }
        self.open_handles += 1;
        Ok(Handle { disk: i, write })
    }

    fn ioctl(&mut self, h: &Handle, code: u32, input: &[u8], output: &mut [u8]) -> (i32, usize) {
        let disk = &mut self.disks[h.disk];
        let call = Call {
            device: disk.name.clone(),
            code,
            input: input.to_vec(),
            out_len: output.len(),
            write_handle: h.write,
        };
        let good = Self::answer(disk, &call, output);
        let reply = disk
            .tamper
            .as_mut()
            .map_or(good, |t| t(&call, output, good).unwrap_or(good));
        self.calls.push(call);
        reply
    }

    fn close(&mut self, _: Handle) {
        self.open_handles -= 1;
    }

    fn create_link(&mut self, link: &[u16], target: &[u16]) -> i32 {
        let link = text(link);
        if self.link(&link).is_some() {
            return NAME_COLLISION;
        }
        self.links.push((link, text(target)));
        SUCCESS
    }

    fn delete_link(&mut self, link: &[u16]) -> i32 {
        let link = text(link);
        match self
            .links
            .iter()
            .position(|(l, _)| l.eq_ignore_ascii_case(&link))
        {
            Some(i) => {
                self.links.remove(i);
                SUCCESS
            }
            None => NAME_NOT_FOUND,
        }
    }

    fn store(&mut self, link: &[u16], unique_id: &[u8]) -> i32 {
        if self.store_status != SUCCESS {
            return self.store_status;
        }
        let link = text(link);
        self.registry
            .retain(|(n, _)| !n.eq_ignore_ascii_case(&link));
        self.registry.push((link, unique_id.to_vec()));
        SUCCESS
    }

    fn unstore(&mut self, link: &[u16]) -> i32 {
        let link = text(link);
        let before = self.registry.len();
        self.registry
            .retain(|(n, _)| !n.eq_ignore_ascii_case(&link));
        if self.registry.len() == before {
            NAME_NOT_FOUND
        } else {
            SUCCESS
        }
    }

    fn new_guid(&mut self) -> [u8; 16] {
        if let Some(g) = self.fixed_guid {
            return g;
        }
        self.guids += 1;
        let mut g = [0x11; 16];
        g[0] = self.guids;
        g
    }
}
