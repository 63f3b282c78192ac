//! The oracles: each judges executions of a scenario and reports findings.
//!
//! - [`meaning`]: any revision against the function's meaning (the
//!   reference semantics of `crate::reference`), linearised over the
//!   states a call saw, plus references, locks and key identities;
//! - [`lockstep`]: a C revision against its Rust port, step by step.
//!
//! [`check`] runs both on one revision and says which mode each finding
//! needs: the scenario's own.

pub mod explain;
pub mod lockstep;
pub mod meaning;

use std::fmt;

use crate::exec::{self, Outcome};
use crate::finding::Finding;
use crate::revision::Revision;
use crate::scenario::Scenario;
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

/// Runs the meaning oracle on the C revision and, for a revision with a
/// Rust port, the lockstep oracle; the report keeps the whole trace.
pub fn check(scenario: &Scenario, revision: Revision) -> Result<Report, WorldError> {
    let mut report = check_meaning(scenario, revision)?;
    let divergence = lockstep::against_port(scenario, revision, &report.outcome)?;
    report
        .found
        .extend(divergence.map(|f| found(revision, scenario.mode, f)));
    Ok(report)
}

/// The meaning oracle alone, on the C revision, with the whole trace.
pub fn check_meaning(scenario: &Scenario, revision: Revision) -> Result<Report, WorldError> {
    Ok(judge(
        exec::run(scenario, revision)?,
        revision,
        scenario.mode,
    ))
}

/// What [`check`] finds, for a search: the executions keep no trace
/// beyond their yield points, so nothing is formatted unless found, and
/// the C run the meaning oracle judges is the one lockstep compares.
pub fn search(scenario: &Scenario, revision: Revision) -> Result<Vec<Found>, WorldError> {
    let outcome = exec::run_quietly(scenario, revision)?;
    let divergence = lockstep::against_port(scenario, revision, &outcome)?;
    let mut found = judge(outcome, revision, scenario.mode).found;
    found.extend(divergence.map(|f| self::found(revision, scenario.mode, f)));
    Ok(found)
}

/// What [`check_meaning`] finds, for a search.
pub fn search_meaning(scenario: &Scenario, revision: Revision) -> Result<Vec<Found>, WorldError> {
    let outcome = exec::run_quietly(scenario, revision)?;
    Ok(judge(outcome, revision, scenario.mode).found)
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
