//! Structure-aware mutations for the `meaning` target, beside libFuzzer's
//! byte mutations: the fuzzer knows what a scenario is.
//!
//! Byte mutations of the binary form find a race only when they put
//! together a world, a call, the right events over its objects and their
//! placements at the right yield points, statement by statement; most of
//! what they make is one of those without the others. Two mutations of
//! whole scenarios cut that short:
//! - **draw** a scenario from the space `prove` enumerates (one mm, one
//!   mapping of any kind in any starting state, calls on its words,
//!   events of every kind over its objects; [`Space::sample`]), with its
//!   events placed at yield points its run passes;
//! - **re-place** the events of the input's scenario: each at a yield point
//!   its run passes, one step or all, or left to run when the tasks are
//!   done.
//!
//! Both write the binary form ([`encode`]), so libFuzzer's byte
//! mutations, its dictionary and the interleaving feedback
//! ([`super::feedback`]) go on from there. Everything is drawn from the
//! seed libFuzzer gives, so a run is repeatable.

use std::sync::Mutex;

use crate::exec;
use crate::prove::enumerate::Space;
use crate::prove::Scope;
use crate::revision::Revision;
use crate::scenario::binary::{decode, encode};
use crate::scenario::Scenario;
use crate::schedule::{Scheduled, Steps};
use crate::trace::Trace;

/// How the input is to be mutated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// A scenario drawn from the space, its events placed.
    Draw,
    /// The input's scenario with its events placed anew.
    Replace,
    /// libFuzzer's own byte mutations.
    Bytes,
}

/// The scope the fuzzer draws from: `prove`'s default, with room for a
/// third event (v3.12's reference underflow needs three) and relaxed mode.
pub fn scope() -> Scope {
    Scope {
        events: 3,
        size: 4,
        relaxed: true,
        ..Scope::default()
    }
}

/// A small, fast generator, seeded by libFuzzer.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u32) -> Rng {
        Rng(u64::from(seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// A number under `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        if n == 0 {
            0
        } else {
            ((x >> 32) as usize) % n
        }
    }
}

/// Which mutation the seed asks for: one in eight draws, two in eight
/// re-place, the rest are libFuzzer's.
pub fn choose(rng: &mut Rng) -> Mutation {
    match rng.below(8) {
        0 => Mutation::Draw,
        1 | 2 => Mutation::Replace,
        _ => Mutation::Bytes,
    }
}

/// The scenario space of `revision`, built once per process and revision
/// (a fuzzing process judges one revision; the tests, several).
fn space(revision: Revision) -> &'static Space {
    static SPACES: Mutex<Vec<(&'static str, &'static Space)>> = Mutex::new(Vec::new());
    let mut spaces = SPACES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, space)) = spaces.iter().find(|(name, _)| *name == revision.name()) {
        return space;
    }
    let space: &'static Space = Box::leak(Box::new(Space::new(&scope(), revision)));
    spaces.push((revision.name(), space));
    space
}

/// Mutates `data` as `mutation` says, for `revision`: the new input, or
/// `None` for libFuzzer's byte mutations (asked for, or no scenario to
/// work on).
pub fn mutate(
    data: &[u8],
    mutation: Mutation,
    revision: Revision,
    rng: &mut Rng,
) -> Option<Vec<u8>> {
    let scenario = match mutation {
        Mutation::Bytes => return None,
        Mutation::Draw => space(revision).sample(&mut |n| rng.below(n))?,
        // Without events there is nothing to re-place: the bytes then.
        Mutation::Replace => Some(decode(data)).filter(|s| !s.events.is_empty())?,
    };
    let placed = place(scenario, revision, rng)?;
    encode(&placed).ok()
}

/// `scenario` with each of its events placed anew: at a yield point its
/// run (without the events) passes, or at none, so that it runs when the
/// tasks are done; one step, a few, or all. `None` when it does not build.
fn place(mut scenario: Scenario, revision: Revision, rng: &mut Rng) -> Option<Scenario> {
    let events = scenario.events.len();
    scenario.schedule.clear();
    if events == 0 {
        return Some(scenario);
    }
    let quiet = exec::run_unobserved(&scenario, revision.target(), Trace::yields_only()).ok()?;
    let yields = quiet.yields.max(1) as usize;
    for event in 0..events {
        // One in six events is left to run when the tasks are done.
        if rng.below(6) == 0 {
            continue;
        }
        let at = 1 + rng.below(yields);
        let steps = match rng.below(4) {
            0 => Steps::Count(1),
            1 => Steps::Count(2 + rng.below(3) as u32),
            _ => Steps::All,
        };
        scenario
            .schedule
            .push(Scheduled::at(at as u32, event, steps));
    }
    Some(scenario)
}
