//! The fake kernel as the futex thread sees it: one method per kernel API
//! that `get_futex_key()` calls. Each method is a yield point (the
//! scheduler runs concurrent event steps first), then performs its
//! operation on the world. The C revisions reach these methods through
//! `ffi`; Rust ports call them directly, so both run on the same
//! semantics.
//!
//! A method returns `Err(Abort)` when the thread cannot go on: a deadlock,
//! a livelock past the retry bound, or a harness error. The reason is
//! recorded before it returns.

use crate::finding::FindingClass;
use crate::sched::Scheduler;
use crate::trace::{Entry, Op, Trace};
use crate::world::fault::{Gup, EFAULT};
use crate::world::page::Blocker;
use crate::world::{Actor, InodeId, MmId, PageId, World, TASK_SIZE};

/// The thread cannot continue; see the findings or `harness_error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Abort;

/// A counter that `atomic_inc()` / `atomic_inc_not_zero()` may be handed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    MmCount(MmId),
    ICount(InodeId),
    PageCount(PageId),
}

/// Default bound on yield points in one call before it is a livelock.
pub const DEFAULT_RETRY_BOUND: u32 = 2000;

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
}

impl Kernel {
    pub fn new(world: World, sched: Scheduler) -> Kernel {
        Kernel {
            world,
            sched,
            trace: Trace::default(),
            yields: 0,
            call_yields: 0,
            retry_bound: DEFAULT_RETRY_BOUND,
            site: None,
            harness_error: None,
            deferred_frees: Vec::new(),
        }
    }

    pub fn yields(&self) -> u32 {
        self.yields
    }

    /// Starts a call from `mm`: its retry budget starts afresh.
    pub fn begin_call(&mut self, mm: MmId) {
        self.world.thread.mm = Some(mm);
        self.call_yields = 0;
    }

    /// A yield point: numbers it, traces it, bounds retries and lets the
    /// scheduled events run.
    fn enter(&mut self, op: Op, arg: String) -> Result<(), Abort> {
        self.yields += 1;
        self.call_yields += 1;
        self.trace.push(Entry::Yield {
            n: self.yields,
            op,
            arg,
            line: self.site.take(),
        });
        if self.call_yields > self.retry_bound {
            self.world.report(
                FindingClass::Livelock,
                format!(
                    "no return after {} yield points (the retry bound)",
                    self.retry_bound
                ),
            );
            return Err(Abort);
        }
        if let Err(e) = self
            .sched
            .at_yield(self.yields, &mut self.world, &mut self.trace)
        {
            return self.fail(e.to_string());
        }
        self.retry_deferred_frees();
        Ok(())
    }

    fn fail<T>(&mut self, message: String) -> Result<T, Abort> {
        self.trace
            .push(Entry::Thread(format!("harness error: {message}")));
        self.harness_error.get_or_insert(message);
        Err(Abort)
    }

    fn retry_deferred_frees(&mut self) {
        let world = &mut self.world;
        self.deferred_frees.retain(|&inode| {
            world.rcu_free_inode(inode) == crate::world::page::Wait::Blocked(Blocker::RcuReader)
        });
    }

    /// Checks an object handed to the kernel API is still allocated.
    fn check_page(&mut self, op: Op, page: PageId) {
        if !self.world.page_live(page) {
            let what = if page.0 == 0 {
                "a poisoned page pointer".to_string()
            } else {
                format!("freed page#{}", page.0)
            };
            self.world.report(
                FindingClass::UseAfterFree,
                format!("{}() on {what}", op.name()),
            );
        }
    }

    fn check_inode(&mut self, op: Op, inode: InodeId) -> bool {
        let live = self.world.inode_live(inode);
        if !live {
            let what = if inode.0 == 0 {
                "a poisoned inode pointer".to_string()
            } else {
                format!("freed inode#{}", inode.0)
            };
            self.world.report(
                FindingClass::UseAfterFree,
                format!("{}() on {what}", op.name()),
            );
        }
        live
    }

