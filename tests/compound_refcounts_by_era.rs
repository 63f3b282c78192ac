//! References on a THP are counted as each era counts them: in 3.x a
//! reference taken through a tail page is also a tail pin that a split hands
//! to that tail; from 4.5 it counts on the head alone, with no per-tail
//! record, so taking it through a tail and dropping it through the head is
//! balanced, and a later split of the unpinned THP is legal.

mod common;

use common::*;
use futex_diff::finding::FindingClass;
use futex_diff::oracle;
use futex_diff::revision;
use futex_diff::scenario::parse;

/// A 4.6/4.7 call looks up a tail page (and drops its reference through
/// the head); the THP is split between two later calls. Found by scenarios
/// written from independent test suites: no race, and no finding is due.
const SPLIT_BETWEEN_CALLS: &str = "
mm A
vma A 0x7f0000000 0x7f0004000 anon thp rw private
anon A 0x7f0000000 thp
event s split A 0x7f0000000
call A 0x7f0001000 shared read
call A 0x7f0000000 shared read
call A 0x7f0000000 shared read
at 11 s
";

#[test]
fn a_split_between_calls_after_a_tail_lookup_is_clean_on_every_revision() {
    let scenario = parse(SPLIT_BETWEEN_CALLS).unwrap();
    for rev in BUNDLED {
        let report = oracle::check(
            &scenario,
            revision::find(rev).unwrap(),
            oracle::Checks::REPORT,
        )
        .unwrap();
        assert!(
            report.found.is_empty(),
            "{rev}: {:?}\n{}",
            report.found,
            report.outcome.trace.render("?")
        );
        assert!(event_ran(&report.outcome, "s"), "{rev}: the split ran");
    }
}

#[test]
fn after_the_split_every_sub_page_holds_exactly_its_mapping() {
    // head page#6, tails page#7..9: each now mapped once, referenced once.
    for rev in ["v4.6", "v4.7"] {
        let o = run(SPLIT_BETWEEN_CALLS, rev);
        for page in ["page#6", "page#7", "page#8", "page#9"] {
            let name = format!("{page}._count");
            assert_eq!(refcount(&o, &name).1, Some(1), "{rev} {name}");
        }
        assert_clean(&o);
    }
}

/// A THP whose tail 0x56000 the call looks up; `at` places a relaxed split.
fn relaxed_split_at(at: u32) -> String {
    format!(
        "mode relaxed\nmm A\nvma A 0x50000 0x58000 anon thp rw private\n\
         call A 0x56ff0 shared write\nevent s split A 0x54000\nat {at} s\n"
    )
}

#[test]
fn a_relaxed_split_after_compound_head_leaves_the_pin_on_the_head_that_4_x_drops() {
    // #5 compound_head, #6 READ_ONCE(page->mapping): the split runs after
    // the head was found. From 4.5 the GUP reference is counted on that
    // head whatever page it came through, and put_page(head) drops it.
    for rev in ["v4.6", "v4.7"] {
        let o = run(&relaxed_split_at(6), rev);
        assert!(event_ran(&o, "s"), "{rev}: the split ran");
        assert_clean(&o);
        let report = oracle::check(
            &parse(&relaxed_split_at(6)).unwrap(),
            revision::find(rev).unwrap(),
            oracle::Checks::REPORT,
        )
        .unwrap();
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
    }
}

#[test]
fn a_relaxed_split_before_compound_head_sends_the_reference_back_to_the_wrong_page() {
    // #5 is compound_head(): split first, the tail is its own head, and the
    // put drops a reference the tail never had while the old head keeps
    // the GUP pin. Not a kernel bug: 4.5+ refuses to split a pinned THP.
    for rev in ["v4.6", "v4.7"] {
        let scenario = parse(&relaxed_split_at(5)).unwrap();
        let report = oracle::check(
            &scenario,
            revision::find(rev).unwrap(),
            oracle::Checks::REPORT,
        )
        .unwrap();
        let found: Vec<FindingClass> = report.found.iter().map(|f| f.finding.class).collect();
        assert!(
            found.contains(&FindingClass::RefcountLeak),
            "{rev}: {found:?}"
        );
        assert!(
            found.contains(&FindingClass::RefcountUnderflow),
            "{rev}: {found:?}"
        );
        // The same schedule in strict mode: the split is refused.
        let strict = parse(&relaxed_split_at(5).replace("mode relaxed\n", "")).unwrap();
        let report = oracle::check(
            &strict,
            revision::find(rev).unwrap(),
            oracle::Checks::REPORT,
        )
        .unwrap();
        assert!(report.found.is_empty(), "{rev} strict: {:?}", report.found);
    }
}

#[test]
fn in_3_x_a_split_hands_a_tail_pin_to_its_tail() {
    // era 3 world, relaxed so that the split goes ahead while 3.12 holds
    // the tail it looked up with irqs on (#2 PageTail): the pin moves to
    // the tail, where 3.12's put_page(tail) finds it.
    let text = "mode relaxed\nera 3\nmm A\nvma A 0x50000 0x58000 anon thp rw private\n\
                call A 0x56ff0 shared write\nevent s split A 0x54000\nat 2 s\n";
    let o = run(text, "v3.12");
    assert!(event_ran(&o, "s"), "the split ran");
    assert_clean(&o);
    for page in ["page#6", "page#7", "page#8", "page#9"] {
        let name = format!("{page}._count");
        assert_eq!(refcount(&o, &name).1, Some(1), "{name}");
    }
}
