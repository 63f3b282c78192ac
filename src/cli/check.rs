//! `futex-diff check`: both oracles on one scenario; the findings, each
//! with the interleaving that produced it.

use std::path::PathBuf;

use clap::Args;

use super::selection::RevisionArgs;
use super::{against, load_scenario, Status, UsageError};
use crate::oracle;

/// Run the meaning and lockstep oracles on a scenario and print what they
/// find. A revision whose era lacks something the world holds (a shmem
/// huge page before 4.8) is not applicable, and said so. Exit code 0:
/// nothing found; 1: findings; 2: bad input, or no revision applies.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Scenario file (text form).
    scenario: PathBuf,
    #[command(flatten)]
    revisions: RevisionArgs,
    /// Also run the scenario on BASE, show both runs side by side, and
    /// tell which findings are new, fixed or shared (the default with
    /// --patch: the unpatched kernel). Exit code 1 then means new findings.
    #[arg(long, value_name = "BASE")]
    against: Option<String>,
    /// Print the interleaving of every revision, not only of those with
    /// findings.
    #[arg(long)]
    verbose: bool,
    /// Write one reproducer per finding into this directory
    /// (`REVISION-CLASS.scn`), replayable with `futex-diff run`.
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
}

pub fn main(args: CheckArgs) -> Result<Status, UsageError> {
    let scenario = load_scenario(&args.scenario)?;
    let path = args.scenario.display();
    let mut any = false;
    let mut written: Vec<PathBuf> = Vec::new();
    let selection = args.revisions.select()?;
    if let Some(base) = against::base(args.against.as_deref(), None, &selection)? {
        for rev in selection
            .revisions
            .iter()
            .filter(|r| r.name() != base.name())
        {
            let (text, new, _, _) = against::compare(&scenario, *rev, base)?;
            out!("{text}");
            any |= new;
        }
        return Ok(if any { Status::Findings } else { Status::Clean });
    }
    let mut applied = false;
    let mut not_applicable = None;
    for rev in selection.revisions {
        let report = match oracle::check(&scenario, rev, oracle::Checks::REPORT) {
            Err(e) if e.not_in_era() => {
                outln!("{}: not applicable: {e}", rev.name());
                not_applicable.get_or_insert(e);
                continue;
            }
            report => report.map_err(|e| UsageError(format!("{path}: {e}")))?,
        };
        applied = true;
        if report.found.is_empty() {
            outln!("{}: no findings ({} mode)", rev.name(), scenario.mode);
            for (call, allowance) in &report.verdict.allowed {
                outln!("  call {}: allowed by rule {}", call + 1, allowance.name());
            }
        } else {
            any = true;
            outln!(
                "{}: {} finding(s) ({} mode)",
                rev.name(),
                report.found.len(),
                scenario.mode
            );
            for found in &report.found {
                outln!("  {}", found.finding);
                if let Some(dir) = &args.save {
                    let mut file = dir.join(found.file_name());
                    for n in 2.. {
                        if !written.contains(&file) {
                            break;
                        }
                        file = dir.join(found.file_name().replace(".scn", &format!("-{n}.scn")));
                    }
                    written.push(file.clone());
                    std::fs::create_dir_all(dir)
                        .and_then(|()| std::fs::write(&file, found.reproducer(&scenario)))
                        .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
                    outln!("    reproducer: {}", file.display());
                }
            }
        }
        if args.verbose || !report.found.is_empty() {
            outln!("{}", report.outcome.trace.render(against::file_of(rev)));
        }
    }
    if let (false, Some(e)) = (applied, not_applicable) {
        return Err(UsageError(format!(
            "{path}: applies to none of the revisions chosen: {e}"
        )));
    }
    Ok(if any { Status::Findings } else { Status::Clean })
}
