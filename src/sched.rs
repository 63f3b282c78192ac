//! The deterministic single-thread scheduler: it replays a schedule.
//!
//! The futex thread runs straight through; at each of its yield points the
//! scheduler runs the event steps that the schedule places there, whether
//! by the yield point's number or by the call and kernel API it belongs to.
//! A step that must wait stays wanted and is tried again at every later
//! yield point. When the thread itself must wait for a page lock an event
//! holds, the scheduler runs that event until it lets go; when the event
//! cannot move either, the two are deadlocked. Nothing here is random: one
//! schedule gives one interleaving, on every machine (docs/model.md §6).
//!
//! A second futex task is scheduled as an event is (its `task` event), but
//! its steps are the kernel's to run: the scheduler only counts the steps
//! asked of it ([`Scheduler::task_wanted`]). Yield points of either task
//! are numbered together, and a placement by call names the call of
//! whichever task makes it.

use crate::events::{EventKind, EventRun, StepOutcome};
use crate::op::Op;
use crate::schedule::{CallRef, Label, Placement, Scheduled, Side, Steps};
use crate::trace::Trace;
use crate::world::build::Objects;
use crate::world::page::Blocker;
use crate::world::{World, WorldError, TASKS};

/// A schedule entry placed by call and label, with how far it got.
struct Relative {
    call: CallRef,
    side: Side,
    label: Label,
    nth: u32,
    event: usize,
    steps: Steps,
    /// Yield points of `call` that bore `label` so far.
    seen: u32,
}

/// When an event's last step ran while the tasks were running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finish {
    /// The yield point the tasks had last passed.
    pub at: u32,
    /// Whether it ran in that yield point's turn: among the steps placed
    /// there, before the task went on.
    pub in_turn: bool,
}

/// An event step that ran while the tasks were running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stepped {
    /// The yield point the tasks had last passed (0: before the first).
    pub at: u32,
    /// The scenario's number of the event.
    pub event: usize,
}

pub struct Scheduler {
    events: Vec<EventRun>,
    /// The world's objects for the scenario's indices the events name.
    objects: Objects,
    names: Vec<String>,
    /// Steps still asked of each event (`u32::MAX`: all of them).
    wanted: Vec<u32>,
    /// The last blocker traced for each event, so a wait is traced once.
    traced_block: Vec<Option<Blocker>>,
    /// Entries placed at a yield point's number, in yield order.
    absolute: Vec<(u32, usize, Steps)>,
    next: usize,
    /// Entries placed as a call begins.
    starts: Vec<(CallRef, usize, Steps)>,
    /// Entries placed by call and label, not yet due.
    relative: Vec<Relative>,
    /// Entries whose labelled yield point has passed: due at the next one.
    due_after: Vec<(usize, Steps)>,
    /// The call each task is making.
    calls: [Option<CallRef>; TASKS],
    /// The event that stands for the second task, if the scenario has one.
    task: Option<usize>,
    /// The yield point the tasks last passed.
    now: u32,
    /// For each event, when its last step ran while the tasks were running
    /// (not while draining): exhaustive search knows from it that asking
    /// more of the event later changes nothing.
    finished: Vec<Option<Finish>>,
    /// Every event step that ran while the tasks were running, in order:
    /// what the fuzz targets tell libFuzzer the schedule did.
    stepped: Vec<Stepped>,
    /// Whether the steps placed at a yield point are running.
    in_turn: bool,
    /// Whether the tasks are done and the events are being drained.
    draining: bool,
}

