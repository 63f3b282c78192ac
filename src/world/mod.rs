//! The mm world: the single source of mm truth.
//!
//! Pages, inodes with their page cache, mms with their VMAs and page tables,
//! anon_vmas, the zero pages, the swap cache, RCU-deferred frees and the
//! futex thread's own context (irqs, RCU section, page locks). C revisions
//! read the kernel-visible part of this state in place (see [`memory`]);
//! every change to it, whether made for the futex thread's GUP or for a
//! concurrent event, is one of the operations in this module's files:
//!
//! - [`page`]: allocation, references, locks, compound pages, THP split,
//!   migration;
//! - [`inode`]: inodes, the page cache, truncation, swap, eviction, RCU;
//! - [`file`]: files apart from their inodes, read back after eviction;
//! - [`mm`]: mms, VMAs, page tables, fork, COW, munmap, mprotect;
//! - [`fault`]: `get_user_pages` semantics;
//! - [`superblock`]: the filesystems inodes live on, and umount;
//! - [`user`]: the values of user words, read and written as user memory;
//! - [`mempolicy`]: the machine's nodes and the vmas' memory policies.
//!
//! Anything unusual an operation meets (a freed object, a refcount below
//! zero, a kernel WARN) is recorded as a [`Finding`].

pub mod build;
mod collapse;
pub mod fault;
pub mod file;
pub mod inode;
pub mod memory;
pub mod mempolicy;
pub mod mm;
pub mod names;
pub mod page;
mod pool;
pub mod superblock;
pub mod user;

use std::fmt;

pub use crate::abi::{PAGE_SIZE, TASK_SIZE};
pub use crate::era::Era;
use crate::finding::{Finding, FindingClass};
use memory::{Memory, INODE_SLOTS, MM_SLOTS};
use page::Blocker;
use pool::{Arena, Storage};

pub use inode::{CacheEntry, InodeKind, InodeState};
pub use mm::{Backing, Prot, Vma};
pub use names::{Counter, Counter64, ObjectName, Place};
pub use page::PageRole;

/// Order of a transparent huge page in the model (4 base pages: small
/// enough to keep worlds tiny, large enough to have distinct tails). It
/// stands for the PMD size: a THP that faults in, khugepaged's collapse,
/// shmem's huge pages and the huge zero page have it.
pub const THP_ORDER: u32 = 2;

/// The orders a large folio declared by order may have: the kernel's
/// multi-size THP orders on x86-64 (4 to 512 base pages). Every folio is
/// mapped by PTEs in the model, so an order-9 folio stands for a PMD-size
/// THP mapped by PTEs.
pub const FOLIO_ORDERS: std::ops::RangeInclusive<u32> = THP_ORDER..=9;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub usize);
    };
}
id_type!(
    /// A page slot (1-based; slot 0 is the poison sentinel).
    PageId
);
id_type!(
    /// An inode slot (1-based); see [`InodeRef`] for an identity across reuse.
    InodeId
);
id_type!(
    /// An mm slot (1-based); the mm's task and anon_vma share the slot.
    MmId
);

/// An inode as an identity: its slot and which allocation of that slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InodeRef {
    pub slot: InodeId,
    pub generation: u32,
}

/// A page as an identity: its slot and which allocation of that slot
/// (page slots are reused once a page is freed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageRef {
    pub slot: PageId,
    pub generation: u32,
}

/// How many futex tasks the model runs: the futex thread, which makes the
/// scenario's calls, and a second task that makes the calls naming it.
pub const TASKS: usize = 2;

/// Who acts on the world: one of the futex tasks (0 is the futex thread),
/// or a concurrent event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Task(usize),
    Event(usize),
}

impl Actor {
    /// The futex thread, which makes the scenario's calls.
    pub const THREAD: Actor = Actor::Task(0);
}

/// A futex task, in words.
pub fn task_name(task: usize) -> &'static str {
    match task {
        0 => "the futex thread",
        _ => "the second futex task",
    }
}

/// Whether events honour the kernel's preconditions (reclaim and migration
/// skip pinned pages, a mapped inode is not evicted, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    #[default]
    Strict,
    Relaxed,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Strict => "strict",
            Mode::Relaxed => "relaxed",
        })
    }
}

/// A futex task's own CPU context.
#[derive(Clone, Debug, Default)]
pub struct ThreadState {
    /// The mm of the call being made (`current->mm`).
    pub mm: Option<MmId>,
    pub irqs_off: bool,
    /// Nesting depth of `rcu_read_lock()`.
    pub rcu_depth: u32,
    /// Counts outermost read sections, so a grace period can tell whether
    /// the section it waits for is still the one open.
    pub rcu_section: u64,
}

