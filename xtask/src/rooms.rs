//! The room rules of the driver, checked on the source text (a host test):
//!
//! - raw WDK access only in `src/kernel/`: outside it, no `unsafe`, no WDK bindings
//!   module (`wdk_sys::ntddk`), no bindgen-generated field names, no WDK structure
//!   fields that belong to IRPs, MDLs, device or driver objects;
//! - IRPs are completed only by `kernel::Irp` (`IofCompleteRequest` appears in
//!   `src/kernel/irp.rs` only);
//! - the data path (raw copies over disk memory) exists only in `store/`.

use std::{fs, path::Path};

use crate::util::files_below;
/// What may not appear in the driver's `src/` outside `src/kernel/`, and why.
pub const OUTSIDE_KERNEL: &[(&str, &str)] = &[
    ("unsafe {", "unsafe code belongs in src/kernel/"),
    ("unsafe fn", "unsafe code belongs in src/kernel/"),
    ("unsafe impl", "unsafe code belongs in src/kernel/"),
    ("unsafe extern", "unsafe code belongs in src/kernel/"),
    (
        "unsafe(",
        "unsafe attributes (exports) belong in src/kernel/",
    ),
    ("ntddk", "WDK functions are called from src/kernel/ only"),
    ("__bindgen", "WDK field paths live in src/kernel/"),
    ("IoStatus", "IRP fields live in src/kernel/"),
    ("MdlAddress", "IRP fields live in src/kernel/"),
    ("SystemBuffer", "IRP fields live in src/kernel/"),
    ("CurrentStackLocation", "IRP fields live in src/kernel/"),
    (
        "DeviceExtension",
        "device object fields live in src/kernel/",
    ),
    ("MajorFunction", "driver object fields live in src/kernel/"),
    ("MappedSystemVa", "MDL fields live in src/kernel/"),
    ("*mut IRP", "raw IRP pointers live in src/kernel/"),
    (
        "*mut DEVICE_OBJECT",
        "raw device pointers live in src/kernel/",
    ),
    (
        "*mut DRIVER_OBJECT",
        "raw driver pointers live in src/kernel/",
    ),
];

/// Only `src/kernel/irp.rs` completes IRPs.
pub const COMPLETION: &str = "IofCompleteRequest";
/// Only `store/` copies disk memory: these calls, and the one file outside it that may
/// use each (the pool's zero fill of a fresh allocation is not the data path).
pub const DATA_PATH: &[(&str, Option<&str>)] = &[
    ("copy_nonoverlapping", None),
    ("write_bytes", Some("src/kernel/pool.rs")),
];

/// The code of a line: without a trailing `//` comment (doc comments and comments may
/// name anything).
fn code(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    line.find("//").map_or(line, |i| &line[..i])
}

/// Violations of `rules` in `text` (of `file`), one line each.
pub fn scan(file: &str, text: &str, rules: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = code(line);
        for (needle, why) in rules {
            if code.contains(needle) {
                out.push(format!("{file}:{}: `{needle}`: {why}", n + 1));
            }
        }
    }
    out
}

/// Every `.rs` file below `root/<dir>` for each of `dirs`: (workspace-relative name, text).
fn sources(root: &Path, dirs: &[&str]) -> Vec<(String, String)> {
    dirs.iter()
        .flat_map(|dir| files_below(&root.join(dir), "target"))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|file| {
            let name = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            // An unreadable file fails the check below as a violation of its own.
            let text = fs::read_to_string(&file).unwrap_or_else(|e| format!("unreadable: {e}"));
            (name, text)
        })
        .collect()
}

/// Every room violation in the workspace at `root`.
pub fn violations(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (name, text) in sources(root, &["src", "core", "ctl", "mountmgr-double", "xtask"]) {
        if text.starts_with("unreadable: ") {
            out.push(format!("{name}: {text}"));
            continue;
        }
        if name.starts_with("src/") && !name.starts_with("src/kernel/") {
            out.extend(scan(&name, &text, OUTSIDE_KERNEL));
        }
        if name.starts_with("src/") && name != "src/kernel/irp.rs" {
            out.extend(scan(
                &name,
                &text,
                &[(COMPLETION, "only kernel::Irp completes IRPs")],
            ));
        }
        if name == "xtask/src/rooms.rs" {
            continue;
        }
        let rules: Vec<(&str, &str)> = DATA_PATH
            .iter()
            .filter(|(_, exempt)| exempt.is_none_or(|e| name != e))
            .map(|(call, _)| (*call, "raw copies of disk memory belong in store/"))
            .collect();
        out.extend(scan(&name, &text, &rules));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_driver_keeps_its_rooms() {
        let found = violations(&crate::util::workspace_root());
        assert!(found.is_empty(), "room violations:\n{}", found.join("\n"));
    }

    #[test]
    fn the_scan_finds_violations_and_ignores_comments() {
        let text = "fn f() {\n    let x = unsafe { g() }; // a comment may say unsafe\n    // unsafe in a comment\n    (*irp).IoStatus = 1;\n}\n";
        let found = scan("src/device/disk.rs", text, OUTSIDE_KERNEL);
        assert_eq!(
            found,
            [
                "src/device/disk.rs:2: `unsafe {`: unsafe code belongs in src/kernel/",
                "src/device/disk.rs:4: `IoStatus`: IRP fields live in src/kernel/",
            ]
        );
        assert!(scan("x.rs", "/// IofCompleteRequest\n", &[(COMPLETION, "")]).is_empty());
        assert_eq!(code("a // b"), "a ");
        assert_eq!(code("  // b"), "");
    }
}

#[cfg(test)]
mod lint_table {
    use crate::util::workspace_root;

    /// `table` rendered as sorted `path = value` lines (whitespace and comments aside).
    fn flatten(prefix: &str, item: &toml_edit::Item, out: &mut Vec<String>) {
        if let Some(t) = item.as_table_like() {
            for (k, v) in t.iter() {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
            return;
        }
        let value = match item.as_value() {
            Some(toml_edit::Value::String(s)) => s.value().clone(),
            Some(toml_edit::Value::Integer(i)) => i.value().to_string(),
            Some(toml_edit::Value::Boolean(b)) => b.value().to_string(),
            other => format!("{other:?}"),
        };
        out.push(format!("{prefix} = {value}"));
    }

    fn lints(path: &str, keys: &[&str]) -> Vec<String> {
        let text = std::fs::read_to_string(workspace_root().join(path)).unwrap();
        let doc = text.parse::<toml_edit::DocumentMut>().unwrap();
        let mut item = doc.as_item();
        for k in keys {
            item = &item[*k];
        }
        let mut out = Vec::new();
        flatten("lints", item, &mut out);
        out.sort();
        out
    }

    /// `core/fuzz` is its own workspace and carries a copy of the root lint table.
    #[test]
    fn the_fuzz_crate_copies_the_workspace_lints() {
        let root = lints("Cargo.toml", &["workspace", "lints"]);
        assert!(
            root.iter()
                .any(|l| l.contains("allow_attributes_without_reason"))
        );
        assert_eq!(lints("core/fuzz/Cargo.toml", &["lints"]), root);
    }

    /// Every member inherits the table.
    #[test]
    fn every_member_inherits_the_lint_table() {
        for path in [
            "Cargo.toml",
            "core/Cargo.toml",
            "store/Cargo.toml",
            "ctl/Cargo.toml",
            "mountmgr-double/Cargo.toml",
            "xtask/Cargo.toml",
        ] {
            assert_eq!(
                lints(path, &["lints"]),
                ["lints.workspace = true"],
                "{path}"
            );
        }
    }
}
