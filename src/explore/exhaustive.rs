//! Every interleaving up to a preemption bound: every way to place at most
//! `bound` event runs (an event, at a yield point, for one step or all its
//! steps) into a family's execution. Most concurrency bugs need at most two
//! or three preemptions (Musuvathi and Qadeer, "Iterative context bounding
//! for systematic testing of multithreaded programs", PLDI 2007), which is
//! the default the CHESS and loom tools use too.

use crate::exec;
use crate::revision::Revision;
use crate::scenario::Scenario;
use crate::schedule::{Scheduled, Steps};
use crate::trace::Trace;
use crate::world::WorldError;

/// How many yield points past the event-free run a schedule may name:
/// events make the thread retry, which adds yield points.
const EXTRA_YIELDS: u32 = 12;

/// The yield points a family's calls pass when nothing interferes, plus
/// room for retries; `Err` when its world does not build.
pub fn horizon(base: &Scenario, revision: Revision) -> Result<u32, WorldError> {
    let quiet = exec::run(base, revision.target(), Trace::yields_only())?.yields;
    Ok(quiet.min(200) + EXTRA_YIELDS)
}

/// Every single placement: (yield point, event, one step or all).
pub fn placements(events: usize, horizon: u32) -> Vec<Scheduled> {
    let mut out = Vec::new();
    for at in 1..=horizon {
        for event in 0..events {
            for steps in [Steps::All, Steps::Count(1)] {
                out.push(Scheduled::at(at, event, steps));
            }
        }
    }
    out
}

/// Every schedule of at most `bound` placements, in non-decreasing yield
/// order (the order the scheduler runs them in anyway), calling `visit` on
/// each, the empty schedule first.
pub fn for_each_schedule(
    events: usize,
    horizon: u32,
    bound: usize,
    mut visit: impl FnMut(&[Scheduled]),
) {
    let all = placements(events, horizon);
    let mut stack: Vec<Scheduled> = Vec::new();
    fn go(
        all: &[Scheduled],
        from: usize,
        bound: usize,
        stack: &mut Vec<Scheduled>,
        visit: &mut dyn FnMut(&[Scheduled]),
    ) {
        visit(stack);
        if stack.len() == bound {
            return;
        }
        for i in from..all.len() {
            stack.push(all[i].clone());
            go(all, i + 1, bound, stack, visit);
            stack.pop();
        }
    }
    if events == 0 {
        visit(&stack);
        return;
    }
    go(&all, 0, bound, &mut stack, &mut visit);
}

/// How many schedules `for_each_schedule` visits.
pub fn count(events: usize, horizon: u32, bound: usize) -> u64 {
    if events == 0 {
        return 1;
    }
    let n = (horizon as u64) * (events as u64) * 2;
    // Sum of C(n, k) for k = 0..=bound.
    let mut total = 0u64;
    let mut c = 1u64;
    for k in 0..=bound as u64 {
        total = total.saturating_add(c);
        c = c.saturating_mul(n.saturating_sub(k)) / (k + 1);
    }
    total
}
