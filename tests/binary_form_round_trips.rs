//! The binary form: every byte string decodes to a scenario that builds
//! and survives both round trips (binary and text); every readable corpus
//! scenario encodes to bytes that decode back to exactly it.

use futex_diff::corpus::BUILT_IN;
use futex_diff::scenario::binary::{decode, encode};
use futex_diff::scenario::parse;
use futex_diff::world::Era;

/// xorshift64*: deterministic, so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn every_corpus_scenario_round_trips_through_its_bytes() {
    for (name, text) in BUILT_IN {
        let scenario = parse(text).unwrap();
        let bytes = encode(&scenario).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decode(&bytes), scenario, "{name}");
    }
}

#[test]
fn any_bytes_decode_to_a_scenario_that_builds_and_round_trips() {
    let runs: u64 = std::env::var("FUTEX_DIFF_RANDOM_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for run in 0..runs {
        let len = (rng.next() % 200) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Bias some inputs towards small tags and numbers, as mutations of
        // real seeds are.
        if run % 2 == 0 {
            for b in &mut bytes {
                *b %= 12;
            }
        }
        let scenario = decode(&bytes);
        assert!(!scenario.calls.is_empty(), "{bytes:?}");
        futex_diff::exec::build(&scenario, Era::NEWEST)
            .map(|_| ())
            .unwrap_or_else(|e| panic!("{bytes:?} decodes to a world that does not build: {e}"));
        let again = encode(&scenario).unwrap_or_else(|e| panic!("{bytes:?}: {e}"));
        assert_eq!(decode(&again), scenario, "{bytes:?}");
        assert_eq!(parse(&scenario.to_text()).unwrap(), scenario, "{bytes:?}");
    }
}

#[test]
fn small_inputs_give_small_scenarios() {
    assert_eq!(
        decode(&[]).calls.len(),
        1,
        "the empty input is one private call"
    );
    let mut rng = Rng(7);
    for _ in 0..2000 {
        let len = (rng.next() % 16) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let s = decode(&bytes);
        let size = s.world.len() + s.calls.len() + s.events.len() + s.schedule.len();
        assert!(size <= len + 2, "{len} bytes gave {size} statements");
    }
}

#[test]
fn call_addresses_are_relative_to_the_mappings_of_their_mm() {
    // Header; a 4-page anonymous vma at page 16 of an mm declared for it;
    // then calls at steps 1 and 4 into it, and one absolute (0xff).
    let vma = [3, 0, 16, 3, 0, 0, 0, 0];
    let call = |selector: u8, step: u8| [6, 0, selector, step, 1];
    let bytes: Vec<u8> = [0]
        .into_iter()
        .chain(vma)
        .chain(call(0, 1))
        .chain(call(0, 4))
        .chain(call(0xff, 0x44))
        .collect();
    let scenario = decode(&bytes);
    assert_eq!(scenario.mm_names.len(), 1, "the vma declared its mm");
    let addrs: Vec<u64> = scenario.calls.iter().map(|c| c.addr).collect();
    // Step 1 is the first word of the second page; step 4 wraps round the
    // four pages to the second word of the first.
    assert_eq!(addrs, [0x11000, 0x10004, 0x44]);
    assert_eq!(decode(&encode(&scenario).unwrap()), scenario);
}
