//! The meaning oracle's named allowances excuse exactly what their kernel
//! reason covers. `truncated-page-may-fail` excuses an -EFAULT when the page
//! GUP found for the call (or, 6.16 on, the page its `get_user()` read the
//! node word from) left the page cache during the call, and nothing else:
//! not a truncation of another page of the file, nor of an earlier inode
//! that lived in the same slot.

use futex_diff::finding::FindingClass;
use futex_diff::oracle::{self, meaning::Allowance};
use futex_diff::revision::{self, Revision};
use futex_diff::scenario::parse;

/// The test-only defect that fails every file futex, compiled now.
fn spurious_efault() -> Revision {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/revisions/defects/defect-spurious-efault.c");
    revision::load(&path, None).unwrap_or_else(|e| panic!("{e}"))
}

/// A shared file of four cached pages; the call is on page 1.
fn file_with(events: &str) -> String {
    format!(
        "mm A\ninode F file size=4\npage F 0\npage F 1\npage F 2\n\
         vma A 0x10000 0x14000 file F rw shared\ncall A 0x11008 shared write\n{events}"
    )
}

fn verdict(text: &str, rev: Revision) -> (Vec<FindingClass>, Vec<Allowance>) {
    let report = oracle::check(&parse(text).unwrap(), rev, oracle::Checks::REPORT).unwrap();
    (
        report.found.iter().map(|f| f.finding.class).collect(),
        report.verdict.allowed.iter().map(|(_, a)| *a).collect(),
    )
}

#[test]
fn a_hole_punched_in_another_page_during_the_call_excuses_no_error() {
    // The defect fails every file futex; the punch of page 2 at the first
    // yield point touches a page the call never found.
    let (found, allowed) = verdict(
        &file_with("event p punch F from=2 len=1\nat 1 p\n"),
        spurious_efault(),
    );
    assert!(found.contains(&FindingClass::SpuriousError), "{found:?}");
    assert!(allowed.is_empty(), "{allowed:?}");
}

#[test]
fn a_truncation_of_an_earlier_inode_in_the_same_slot_excuses_no_error() {
    // Relaxed, so that the mapped F can lose its last reference: F is
    // evicted (losing its page 0) and freed, and a new file takes its slot,
    // at the call's first yield point; the defect then fails on the new
    // inode, which lost no page.
    let text = "mode relaxed\nmm A\ninode F file size=4\npage F 0\n\
                vma A 0x10000 0x14000 file F rw shared\ncall A 0x11008 shared write\n\
                event i iput F\nevent r reuse F file size=4\nat 1 i\nat 1 r\n";
    let (found, allowed) = verdict(text, spurious_efault());
    assert!(found.contains(&FindingClass::SpuriousError), "{found:?}");
    assert!(allowed.is_empty(), "{allowed:?}");
}

#[test]
fn the_page_the_call_found_truncated_after_gup_excuses_the_error() {
    // v4.7: #4 GUP, #5 compound_head. Punching page 1 out after GUP found
    // it sends 4.7 down the NULL-mapping path to -EFAULT, although the file
    // still has a page 1 to fault in: allowed.
    let v47 = revision::find("v4.7").unwrap();
    let (found, allowed) = verdict(&file_with("event p punch F from=1 len=1\nat 5 p\n"), v47);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(allowed, vec![Allowance::TruncatedPageMayFail]);
}

/// A FUTEX2_NUMA call whose node word starts at FUTEX_NO_NODE, on one page
/// of `F`; at the yield point of the node's write-back (#4), `event` takes
/// the page out of the cache and the mapping becomes read-only.
fn node_write_back_with(mapping: &str, call: &str, event: &str) -> String {
    format!(
        "mm A\ninode F file size=1\nvma A 0x10000 0x11000 file F rw {mapping}\n\
         word A 0x1000c -1\ncall A 0x10008 {call} read numa\n\
         event e1 {event}\nevent e2 mprotect A 0x10000 0x11000 r\nat 4 e1\nat 4 e2\n"
    )
}

#[test]
fn the_node_words_page_gone_before_the_write_back_excuses_the_error() {
    // 6.16 on: get_user() read -1 from the futex's own page; the page is
    // punched or invalidated and the mapping made read-only before
    // put_user(), which faults. The state after reads 0 there (no
    // write-back due), but the page the call read was taken from under it.
    for rev in ["v6.19", "v7.1"] {
        for (mapping, call, event) in [
            ("shared", "shared", "invalidate F"),
            ("shared", "private", "punch F from=0 len=1"),
        ] {
            let text = node_write_back_with(mapping, call, event);
            let (found, allowed) = verdict(&text, revision::find(rev).unwrap());
            assert!(found.is_empty(), "{rev} {call} {event}: {found:?}");
            assert_eq!(
                allowed,
                vec![Allowance::TruncatedPageMayFail],
                "{rev} {event}"
            );
        }
    }
}
