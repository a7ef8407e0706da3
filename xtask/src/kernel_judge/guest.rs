//! The guest: a newc initramfs holding busybox, the modules the file systems need,
//! the file trees and an `/init` that judges every attached disk in turn.
//!
//! What `/init` prints on the serial console, one line each:
//! - `JUDGE-DISK <name> <vdX>`: the disk with the image's serial number;
//! - `MOUNTED <name> <sha256>`: the image was mounted read-write (`loud`: busybox
//!   mounts with `MS_SILENT` otherwise, which hides the driver's refusals), the tree written and
//!   changed, unmounted, mounted again read-only (page cache dropped), listed, and
//!   unmounted; the hash is over that listing ([`super::tree::Tree::listing`]);
//! - `JUDGE-LISTING <name> <line>`: the listing, only when its hash is not the
//!   expected one (for the message);
//! - `JUDGE-FAILED <name> <step>`: a step failed (the kernel's reason is in dmesg);
//! - for the image with the big file (`bigfile-*` in the manifest) `MOUNTED` comes
//!   after a read-only mount only, and its listing is the file's size and the SHA-256
//!   of each range `/judge/<tree>.ranges` names (`offset length MiB-count`, or `all`);
//! - `JUDGE-KMSG-BEGIN`, the raw kernel log (`dmesg -r`: `<level>[time] text`),
//!   `JUDGE-KMSG-END`, then `JUDGE-END` before it powers off.

use std::{collections::BTreeSet, fmt::Write as _, fs, io::Write, path::Path};

use anyhow::{Context, Result};
use cpio::newc::{Builder, ModeFileType, trailer};

use super::{
    images::{Image, Job},
    kit::Kit,
    tree::{Op, TreeKind},
};
use ramdisk_exfat_judge::big_file;

/// One disk as the guest sees it.
pub struct Disk<'a> {
    /// The virtio serial number (`j00`, `j01`, ...), how `/init` finds the device.
    pub serial: String,
    /// The image behind it.
    pub image: &'a Image,
}

fn ops_function(kind: TreeKind, ops: &[Op]) -> String {
    let mut f = format!("ops_{}() {{\n    true", kind.name());
    for op in ops {
        let _ = write!(f, " &&\n    {}", op.shell());
    }
    f.push_str("\n}\n");
    f
}

