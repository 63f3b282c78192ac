//! The kernel API calls `get_futex_key()` makes, each a yield point. Their
//! names and arguments follow the kernel's; pointers are resolved against
//! the world, an object found freed is a use-after-free finding, and every
//! reference the thread takes or drops goes into the ledger.

use super::ptr::{Atomic64Ptr, AtomicPtr, Counter, Counter64, InodePtr, MmPtr, PagePtr};
use super::{Abort, Held, Kernel};
use crate::abi::EFAULT;
use crate::era::CompoundRefs;
use crate::finding::FindingClass;
use crate::op::Op;
use crate::trace::Arg;
use crate::world::fault::Gup;
use crate::world::page::{Blocker, Wait};
use crate::world::{InodeId, MmId, ObjectName, PageId, TASK_SIZE};

impl Kernel {
    fn check_page(&mut self, op: Op, page: PageId) -> bool {
        let live = self.world.page_live(page);
        if !live {
            let what = match page.0 {
                0 => "a poisoned page pointer".to_string(),
                p => format!("freed page#{p}"),
            };
            self.world.report(
                FindingClass::UseAfterFree,
                format!("{}() on {what}", op.name()),
            );
        }
        live
    }

    fn check_inode(&mut self, op: Op, inode: InodeId) -> bool {
        let live = self.world.inode_live(inode);
        if !live {
            let what = match inode.0 {
                0 => "a poisoned inode pointer".to_string(),
                i => format!("freed inode#{i}"),
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

    /// Books a page reference taken (`delta > 0`) or dropped, where the
    /// era counts it. With tail refcounting a reference is booked on the
    /// page it was taken through; while that page is part of a compound
    /// page, dropping it through any page of the compound (its head, say)
    /// settles it, as the count lives on the head, and after a THP split
    /// each tail's references are its own. Without it (4.5+) every
    /// reference is booked on the compound head of the moment.
    fn hold_page(&mut self, page: PageId, delta: i32) {
        if self.world.era.rules().compound_refs == CompoundRefs::HeadOnly {
            let head = self.world.head_of(page);
            self.ledger_mut().add(Held::Page(head), delta);
            return;
        }
        if delta > 0 {
            self.ledger_mut().add(Held::Page(page), delta);
            return;
        }
        let head = self.world.head_of(page);
        let world = &self.world;
        let ledger = self.ledger();
        let settles = ledger
            .positive_where(|held| matches!(held, Held::Page(q) if *q == page))
            .or_else(|| {
                ledger.positive_where(
                    |held| matches!(held, Held::Page(q) if world.head_of(*q) == head),
                )
            })
            .unwrap_or(Held::Page(page));
        self.ledger_mut().add(settles, delta);
    }

    fn hold_inode(&mut self, inode: InodeId, delta: i32) {
        let held = Held::Inode(self.world.inode_ref(inode));
        self.ledger_mut().add(held, delta);
    }

    /// Resolves a page pointer and enters the yield point of `op` on it.
    fn enter_page(&mut self, op: Op, page: PagePtr) -> Result<PageId, Abort> {
        let id = self.page_id(page)?;
        self.enter(op, Arg::Object(self.world.page_label(id)))?;
        Ok(id)
    }

    /// `WARN_ON(cond)` (or `WARN_ON_ONCE`, named by `macro_name`) firing;
    /// not a yield point. The finding names the macro and condition only,
    /// so C and Rust agree; the trace adds where it fired, when known.
    pub fn warn(&mut self, macro_name: &str, cond: &str, site: Option<String>) {
        let text = format!("{macro_name}({cond})");
        self.trace.note(|| {
            let at = site.map(|s| format!(" at {s}")).unwrap_or_default();
            format!("WARNING: {text}{at}")
        });
        self.world.report(FindingClass::Warn, text);
    }

    /// `READ_ONCE(x)` / `ACCESS_ONCE(x)` of the word at `addr`: only a
    /// yield point. `expr` is the expression as the source writes it.
    pub fn read_once(&mut self, addr: usize, expr: &'static str) -> Result<(), Abort> {
        let place = self.world.place(addr);
        self.enter(Op::ReadOnce, Arg::Read { expr, place })
    }

    pub fn access_ok(&mut self, addr: u64, size: u64) -> Result<bool, Abort> {
        self.enter(Op::AccessOk, Arg::Range { addr, size })?;
        Ok(addr.checked_add(size).is_some_and(|end| end <= TASK_SIZE))
    }

    /// `should_fail()` of fail_futex: true once after a `fail` event.
    pub fn should_fail(&mut self) -> Result<bool, Abort> {
        self.enter(Op::ShouldFail, Arg::None)?;
        let fail = std::mem::take(&mut self.world.fault_armed);
        let t = self.world.running;
        self.tasks[t].observation.fault_injected |= fail;
        Ok(fail)
    }

    /// `get_user_pages_fast(addr, 1, write, &page)`: the page with a
    /// reference, or a negative errno.
    pub fn get_user_pages_fast(
        &mut self,
        addr: u64,
        write: bool,
    ) -> Result<Result<PagePtr, i32>, Abort> {
        self.enter(Op::GetUserPagesFast, Arg::Gup { addr, write })?;
        let mm = self.world.thread().mm.expect("a call is in progress");
        loop {
            match self.world.gup(mm, addr, write, true, self.world.actor()) {
                Gup::Page(page) => {
                    self.hold_page(page, 1);
                    self.observe_found(page);
                    return Ok(Ok(self.page_ptr(page)));
                }
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
    ) -> Result<Option<PagePtr>, Abort> {
        self.enter(Op::GetUserPagesFastIrq, Arg::Gup { addr, write })?;
        let mm = self.world.thread().mm.expect("a call is in progress");
        Ok(
            match self.world.gup(mm, addr, write, false, self.world.actor()) {
                Gup::Page(page) => {
                    self.hold_page(page, 1);
                    self.observe_found(page);
                    Some(self.page_ptr(page))
                }
                _ => None,
            },
        )
    }

    pub fn page_tail(&mut self, page: PagePtr) -> Result<bool, Abort> {
        let id = self.enter_page(Op::PageTail, page)?;
        self.check_page(Op::PageTail, id);
        Ok(self.world.is_tail(id))
    }

    pub fn page_anon(&mut self, page: PagePtr) -> Result<bool, Abort> {
        self.test_anon(Op::PageAnon, page)
    }

    /// `folio_test_anon()` (6.x): `PageAnon()` of the folio's head.
    pub fn folio_test_anon(&mut self, folio: PagePtr) -> Result<bool, Abort> {
        self.test_anon(Op::FolioTestAnon, folio)
    }

    fn test_anon(&mut self, op: Op, page: PagePtr) -> Result<bool, Abort> {
        let id = self.enter_page(op, page)?;
        self.check_page(op, id);
        Ok(self.world.page_is_anon(id))
    }

    pub fn page_swap_cache(&mut self, page: PagePtr) -> Result<bool, Abort> {
        self.test_swap_cache(Op::PageSwapCache, page)
    }

    /// `folio_test_swapcache()` (6.x).
    pub fn folio_test_swapcache(&mut self, folio: PagePtr) -> Result<bool, Abort> {
        self.test_swap_cache(Op::FolioTestSwapcache, folio)
    }

    fn test_swap_cache(&mut self, op: Op, page: PagePtr) -> Result<bool, Abort> {
        let id = self.enter_page(op, page)?;
        Ok(self.check_page(op, id) && self.world.is_swap_cache(id))
    }

    pub fn compound_head(&mut self, page: PagePtr) -> Result<PagePtr, Abort> {
        self.head_as(Op::CompoundHead, page)
    }

    /// `page_folio()` (6.x): the folio a page belongs to, which the model
    /// lays over its head page.
    pub fn page_folio(&mut self, page: PagePtr) -> Result<PagePtr, Abort> {
        self.head_as(Op::PageFolio, page)
    }

    fn head_as(&mut self, op: Op, page: PagePtr) -> Result<PagePtr, Abort> {
        let id = self.enter_page(op, page)?;
        self.check_page(op, id);
        let head = self.world.head_of(id);
        Ok(self.page_ptr(head))
    }

    pub fn basepage_index(&mut self, page: PagePtr) -> Result<u64, Abort> {
        let id = self.enter_page(Op::BasepageIndex, page)?;
        self.check_page(Op::BasepageIndex, id);
        Ok(self.world.basepage_index(id))
    }

    pub fn get_page(&mut self, page: PagePtr) -> Result<(), Abort> {
        let id = self.enter_page(Op::GetPage, page)?;
        if self.check_page(Op::GetPage, id) {
            self.world.get_page(id);
            self.hold_page(id, 1);
        }
        Ok(())
    }

    pub fn put_page(&mut self, page: PagePtr) -> Result<(), Abort> {
        self.put_as(Op::PutPage, page)
    }

    /// `folio_put()` (6.x): `put_page()` of the folio's head.
    pub fn folio_put(&mut self, folio: PagePtr) -> Result<(), Abort> {
        self.put_as(Op::FolioPut, folio)
    }

    fn put_as(&mut self, op: Op, page: PagePtr) -> Result<(), Abort> {
        let id = self.enter_page(op, page)?;
        if self.check_page(op, id) {
            self.hold_page(id, -1);
            self.world.put_page(id);
        }
        Ok(())
    }

    /// `lock_page()`: sleeps while an event holds the lock, which lets
    /// that event run until it unlocks.
    pub fn lock_page(&mut self, page: PagePtr) -> Result<(), Abort> {
        self.lock_as(Op::LockPage, page)
    }

    /// `folio_lock()` (6.x): the lock of the folio's head page.
    pub fn folio_lock(&mut self, folio: PagePtr) -> Result<(), Abort> {
        self.lock_as(Op::FolioLock, folio)
    }

    fn lock_as(&mut self, op: Op, page: PagePtr) -> Result<(), Abort> {
        let id = self.enter_page(op, page)?;
        if !self.check_page(op, id) {
            return Ok(());
        }
        loop {
            match self.world.try_lock_page(id, self.world.actor()) {
                Wait::Blocked(b) => self.wait_for(b)?,
                _ => return Ok(()),
            }
        }
    }

    pub fn unlock_page(&mut self, page: PagePtr) -> Result<(), Abort> {
        self.unlock_as(Op::UnlockPage, page)
    }

    /// `folio_unlock()` (6.x).
    pub fn folio_unlock(&mut self, folio: PagePtr) -> Result<(), Abort> {
        self.unlock_as(Op::FolioUnlock, folio)
    }

    fn unlock_as(&mut self, op: Op, page: PagePtr) -> Result<(), Abort> {
        let id = self.enter_page(op, page)?;
        if self.check_page(op, id) && !self.world.unlock_page(id, self.world.actor()) {
            let name = self.world.page_name(id);
            self.world.report(
                FindingClass::LockImbalance,
                format!("{}({name}) without holding its lock", op.name()),
            );
        }
        Ok(())
    }

    pub fn ihold(&mut self, inode: InodePtr) -> Result<(), Abort> {
        let id = self.inode_id(inode)?;
        self.enter(Op::Ihold, Arg::Object(ObjectName::Inode(id)))?;
        if self.check_inode(Op::Ihold, id) {
            self.world.ihold(id);
            self.hold_inode(id, 1);
        }
        Ok(())
    }

    /// `iput()`: the last reference evicts the inode in the thread's context.
    pub fn iput(&mut self, inode: InodePtr) -> Result<(), Abort> {
        let id = self.inode_id(inode)?;
        self.enter(Op::Iput, Arg::Object(ObjectName::Inode(id)))?;
        if !self.check_inode(Op::Iput, id) {
            return Ok(());
        }
        self.hold_inode(id, -1);
        if !self.world.iput(id) {
            return Ok(());
        }
        self.trace
            .note(|| format!("last reference: evicts inode#{}", id.0));
        loop {
            match self.world.evict_now(id, self.world.actor()) {
                Ok(()) => return Ok(()),
                Err(Blocker::RcuReader(_)) => {
                    self.deferred_frees.push(id);
                    return Ok(());
                }
                // Truncation sleeps on a page lock an event holds.
                Err(b @ Blocker::PageLock(_, owner)) if owner != self.world.actor() => {
                    self.wait_for(b)?
                }
                Err(b) => {
                    let why = self.sched.describe(&b);
                    self.world.report(
                        FindingClass::Deadlock,
                        format!("iput(inode#{}) evicts and waits: {why}", id.0),
                    );
                    return Err(Abort);
                }
            }
        }
    }

    pub fn mmdrop(&mut self, mm: MmPtr) -> Result<(), Abort> {
        let id = self.mm_id(mm)?;
        self.enter(Op::Mmdrop, Arg::Object(ObjectName::Mm(id)))?;
        if self.check_mm(Op::Mmdrop, id) {
            self.ledger_mut().add(Held::Mm(id), -1);
            self.world.mmdrop(id);
        }
        Ok(())
    }

    /// `mmgrab()`: one more `mm_count`.
    pub fn mmgrab(&mut self, mm: MmPtr) -> Result<(), Abort> {
        let id = self.mm_id(mm)?;
        self.enter(Op::Mmgrab, Arg::Object(ObjectName::Mm(id)))?;
        if self.check_mm(Op::Mmgrab, id) {
            self.world.mmgrab(id);
            self.ledger_mut().add(Held::Mm(id), 1);
        }
        Ok(())
    }

    pub fn page_to_pgoff(&mut self, page: PagePtr) -> Result<u64, Abort> {
        let id = self.enter_page(Op::PageToPgoff, page)?;
        self.check_page(Op::PageToPgoff, id);
        Ok(self.world.page_to_pgoff(id))
    }

    pub fn atomic64_read(&mut self, v: Atomic64Ptr) -> Result<i64, Abort> {
        let counter = self.counter64(v)?;
        self.enter(Op::Atomic64Read, Arg::Counter64(counter))?;
        Ok(self.read64(Op::Atomic64Read, counter))
    }

    pub fn atomic64_add_return(&mut self, i: i64, v: Atomic64Ptr) -> Result<i64, Abort> {
        let counter = self.counter64(v)?;
        self.enter(Op::Atomic64AddReturn, Arg::Counter64(counter))?;
        let value = self.read64(Op::Atomic64AddReturn, counter).wrapping_add(i);
        self.write64(counter, value);
        Ok(value)
    }

    /// `atomic64_cmpxchg()` (and its `_relaxed` form): the old value.
    pub fn atomic64_cmpxchg(&mut self, v: Atomic64Ptr, old: i64, new: i64) -> Result<i64, Abort> {
        let counter = self.counter64(v)?;
        self.enter(Op::Atomic64Cmpxchg, Arg::Counter64(counter))?;
        let current = self.read64(Op::Atomic64Cmpxchg, counter);
        if current == old {
            self.write64(counter, new);
        }
        Ok(current)
    }

    /// A 64-bit counter's value; a freed inode's reads as its poison.
    fn read64(&mut self, op: Op, counter: Counter64) -> i64 {
        match counter {
            Counter64::ISequence(inode) => {
                self.check_inode(op, inode);
                self.world.i_sequence(inode)
            }
            Counter64::Static(addr) => self.world.static_counter(addr),
        }
    }

    /// Stores a 64-bit counter; a freed inode's memory is left as it is.
    fn write64(&mut self, counter: Counter64, value: i64) {
        match counter {
            Counter64::ISequence(inode) if self.world.inode_live(inode) => {
                self.world.set_i_sequence(inode, value)
            }
            Counter64::ISequence(_) => {}
            Counter64::Static(addr) => self.world.set_static_counter(addr, value),
        }
    }

    pub fn atomic_inc(&mut self, v: AtomicPtr) -> Result<(), Abort> {
        let counter = self.counter(v)?;
        self.enter(Op::AtomicInc, Arg::Counter(counter))?;
        match counter {
            Counter::MmCount(mm) => {
                if self.check_mm(Op::AtomicInc, mm) {
                    self.world.mmgrab(mm);
                    self.ledger_mut().add(Held::Mm(mm), 1);
                }
            }
            Counter::ICount(inode) => {
                if self.check_inode(Op::AtomicInc, inode) {
                    self.world.ihold(inode);
                    self.hold_inode(inode, 1);
                }
            }
            Counter::PageCount(page) => {
                if self.check_page(Op::AtomicInc, page) {
                    self.world.get_page(page);
                    self.hold_page(page, 1);
                }
            }
        }
        Ok(())
    }

    /// `atomic_inc_not_zero()`: false when the count is zero. On a freed
    /// object the poison pattern reads as non-zero, as slab poison would.
    pub fn atomic_inc_not_zero(&mut self, v: AtomicPtr) -> Result<bool, Abort> {
        let counter = self.counter(v)?;
        self.enter(Op::AtomicIncNotZero, Arg::Counter(counter))?;
        Ok(match counter {
            Counter::ICount(inode) => {
                if !self.check_inode(Op::AtomicIncNotZero, inode) {
                    true
                } else if self.world.i_count(inode) == 0 {
                    false
                } else {
                    self.world.ihold(inode);
                    self.hold_inode(inode, 1);
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
                    self.ledger_mut().add(Held::Mm(mm), 1);
                    true
                }
            }
            Counter::PageCount(page) => {
                if !self.check_page(Op::AtomicIncNotZero, page) {
                    true
                } else if self.world.page_count(page) == 0 {
                    false
                } else {
                    self.world.get_page(page);
                    self.hold_page(page, 1);
                    true
                }
            }
        })
    }

    pub fn rcu_read_lock(&mut self) -> Result<(), Abort> {
        self.enter(Op::RcuReadLock, Arg::None)?;
        let thread = self.world.thread_mut();
        if thread.rcu_depth == 0 {
            thread.rcu_section += 1;
        }
        thread.rcu_depth += 1;
        Ok(())
    }

    pub fn rcu_read_unlock(&mut self) -> Result<(), Abort> {
        self.enter(Op::RcuReadUnlock, Arg::None)?;
        if self.world.thread().rcu_depth == 0 {
            self.world.report(
                FindingClass::RcuImbalance,
                "rcu_read_unlock() outside a read section",
            );
        } else {
            self.world.thread_mut().rcu_depth -= 1;
        }
        Ok(())
    }

    pub fn local_irq_disable(&mut self) -> Result<(), Abort> {
        self.enter(Op::LocalIrqDisable, Arg::None)?;
        self.world.thread_mut().irqs_off = true;
        Ok(())
    }

    pub fn local_irq_enable(&mut self) -> Result<(), Abort> {
        self.enter(Op::LocalIrqEnable, Arg::None)?;
        self.world.thread_mut().irqs_off = false;
        Ok(())
    }
}
