//! The fake kernel as the futex thread sees it: one method per kernel API
//! that `get_futex_key()` calls (`api`), on pointers as the futex code
//! holds them ([`ptr`]). Each method is a yield point (the scheduler runs
//! concurrent event steps first), then performs its operation on the world.
//! The C revisions reach these methods through `ffi`; Rust ports call them
//! directly, so both run on the same semantics.
//!
//! While a call runs, the kernel also keeps what the oracles need: the
//! reference result on every world state the call saw ([`Observation`]),
//! and the references the thread holds ([`Ledger`]).
//!
//! A method returns `Err(Abort)` when the thread cannot go on: a deadlock,
//! a livelock past the retry bound, a wild pointer, or a harness error. The
//! reason is recorded before it returns.

mod api;
pub mod ptr;

pub use ptr::{Atomic64Ptr, AtomicPtr, Counter, Counter64, InodePtr, MappingPtr, MmPtr, PagePtr};

use crate::abi::EFAULT;
use crate::finding::FindingClass;
use crate::op::Op;
use crate::reference::{self, CallSpec, Expected};
use crate::sched::Scheduler;
use crate::schedule::CallRef;
use crate::trace::{Arg, Trace};
use crate::world::page::{Blocker, Wait};
use crate::world::{Actor, InodeId, InodeRef, MmId, PageId, PageRef, World};

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

/// References the futex thread took and has not dropped, per object.
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
    /// A page GUP found for the call (a compound head) left its page cache
    /// (truncation, hole punch, invalidation, eviction) while the call ran.
    pub found_page_truncated: bool,
    /// `should_fail()` failed the call on purpose (fail_futex).
    pub fault_injected: bool,
}