/// The `/init` script.
pub fn init_script() -> String {
    let mut ops = String::new();
    for kind in TreeKind::ALL {
        ops.push_str(&ops_function(kind, &kind.ops()));
    }
    format!(
        r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin LC_ALL=C
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo JUDGE-BEGIN
while read -r m; do
    insmod "/judge/modules/$m.ko" || echo "JUDGE-INSMOD-FAILED $m"
done < /judge/modules.list
want=$(wc -l < /judge/disks)
n=0
while [ "$(ls -d /sys/block/vd* 2>/dev/null | wc -l)" -lt "$want" ] && [ $n -lt 100 ]; do
    sleep 0.1
    n=$((n + 1))
done
{ops}
find_disk() {{
    dev=
    for b in /sys/block/vd*; do
        [ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] && dev=${{b##*/}}
    done
    [ -n "$dev" ]
}}
report() {{
    name=$1 want=$2
    h=$(sha256sum < "/tmp/$name.list")
    h=${{h%% *}}
    echo "MOUNTED $name $h"
    [ "$h" = "$want" ] || sed "s/^/JUDGE-LISTING $name /" "/tmp/$name.list"
}}
attach() {{
    find_disk "$1" || {{ echo "JUDGE-FAILED $2 no disk with serial $1"; return 1; }}
    echo "JUDGE-DISK $2 $dev"
    m=/mnt/$2
    mkdir -p "$m"
}}
bigread() {{
    serial=$1 name=$2 fstype=$3 tree=$4 want=$5
    attach "$serial" "$name" || return
    mount -t "$fstype" -o ro,loud "/dev/$dev" "$m" || {{ echo "JUDGE-FAILED $name mount read-only"; return; }}
    f="$m/{big}"
    {{
        echo "S $(stat -c %s "$f") ./{big}"
        while read -r offset len count; do
            if [ "$count" = all ]; then
                h=$(sha256sum < "$f")
            else
                h=$(dd if="$f" bs=1048576 iflag=skip_bytes skip="$offset" count="$count" 2>/dev/null | sha256sum)
            fi
            echo "${{h%% *}}  $offset+$len"
        done < "/judge/$tree.ranges"
    }} > "/tmp/$name.list" || echo "JUDGE-FAILED $name read the big file"
    umount "$m" || echo "JUDGE-FAILED $name unmount the read-only mount"
    report "$name" "$want"
}}
judge() {{
    serial=$1 name=$2 fstype=$3 tree=$4 want=$5
    attach "$serial" "$name" || return
    mount -t "$fstype" -o rw,loud "/dev/$dev" "$m" || {{ echo "JUDGE-FAILED $name mount read-write"; return; }}
    cp -R "/judge/tree/$tree/." "$m/" || echo "JUDGE-FAILED $name copy the tree"
    (cd "$m" && "ops_$tree") || echo "JUDGE-FAILED $name delete/rename/append"
    umount "$m" || {{ echo "JUDGE-FAILED $name unmount"; return; }}
    echo 3 > /proc/sys/vm/drop_caches
    mount -t "$fstype" -o ro,loud "/dev/$dev" "$m" || {{ echo "JUDGE-FAILED $name mount again read-only"; return; }}
    (cd "$m" && {{
        find . -type d | sed 's/^/D /'
        find . -type f -exec stat -c 'S %s %n' {{}} +
        find . -type f -exec sha256sum {{}} +
    }} | sort) > "/tmp/$name.list"
    umount "$m" || echo "JUDGE-FAILED $name unmount the read-only mount"
    report "$name" "$want"
}}
while read -r serial name fstype tree want; do
    case "$tree" in
        bigfile-*) bigread "$serial" "$name" "$fstype" "$tree" "$want" ;;
        *) judge "$serial" "$name" "$fstype" "$tree" "$want" ;;
    esac
done < /judge/disks
echo JUDGE-KMSG-BEGIN
dmesg -r
echo JUDGE-KMSG-END
echo JUDGE-END
sync
poweroff -f
"#,
        big = big_file::NAME
    )
}

/// The manifest's tree column of an image: a file tree's name, or `bigfile-ci` /
/// `bigfile-whole`.
const fn job_name(image: &Image) -> &'static str {
    match image.spec.job {
        Job::Tree => image.tree.name(),
        Job::ReadBigFile { whole: false } => "bigfile-ci",
        Job::ReadBigFile { whole: true } => "bigfile-whole",
    }
}

/// `/judge/bigfile-*.ranges`: `offset length MiB-count` per range, `all` for the whole
/// file.
pub fn ranges_file(whole: bool) -> String {
    let mut s = String::new();
    for (offset, len) in big_file::ranges(whole) {
        if whole {
            let _ = writeln!(s, "{offset} {len} all");
        } else {
            let _ = writeln!(s, "{offset} {len} {}", len >> 20);
        }
    }
    s
}

