//! Helpers shared by the integration tests: run a scenario text on a
//! revision and read the outcome.
#![allow(dead_code, unused_imports)]

use futex_diff::exec::{self, Outcome};
use futex_diff::finding::FindingClass;
use futex_diff::implementation::CallResult;
use futex_diff::key::{Key, KeyObject};
use futex_diff::revision;
use futex_diff::trace::Trace;
use futex_diff::world::{Counter, InodeId, InodeRef, MmId};

pub const BUNDLED: [&str; 4] = ["v3.12", "rfc-2013", "v4.6", "v4.7"];
/// The bundled revisions of 5.6 on, whose keys name inode sequence numbers.
pub const BUNDLED_5X: [&str; 7] = ["v5.6", "v5.10", "v5.13", "v6.8", "v6.13", "v6.19", "v7.1"];

/// The crate's root, where the fixtures are.
pub fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture of tests/trees/.
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/trees").join(name)).unwrap()
}

/// A tree in the 3.x-5.15 layout: kernel/futex.c holds our v4.6 among
/// unrelated code.
pub fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("kernel")).unwrap();
    std::fs::write(dir.path().join("Makefile"), fixture("Makefile.4.6")).unwrap();
    let v46 = std::fs::read_to_string(root().join("csrc/revisions/v4.6.c")).unwrap();
    let text = fixture("futex-head.c") + &v46 + &fixture("futex-tail.c");
    std::fs::write(dir.path().join("kernel/futex.c"), text).unwrap();
    dir
}

/// Runs the futex-diff binary with `args`.
pub fn futex_diff(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_futex-diff"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs scenario `text` on revision `rev`.
pub fn run(text: &str, rev: &str) -> Outcome {
    let scenario = futex_diff::scenario::parse(text)
        .unwrap_or_else(|e| panic!("scenario does not parse: {e}"));
    let rev = revision::find(rev).expect("bundled revision");
    exec::run(&scenario, rev.target(), Trace::recording()).expect("world builds")
}

/// Runs scenario `text` on revision `rev`, or gives `None` when the
/// revision's era cannot hold its world (a shmem huge page before 4.8).
pub fn run_if_in_era(text: &str, rev: &str) -> Option<Outcome> {
    let scenario = futex_diff::scenario::parse(text)
        .unwrap_or_else(|e| panic!("scenario does not parse: {e}"));
    let rev = revision::find(rev).expect("bundled revision");
    match exec::run(&scenario, rev.target(), Trace::recording()) {
        Err(e) if e.not_in_era() => None,
        outcome => Some(outcome.expect("world builds")),
    }
}

/// The kernel calls the thread made, in order.
pub fn ops(o: &Outcome) -> Vec<futex_diff::op::Op> {
    o.trace
        .entries
        .iter()
        .filter_map(|e| match e {
            futex_diff::trace::Entry::Yield { op, .. } => Some(*op),
            _ => None,
        })
        .collect()
}

/// What call `i` (0-based) returned.
pub fn result(outcome: &Outcome, i: usize) -> CallResult {
    outcome.calls[i].result
}

pub fn returned(code: i32) -> CallResult {
    CallResult::Returned(code)
}

pub use futex_diff::abi::{EFAULT, EINVAL};

/// The key call `i` returned.
pub fn key(outcome: &Outcome, i: usize) -> Key {
    assert_eq!(
        outcome.calls[i].result,
        returned(0),
        "call {i} failed:\n{}",
        outcome.trace.render("?")
    );
    outcome.calls[i].key
}

/// The first inode (or mm) declared is slot 1, the second slot 2, ...
pub fn inode(slot: usize) -> KeyObject {
    KeyObject::Inode(InodeRef {
        slot: InodeId(slot),
        generation: 1,
    })
}

pub fn mm(slot: usize) -> KeyObject {
    KeyObject::Mm(MmId(slot))
}

/// A refcount by name (`inode#1.i_count`, `mm#1.mm_count`, `page#6._count`),
/// before and after; `None` when the object was not live.
pub fn refcount(outcome: &Outcome, name: &str) -> (Option<i64>, Option<i64>) {
    let find = |list: &[(Counter, i64)]| {
        list.iter()
            .find(|(n, _)| n.to_string() == name)
            .map(|(_, v)| *v)
    };
    (find(&outcome.before), find(&outcome.after))
}

/// Every refcount of a live-before object is the same after, except the
/// pages listed as freed.
pub fn assert_refcounts_restored(outcome: &Outcome) {
    for (name, before) in &outcome.before {
        let after = outcome
            .after
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v);
        assert_eq!(
            after,
            Some(*before),
            "{name} changed\n{}",
            outcome.trace.render("?")
        );
    }
}

pub fn classes(outcome: &Outcome) -> Vec<FindingClass> {
    outcome.findings.iter().map(|f| f.class).collect()
}

pub fn assert_clean(outcome: &Outcome) {
    assert!(
        outcome.findings.is_empty() && outcome.harness_error.is_none(),
        "{} noticed {:?} {:?}\n{}",
        outcome.revision,
        outcome.findings,
        outcome.harness_error,
        outcome.trace.render("?")
    );
}

/// The names of the events that ran at least one step, in the trace.
pub fn event_ran(outcome: &Outcome, name: &str) -> bool {
    outcome.trace.entries.iter().any(|e| matches!(e, futex_diff::trace::Entry::Event { name: n, text } if n == name && !text.starts_with("waits") && !text.starts_with("skipped")))
}

/// What event `event` did, its steps' texts one per line.
pub fn event_text(outcome: &Outcome, event: &str) -> String {
    outcome
        .trace
        .entries
        .iter()
        .filter_map(|e| match e {
            futex_diff::trace::Entry::Event { name, text } if name == event => Some(text.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}