pub struct Kernel {
    pub world: World,
    pub sched: Scheduler,
    pub trace: Trace,
    /// Yield points so far in this execution (they number the schedule).
    yields: u32,
    /// Yield points in the current call, against `retry_bound`.
    call_yields: u32,
    pub retry_bound: u32,
    /// The C source line of the call being made, when a C revision makes it.
    pub site: Option<u32>,
    /// A failure of the harness itself (not of the revision).
    pub harness_error: Option<String>,
    /// RCU frees started by the thread's own iput, waiting for a grace period.
    deferred_frees: Vec<InodeId>,
    pub ledger: Ledger,
    /// The `get_futex_key()` being observed, if any.
    observing: Option<CallSpec>,
    observation: Observation,
    truncations_at_entry: usize,
    /// The pages GUP found for the observed call (compound heads).
    found: Vec<PageRef>,
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
            call_yields: 0,
            retry_bound: DEFAULT_RETRY_BOUND,
            site: None,
            harness_error: None,
            deferred_frees: Vec::new(),
            ledger: Ledger::default(),
            observing: None,
            observation: Observation::default(),
            truncations_at_entry: 0,
            found: Vec::new(),
        }
    }

    pub fn yields(&self) -> u32 {
        self.yields
    }

    /// Starts `call` from `mm` (a `put_futex_key()`, or a `get` not
    /// observed): its retry budget starts afresh, and what the schedule
    /// places at its start runs. `Err` when the harness fails there.
    pub fn begin_call(&mut self, mm: MmId, call: CallRef) -> Result<(), Abort> {
        self.world.thread.mm = Some(mm);
        self.call_yields = 0;
        self.observing = None;
        if let Err(e) = self
            .sched
            .begin_call(call, &mut self.world, &mut self.trace)
        {
            return self.fail(e.to_string());
        }
        self.retry_deferred_frees();
        Ok(())
    }

    /// Starts the scenario's `get_futex_key()` number `index` and observes
    /// the world it sees.
    pub fn begin_get(&mut self, index: usize, call: CallSpec) -> Result<(), Abort> {
        self.begin_call(call.mm, CallRef::Get(index))?;
        self.observing = Some(call);
        self.observation = Observation::default();
        self.truncations_at_entry = self.world.truncations().len();
        self.found.clear();
        self.observe();
        Ok(())
    }

    /// Ends the observed call and hands over what it saw.
    pub fn end_get(&mut self) -> Observation {
        self.observe();
        let mut observation = std::mem::take(&mut self.observation);
        let truncated = &self.world.truncations()[self.truncations_at_entry..];
        observation.found_page_truncated = truncated.iter().any(|p| self.found.contains(p));
        self.observing = None;
        observation
    }

    /// Notes a page GUP handed to the observed call.
    fn observe_found(&mut self, page: PageId) {
        if self.observing.is_some() {
            let head = self.world.head_of(page);
            self.found.push(self.world.page_ref(head));
        }
    }

    fn observe(&mut self) {
        if let Some(call) = self.observing {
            let now = reference::expected(&self.world, call);
            // Only a failed write request leads to the read-only retry; on
            // a writable vma it fails exactly when the state means -EFAULT.
            let retrying = !call.write
                && call.shared
                && (now == Expected::Error(-EFAULT)
                    || !self.observation.read_only_retry.is_empty());
            if retrying {
                let retry = reference::read_only_retry(&self.world, call);
                if !self.observation.read_only_retry.contains(&retry) {
                    self.observation.read_only_retry.push(retry);
                }
            }
            if self.observation.expected.last() != Some(&now) {
                let at = if self.observation.expected.is_empty() {
                    0
                } else {
                    self.yields
                };
                self.observation.expected.push(now);
                self.observation.since.push(at);
            }
        }
    }

    /// A yield point: numbers it, traces it, bounds retries, lets the
    /// scheduled events run, and observes the world they leave.
    fn enter(&mut self, op: Op, arg: Arg) -> Result<(), Abort> {
        self.yields += 1;
        self.call_yields += 1;
        self.trace
            .yield_point(self.yields, op, arg, self.site.take());
        if self.call_yields > self.retry_bound && !self.let_others_run()? {
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
        if let Err(e) = self
            .sched
            .at_yield(self.yields, op, expr, &mut self.world, &mut self.trace)
        {
            return self.fail(e.to_string());
        }
        self.retry_deferred_frees();
        self.observe();
        Ok(())
    }

    /// The thread has spun past the retry bound. A retry loop that only
    /// waits for an event half done (an eviction the schedule paused, say)
    /// is not a livelock: other CPUs would finish it. So every started event
    /// runs to its end and the thread gets a new budget; only a thread that
    /// still spins once nothing else can move is livelocked.
    fn let_others_run(&mut self) -> Result<bool, Abort> {
        match self
            .sched
            .run_started_to_end(&mut self.world, &mut self.trace)
        {
            Ok(true) => {
                let bound = self.retry_bound;
                self.trace.note(|| {
                    format!(
                        "spinning past {bound} yield points: the started events run to their end"
                    )
                });
                self.call_yields = 0;
                Ok(true)
            }
            Ok(false) => Ok(false),
            Err(e) => self.fail(e.to_string()),
        }
    }

    fn fail<T>(&mut self, message: String) -> Result<T, Abort> {
        self.trace.note(|| format!("harness error: {message}"));
        self.harness_error.get_or_insert(message);
        Err(Abort)
    }

    fn retry_deferred_frees(&mut self) {
        let world = &mut self.world;
        self.deferred_frees
            .retain(|&inode| world.rcu_free_inode(inode) == Wait::Blocked(Blocker::RcuReader));
    }

    /// Waits for what blocks the thread: runs the event holding a page
    /// lock until it releases it. Anything else is a deadlock.
    fn wait_for(&mut self, blocker: Blocker) -> Result<(), Abort> {
        let Blocker::PageLock(page, Actor::Event(event)) = blocker else {
            self.world.report(
                FindingClass::Deadlock,
                format!(
                    "the futex thread waits for itself: {}",
                    self.sched.describe(&blocker)
                ),
            );
            return Err(Abort);
        };
        let holder = self.sched.name(event).to_string();
        let name = self.world.page_name(page);
        self.trace
            .note(|| format!("sleeps: {name} is locked by {holder}"));
        let released = self
            .sched
            .run_until(event, &mut self.world, &mut self.trace, |w| {
                w.lock_owner(page) != Some(Actor::Event(event))
            });
        match released {
            Err(e) => self.fail(e.to_string()),
            Ok(Ok(())) if self.world.lock_owner(page) != Some(Actor::Event(event)) => Ok(()),
            Ok(Ok(())) => {
                self.world.report(
                    FindingClass::Deadlock,
                    format!(
                        "{holder} finished holding the lock of {name} the futex thread waits for"
                    ),
                );
                Err(Abort)
            }
            Ok(Err(waits)) => {
                let why = self.sched.describe(&waits);
                self.world.report(
                    FindingClass::Deadlock,
                    format!(
                        "the futex thread waits for {name} held by {holder}, which waits: {why}"
                    ),
                );
                Err(Abort)
            }
        }
    }

    /// Releases the page locks, RCU section and irqs-off the thread still
    /// holds. After an aborted call they were cut short by the abort, not
    /// left behind by the revision, so this alone runs, without a report.
    pub fn reset_after_abort(&mut self) {
        self.world.thread.rcu_depth = 0;
        self.world.thread.irqs_off = false;
        for page in self.world.pages_locked_by(Actor::Thread) {
            self.world.unlock_page(page, Actor::Thread);
        }
        self.retry_deferred_frees();
    }

    /// After a call returns: the page locks, RCU and irqs it took must be
    /// released. Reports what is not, and releases it so later calls of
    /// the scenario start clean.
    pub fn check_balanced(&mut self, what: &str) {
        if self.world.thread.rcu_depth > 0 {
            self.world.report(
                FindingClass::RcuImbalance,
                format!("{what} returns inside an RCU read section"),
            );
        }
        if self.world.thread.irqs_off {
            self.world.report(
                FindingClass::LockImbalance,
                format!("{what} returns with irqs disabled"),
            );
        }
        for page in self.world.pages_locked_by(Actor::Thread) {
            let name = self.world.page_name(page);
            self.world.report(
                FindingClass::LockImbalance,
                format!("{what} returns holding the lock of {name}"),
            );
        }
        self.reset_after_abort();
    }
}