/// The `/judge/disks` manifest: `serial name fstype tree expected-hash` per line.
pub fn manifest(disks: &[Disk<'_>]) -> String {
    let mut s = String::new();
    for d in disks {
        let _ = writeln!(
            s,
            "{} {} {} {} {}",
            d.serial,
            d.image.spec.name,
            d.image.spec.fs.mount_type(),
            job_name(d.image),
            d.image.expected_hash()
        );
    }
    s
}

/// A newc archive in memory, directories before their contents.
struct Archive {
    out: Vec<u8>,
    ino: u32,
}

impl Archive {
    fn entry(&mut self, b: Builder, kind: ModeFileType, perm: u32, data: &[u8]) -> Result<()> {
        self.ino += 1;
        let b = b.ino(self.ino).mode(perm).set_mode_file_type(kind).nlink(1);
        let len = u32::try_from(data.len()).context("initramfs entry over 4 GiB")?;
        let mut w = b.write(&mut self.out, len);
        w.write_all(data)?;
        w.finish()?;
        Ok(())
    }

    fn dir(&mut self, name: &str) -> Result<()> {
        self.entry(Builder::new(name), ModeFileType::Directory, 0o755, &[])
    }

    fn file(&mut self, name: &str, perm: u32, data: &[u8]) -> Result<()> {
        self.entry(Builder::new(name), ModeFileType::Regular, perm, data)
    }
}

/// Writes the initramfs for `disks` to `path` (uncompressed: TCG unpacks it faster).
/// Returns the names of the modules it loads, in order.
pub fn build_initramfs(kit: &Kit, disks: &[Disk<'_>], path: &Path) -> Result<Vec<String>> {
    let mut wanted: Vec<String> = vec!["virtio_pci".into(), "virtio_blk".into()];
    let kinds: BTreeSet<_> = disks.iter().map(|d| d.image.spec.fs).collect();
    for k in &kinds {
        for m in k.modules(kit)? {
            if !wanted.contains(&m) {
                wanted.push(m);
            }
        }
    }
    let modules = kit.resolve_modules(&wanted)?;
    let mut a = Archive {
        out: Vec::new(),
        ino: 0,
    };
    for d in [
        "bin",
        "dev",
        "proc",
        "sys",
        "mnt",
        "tmp",
        "judge",
        "judge/modules",
        "judge/tree",
    ] {
        a.dir(d)?;
    }
    // The kernel opens /dev/console (5:1) for init's standard streams.
    a.entry(
        Builder::new("dev/console").rdev_major(5).rdev_minor(1),
        ModeFileType::Char,
        0o600,
        &[],
    )?;
    a.file("bin/busybox", 0o755, &fs::read(&kit.busybox)?)?;
    a.file("init", 0o755, init_script().as_bytes())?;
    a.file("judge/disks", 0o644, manifest(disks).as_bytes())?;
    let mut list = String::new();
    for (name, ko) in &modules {
        a.file(
            &format!("judge/modules/{name}.ko"),
            0o644,
            &fs::read(ko).with_context(|| format!("read {}", ko.display()))?,
        )?;
        list.push_str(name);
        list.push('\n');
    }
    a.file("judge/modules.list", 0o644, list.as_bytes())?;
    for whole in [false, true] {
        let name = if whole { "bigfile-whole" } else { "bigfile-ci" };
        a.file(
            &format!("judge/{name}.ranges"),
            0o644,
            ranges_file(whole).as_bytes(),
        )?;
    }
    let kinds: BTreeSet<TreeKind> = disks.iter().map(|d| d.image.tree).collect();
    for kind in kinds {
        let root = format!("judge/tree/{}", kind.name());
        a.dir(&root)?;
        let tree = kind.files();
        for d in &tree.dirs {
            a.dir(&format!("{root}/{d}"))?;
        }
        for (p, data) in &tree.files {
            a.file(&format!("{root}/{p}"), 0o644, data)?;
        }
    }
    let out = trailer(a.out)?;
    fs::write(path, &out).with_context(|| format!("write {}", path.display()))?;
    Ok(modules.into_iter().map(|(n, _)| n).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_script_runs_every_kind_and_prints_the_sentinels() {
        let s = init_script();
        for kind in TreeKind::ALL {
            assert!(s.contains(&format!("ops_{}() {{", kind.name())), "{kind:?}");
        }
        for needle in [
            "echo \"MOUNTED $name $h\"",
            "JUDGE-KMSG-BEGIN",
            "dmesg -r",
            "poweroff -f",
            "echo 3 > /proc/sys/vm/drop_caches",
            "mount -t \"$fstype\" -o ro,loud",
            "bigfile-*) bigread",
            "iflag=skip_bytes",
        ] {
            assert!(s.contains(needle), "{needle}");
        }
        // Every operation is chained: one failure fails the step.
        let full = ops_function(TreeKind::Full, &TreeKind::Full.ops());
        assert_eq!(
            full.matches(" &&\n").count(),
            TreeKind::Full.ops().len(),
            "{full}"
        );
    }
}
