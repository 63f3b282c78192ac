//! Every interleaving up to a preemption bound: every way to place at most
//! `bound` event runs (an event, at a yield point, for one step or all its
//! steps) into a family's execution. Most concurrency bugs need at most two
//! or three preemptions (Musuvathi and Qadeer, "Iterative context bounding
//! for systematic testing of multithreaded programs", PLDI 2007), which is
//! the default the CHESS and loom tools use too.
//!
//! [`for_each_reduced`] visits one schedule of each class of schedules that
//! must run alike, judged by what the run of their common prefix showed:
//!
//! - a placement past the last yield point the run passed never fires at a
//!   yield point; its event runs when the events are drained, where only
//!   the event and its steps count, not the yield point named;
//! - a placement of an event that finished at an earlier yield point asks
//!   nothing of it: the schedule runs as it does without the placement;
//! - all steps of an event at a yield point are one step there when one
//!   step finished it in that yield point's turn (the steps placed there,
//!   before the task goes on): the two schedules, and their extensions,
//!   run alike.
//!
//! The rules follow from the scheduler's determinism (a schedule and its
//! prefix run alike up to the first yield point where they differ), not
//! from a model of what reads and writes what, so they hold for the C
//! revision as it stands.

use std::collections::HashSet;

use crate::exec;
use crate::revision::Revision;
use crate::scenario::Scenario;
use crate::sched::Finish;
use crate::schedule::{Scheduled, Steps};
use crate::trace::Trace;
use crate::world::WorldError;

/// How many yield points past the event-free run a schedule may name:
/// events make the thread retry, which adds yield points.
const EXTRA_YIELDS: u32 = 12;

/// The yield points a family's calls pass when nothing interferes, plus
/// room for retries; `Err` when its world does not build.
pub fn horizon(base: &Scenario, revision: Revision) -> Result<u32, WorldError> {
    let quiet = exec::run_unobserved(base, revision.target(), Trace::yields_only())?.yields;
    Ok(quiet.min(200) + EXTRA_YIELDS)
}

