//! What each event kind does, as a sequence of steps.
//!
//! An event is planned when its first step runs, against the world as it
//! is then: a truncate pins the pages it found and then, page by page, takes
//! the page lock, removes the page and unlocks it, exactly the points where
//! the futex thread can interleave. Each step calls one world operation;
//! the mm semantics themselves live in `world`. A step that must wait (a
//! page lock the thread holds, a TLB IPI while irqs are off, an RCU grace
//! period) stays at the head of the queue and is tried again later.

use std::collections::VecDeque;
use std::fmt;

use super::args::{PageSpec, Range};
use super::kinds::EventKind;
use crate::world::build::Objects;
use crate::world::file::FileId;
use crate::world::mempolicy::Policy;
use crate::world::page::{Blocker, Wait};
use crate::world::superblock::{Fs, Umount};
use crate::world::{
    Actor, CacheEntry, InodeId, InodeKind, MmId, PageId, Prot, World, WorldError, PAGE_SIZE,
};

/// One step of a planned event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Lock(PageId),
    Unlock(PageId),
    /// Drop the reference the plan took to keep a page from being freed.
    Unpin(PageId),
    SetSize(InodeId, u64),
    /// Remove a locked page from `inode`'s cache if it is still there.
    Truncate(PageId, InodeId),
    /// Unmap a base page of a huge page that the range covers only in
    /// part: the huge page stays in the cache.
    Zap(PageId),
    /// Truncate the base pages in `[from, to)` of a locked large folio the
    /// range covers in part: split it if it can be, else leave it whole
    /// and unmap only those pages (6.x's `truncate_inode_partial_folio()`).
    TruncatePartial(PageId, InodeId, u64, u64),
    DropSwapped(InodeId, u64),
    SwapOut(InodeId, u64),
    SwapIn(PageId),
    Migrate(PageId),
    Split(PageId),
    Munmap(MmId, u64, u64),
    Mprotect(MmId, u64, u64, Prot),
    DropRef(InodeId),
    /// Plan the truncation of everything still cached, then free.
    Evict(InodeId),
    CallRcu(InodeId),
    RcuFree(InodeId),
    Reuse(InodeId, InodeKind, u64),
    Fork(MmId, MmId),
    Cow(MmId, u64),
    ArmFault,
    Collapse(InodeId, u64),
    CollapseAnon(MmId, u64),
    Umount(Fs),
    Reread(FileId, MmId, u64, u64),
    /// The end of a shutdown, once eviction is done: free the superblock.
    KillSb(Fs),
    Store(MmId, u64, u32),
    MmapWriteLock(MmId),
    MmapWriteUnlock(MmId),
    Mbind(MmId, u64, u64, Policy),
    Home(MmId, u64, u64, u32),
}

/// What one attempt at a step came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The step ran; the text says what it did (empty unless asked for).
    Ran(String),
    /// The step waits for `Blocker`.
    Blocked(Blocker),
    /// Nothing left to do.
    Finished,
}

/// An event as the scheduler runs it.
#[derive(Clone, Debug)]
pub struct EventRun {
    pub kind: EventKind,
    actor: Actor,
    plan: Option<VecDeque<Step>>,
}

impl EventRun {
    pub fn new(index: usize, kind: EventKind) -> EventRun {
        EventRun {
            kind,
            actor: Actor::Event(index),
            plan: None,
        }
    }

    pub fn finished(&self) -> bool {
        self.plan.as_ref().is_some_and(|p| p.is_empty())
    }

    pub fn started(&self) -> bool {
        self.plan.is_some()
    }

    /// Runs the next step, planning the event first if it has not started;
    /// `objects` are the world's objects for the scenario's indices. `say`:
    /// describe the step (for a recording trace).
    pub fn step(
        &mut self,
        world: &mut World,
        objects: &Objects,
        say: bool,
    ) -> Result<StepOutcome, WorldError> {
        if self.plan.is_none() {
            let plan = plan(&self.kind, world, objects);
            self.plan = Some(plan);
        }
        let actor = self.actor;
        let plan = self.plan.as_mut().expect("planned above");
        let Some(&step) = plan.front() else {
            return Ok(StepOutcome::Finished);
        };
        let outcome = run_step(step, actor, world, plan, Say(say))?;
        if matches!(outcome, StepOutcome::Ran(_)) {
            // The step ran (a skip is a run too); new steps it planned
            // were pushed to the back.
            plan.pop_front();
        }
        Ok(outcome)
    }
}

