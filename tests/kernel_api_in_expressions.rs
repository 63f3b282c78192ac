//! The fake kernel's functions are functions, as the kernel's are: a
//! revision may call them inside any expression, through a pointer or by
//! address, and every argument is evaluated once. Test-only revisions that
//! do all of that (tests/revisions/expressions/) compile as they stand and
//! run in lockstep with the port of the revision they restate.

use std::path::Path;

use futex_diff::exec;
use futex_diff::op::Op;
use futex_diff::oracle::lockstep;
use futex_diff::revision::{self, Revision};
use futex_diff::scenario::parse;
use futex_diff::trace::Trace;

fn load(name: &str) -> Revision {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/revisions/expressions")
        .join(format!("{name}.c"));
    revision::load(&path, None).unwrap_or_else(|e| panic!("{e}"))
}

/// `restated` runs every built-in scenario, in both modes, exactly as the
/// port of `bundled` does.
fn in_lockstep_on_the_corpus(restated: &str, bundled: &str) {
    let restated = load(restated);
    let port = revision::find(bundled).unwrap().port_target().unwrap();
    lockstep::on_the_corpus(restated.target(), port).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn v4_7_written_with_apis_in_expressions_and_pointers_runs_as_v4_7() {
    in_lockstep_on_the_corpus("v4.7-in-expressions", "v4.7");
}

#[test]
fn v3_12_written_with_apis_in_expressions_and_pointers_runs_as_v3_12() {
    in_lockstep_on_the_corpus("v3.12-in-expressions", "v3.12");
}

#[test]
fn a_marked_read_evaluates_its_argument_once() {
    let rev = load("read-once-of-a-call");
    let scenario = parse(
        "mm A\ninode F file size=1\npage F 0\nvma A 0x10000 0x11000 file F rw shared\n\
         call A 0x10000 shared write\n",
    )
    .unwrap();
    let outcome = exec::run(&scenario, rev.target(), Trace::recording()).unwrap();
    let ops: Vec<Op> = outcome.trace.yields().map(|(op, _)| op).collect();
    assert_eq!(
        ops,
        [
            Op::GetUserPagesFast,
            Op::CompoundHead,
            Op::ReadOnce,
            Op::CompoundHead,
            Op::ReadOnce,
            Op::PutPage
        ],
        "{}",
        outcome.trace.render("read-once-of-a-call.c")
    );
}

#[test]
fn hugetlb_basepage_index_is_the_hugetlbfs_branch_of_page_to_pgoff() {
    // v5.13 with its index taken by hugetlb_basepage_index(), as
    // page_to_pgoff() does for a hugetlbfs page: the same keys there.
    let v513 = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("csrc/revisions/v5.13.c"),
    )
    .unwrap();
    let call = "key->shared.pgoff = page_to_pgoff(tail);";
    assert!(v513.contains(call));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hugetlb-index.c");
    std::fs::write(
        &path,
        v513.replace(call, "key->shared.pgoff = hugetlb_basepage_index(tail);"),
    )
    .unwrap();
    let restated = revision::load(&path, None).unwrap_or_else(|e| panic!("{e}"));
    let text = built_in_text("map-hugetlbfs-sub-pages");
    let scenario = parse(text).unwrap();
    let keys = |rev: Revision| -> Vec<String> {
        exec::run(&scenario, rev.target(), Trace::yields_only())
            .unwrap()
            .calls
            .iter()
            .map(|c| format!("{:?} {:?}", c.result, c.key))
            .collect()
    };
    let bundled = keys(revision::find("v5.13").unwrap());
    assert_eq!(bundled.len(), 3);
    assert_eq!(keys(restated), bundled);
}

fn built_in_text(name: &str) -> &'static str {
    futex_diff::corpus::BUILT_IN
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap()
        .1
}
