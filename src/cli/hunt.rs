//! `futex-diff hunt`, the main job: what can go wrong with these revisions?
//! Every interleaving of the built-in families up to a preemption bound,
//! then PCT-style random schedules for the rest of the time budget; one
//! minimised reproducer per distinct finding, and a table of revision by
//! finding class.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;

use super::{selected, Status, UsageError};
use crate::explore::{self, hunt::Reported};
use crate::finding::FindingClass;
use crate::world::Mode;

/// Hunt for findings in every revision (or those named) and write one
/// minimised reproducer per distinct finding. Exit code 0: nothing found;
/// 1: findings; 2: bad input.
#[derive(Args, Debug)]
pub struct HuntArgs {
    /// Revision to hunt in (repeatable); all of them when not given.
    #[arg(long = "rev", value_name = "NAME")]
    revs: Vec<String>,
    /// Time budget in seconds: exhaustive exploration first, random
    /// schedules for what is left.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Also hunt in relaxed mode (events ignore the kernel's preconditions).
    #[arg(long)]
    relaxed: bool,
    /// One JSON object per distinct finding per line, instead of the table.
    #[arg(long)]
    json: bool,
    /// Preemption bound of the exhaustive phase.
    #[arg(long, default_value_t = 2)]
    bound: usize,
    /// Directory for the reproducers.
    #[arg(long, value_name = "DIR", default_value = "findings")]
    out: PathBuf,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed of the random phase.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Progress on a terminal, plain lines otherwise.
struct Progress {
    terminal: bool,
}

impl Progress {
    fn phase(&self, text: &str) {
        if self.terminal {
            eprint!("\r\x1b[2K{text}");
        } else {
            eprintln!("{text}");
        }
    }

    fn done(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}

pub fn main(args: HuntArgs) -> Result<Status, UsageError> {
    let revisions = selected(&args.revs)?;
    let modes: Vec<Mode> = if args.relaxed {
        vec![Mode::Strict, Mode::Relaxed]
    } else {
        vec![Mode::Strict]
    };
    let threads = args.threads.unwrap_or_else(explore::default_threads).max(1);
    let progress = Progress {
        terminal: std::io::stderr().is_terminal(),
    };
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);

    let tasks = explore::tasks(&revisions, &modes).map_err(UsageError)?;
    progress.phase(&format!(
        "hunt: {} families x {} revision(s) x {} mode(s), preemption bound {}, {threads} thread(s)",
        tasks.len() / revisions.len().max(1) / modes.len(),
        revisions.len(),
        modes.len(),
        args.bound
    ));
    progress.done();
    let report = |done: u64, total: u64| {
        if progress.terminal {
            eprint!("\r\x1b[2Kexhaustive: {done}/{total} schedules");
        }
    };
    let (mut hunt, complete) =
        explore::run_exhaustive(&tasks, args.bound, threads, deadline, &report);
    progress.phase(&format!(
        "exhaustive: {} schedules in {:.1}s{}",
        hunt.runs,
        start.elapsed().as_secs_f64(),
        if complete {
            ""
        } else {
            " (cut short by the time budget)"
        }
    ));
    progress.done();
    let before = (hunt.runs, Instant::now());
    hunt.merge(explore::run_random(&tasks, threads, deadline, args.seed));
    let (runs, seconds) = (hunt.runs - before.0, before.1.elapsed().as_secs_f64());
    progress.phase(&format!(
        "random (PCT): {runs} schedules in {seconds:.1}s, {:.0} schedules/s",
        runs as f64 / seconds.max(1e-9)
    ));
    progress.done();

    if let Some(error) = &hunt.unbuilt_error {
        return Err(UsageError(format!(
            "{} schedule(s) did not build, the first: {error}",
            hunt.unbuilt
        )));
    }
    if !hunt.found.is_empty() {
        progress.phase(&format!("minimising {} findings", hunt.found.len()));
        progress.done();
    }
    let reported = explore::hunt::report(&hunt);
    explore::hunt::write(&reported, &args.out)
        .map_err(|e| UsageError(format!("{}: {e}", args.out.display())))?;
    for r in reported.iter().filter(|r| !r.minimised) {
        eprintln!(
            "futex-diff: warning: {} did not show again when re-run (a harness bug: \
             please report it); its reproducer is kept as found",
            r.file_name
        );
    }
    if args.json {
        for r in &reported {
            super::outln!(
                "{{\"revision\":{},\"class\":{},\"mode\":{},\"summary\":{},\"reproducer\":{}}}",
                json(&r.key.revision),
                json(r.key.class.name()),
                json(&r.key.mode.to_string()),
                json(&r.found.finding.summary),
                json(&args.out.join(&r.file_name).display().to_string())
            );
        }
    } else {
        print_table(
            &revisions
                .iter()
                .map(|r| r.name().to_string())
                .collect::<Vec<_>>(),
            &reported,
            &args.out,
        );
    }
    Ok(if reported.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    })
}

fn print_table(revisions: &[String], written: &[Reported], dir: &Path) {
    if written.is_empty() {
        super::outln!("no findings");
        return;
    }
    let mut classes: Vec<FindingClass> = written.iter().map(|r| r.key.class).collect();
    classes.sort();
    classes.dedup();
    let mut line = format!("{:<10}", "revision");
    for class in &classes {
        line.push_str(&format!(
            " {:>width$}",
            class.name(),
            width = class.name().len().max(3)
        ));
    }
    super::outln!("{line}");
    for rev in revisions {
        let mut line = format!("{rev:<10}");
        for class in &classes {
            let strict = written
                .iter()
                .filter(|r| {
                    &r.key.revision == rev && r.key.class == *class && r.key.mode == Mode::Strict
                })
                .count();
            let relaxed = written
                .iter()
                .filter(|r| {
                    &r.key.revision == rev && r.key.class == *class && r.key.mode == Mode::Relaxed
                })
                .count();
            let cell = match (strict, relaxed) {
                (0, 0) => "-".to_string(),
                (s, 0) => s.to_string(),
                (0, r) => format!("{r}r"),
                (s, r) => format!("{s}+{r}r"),
            };
            line.push_str(&format!(
                " {:>width$}",
                cell,
                width = class.name().len().max(3)
            ));
        }
        super::outln!("{line}");
    }
    super::outln!("\n(cells: distinct findings; `r`: needs relaxed mode)\n");
    for r in written {
        super::outln!(
            "{} [{}] {}: {}\n    {}",
            r.key.revision,
            r.key.mode,
            r.key.class,
            r.found.finding.summary,
            dir.join(&r.file_name).display()
        );
    }
}

/// A JSON string literal.
fn json(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
