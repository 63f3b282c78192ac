//! `futex-diff hunt`, the main job: what can go wrong with these revisions?
//! Every interleaving of the built-in families up to a preemption bound,
//! then PCT-style random schedules for the rest of the time budget; one
//! minimised reproducer per distinct finding, and a table of revision by
//! finding class. Against a base (`--against`, or the unpatched kernel
//! when `--patch` is given) it reports what tells each revision from the
//! base: findings new on the revision, findings it fixed, and how many
//! both share.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use super::progress::Progress;
use super::selection::RevisionArgs;
use super::{Status, UsageError};
use crate::explore::{self, hunt::Reported, Change, Hunt};
use crate::finding::FindingClass;
use crate::revision::{self, Revision};
use crate::world::Mode;

/// Hunt for findings in every revision (or those named) and write one
/// minimised reproducer per distinct finding. Exit code 0: nothing found;
/// 1: findings; 2: bad input.
#[derive(Args, Debug)]
pub struct HuntArgs {
    #[command(flatten)]
    revisions: RevisionArgs,
    /// Report, for each revision, only what tells it from BASE: findings
    /// it shows on a scenario where BASE does not (new), and the reverse
    /// (fixed). The default with --patch: the unpatched kernel.
    #[arg(long, value_name = "BASE")]
    against: Option<String>,
    /// Time budget in seconds: exhaustive exploration first, random
    /// schedules for what is left.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Also hunt in relaxed mode (events ignore the kernel's preconditions).
    #[arg(long)]
    relaxed: bool,
    /// One JSON object per distinct finding per line, instead of the table
    /// (docs/schemas/hunt.schema.json).
    #[arg(long)]
    json: bool,
    /// Also write the findings to FILE as a SARIF 2.1.0 log, for code
    /// scanning: each at the revision's C line where its reproducer's run
    /// first departed from the function's meaning.
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,
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

pub fn main(args: HuntArgs) -> Result<Status, UsageError> {
    let selection = args.revisions.select()?;
    let base = match (&args.against, selection.patch_base) {
        (Some(name), _) => Some(revision::find(name).map_err(UsageError)?),
        (None, base) => base,
    };
    let revisions: Vec<Revision> = selection
        .revisions
        .into_iter()
        .filter(|r| base.is_none_or(|b| b.name() != r.name()))
        .collect();
    if revisions.is_empty() {
        return Err(UsageError("nothing to hunt in but the base itself".into()));
    }
    let modes: Vec<Mode> = if args.relaxed {
        vec![Mode::Strict, Mode::Relaxed]
    } else {
        vec![Mode::Strict]
    };
    if let Some(path) = &args.sarif {
        super::sarif::writable(path)?;
    }
    let threads = args.threads.unwrap_or_else(explore::default_threads).max(1);
    let progress = Progress::new();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);

    let tasks = explore::tasks(&revisions, &modes, base).map_err(UsageError)?;
    let against = base
        .map(|b| format!(", each against {}", b.name()))
        .unwrap_or_default();
    let families: std::collections::BTreeSet<&str> =
        tasks.iter().map(|t| t.family.name.as_str()).collect();
    let skipped = families.len() * revisions.len() * modes.len() - tasks.len();
    let not_applicable = if skipped > 0 {
        format!(" ({skipped} family-revision pair(s) not applicable: objects the era lacks)")
    } else {
        String::new()
    };
    progress.phase(&format!(
        "hunt: {} families x {} revision(s) x {} mode(s){against}{not_applicable}, preemption bound {}, {threads} thread(s)",
        families.len(),
        revisions.len(),
        modes.len(),
        args.bound
    ));
    progress.done();
    let bar = progress.bar("exhaustive");
    let (mut hunt, complete) = explore::run_exhaustive(
        &tasks,
        args.bound,
        explore::Search::Reduced,
        threads,
        deadline,
        &|done| bar.update(done),
    );
    bar.finish();
    progress.phase(&format!(
        "exhaustive: {} schedules in {:.1}s ({} more known to run alike one of them){}",
        hunt.runs,
        start.elapsed().as_secs_f64(),
        hunt.skipped,
        if complete {
            ""
        } else {
            " (cut short by the time budget)"
        }
    ));
    progress.done();
    let before = (hunt.runs, Instant::now());
    let budget = deadline.saturating_duration_since(before.1);
    let bar = progress.bar("random (PCT)");
    hunt.merge(explore::run_random(
        &tasks,
        threads,
        deadline,
        args.seed,
        &|n| bar.ran(n, budget),
    ));
    bar.finish();
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