    fn check_mm(&mut self, op: Op, mm: MmId) -> bool {
        let live = self.world.mm_live(mm);
        if !live {
            self.world.report(
                FindingClass::UseAfterFree,
                format!("{}() on freed mm#{}", op.name(), mm.0),
            );
        }
        live
    }

    fn page_arg(&self, page: PageId) -> String {
        self.world.page_name(page)
    }

    /// `current->mm`; not a yield point.
    pub fn current_mm(&self) -> MmId {
        self.world.thread.mm.expect("a call is in progress")
    }

    /// `WARN_ON()` and friends; not a yield point.
    pub fn warn(&mut self, text: String) {
        self.trace.push(Entry::Thread(format!("WARNING: {text}")));
        self.world.report(FindingClass::Warn, text);
    }

    /// `READ_ONCE(x)` / `ACCESS_ONCE(x)`: only a yield point.
    pub fn read_once(&mut self, what: String) -> Result<(), Abort> {
        self.enter(Op::ReadOnce, what)
    }

    pub fn access_ok(&mut self, addr: u64, size: u64) -> Result<bool, Abort> {
        self.enter(Op::AccessOk, format!("{addr:#x}, {size}"))?;
        Ok(addr.checked_add(size).is_some_and(|end| end <= TASK_SIZE))
    }

    /// `should_fail()` of fail_futex: true once after a `fail` event.
    pub fn should_fail(&mut self) -> Result<bool, Abort> {
        self.enter(Op::ShouldFail, String::new())?;
        Ok(std::mem::take(&mut self.world.thread.fault_armed))
    }

    /// `get_user_pages_fast(addr, 1, write, &page)`: the page with a
    /// reference, or a negative errno.
    pub fn get_user_pages_fast(
        &mut self,
        addr: u64,
        write: bool,
    ) -> Result<Result<PageId, i32>, Abort> {
        self.enter(
            Op::GetUserPagesFast,
            format!("{addr:#x}, write={}", u8::from(write)),
        )?;
        let mm = self.current_mm();
        loop {
            match self.world.gup(mm, addr, write, true) {
                Gup::Page(page) => return Ok(Ok(page)),
                Gup::Error(e) => return Ok(Err(e)),
                Gup::NotPresent => return Ok(Err(-EFAULT)),
                Gup::Blocked(b) => self.wait_for(b)?,
            }
        }
    }

    /// `__get_user_pages_fast(addr, 1, write, &page)`: no faults.
    pub fn get_user_pages_fast_irq(
        &mut self,
        addr: u64,
        write: bool,
    ) -> Result<Option<PageId>, Abort> {
        self.enter(
            Op::GetUserPagesFastIrq,
            format!("{addr:#x}, write={}", u8::from(write)),
        )?;
        let mm = self.current_mm();
        Ok(match self.world.gup(mm, addr, write, false) {
            Gup::Page(page) => Some(page),
            _ => None,
        })
    }

    pub fn page_tail(&mut self, page: PageId) -> Result<bool, Abort> {
        self.enter(Op::PageTail, self.page_arg(page))?;
        self.check_page(Op::PageTail, page);
        Ok(self.world.is_tail(page))
    }

    pub fn page_anon(&mut self, page: PageId) -> Result<bool, Abort> {
        self.enter(Op::PageAnon, self.page_arg(page))?;
        self.check_page(Op::PageAnon, page);
        Ok(self.world.page_is_anon(page))
    }

    pub fn page_swap_cache(&mut self, page: PageId) -> Result<bool, Abort> {
        self.enter(Op::PageSwapCache, self.page_arg(page))?;
        self.check_page(Op::PageSwapCache, page);
        Ok(self.world.page_live(page) && self.world.is_swap_cache(page))
    }

    pub fn compound_head(&mut self, page: PageId) -> Result<PageId, Abort> {
        self.enter(Op::CompoundHead, self.page_arg(page))?;
        self.check_page(Op::CompoundHead, page);
        Ok(self.world.head_of(page))
    }

