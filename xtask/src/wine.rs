//! A Wine session for running the driver and ramdiskctl end to end.
//!
//! - A dedicated prefix per use (`target/wine/prefix-<name>`), created once with
//!   `wineboot -u` (~10 s) and cached between runs.
//! - One persistent `wineserver -p` per session, started before anything else and
//!   killed (`wineserver -k`) when the session is dropped, also on failure.
//! - The session starts with `WINEDEBUG=warn+debugstr wine wineboot > session.log`:
//!   services.exe and the winedevice.exe that hosts the driver inherit that output,
//!   so every `DbgPrintEx` line of the driver (any level: Wine filters none) lands
//!   in `session.log`.
//! - Wine's output is never piped (background services would inherit the pipe and
//!   hang the reader): every command writes to files under the run's log directory
//!   and reads stdin from /dev/null.

use std::{
    cell::Cell,
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::util::target_dir;

/// Lines Debian's wine prints on every start on a host without wine32.
const NOISE: &[&str] = &[
    "it looks like wine32 is missing",
    "multiarch needs to be enabled first",
    "execute \"dpkg --add-architecture",
    "apt-get install wine32",
    "nodrv_CreateWindow",
    "initialize_systray",
];

/// The driver's service name (`sc create <SERVICE>`).
pub const SERVICE: &str = ramdisk_core::service::SERVICE_NAME;

/// The driver's Parameters key, as `reg add` takes it (`HKLM\` and
/// [`ramdisk_core::service::PARAMETERS_KEY`], checked by a test).
pub const PARAMS: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\RustRamDisk\Parameters";

/// The result of one Wine command.
#[derive(Debug)]
pub struct Out {
    /// Exit code (-1 when killed by a signal or the timeout).
    pub code: i32,
    /// Standard output, Wine's noise removed.
    pub stdout: String,
    /// Standard error, Wine's noise removed.
    pub stderr: String,
    /// The command as shown to people.
    pub shown: String,
}

impl Out {
    /// Exit code 0.
    pub const fn ok(&self) -> bool {
        self.code == 0
    }

    /// Fails with the command, exit code and output unless it succeeded.
    pub fn check(self) -> Result<Self> {
        if self.ok() {
            Ok(self)
        } else {
            bail!(
                "`{}` exited with {}\n{}",
                self.shown,
                self.code,
                self.text().trim_end()
            )
        }
    }

    /// A finished command's outcome, its output read back from its files.
    fn read(code: i32, out: &Path, err: &Path, shown: String) -> Self {
        let read = |p: &Path| {
            fs::read(p)
                .map(|b| clean(&String::from_utf8_lossy(&b)))
                .unwrap_or_default()
        };
        Self {
            code,
            stdout: read(out),
            stderr: read(err),
            shown,
        }
    }

    /// Standard output and error together.
    pub fn text(&self) -> String {
        let mut s = self.stdout.clone();
        if !self.stderr.trim().is_empty() {
            if !s.is_empty() && !s.ends_with('\n') {
                s.push('\n');
            }
            s.push_str(&self.stderr);
        }
        s
    }
}

fn clean(text: &str) -> String {
    let mut out = String::new();
    for l in text
        .lines()
        .filter(|l| !NOISE.iter().any(|n| l.contains(n)))
    {
        out.push_str(l.trim_end_matches('\r'));
        out.push('\n');
    }
    out
}

/// The driver's part of a log line: from `ramdisk:` or `ramdisk[X:]:` on.
fn driver_line(line: &str) -> Option<&str> {
    line.match_indices("ramdisk").find_map(|(i, _)| {
        let rest = &line[i + "ramdisk".len()..];
        let disk = rest.len() >= 5
            && rest.as_bytes()[0] == b'['
            && rest.as_bytes()[1].is_ascii_uppercase()
            && rest[2..].starts_with(":]:");
        (rest.starts_with(':') || disk).then(|| line[i..].trim_end())
    })
}

/// What Wine's `DbgPrintEx` writes before the text (`vDbgPrintExWithPrefix`:
/// `<component>:<level mask>: `, both as 8 hex digits): the component ID and the level
/// mask (`1 << level`) of a driver line, if it has that prefix.
pub fn dbgprint_level(line: &str) -> Option<(u32, u32)> {
    let start = line.len() - driver_line(line)?.len() - (line.len() - line.trim_end().len());
    let head = line.get(..start)?.strip_suffix(": ")?;
    let (rest, mask) = head.rsplit_once(':')?;
    let component = rest.get(rest.len().checked_sub(8)?..)?;
    Some((
        u32::from_str_radix(component, 16).ok()?,
        u32::from_str_radix(mask, 16).ok()?,
    ))
}

/// `DPFLTR_IHVDRIVER_ID`, the component the driver prints as.
pub const IHVDRIVER: u32 = 77;
/// The level mask of `DPFLTR_ERROR_LEVEL` (0) lines.
pub const ERROR_LEVEL: u32 = 1;
/// The level mask of `DPFLTR_WARNING_LEVEL` (1) lines.
pub const WARNING_LEVEL: u32 = 1 << 1;
/// The level mask of `DPFLTR_INFO_LEVEL` (3) lines.
pub const INFO_LEVEL: u32 = 1 << 3;

/// `Z:\abs\path` for a host path (Wine maps Z: to /).
pub fn win_path(p: &Path) -> String {
    format!("Z:{}", p.display().to_string().replace('/', "\\"))
}

/// `YYYYmmdd-HHMMSS` (UTC) for log directory names.
pub fn timestamp() -> String {
    /// Seconds from 1601-01-01 (Windows' epoch) to 1970-01-01 (Unix's).
    const SECS_1601_TO_1970: i64 = 11_644_473_600;
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let unix = i64::try_from(secs).unwrap_or(0);
    // The calendar math's one copy: ramdisk-core's (the driver's volume serial uses it).
    let t = ramdisk_core::fat::serial::time_fields((unix + SECS_1601_TO_1970) * 10_000_000);
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// A command running in the background ([`Wine::spawn_e2e`]).
pub struct Background {
    child: std::process::Child,
    shown: String,
    out: PathBuf,
    err: PathBuf,
}

impl Background {
    /// Waits for it (killed after `timeout`) and reads its output.
    pub fn finish(self, timeout: Duration) -> Result<Out> {
        let code = Wine::wait(self.child, timeout, &self.shown)?;
        Ok(Out::read(code, &self.out, &self.err, self.shown))
    }
}

/// A running Wine session.
pub struct Wine {
    prefix: PathBuf,
    /// Where this run's logs go.
    pub log_dir: PathBuf,
    session_log: PathBuf,
    bin: PathBuf,
    seq: Cell<u32>,
    /// Per-command time limit.
    pub timeout: Duration,
    /// Working directory of the commands (Wine maps it to `Z:\...`), if not inherited.
    pub cwd: Option<PathBuf>,
}

impl Wine {
    fn base_command(prefix: &Path, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("WINEPREFIX", prefix)
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env("WINEDEBUG", "fixme-all")
            .env_remove("DISPLAY")
            .stdin(Stdio::null());
        c
    }

    fn to_files(cmd: &mut Command, out: &Path, err: &Path) -> Result<()> {
        cmd.stdout(fs::File::create(out).with_context(|| format!("create {}", out.display()))?);
        cmd.stderr(fs::File::create(err).with_context(|| format!("create {}", err.display()))?);
        Ok(())
    }

    fn wait(mut child: std::process::Child, timeout: Duration, shown: &str) -> Result<i32> {
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status.code().unwrap_or(-1));
            }
            if start.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "`{shown}` did not finish within {} s (killed)",
                    timeout.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Creates the prefix `target/wine/prefix-<name>` unless it exists.
    fn ensure_prefix(prefix: &Path, log_dir: &Path) -> Result<()> {
        let stamp = prefix.join(".ramdisk-ready");
        if stamp.exists() {
            return Ok(());
        }
        println!(
            "creating the Wine prefix {} (once, ~10 s)",
            prefix.display()
        );
        if prefix.exists() {
            fs::remove_dir_all(prefix)?;
        }
        fs::create_dir_all(prefix)?;
        let mut c = Self::base_command(prefix, "wine");
        c.args(["wineboot", "-u"]);
        Self::to_files(
            &mut c,
            &log_dir.join("prefix-init.out"),
            &log_dir.join("prefix-init.err"),
        )?;
        let code = Self::wait(
            c.spawn().context("cannot start wine (is it installed?)")?,
            Duration::from_mins(5),
            "wine wineboot -u",
        )?;
        let _ = Self::wait(
            Self::base_command(prefix, "wineserver").arg("-k").spawn()?,
            Duration::from_secs(30),
            "wineserver -k",
        );
        let _ = Self::wait(
            Self::base_command(prefix, "wineserver").arg("-w").spawn()?,
            Duration::from_mins(1),
            "wineserver -w",
        );
        if code != 0 {
            bail!(
                "wine wineboot -u failed ({code}); see {}",
                log_dir.join("prefix-init.err").display()
            );
        }
        fs::write(&stamp, "created by cargo xtask\n")?;
        Ok(())
    }

    /// Starts a session: prefix `target/wine/prefix-<name>`, logs in
    /// `target/wine/logs/<timestamp>-<name>`, executables from `bin`.
    pub fn start(name: &str, bin: &Path) -> Result<Self> {
        let root = target_dir().join("wine");
        let prefix = root.join(format!("prefix-{name}"));
        let log_dir = root.join("logs").join(format!("{}-{name}", timestamp()));
        fs::create_dir_all(&log_dir)?;
        Self::ensure_prefix(&prefix, &log_dir)?;
        // A server left over from an interrupted run would not carry our settings.
        Self::server_up(&prefix)?;
        let session_log = log_dir.join("session.log");
        let wine = Self {
            prefix,
            log_dir,
            session_log,
            bin: bin.to_path_buf(),
            seq: Cell::new(0),
            timeout: Duration::from_mins(5),
            cwd: None,
        };
        wine.boot(fs::File::create(&wine.session_log)?)?;
        // A service left behind by an interrupted run.
        let _ = wine.wine(&["sc", "stop", SERVICE]);
        let _ = wine.wine(&["sc", "delete", SERVICE]);
        Ok(wine)
    }

    /// Ends any server of `prefix` and starts a persistent one (`wineserver -p`).
    fn server_up(prefix: &Path) -> Result<()> {
        let _ = Self::wait(
            Self::base_command(prefix, "wineserver").arg("-k").spawn()?,
            Duration::from_secs(30),
            "wineserver -k",
        );
        let _ = Self::wait(
            Self::base_command(prefix, "wineserver").arg("-w").spawn()?,
            Duration::from_mins(1),
            "wineserver -w",
        );
        let code = Self::wait(
            Self::base_command(prefix, "wineserver").arg("-p").spawn()?,
            Duration::from_secs(30),
            "wineserver -p",
        )?;
        if code != 0 {
            bail!("wineserver -p failed ({code})");
        }
        Ok(())
    }

    /// `wine wineboot` with its output (and so every driver line) into `log`.
    fn boot(&self, log: fs::File) -> Result<()> {
        let mut c = Self::base_command(&self.prefix, "wine");
        c.arg("wineboot")
            .env("WINEDEBUG", "fixme-all,warn+debugstr");
        c.stdout(log.try_clone()?).stderr(log);
        let code = Self::wait(c.spawn()?, Duration::from_mins(2), "wine wineboot")?;
        if code != 0 {
            bail!(
                "wine wineboot failed ({code}); see {}",
                self.session_log.display()
            );
        }
        Ok(())
    }

    /// Restarts the session's Wine server and `wineboot` (the session log goes on, so
    /// marks stay valid): what recovers a session whose driver host was killed —
    /// services.exe still reports that service running, and the dead process's
    /// symbolic links stay in the server's namespace.
    pub fn restart(&self) -> Result<()> {
        Self::server_up(&self.prefix)?;
        self.boot(
            fs::OpenOptions::new()
                .append(true)
                .open(&self.session_log)?,
        )
    }

    /// Logs the command line and points its output at this run's files.
    fn prepare(&self, cmd: &mut Command, shown: &str, label: &str) -> Result<(PathBuf, PathBuf)> {
        let n = self.seq.get() + 1;
        self.seq.set(n);
        let safe: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let out_path = self.log_dir.join(format!("{n:04}-{safe}.out"));
        let err_path = self.log_dir.join(format!("{n:04}-{safe}.err"));
        fs::write(
            self.log_dir.join(format!("{n:04}-{safe}.cmd")),
            format!("{shown}\n"),
        )?;
        Self::to_files(cmd, &out_path, &err_path)?;
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        Ok((out_path, err_path))
    }

    fn run_cmd(&self, mut cmd: Command, shown: String, label: &str) -> Result<Out> {
        let (out_path, err_path) = self.prepare(&mut cmd, &shown, label)?;
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {shown}"))?;
        let code = Self::wait(child, self.timeout, &shown)?;
        Ok(Out::read(code, &out_path, &err_path, shown))
    }

    /// `ramdisk-e2e.exe <args>` started in the background; [`Background::finish`] waits.
    pub fn spawn_e2e(&self, args: &[&str]) -> Result<Background> {
        self.spawn_exe("ramdisk-e2e", args)
    }

    /// `ramdiskctl.exe <args>` started in the background; [`Background::finish`] waits.
    pub fn spawn_ctl(&self, args: &[&str]) -> Result<Background> {
        self.spawn_exe("ramdiskctl", args)
    }

    fn spawn_exe(&self, exe: &str, args: &[&str]) -> Result<Background> {
        let mut c = Self::base_command(&self.prefix, "wine");
        c.arg(self.bin.join(format!("{exe}.exe"))).args(args);
        let shown = format!("{exe} {} (background)", args.join(" "));
        let label = format!("{exe}-{}", args.first().copied().unwrap_or(""));
        let (out, err) = self.prepare(&mut c, &shown, &label)?;
        let child = c.spawn().with_context(|| format!("cannot start {shown}"))?;
        Ok(Background {
            child,
            shown,
            out,
            err,
        })
    }

    /// `wine <args>`.
    pub fn wine(&self, args: &[&str]) -> Result<Out> {
        let mut c = Self::base_command(&self.prefix, "wine");
        c.args(args);
        self.run_cmd(
            c,
            format!("wine {}", args.join(" ")),
            args.first().copied().unwrap_or("wine"),
        )
    }

    /// `sc create <service> type= kernel start= demand binPath= <bin_path>`, which
    /// must succeed.
    pub fn create_kernel_service(&self, service: &str, bin_path: &str) -> Result<Out> {
        self.wine(&[
            "sc", "create", service, "type=", "kernel", "start=", "demand", "binPath=", bin_path,
        ])?
        .check()
    }

    fn exe(&self, exe: &str, args: &[&str]) -> Result<Out> {
        let mut c = Self::base_command(&self.prefix, "wine");
        c.arg(self.bin.join(format!("{exe}.exe"))).args(args);
        let label = format!("{exe}-{}", args.first().copied().unwrap_or(""));
        self.run_cmd(c, format!("{exe} {}", args.join(" ")), &label)
    }

    /// `ramdiskctl.exe <args>`.
    pub fn ctl(&self, args: &[&str]) -> Result<Out> {
        self.exe("ramdiskctl", args)
    }

    /// `ramdisk-e2e.exe <args>`.
    pub fn e2e(&self, args: &[&str]) -> Result<Out> {
        self.exe("ramdisk-e2e", args)
    }

    /// A host command (fsck.fat, mtools), with its output kept in the log directory.
    pub fn host(&self, program: &str, args: &[&str]) -> Result<Out> {
        let mut c = Command::new(program);
        c.args(args)
            .env("MTOOLS_SKIP_CHECK", "1")
            .stdin(Stdio::null());
        self.run_cmd(c, format!("{program} {}", args.join(" ")), program)
    }

    /// The current length of the session log (a mark for [`Wine::log_since`]).
    pub fn log_mark(&self) -> u64 {
        fs::metadata(&self.session_log).map_or(0, |m| m.len())
    }

    /// The session log from `mark` on.
    pub fn log_since(&self, mark: u64) -> String {
        let Ok(bytes) = fs::read(&self.session_log) else {
            return String::new();
        };
        let from = usize::try_from(mark).unwrap_or(0).min(bytes.len());
        String::from_utf8_lossy(&bytes[from..]).into_owned()
    }

    /// The driver's `DbgPrintEx` lines (`ramdisk: ...`, or `ramdisk[R:]: ...` about one
    /// disk) since `mark`, without Wine's prefix.
    pub fn driver_lines(&self, mark: u64) -> Vec<String> {
        self.log_since(mark)
            .lines()
            .filter_map(|l| driver_line(l).map(str::to_string))
            .collect()
    }

    /// The driver's lines since `mark` with their `DbgPrintEx` component and level mask
    /// ([`dbgprint_level`]; `None` for a line printed another way).
    pub fn driver_lines_with_level(&self, mark: u64) -> Vec<(Option<(u32, u32)>, String)> {
        self.log_since(mark)
            .lines()
            .filter_map(|l| driver_line(l).map(|d| (dbgprint_level(l), d.to_string())))
            .collect()
    }

    /// Lines since `mark` that report a crash in any Wine process.
    pub fn crash_lines(&self, mark: u64) -> Vec<String> {
        self.log_since(mark)
            .lines()
            .filter(|l| {
                let l = l.to_ascii_lowercase();
                l.contains("exception")
                    || l.contains("backtrace")
                    || l.contains("unhandled page fault")
            })
            .map(str::to_string)
            .collect()
    }

    /// The session log's path.
    pub fn session_log(&self) -> &Path {
        &self.session_log
    }

    /// The Wine prefix (`drive_c/` is its `C:`).
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        if let Ok(child) = Self::base_command(&self.prefix, "wineserver")
            .arg("-k")
            .spawn()
        {
            let _ = Self::wait(child, Duration::from_secs(30), "wineserver -k");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_noise() {
        assert_eq!(win_path(Path::new("/work/a/b.sys")), r"Z:\work\a\b.sys");
        let t = "it looks like wine32 is missing, you should install it.\nhello\r\n";
        assert_eq!(clean(t), "hello\n");
        assert_eq!(
            driver_line("trace:x ramdisk: unloaded, pool balance 0\r"),
            Some("ramdisk: unloaded, pool balance 0")
        );
        assert_eq!(
            driver_line("0024:warn ramdisk[R:]: 1048576 bytes"),
            Some("ramdisk[R:]: 1048576 bytes")
        );
        assert_eq!(driver_line("ramdiskctl: not the driver"), None);
        // Wine's DbgPrintEx prefix: component 0x4d (IHVDRIVER), level masks 1 and 8.
        let error =
            "02f0:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000001: ramdisk: DiskSize: 511\r";
        assert_eq!(dbgprint_level(error), Some((IHVDRIVER, ERROR_LEVEL)));
        let info =
            "018c:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000008: ramdisk[R:]: 64 MiB";
        assert_eq!(dbgprint_level(info), Some((IHVDRIVER, INFO_LEVEL)));
        assert_eq!(dbgprint_level("0024:warn ramdisk[R:]: 1048576 bytes"), None);
        assert_eq!(dbgprint_level("ramdisk: x"), None);
        assert_eq!(driver_line("ramdisk[1:]: no"), None);
        assert_eq!(
            PARAMS,
            format!(r"HKLM\{}", ramdisk_core::service::PARAMETERS_KEY)
        );
        let ts = timestamp();
        assert_eq!(ts.len(), 15, "{ts}");
        assert_eq!(&ts[8..9], "-");
    }
}
