//! The fake kernel as the futex tasks see it: one method per kernel API
//! that `get_futex_key()` calls (`api`), on pointers as the futex code
//! holds them ([`ptr`]). Each method is a yield point (the scheduler runs
//! concurrent event steps first), then performs its operation on the world.
//! The C revisions reach these methods through `ffi`; Rust ports call them
//! directly, so both run on the same semantics.
//!
//! Two tasks may call: the futex thread, which makes the scenario's calls,
//! and a second task on a stack of its own ([`task`]), which the schedule
//! runs step by step at the futex thread's yield points, as it runs events.
//!
//! While a call runs, the kernel also keeps what the oracles need: the
//! reference result on every world state the call saw ([`Observation`]),
//! and the references each task holds ([`Ledger`]).
//!
//! A method returns `Err(Abort)` when the task cannot go on: a deadlock,
//! a livelock past the retry bound, a wild pointer, or a harness error. The
//! reason is recorded before it returns.

mod api;
mod numa;
pub mod ptr;
mod task;

pub use ptr::{
    Atomic64Ptr, AtomicPtr, Counter, Counter64, InodePtr, MappingPtr, MempolicyPtr, MmPtr, PagePtr,
    VmaPtr,
};

use crate::finding::FindingClass;
use crate::op::Op;
use crate::reference::{self, CallSpec, Expected};
use crate::sched::Scheduler;
use crate::schedule::CallRef;
use crate::trace::{Arg, Trace};
use crate::world::page::{Blocker, Wait};
use crate::world::user::UserPlace;
use crate::world::{Actor, InodeId, InodeRef, MmId, PageId, World, TASKS};

use task::TaskState;

/// The thread cannot continue; see the findings or `harness_error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Abort;

/// Default bound on yield points in one call before it is a livelock.
pub const DEFAULT_RETRY_BOUND: u32 = 2000;

/// An object the thread holds references on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Held {
    Page(PageId),
    Inode(InodeRef),
    Mm(MmId),
}

/// References a futex task took and has not dropped, per object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    counts: Vec<(Held, i32)>,
}

impl Ledger {
    fn add(&mut self, held: Held, delta: i32) {
        match self.counts.iter_mut().find(|(h, _)| *h == held) {
            Some((_, n)) => *n += delta,
            None => self.counts.push((held, delta)),
        }
    }

    /// The first object with a positive balance that `pick` accepts.
    fn positive_where(&self, pick: impl Fn(&Held) -> bool) -> Option<Held> {
        self.counts
            .iter()
            .find(|(h, n)| *n > 0 && pick(h))
            .map(|(h, _)| *h)
    }

    /// Objects with a non-zero balance, in a stable order.
    pub fn outstanding(&self) -> Vec<(Held, i32)> {
        let mut held: Vec<(Held, i32)> = self
            .counts
            .iter()
            .copied()
            .filter(|(_, n)| *n != 0)
            .collect();
        held.sort();
        held
    }
}

/// What a `get_futex_key()` call saw of the world, for the meaning oracle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    /// The reference result on each distinct world state between entry and
    /// exit, in order.
    pub expected: Vec<Expected>,
    /// The yield point from which each state held (0: the call's entry).
    pub since: Vec<u32>,
    /// For a `VERIFY_READ` call, what the read-only retry finds on every
    /// state from the first one on which the write request fails, in order
    /// and without repeats (docs/model.md §2).
    pub read_only_retry: Vec<Expected>,
    /// A page the call found (a compound head: GUP's, or the one its
    /// `get_user()` of the node word read) left its page cache
    /// (truncation, hole punch, invalidation, eviction) while the call ran.
    pub found_page_truncated: bool,
    /// `should_fail()` failed the call on purpose (fail_futex).
    pub fault_injected: bool,
    /// The node each state means (6.16 on), without repeats.
    pub nodes: Vec<i32>,
    /// Where a FUTEX2_NUMA call's node word was, on the states that had a
    /// page there, without repeats.
    pub node_words: Vec<UserPlace>,
    /// The call wrote its node back: the states from then on show its own
    /// choice, not what it was to choose from, and mean no node.
    pub node_written: bool,
    /// The last yield point the call passed (0: none), where it settled
    /// its result.
    pub last_yield: u32,
}

