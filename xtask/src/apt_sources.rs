//! The machine's own apt sources: which archive serves the release, and whether its
//! `-backports` suite is configured. Nothing here names an archive host: a new source
//! always copies the address (and key) of one the machine already uses.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};

/// One `deb` source entry, from a one-line `.list` file or a deb822 `.sources` paragraph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The archive address (`URIs:` / the URI field).
    pub uri: String,
    /// The suites it serves (`bookworm`, `bookworm-updates`, ...).
    pub suites: Vec<String>,
    /// Its components (`main`, ...).
    pub components: Vec<String>,
    /// `Signed-By` (a keyring path), when given.
    pub signed_by: Option<String>,
    /// The file it came from.
    pub file: PathBuf,
}

/// Parses a deb822 `.sources` file: every paragraph with `Types` containing `deb`
/// and not `Enabled: no`. Multi-line (embedded key) `Signed-By` fields are not copied.
pub fn parse_deb822(text: &str, file: &Path) -> Vec<Source> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in para.lines() {
            if line.starts_with('#') {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                // A continuation line: marks the field as multi-line.
                if let Some(last) = fields.last_mut() {
                    last.1.push('\n');
                }
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
        let words = |k: &str| -> Vec<String> {
            get(k)
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect()
        };
        if !words("types").iter().any(|t| t == "deb")
            || get("enabled").is_some_and(|e| e.eq_ignore_ascii_case("no"))
        {
            continue;
        }
        let signed_by = get("signed-by").filter(|s| !s.contains('\n') && !s.is_empty());
        for uri in words("uris") {
            out.push(Source {
                uri,
                suites: words("suites"),
                components: words("components"),
                signed_by: signed_by.clone(),
                file: file.to_path_buf(),
            });
        }
    }
    out
}

/// Parses a one-line-style `.list` file (`deb [options] URI suite component...`).
pub fn parse_one_line(text: &str, file: &Path) -> Vec<Source> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let mut rest = rest.trim_start();
        let mut signed_by = None;
        if let Some(opts) = rest.strip_prefix('[') {
            let Some((opts, after)) = opts.split_once(']') else {
                continue;
            };
            signed_by = opts
                .split_whitespace()
                .find_map(|o| o.strip_prefix("signed-by="))
                .map(str::to_string);
            rest = after.trim_start();
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        out.push(Source {
            uri: uri.to_string(),
            suites: vec![suite.to_string()],
            components: words.map(str::to_string).collect(),
            signed_by,
            file: file.to_path_buf(),
        });
    }
    out
}

/// The directory apt reads its source parts from.
pub const SOURCE_PARTS: &str = "/etc/apt/sources.list.d";

/// Every `deb` source the machine has configured.
pub fn machine_sources() -> Result<Vec<Source>> {
    let mut out = Vec::new();
    let main = Path::new("/etc/apt/sources.list");
    if let Ok(text) = std::fs::read_to_string(main) {
        out.extend(parse_one_line(&text, main));
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir(SOURCE_PARTS)
        .with_context(|| format!("read {SOURCE_PARTS}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    parts.sort();
    for p in parts {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        match p.extension().and_then(|e| e.to_str()) {
            Some("list") => out.extend(parse_one_line(&text, &p)),
            Some("sources") => out.extend(parse_deb822(&text, &p)),
            _ => {}
        }
    }
    Ok(out)
}

/// The release's codename (`VERSION_CODENAME` of `/etc/os-release`).
pub fn codename() -> Result<String> {
    let text = std::fs::read_to_string("/etc/os-release").context("read /etc/os-release")?;
    text.lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|v| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
        .context("/etc/os-release has no VERSION_CODENAME")
}

/// The deb822 text of a `<codename>-backports` source copied from the source that
/// serves `<codename>` itself with `main` (not the security archive).
pub fn backports_entry(sources: &[Source], codename: &str) -> Result<String> {
    let Some(base) = sources.iter().find(|s| {
        s.suites.iter().any(|x| x == codename) && s.components.iter().any(|c| c == "main")
    }) else {
        bail!(
            "no apt source serves `{codename} main`; cannot derive a {codename}-backports source"
        );
    };
    let mut text = format!(
        "# Added by ramdisk's `cargo xtask` (xtask/src/deps.rs): some packages must come from\n\
         # {codename}-backports. Same archive as {}.\n\
         Types: deb\nURIs: {}\nSuites: {codename}-backports\nComponents: main\n",
        base.file.display(),
        base.uri
    );
    if let Some(key) = &base.signed_by {
        let _ = writeln!(text, "Signed-By: {key}");
    }
    Ok(text)
}

/// Is `<codename>-backports` among the configured suites?
pub fn has_backports(sources: &[Source], codename: &str) -> bool {
    let want = format!("{codename}-backports");
    sources.iter().any(|s| s.suites.contains(&want))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEB822: &str = "Types: deb\n# a comment\nURIs: http://mirror.example/debian\n\
        Suites: bookworm bookworm-updates\nComponents: main\n\
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n\
        Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\
        Components: main\n\nTypes: deb-src\nURIs: http://x/\nSuites: bookworm\nComponents: main\n\n\
        Types: deb\nEnabled: no\nURIs: http://off/\nSuites: bookworm\nComponents: main\n";

    #[test]
    fn deb822_paragraphs_and_backports_entry() {
        let s = parse_deb822(DEB822, Path::new("/etc/apt/sources.list.d/debian.sources"));
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].suites, ["bookworm", "bookworm-updates"]);
        assert!(!has_backports(&s, "bookworm"));
        let e = backports_entry(&s, "bookworm").unwrap();
        assert!(e.contains("URIs: http://mirror.example/debian\n"), "{e}");
        assert!(e.contains("Suites: bookworm-backports\n"), "{e}");
        assert!(
            e.contains("Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"),
            "{e}"
        );
        assert!(e.contains("Same archive as /etc/apt/sources.list.d/debian.sources"));
        // The security archive alone does not serve the release.
        assert!(backports_entry(&s[1..], "bookworm").is_err());
    }

    #[test]
    fn one_line_sources_with_options() {
        let t = "# c\ndeb [arch=amd64 signed-by=/k.gpg] http://m/debian bookworm-backports main contrib\n\
                 deb-src http://m/debian bookworm main\ndeb http://m/debian bookworm main # x\n";
        let s = parse_one_line(t, Path::new("/etc/apt/sources.list"));
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].signed_by.as_deref(), Some("/k.gpg"));
        assert_eq!(s[0].components, ["main", "contrib"]);
        assert!(has_backports(&s, "bookworm"));
        assert!(!has_backports(&s, "trixie"));
        let e = backports_entry(&s, "bookworm").unwrap();
        assert!(
            e.contains("URIs: http://m/debian\n") && !e.contains("Signed-By"),
            "{e}"
        );
    }
}
