//! The oracles: each judges executions of a scenario and reports findings.
//!
//! - [`meaning`]: any revision against the function's meaning (the
//!   reference semantics of `crate::reference`), linearised over the
//!   states a call saw, plus references, locks and key identities;
//! - [`lockstep`]: a C revision against its Rust port, step by step;
//! - [`against`]: a revision's findings against its base's, on one
//!   scenario.
//!
//! [`check`], the one entry point, runs them on one revision as [`Checks`]
//! say and tells which mode each finding needs: the scenario's own.

pub mod against;
pub mod departure;
pub mod explain;
pub mod lockstep;
pub mod meaning;

use std::fmt;

use crate::exec::{self, Outcome};
use crate::finding::Finding;
use crate::revision::Revision;
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::world::{Mode, WorldError};

/// A finding on a revision, with the mode its scenario ran in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Found {
    pub revision: String,
    pub mode: Mode,
    pub finding: Finding,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]: {}", self.revision, self.mode, self.finding)
    }
}

/// Everything the oracles say about one scenario on one revision.
pub struct Report {
    /// The C revision's execution, which the meaning oracle judged.
    pub outcome: Outcome,
    pub verdict: meaning::Verdict,
    pub found: Vec<Found>,
}

/// Which oracles judge a run, and how much of it is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checks {
    /// The meaning oracle. Without it the C run's meaning is not evaluated
    /// and the report finds only what lockstep finds.
    pub meaning: bool,
    /// The lockstep oracle too, for a revision with a Rust port; the C run
    /// the meaning oracle judges is the one it compares.
    pub lockstep: bool,
    /// Keep the whole trace, for a report. A search keeps the yield points
    /// alone and formats nothing unless something is found.
    pub record: bool,
}

impl Checks {
    /// Both oracles and the whole trace: what `check`, `run` and `replay`
    /// show.
    pub const REPORT: Checks = Checks {
        meaning: true,
        lockstep: true,
        record: true,
    };
    /// Both oracles, for a search (exploration, minimising, fuzzing).
    pub const SEARCH: Checks = Checks {
        meaning: true,
        lockstep: true,
        record: false,
    };
    /// The meaning oracle alone, for a search.
    pub const MEANING: Checks = Checks {
        meaning: true,
        lockstep: false,
        record: false,
    };
    /// The lockstep oracle alone, for a search (the `lockstep` fuzz
    /// target): neither run evaluates the meaning.
    pub const LOCKSTEP: Checks = Checks {
        meaning: false,
        lockstep: true,
        record: false,
    };
}

/// Runs `scenario` on the C revision `revision` and judges it with the
/// oracles `checks` asks for.
pub fn check(
    scenario: &Scenario,
    revision: Revision,
    checks: Checks,
) -> Result<Report, WorldError> {
    let trace = if checks.record {
        Trace::recording()
    } else {
        Trace::yields_only()
    };
    let outcome = if checks.meaning {
        exec::run(scenario, revision.target(), trace)?
    } else {
        exec::run_unobserved(scenario, revision.target(), trace)?
    };
    let divergence = match (checks.lockstep, revision.port_target()) {
        (true, Some(port)) => lockstep::against(scenario, port, &outcome)?,
        _ => None,
    };
    let mut report = if checks.meaning {
        judge(outcome, revision, scenario.mode)
    } else {
        Report {
            outcome,
            verdict: meaning::Verdict::default(),
            found: Vec::new(),
        }
    };
    report
        .found
        .extend(divergence.map(|f| found(revision, scenario.mode, f)));
    Ok(report)
}

fn judge(outcome: Outcome, revision: Revision, mode: Mode) -> Report {
    let verdict = meaning::check(&outcome);
    let found = verdict
        .findings
        .iter()
        .map(|finding| found(revision, mode, finding.clone()))
        .collect();
    Report {
        outcome,
        verdict,
        found,
    }
}

fn found(revision: Revision, mode: Mode, finding: Finding) -> Found {
    Found {
        revision: revision.name().to_string(),
        mode,
        finding,
    }
}

impl Found {
    /// A reproducer: the scenario in text form, headed by the finding it
    /// reproduces. `futex-diff run FILE --rev REVISION` replays it.
    pub fn reproducer(&self, scenario: &Scenario) -> String {
        let mut scenario = scenario.clone();
        scenario.mode = self.mode;
        format!(
            "# futex-diff reproducer\n# revision: {}\n# mode: {}\n# finding: {}\n# replay: futex-diff run FILE --rev {}\n{}",
            self.revision,
            self.mode,
            self.finding,
            self.revision,
            scenario.to_text()
        )
    }

    /// A file name for the reproducer: revision and class.
    pub fn file_name(&self) -> String {
        format!("{}-{}.scn", self.revision, self.finding.class)
    }
}
