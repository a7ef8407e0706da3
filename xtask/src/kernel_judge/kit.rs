//! The guest's material: Debian's kernel with its modules and busybox-static, fetched
//! with `apt-get download` and unpacked with `dpkg-deb -x` under
//! `target/kernel-judge/kit/` (never installed on the host), cached per package version.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};
use object::{Object, ObjectSection};

use crate::{
    deps::apt_get,
    util::{output, run},
};

/// The kernel's metapackage: its `Depends` names the current `linux-image-<version>-amd64`.
const KERNEL_META: &str = "linux-image-amd64";
/// Busybox, statically linked (the guest has no libc).
const BUSYBOX: &str = "busybox-static";

/// What the guest boots.
#[derive(Debug)]
pub struct Kit {
    /// `linux-image-6.1.0-57-amd64 6.1.192-3`.
    pub kernel_package: String,
    /// `6.1.0-57-amd64` (the `lib/modules` directory name).
    pub release: String,
    /// The compressed kernel image.
    pub vmlinuz: PathBuf,
    /// `lib/modules/<release>` of the unpacked package.
    pub modules_dir: PathBuf,
    /// `CONFIG_*` settings from the package's `boot/config-<release>`.
    pub config: BTreeMap<String, String>,
    /// The static busybox binary.
    pub busybox: PathBuf,
    /// `busybox-static <version>`.
    pub busybox_package: String,
}

/// `apt-cache show --no-all-versions <pkg>`: the candidate's fields (`Version`, `Depends`).
fn candidate(pkg: &str) -> Result<BTreeMap<String, String>> {
    let show = || output(Command::new("apt-cache").args(["show", "--no-all-versions", pkg]));
    let text = match show() {
        Ok(t) if !t.trim().is_empty() => t,
        // A fresh machine may have no package lists yet.
        _ => {
            run(apt_get().arg("update"))?;
            show()?
        }
    };
    Ok(text
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// The `linux-image-<release>` package `linux-image-amd64` depends on.
pub fn kernel_package_from_depends(depends: &str) -> Option<String> {
    depends
        .split([',', '|'])
        .map(|d| d.split_whitespace().next().unwrap_or(""))
        .find(|name| name.starts_with("linux-image-") && name.ends_with("-amd64"))
        .map(str::to_string)
}

/// Downloads `pkg` (candidate `version`) and unpacks it into `dir` once; a `.complete`
/// stamp marks a finished unpack. Other cached versions of the same package are removed.
fn unpack(pkg: &str, version: &str, cache: &Path) -> Result<PathBuf> {
    let safe_version = version.replace(':', "%3a");
    let dir = cache.join(format!("{pkg}_{safe_version}"));
    let stamp = dir.join(".complete");
    if stamp.exists() {
        return Ok(dir);
    }
    for e in fs::read_dir(cache)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{pkg}_")) && e.path() != dir {
            println!("removing the older {name}");
            fs::remove_dir_all(e.path())?;
        }
    }
    let dl = cache.join("download");
    if dl.exists() {
        fs::remove_dir_all(&dl)?;
    }
    fs::create_dir_all(&dl)?;
    let purpose = crate::deps::GUEST_PACKAGES
        .iter()
        .find(|(p, _)| {
            *p == pkg || (p.starts_with("linux-image-") && pkg.starts_with("linux-image-"))
        })
        .map_or("", |(_, why)| *why);
    println!(
        "downloading {pkg} {version} for the guest ({purpose}; apt-get download, never installed)"
    );
    run(apt_get()
        .current_dir(&dl)
        // As root, apt would try (and fail) to hand the download to its `_apt` user.
        .args(["-o", "APT::Sandbox::User=root"])
        .args(["download", &format!("{pkg}={version}")]))?;
    let deb = fs::read_dir(&dl)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .with_context(|| format!("apt-get download left no .deb in {}", dl.display()))?;
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&dir))?;
    fs::remove_dir_all(&dl)?;
    fs::write(&stamp, format!("{pkg} {version}\n"))?;
    Ok(dir)
}

/// Parses a kernel `.config`: `CONFIG_X=value` lines (quotes removed).
pub fn parse_config(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| l.starts_with("CONFIG_"))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect()
}

