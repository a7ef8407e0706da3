//! One module per subcommand (Windows only).

mod bench;
mod create;
mod dump;
mod info;
mod install;
mod list;
mod load;
mod remove;
mod save;
mod selftest;
mod start;
mod stop;
mod trim;
mod uninstall;
mod verify;

use crate::cli::{Cli, Command};
use crate::error::CtlError;
use crate::report::{Report, render};

/// Output settings shared by the subcommands.
pub struct Ctx {
    /// `--json`.
    pub json: bool,
    /// Progress bars wanted (not `--quiet`, not `--json`).
    pub progress: bool,
}

impl Ctx {
    /// Prints the result: its JSON object, or its text.
    pub fn print(&self, report: &impl Report) {
        if let Some(out) = render(report, self.json) {
            println!("{out}");
        }
    }

    /// A progress bar for `total` bytes (hidden with `--json`/`--quiet` or when
    /// stderr is not a terminal).
    #[must_use]
    pub fn progress(&self, label: &str, total: u64) -> crate::progress::Progress {
        crate::progress::Progress::new(label, total, self.progress)
    }

    /// A warning on stderr (never on stdout, so `--json` output stays parseable).
    pub fn warn(&self, text: &str) {
        eprintln!("ramdiskctl: {text}");
    }

    /// A note before a long operation (text mode only; stdout stays JSON-only).
    pub fn note(&self, text: &str) {
        if !self.json {
            println!("{text}");
        }
    }
}

/// Runs the parsed command line.
///
/// # Errors
/// The subcommand's error.
pub fn run(cli: &Cli) -> Result<(), CtlError> {
    let ctx = Ctx {
        json: cli.json,
        progress: !cli.quiet && !cli.json,
    };
    match &cli.command {
        Command::Info { device } => info::run(&ctx, device.as_deref()),
        Command::Verify { device } => verify::run(&ctx, device.as_deref()),
        Command::Bench(args) => bench::run(&ctx, args),
        Command::Dump {
            file,
            device,
            range,
        } => dump::run(&ctx, file, device.as_deref(), *range),
        Command::Load {
            file,
            device,
            range,
        } => load::run(&ctx, file, device.as_deref(), *range),
        Command::Trim(args) => trim::run(&ctx, args),
        Command::Install(args) => install::run(&ctx, args),
        Command::Uninstall { force } => uninstall::run(&ctx, *force),
        Command::Start { no_broadcast } => start::run(&ctx, *no_broadcast),
        Command::Stop {
            device,
            force,
            no_broadcast,
        } => stop::run(&ctx, device.as_deref(), *force, *no_broadcast),
        Command::Create(args) => create::run(&ctx, args),
        Command::Remove(args) => remove::run(&ctx, args),
        Command::Save(args) => save::run(&ctx, args),
        Command::List => list::run(&ctx),
        Command::Selftest { device, format } => selftest::run(&ctx, device.as_deref(), *format),
    }
}

/// The broadcast note of `--no-broadcast`.
const NO_BROADCAST: &str = "skipped (--no-broadcast)";
/// The broadcast note for a device path without a drive letter.
const NOT_A_LETTER: &str = "not sent: the device is not a drive letter";

/// Chunk size of whole-disk transfers.
pub const CHUNK: usize = 1 << 20;
