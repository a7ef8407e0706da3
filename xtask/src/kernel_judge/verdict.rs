//! Reading the console: the guest's sentinel lines and the kernel's log, and the
//! kernel's verdict on each image.

use std::collections::BTreeMap;

/// Kernel messages at this level or more urgent (`KERN_WARNING` = 4) fail an image.
const WORST_ALLOWED: u8 = 5;

/// Kernel lines that fail every image of the boot.
const FATAL: &[&str] = &[
    "Kernel panic",
    "BUG:",
    "Oops",
    "general protection fault",
    "WARNING: CPU:",
    "Call Trace:",
];

/// Every file system's message prefix (also the ones no image of the run uses).
const FS_PREFIXES: &[&str] = &["FAT-fs", "exFAT-fs"];

/// One kernel log line (`dmesg -r`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kmsg {
    /// Log level 0 (emergency) .. 7 (debug).
    pub level: u8,
    /// The text, without level and time stamp.
    pub text: String,
}

/// What the guest printed about one image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// The virtio device (`vdc`).
    pub dev: Option<String>,
    /// The hash of `MOUNTED <name> <hash>`.
    pub mounted: Option<String>,
    /// Steps that failed.
    pub failed: Vec<String>,
    /// The listing (printed only when the hash differs).
    pub listing: Vec<String>,
}

/// The parsed console.
#[derive(Debug, Default)]
pub struct Console {
    /// Per image name.
    pub seen: BTreeMap<String, Seen>,
    /// The kernel log.
    pub kmsg: Vec<Kmsg>,
    /// Modules that did not load.
    pub insmod_failed: Vec<String>,
    /// `JUDGE-END` was printed.
    pub finished: bool,
}

/// Parses `<level>[ time] text` (a `dmesg -r` line).
fn parse_kmsg(line: &str) -> Option<Kmsg> {
    let rest = line.strip_prefix('<')?;
    let (level, rest) = rest.split_once('>')?;
    let level: u32 = level.parse().ok()?;
    let text = rest
        .strip_prefix('[')
        .map_or(rest, |r| r.split_once(']').map_or(r, |(_, t)| t));
    Some(Kmsg {
        level: u8::try_from(level & 7).ok()?,
        text: text.trim().to_string(),
    })
}

/// Parses the whole console text.
pub fn parse(console: &str) -> Console {
    let mut c = Console::default();
    let mut in_kmsg = false;
    for raw in console.lines() {
        let line = raw.trim_end_matches('\r');
        if line == "JUDGE-KMSG-BEGIN" {
            in_kmsg = true;
            continue;
        }
        if line == "JUDGE-KMSG-END" {
            in_kmsg = false;
            continue;
        }
        if in_kmsg {
            if let Some(k) = parse_kmsg(line) {
                c.kmsg.push(k);
            }
            continue;
        }
        let mut words = line.splitn(3, ' ');
        let (tag, name, rest) = (
            words.next().unwrap_or(""),
            words.next().unwrap_or(""),
            words.next().unwrap_or(""),
        );
        match tag {
            "JUDGE-INSMOD-FAILED" => c.insmod_failed.push(name.to_string()),
            "JUDGE-END" => c.finished = true,
            "JUDGE-DISK" | "MOUNTED" | "JUDGE-FAILED" | "JUDGE-LISTING" => {
                let seen = c.seen.entry(name.to_string()).or_default();
                let rest = rest.to_string();
                match tag {
                    "JUDGE-DISK" => seen.dev = Some(rest),
                    "MOUNTED" => seen.mounted = Some(rest),
                    "JUDGE-FAILED" => seen.failed.push(rest),
                    _ => seen.listing.push(rest),
                }
            }
            _ => {}
        }
    }
    c
}

/// Does `text` name the device as a word (`(vdb)`, `vdb:`, `dev vdb,`)?
fn names_device(text: &str, dev: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == dev)
}

impl Console {
    /// Kernel lines that fail every image (panic, oops, WARN).
    pub fn fatal_lines(&self) -> Vec<String> {
        self.kmsg
            .iter()
            .filter(|k| FATAL.iter().any(|f| k.text.contains(f)))
            .map(|k| k.text.clone())
            .collect()
    }

    /// File-system messages at warning level or worse that name no device of `devs`.
    pub fn stray_fs_warnings(&self, devs: &[String]) -> Vec<String> {
        self.kmsg
            .iter()
            .filter(|k| k.level < WORST_ALLOWED)
            .filter(|k| FS_PREFIXES.iter().any(|p| k.text.contains(p)))
            .filter(|k| !devs.iter().any(|d| names_device(&k.text, d)))
            .map(|k| k.text.clone())
            .collect()
    }

    /// The kernel's lines about `dev`: (every line, the warning-or-worse ones).
    pub fn device_lines(&self, dev: &str) -> (Vec<String>, Vec<String>) {
        let mine: Vec<&Kmsg> = self
            .kmsg
            .iter()
            .filter(|k| names_device(&k.text, dev))
            .collect();
        let bad = mine
            .iter()
            .filter(|k| k.level < WORST_ALLOWED)
            .map(|k| format!("<{}> {}", k.level, k.text))
            .collect();
        (mine.iter().map(|k| k.text.clone()).collect(), bad)
    }

