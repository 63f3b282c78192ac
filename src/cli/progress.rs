//! Progress on stderr: on a terminal, a phase's line rewritten in place
//! and, for exhaustive work, an indicatif bar with the rate and the time
//! left; otherwise (a log, CI) plain lines, a bar's every ten seconds.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::explore::Done;

pub struct Progress {
    pub terminal: bool,
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// A phase's line: rewritten in place on a terminal.
    pub fn phase(&self, text: &str) {
        if self.terminal {
            eprint!("\r\x1b[2K{text}");
        } else {
            eprintln!("{text}");
        }
    }

    /// Ends the phase's line on a terminal.
    pub fn done(&self) {
        if self.terminal {
            eprintln!();
        }
    }

    /// A bar labelled `label`, to [`Bar::update`] with an exhaustive
    /// run's progress or to tell [`Bar::ran`] of schedules run against a
    /// time budget.
    pub fn bar(&self, label: &str) -> Bar {
        let bar = if self.terminal {
            let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{wide_bar}] {percent:>3}% {msg}")
                    .expect("the template parses")
                    .progress_chars("=> "),
            );
            bar.set_prefix(label.to_string());
            bar.set_message("starting");
            bar
        } else {
            ProgressBar::hidden()
        };
        let now = Instant::now();
        let first = if self.terminal { now - DRAW_EVERY } else { now };
        Bar {
            bar,
            label: label.to_string(),
            terminal: self.terminal,
            start: now,
            runs: AtomicU64::new(0),
            last_shown: Mutex::new(first),
        }
    }
}

/// Progress of one run: a bar on a terminal, a line every ten seconds
/// otherwise.
pub struct Bar {
    bar: ProgressBar,
    label: String,
    terminal: bool,
    start: Instant,
    /// Schedules run so far, for [`Bar::ran`].
    runs: AtomicU64,
    last_shown: Mutex<Instant>,
}

/// How often a bar writes a plain line when stderr is no terminal, and
/// redraws on one.
const LINE_EVERY: Duration = Duration::from_secs(10);
const DRAW_EVERY: Duration = Duration::from_millis(100);

impl Bar {
    /// Shows an exhaustive run's progress: the share of the work, the
    /// interleavings covered per second, and the time left.
    pub fn update(&self, done: Done) {
        self.show(done.work, done.total, |elapsed| {
            let share = done.work as f64 / done.total.max(1) as f64;
            let left = if share > 0.0 {
                elapsed * (1.0 - share) / share
            } else {
                0.0
            };
            let rate = done.interleavings as f64 / elapsed.max(1e-9);
            format!("{} interleavings/s, {} left", count(rate), minutes(left))
        });
    }

    /// Tells of `n` more schedules run, against a time budget of `budget`:
    /// the share of the budget spent, the schedules per second, and the
    /// time left.
    pub fn ran(&self, n: u64, budget: Duration) {
        let runs = self.runs.fetch_add(n, Ordering::Relaxed) + n;
        let total = budget.as_millis().max(1) as u64;
        let spent = (self.start.elapsed().as_millis() as u64).min(total);
        self.show(spent, total, |elapsed| {
            let left = (budget.as_secs_f64() - elapsed).max(0.0);
            let rate = runs as f64 / elapsed.max(1e-9);
            format!("{} schedules/s, {} left", count(rate), minutes(left))
        });
    }

    /// Shows `position` of `length` and the text `text(seconds elapsed)`
    /// makes: redrawn at most every tenth of a second on a terminal, a
    /// line every ten seconds (from the start) otherwise.
    fn show(&self, position: u64, length: u64, text: impl FnOnce(f64) -> String) {
        let every = if self.terminal {
            DRAW_EVERY
        } else {
            LINE_EVERY
        };
        let mut last = self.last_shown.lock().unwrap_or_else(|e| e.into_inner());
        // A log gets no line for the end: the phase's summary follows.
        let end = self.terminal && position >= length;
        if last.elapsed() < every && !end {
            return;
        }
        *last = Instant::now();
        let text = text(self.start.elapsed().as_secs_f64());
        if self.terminal {
            self.bar.set_length(length);
            self.bar.set_position(position);
            self.bar.set_message(text);
        } else {
            let share = position as f64 * 100.0 / length.max(1) as f64;
            eprintln!("{}: {share:.0}%, {text}", self.label);
        }
    }

    /// Takes the bar off the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `1.2M`, `35k`, `812`.
fn count(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.1}M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.0}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

/// `1m 05s`, or `42s`.
pub fn minutes(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_times_read_short() {
        assert_eq!(count(1_234_567.0), "1.2M");
        assert_eq!(count(35_400.0), "35k");
        assert_eq!(count(812.2), "812");
        assert_eq!(minutes(65.0), "1m 05s");
        assert_eq!(minutes(42.4), "42s");
    }
}
