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

/// Reads and writes `dev` until a request fails (the driver unloaded) or `deadline`;
/// the requests that went through.
fn keep_busy(path: &str, deadline: Instant) -> u64 {
    let Ok(dev) = Device::try_open(path, true) else {
        return 0;
    };
    let mut buf = vec![0x5Au8; 8 * SECTOR];
    let mut done = 0u64;
    while Instant::now() < deadline {
        let at = (done % 64) * 8 * SECTOR as u64 + (1 << 19);
        let r = if done.is_multiple_of(2) {
            dev.write_at(at, &buf)
        } else {
            dev.read_at(at, &mut buf)
        };
        if r.error.is_some() {
            break;
        }
        done += 1;
    }
    done
}

pub fn cycles(t: &mut Tally, n: u32, path: &str, io: &[String]) {
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
        // I/O on every disk of `io` while the service stops.
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        let stopped = std::thread::scope(|s| {
            let busy: Vec<_> = io
                .iter()
                .map(|p| s.spawn(move || keep_busy(p, deadline)))
                .collect();
            std::thread::sleep(std::time::Duration::from_millis(50));
            let stopped = scm::stop(&svc);
            for b in busy {
                let _ = b.join();
            }
            stopped
        });
        match stopped {
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
    let with_io = if io.is_empty() {
        String::new()
    } else {
        format!(", I/O running on {} during each stop", io.join(" "))
    };
    t.case(
        &format!("{n} start/stop cycles, {path} present after each start and gone after each stop{with_io}"),
        failure.map_or_else(|| Ok(format!("{secs:.1} s")), Err),
    );
}