impl Scheduler {
    /// A replayer of `schedule` over `events`, whose scenario indices
    /// `objects` resolves.
    pub fn new(
        events: Vec<(String, EventKind)>,
        schedule: &[Scheduled],
        objects: Objects,
    ) -> Scheduler {
        let n = events.len();
        let task = events.iter().position(|(_, kind)| kind.is_task());
        let (names, runs) = events
            .into_iter()
            .enumerate()
            .map(|(i, (name, kind))| (name, EventRun::new(i, kind)))
            .unzip();
        let mut absolute = Vec::new();
        let mut starts = Vec::new();
        let mut relative = Vec::new();
        for entry in schedule {
            match &entry.placement {
                Placement::Yield(at) => absolute.push((*at, entry.event, entry.steps)),
                Placement::Start(call) => starts.push((*call, entry.event, entry.steps)),
                Placement::Label {
                    call,
                    side,
                    label,
                    nth,
                } => relative.push(Relative {
                    call: *call,
                    side: *side,
                    label: label.clone(),
                    nth: *nth,
                    event: entry.event,
                    steps: entry.steps,
                    seen: 0,
                }),
            }
        }
        absolute.sort_by_key(|&(at, _, _)| at);
        Scheduler {
            events: runs,
            objects,
            names,
            wanted: vec![0; n],
            traced_block: vec![None; n],
            absolute,
            next: 0,
            starts,
            relative,
            due_after: Vec::new(),
            calls: [None; TASKS],
            task,
            now: 0,
            finished: vec![None; n],
            stepped: Vec::new(),
            in_turn: false,
            draining: false,
        }
    }

    /// Hands over, for each event, when it finished while the tasks ran
    /// (`None`: later, or never); the run is done.
    pub fn take_finished(&mut self) -> Vec<Option<Finish>> {
        std::mem::take(&mut self.finished)
    }

    /// Hands over the event steps that ran while the tasks ran, in order;
    /// the run is done.
    pub fn take_stepped(&mut self) -> Vec<Stepped> {
        std::mem::take(&mut self.stepped)
    }

    /// Whether steps of the second task are wanted now.
    pub fn task_wanted(&self) -> bool {
        self.task.is_some_and(|t| self.wanted[t] > 0)
    }

    /// The second task took a step: one fewer is wanted.
    pub fn task_step_done(&mut self) {
        if let Some(t) = self.task {
            if self.wanted[t] != u32::MAX {
                self.wanted[t] = self.wanted[t].saturating_sub(1);
            }
        }
    }

    /// The second task has made all its calls: nothing more is wanted of it.
    pub fn task_finished(&mut self) {
        if let Some(t) = self.task {
            self.wanted[t] = 0;
        }
    }

    /// Whether `event` is the second task rather than an mm event.
    fn is_task(&self, event: usize) -> bool {
        self.task == Some(event)
    }

    pub fn name(&self, event: usize) -> &str {
        &self.names[event]
    }

    /// The world's objects for the scenario's indices.
    pub fn objects(&self) -> &Objects {
        &self.objects
    }

    /// Hands the objects over once the run is done.
    pub fn take_objects(&mut self) -> Objects {
        std::mem::take(&mut self.objects)
    }

    /// Asks `steps` more of `event`.
    fn want(&mut self, event: usize, steps: Steps) {
        let wanted = &mut self.wanted[event];
        *wanted = match steps {
            Steps::All => u32::MAX,
            Steps::Count(k) => wanted.saturating_add(k),
        };
    }

    /// Entries that became due with the last labelled yield point.
    fn want_due_after(&mut self) {
        if self.due_after.is_empty() {
            return;
        }
        for (event, steps) in std::mem::take(&mut self.due_after) {
            self.want(event, steps);
        }
    }

    /// Task `task` begins `call`: what is placed at its start runs, and
    /// what waited for the yield point after the previous call's last one.
    #[inline]
    pub fn begin_call(
        &mut self,
        task: usize,
        call: CallRef,
        world: &mut World,
        trace: &mut Trace,
    ) -> Result<(), WorldError> {
        self.calls[task] = Some(call);
        if self.due_after.is_empty() && self.starts.is_empty() {
            // Nothing is placed here, and nothing wanted waits: events that
            // wait for the thread get their next try at its next yield.
            return Ok(());
        }
        self.want_due_after();
        let mut i = 0;
        while i < self.starts.len() {
            if self.starts[i].0 == call {
                let (_, event, steps) = self.starts.remove(i);
                self.want(event, steps);
            } else {
                i += 1;
            }
        }
        self.run_wanted(world, trace)
    }