/// The page a spec names right now, if any.
fn find_page(world: &World, objects: &Objects, spec: PageSpec) -> Option<PageId> {
    match spec {
        PageSpec::Cache { inode, index } => {
            match world.cache_entry(objects.inodes[inode], index)? {
                CacheEntry::Present(p) | CacheEntry::Swapped(p) => Some(p),
            }
        }
        PageSpec::User { mm, addr } => world.pte(objects.mms[mm], addr).map(|p| p.page),
    }
}

/// Pins `page` (as a pagevec lookup does) and queues lock, `op`, unlock, unpin.
fn locked(world: &mut World, plan: &mut VecDeque<Step>, page: PageId, op: Step) {
    world.get_page(page);
    plan.extend([Step::Lock(page), op, Step::Unlock(page), Step::Unpin(page)]);
}

fn plan_truncate(world: &mut World, plan: &mut VecDeque<Step>, inode: InodeId, from: u64, to: u64) {
    if !world.inode_live(inode) {
        return;
    }
    for index in world.cache_indices(inode) {
        if index < from || index >= to {
            continue;
        }
        match world.cache_entry(inode, index) {
            Some(CacheEntry::Present(page)) if world.in_cached_thp(page) => {
                // shmem_undo_range(): a huge page wholly in the range goes
                // through its head; one partly in it stays, zeroed there,
                // and only its mappings of the range go.
                let head = world.head_of(page);
                let first = world.page_index(head);
                let whole = first >= from && first + (1 << world.order_of(head)) <= to;
                let splits = world.era.rules().partial_truncate_splits;
                if whole {
                    if page == head {
                        locked(world, plan, page, Step::Truncate(page, inode));
                    }
                } else if !splits {
                    plan.push_back(Step::Zap(page));
                } else if index == from.max(first) {
                    // Once per folio, at its first page in the range.
                    let step = Step::TruncatePartial(head, inode, from, to);
                    locked(world, plan, head, step);
                }
            }
            Some(CacheEntry::Present(page)) => {
                locked(world, plan, page, Step::Truncate(page, inode))
            }
            Some(CacheEntry::Swapped(_)) => plan.push_back(Step::DropSwapped(inode, index)),
            None => {}
        }
    }
}