/// Fetches (or reuses) the kernel and busybox.
pub fn ensure(cache: &Path) -> Result<Kit> {
    fs::create_dir_all(cache)?;
    let meta = candidate(KERNEL_META)?;
    let depends = meta
        .get("Depends")
        .with_context(|| format!("{KERNEL_META} has no Depends"))?;
    let kernel_pkg = kernel_package_from_depends(depends)
        .with_context(|| format!("no linux-image-*-amd64 in {KERNEL_META}'s Depends: {depends}"))?;
    let release = kernel_pkg
        .strip_prefix("linux-image-")
        .unwrap_or(&kernel_pkg)
        .to_string();
    let kernel_version = candidate(&kernel_pkg)?
        .remove("Version")
        .with_context(|| format!("{kernel_pkg} has no candidate version"))?;
    let kdir = unpack(&kernel_pkg, &kernel_version, cache)?;
    let vmlinuz = kdir.join("boot").join(format!("vmlinuz-{release}"));
    let config_path = kdir.join("boot").join(format!("config-{release}"));
    let modules_dir = kdir.join("lib").join("modules").join(&release);
    for p in [&vmlinuz, &config_path, &modules_dir] {
        if !p.exists() {
            bail!("{kernel_pkg} {kernel_version} has no {}", p.display());
        }
    }
    let config = parse_config(&fs::read_to_string(&config_path)?);
    let bb_version = candidate(BUSYBOX)?
        .remove("Version")
        .with_context(|| format!("{BUSYBOX} has no candidate version"))?;
    let bdir = unpack(BUSYBOX, &bb_version, cache)?;
    let busybox = bdir.join("bin").join("busybox");
    if !busybox.exists() {
        bail!("{BUSYBOX} {bb_version} has no bin/busybox");
    }
    Ok(Kit {
        kernel_package: format!("{kernel_pkg} {kernel_version}"),
        release,
        vmlinuz,
        modules_dir,
        config,
        busybox,
        busybox_package: format!("{BUSYBOX} {bb_version}"),
    })
}

/// A module name as the kernel spells it (`-` and `_` are the same).
fn normalize(name: &str) -> String {
    name.replace('-', "_")
}

/// The `depends=` of a module's `.modinfo` section (what depmod writes into modules.dep;
/// the package ships no modules.dep, depmod makes it at install time).
pub fn modinfo_depends(ko: &[u8]) -> Result<Vec<String>> {
    let file = object::File::parse(ko).context("not an ELF module")?;
    let data = file
        .section_by_name(".modinfo")
        .context("no .modinfo section")?
        .data()?;
    Ok(data
        .split(|&b| b == 0)
        .filter_map(|f| f.strip_prefix(b"depends="))
        .flat_map(|d| d.split(|&b| b == b','))
        .filter(|d| !d.is_empty())
        .map(|d| normalize(&String::from_utf8_lossy(d)))
        .collect())
}

/// Depth-first: `name`'s dependencies, then `name`, appended to `order`.
fn visit(
    name: &str,
    files: &BTreeMap<String, PathBuf>,
    builtin: &BTreeSet<String>,
    seen: &mut BTreeSet<String>,
    order: &mut Vec<(String, PathBuf)>,
    chain: &mut Vec<String>,
) -> Result<()> {
    let name = normalize(name);
    if seen.contains(&name) || builtin.contains(&name) {
        return Ok(());
    }
    if chain.contains(&name) {
        bail!("module dependency cycle: {} -> {name}", chain.join(" -> "));
    }
    let Some(path) = files.get(&name) else {
        bail!("module {name} is neither in the package nor built into the kernel");
    };
    chain.push(name.clone());
    let deps =
        modinfo_depends(&fs::read(path)?).with_context(|| format!("read {}", path.display()))?;
    for d in deps {
        visit(&d, files, builtin, seen, order, chain)?;
    }
    chain.pop();
    seen.insert(name.clone());
    order.push((name, path.clone()));
    Ok(())
}

impl Kit {
    /// `CONFIG_<name>`, if set.
    pub fn config(&self, name: &str) -> Option<&str> {
        self.config.get(name).map(String::as_str)
    }

