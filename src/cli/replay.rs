//! `futex-diff replay`: a reproducer's interleaving in two columns, where
//! the result departs from the meaning, and why, in words; against a base,
//! both runs side by side.

use std::path::PathBuf;

use clap::Args;

use super::selection::RevisionArgs;
use super::{against, load_scenario, Status, UsageError};
use crate::oracle::{self, explain};
use crate::revision;

/// Replay a reproducer: the interleaving (the futex call's steps beside the
/// concurrent events), the states each call saw, and why the result departs.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Reproducer (scenario file).
    file: PathBuf,
    /// Revisions to replay on (default: the `# revision:` header, else all).
    #[command(flatten)]
    revisions: RevisionArgs,
    /// Also replay on BASE and show both runs side by side (default: the
    /// `# against:` header, or the unpatched kernel of --patch).
    #[arg(long, value_name = "BASE")]
    against: Option<String>,
}

pub fn main(args: ReplayArgs) -> Result<Status, UsageError> {
    let scenario = load_scenario(&args.file)?;
    let text = std::fs::read_to_string(&args.file).unwrap_or_default();
    let header = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::trim)
            .map(str::to_string)
    };
    let revision_args = args.revisions.or_from_reproducer(&text)?;
    let named = args.revisions.names_any();
    let selection = revision_args.select()?;
    let revisions = match (named, header("# revision: ")) {
        (false, Some(name)) => vec![revision::find(&name).map_err(UsageError)?],
        _ => selection.revisions.clone(),
    };
    let base = against::base(
        args.against.as_deref(),
        header("# against: ").as_deref(),
        &selection,
    )?;
    let mut any = false;
    for rev in revisions {
        super::outln!(
            "=== {} on {} ({} mode) ===",
            args.file.display(),
            rev.name(),
            scenario.mode
        );
        let report = match base.filter(|b| b.name() != rev.name()) {
            Some(base) => {
                let (text, _, report, _) = against::compare(&scenario, rev, base)?;
                super::out!("{text}");
                report
            }
            None => {
                let report = oracle::check(&scenario, rev, oracle::Checks::REPORT)
                    .map_err(|e| UsageError(format!("{}: {e}", args.file.display())))?;
                super::out!("{}", report.outcome.trace.render(against::file_of(rev)));
                report
            }
        };
        super::outln!("\n{}", explain::explain(&report, &scenario));
        any |= !report.found.is_empty();
    }
    Ok(if any { Status::Findings } else { Status::Clean })
}
