//! The interleaving feedback the `meaning` target gives libFuzzer: the
//! same run gives the same features, and moving an event step from one
//! yield point to another gives features that the first did not have, as
//! does a change of the call's meaning under it.

use std::collections::BTreeSet;

use futex_diff::exec;
use futex_diff::fuzz::feedback;
use futex_diff::revision;
use futex_diff::trace::{Arg, Trace};

/// The umount race of v4.7: the file is unmapped, then unmounted while the
/// call holds its inode.
fn race(umount_at: u32) -> String {
    format!(
        "mm A\ninode F file size=1\nvma A 0x10000 0x11000 file F rw shared\n\
         call A 0x10008 shared write\nevent m munmap A 0x10000 0x11000\nevent u umount F\n\
         at 5 m\nat {umount_at} u\n"
    )
}

fn features(text: &str) -> Vec<u32> {
    let scenario = futex_diff::scenario::parse(text).unwrap();
    let rev = revision::find("v4.7").unwrap();
    let outcome = exec::run(&scenario, rev.target(), Trace::yields_only()).unwrap();
    let mut features = Vec::new();
    feedback::features(&scenario, &outcome, |f| features.push(f));
    features
}

#[test]
fn the_same_run_gives_the_same_features() {
    assert_eq!(features(&race(12)), features(&race(12)));
}

#[test]
fn an_event_step_at_another_kind_of_yield_point_is_a_new_feature() {
    let early: BTreeSet<u32> = features(&race(6)).into_iter().collect();
    let late: BTreeSet<u32> = features(&race(12)).into_iter().collect();
    assert!(
        !late.is_subset(&early),
        "umount inside the window shows something new"
    );
    assert!(!early.is_subset(&late));
}

#[test]
fn a_yield_point_counts_once_each_time_it_is_reached() {
    // v4.7 reads page->mapping twice: before and inside its RCU section.
    let scenario = futex_diff::scenario::parse(&race(12)).unwrap();
    let rev = revision::find("v4.7").unwrap();
    let outcome = exec::run(&scenario, rev.target(), Trace::yields_only()).unwrap();
    let mapping_reads: Vec<u32> = outcome
        .trace
        .task_yields()
        .filter(|(_, _, arg)| matches!(arg, Arg::Read { expr, .. } if *expr == "page->mapping"))
        .map(|(task, op, arg)| feedback::yield_point_feature(task, op, arg))
        .collect();
    assert_eq!(mapping_reads.len(), 2, "two reads of page->mapping");
    assert_eq!(
        mapping_reads[0], mapping_reads[1],
        "one kind of yield point"
    );
    let mut features = Vec::new();
    feedback::features(&scenario, &outcome, |f| features.push(f));
    let counted = features.iter().filter(|&&f| f == mapping_reads[0]).count();
    assert_eq!(counted, 2, "counted once per read");
}

#[test]
fn a_change_of_meaning_under_the_call_is_a_feature() {
    // munmap at the first yield point: the call sees its mapping go, and
    // the meaning turn from a key to -EFAULT, before GUP.
    let quiet = "mm A\ninode F file size=1\nvma A 0x10000 0x11000 file F rw shared\n\
                 call A 0x10008 shared write\n";
    let unmapped = format!("{quiet}event m munmap A 0x10000 0x11000\nat 1 m\n");
    let quiet: BTreeSet<u32> = features(quiet).into_iter().collect();
    let unmapped: BTreeSet<u32> = features(&unmapped).into_iter().collect();
    assert!(
        unmapped.difference(&quiet).count() >= 2,
        "the step and the change"
    );
}