impl ThreadState {
    /// The outermost read section open now, if any.
    fn open_section(&self) -> Option<u64> {
        (self.rcu_depth > 0).then_some(self.rcu_section)
    }
}

/// An inode free waiting for an RCU grace period.
#[derive(Clone, Copy, Debug)]
pub struct RcuFree {
    pub inode: InodeId,
    /// Each task's read section open when `call_rcu()` ran, if any.
    pub waits_for: [Option<u64>; TASKS],
}

/// A world that cannot be built as described.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WorldError {
    #[error("too many {0}: the model holds at most {1}")]
    Capacity(&'static str, usize),
    #[error("{0}")]
    Invalid(String),
    /// The world names something the era's kernels do not have (a shmem
    /// huge page before 4.8): the scenario does not apply to that era.
    #[error("{0}")]
    NotInEra(String),
}

impl WorldError {
    /// Whether the world is fine but belongs to other kernels than the
    /// era's, so that running it there shows nothing about a revision.
    pub fn not_in_era(&self) -> bool {
        matches!(self, WorldError::NotInEra(_))
    }
}

impl Era {
    /// The error for a world object that kernels of this era lack, `since`
    /// saying from when the kernel has it.
    pub fn lacks(self, since: &str) -> WorldError {
        let rules = self.rules();
        WorldError::NotInEra(format!(
            "{since}; era {} is {}",
            rules.keyword, rules.kernels
        ))
    }
}

pub struct World {
    mem: Arena,
    pages: Vec<page::PageMeta>,
    inodes: Vec<inode::InodeMeta>,
    mms: Vec<mm::MmMeta>,
    rcu_frees: Vec<RcuFree>,
    /// The superblocks, by [`superblock::Fs`].
    sbs: [superblock::SuperBlock; 3],
    /// Each futex task's CPU context, by task.
    pub tasks: [ThreadState; TASKS],
    /// The task whose code runs now: the one a fault or a lock is for.
    pub running: usize,
    /// Fault injection: the next `should_fail()` returns true.
    pub fault_armed: bool,
    pub mode: Mode,
    pub era: Era,
    zero_page: PageId,
    huge_zero_page: PageId,
    findings: Vec<Finding>,
    /// Every page removed from a page cache so far, in order.
    truncations: Vec<PageRef>,
    /// Every inode sequence number handed out, with the inode it names
    /// (5.6 on): a key names an inode by it, after the inode is gone too.
    sequences: Vec<(u64, InodeRef)>,
    /// The revision's own 64-bit counters (the machine-wide `i_seq`): their
    /// addresses and values, each from 0 in every execution.
    statics: Vec<(usize, i64)>,
    /// Every file created, by [`file::FileId`] less one.
    files: Vec<file::FileMeta>,
    /// Every inode object created, with the file it holds.
    inode_files: Vec<(InodeRef, file::FileId)>,
    /// Which vma slots hold a mapped vma.
    vma_slots: Vec<bool>,
    /// The memory policies' slots.
    mpols: Vec<mempolicy::MpolMeta>,
    /// The policy slot handed out last (freed ones are reused last).
    last_policy_slot: usize,
    /// Policies waiting for a grace period to be freed.
    policies_freeing: usize,
    /// The machine's possible nodes, a bit per node.
    possible_nodes: u64,
    /// The words of user memory that hold something other than 0.
    user_words: Vec<user::UserWord>,
    /// The words other tasks (events) stored to.
    event_stores: Vec<user::UserPlace>,
}

impl World {
    /// An empty world: no mms, no inodes, only the zero pages.
    pub fn new(mode: Mode, era: Era) -> World {
        let storage = Storage::take();
        let mut world = World {
            mem: Arena::new(storage.memory),
            pages: storage.pages,
            inodes: storage.inodes,
            mms: storage.mms,
            rcu_frees: Vec::new(),
            sbs: Default::default(),
            tasks: Default::default(),
            running: 0,
            fault_armed: false,
            mode,
            era,
            zero_page: PageId(0),
            huge_zero_page: PageId(0),
            findings: Vec::new(),
            truncations: Vec::new(),
            sequences: Vec::new(),
            statics: Vec::new(),
            files: storage.files,
            inode_files: storage.inode_files,
            vma_slots: storage.vma_slots,
            mpols: storage.mpols,
            last_policy_slot: 0,
            policies_freeing: 0,
            possible_nodes: mempolicy::DEFAULT_NODES,
            user_words: Vec::new(),
            event_stores: Vec::new(),
        };
        world.zero_page = world
            .alloc_special(0, PageRole::Zero)
            .expect("an empty world has room for the zero page");
        world.huge_zero_page = world
            .alloc_special(THP_ORDER, PageRole::HugeZero)
            .expect("an empty world has room for the huge zero page");
        world
    }

