//! The `meaning` target's structure-aware mutations: a drawn scenario
//! stays within the fuzzing scope, with its events placed at yield points
//! its run passes; a re-placed one keeps its world, calls and events; both
//! decode back from the bytes they write, and a seed gives the same bytes
//! every time.

use futex_diff::exec;
use futex_diff::fuzz::mutate::{self, Mutation, Rng};
use futex_diff::revision;
use futex_diff::scenario::binary::decode;
use futex_diff::schedule::Placement;
use futex_diff::trace::Trace;

fn mutated(data: &[u8], mutation: Mutation, rev: &str, seed: u32) -> Option<Vec<u8>> {
    let rev = revision::find(rev).unwrap();
    mutate::mutate(data, mutation, rev, &mut Rng::new(seed))
}

#[test]
fn drawn_scenarios_stay_within_the_scope_and_run() {
    let rev = revision::find("v4.7").unwrap();
    let scope = mutate::scope();
    let mut drawn = 0;
    let mut placed = 0;
    for seed in 0..300 {
        let Some(bytes) = mutated(&[], Mutation::Draw, "v4.7", seed) else {
            continue;
        };
        drawn += 1;
        let scenario = decode(&bytes);
        assert_eq!(scenario.mm_names.len(), 1, "one mm");
        assert!(scenario.calls.len() <= scope.calls);
        let tasks = usize::from(scenario.events.iter().any(|e| e.kind.is_task()));
        assert!(scenario.events.len() - tasks <= scope.events);
        assert!(scenario.calls.len() + scenario.events.len() <= scope.size);
        let quiet = {
            let mut s = scenario.clone();
            s.schedule.clear();
            exec::run(&s, rev.target(), Trace::yields_only()).unwrap()
        };
        for entry in &scenario.schedule {
            let Placement::Yield(at) = entry.placement else {
                panic!("placements are by yield point");
            };
            assert!(
                at >= 1 && at <= quiet.yields.max(1),
                "at {at} of {}",
                quiet.yields
            );
            placed += 1;
        }
        let outcome = exec::run(&scenario, rev.target(), Trace::yields_only()).unwrap();
        assert!(
            outcome.harness_error.is_none(),
            "{:?}",
            outcome.harness_error
        );
    }
    assert!(drawn > 250, "most draws give a scenario: {drawn}");
    assert!(placed > drawn / 2, "events are placed: {placed}");
}

#[test]
fn a_seed_gives_the_same_mutation() {
    for seed in [1, 2, 99] {
        assert_eq!(
            mutated(&[], Mutation::Draw, "v6.19", seed),
            mutated(&[], Mutation::Draw, "v6.19", seed)
        );
    }
    let a = mutated(&[], Mutation::Draw, "v6.19", 1);
    let b = mutated(&[], Mutation::Draw, "v6.19", 2);
    assert_ne!(a, b);
}

#[test]
fn re_placing_keeps_the_world_calls_and_events() {
    let text = "mm A\ninode F file size=1\nvma A 0x10000 0x11000 file F rw shared\n\
                call A 0x10008 shared write\nevent m munmap A 0x10000 0x11000\nevent u umount F\n\
                at 5 m\nat 12 u\n";
    let scenario = futex_diff::scenario::parse(text).unwrap();
    let bytes = futex_diff::scenario::binary::encode(&scenario).unwrap();
    let mut schedules = std::collections::BTreeSet::new();
    for seed in 0..50 {
        let out = decode(&mutated(&bytes, Mutation::Replace, "v4.7", seed).unwrap());
        assert_eq!(out.world, scenario.world);
        assert_eq!(out.calls, scenario.calls);
        assert_eq!(out.events, scenario.events);
        schedules.insert(format!("{:?}", out.schedule));
    }
    assert!(schedules.len() > 20, "placements vary: {}", schedules.len());
}

#[test]
fn a_scenario_without_events_is_left_to_byte_mutations() {
    let scenario = futex_diff::scenario::parse(
        "mm A\nvma A 0x10000 0x11000 anon rw private\ncall A 0x10008 private write\n",
    )
    .unwrap();
    let bytes = futex_diff::scenario::binary::encode(&scenario).unwrap();
    assert_eq!(mutated(&bytes, Mutation::Replace, "v4.7", 1), None);
}

#[test]
fn byte_mutations_are_libfuzzers() {
    assert_eq!(mutated(b"abc", Mutation::Bytes, "v4.7", 1), None);
}
