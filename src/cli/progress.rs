//! Progress on stderr: a line rewritten in place on a terminal, plain
//! lines otherwise (a log, CI).

use std::io::IsTerminal;
use std::time::Instant;

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
}

/// The share of the work done since `start`, with an estimate of the
/// time left: `41%, 3m 02s left`.
pub fn fraction(done: u64, total: u64, start: Instant) -> String {
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
