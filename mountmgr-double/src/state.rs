//! The double's fixed-capacity tables: the database, the live volumes, the ignored
//! unique IDs.

use core::fmt;

use zerocopy::FromZeros;

use crate::names::{DeviceName, LinkName, Text, UniqueId, drive_letter, eq_ignore_case};

/// How many database entries (link name → unique ID) the double holds.
pub const DATABASE_CAPACITY: usize = 32;
/// How many live volumes the double lists at once.
pub const VOLUME_CAPACITY: usize = 8;
/// How many links one live volume may have.
pub const LINKS_PER_VOLUME: usize = 8;
/// How many unique IDs whose arrivals are ignored the double remembers (the
/// oldest is dropped when a ninth comes).
pub const IGNORED_CAPACITY: usize = 8;

/// One database value: a link name and the unique ID it belongs to.
#[derive(Clone, Copy, FromZeros)]
pub struct Entry {
    /// The value name: the symbolic link.
    pub link: LinkName,
    /// The value data: the unique ID.
    pub uid: UniqueId,
}

/// The persistent database, as the double mirrors it (the registry key is the
/// glue's; the double keeps this copy in step with what it stored).
#[derive(FromZeros)]
pub struct Database {
    entries: [Entry; DATABASE_CAPACITY],
    len: usize,
}

impl Database {
    /// The entries, in the order they were loaded or stored.
    pub fn entries(&self) -> &[Entry] {
        self.entries.get(..self.len).unwrap_or(&[])
    }

    /// The entry for `link` (value names compare ignoring case, as the registry's).
    pub fn find(&self, link: &[u16]) -> Option<&Entry> {
        self.entries().iter().find(|e| e.link.eq_ignore_case(link))
    }

    /// Whether storing `link` needs a new entry and none is free.
    pub fn is_full_for(&self, link: &[u16]) -> bool {
        self.find(link).is_none() && self.len >= DATABASE_CAPACITY
    }

    /// Free entries.
    pub const fn free(&self) -> usize {
        DATABASE_CAPACITY.saturating_sub(self.len)
    }

    /// Stores `link` → `uid` (replacing a value of the same name); `false` if full.
    pub fn put(&mut self, link: &LinkName, uid: &UniqueId) -> bool {
        let existing = self
            .entries()
            .iter()
            .position(|e| e.link.eq_ignore_case(link.as_units()));
        let at = existing.unwrap_or(self.len);
        let Some(slot) = self.entries.get_mut(at) else {
            return false;
        };
        *slot = Entry {
            link: *link,
            uid: *uid,
        };
        if existing.is_none() {
            self.len += 1;
        }
        true
    }

    /// Removes the value `link`, if there is one.
    pub fn remove(&mut self, link: &[u16]) {
        if let Some(at) = self
            .entries()
            .iter()
            .position(|e| e.link.eq_ignore_case(link))
            && let Some(tail) = self.entries.get_mut(at..self.len)
        {
            tail.copy_within(1.., 0);
            self.len -= 1;
        }
    }
}

/// A volume the double lists: its device, unique ID and links.
#[derive(Clone, Copy, FromZeros)]
pub struct Volume {
    /// The NT device name the device reported.
    pub device: DeviceName,
    /// The unique ID it reported at arrival.
    pub uid: UniqueId,
    links: [LinkName; LINKS_PER_VOLUME],
    link_count: usize,
}

impl Volume {
    /// A volume with no links yet.
    pub fn new(device: &DeviceName, uid: &UniqueId) -> Self {
        let mut v = Self::new_zeroed();
        v.device = *device;
        v.uid = *uid;
        v
    }

    /// Its links, in the order they were made.
    pub fn links(&self) -> &[LinkName] {
        self.links.get(..self.link_count).unwrap_or(&[])
    }

    /// Adds a link; `false` if the volume has no room for another.
    pub fn push_link(&mut self, link: &LinkName) -> bool {
        let Some(slot) = self.links.get_mut(self.link_count) else {
            return false;
        };
        *slot = *link;
        self.link_count += 1;
        true
    }

    /// Whether another link fits.
    pub const fn has_room(&self) -> bool {
        self.link_count < LINKS_PER_VOLUME
    }

    /// Removes the link `name`, if it has it.
    pub fn remove_link(&mut self, name: &[u16]) {
        if let Some(at) = self.links().iter().position(|l| l.eq_ignore_case(name))
            && let Some(tail) = self.links.get_mut(at..self.link_count)
        {
            tail.copy_within(1.., 0);
            self.link_count -= 1;
        }
    }

    /// Its drive letter (the first `\DosDevices\X:` link), if any.
    pub fn drive_letter(&self) -> Option<u8> {
        self.links().iter().find_map(|l| drive_letter(l.as_units()))
    }

    /// Whether it has the link `name`.
    pub fn has_link(&self, name: &[u16]) -> bool {
        self.links().iter().any(|l| l.eq_ignore_case(name))
    }
}

/// The live volumes, in arrival order.
#[derive(FromZeros)]
pub struct Volumes {
    slots: [Volume; VOLUME_CAPACITY],
    len: usize,
}

impl Volumes {
    /// The volumes.
    pub fn all(&self) -> &[Volume] {
        self.slots.get(..self.len).unwrap_or(&[])
    }

    /// Volume `i`.
    pub fn get(&self, i: usize) -> Option<&Volume> {
        self.all().get(i)
    }

