//! The futex tasks: what each keeps of its calls, and the second task's
//! life on a stack of its own.
//!
//! The futex thread (task 0) makes the scenario's calls on the thread's own
//! stack. The second task (task 1) makes the calls that name it, on a
//! [`Fiber`], and moves only when the futex thread lets it: where the
//! schedule asks for its steps (a step runs it to its next yield point,
//! where it stops before the operation), where the futex thread waits for
//! a lock it holds, and at the end, when it finishes whatever is left. So
//! any interleaving of the two is one schedule, and the same schedule is
//! the same interleaving on every machine. While the second task waits for
//! something only the futex thread can give up (a page lock it holds), it
//! stops and is tried again at the futex thread's later yield points.

use super::{Abort, Kernel, Ledger, Observation};
use crate::fiber::{self, Fiber};
use crate::finding::FindingClass;
use crate::reference::CallSpec;
use crate::world::page::Blocker;
use crate::world::{Actor, PageRef};

pub use crate::world::task_name as name;

/// Bytes kept for a task's `jmp_buf` (glibc's is 200 on x86-64 and 312 on
/// arm64; the shim checks that it fits).
const JMP_BUF_WORDS: usize = 64;

/// What one futex task keeps of the call it is making.
pub(super) struct TaskState {
    /// Yield points in the current call, against the retry bound.
    pub call_yields: u32,
    /// The `get_futex_key()` being observed, if any.
    pub observing: Option<CallSpec>,
    pub observation: Observation,
    pub truncations_at_entry: usize,
    /// The pages GUP and `get_user()` found for the observed call
    /// (compound heads).
    pub found: Vec<PageRef>,
    pub ledger: Ledger,
    /// Where an aborted C call of the task jumps back to (the kernel is
    /// not moved while a call runs).
    pub abort_jump: [u64; JMP_BUF_WORDS],
    /// The node of the CPU its call runs on (`numa_node_id()`).
    pub node: u32,
}

impl Default for TaskState {
    fn default() -> TaskState {
        TaskState {
            call_yields: 0,
            observing: None,
            observation: Observation::default(),
            truncations_at_entry: 0,
            found: Vec::new(),
            ledger: Ledger::default(),
            abort_jump: [0; JMP_BUF_WORDS],
            node: 0,
        }
    }
}

/// The second task, while it has work left.
#[derive(Default)]
pub(super) struct Second {
    fiber: Option<Fiber<Kernel>>,
    /// What it waits for, while it waits for the futex thread or for an
    /// event that does.
    blocked: Option<Blocker>,
    /// It can never go on: it aborts at the point it stopped.
    abort: bool,
}

impl Kernel {
    /// Gives the second task its work: `body` runs on a stack of its own
    /// from the first step the schedule asks of it, or once the futex
    /// thread is done.
    pub fn spawn_second(&mut self, body: impl FnOnce(&mut Kernel) + 'static) {
        self.second = Second {
            fiber: Some(Fiber::new(body)),
            ..Second::default()
        };
    }

    /// Runs the second task to its end, after the futex thread is done:
    /// it waits for events only now, and one that can never go on aborts.
    pub fn finish_second(&mut self) {
        while self.second.fiber.is_some() {
            if let Some(blocker) = self.second.blocked.filter(|b| self.world.still_holds(b)) {
                if !self.unblock_by_events(blocker) {
                    let why = self.sched.describe(&blocker);
                    self.world.report(
                        FindingClass::Deadlock,
                        format!("the second futex task waits for ever: {why}"),
                    );
                    self.second.abort = true;
                }
            }
            self.resume_second();
        }
    }

    /// Runs an event that holds what `blocker` names until it lets go;
    /// false when it cannot.
    fn unblock_by_events(&mut self, blocker: Blocker) -> bool {
        let Some(Actor::Event(event)) = blocker.holder() else {
            return false;
        };
        let released = self
            .sched
            .run_until(event, &mut self.world, &mut self.trace, |w| {
                !w.still_holds(&blocker)
            });
        matches!(released, Ok(Ok(()))) && !self.world.still_holds(&blocker)
    }