    /// One past the highest page slot in use since the world was built.
    fn pages_used(&self) -> usize {
        self.mem.pages_used
    }

    /// The running task's CPU context.
    pub fn thread(&self) -> &ThreadState {
        &self.tasks[self.running]
    }

    pub fn thread_mut(&mut self) -> &mut ThreadState {
        &mut self.tasks[self.running]
    }

    /// The running task, as an actor.
    pub fn actor(&self) -> Actor {
        Actor::Task(self.running)
    }

    /// A futex task with irqs off on its CPU, holding off a TLB flush IPI.
    pub fn irqs_off_task(&self) -> Option<usize> {
        self.tasks.iter().position(|t| t.irqs_off)
    }

    /// Whether what `blocker` waits for still holds.
    pub fn still_holds(&self, blocker: &Blocker) -> bool {
        match *blocker {
            Blocker::PageLock(page, owner) => self.lock_owner(page) == Some(owner),
            Blocker::MmapLock(mm, Actor::Task(task)) => self.mms[mm.0].mmap_lock.readers[task] > 0,
            Blocker::MmapLock(mm, writer) => self.mms[mm.0].mmap_lock.writer == Some(writer),
            Blocker::IrqsOff(task) => self.tasks[task].irqs_off,
            Blocker::RcuReader(_) | Blocker::InodeMapped(_) | Blocker::SlotBusy(_) => true,
        }
    }

    /// Each task's read section open now, for a `call_rcu()`.
    fn open_sections(&self) -> [Option<u64>; TASKS] {
        std::array::from_fn(|t| self.tasks[t].open_section())
    }

    /// The task whose read section, open when a grace period began with
    /// `sections` open, is still open: the grace period waits for it.
    fn grace_period_waits(&self, sections: &[Option<u64>; TASKS]) -> Option<usize> {
        (0..TASKS).find(|&t| sections[t].is_some() && self.tasks[t].open_section() == sections[t])
    }

    pub fn memory(&self) -> &Memory {
        &self.mem
    }

    /// The C address of a page, to hand to a revision.
    pub fn page_ptr(&mut self, page: PageId) -> *mut crate::abi::raw::page {
        self.mem.page_ptr(page.0)
    }

    pub fn zero_page(&self) -> PageId {
        self.zero_page
    }

    pub fn huge_zero_page(&self) -> PageId {
        self.huge_zero_page
    }

    /// Records something an operation met that the kernel would not allow.
    pub fn report(&mut self, class: FindingClass, summary: impl Into<String>) {
        self.findings.push(Finding::new(class, summary));
    }

    /// Every page removed from a page cache so far (truncate, hole punch,
    /// invalidate, eviction), in order.
    pub fn truncations(&self) -> &[PageRef] {
        &self.truncations
    }

    /// How many findings the world has recorded so far.
    pub fn findings_count(&self) -> usize {
        self.findings.len()
    }

    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// Resolves a raw pointer handed over by C to the object it names.
    pub fn resolve(&self, addr: usize) -> Option<memory::Resolved> {
        self.mem.resolve(addr)
    }

    /// Every live object's reference count, for reports and oracles.
    pub fn refcounts(&self) -> Vec<(Counter, i64)> {
        let mms = (1..MM_SLOTS)
            .filter(|&i| self.mms[i].live)
            .map(|i| (Counter::MmCount(MmId(i)), self.mem.mms[i].mm_count.counter));
        let inodes = (1..INODE_SLOTS)
            .filter(|&i| self.inodes[i].state != InodeState::Free)
            .map(|i| {
                (
                    Counter::ICount(InodeId(i)),
                    self.mem.inodes[i].i_count.counter,
                )
            });
        let pages = (1..self.pages_used())
            .filter(|&i| {
                let m = &self.pages[i];
                m.live && !self.is_tail(PageId(i)) && m.role == PageRole::Regular
            })
            .map(|i| {
                (
                    Counter::PageCount(PageId(i)),
                    self.mem.pages[i]._count.counter,
                )
            });
        mms.chain(inodes)
            .chain(pages)
            .map(|(counter, n)| (counter, i64::from(n)))
            .collect()
    }
}

impl Drop for World {
    /// Hands the storage back for the next world built on this thread.
    fn drop(&mut self) {
        if let Some(memory) = self.mem.take() {
            Storage {
                memory,
                pages: std::mem::take(&mut self.pages),
                inodes: std::mem::take(&mut self.inodes),
                mms: std::mem::take(&mut self.mms),
                files: std::mem::take(&mut self.files),
                inode_files: std::mem::take(&mut self.inode_files),
                vma_slots: std::mem::take(&mut self.vma_slots),
                mpols: std::mem::take(&mut self.mpols),
            }
            .give_back();
        }
    }
}
