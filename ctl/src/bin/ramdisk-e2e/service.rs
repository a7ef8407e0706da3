//! The device's presence, and start/stop cycles through the service control manager.

use std::process::ExitCode;
use std::time::Instant;

use ramdiskctl::device::Device;
use ramdiskctl::scm;

use crate::tally::{SECTOR, Tally};

fn opens(path: &str) -> Result<(), String> {
    let dev = Device::try_open(path, false).map_err(|e| format!("open: error {e}"))?;
    let mut s = vec![0u8; SECTOR];
    dev.read_exact_at(0, &mut s)
        .map_err(|e| format!("read sector 0: error {e}"))?;
    if s[510..] == ramdisk_core::wire::fat::BOOT_SIGNATURE {
        Ok(())
    } else {
        Err("sector 0 has no 55 AA".into())
    }
}

pub fn probe(path: &str) -> ExitCode {
    match opens(path) {
        Ok(()) => {
            println!("{path}: present");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("{path}: absent ({e})");
            ExitCode::FAILURE
        }
    }
}

pub fn cycles(t: &mut Tally, n: u32, path: &str) {
    let svc = match scm::open_service() {
        Ok(s) => s,
        Err(e) => {
            t.case("open the service", Err(e.to_string()));
            return;
        }
    };
    let start = Instant::now();
    let mut failure = None;
    for i in 1..=n {
        if let Err(e) = scm::start(&svc) {
            failure = Some(format!("cycle {i}: start: {e}"));
            break;
        }
        if let Err(e) = opens(path) {
            failure = Some(format!("cycle {i}: after start {path}: {e}"));
            break;
        }
        match scm::stop(&svc) {
            Ok(true) => {}
            Ok(false) => {
                failure = Some(format!("cycle {i}: stop: the service was not running"));
                break;
            }
            Err(e) => {
                failure = Some(format!("cycle {i}: stop: {e}"));
                break;
            }
        }
        if opens(path).is_ok() {
            failure = Some(format!("cycle {i}: {path} still opens after stop"));
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    t.case(
        &format!("{n} start/stop cycles, {path} present after each start and gone after each stop"),
        failure.map_or_else(|| Ok(format!("{secs:.1} s")), Err),
    );
}