impl Observation {
    /// Notes the meaning of `call` on `world` as it is now, a state that
    /// holds from yield point `at` on.
    fn record(&mut self, world: &World, call: CallSpec, at: u32) {
        let (now, node) = reference::meaning(world, call);
        // Only a failed write request leads to the read-only retry. Once a
        // state may have sent the call there, every later state is read as
        // the retry reads it: a call whose write request failed before an
        // mprotect() made the vma writable still retries read-only after it.
        let retrying = !call.write
            && call.shared
            && (!self.read_only_retry.is_empty()
                || reference::write_request_fails(world, call, now));
        if retrying {
            let retry = reference::read_only_retry(world, call);
            if !self.read_only_retry.contains(&retry) {
                self.read_only_retry.push(retry);
            }
        }
        if self.expected.last() != Some(&now) {
            let at = if self.expected.is_empty() { 0 } else { at };
            self.expected.push(now);
            self.since.push(at);
        }
        if let Some(node) = node.filter(|_| !self.node_written) {
            if !self.nodes.contains(&node) {
                self.nodes.push(node);
            }
        }
        if call.numa {
            if let Some(place) = world.user_place(call.mm, call.node_addr()) {
                if !self.node_words.contains(&place) {
                    self.node_words.push(place);
                }
            }
        }
    }
}

pub struct Kernel {
    pub world: World,
    pub sched: Scheduler,
    pub trace: Trace,
    /// Yield points so far in this execution, of every task (they number
    /// the schedule).
    yields: u32,
    pub retry_bound: u32,
    /// The C source line of the call being made, when a C revision makes it.
    pub site: Option<u32>,
    /// A failure of the harness itself (not of the revision).
    pub harness_error: Option<String>,
    /// RCU frees started by a task's own iput, waiting for a grace period.
    deferred_frees: Vec<InodeId>,
    /// What each futex task keeps of its calls, by task.
    tasks: [TaskState; TASKS],
    /// The second task, on a stack of its own, while it has work left.
    second: task::Second,
    /// Whether a call's meaning is evaluated at its yield points (for the
    /// meaning oracle), or nothing judges it.
    pub observe_meaning: bool,
}

impl Kernel {
    /// A kernel over `world` whose events `sched` runs, keeping `trace`
    /// ([`Trace::recording`] for a report).
    pub fn new(world: World, sched: Scheduler, trace: Trace) -> Kernel {
        Kernel {
            world,
            sched,
            trace,
            yields: 0,
            retry_bound: DEFAULT_RETRY_BOUND,
            site: None,
            harness_error: None,
            deferred_frees: Vec::new(),
            tasks: Default::default(),
            second: task::Second::default(),
            observe_meaning: true,
        }
    }

    pub fn yields(&self) -> u32 {
        self.yields
    }

    /// The task whose code runs now (0: the futex thread).
    pub fn running(&self) -> usize {
        self.world.running
    }

    /// References the running task took and has not dropped.
    pub fn ledger(&self) -> &Ledger {
        &self.tasks[self.world.running].ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.tasks[self.world.running].ledger
    }

    /// Where an aborted C call of the running task jumps back to: storage
    /// for a `jmp_buf`, set by the revision's entry point.
    pub fn abort_jump(&mut self) -> *mut u8 {
        self.tasks[self.world.running]
            .abort_jump
            .as_mut_ptr()
            .cast()
    }

    /// Starts `call` from `mm` (a `put_futex_key()`, or a `get` not
    /// observed) on the running task: its retry budget starts afresh, and
    /// what the schedule places at its start runs. `Err` when the harness
    /// fails there.
    pub fn begin_call(&mut self, mm: MmId, call: CallRef) -> Result<(), Abort> {
        let t = self.world.running;
        self.world.thread_mut().mm = Some(mm);
        self.tasks[t].call_yields = 0;
        self.tasks[t].observing = None;
        if let Err(e) = self
            .sched
            .begin_call(t, call, &mut self.world, &mut self.trace)
        {
            return self.fail(e.to_string());
        }
        if t == 0 {
            self.run_second_as_wanted()?;
        }
        self.retry_deferred_frees();
        Ok(())
    }

    /// Starts the scenario's `get_futex_key()` number `index` on the
    /// running task and observes the world it sees.
    pub fn begin_get(&mut self, index: usize, call: CallSpec) -> Result<(), Abort> {
        self.begin_call(call.mm, CallRef::Get(index))?;
        let truncations = self.world.truncations().len();
        let task = &mut self.tasks[self.world.running];
        task.node = call.node;
        task.observing = self.observe_meaning.then_some(call);
        task.observation = Observation::default();
        task.truncations_at_entry = truncations;
        task.found.clear();
        self.observe();
        Ok(())
    }