    /// Every `.ko` file of the package by module name.
    fn module_files(&self) -> Result<BTreeMap<String, PathBuf>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.modules_dir.join("kernel")];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).with_context(|| format!("read {}", d.display()))? {
                let p = e?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Some(stem) = p.file_name().and_then(|n| n.to_str()) {
                    if let Some(name) = stem.strip_suffix(".ko") {
                        out.insert(normalize(name), p.clone());
                    } else if stem.ends_with(".ko.xz") || stem.ends_with(".ko.zst") {
                        bail!(
                            "{}: compressed modules are not supported by the judge yet",
                            p.display()
                        );
                    }
                }
            }
        }
        Ok(out)
    }

    /// Module names built into the kernel (`modules.builtin`).
    fn builtin(&self) -> Result<BTreeSet<String>> {
        let text = fs::read_to_string(self.modules_dir.join("modules.builtin"))?;
        Ok(text
            .lines()
            .filter_map(|l| l.rsplit('/').next()?.strip_suffix(".ko"))
            .map(normalize)
            .collect())
    }

    /// The `.ko` files to load for `wanted`, dependencies first, built-in modules left
    /// out. A module that is neither a file nor built in is an error.
    pub fn resolve_modules(&self, wanted: &[String]) -> Result<Vec<(String, PathBuf)>> {
        let files = self.module_files()?;
        let builtin = self.builtin()?;
        let mut order: Vec<(String, PathBuf)> = Vec::new();
        let mut seen = BTreeSet::new();
        for w in wanted {
            visit(w, &files, &builtin, &mut seen, &mut order, &mut Vec::new())?;
        }
        Ok(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metapackage_depends_and_config() {
        assert_eq!(
            kernel_package_from_depends("linux-image-6.1.0-57-amd64 (= 6.1.192-3)").as_deref(),
            Some("linux-image-6.1.0-57-amd64")
        );
        assert_eq!(kernel_package_from_depends("libc6 (>= 2)"), None);
        let c = parse_config(
            "# comment\nCONFIG_FAT_DEFAULT_IOCHARSET=\"ascii\"\nCONFIG_VFAT_FS=m\n# CONFIG_X is not set\n",
        );
        assert_eq!(c["CONFIG_FAT_DEFAULT_IOCHARSET"], "ascii");
        assert_eq!(c["CONFIG_VFAT_FS"], "m");
        assert_eq!(c.len(), 2);
    }

    /// A minimal little-endian ELF64 relocatable with `.shstrtab` and `.modinfo`.
    fn elf_with_modinfo(modinfo: &[u8]) -> Vec<u8> {
        let shstrtab = b"\0.shstrtab\0.modinfo\0";
        let mut out = vec![0u8; 64];
        out[..7].copy_from_slice(&[0x7F, b'E', b'L', b'F', 2, 1, 1]);
        out[16..18].copy_from_slice(&1u16.to_le_bytes()); // ET_REL
        out[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
        out[20..24].copy_from_slice(&1u32.to_le_bytes());
        out[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        out[58..60].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
        out[60..62].copy_from_slice(&3u16.to_le_bytes()); // e_shnum
        out[62..64].copy_from_slice(&1u16.to_le_bytes()); // e_shstrndx
        let strtab_at = out.len() as u64;
        out.extend_from_slice(shstrtab);
        let modinfo_at = out.len() as u64;
        out.extend_from_slice(modinfo);
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
        let shoff = out.len() as u64;
        out[40..48].copy_from_slice(&shoff.to_le_bytes());
        let header = |name: u32, kind: u32, flags: u64, offset: u64, size: u64| {
            let mut h = vec![0u8; 64];
            h[0..4].copy_from_slice(&name.to_le_bytes());
            h[4..8].copy_from_slice(&kind.to_le_bytes());
            h[8..16].copy_from_slice(&flags.to_le_bytes());
            h[24..32].copy_from_slice(&offset.to_le_bytes());
            h[32..40].copy_from_slice(&size.to_le_bytes());
            h[48..56].copy_from_slice(&1u64.to_le_bytes());
            h
        };
        out.extend(vec![0u8; 64]);
        out.extend(header(1, 3, 0, strtab_at, shstrtab.len() as u64));
        out.extend(header(11, 1, 2, modinfo_at, modinfo.len() as u64));
        out
    }

    #[test]
    fn modinfo_depends_reads_the_elf_section() {
        let ko = elf_with_modinfo(
            b"license=GPL\0depends=virtio_ring,virtio-pci-modern-dev\0vermagic=6.1\0",
        );
        assert_eq!(
            modinfo_depends(&ko).unwrap(),
            ["virtio_ring", "virtio_pci_modern_dev"]
        );
        assert!(
            modinfo_depends(&elf_with_modinfo(b"depends=\0"))
                .unwrap()
                .is_empty()
        );
        assert!(modinfo_depends(b"not an ELF file").is_err());
    }
}