    /// The kernel's verdict on one image: problems (empty: clean) and the kernel's
    /// warning-or-worse lines about its device.
    pub fn judge(&self, name: &str, want_hash: &str) -> KernelVerdict {
        let mut v = KernelVerdict::default();
        let Some(seen) = self.seen.get(name) else {
            v.problems
                .push("the guest printed nothing about it (no MOUNTED sentinel)".into());
            return v;
        };
        let Some(dev) = &seen.dev else {
            v.problems
                .push(format!("no disk: {}", seen.failed.join("; ")));
            return v;
        };
        v.dev.clone_from(dev);
        let (all, bad) = self.device_lines(dev);
        v.kernel_lines = all;
        for f in &seen.failed {
            v.problems.push(format!("step failed: {f}"));
        }
        match &seen.mounted {
            None => v.problems.push("no MOUNTED sentinel".into()),
            Some(h) if h != want_hash => v.problems.push(format!(
                "the listing read back has SHA-256 {h}, the host expects {want_hash}"
            )),
            Some(_) => {}
        }
        for b in &bad {
            v.problems.push(format!("kernel: {b}"));
        }
        v.kernel_warnings = bad;
        v
    }
}

/// What the kernel made of one image.
#[derive(Debug, Default)]
pub struct KernelVerdict {
    /// The device it was (`vdc`).
    pub dev: String,
    /// Why it failed (empty: it passed).
    pub problems: Vec<String>,
    /// Every kernel line naming the device.
    pub kernel_lines: Vec<String>,
    /// Those at warning level or worse.
    pub kernel_warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like a real run's console (lines as the 6.1 kernel prints them).
    const CONSOLE: &str = "\
[    0.512000] random: crng init done\r
JUDGE-BEGIN\r
JUDGE-DISK good vda\r
MOUNTED good 1111\r
JUDGE-DISK warned vdb\r
MOUNTED warned 2222\r
JUDGE-DISK refused vdc\r
JUDGE-FAILED refused mount read-write\r
JUDGE-DISK differs vdd\r
MOUNTED differs 9999\r
JUDGE-LISTING differs D .\r
JUDGE-KMSG-BEGIN\r
<5>[    1.000000] virtio_blk virtio1: [vda] 32768 512-byte logical blocks (16.8 MB/16.0 MiB)\r
<4>[    2.000000] FAT-fs (vdb): Invalid FSINFO signature: 0x00000000, 0x61417272 (sector = 1)\r
<3>[    2.100000] FAT-fs (vdc): bogus logical sector size 1000\r
<6>[    2.200000] FAT-fs (vdd): some informational line\r
<4>[    2.300000] RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable\r
JUDGE-KMSG-END\r
JUDGE-END\r
";

    #[test]
    fn sentinels_and_kernel_messages_decide() {
        let c = parse(CONSOLE);
        assert!(c.finished);
        assert_eq!(c.kmsg.len(), 5);
        assert_eq!(c.kmsg[1].level, 4);
        assert!(c.kmsg[1].text.starts_with("FAT-fs (vdb): Invalid FSINFO"));
        assert!(c.fatal_lines().is_empty());
        let good = c.judge("good", "1111");
        assert!(good.problems.is_empty(), "{:?}", good.problems);
        assert_eq!(good.kernel_lines.len(), 1, "the virtio line names vda");
        // Sentinel and hash right, but a FAT-fs warning: fails, showing the kernel's words.
        let warned = c.judge("warned", "2222");
        assert_eq!(warned.problems.len(), 1, "{:?}", warned.problems);
        assert!(warned.problems[0].contains("Invalid FSINFO signature"));
        let refused = c.judge("refused", "x");
        assert!(refused.problems.iter().any(|p| p == "no MOUNTED sentinel"));
        assert!(
            refused
                .problems
                .iter()
                .any(|p| p.contains("bogus logical sector size"))
        );
        let differs = c.judge("differs", "1234");
        assert!(
            differs.problems[0].contains("SHA-256 9999"),
            "{:?}",
            differs.problems
        );
        assert_eq!(c.seen["differs"].listing, ["D ."]);
        assert_eq!(
            differs.kernel_lines.len(),
            1,
            "info lines are shown, not failed"
        );
        let missing = c.judge("absent", "1");
        assert!(missing.problems[0].contains("no MOUNTED sentinel"));
        // A wrong expected hash fails a good image too.
        assert!(!c.judge("good", "1112").problems.is_empty());
    }

    #[test]
    fn device_names_match_whole_words_only() {
        assert!(names_device("FAT-fs (vda): x", "vda"));
        assert!(names_device("I/O error, dev vdb, sector 0", "vdb"));
        assert!(!names_device("FAT-fs (vdaa): x", "vda"));
        let c = parse(
            "JUDGE-KMSG-BEGIN\n<3>[ 1.0] FAT-fs (vdq): error\n<4>[1.0] exFAT-fs (vdz): w\nJUDGE-KMSG-END\n",
        );
        assert_eq!(c.stray_fs_warnings(&["vdq".into()]), ["exFAT-fs (vdz): w"]);
        let c =
            parse("JUDGE-KMSG-BEGIN\n<0>[ 3.0] Kernel panic - not syncing: x\nJUDGE-KMSG-END\n");
        assert_eq!(c.fatal_lines().len(), 1);
        assert!(!c.finished);
    }
}