    pub fn basepage_index(&mut self, page: PageId) -> Result<u64, Abort> {
        self.enter(Op::BasepageIndex, self.page_arg(page))?;
        self.check_page(Op::BasepageIndex, page);
        Ok(self.world.basepage_index(page))
    }

    pub fn get_page(&mut self, page: PageId) -> Result<(), Abort> {
        self.enter(Op::GetPage, self.page_arg(page))?;
        self.check_page(Op::GetPage, page);
        if self.world.page_live(page) {
            self.world.get_page(page);
        }
        Ok(())
    }

    pub fn put_page(&mut self, page: PageId) -> Result<(), Abort> {
        self.enter(Op::PutPage, self.page_arg(page))?;
        self.check_page(Op::PutPage, page);
        if self.world.page_live(page) {
            self.world.put_page(page);
        }
        Ok(())
    }

    /// `lock_page()`: sleeps while an event holds the lock, which lets
    /// that event run until it unlocks.
    pub fn lock_page(&mut self, page: PageId) -> Result<(), Abort> {
        self.enter(Op::LockPage, self.page_arg(page))?;
        self.check_page(Op::LockPage, page);
        if !self.world.page_live(page) {
            return Ok(());
        }
        loop {
            match self.world.try_lock_page(page, Actor::Thread) {
                crate::world::page::Wait::Blocked(b) => self.wait_for(b)?,
                _ => return Ok(()),
            }
        }
    }