    let distinct = hunt.found.len() + hunt.changes.len();
    if distinct > 0 {
        progress.phase(&format!("minimising {distinct} findings"));
        progress.done();
    }
    let reported = match base {
        None => explore::hunt::report(&hunt),
        Some(_) => explore::hunt::report_changes(&hunt),
    };
    explore::hunt::write(&reported, &args.out)
        .map_err(|e| UsageError(format!("{}: {e}", args.out.display())))?;
    for r in reported.iter().filter(|r| !r.minimised) {
        eprintln!(
            "futex-diff: warning: {} did not show again when re-run (a harness bug: \
             please report it); its reproducer is kept as found",
            r.file_name
        );
    }
    if let Some(path) = &args.sarif {
        super::sarif::write(path, &reported, &args.out)?;
    }
    let names: Vec<String> = revisions.iter().map(|r| r.name().to_string()).collect();
    match (base, args.json) {
        (None, true) => print_json(&reported, &args.out),
        (None, false) => print_table(&names, &reported, &args.out),
        (Some(base), true) => print_changes_json(&names, base, &hunt, &reported, &args.out),
        (Some(base), false) => print_changes(&names, base, &hunt, &reported, &args.out),
    }
    Ok(if reported.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    })
}

/// A line of `hunt --json`: one distinct finding.
#[derive(Serialize)]
struct FindingLine<'a> {
    revision: &'a str,
    class: &'static str,
    mode: String,
    summary: &'a str,
    reproducer: String,
}

/// A line of `hunt --json --against BASE`: a finding that tells a revision
/// from the base.
#[derive(Serialize)]
struct ChangeLine<'a> {
    revision: &'a str,
    against: &'static str,
    change: &'static str,
    class: &'static str,
    mode: String,
    summary: &'a str,
    reproducer: String,
}

/// The last lines of `hunt --json --against BASE`: per revision, how many
/// findings it shares with the base.
#[derive(Serialize)]
struct SharedLine<'a> {
    revision: &'a str,
    against: &'static str,
    change: &'static str,
    count: usize,
}

/// Prints one JSON object on a line.
fn print_line(line: &impl Serialize) {
    super::outln!(
        "{}",
        serde_json::to_string(line).expect("a record serialises")
    );
}

fn print_json(reported: &[Reported], dir: &Path) {
    for r in reported {
        print_line(&FindingLine {
            revision: &r.key.revision,
            class: r.key.class.name(),
            mode: r.key.mode.to_string(),
            summary: &r.found.finding.summary,
            reproducer: dir.join(&r.file_name).display().to_string(),
        });
    }
}

/// How many findings of `class` in `mode` a revision has, as a cell.
fn cell(strict: usize, relaxed: usize) -> String {
    match (strict, relaxed) {
        (0, 0) => "-".to_string(),
        (s, 0) => s.to_string(),
        (0, r) => format!("{r}r"),
        (s, r) => format!("{s}+{r}r"),
    }
}

