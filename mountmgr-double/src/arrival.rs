//! `IOCTL_MOUNTMGR_VOLUME_ARRIVAL_NOTIFICATION`: learning of a volume.

use core::fmt::Write;

use crate::codes::{
    STATUS_DEVICE_PROTOCOL_ERROR, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
};
use crate::device::{Facts, Session};
use crate::layout::{MountmgrTargetName, read};
use crate::names::{Bytes, DeviceName, Text, drive_letter, is_volume_name, volume_name};
use crate::state::{Entry, Volume};
use crate::{Env, MountManager};

/// How a request ended, for its transcript line.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The input broke the wire rules.
    Invalid,
    /// The device could not be opened or its volume was refused.
    Rejected,
    /// Listed already: nothing done.
    NoOp,
    /// Its unique ID's arrivals are ignored: nothing done.
    Ignored,
    /// One of the double's tables is full.
    Full,
    /// Listed now.
    Registered,
}

impl Ended {
    /// The word the transcript prints.
    pub const fn word(self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::Rejected => "rejected",
            Self::NoOp => "no-op",
            Self::Ignored => "ignored",
            Self::Full => "full",
            Self::Registered => "registered",
        }
    }
}

/// How many GUIDs the double tries for a new volume name before giving up (a
/// fresh GUID that is already in use means a broken `ExUuidCreate`).
const GUID_ATTEMPTS: usize = 4;

/// A `MOUNTMGR_TARGET_NAME` read from `input`: `DeviceNameLength` even and not zero,
/// the name inside the input. `Err` has the status and the reason.
pub fn parse_target(input: &[u8]) -> Result<DeviceName, (i32, &'static str)> {
    let head = read::<MountmgrTargetName>(input).ok_or((
        STATUS_INVALID_PARAMETER,
        "input shorter than MOUNTMGR_TARGET_NAME (4 bytes)",
    ))?;
    let length = usize::from(head.device_name_length);
    if length == 0 || !length.is_multiple_of(2) {
        return Err((
            STATUS_INVALID_PARAMETER,
            "DeviceNameLength must be even and not zero",
        ));
    }
    let bytes = input.get(2..2 + length).ok_or((
        STATUS_INVALID_PARAMETER,
        "DeviceNameLength runs past the input",
    ))?;
    DeviceName::from_le_bytes(bytes).ok_or((
        STATUS_INSUFFICIENT_RESOURCES,
        "device name longer than the double holds",
    ))
}

impl MountManager {
    /// Handles an arrival; (status, how it ended, the device name if it was read).
    pub(crate) fn arrival<E: Env>(
        &mut self,
        env: &mut E,
        input: &[u8],
    ) -> (i32, Ended, Option<DeviceName>) {
        let name = match parse_target(input) {
            Ok(name) => name,
            Err((status, why)) => {
                self.note(|w| w.write_str(why));
                return (status, Ended::Invalid, None);
            }
        };
        self.sweep(env);
        let mut session = match self.open(env, &name) {
            Ok(s) => s,
            Err(status) => {
                self.note(|w| w.write_str("the device cannot be opened: nothing done"));
                return (status, Ended::Rejected, Some(name));
            }
        };
        let (status, result) = match self.arrival_queries(env, &session) {
            Ok(facts) => self.arrive(env, &mut session, &facts),
            Err(reject) => {
                if let Some(i) = self.volumes.find_device(name.as_units()) {
                    self.reject_volume(env, i, "its device no longer answers as it did");
                }
                (reject.0, Ended::Rejected)
            }
        };
        Self::close(env, session);
        (status, result, Some(name))
    }

    /// What to do with a volume whose queries all passed.
    fn arrive<E: Env>(
        &mut self,
        env: &mut E,
        session: &mut Session<E::Handle>,
        facts: &Facts,
    ) -> (i32, Ended) {
        if let Some(i) = self.volumes.find_device(facts.name.as_units()) {
            if self.volumes.get(i).is_some_and(|v| v.uid == facts.uid) {
                self.note(|w| w.write_str("already listed: nothing done"));
                return (STATUS_SUCCESS, Ended::NoOp);
            }
            self.note(|w| {
                write!(
                    w,
                    "rejected: {} is listed with another unique ID",
                    Text(facts.name.as_units())
                )
            });
            self.reject_volume(env, i, "its unique ID changed");
            return (STATUS_DEVICE_PROTOCOL_ERROR, Ended::Rejected);
        }
        if self.ignored.contains(&facts.uid) {
            self.note(|w| {
                write!(
                    w,
                    "arrivals of uid={} are ignored (a DELETE_POINTS by unique ID or device \
                     name): nothing done",
                    Bytes(facts.uid.as_bytes())
                )
            });
            return (STATUS_SUCCESS, Ended::Ignored);
        }
        // A volume name and a drive letter may need two new database entries.
        if !self.volumes.has_room() || self.database.free() < 2 {
            self.note(|w| w.write_str("the double's tables are full: nothing done"));
            return (STATUS_INSUFFICIENT_RESOURCES, Ended::Full);
        }
        let Some(v) = self.volumes.push(&Volume::new(&facts.name, &facts.uid)) else {
            return (STATUS_INSUFFICIENT_RESOURCES, Ended::Full);
        };
        self.register(env, v, facts);
        let count = self.volumes.get(v).map_or(0, |vol| vol.links().len());
        for k in 0..count {
            if let Some(link) = self
                .volumes
                .get(v)
                .and_then(|vol| vol.links().get(k))
                .copied()
            {
                self.link_created(env, session, &link);
            }
        }
        self.volume_online(env, session);
        self.unique_id_change_notify(env, session, &facts.uid);
        (STATUS_SUCCESS, Ended::Registered)
    }