    pub fn unlock_page(&mut self, page: PageId) -> Result<(), Abort> {
        self.enter(Op::UnlockPage, self.page_arg(page))?;
        self.check_page(Op::UnlockPage, page);
        if self.world.page_live(page) && !self.world.unlock_page(page, Actor::Thread) {
            let name = self.world.page_name(page);
            self.world.report(
                FindingClass::LockImbalance,
                format!("unlock_page({name}) without holding its lock"),
            );
        }
        Ok(())
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
        self.trace.push(Entry::Thread(format!(
            "sleeps: {name} is locked by {holder}"
        )));
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

    pub fn ihold(&mut self, inode: InodeId) -> Result<(), Abort> {
        self.enter(Op::Ihold, format!("inode#{}", inode.0))?;
        if self.check_inode(Op::Ihold, inode) {
            self.world.ihold(inode);
        }
        Ok(())
    }

    /// `iput()`: the last reference evicts the inode in the thread's context.
    pub fn iput(&mut self, inode: InodeId) -> Result<(), Abort> {
        self.enter(Op::Iput, format!("inode#{}", inode.0))?;
        if !self.check_inode(Op::Iput, inode) || !self.world.iput(inode) {
            return Ok(());
        }
        self.trace.push(Entry::Thread(format!(
            "last reference: evicts inode#{}",
            inode.0
        )));
        loop {
            match self.world.evict_now(inode, Actor::Thread) {
                Ok(()) => return Ok(()),
                Err(Blocker::RcuReader) => {
                    self.deferred_frees.push(inode);
                    return Ok(());
                }
                // Truncation sleeps on a page lock an event holds.
                Err(b @ Blocker::PageLock(_, Actor::Event(_))) => self.wait_for(b)?,
                Err(b) => {
                    let why = self.sched.describe(&b);
                    self.world.report(
                        FindingClass::Deadlock,
                        format!("iput(inode#{}) evicts and waits: {why}", inode.0),
                    );
                    return Err(Abort);
                }
            }
        }
    }

    pub fn mmdrop(&mut self, mm: MmId) -> Result<(), Abort> {
        self.enter(Op::Mmdrop, format!("mm#{}", mm.0))?;
        if self.check_mm(Op::Mmdrop, mm) {
            self.world.mmdrop(mm);
        }
        Ok(())
    }

    fn counter_arg(counter: Counter) -> String {
        match counter {
            Counter::MmCount(m) => format!("mm#{}.mm_count", m.0),
            Counter::ICount(i) => format!("inode#{}.i_count", i.0),
            Counter::PageCount(p) => format!("page#{}._count", p.0),
        }
    }

    pub fn atomic_inc(&mut self, counter: Counter) -> Result<(), Abort> {
        self.enter(Op::AtomicInc, Self::counter_arg(counter))?;
        match counter {
            Counter::MmCount(mm) => {
                if self.check_mm(Op::AtomicInc, mm) {
                    self.world.mmgrab(mm);
                }
            }
            Counter::ICount(inode) => {
                if self.check_inode(Op::AtomicInc, inode) {
                    self.world.ihold(inode);
                }
            }
            Counter::PageCount(page) => {
                self.check_page(Op::AtomicInc, page);
                if self.world.page_live(page) {
                    self.world.get_page(page);
                }
            }
        }
        Ok(())
    }

    /// `atomic_inc_not_zero()`: false when the count is zero. On a freed
    /// object the poison pattern reads as non-zero, as slab poison would.
    pub fn atomic_inc_not_zero(&mut self, counter: Counter) -> Result<bool, Abort> {
        self.enter(Op::AtomicIncNotZero, Self::counter_arg(counter))?;
        Ok(match counter {
            Counter::ICount(inode) => {
                if !self.check_inode(Op::AtomicIncNotZero, inode) {
                    true
                } else if self.world.i_count(inode) == 0 {
                    false
                } else {
                    self.world.ihold(inode);
                    true
                }
            }
            Counter::MmCount(mm) => {
                if !self.check_mm(Op::AtomicIncNotZero, mm) {
                    true
                } else if self.world.mm_count(mm) == 0 {
                    false
                } else {
                    self.world.mmgrab(mm);
                    true
                }
            }
            Counter::PageCount(page) => {
                self.check_page(Op::AtomicIncNotZero, page);
                if self.world.page_live(page) && self.world.page_count(page) > 0 {
                    self.world.get_page(page);
                    true
                } else {
                    !self.world.page_live(page)
                }
            }
        })
    }

    pub fn rcu_read_lock(&mut self) -> Result<(), Abort> {
        self.enter(Op::RcuReadLock, String::new())?;
        let thread = &mut self.world.thread;
        if thread.rcu_depth == 0 {
            thread.rcu_section += 1;
        }
        thread.rcu_depth += 1;
        Ok(())
    }

    pub fn rcu_read_unlock(&mut self) -> Result<(), Abort> {
        self.enter(Op::RcuReadUnlock, String::new())?;
        if self.world.thread.rcu_depth == 0 {
            self.world.report(
                FindingClass::RcuImbalance,
                "rcu_read_unlock() outside a read section",
            );
        } else {
            self.world.thread.rcu_depth -= 1;
        }
        Ok(())
    }

    pub fn local_irq_disable(&mut self) -> Result<(), Abort> {
        self.enter(Op::LocalIrqDisable, String::new())?;
        self.world.thread.irqs_off = true;
        Ok(())
    }

    pub fn local_irq_enable(&mut self) -> Result<(), Abort> {
        self.enter(Op::LocalIrqEnable, String::new())?;
        self.world.thread.irqs_off = false;
        Ok(())
    }

    /// After an aborted call: its page locks, RCU section and irqs-off were
    /// cut short by the abort, not left behind by the revision, so they are
    /// released without a report.
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
        let thread = &mut self.world.thread;
        let rcu = std::mem::take(&mut thread.rcu_depth);
        let irqs = std::mem::take(&mut thread.irqs_off);
        if rcu > 0 {
            self.world.report(
                FindingClass::RcuImbalance,
                format!("{what} returns inside an RCU read section"),
            );
        }
        if irqs {
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
            self.world.unlock_page(page, Actor::Thread);
        }
        self.retry_deferred_frees();
    }
}