    /// Volume `i`, to change.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Volume> {
        self.slots.get_mut(..self.len)?.get_mut(i)
    }

    /// The volume whose device is `name`.
    pub fn find_device(&self, name: &[u16]) -> Option<usize> {
        self.all()
            .iter()
            .position(|v| eq_ignore_case(v.device.as_units(), name))
    }

    /// The volume that has the link `name`.
    pub fn owner_of(&self, name: &[u16]) -> Option<usize> {
        self.all().iter().position(|v| v.has_link(name))
    }

    /// Whether another volume fits.
    pub const fn has_room(&self) -> bool {
        self.len < VOLUME_CAPACITY
    }

    /// Adds a volume; its index, or `None` if full.
    pub fn push(&mut self, volume: &Volume) -> Option<usize> {
        let slot = self.slots.get_mut(self.len)?;
        *slot = *volume;
        self.len += 1;
        Some(self.len - 1)
    }

    /// Removes volume `i`.
    pub fn remove(&mut self, i: usize) {
        if i < self.len
            && let Some(tail) = self.slots.get_mut(i..self.len)
        {
            tail.copy_within(1.., 0);
            self.len -= 1;
        }
    }
}

/// The unique IDs whose arrivals are ignored.
#[derive(FromZeros)]
pub struct Ignored {
    ids: [UniqueId; IGNORED_CAPACITY],
    len: usize,
    next: usize,
}

impl Ignored {
    /// Whether arrivals of `uid` are ignored.
    pub fn contains(&self, uid: &UniqueId) -> bool {
        self.ids.get(..self.len).unwrap_or(&[]).contains(uid)
    }

    /// Ignores arrivals of `uid` from now on.
    pub fn insert(&mut self, uid: &UniqueId) {
        if self.contains(uid) {
            return;
        }
        if let Some(slot) = self.ids.get_mut(self.next) {
            *slot = *uid;
        }
        self.next = (self.next + 1) % IGNORED_CAPACITY;
        self.len = (self.len + 1).min(IGNORED_CAPACITY);
    }
}

/// Displays a volume's links, comma-separated (`-` for none).
pub struct Links<'a>(pub &'a [LinkName]);

impl fmt::Display for Links<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("-");
        }
        for (i, link) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", Text(link.as_units()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::drive_letter_link;
    use std::boxed::Box;

    fn uid(b: &[u8]) -> UniqueId {
        UniqueId::new(b).unwrap()
    }

    #[test]
    fn database_replaces_by_name_and_removes_in_order() {
        let mut db = Box::new(Database::new_zeroed());
        let r = drive_letter_link(b'R').unwrap();
        let s = drive_letter_link(b'S').unwrap();
        assert!(db.put(&r, &uid(b"a")));
        assert!(db.put(&s, &uid(b"b")));
        assert!(db.put(&r, &uid(b"c")));
        assert_eq!(db.entries().len(), 2);
        assert_eq!(db.find(r.as_units()).unwrap().uid.as_bytes(), b"c");
        db.remove(r.as_units());
        assert_eq!(db.entries().len(), 1);
        assert!(db.find(s.as_units()).is_some());
        db.remove(r.as_units());
        assert_eq!(db.entries().len(), 1);
    }

    #[test]
    fn database_fills_up() {
        let mut db = Box::new(Database::new_zeroed());
        for i in 0..DATABASE_CAPACITY {
            let name = LinkName::from_units(&[u16::try_from(i).unwrap() + 1]).unwrap();
            assert!(db.put(&name, &uid(b"x")));
        }
        let extra = LinkName::from_units(&[999]).unwrap();
        assert!(db.is_full_for(extra.as_units()));
        assert!(!db.put(&extra, &uid(b"x")));
        assert!(!db.is_full_for(&[1]));
        assert_eq!(db.free(), 0);
    }

    #[test]
    fn volumes_and_links() {
        let mut vs = Box::new(Volumes::new_zeroed());
        let dev = DeviceName::from_units(&[0x41]).unwrap();
        let i = vs.push(&Volume::new(&dev, &uid(b"u"))).unwrap();
        let v = vs.get_mut(i).unwrap();
        for letter in b'A'..b'A' + 8 {
            assert!(v.push_link(&drive_letter_link(letter).unwrap()));
        }
        assert!(!v.has_room());
        assert!(!v.push_link(&drive_letter_link(b'Z').unwrap()));
        assert_eq!(v.drive_letter(), Some(b'A'));
        v.remove_link(drive_letter_link(b'A').unwrap().as_units());
        assert_eq!(v.drive_letter(), Some(b'B'));
        assert_eq!(
            vs.owner_of(drive_letter_link(b'C').unwrap().as_units()),
            Some(0)
        );
        assert_eq!(vs.find_device(&[0x61]), Some(0));
        vs.remove(0);
        assert!(vs.all().is_empty());
        for _ in 0..VOLUME_CAPACITY {
            assert!(vs.push(&Volume::new(&dev, &uid(b"u"))).is_some());
        }
        assert!(!vs.has_room());
        assert!(vs.push(&Volume::new(&dev, &uid(b"u"))).is_none());
    }

    #[test]
    fn ignored_keeps_the_latest() {
        let mut ig = Ignored::new_zeroed();
        for i in 0..=u8::try_from(IGNORED_CAPACITY).unwrap() {
            ig.insert(&uid(&[i]));
            ig.insert(&uid(&[i]));
        }
        assert!(!ig.contains(&uid(&[0])));
        for i in 1..=u8::try_from(IGNORED_CAPACITY).unwrap() {
            assert!(ig.contains(&uid(&[i])), "{i}");
        }
    }
}