    /// Gives volume `v` its links: the stored ones, a volume name, a drive letter.
    fn register<E: Env>(&mut self, env: &mut E, v: usize, facts: &Facts) {
        let mut stored = false;
        let mut has_letter = false;
        let mut has_volume_name = false;
        for e in 0..self.database.entries().len() {
            let Some(entry) = self.database.entries().get(e).copied() else {
                break;
            };
            if entry.uid != facts.uid {
                continue;
            }
            stored = true;
            let made = self.restore(env, v, &entry, has_letter);
            has_letter |= made && drive_letter(entry.link.as_units()).is_some();
            has_volume_name |= made && is_volume_name(entry.link.as_units());
        }
        if !stored {
            self.note(|w| {
                write!(
                    w,
                    "the database has no links for uid={}",
                    Bytes(facts.uid.as_bytes())
                )
            });
        }
        if !has_volume_name {
            self.new_volume_name(env, v, facts);
        }
        if !has_letter {
            self.suggested_letter(env, v, facts, stored);
        }
    }

    /// Recreates a stored link for volume `v`; whether it was made.
    fn restore<E: Env>(&mut self, env: &mut E, v: usize, entry: &Entry, has_letter: bool) -> bool {
        let link = entry.link.as_units();
        let skip = if drive_letter(link).is_some() && has_letter {
            Some("a second stored drive letter")
        } else if self.volumes.owner_of(link).is_some() {
            Some("held by another volume")
        } else if !self.volumes.get(v).is_some_and(Volume::has_room) {
            Some("the volume has no room for another link")
        } else {
            None
        };
        if let Some(why) = skip {
            self.note(|w| write!(w, "stored link {} not restored: {why}", Text(link)));
            return false;
        }
        let Some(device) = self.volumes.get(v).map(|vol| vol.device) else {
            return false;
        };
        if self.create_link(env, &entry.link, &device) != STATUS_SUCCESS {
            return false;
        }
        self.volumes
            .get_mut(v)
            .is_some_and(|vol| vol.push_link(&entry.link))
    }

    /// Creates and stores `\??\Volume{GUID}` for volume `v`: the stable GUID if the
    /// device gave one, else a new one.
    fn new_volume_name<E: Env>(&mut self, env: &mut E, v: usize, facts: &Facts) {
        let Some(device) = self.volumes.get(v).map(|vol| vol.device) else {
            return;
        };
        for attempt in 0..GUID_ATTEMPTS {
            let guid = match facts.stable_guid {
                Some(g) if attempt == 0 => g,
                _ => {
                    let g = env.new_guid();
                    self.transcript.line(|w| {
                        write!(w, "  new_guid value={}", Text(volume_name(&g).as_units()))
                    });
                    g
                }
            };
            let name = volume_name(&guid);
            if self.database.find(name.as_units()).is_some()
                || self.volumes.owner_of(name.as_units()).is_some()
            {
                self.note(|w| write!(w, "{} is in use already", Text(name.as_units())));
                continue;
            }
            if self.create_link(env, &name, &device) == STATUS_SUCCESS {
                self.store(env, &name, &facts.uid);
                if let Some(vol) = self.volumes.get_mut(v) {
                    vol.push_link(&name);
                }
            } else {
                self.note(|w| w.write_str("the volume has no volume name"));
            }
            return;
        }
        self.note(|w| w.write_str("no free volume name: the volume has none"));
    }

    /// Uses the suggested drive letter if the database gave none and it is free.
    fn suggested_letter<E: Env>(&mut self, env: &mut E, v: usize, facts: &Facts, stored: bool) {
        let Some(suggested) = &facts.suggested else {
            return;
        };
        let link = suggested.name.as_units();
        let taken_by_other = self.database.find(link).is_some_and(|e| e.uid != facts.uid);
        let why = if facts.no_drive_letter {
            Some("GPT_BASIC_DATA_ATTRIBUTE_NO_DRIVE_LETTER is set")
        } else if drive_letter(link).is_none() {
            Some("not a drive letter (\\DosDevices\\X:, upper case)")
        } else if suggested.only_if_no_other_links && stored {
            Some("UseOnlyIfThereAreNoOtherLinks and the database has links")
        } else if self.volumes.owner_of(link).is_some() {
            Some("in use by another volume")
        } else if taken_by_other {
            Some("stored for another unique ID")
        } else if !self.volumes.get(v).is_some_and(Volume::has_room) {
            Some("the volume has no room for another link")
        } else {
            None
        };
        if let Some(why) = why {
            self.note(|w| write!(w, "suggested link {} unused: {why}", Text(link)));
            return;
        }
        let Some(device) = self.volumes.get(v).map(|vol| vol.device) else {
            return;
        };
        if self.create_link(env, &suggested.name, &device) == STATUS_SUCCESS {
            self.store(env, &suggested.name, &facts.uid);
            if let Some(vol) = self.volumes.get_mut(v) {
                vol.push_link(&suggested.name);
            }
        }
    }
}
