//! Runs nothing judges by meaning skip evaluating it (`exec::run_unobserved`,
//! `Checks::LOCKSTEP`): the run itself is the same, only the observations
//! are left empty, and a lockstep-only check reports lockstep alone.

use futex_diff::exec::{self, Outcome};
use futex_diff::finding::FindingClass;
use futex_diff::oracle::{self, Checks};
use futex_diff::revision;
use futex_diff::scenario::{parse, Scenario};
use futex_diff::trace::Trace;

fn corpus(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name);
    parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Everything of a run but its observations, as lockstep compares it.
fn run_itself(o: &Outcome) -> impl PartialEq + std::fmt::Debug {
    let calls: Vec<_> = o
        .calls
        .iter()
        .map(|c| (c.task, c.result, c.key, c.node, c.put, c.held_after.clone()))
        .collect();
    (
        o.trace.task_yields().collect::<Vec<_>>(),
        calls,
        o.findings.clone(),
        o.after.clone(),
        o.yields,
        o.finished.clone(),
    )
}

#[test]
fn an_unobserved_run_is_the_same_run_without_observations() {
    // Two tasks, events in the window, a finding: every part of a run.
    for (file, rev) in [
        ("found-v4.7-strict-use-after-free-1.scn", "v4.7"),
        ("found-v3.12-strict-refcount-leak-1.scn", "v3.12"),
        ("found-v4.6-strict-key-collision-1.scn", "v4.6"),
    ] {
        let scenario = corpus(file);
        let rev = revision::find(rev).unwrap();
        for target in [Some(rev.target()), rev.port_target()]
            .into_iter()
            .flatten()
        {
            let observed = exec::run(&scenario, target, Trace::yields_only()).unwrap();
            let unobserved = exec::run_unobserved(&scenario, target, Trace::yields_only()).unwrap();
            assert_eq!(
                run_itself(&observed),
                run_itself(&unobserved),
                "{file} on {}",
                target.name
            );
            assert!(
                observed
                    .calls
                    .iter()
                    .all(|c| !c.observation.expected.is_empty()),
                "{file}: an observed call saw states"
            );
            assert!(
                unobserved
                    .calls
                    .iter()
                    .all(|c| c.observation.expected.is_empty()),
                "{file}: an unobserved call has no observation"
            );
        }
    }
}

#[test]
fn a_lockstep_check_reports_only_lockstep() {
    let scenario = corpus("found-v4.7-strict-use-after-free-1.scn");
    let v47 = revision::find("v4.7").unwrap();
    let search = oracle::check(&scenario, v47, Checks::SEARCH).unwrap();
    assert!(
        search
            .found
            .iter()
            .any(|f| f.finding.class == FindingClass::UseAfterFree),
        "the meaning oracle finds the use-after-free: {:?}",
        search.found
    );
    let lockstep = oracle::check(&scenario, v47, Checks::LOCKSTEP).unwrap();
    assert!(lockstep.found.is_empty(), "{:?}", lockstep.found);
    assert!(lockstep.verdict.findings.is_empty());
}

#[test]
fn a_lockstep_check_still_finds_a_divergence() {
    // v4.7's C against v4.6's port: they part on hugetlbfs sub-pages.
    let scenario = corpus("found-v4.6-strict-key-collision-1.scn");
    let v46 = revision::find("v4.6").unwrap();
    let v47 = revision::find("v4.7").unwrap();
    let finding =
        futex_diff::oracle::lockstep::compare(&scenario, v47.target(), v46.port_target().unwrap())
            .unwrap();
    assert!(
        finding.is_some_and(|f| f.class == FindingClass::LockstepDivergence),
        "the runs part"
    );
}
