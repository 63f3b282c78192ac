//! `futex-diff run`: one scenario on one or more revisions, shown in full:
//! the interleaving, each call's result and key, every refcount before and
//! after, and the oracles' findings (so a reproducer file replays its
//! finding). Without a scenario it runs the built-in scenarios and prints
//! one line per scenario and revision.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::selection::RevisionArgs;
use super::{load_scenario, Status, UsageError};
use crate::exec::Outcome;
use crate::implementation::CallResult;
use crate::oracle::{self, Report};
use crate::revision::Revision;
use crate::scenario::Scenario;
use crate::world::Counter;

/// Run a scenario and show how each revision handles it.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (text form). Without one, every built-in scenario runs
    /// and a summary line per scenario and revision is printed.
    scenario: Option<PathBuf>,
    #[command(flatten)]
    revisions: RevisionArgs,
}

pub fn main(args: RunArgs) -> Result<Status, UsageError> {
    let revisions = args.revisions.select()?.revisions;
    let Some(path) = args.scenario else {
        return summary(&revisions);
    };
    let scenario = load_scenario(&path)?;
    let mut any = false;
    for rev in revisions {
        let report = oracle::check(&scenario, rev, oracle::Checks::REPORT)
            .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
        out!("{}", render(&scenario, &report, rev));
        any |= !report.found.is_empty();
    }
    Ok(if any { Status::Findings } else { Status::Clean })
}

/// One call's result in a few words.
fn result_text(outcome: &Outcome, call: usize) -> String {
    let c = &outcome.calls[call];
    match c.result {
        CallResult::Returned(0) => match c.node {
            Some(node) => format!("0, {}, node {node}", c.key),
            None => format!("0, {}", c.key),
        },
        CallResult::Returned(code) => crate::abi::errno_name(code),
        CallResult::Aborted => "aborted".to_string(),
    }
}

fn render(scenario: &Scenario, report: &Report, rev: Revision) -> String {
    let outcome = &report.outcome;
    let mut out = String::new();
    let file = rev.path().rsplit('/').next().unwrap_or(rev.path());
    let _ = writeln!(
        out,
        "=== revision {} ({}), {} mode ===",
        rev.name(),
        rev.origin(),
        scenario.mode
    );
    let legend: Vec<String> = outcome
        .legend(scenario)
        .map(|(id, name)| format!("{id} = {name}"))
        .collect();
    let _ = writeln!(out, "objects: {}", legend.join(", "));
    out.push_str(&outcome.trace.render(file));
    let _ = writeln!(out, "\nresults:");
    for i in 0..outcome.calls.len() {
        let _ = writeln!(out, "  call {}: {}", i + 1, result_text(outcome, i));
    }
    if outcome.calls.len() < scenario.calls.len() {
        let _ = writeln!(
            out,
            "  calls {}.. not made: an earlier call was aborted",
            outcome.calls.len() + 1
        );
    }
    let _ = writeln!(out, "refcounts (before -> after):");
    let names: std::collections::BTreeSet<&Counter> = outcome
        .before
        .iter()
        .chain(&outcome.after)
        .map(|(n, _)| n)
        .collect();
    for name in names {
        let find = |list: &[(Counter, i64)]| {
            list.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.to_string())
        };
        let before = find(&outcome.before).unwrap_or_else(|| "-".into());
        let after = find(&outcome.after).unwrap_or_else(|| "freed".into());
        let mark = if before != after { "   <- changed" } else { "" };
        let name = name.to_string();
        let _ = writeln!(out, "  {name:<22} {before:>6} -> {after:<6}{mark}");
    }
    for (event, why) in &outcome.stuck {
        let _ = writeln!(out, "event {event} never finished: {why}");
    }
    if let Some(e) = &outcome.harness_error {
        let _ = writeln!(out, "harness error: {e}");
    }
    for (call, allowance) in &report.verdict.allowed {
        let _ = writeln!(
            out,
            "call {} departs from the reference, allowed by rule {}",
            call + 1,
            allowance.name()
        );
    }
    if report.found.is_empty() {
        let _ = writeln!(out, "findings: none\n");
    } else {
        let _ = writeln!(out, "findings:");
        for found in &report.found {
            let _ = writeln!(out, "  {}", found.finding);
        }
        out.push('\n');
    }
    out
}

/// The built-in scenarios on every selected revision, one line each.
fn summary(revisions: &[Revision]) -> Result<Status, UsageError> {
    let mut any = false;
    for (name, text) in crate::corpus::BUILT_IN {
        let scenario = crate::scenario::parse(text)
            .map_err(|e| UsageError(format!("built-in {name}: {e}")))?;
        for rev in revisions {
            let report = match oracle::check(&scenario, *rev, oracle::Checks::REPORT) {
                Err(e) if e.not_in_era() => {
                    outln!("{name:<32} {:<10} not applicable: {e}", rev.name());
                    continue;
                }
                report => report.map_err(|e| UsageError(format!("built-in {name}: {e}")))?,
            };
            let outcome = &report.outcome;
            let results: Vec<String> = (0..outcome.calls.len())
                .map(|i| result_text(outcome, i))
                .collect();
            let mut noticed: Vec<String> = report
                .found
                .iter()
                .map(|f| f.finding.class.to_string())
                .collect();
            noticed.dedup();
            any |= !noticed.is_empty();
            outln!(
                "{name:<32} {:<10} {}{}",
                rev.name(),
                results.join(" | "),
                if noticed.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", noticed.join(", "))
                }
            );
        }
    }
    Ok(if any { Status::Findings } else { Status::Clean })
}
