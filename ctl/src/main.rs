//! `ramdiskctl`: inspect, test and control the ramdisk driver (Windows).

use std::process::ExitCode;

use clap::Parser;
use ramdiskctl::cli::Cli;

#[cfg(windows)]
fn main() -> ExitCode {
    let cli = Cli::parse();
    match ramdiskctl::cmd::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if cli.json && !e.reported {
                println!("{}", e.to_json());
            }
            eprintln!("ramdiskctl: {e}");
            ExitCode::from(e.exit)
        }
    }
}

#[cfg(not(windows))]
fn main() -> ExitCode {
    // Parse anyway so --help and --version work everywhere.
    let _ = Cli::parse();
    eprintln!(
        "ramdiskctl is a Windows tool (it talks to the ramdisk driver); build it for a Windows target."
    );
    ExitCode::from(ramdiskctl::error::EXIT_FAILED)
}