/// A table of rows (a label, and what each row counts) by finding class.
fn print_class_table(
    head: &str,
    rows: &[(String, Vec<&Reported>)],
    extra: Option<(&str, Vec<String>)>,
) {
    let mut classes: Vec<FindingClass> = rows
        .iter()
        .flat_map(|(_, rs)| rs.iter().map(|r| r.key.class))
        .collect();
    classes.sort();
    classes.dedup();
    let label_width = rows
        .iter()
        .map(|(l, _)| l.len())
        .chain([head.len(), 10])
        .max()
        .unwrap_or(10);
    let mut line = format!("{head:<label_width$}");
    for class in &classes {
        line.push_str(&format!(
            " {:>w$}",
            class.name(),
            w = class.name().len().max(3)
        ));
    }
    if let Some((title, _)) = &extra {
        line.push_str(&format!(" {title:>6}"));
    }
    super::outln!("{line}");
    for (i, (label, rs)) in rows.iter().enumerate() {
        let mut line = format!("{label:<label_width$}");
        for class in &classes {
            let count = |mode| {
                rs.iter()
                    .filter(|r| r.key.class == *class && r.key.mode == mode)
                    .count()
            };
            let c = cell(count(Mode::Strict), count(Mode::Relaxed));
            line.push_str(&format!(" {c:>w$}", w = class.name().len().max(3)));
        }
        if let Some((_, values)) = &extra {
            line.push_str(&format!(" {:>6}", values[i]));
        }
        super::outln!("{line}");
    }
}

pub(super) fn print_table(revisions: &[String], written: &[Reported], dir: &Path) {
    if written.is_empty() {
        super::outln!("no findings");
        return;
    }
    let rows: Vec<(String, Vec<&Reported>)> = revisions
        .iter()
        .map(|rev| {
            let rs = written.iter().filter(|r| &r.key.revision == rev).collect();
            (rev.clone(), rs)
        })
        .collect();
    print_class_table("revision", &rows, None);
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

/// How many findings `revision` and `base` showed alike on some scenario
/// (a new path to one of them is listed as new all the same).
fn shared_count(hunt: &Hunt, revision: &str, base: &str) -> usize {
    hunt.shared
        .iter()
        .filter(|(r, b, _)| r == revision && b == base)
        .count()
}

/// The change of a reported finding, and the revision under test.
fn change_of(r: &Reported) -> (Change, String) {
    let (change, other) = r.change.clone().expect("a change");
    let under_test = match change {
        Change::New => r.key.revision.clone(),
        Change::Fixed => other,
    };
    (change, under_test)
}

fn print_changes(
    revisions: &[String],
    base: Revision,
    hunt: &Hunt,
    reported: &[Reported],
    dir: &Path,
) {
    super::outln!(
        "against {}: new = shown on the revision where {} does not show it; fixed = the reverse\n",
        base.name(),
        base.name()
    );
    let mut rows = Vec::new();
    let mut shared = Vec::new();
    for rev in revisions {
        for change in [Change::New, Change::Fixed] {
            let rs: Vec<&Reported> = reported
                .iter()
                .filter(|r| change_of(r) == (change, rev.clone()))
                .collect();
            rows.push((format!("{rev} {}", change.name()), rs));
            shared.push(match change {
                Change::New => shared_count(hunt, rev, base.name()).to_string(),
                Change::Fixed => String::new(),
            });
        }
    }
    print_class_table("revision change", &rows, Some(("shared", shared)));
    super::outln!("\n(cells: distinct findings; `r`: needs relaxed mode; shared: findings both show alike, not listed)\n");
    if reported.is_empty() {
        super::outln!("nothing tells them apart");
    }
    for r in reported {
        let (change, under_test) = change_of(r);
        super::outln!(
            "{under_test} {} [{}] {}: {}\n    {}",
            change.name(),
            r.key.mode,
            r.key.class,
            r.found.finding.summary,
            dir.join(&r.file_name).display()
        );
    }
}

fn print_changes_json(
    revisions: &[String],
    base: Revision,
    hunt: &Hunt,
    reported: &[Reported],
    dir: &Path,
) {
    for r in reported {
        let (change, under_test) = change_of(r);
        print_line(&ChangeLine {
            revision: &under_test,
            against: base.name(),
            change: change.name(),
            class: r.key.class.name(),
            mode: r.key.mode.to_string(),
            summary: &r.found.finding.summary,
            reproducer: dir.join(&r.file_name).display().to_string(),
        });
    }
    for rev in revisions {
        print_line(&SharedLine {
            revision: rev,
            against: base.name(),
            change: "shared",
            count: shared_count(hunt, rev, base.name()),
        });
    }
}
