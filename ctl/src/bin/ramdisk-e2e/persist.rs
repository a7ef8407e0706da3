//! Image-file helpers of the persistence e2e cases.

use std::{
    os::windows::fs::OpenOptionsExt,
    path::Path,
    time::{Duration, Instant},
};

/// Opens `path` for reading and writing with no sharing (what another program that
/// holds an image would do) and keeps it open until `until` exists (two minutes at
/// most); prints `held` once open.
pub fn hold_file(path: &str, until: &str) -> std::process::ExitCode {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .share_mode(0)
        .open(path);
    match file {
        Ok(_file) => {
            println!("held");
            let deadline = Instant::now() + Duration::from_mins(2);
            while !Path::new(until).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            println!("open: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
