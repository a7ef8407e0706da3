//! `cargo xtask demo`: the real driver in Wine, driven like an administrator would.

use std::{fs, path::Path, time::Instant};

use anyhow::{Result, ensure};

use crate::{
    e2e,
    wine::{Out, PARAMS, SERVICE, Wine, win_path},
};

struct Demo<'a> {
    wine: &'a Wine,
    step: u32,
    start: Instant,
}

impl Demo<'_> {
    fn step(&mut self, title: &str) {
        self.step += 1;
        println!(
            "\n[{:>4.1} s] {}. {title}",
            self.start.elapsed().as_secs_f64(),
            self.step
        );
    }

    fn show(out: &Out) {
        println!("$ {}", out.shown);
        for line in out.text().lines().filter(|l| !l.trim().is_empty()) {
            println!("    {line}");
        }
        if !out.ok() {
            println!("    (exit code {})", out.code);
        }
    }

    fn wine(&self, args: &[&str]) -> Result<Out> {
        let out = self.wine.wine(args)?;
        Self::show(&out);
        out.check()
    }

    fn ctl(&self, args: &[&str]) -> Result<Out> {
        let out = self.wine.ctl(args)?;
        Self::show(&out);
        out.check()
    }

    fn host(&self, program: &str, args: &[&str]) -> Result<Out> {
        let out = self.wine.host(program, args)?;
        Self::show(&out);
        out.check()
    }

    fn driver_log(&self, mark: u64) {
        for l in self.wine.driver_lines(mark) {
            println!("    [driver] {l}");
        }
    }
}

/// Runs the demo with the driver at `sys` (already built, like ramdiskctl).
#[allow(clippy::too_many_lines, reason = "a script: one step after the other")]
pub fn run(sys: &Path) -> Result<()> {
    let bin = e2e::stage_for_wine(&e2e::ctl_exe())?;
    println!("\n=== ramdisk demo: the driver in Wine 8 (winedevice.exe), driven by ramdiskctl ===");
    let t0 = Instant::now();
    let mut wine = Wine::start("demo", &bin)?;
    println!(
        "Wine prefix ready in {:.1} s; logs in {}",
        t0.elapsed().as_secs_f64(),
        wine.log_dir.display()
    );
    // Commands run in the log directory, so the transcript shows short file names.
    let work = wine.log_dir.clone();
    wine.cwd = Some(work.clone());
    let wine = wine;
    let mut d = Demo {
        wine: &wine,
        step: 0,
        start: Instant::now(),
    };
    let img = work.join("ramdisk.img");
    let back = work.join("readback.img");
    let (img_s, back_s) = ("ramdisk.img".to_string(), "readback.img".to_string());

    d.step("install the kernel-driver service and its Parameters (64 MiB, R:)");
    let sys_w = win_path(sys);
    d.wine(&[
        "sc", "create", SERVICE, "type=", "kernel", "start=", "demand", "binPath=", &sys_w,
    ])?;
    for (name, kind, data) in [
        ("DiskSize", "REG_DWORD", "67108864"),
        ("DriveLetter", "REG_SZ", "R"),
        ("VolumeLabel", "REG_SZ", "RAMDEMO"),
    ] {
        d.wine(&[
            "reg", "add", PARAMS, "/v", name, "/t", kind, "/d", data, "/f",
        ])?;
    }

    d.step("start it: DriverEntry formats the RAM and links R:");
    let mark = wine.log_mark();
    d.wine(&["sc", "start", SERVICE])?;
    d.driver_log(mark);

    d.step("what the disk says about itself");
    d.ctl(&["info", r"\\.\R:"])?;

    d.step("dump the raw image through the driver; Linux tools judge it");
    d.ctl(&["dump", &img_s, r"\\.\R:"])?;
    d.host("fsck.fat", &["-n", &img_s])?;
    d.host("mdir", &["-i", &img_s, "::/"])?;

    d.step("put a file into the image with mtools and load it back onto R:");
    let hello = work.join("hello.txt");
    fs::write(
        &hello,
        "Hello from Linux: this file went in with mcopy, through ramdiskctl load,\n\
         into the driver's memory inside Wine, and back out with ramdiskctl dump.\n",
    )?;
    let hello_s = "hello.txt".to_string();
    d.host("mcopy", &["-i", &img_s, &hello_s, "::/HELLO.TXT"])?;
    d.ctl(&["load", &img_s, r"\\.\R:"])?;

    d.step("read it back: dump again, list, print, compare");
    d.ctl(&["dump", &back_s, r"\\.\R:"])?;
    d.host("mdir", &["-i", &back_s, "::/"])?;
    d.host("mtype", &["-i", &back_s, "::/HELLO.TXT"])?;
    let copy = work.join("hello.copy");
    let _ = fs::remove_file(&copy);
    d.host(
        "mcopy",
        &["-n", "-i", &back_s, "::/HELLO.TXT", "hello.copy"],
    )?;
    ensure!(
        fs::read(&copy)? == fs::read(&hello)?,
        "HELLO.TXT came back different"
    );
    ensure!(
        fs::read(&back)? == fs::read(&img)?,
        "the image came back different"
    );
    println!("    HELLO.TXT and the whole 64 MiB image came back byte-identical");

    d.step("benchmark (writes confined to a 16 MiB scratch range, restored afterwards)");
    d.ctl(&["bench", r"\\.\R:", "--destructive", "--seconds", "0.5"])?;

    d.step("stop: DriverUnload frees the disk, R: is gone");
    let mark = wine.log_mark();
    d.wine(&["sc", "stop", SERVICE])?;
    d.driver_log(mark);
    let gone = wine.ctl(&["info", r"\\.\R:"])?;
    Demo::show(&gone);
    ensure!(!gone.ok(), r"\\.\R: still opens after the stop");
    d.wine(&["sc", "delete", SERVICE])?;
    for p in [&img, &back, &copy] {
        let _ = fs::remove_file(p);
    }
    println!(
        "\ndemo finished in {:.1} s (Wine logs, with every DbgPrintEx line of the driver: {})",
        t0.elapsed().as_secs_f64(),
        wine.session_log().display()
    );
    Ok(())
}
