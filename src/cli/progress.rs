//! Progress on stderr: on a terminal, a phase's line rewritten in place
//! and, for exhaustive work, an indicatif bar with the rate and the time
//! left; otherwise (a log, CI) plain lines, a bar's every ten seconds.

use std::io::IsTerminal;
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

    /// A bar for exhaustive work labelled `label`, to [`Bar::update`] from
    /// the progress callback.
    pub fn bar(&self, label: &str) -> Bar {
        let bar = if self.terminal {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{wide_bar}] {percent:>3}% {msg}, {eta} left",
                )
                .expect("the template parses")
                .progress_chars("=> "),
            );
            bar.set_prefix(label.to_string());
            bar.set_message("0 interleavings/s");
            bar
        } else {
            ProgressBar::hidden()
        };
        Bar {
            bar,
            label: label.to_string(),
            terminal: self.terminal,
            start: Instant::now(),
            last_line: Mutex::new(Instant::now()),
        }
    }
}

/// Progress of one exhaustive run: a bar on a terminal, a line every ten
/// seconds otherwise.
pub struct Bar {
    bar: ProgressBar,
    label: String,
    terminal: bool,
    start: Instant,
    last_line: Mutex<Instant>,
}

/// How often a bar writes a plain line when stderr is no terminal.
const LINE_EVERY: Duration = Duration::from_secs(10);

impl Bar {
    /// Shows `done`: the share of the work, the interleavings covered per
    /// second, and the time left.
    pub fn update(&self, done: Done) {
        let rate = done.interleavings as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
        if self.terminal {
            self.bar.set_length(done.total);
            self.bar.set_position(done.work);
            self.bar
                .set_message(format!("{} interleavings/s", count(rate)));
            return;
        }
        let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= LINE_EVERY {
            *last = Instant::now();
            eprintln!(
                "{}: {}, {} interleavings/s",
                self.label,
                fraction(done.work, done.total, self.start),
                count(rate)
            );
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

/// The share of the work done since `start`, with an estimate of the
/// time left: `41%, 3m 02s left`.
fn fraction(done: u64, total: u64, start: Instant) -> String {
    let elapsed = start.elapsed().as_secs_f64();
    let share = if total == 0 {
        1.0
    } else {
        done as f64 / total as f64
    };
    let left = if share > 0.0 {
        elapsed * (1.0 - share) / share
    } else {
        0.0
    };
    format!("{:.0}%, {} left", share * 100.0, minutes(left))
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