    /// Whether the second task can take a step now.
    fn second_can_go(&self) -> bool {
        self.second.fiber.is_some()
            && self
                .second
                .blocked
                .is_none_or(|blocker| !self.world.still_holds(&blocker))
    }

    /// One step of the second task: it runs until its next yield point
    /// (or as far as the schedule asks), or until it must wait. True when
    /// it ran.
    fn resume_second(&mut self) -> bool {
        let Some(mut fiber) = self.second.fiber.take() else {
            return false;
        };
        let resumer = self.world.running;
        self.world.running = 1;
        let state = fiber.resume(self);
        self.world.running = resumer;
        if state == fiber::State::Finished {
            self.sched.task_finished();
        } else {
            self.second.fiber = Some(fiber);
        }
        true
    }

    /// At a yield point of the futex thread (or as its call begins): the
    /// steps the schedule asks of the second task, each followed by the
    /// events it let go on.
    pub(super) fn run_second_as_wanted(&mut self) -> Result<(), Abort> {
        while self.sched.task_wanted() && self.second_can_go() {
            self.resume_second();
            if let Err(e) = self.sched.run_wanted(&mut self.world, &mut self.trace) {
                return self.fail(e.to_string());
            }
        }
        Ok(())
    }

    /// The futex thread spins: the second task runs to its end, or to
    /// where it must wait. True when it ran.
    pub(super) fn run_second_to_end(&mut self) -> bool {
        let mut ran = false;
        while self.second_can_go() {
            ran |= self.resume_second();
        }
        ran
    }

    /// A yield point of the second task: a step ends here; it stops unless
    /// the schedule asks more of it.
    pub(super) fn second_arrives(&mut self) -> Result<(), Abort> {
        self.sched.task_step_done();
        if !self.sched.task_wanted() {
            self.stop_second()?;
        }
        Ok(())
    }

    /// The second task gives control back to the futex thread; `Err` when
    /// it is told to abort instead of going on.
    fn stop_second(&mut self) -> Result<(), Abort> {
        fiber::suspend();
        if self.second.abort {
            Err(Abort)
        } else {
            Ok(())
        }
    }

    /// The second task must wait for `blocker`, which only the futex
    /// thread can give up (directly, or through an event that waits for
    /// it): it stops, and tries again when it next gets to run.
    pub(super) fn second_waits(&mut self, blocker: Blocker) -> Result<(), Abort> {
        let why = self.sched.describe(&blocker);
        self.trace
            .note(|| format!("the second futex task sleeps: {why}"));
        self.second.blocked = Some(blocker);
        let stopped = self.stop_second();
        self.second.blocked = None;
        stopped
    }

    /// The futex thread waits for the lock `blocker` names, which the
    /// second task holds: the second task runs until it lets go.
    pub(super) fn wait_for_second(&mut self, blocker: Blocker) -> Result<(), Abort> {
        let name = self.lock_name(blocker);
        self.trace
            .note(|| format!("sleeps: {name} is locked by the second futex task"));
        while self.world.still_holds(&blocker) {
            if !self.second_can_go() {
                let why = match self.second.blocked {
                    Some(blocker) => format!("which waits: {}", self.sched.describe(&blocker)),
                    None => "which is done".to_string(),
                };
                self.world.report(
                    FindingClass::Deadlock,
                    format!(
                        "the futex thread waits for {name} held by the second futex task, {why}"
                    ),
                );
                return Err(Abort);
            }
            self.resume_second();
        }
        Ok(())
    }

    /// The futex thread waits for something the second task holds through
    /// an event (an event waits for the second task's page lock): one step
    /// of the second task; false when it cannot take one.
    pub(super) fn step_second_for(&mut self) -> bool {
        self.second_can_go() && self.resume_second()
    }
}