    /// Ends the running task's observed call and hands over what it saw.
    pub fn end_get(&mut self) -> Observation {
        self.observe();
        let task = &mut self.tasks[self.world.running];
        let mut observation = std::mem::take(&mut task.observation);
        let truncated = &self.world.truncations()[task.truncations_at_entry..];
        observation.found_page_truncated = truncated.iter().any(|p| task.found.contains(p));
        task.observing = None;
        observation
    }

    /// Notes a page GUP (or a `get_user()`) handed to the running task's
    /// observed call.
    fn observe_found(&mut self, page: PageId) {
        let t = self.world.running;
        if self.tasks[t].observing.is_some() {
            let head = self.world.head_of(page);
            let found = self.world.page_ref(head);
            self.tasks[t].found.push(found);
        }
    }

    /// Evaluates the meaning on the world as it is now for every call in
    /// progress, whichever task makes it.
    fn observe(&mut self) {
        for t in 0..TASKS {
            if let Some(call) = self.tasks[t].observing {
                let since = self.yields;
                self.tasks[t].observation.record(&self.world, call, since);
            }
        }
    }

    /// A yield point of the running task: numbers it, traces it, bounds
    /// retries, lets the scheduled events (and, for the futex thread, the
    /// second task's scheduled steps) run, and observes the world they
    /// leave. The second task stops here once the steps asked of it ran.
    fn enter(&mut self, op: Op, arg: Arg) -> Result<(), Abort> {
        let t = self.world.running;
        self.trace
            .findings_since(self.world.findings_count(), self.yields);
        self.yields += 1;
        self.tasks[t].call_yields += 1;
        self.tasks[t].observation.last_yield = self.yields;
        self.trace
            .yield_point(self.yields, t, op, arg, self.site.take());
        if self.tasks[t].call_yields > self.retry_bound && !self.let_others_run()? {
            self.world.report(
                FindingClass::Livelock,
                format!(
                    "no return after {} yield points (the retry bound)",
                    self.retry_bound
                ),
            );
            return Err(Abort);
        }
        let expr = match arg {
            Arg::Read { expr, .. } => Some(expr),
            _ => None,
        };
        if let Err(e) =
            self.sched
                .at_yield(t, self.yields, op, expr, &mut self.world, &mut self.trace)
        {
            return self.fail(e.to_string());
        }
        if t == 0 {
            self.run_second_as_wanted()?;
        } else {
            self.second_arrives()?;
        }
        self.retry_deferred_frees();
        self.observe();
        Ok(())
    }

    /// A task has spun past the retry bound. A retry loop that only waits
    /// for something half done (an eviction the schedule paused, the other
    /// task's call) is not a livelock: other CPUs would finish it. So
    /// every started event runs to its end, and the futex thread lets the
    /// second task run to its end, and the spinning task gets a new budget;
    /// only a task that still spins once nothing else can move is
    /// livelocked.
    fn let_others_run(&mut self) -> Result<bool, Abort> {
        let mut ran = match self
            .sched
            .run_started_to_end(&mut self.world, &mut self.trace)
        {
            Ok(ran) => ran,
            Err(e) => return self.fail(e.to_string()),
        };
        if self.world.running == 0 {
            ran |= self.run_second_to_end();
        }
        if ran {
            let bound = self.retry_bound;
            self.trace.note(|| {
                format!("spinning past {bound} yield points: the others run to their end")
            });
            self.tasks[self.world.running].call_yields = 0;
        }
        Ok(ran)
    }

    fn fail<T>(&mut self, message: String) -> Result<T, Abort> {
        self.trace.note(|| format!("harness error: {message}"));
        self.harness_error.get_or_insert(message);
        Err(Abort)
    }

    fn retry_deferred_frees(&mut self) {
        self.world.run_rcu_callbacks();
        let world = &mut self.world;
        self.deferred_frees.retain(|&inode| {
            matches!(
                world.rcu_free_inode(inode),
                Wait::Blocked(Blocker::RcuReader(_))
            )
        });
    }