    /// Runs what the schedule places at yield point `n` of task `task`, a
    /// call of `op` (reading `expr`, for a marked read), and anything still
    /// waiting from earlier.
    #[inline]
    pub fn at_yield(
        &mut self,
        task: usize,
        n: u32,
        op: Op,
        expr: Option<&str>,
        world: &mut World,
        trace: &mut Trace,
    ) -> Result<(), WorldError> {
        self.now = n;
        // Most yield points of most schedules have nothing to run.
        let placed_here = self
            .absolute
            .get(self.next)
            .is_some_and(|&(at, _, _)| at <= n);
        let idle = !placed_here
            && self.due_after.is_empty()
            && self.relative.is_empty()
            && self.wanted.iter().all(|&w| w == 0);
        if idle {
            return Ok(());
        }
        self.run_at_yield(task, n, op, expr, world, trace)
    }

    #[inline(never)]
    fn run_at_yield(
        &mut self,
        task: usize,
        n: u32,
        op: Op,
        expr: Option<&str>,
        world: &mut World,
        trace: &mut Trace,
    ) -> Result<(), WorldError> {
        self.want_due_after();
        while let Some(&(at, event, steps)) = self.absolute.get(self.next) {
            if at > n {
                break;
            }
            self.want(event, steps);
            self.next += 1;
        }
        if !self.relative.is_empty() {
            self.match_labels(task, op, expr);
        }
        self.in_turn = true;
        let ran = self.run_wanted(world, trace);
        self.in_turn = false;
        ran
    }

    /// Counts this yield point of `task` for the entries placed by its
    /// call and label: one placed before it is due now, one after it at
    /// the next.
    fn match_labels(&mut self, task: usize, op: Op, expr: Option<&str>) {
        let Some(call) = self.calls[task] else { return };
        let mut i = 0;
        while i < self.relative.len() {
            let entry = &mut self.relative[i];
            if entry.call == call && entry.label.matches(op, expr) {
                entry.seen += 1;
                if entry.seen == entry.nth {
                    let entry = self.relative.remove(i);
                    match entry.side {
                        Side::Before => self.want(entry.event, entry.steps),
                        Side::After => self.due_after.push((entry.event, entry.steps)),
                    }
                    continue;
                }
            }
            i += 1;
        }
    }

    /// Runs wanted event steps until none can make progress (the second
    /// task's are the kernel's to run).
    pub fn run_wanted(&mut self, world: &mut World, trace: &mut Trace) -> Result<(), WorldError> {
        loop {
            let mut progress = false;
            for event in 0..self.events.len() {
                if self.is_task(event) {
                    continue;
                }
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
        let outcome = self.events[event].step(world, &self.objects, trace.is_recording())?;
        match &outcome {
            StepOutcome::Ran(text) => {
                self.traced_block[event] = None;
                if !self.draining {
                    self.stepped.push(Stepped {
                        at: self.now,
                        event,
                    });
                    if self.finished[event].is_none() && self.events[event].finished() {
                        self.finished[event] = Some(Finish {
                            at: self.now,
                            in_turn: self.in_turn,
                        });
                    }
                }
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
    /// what it waits for, and so do the steps placed at yield points the
    /// run never reached. Entries placed by a call or label the run never
    /// reached do not run: their place never came. Returns the events left
    /// waiting, with the reason.
    pub fn drain(
        &mut self,
        world: &mut World,
        trace: &mut Trace,
    ) -> Result<Vec<(String, Blocker)>, WorldError> {
        self.calls = [None; TASKS];
        self.draining = true;
        self.want_due_after();
        for (_, event, steps) in std::mem::take(&mut self.absolute).split_off(self.next) {
            self.want(event, steps);
        }
        self.next = 0;
        self.run_wanted(world, trace)?;
        let mut stuck = Vec::new();
        for event in 0..self.events.len() {
            if self.wanted[event] > 0 && !self.events[event].finished() && !self.is_task(event) {
                if let StepOutcome::Blocked(b) =
                    self.events[event].step(world, &self.objects, false)?
                {
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
