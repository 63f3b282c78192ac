//! `futex-diff replay`: a reproducer's interleaving in two columns, where
//! the result departs from the meaning, and why, in words.

use std::path::PathBuf;

use clap::Args;

use super::{load_scenario, Status, UsageError};
use crate::oracle::{self, explain};
use crate::revision;

/// Replay a reproducer: the interleaving (the futex call's steps beside the
/// concurrent events), the states each call saw, and why the result departs.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Reproducer (scenario file).
    file: PathBuf,
    /// Revision to replay on (default: the `# revision:` header, else all).
    #[arg(long = "rev", value_name = "NAME")]
    rev: Option<String>,
}

pub fn main(args: ReplayArgs) -> Result<Status, UsageError> {
    let scenario = load_scenario(&args.file)?;
    let text = std::fs::read_to_string(&args.file).unwrap_or_default();
    let header = text
        .lines()
        .find_map(|l| l.strip_prefix("# revision: "))
        .map(str::trim);
    let revisions = match args.rev.as_deref().or(header) {
        Some(name) => vec![revision::find(name).map_err(UsageError)?],
        None => revision::all().collect(),
    };
    let mut any = false;
    for rev in revisions {
        let report = oracle::check(&scenario, rev, oracle::Checks::REPORT)
            .map_err(|e| UsageError(format!("{}: {e}", args.file.display())))?;
        let file = rev.path().rsplit('/').next().unwrap_or(rev.path());
        super::outln!(
            "=== {} on {} ({} mode) ===",
            args.file.display(),
            rev.name(),
            scenario.mode
        );
        super::out!("{}", report.outcome.trace.render(file));
        super::outln!("\n{}", explain::explain(&report, &scenario));
        any |= !report.found.is_empty();
    }
    Ok(if any { Status::Findings } else { Status::Clean })
}
