//! The deterministic single-thread scheduler (DESIGN.md §5).
//!
//! The futex thread runs straight through; at each of its yield points the
//! scheduler runs the event steps that the schedule places there. A step
//! that must wait stays wanted and is tried again at every later yield
//! point. When the thread itself must wait for a page lock an event holds,
//! the scheduler runs that event until it lets go; when the event cannot
//! move either, the two are deadlocked.

use crate::events::{EventKind, EventRun, StepOutcome};
use crate::trace::Trace;
use crate::world::page::Blocker;
use crate::world::{World, WorldError};

/// How many steps of an event a schedule entry asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Steps {
    All,
    Count(u32),
}

/// "At yield point `at`, run `steps` of event `event`."
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scheduled {
    pub at: u32,
    pub event: usize,
    pub steps: Steps,
}

pub struct Scheduler {
    events: Vec<EventRun>,
    names: Vec<String>,
    /// Steps still asked of each event (`u32::MAX`: all of them).
    wanted: Vec<u32>,
    /// The last blocker traced for each event, so a wait is traced once.
    traced_block: Vec<Option<Blocker>>,
    schedule: Vec<Scheduled>,
    next: usize,
}

impl Scheduler {
    pub fn new(events: Vec<(String, EventKind)>, mut schedule: Vec<Scheduled>) -> Scheduler {
        schedule.sort_by_key(|s| s.at);
        let n = events.len();
        let (names, runs) = events
            .into_iter()
            .enumerate()
            .map(|(i, (name, kind))| (name, EventRun::new(i, kind)))
            .unzip();
        Scheduler {
            events: runs,
            names,
            wanted: vec![0; n],
            traced_block: vec![None; n],
            schedule,
            next: 0,
        }
    }

    pub fn name(&self, event: usize) -> &str {
        &self.names[event]
    }

    /// Runs what the schedule places at yield point `n`, and anything still
    /// waiting from earlier.
    pub fn at_yield(
        &mut self,
        n: u32,
        world: &mut World,
        trace: &mut Trace,
    ) -> Result<(), WorldError> {
        while let Some(entry) = self.schedule.get(self.next).filter(|s| s.at <= n) {
            let wanted = &mut self.wanted[entry.event];
            *wanted = match entry.steps {
                Steps::All => u32::MAX,
                Steps::Count(k) => wanted.saturating_add(k),
            };
            self.next += 1;
        }
        self.run_wanted(world, trace)
    }

    /// Runs wanted steps until none can make progress.
    fn run_wanted(&mut self, world: &mut World, trace: &mut Trace) -> Result<(), WorldError> {
        loop {
            let mut progress = false;
            for event in 0..self.events.len() {
                while self.wanted[event] > 0 {
                    match self.step(event, world, trace)? {
                        StepOutcome::Ran(_) => {
                            progress = true;
                            if self.wanted[event] != u32::MAX {
                                self.wanted[event] -= 1;
                            }
                        }
                        StepOutcome::Blocked(_) => break,
                        StepOutcome::Finished => self.wanted[event] = 0,
                    }
                }
            }
            if !progress {
                return Ok(());
            }
        }
    }

    fn step(
        &mut self,
        event: usize,
        world: &mut World,
        trace: &mut Trace,
    ) -> Result<StepOutcome, WorldError> {
        let outcome = self.events[event].step(world, trace.is_recording())?;
        match &outcome {
            StepOutcome::Ran(text) => {
                self.traced_block[event] = None;
                trace.event(&self.names[event], || text.clone());
            }
            StepOutcome::Blocked(b) if self.traced_block[event] != Some(*b) => {
                self.traced_block[event] = Some(*b);
                trace.event(&self.names[event], || {
                    format!("waits: {}", self.describe(b))
                });
            }
            _ => {}
        }
        Ok(outcome)
    }

    /// Runs `event` (whatever the schedule asked of it) until `done` holds.
    /// `Err` names what the event waits for when it cannot go on.
    pub fn run_until(
        &mut self,
        event: usize,
        world: &mut World,
        trace: &mut Trace,
        done: impl Fn(&World) -> bool,
    ) -> Result<Result<(), Blocker>, WorldError> {
        while !done(world) {
            match self.step(event, world, trace)? {
                StepOutcome::Ran(_) => {}
                StepOutcome::Blocked(b) => return Ok(Err(b)),
                StepOutcome::Finished => break,
            }
        }
        Ok(Ok(()))
    }

    /// After the thread is done: every wanted step runs to the end, or to
    /// what it waits for. Returns the events left waiting, with the reason.
    pub fn drain(
        &mut self,
        world: &mut World,
        trace: &mut Trace,
    ) -> Result<Vec<(String, Blocker)>, WorldError> {
        for entry in &self.schedule[self.next..] {
            self.wanted[entry.event] = match entry.steps {
                Steps::All => u32::MAX,
                Steps::Count(k) => self.wanted[entry.event].saturating_add(k),
            };
        }
        self.next = self.schedule.len();
        self.run_wanted(world, trace)?;
        let mut stuck = Vec::new();
        for event in 0..self.events.len() {
            if self.wanted[event] > 0 && !self.events[event].finished() {
                if let StepOutcome::Blocked(b) = self.events[event].step(world, false)? {
                    stuck.push((self.names[event].clone(), b));
                }
            }
        }
        Ok(stuck)
    }

    /// Fairness for a spinning thread: every event that has started runs
    /// until it finishes or must wait, as other CPUs would go on running
    /// while the futex thread retries. True when any step ran.
    pub fn run_started_to_end(
        &mut self,
        world: &mut World,
        trace: &mut Trace,
    ) -> Result<bool, WorldError> {
        let mut ran = false;
        for event in 0..self.events.len() {
            if !self.events[event].started() {
                continue;
            }
            while let StepOutcome::Ran(_) = self.step(event, world, trace)? {
                ran = true;
            }
            self.wanted[event] = 0;
        }
        Ok(ran)
    }

    /// A blocker in words, with events by their scenario names.
    pub fn describe(&self, blocker: &Blocker) -> String {
        match blocker {
            Blocker::PageLock(p, crate::world::Actor::Event(e)) => {
                format!("page#{} is locked by {}", p.0, self.names[*e])
            }
            other => other.to_string(),
        }
    }
}
