//! The interleaving feedback the `meaning` target gives libFuzzer: the
//! same run gives the same features, and moving an event step from one
//! yield point to another gives features that the first did not have, as
//! does a change of the call's meaning under it.

use std::collections::BTreeSet;

use futex_diff::exec;
use futex_diff::fuzz::feedback;
use futex_diff::revision;
use futex_diff::trace::Trace;

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
fn retries_count_once_per_yield_point() {
    // The counts of a feature carry the retries: one yield point kind
    // reached twice counts twice.
    let f = features(&race(12));
    let distinct: BTreeSet<&u32> = f.iter().collect();
    assert!(f.len() > distinct.len(), "v4.7 reads page->mapping twice");
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

#[test]
fn a_bad_feedback_setting_names_its_variable() {
    std::env::set_var("FUTEX_DIFF_FEEDBACK", "sometimes");
    let error = futex_diff::fuzz::FuzzConfig::from_env().err().unwrap();
    std::env::remove_var("FUTEX_DIFF_FEEDBACK");
    assert!(error.contains("FUTEX_DIFF_FEEDBACK"), "{error}");
}
