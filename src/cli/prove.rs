//! `futex-diff prove`: every scenario within a stated scope and every
//! interleaving of each up to the scope's preemption bound, on each
//! revision named; the scope, what was covered, and every distinct
//! finding with a minimised reproducer.

use std::path::PathBuf;

use clap::Args;

use super::progress::{minutes, Progress};
use super::selection::RevisionArgs;
use super::{Status, UsageError};
use crate::explore;
use crate::prove::{self, Scope};

/// Prove a revision over a scope: every scenario of the scope, every
/// interleaving up to its bound. Exit code 0: no finding; 1: findings;
/// 2: bad input.
#[derive(Args, Debug)]
pub struct ProveArgs {
    #[command(flatten)]
    revisions: RevisionArgs,
    /// The scope, widened or narrowed from the default: NAME=VALUE,...
    /// with kinds (of mapping: anon+anon-thp+file+shmem+shmem-thp+hugetlbfs),
    /// pages, calls, events, size (calls and events together), callers,
    /// bound (preemptions), yields (where placements may fall), retries
    /// (the livelock bound), numa (0, 1 or 2: the FUTEX2 node flags from
    /// 6.16); `relaxed` adds relaxed mode, `lockstep` the lockstep oracle.
    #[arg(long, value_name = "SPEC", default_value = "")]
    scope: String,
    /// Directory for the reproducers.
    #[arg(long, value_name = "DIR", default_value = "findings")]
    out: PathBuf,
    /// Also write the findings to FILE as a SARIF 2.1.0 log, as `hunt
    /// --sarif` does.
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn main(args: ProveArgs) -> Result<Status, UsageError> {
    let scope = Scope::parse(&args.scope).map_err(UsageError)?;
    if let Some(path) = &args.sarif {
        super::sarif::writable(path)?;
    }
    let revisions = args.revisions.select()?.revisions;
    let threads = args.threads.unwrap_or_else(explore::default_threads).max(1);
    let progress = Progress::new();
    outln!("scope: {scope}");
    outln!("  {}", describe(&scope));
    let mut reported = Vec::new();
    for &revision in &revisions {
        let bar = progress.bar(revision.name());
        let proof = prove::prove(&scope, revision, threads, &|done| bar.update(done))
            .map_err(UsageError)?;
        bar.finish();
        let covered = proof.hunt.runs + proof.hunt.skipped;
        // Counted as listed: findings that minimise to the same one are one.
        let found = explore::hunt::report(&proof.hunt);
        outln!(
            "{}: {} scenarios ({} before symmetric ones count once; {} mappings and events not applicable), \
             {covered} interleavings ({} run, {} known to run alike one that ran) in {} on {threads} thread(s): {}",
            revision.name(),
            proof.scenarios,
            proof.before_symmetry,
            proof.not_applicable,
            proof.hunt.runs,
            proof.hunt.skipped,
            minutes(proof.seconds),
            match found.len() {
                0 => "no finding".to_string(),
                n => format!("{n} distinct finding(s)"),
            }
        );
        reported.extend(found);
    }
    explore::hunt::write(&reported, &args.out)
        .map_err(|e| UsageError(format!("{}: {e}", args.out.display())))?;
    if let Some(path) = &args.sarif {
        super::sarif::write(path, &reported, &args.out)?;
    }
    if !reported.is_empty() {
        outln!("");
        let names: Vec<String> = revisions.iter().map(|r| r.name().to_string()).collect();
        super::hunt::print_table(&names, &reported, &args.out);
    }
    Ok(if reported.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    })
}

/// The scope in words, as the claim a proof makes.
fn describe(scope: &Scope) -> String {
    format!(
        "every scenario with one mm and one mapping ({}; read-write or read-only; shared or \
         private) of {} small page(s) or one huge page, in every starting state; at most {} call(s) \
         by at most {} task(s), at most {} event(s) of every kind over its objects, at most {} calls \
         and events together; every interleaving with at most {} preemption(s), each at one of the \
         first {} yield points; a call still retrying after {} yield points is livelocked; from 6.16, \
         calls {}; {} mode; the meaning oracle{}",
        scope.kind_list().replace('+', ", "),
        scope.pages,
        scope.calls,
        scope.callers,
        scope.events,
        scope.size,
        scope.bound,
        scope.yields,
        scope.retries,
        match scope.numa {
            0 => "without FUTEX2 node flags",
            1 => "without node flags or with `numa mpol` and the node word at FUTEX_NO_NODE",
            _ => "with every node flag set (none, `numa`, `numa mpol`), the node word at node 0 or FUTEX_NO_NODE",
        },
        if scope.relaxed {
            "strict and relaxed"
        } else {
            "strict"
        },
        if scope.lockstep {
            " and the lockstep oracle against the Rust port"
        } else {
            ""
        }
    )
}
