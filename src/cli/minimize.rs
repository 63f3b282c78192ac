//! `futex-diff minimize`: shrinks a reproducer by statements while the same
//! finding class still reproduces, and writes the readable result.

use std::path::PathBuf;

use clap::Args;

use super::selection::RevisionArgs;
use super::{load_scenario, Status, UsageError};
use crate::explore::minimize::{self, Minimized};
use crate::finding::FindingClass;
use crate::oracle;
use crate::revision;
use crate::scenario::binary;

/// Shrink a reproducer (events, calls, world objects) while the same
/// finding class reproduces, and write the result.
#[derive(Args, Debug)]
pub struct MinimizeArgs {
    /// Reproducer (scenario file).
    file: PathBuf,
    /// Revision it reproduces on (default: its `# revision:` header, else
    /// the first revision with a finding).
    #[command(flatten)]
    revisions: RevisionArgs,
    /// Finding class to keep (default: the first the oracles report).
    #[arg(long, value_name = "CLASS")]
    class: Option<String>,
    /// Output file (default: FILE with `.min.scn`).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn main(args: MinimizeArgs) -> Result<Status, UsageError> {
    let scenario = load_scenario(&args.file)?;
    let text = std::fs::read_to_string(&args.file).unwrap_or_default();
    let header_rev = text
        .lines()
        .find_map(|l| l.strip_prefix("# revision: "))
        .map(str::trim);
    // A kernel's reproducer names the kernel and patches to load.
    let revision_args = args.revisions.or_from_reproducer(&text)?;
    let selection = revision_args.select()?;
    let candidates: Vec<_> = match (args.revisions.names_any(), header_rev) {
        (false, Some(name)) => vec![revision::find(name).map_err(UsageError)?],
        _ => selection.revisions,
    };
    let wanted = match &args.class {
        Some(name) => Some(
            FindingClass::from_name(name)
                .ok_or_else(|| UsageError(format!("`{name}` is not a finding class")))?,
        ),
        None => None,
    };
    let mut target = None;
    for rev in candidates {
        let report = oracle::check(&scenario, rev, oracle::Checks::REPORT)
            .map_err(|e| UsageError(format!("{}: {e}", args.file.display())))?;
        if let Some(found) = report
            .found
            .iter()
            .find(|f| wanted.is_none_or(|c| c == f.finding.class))
        {
            target = Some((rev, found.clone()));
            break;
        }
    }
    let Some((rev, found)) = target else {
        outln!(
            "{}: nothing to minimise: no such finding reproduces",
            args.file.display()
        );
        return Ok(Status::Clean);
    };
    let Some(Minimized {
        scenario: small,
        found: small_found,
    }) = minimize::minimize(&scenario, rev, found.finding.class)
    else {
        return Err(UsageError(format!(
            "{}: {} showed once and not when run again (a harness bug: please report it)",
            args.file.display(),
            found.finding
        )));
    };
    let output = args
        .output
        .unwrap_or_else(|| args.file.with_extension("min.scn"));
    std::fs::write(&output, small_found.reproducer(&small))
        .map_err(|e| UsageError(format!("{}: {e}", output.display())))?;
    let size = |s: &crate::scenario::Scenario| {
        let statements = s.world.len() + s.calls.len() + s.events.len() + s.schedule.len();
        let bytes = binary::encode(s).map(|b| b.len()).unwrap_or(0);
        (statements, bytes)
    };
    let (before_statements, before_bytes) = size(&scenario);
    let (after_statements, after_bytes) = size(&small);
    outln!(
        "{} on {}: {before_statements} statements ({before_bytes} bytes encoded) -> {after_statements} statements ({after_bytes} bytes)\n{}",
        small_found.finding.class,
        rev.name(),
        output.display()
    );
    Ok(Status::Findings)
}