    /// Waits for what blocks the running task: runs the event, or the
    /// other task, holding a lock (a page lock, the mmap lock) until it
    /// lets go. Anything else is a deadlock.
    fn wait_for(&mut self, blocker: Blocker) -> Result<(), Abort> {
        let t = self.world.running;
        match blocker.holder() {
            Some(Actor::Event(event)) if blocker.is_lock() => self.wait_for_event(blocker, event),
            Some(Actor::Task(other)) if other != t && blocker.is_lock() => {
                if t == 0 {
                    self.wait_for_second(blocker)
                } else {
                    self.second_waits(blocker)
                }
            }
            _ => {
                let who = task::name(t);
                self.world.report(
                    FindingClass::Deadlock,
                    format!("{who} waits for itself: {}", self.sched.describe(&blocker)),
                );
                Err(Abort)
            }
        }
    }

    /// What a lock `blocker` names is, in words: a page, or an mm's mmap
    /// lock.
    fn lock_name(&self, blocker: Blocker) -> String {
        match blocker {
            Blocker::PageLock(page, _) => self.world.page_name(page),
            Blocker::MmapLock(mm, _) => format!("the mmap lock of mm#{}", mm.0),
            other => self.sched.describe(&other),
        }
    }

    /// Runs `event`, which holds the lock `blocker` names, until it lets
    /// go. An event that must wait for the other task in turn: the futex
    /// thread lets the second task go on; the second task stops until
    /// later.
    fn wait_for_event(&mut self, blocker: Blocker, event: usize) -> Result<(), Abort> {
        let t = self.world.running;
        let holder = self.sched.name(event).to_string();
        let name = self.lock_name(blocker);
        let who = task::name(t);
        self.trace
            .note(|| format!("sleeps: {name} is locked by {holder}"));
        loop {
            let released = self
                .sched
                .run_until(event, &mut self.world, &mut self.trace, |w| {
                    !w.still_holds(&blocker)
                });
            match released {
                Err(e) => return self.fail(e.to_string()),
                Ok(Ok(())) if !self.world.still_holds(&blocker) => return Ok(()),
                Ok(Ok(())) => {
                    self.world.report(
                        FindingClass::Deadlock,
                        format!("{holder} finished holding the lock of {name} {who} waits for"),
                    );
                    return Err(Abort);
                }
                Ok(Err(waits)) if t == 1 && waits.held_by(Actor::Task(0)) => {
                    return self.second_waits(blocker);
                }
                // The event waits for the second task: it takes a step,
                // and the event is tried again.
                Ok(Err(waits))
                    if t == 0 && waits.held_by(Actor::Task(1)) && self.step_second_for() => {}
                Ok(Err(waits)) => {
                    let why = self.sched.describe(&waits);
                    self.world.report(
                        FindingClass::Deadlock,
                        format!("{who} waits for {name} held by {holder}, which waits: {why}"),
                    );
                    return Err(Abort);
                }
            }
        }
    }

    /// Releases the page locks, RCU section and irqs-off the thread still
    /// holds. After an aborted call they were cut short by the abort, not
    /// left behind by the revision, so this alone runs, without a report.
    pub fn reset_after_abort(&mut self) {
        let actor = self.world.actor();
        let thread = self.world.thread_mut();
        thread.rcu_depth = 0;
        thread.irqs_off = false;
        for page in self.world.pages_locked_by(actor) {
            self.world.unlock_page(page, actor);
        }
        let task = self.world.running;
        for mm in self.world.mmap_read_locked_by(task) {
            while self.world.mmap_read_unlock(mm, task) {}
        }
        self.retry_deferred_frees();
    }

    /// After a call returns: the page locks, RCU and irqs it took must be
    /// released. Reports what is not, and releases it so later calls of
    /// the scenario start clean.
    pub fn check_balanced(&mut self, what: &str) {
        if self.world.thread().rcu_depth > 0 {
            self.world.report(
                FindingClass::RcuImbalance,
                format!("{what} returns inside an RCU read section"),
            );
        }
        if self.world.thread().irqs_off {
            self.world.report(
                FindingClass::LockImbalance,
                format!("{what} returns with irqs disabled"),
            );
        }
        for mm in self.world.mmap_read_locked_by(self.world.running) {
            self.world.report(
                FindingClass::LockImbalance,
                format!("{what} returns holding the mmap lock of mm#{}", mm.0),
            );
        }
        for page in self.world.pages_locked_by(self.world.actor()) {
            let name = self.world.page_name(page);
            self.world.report(
                FindingClass::LockImbalance,
                format!("{what} returns holding the lock of {name}"),
            );
        }
        self.reset_after_abort();
    }
}
