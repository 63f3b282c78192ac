//! PCT-style randomised schedules for the rest of the time budget:
//! Burckhardt, Kothari, Musuvathi and Nagarakatte, "A Randomized Scheduler
//! with Probabilistic Guarantees of Finding Bugs" (ASPLOS 2010). PCT gives
//! the threads random priorities and lowers the running one at d - 1 random
//! change points, finding a bug of depth d with probability at least
//! 1/(n k^(d-1)). Here the futex thread runs until a change point, where the
//! event chosen next runs a random number of steps; the change points are
//! drawn over the execution's yield points.

use crate::scenario::Scenario;
use crate::schedule::{Scheduled, Steps};

/// A small deterministic generator (xorshift64*), so a run is replayable
/// from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// A schedule of depth `depth`: `depth - 1` change points over `horizon`
/// yield points, each handing the CPU to an event in a random priority
/// order for one step, a few, or all of them.
pub fn schedule(base: &Scenario, rng: &mut Rng, depth: u32, horizon: u32) -> Vec<Scheduled> {
    let events = base.events.len() as u64;
    if events == 0 {
        return Vec::new();
    }
    // A random priority order of the events: the first not yet done runs.
    let mut order: Vec<usize> = (0..events as usize).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut points: Vec<u32> = (0..depth.saturating_sub(1).max(1))
        .map(|_| 1 + rng.below(u64::from(horizon)) as u32)
        .collect();
    points.sort_unstable();
    points
        .into_iter()
        .enumerate()
        .map(|(i, at)| {
            let steps = match rng.below(3) {
                0 => Steps::All,
                1 => Steps::Count(1),
                _ => Steps::Count(1 + rng.below(4) as u32),
            };
            Scheduled::at(at, order[i % order.len()], steps)
        })
        .collect()
}