fn plan(kind: &EventKind, world: &mut World, objects: &Objects) -> VecDeque<Step> {
    let mut plan = VecDeque::new();
    let inode = |i: usize| objects.inodes[i];
    let mm = |m: usize| objects.mms[m];
    match *kind {
        EventKind::Truncate { inode: i, to } => {
            plan.push_back(Step::SetSize(inode(i), to));
            let per = world.inode_kind(inode(i)).pages_per_entry();
            plan_truncate(world, &mut plan, inode(i), to.div_ceil(per), u64::MAX);
        }
        EventKind::Punch {
            inode: i,
            from,
            len,
        } => {
            let per = world.inode_kind(inode(i)).pages_per_entry();
            let end = from.saturating_add(len).div_ceil(per);
            plan_truncate(world, &mut plan, inode(i), from / per, end);
        }
        EventKind::Invalidate { inode: i } => {
            plan_truncate(world, &mut plan, inode(i), 0, u64::MAX)
        }
        EventKind::SwapOut { inode: i, index } => plan.push_back(Step::SwapOut(inode(i), index)),
        EventKind::SwapIn { inode: i, index } => {
            if let Some(CacheEntry::Swapped(page)) = world.cache_entry(inode(i), index) {
                locked(world, &mut plan, page, Step::SwapIn(page));
            }
        }
        EventKind::Migrate { page } => {
            if let Some(page) = find_page(world, objects, page.page_aligned()) {
                locked(world, &mut plan, page, Step::Migrate(page));
            }
        }
        EventKind::Split { mm: m, addr } => {
            let spec = PageSpec::User { mm: m, addr }.page_aligned();
            if let Some(page) = find_page(world, objects, spec) {
                plan.push_back(Step::Split(page));
            }
        }
        EventKind::Munmap {
            mm: m,
            range: Range { start, end },
        } => plan.push_back(Step::Munmap(mm(m), start, end)),
        EventKind::Mprotect {
            mm: m,
            range: Range { start, end },
            prot,
        } => plan.push_back(Step::Mprotect(mm(m), start, end, prot)),
        EventKind::Iput { inode: i } => plan.push_back(Step::DropRef(inode(i))),
        EventKind::Reuse {
            inode: i,
            kind,
            size,
        } => plan.push_back(Step::Reuse(inode(i), kind, size)),
        EventKind::Fork { parent, child } => plan.push_back(Step::Fork(mm(parent), mm(child))),
        EventKind::Cow { mm: m, addr } => plan.push_back(Step::Cow(mm(m), addr & !(PAGE_SIZE - 1))),
        EventKind::Hold { page } => {
            if let Some(page) = find_page(world, objects, page.page_aligned()) {
                world.get_page(page);
                plan.extend([Step::Lock(page), Step::Unlock(page), Step::Unpin(page)]);
            }
        }
        EventKind::Fail {} => plan.push_back(Step::ArmFault),
        EventKind::Collapse { inode: i, index } => plan.push_back(Step::Collapse(inode(i), index)),
        EventKind::CollapseAnon { mm: m, addr } => plan.push_back(Step::CollapseAnon(mm(m), addr)),
        EventKind::Reread {
            inode: i,
            mm: m,
            range: Range { start, end },
        } => plan.push_back(Step::Reread(world.file_of(inode(i)), mm(m), start, end)),
        EventKind::Umount { inode: i } => {
            if let Some(kind) = world.kind_of(inode(i)) {
                plan.push_back(Step::Umount(Fs::of(kind)));
            }
        }
        // The second task is run by the kernel, not step by step here.
        EventKind::Task {} => {}
        EventKind::Store { mm: m, addr, value } => plan.push_back(Step::Store(mm(m), addr, value)),
        EventKind::Mbind {
            mm: m,
            range: Range { start, end },
            policy,
        } => plan.extend([
            Step::MmapWriteLock(mm(m)),
            Step::Mbind(mm(m), start, end, policy),
            Step::MmapWriteUnlock(mm(m)),
        ]),
        EventKind::Home {
            mm: m,
            range: Range { start, end },
            node,
        } => plan.extend([
            Step::MmapWriteLock(mm(m)),
            Step::Home(mm(m), start, end, node),
            Step::MmapWriteUnlock(mm(m)),
        ]),
    }
    plan
}

impl PageSpec {
    /// The spec with a user address rounded down to its page.
    fn page_aligned(self) -> PageSpec {
        match self {
            PageSpec::User { mm, addr } => PageSpec::User {
                mm,
                addr: addr & !(PAGE_SIZE - 1),
            },
            cache => cache,
        }
    }
}

/// Whether a step's text is wanted: texts are made only for a recording
/// trace.
#[derive(Clone, Copy)]
struct Say(bool);

impl Say {
    fn ran(self, text: impl FnOnce() -> String) -> StepOutcome {
        StepOutcome::Ran(if self.0 { text() } else { String::new() })
    }

    fn waited(self, wait: Wait, done: impl FnOnce() -> String) -> StepOutcome {
        match wait {
            Wait::Done => self.ran(done),
            Wait::Skipped(why) => self.ran(|| format!("skipped: {why}")),
            Wait::Blocked(b) => StepOutcome::Blocked(b),
        }
    }
}

