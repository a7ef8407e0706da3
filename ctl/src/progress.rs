//! The progress bar of long transfers (`dump`, `load`, `verify`, `bench`), drawn by
//! `indicatif` on stderr.
//!
//! Drawn only when it is wanted (not `--json`, not `--quiet`) and stderr is a
//! terminal; otherwise the bar is hidden and costs a counter increment. On a legacy
//! Windows console (no virtual-terminal sequences) indicatif's `console` backend moves
//! the cursor with the console API instead of printing escape sequences.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// `dump [##############>---------------]  45%  29.00 MiB / 64.00 MiB  34.00 MB/s`
const TEMPLATE: &str = "{prefix} [{bar:30}] {percent:>3}%  {binary_bytes} / {binary_total_bytes}  {decimal_bytes_per_sec}";

/// Redraws per second at most.
const REFRESH_HZ: u8 = 10;

/// Progress of one byte-moving operation; cleared when finished or dropped.
#[derive(Debug)]
pub struct Progress(ProgressBar);

/// The bar's style.
fn style() -> ProgressStyle {
    ProgressStyle::with_template(TEMPLATE).map_or_else(
        |_| ProgressStyle::default_bar(),
        |s| s.progress_chars("#>-"),
    )
}

impl Progress {
    /// A bar for `total` bytes labelled `label`; drawn only if `want` and stderr is
    /// a terminal.
    #[must_use]
    pub fn new(label: &str, total: u64, want: bool) -> Self {
        let target = if want && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr_with_hz(REFRESH_HZ)
        } else {
            ProgressDrawTarget::hidden()
        };
        Self::with_target(label, total, target)
    }

    /// A bar drawing into `target`.
    fn with_target(label: &str, total: u64, target: ProgressDrawTarget) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), target)
            .with_style(style())
            .with_prefix(label.to_string());
        Self(bar)
    }

    /// Adds `n` bytes.
    pub fn add(&self, n: u64) {
        self.0.inc(n);
    }

    /// Bytes counted so far.
    #[must_use]
    pub fn done(&self) -> u64 {
        self.0.position()
    }

    /// Whether nothing is drawn.
    #[must_use]
    pub fn is_hidden(&self) -> bool {
        self.0.is_hidden()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;

    use super::*;

    /// A terminal that records what is written to it.
    #[derive(Debug, Default, Clone)]
    struct Screen(Arc<Mutex<String>>);

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            120
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(s)?;
            self.write_str("\n")
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str("<clear>");
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn template_is_valid() {
        assert!(ProgressStyle::with_template(TEMPLATE).is_ok());
    }

    #[test]
    fn draws_label_bar_and_bytes() {
        let screen = Screen::default();
        let p = Progress::with_target(
            "dump",
            64 << 20,
            ProgressDrawTarget::term_like(Box::new(screen.clone())),
        );
        p.add(32 << 20);
        p.0.force_draw();
        assert_eq!(p.done(), 32 << 20);
        drop(p);
        let s = screen.0.lock().unwrap().clone();
        assert!(
            s.contains("dump [###############>--------------]  50%  32.00 MiB / 64.00 MiB"),
            "{s}"
        );
        assert!(s.ends_with("<clear>"), "cleared when dropped: {s}");
    }

    #[test]
    fn hidden_unless_wanted() {
        let p = Progress::new("t", 10, false);
        assert!(p.is_hidden());
        p.add(5);
        assert_eq!(p.done(), 5, "a hidden bar still counts");
    }
}
