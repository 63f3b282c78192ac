//! `futex-diff explore`: every interleaving of the built-in families up to
//! a preemption bound, through both oracles; prints the distinct findings
//! and the rate.

use std::time::{Duration, Instant};

use clap::Args;

use super::selection::RevisionArgs;
use super::{Status, UsageError};
use crate::explore;
use crate::world::Mode;

/// Explore every interleaving of the built-in scenario families up to a
/// preemption bound, on every revision (or those named).
#[derive(Args, Debug)]
pub struct ExploreArgs {
    #[command(flatten)]
    revisions: RevisionArgs,
    /// How many event runs one schedule may place (preemption bound).
    #[arg(long, default_value_t = 2)]
    bound: usize,
    /// Explore relaxed mode too.
    #[arg(long)]
    relaxed: bool,
    /// Only the family of this corpus scenario.
    #[arg(long, value_name = "NAME")]
    family: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Run every schedule, also those known to run alike one that ran.
    #[arg(long)]
    full: bool,
}

pub fn main(args: ExploreArgs) -> Result<Status, UsageError> {
    let revisions = args.revisions.select()?.revisions;
    let modes: Vec<Mode> = if args.relaxed {
        vec![Mode::Strict, Mode::Relaxed]
    } else {
        vec![Mode::Strict]
    };
    let mut tasks = explore::tasks(&revisions, &modes, None).map_err(UsageError)?;
    if let Some(name) = &args.family {
        tasks.retain(|t| t.family.aliases.contains(name));
        if tasks.is_empty() {
            return Err(UsageError(format!("no built-in family named `{name}`")));
        }
    }
    let threads = args.threads.unwrap_or_else(explore::default_threads).max(1);
    let start = Instant::now();
    let forever = start + Duration::from_secs(u64::MAX / 4);
    let search = if args.full {
        explore::Search::Full
    } else {
        explore::Search::Reduced
    };
    let (hunt, _) = explore::run_exhaustive(&tasks, args.bound, search, threads, forever, &|_| {});
    let seconds = start.elapsed().as_secs_f64();
    if let Some(error) = &hunt.unbuilt_error {
        return Err(UsageError(format!(
            "{} schedule(s) did not build, the first: {error}",
            hunt.unbuilt
        )));
    }
    outln!(
        "{} schedules ({} interleavings, each through both oracles) in {seconds:.2}s on {threads} thread(s): {:.0} schedules/s",
        hunt.runs,
        hunt.runs,
        hunt.runs as f64 / seconds
    );
    if hunt.skipped > 0 {
        let covered = hunt.runs + hunt.skipped;
        outln!(
            "{} more skipped as running alike one that ran: {covered} covered, {:.0} covered/s",
            hunt.skipped,
            covered as f64 / seconds
        );
    }
    for (key, (found, _)) in &hunt.found {
        outln!(
            "{} [{}] {}: {}",
            key.revision,
            key.mode,
            key.class,
            found.finding.summary
        );
    }
    Ok(if hunt.found.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    })
}