fn run_step(
    step: Step,
    actor: Actor,
    world: &mut World,
    plan: &mut VecDeque<Step>,
    say: Say,
) -> Result<StepOutcome, WorldError> {
    let name = |world: &World, p: PageId| world.page_label(p);
    Ok(match step {
        Step::Lock(p) => say.waited(world.try_lock_page(p, actor), || {
            format!("lock_page({})", name(world, p))
        }),
        Step::Unlock(p) => {
            world.unlock_page(p, actor);
            say.ran(|| format!("unlock_page({})", name(world, p)))
        }
        Step::Unpin(p) => {
            let page = name(world, p);
            world.put_page(p);
            say.ran(|| format!("put_page({page})"))
        }
        Step::SetSize(inode, pages) => {
            world.set_inode_size(inode, pages);
            say.ran(|| format!("i_size of inode#{} = {pages} pages", inode.0))
        }
        Step::Truncate(p, inode) => {
            if world.page_mapping_slot(p) == Some(inode) {
                world.truncate_page(p);
                say.ran(|| format!("{}->mapping = NULL, out of the page cache", name(world, p)))
            } else {
                say.ran(|| format!("skipped: {} already left the cache", name(world, p)))
            }
        }
        Step::TruncatePartial(head, inode, from, to) => {
            if !world.in_cached_thp(head) || world.page_mapping_slot(head) != Some(inode) {
                return Ok(say.ran(|| format!("skipped: {} is no longer a cached large folio", name(world, head))));
            }
            let first = world.page_index(head);
            let pages: Vec<PageId> = world.compound_pages(head).collect();
            let in_range = |i: usize| (from..to).contains(&(first + i as u64));
            match world.split_thp_holding(head, 1) {
                Wait::Blocked(b) => StepOutcome::Blocked(b),
                Wait::Done => {
                    for (i, &p) in pages.iter().enumerate() {
                        if in_range(i) {
                            world.truncate_page(p);
                        }
                    }
                    say.ran(|| {
                        format!(
                            "{} split; its pages in the range leave the cache",
                            name(world, head)
                        )
                    })
                }
                Wait::Skipped(why) => {
                    for (i, &p) in pages.iter().enumerate() {
                        if in_range(i) {
                            world.unmap_base_page(p);
                        }
                    }
                    say.ran(|| {
                        format!(
                            "{} not split ({why}): it stays cached, only its pages in the range are unmapped",
                            name(world, head)
                        )
                    })
                }
            }
        }
        Step::Zap(p) => {
            world.unmap_base_page(p);
            say.ran(|| {
                format!(
                    "{} unmapped; its huge page stays cached, truncated only in part",
                    name(world, p)
                )
            })
        }
        Step::DropSwapped(inode, index) => {
            if let Some(CacheEntry::Swapped(p)) = world.cache_entry(inode, index) {
                world.drop_swapped(inode, index, p);
            }
            say.ran(|| format!("swap entry of inode#{} index {index} dropped", inode.0))
        }
        Step::SwapOut(inode, index) => {
            let page = world.cache_entry(inode, index);
            say.waited(world.swap_out(inode, index), || match page {
                Some(CacheEntry::Present(p)) => {
                    format!("{} moved to the swap cache, mapping = NULL", name(world, p))
                }
                _ => "swapped out".to_string(),
            })
        }
        Step::SwapIn(p) => say.waited(world.swap_in_locked(p), || {
            format!("{} swapped back in", name(world, p))
        }),
        Step::Migrate(p) => say.waited(world.migrate_page(p, 1)?, || {
            format!("{} migrated away, its mapping = NULL", name(world, p))
        }),
        Step::Split(p) => say.waited(world.split_thp(p), || {
            format!("THP of {} split", name(world, p))
        }),
        Step::Munmap(mm, start, end) => {
            let policies = world.policies_in(mm, start, end);
            say.waited(world.munmap(mm, start, end, actor)?, || {
                format!(
                    "munmap mm#{} {start:#x}-{end:#x}{}",
                    mm.0,
                    world.policies_gone(&policies)
                )
            })
        }
        Step::Mprotect(mm, start, end, prot) => say
            .waited(world.mprotect(mm, start, end, prot, actor)?, || {
                format!("mprotect mm#{} {start:#x}-{end:#x} {prot}", mm.0)
            }),
        Step::DropRef(inode) => {
            if !world.inode_live(inode) || world.external_refs(inode) <= 0 {
                return Ok(say.ran(|| {
                    format!(
                        "skipped: nobody else holds a reference on inode#{}",
                        inode.0
                    )
                }));
            }
            match world.drop_inode_ref(inode) {
                Err(b) => StepOutcome::Blocked(b),
                Ok(false) => say.ran(|| {
                    format!(
                        "iput(inode#{}): i_count now {}",
                        inode.0,
                        world.i_count(inode)
                    )
                }),
                Ok(true) => {
                    plan.push_back(Step::Evict(inode));
                    say.ran(|| format!("iput(inode#{}): last reference, eviction starts", inode.0))
                }
            }
        }
        Step::Evict(inode) => {
            plan_truncate(world, plan, inode, 0, u64::MAX);
            plan.push_back(Step::CallRcu(inode));
            say.ran(|| format!("evict(inode#{}): truncating its pages", inode.0))
        }
        Step::CallRcu(inode) => {
            // Eviction empties the cache before it frees, whatever arrived
            // since it planned (truncate_inode_pages_final loops).
            if !world.cache_indices(inode).is_empty() {
                plan_truncate(world, plan, inode, 0, u64::MAX);
                plan.push_back(Step::CallRcu(inode));
                return Ok(say.ran(|| {
                    format!(
                        "evict(inode#{}): pages arrived meanwhile, truncating them too",
                        inode.0
                    )
                }));
            }
            world.call_rcu_free_inode(inode);
            plan.push_back(Step::RcuFree(inode));
            say.ran(|| format!("call_rcu(free inode#{})", inode.0))
        }
        Step::RcuFree(inode) => say.waited(world.rcu_free_inode(inode), || {
            format!("inode#{} freed (poisoned)", inode.0)
        }),
        Step::Reuse(inode, kind, size) => {
            if world.inode_live(inode) {
                StepOutcome::Blocked(Blocker::SlotBusy(inode))
            } else if world.unmounting(Fs::of(kind)) {
                // A new inode would be another mount's, which the model
                // does not tell apart from the one going away.
                say.ran(|| format!("skipped: {} is being unmounted", Fs::of(kind).name()))
            } else {
                world.add_inode(kind, size, 1, Some(inode))?;
                say.ran(|| format!("a new inode is allocated at inode#{}'s address", inode.0))
            }
        }
        Step::Fork(parent, child) => say.waited(world.fork(parent, child, actor)?, || {
            format!("fork: mm#{} -> mm#{}", parent.0, child.0)
        }),
        Step::Cow(mm, addr) => say.waited(world.cow_break(mm, addr)?, || {
            format!("mm#{} writes {addr:#x}: COW gives it a new page", mm.0)
        }),
        Step::ArmFault => {
            world.fault_armed = true;
            say.ran(|| "fail_futex armed: the next should_fail_futex() fails".into())
        }
        Step::Umount(fs) => match world.begin_umount(fs) {
            Umount::NotMounted => say.ran(|| format!("skipped: {} is not mounted", fs.name())),
            Umount::Busy => say.ran(|| {
                format!(
                    "umount {}: -EBUSY, a mapping holds a file of it open",
                    fs.name()
                )
            }),
            Umount::ShutsDown(dentries) => {
                for &(inode, refs) in &dentries {
                    plan.extend((0..refs).map(|_| Step::DropRef(inode)));
                }
                plan.push_back(Step::KillSb(fs));
                say.ran(|| {
                    format!(
                        "umount {}: shutting down, the dentries of {} inode(s) go",
                        fs.name(),
                        dentries.len()
                    )
                })
            }
        },
        Step::Reread(file, mm, start, end) => match world.reread(file, mm, start, end, actor) {
            Err(b) => StepOutcome::Blocked(b),
            Ok(Ok(inode)) => say.ran(|| {
                format!(
                    "open and mmap of file {} (inode#{}) at mm#{} {start:#x}-{end:#x}",
                    file.0, inode.0, mm.0
                )
            }),
            Ok(Err(why)) => say.ran(|| format!("skipped: {why}")),
        },
        Step::KillSb(fs) => {
            if let Some(inode) = world.evicting_on(fs) {
                if plan.len() > 1 {
                    // The evictions the dentries started are this event's
                    // own later steps: the free goes behind them.
                    plan.push_back(Step::KillSb(fs));
                    return Ok(say.ran(|| format!("umount {}: waits for eviction", fs.name())));
                }
                // Someone else is evicting it: wait until it is freed.
                return Ok(StepOutcome::Blocked(Blocker::SlotBusy(inode)));
            }
            let busy = world.kill_sb(fs);
            say.ran(|| {
                if busy.is_empty() {
                    format!("superblock of {} freed", fs.name())
                } else {
                    let names: Vec<String> = busy.iter().map(|i| format!("inode#{}", i.0)).collect();
                    format!(
                        "superblock of {} freed: VFS: Busy inodes after unmount ({})",
                        fs.name(),
                        names.join(", ")
                    )
                }
            })
        }
        Step::Collapse(inode, index) => say.waited(world.collapse_file(inode, index)?, || {
            format!(
                "khugepaged: pages {index}-{} of inode#{} collapsed into a huge page, the old ones unmapped, mapping = NULL",
                index + (1 << crate::world::THP_ORDER) - 1,
                inode.0
            )
        }),
        Step::Store(mm, addr, value) => match world.put_user_word(mm, addr, value, actor) {
            Err(b) => StepOutcome::Blocked(b),
            Ok(Ok(place)) => {
                world.note_store(place);
                say.ran(|| format!("mm#{} stores {} at {addr:#x}", mm.0, value as i32))
            }
            Ok(Err(_)) => say.ran(|| format!("skipped: the store at {addr:#x} faults (-EFAULT)")),
        },
        Step::MmapWriteLock(mm) => say.waited(world.mmap_write_lock(mm, actor), || {
            format!("mmap_write_lock(mm#{}): mm_lock_seq {}", mm.0, world.mmap_seq(mm))
        }),
        Step::MmapWriteUnlock(mm) => {
            world.mmap_write_unlock(mm, actor);
            say.ran(|| {
                format!("mmap_write_unlock(mm#{}): mm_lock_seq {}", mm.0, world.mmap_seq(mm))
            })
        }
        Step::Mbind(mm, start, end, policy) => {
            let policies = world.policies_in(mm, start, end);
            say.waited(world.mbind_range(mm, start, end, policy)?, || {
                format!(
                    "mbind mm#{} {start:#x}-{end:#x} {}: new policies in{}",
                    mm.0,
                    policy.mode.name(),
                    world.policies_gone(&policies)
                )
            })
        }
        Step::Home(mm, start, end, node) => {
            let policies = world.policies_in(mm, start, end);
            say.waited(world.set_home_node(mm, start, end, node)?, || {
                format!(
                    "set_mempolicy_home_node mm#{} {start:#x}-{end:#x} {node}: new policies in{}",
                    mm.0,
                    world.policies_gone(&policies)
                )
            })
        }
        Step::CollapseAnon(mm, addr) => say.waited(world.collapse_anon(mm, addr, actor)?, || {
            format!(
                "khugepaged: the pages of mm#{} around {addr:#x} collapsed into a huge page, the old ones unmapped",
                mm.0
            )
        }),
    })
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::PageLock(p, Actor::Task(t)) => {
                write!(
                    f,
                    "page#{} is locked by {}",
                    p.0,
                    crate::world::task_name(*t)
                )
            }
            Blocker::PageLock(p, Actor::Event(e)) => {
                write!(f, "page#{} is locked by event {}", p.0, e + 1)
            }
            Blocker::IrqsOff(task) => write!(
                f,
                "{} has irqs off (TLB flush IPI)",
                crate::world::task_name(*task)
            ),
            Blocker::RcuReader(task) => write!(
                f,
                "the grace period waits for {}'s RCU read section",
                crate::world::task_name(*task)
            ),
            Blocker::InodeMapped(i) => write!(f, "inode#{} is still mapped (strict mode)", i.0),
            Blocker::SlotBusy(i) => write!(f, "inode#{} is not freed yet", i.0),
            Blocker::MmapLock(mm, Actor::Event(e)) => {
                write!(f, "the mmap lock of mm#{} is held by event {}", mm.0, e + 1)
            }
            Blocker::MmapLock(mm, Actor::Task(t)) => write!(
                f,
                "{} holds the mmap lock of mm#{} for reading",
                crate::world::task_name(*t),
                mm.0
            ),
        }
    }
}