/// Every single placement: (yield point, event, one step or all).
pub fn placements(events: usize, horizon: u32) -> Vec<Scheduled> {
    let mut out = Vec::new();
    for at in 1..=horizon {
        for event in 0..events {
            // One step first: when it finishes the event, all steps are
            // the same schedule (see `for_each_reduced`).
            for steps in [Steps::Count(1), Steps::All] {
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

/// What the run of a schedule tells about the schedules that extend it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// The yield points the run passed (both tasks' together).
    pub yields: u32,
    /// For each event, when it finished while the tasks ran (`None`:
    /// later, or never).
    pub finished: Vec<Option<Finish>>,
}

impl Reach {
    /// What the run of `outcome` showed, taken from it.
    pub fn take(outcome: &mut crate::exec::Outcome) -> Reach {
        Reach {
            yields: outcome.yields,
            finished: std::mem::take(&mut outcome.finished),
        }
    }

    /// What the run of one scenario on two revisions tells: placements
    /// past either run's end, or of events finished in both, are alike;
    /// an event finished in turn only if in the same turn in both.
    pub fn both(a: Reach, b: Reach) -> Reach {
        let finished = a
            .finished
            .iter()
            .zip(&b.finished)
            .map(|(x, y)| {
                x.zip(*y).map(|(x, y)| Finish {
                    at: x.at.max(y.at),
                    in_turn: x.in_turn && x == y,
                })
            })
            .collect();
        Reach {
            yields: a.yields.max(b.yields),
            finished,
        }
    }

    fn finish(&self, event: usize) -> Option<Finish> {
        self.finished.get(event).copied().flatten()
    }

    /// Whether one step was all `event` had left when asked for at `at`:
    /// the run finished it in that yield point's turn.
    fn finished_in_turn_at(&self, event: usize, at: u32) -> bool {
        self.finish(event) == Some(Finish { at, in_turn: true })
    }

    fn finished_before(&self, event: usize, at: u32) -> bool {
        self.finish(event).is_some_and(|f| f.at < at)
    }
}

/// How many schedules a reduced search ran, and how many it knew to run
/// alike one it ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reduction {
    pub run: u64,
    pub skipped: u64,
}

/// What an extension's trailing placements past its prefix's end ask for:
/// each event with its steps, sorted.
type Tail = Vec<(usize, Steps)>;

/// Like [`for_each_schedule`], but runs one schedule of each class that
/// must run alike (see the module's rules). `visit` runs a schedule and
/// returns what its run showed, or `None` when it did not run (no
/// reduction then below it). Every schedule `for_each_schedule` visits is
/// either visited or counted as skipped.
pub fn for_each_reduced(
    events: usize,
    horizon: u32,
    bound: usize,
    mut visit: impl FnMut(&[Scheduled]) -> Option<Reach>,
) -> Reduction {
    let all = placements(events, horizon);
    let mut stack: Vec<Scheduled> = Vec::new();
    let mut done = Reduction { run: 1, skipped: 0 };
    let reach = visit(&stack);
    if events > 0 {
        let mut search = Reduced {
            all: &all,
            bound,
            stack: &mut stack,
            visit: &mut visit,
            run: &mut done.run,
        };
        search.in_window(0, reach);
    }
    done.skipped = count(events, horizon, bound) - done.run;
    done
}

struct Reduced<'a> {
    all: &'a [Scheduled],
    bound: usize,
    stack: &'a mut Vec<Scheduled>,
    visit: &'a mut dyn FnMut(&[Scheduled]) -> Option<Reach>,
    run: &'a mut u64,
}

impl Reduced<'_> {
    fn visit(&mut self) -> Option<Reach> {
        *self.run += 1;
        (self.visit)(self.stack)
    }

    /// The extensions of the stack, whose run showed `reach`, by the
    /// placements from `from` on.
    fn in_window(&mut self, from: usize, reach: Option<Reach>) {
        if self.stack.len() == self.bound {
            return;
        }
        // Tails already run below this prefix; the empty one is the prefix.
        let mut tails: HashSet<Tail> = HashSet::from([Vec::new()]);
        // The event and yield point whose one step, just run, finished it.
        let mut one_step_was_all: Option<(usize, u32)> = None;
        for i in from..self.all.len() {
            let next = &self.all[i];
            let at = next.yield_point().unwrap_or(0);
            match &reach {
                Some(r) if at > r.yields => {
                    let mut tail = Vec::new();
                    self.past_end(i, r, &mut tail, &mut tails);
                }
                Some(r) if r.finished_before(next.event, at) => {}
                _ if next.steps == Steps::All && one_step_was_all == Some((next.event, at)) => {}
                _ => {
                    self.stack.push(next.clone());
                    let below = self.visit();
                    one_step_was_all = below
                        .as_ref()
                        .filter(|b| {
                            next.steps == Steps::Count(1) && b.finished_in_turn_at(next.event, at)
                        })
                        .map(|_| (next.event, at));
                    self.in_window(i + 1, below);
                    self.stack.pop();
                }
            }
        }
    }

    /// Placement `i` past the end of the prefix's run, with `tail` (what
    /// earlier trailing placements ask for), and its extensions: each
    /// distinct tail runs once.
    fn past_end(&mut self, i: usize, reach: &Reach, tail: &mut Tail, tails: &mut HashSet<Tail>) {
        let next = &self.all[i];
        if reach.finished_before(next.event, u32::MAX) {
            // Asks nothing: this and its extensions run as its siblings do.
            return;
        }
        let mark = tail.len();
        tail.push((next.event, next.steps));
        let mut key = tail.clone();
        key.sort_by_key(|&(event, steps)| (event, steps_order(steps)));
        self.stack.push(next.clone());
        if tails.insert(key) {
            self.visit();
        }
        if self.stack.len() < self.bound {
            for j in i + 1..self.all.len() {
                self.past_end(j, reach, tail, tails);
            }
        }
        self.stack.pop();
        tail.truncate(mark);
    }
}

fn steps_order(steps: Steps) -> u32 {
    match steps {
        Steps::All => u32::MAX,
        Steps::Count(k) => k,
    }
}
