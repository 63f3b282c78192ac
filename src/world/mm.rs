//! Address spaces: mms, VMAs and page tables, the mmap lock, and the
//! mm-level events that change them: fork, a COW break by another thread,
//! munmap, mprotect and mbind. A TLB flush after munmap or mprotect needs
//! an IPI that a CPU with irqs off does not answer, so those wait while a
//! futex task has irqs off.
//!
//! Each vma is also a C object (`struct vm_area_struct`) that
//! `vma_lookup()` hands to the futex code, holding the vma's memory policy.
//! Vmas come from a type-safe-by-RCU cache (6.15 on): a freed vma's slot
//! keeps its contents and may be handed to the next new vma at once.
//!
//! Every change to an mm's vmas is made under its mmap lock, whose
//! sequence count (`mm->mm_lock_seq`) goes odd when a writer takes it and
//! even when it lets go: what the futex code's speculative lookup checks.

use std::collections::BTreeMap;

use super::memory::{MM_SLOTS, VMA_SLOTS};
use super::mempolicy::{MpolId, Policy};
use super::page::{Blocker, PageRole, Wait};
use super::{Actor, InodeId, MmId, PageId, World, WorldError, PAGE_SIZE, TASKS, THP_ORDER};

/// VMA protection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
}

impl Prot {
    pub const NONE: Prot = Prot {
        read: false,
        write: false,
    };
    pub const READ: Prot = Prot {
        read: true,
        write: false,
    };
    pub const READ_WRITE: Prot = Prot {
        read: true,
        write: true,
    };

    /// Every protection the model has, by name.
    pub const ALL: [Prot; 3] = [Prot::READ_WRITE, Prot::READ, Prot::NONE];

    /// `rw`, `r` or `none`, as scenarios write it.
    pub fn name(self) -> &'static str {
        match (self.read, self.write) {
            (_, true) => "rw",
            (true, false) => "r",
            (false, false) => "none",
        }
    }

    /// The protection a scenario names (`rwx` and `rx` read as `rw`, `r`).
    pub fn from_name(word: &str) -> Option<Prot> {
        match word {
            "rw" | "rwx" => Some(Prot::READ_WRITE),
            "r" | "rx" => Some(Prot::READ),
            "none" => Some(Prot::NONE),
            _ => None,
        }
    }
}

impl std::fmt::Display for Prot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a VMA maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backing {
    /// Anonymous memory; `thp` when huge pages may back it.
    Anon { thp: bool },
    /// An inode's pages (file, shmem or hugetlbfs, after the inode's kind).
    File(InodeId),
    /// A special mapping (vDSO, gate area) with a page of its own.
    Special(PageId),
}

impl Backing {
    pub fn inode(self) -> Option<InodeId> {
        match self {
            Backing::File(i) => Some(i),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    /// Offset into the backing object, in base pages.
    pub pgoff: u64,
    pub prot: Prot,
    pub shared: bool,
    pub backing: Backing,
    /// Its C object's slot, which the world assigns (0 until it does).
    pub slot: usize,
}

/// How a range of an mm's vmas changes.
#[derive(Clone, Copy, Debug)]
enum VmaChange {
    Unmap,
    Protect(Prot),
    Policy(Option<MpolId>),
}

impl Vma {
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    /// The object page offset of `addr` (`linear_page_index`).
    pub fn pgoff_of(&self, addr: u64) -> u64 {
        self.pgoff + (addr - self.start) / PAGE_SIZE
    }
}

/// A page-table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pte {
    pub page: PageId,
    pub writable: bool,
}

#[derive(Clone, Debug, Default)]
pub struct MmMeta {
    pub live: bool,
    pub vmas: Vec<Vma>,
    /// By virtual page number.
    pub ptes: BTreeMap<u64, Pte>,
    pub mmap_lock: MmapLock,
}

/// An mm's mmap lock: its sequence count and who holds it.
#[derive(Clone, Copy, Debug, Default)]
pub struct MmapLock {
    /// `mm->mm_lock_seq`: odd while a writer holds the lock.
    pub seq: u32,
    /// The event holding it for writing, if one does.
    pub writer: Option<Actor>,
    /// The read locks each futex task holds.
    pub readers: [u32; TASKS],
}

impl World {
    /// A new mm with its task and anon_vma; its task holds one `mm_count`.
    pub fn add_mm(&mut self) -> Result<MmId, WorldError> {
        let slot = (1..MM_SLOTS)
            .find(|&s| !self.mms[s].live)
            .ok_or(WorldError::Capacity("mms", MM_SLOTS - 1))?;
        self.mms[slot] = MmMeta {
            live: true,
            ..MmMeta::default()
        };
        let mm_ptr = self.mem.mm_ptr(slot);
        let anon: *mut crate::abi::raw::anon_vma = &mut self.mem.anon_vmas[slot];
        self.mem.mms[slot].mm_users.counter = 1;
        self.mem.mms[slot].mm_count.counter = 1;
        self.mem.tasks[slot].mm = mm_ptr;
        self.mem.anon_vmas[slot].root = anon;
        self.mem.anon_vmas[slot].refcount.counter = 1;
        Ok(MmId(slot))
    }

    pub fn mm_live(&self, mm: MmId) -> bool {
        mm.0 > 0 && mm.0 < MM_SLOTS && self.mms[mm.0].live
    }

    pub fn mm_count(&self, mm: MmId) -> i32 {
        self.mem.mms[mm.0].mm_count.counter
    }

    pub fn task_ptr(&mut self, mm: MmId) -> *mut crate::abi::raw::task_struct {
        self.mem.task_ptr(mm.0)
    }

    /// `atomic_inc(&mm->mm_count)`.
    pub fn mmgrab(&mut self, mm: MmId) {
        self.mem.mms[mm.0].mm_count.counter += 1;
    }

    /// `mmdrop()`: the last `mm_count` frees the mm.
    pub fn mmdrop(&mut self, mm: MmId) {
        let count = &mut self.mem.mms[mm.0].mm_count.counter;
        *count -= 1;
        if *count < 0 {
            self.report(
                crate::finding::FindingClass::RefcountUnderflow,
                format!("mm#{}.mm_count dropped below zero", mm.0),
            );
        } else if *count == 0 {
            self.mms[mm.0] = MmMeta::default();
            self.mem.poison_mm(mm.0);
        }
    }

    /// Maps `vma` (its slot is assigned here) with no policy of its own.
    pub fn add_vma(&mut self, mm: MmId, mut vma: Vma) -> Result<(), WorldError> {
        let invalid = |m: String| Err(WorldError::Invalid(m));
        if vma.start % PAGE_SIZE != 0 || vma.end % PAGE_SIZE != 0 || vma.start >= vma.end {
            return invalid(format!(
                "vma {:#x}-{:#x} is not a page-aligned range",
                vma.start, vma.end
            ));
        }
        if vma.end > super::TASK_SIZE {
            return invalid(format!(
                "vma {:#x}-{:#x} leaves the user range",
                vma.start, vma.end
            ));
        }
        if self.mms[mm.0]
            .vmas
            .iter()
            .any(|v| v.start < vma.end && vma.start < v.end)
        {
            return invalid(format!(
                "vma {:#x}-{:#x} overlaps another vma",
                vma.start, vma.end
            ));
        }
        if let Backing::File(inode) = vma.backing {
            if let super::InodeKind::Hugetlbfs { order } = self.inode_kind(inode) {
                let huge = PAGE_SIZE << order;
                if vma.start % huge != 0 || vma.end % huge != 0 || vma.pgoff % (1 << order) != 0 {
                    return invalid(format!(
                        "hugetlbfs vma {:#x}-{:#x} must be aligned to its {huge:#x}-byte pages",
                        vma.start, vma.end
                    ));
                }
            }
        }
        vma.slot = self.alloc_vma_slot(mm, &vma)?;
        self.mms[mm.0].vmas.push(vma);
        self.mms[mm.0].vmas.sort_by_key(|v| v.start);
        Ok(())
    }

    /// A vma slot for `vma` of `mm`: the lowest free one, a freed vma's
    /// included (the cache hands freed vmas out again at once). Its policy
    /// is the default one.
    fn alloc_vma_slot(&mut self, mm: MmId, vma: &Vma) -> Result<usize, WorldError> {
        let slot = (1..VMA_SLOTS)
            .find(|&s| !self.vma_slots[s])
            .ok_or(WorldError::Capacity("vmas", VMA_SLOTS - 1))?;
        self.vma_slots[slot] = true;
        let mm_ptr = self.mem.mm_ptr(mm.0);
        let raw = &mut self.mem.vmas[slot];
        raw.vm_start = vma.start as _;
        raw.vm_end = vma.end as _;
        raw.vm_mm = mm_ptr;
        raw.vm_policy = std::ptr::null_mut();
        Ok(slot)
    }

    /// Writes a vma's bounds to its C object.
    fn sync_vma_bounds(&mut self, vma: &Vma) {
        let raw = &mut self.mem.vmas[vma.slot];
        raw.vm_start = vma.start as _;
        raw.vm_end = vma.end as _;
    }

    /// `remove_vma()`: the vma's policy is put, then the vma freed. Its
    /// slot keeps what it held (type-safe by RCU) until it is reused.
    fn free_vma(&mut self, vma: &Vma) {
        let policy = self.vma_policy(vma);
        self.put_policy(policy);
        self.vma_slots[vma.slot] = false;
    }

    /// A new vma for a part of `v`, with a copy of its policy
    /// (`vma_dup_policy()` in `__split_vma()`).
    fn split_off(&mut self, mm: MmId, v: &Vma, part: Vma) -> Result<Vma, WorldError> {
        let policy = self.vma_policy(v);
        let copy = self.dup_policy(policy)?;
        let mut part = part;
        part.slot = self.alloc_vma_slot(mm, &part)?;
        self.set_vma_policy(&part, copy);
        Ok(part)
    }

    /// The vma object `vma_lookup(mm, addr)` finds: its slot, if any.
    pub fn vma_slot_at(&self, mm: MmId, addr: u64) -> Option<usize> {
        self.find_vma(mm, addr).map(|v| v.slot)
    }

    /// The C address of a vma slot, to hand to the futex code.
    pub fn vma_ptr(&mut self, slot: usize) -> *mut crate::abi::raw::vm_area_struct {
        self.mem.vma_ptr(slot)
    }

    /// `mm->mm_lock_seq`.
    pub fn mmap_seq(&self, mm: MmId) -> u32 {
        self.mms[mm.0].mmap_lock.seq
    }

    /// Who holds the mmap lock of `mm` so that `actor` cannot take it for
    /// writing, if anyone.
    fn mmap_write_blocker(&self, mm: MmId, actor: Actor) -> Option<Blocker> {
        let lock = &self.mms[mm.0].mmap_lock;
        if let Some(writer) = lock.writer.filter(|&w| w != actor) {
            return Some(Blocker::MmapLock(mm, writer));
        }
        let reader = (0..TASKS).find(|&t| lock.readers[t] > 0)?;
        Some(Blocker::MmapLock(mm, Actor::Task(reader)))
    }

    /// `mmap_write_lock()` by an event: the sequence goes odd.
    pub fn mmap_write_lock(&mut self, mm: MmId, actor: Actor) -> Wait {
        if let Some(b) = self.mmap_write_blocker(mm, actor) {
            return Wait::Blocked(b);
        }
        let lock = &mut self.mms[mm.0].mmap_lock;
        if lock.writer != Some(actor) {
            lock.writer = Some(actor);
            lock.seq = lock.seq.wrapping_add(1);
        }
        Wait::Done
    }

    /// `mmap_write_unlock()`: the sequence goes even again.
    pub fn mmap_write_unlock(&mut self, mm: MmId, actor: Actor) {
        let lock = &mut self.mms[mm.0].mmap_lock;
        if lock.writer == Some(actor) {
            lock.writer = None;
            lock.seq = lock.seq.wrapping_add(1);
        }
    }

    /// A change of `mm`'s vmas made under the mmap lock in one step, by an
    /// event: it waits while anyone else holds the lock, and the sequence
    /// moves on by a whole write section. `None` when the lock is free.
    pub(super) fn mmap_write_section(&mut self, mm: MmId, actor: Actor) -> Option<Blocker> {
        if let Some(b) = self.mmap_write_blocker(mm, actor) {
            return Some(b);
        }
        let lock = &mut self.mms[mm.0].mmap_lock;
        if lock.writer != Some(actor) {
            lock.seq = lock.seq.wrapping_add(2);
        }
        None
    }

    /// A change of `mm`'s page tables and vmas by an event, under the mmap
    /// lock in one step: it waits for the TLB flush IPI to a CPU with irqs
    /// off, then for the mmap lock. `None` when it may go on.
    pub(super) fn page_table_change_blocker(&mut self, mm: MmId, actor: Actor) -> Option<Blocker> {
        if let Some(task) = self.irqs_off_task() {
            return Some(Blocker::IrqsOff(task));
        }
        self.mmap_write_section(mm, actor)
    }

    /// `mmap_read_lock()` by futex task `task`: waits for a writer.
    pub fn mmap_read_lock(&mut self, mm: MmId, task: usize) -> Wait {
        if let Some(writer) = self.mms[mm.0].mmap_lock.writer {
            return Wait::Blocked(Blocker::MmapLock(mm, writer));
        }
        self.mms[mm.0].mmap_lock.readers[task] += 1;
        Wait::Done
    }

    /// `mmap_read_unlock()`; false when `task` held no read lock.
    pub fn mmap_read_unlock(&mut self, mm: MmId, task: usize) -> bool {
        let readers = &mut self.mms[mm.0].mmap_lock.readers[task];
        if *readers == 0 {
            return false;
        }
        *readers -= 1;
        true
    }

    /// The mms whose mmap lock futex task `task` holds for reading.
    pub fn mmap_read_locked_by(&self, task: usize) -> Vec<MmId> {
        (1..MM_SLOTS)
            .filter(|&m| self.mms[m].mmap_lock.readers[task] > 0)
            .map(MmId)
            .collect()
    }

    pub fn find_vma(&self, mm: MmId, addr: u64) -> Option<Vma> {
        self.mms[mm.0]
            .vmas
            .iter()
            .find(|v| v.contains(addr))
            .copied()
    }

    /// The page-cache entry of the base page a file mapping `vma` has at
    /// `addr` (a sub-page of a hugetlbfs page), as the cache holds it now:
    /// nothing is faulted in or filled.
    pub fn cached_page_at(&self, vma: &Vma, addr: u64) -> Option<super::CacheEntry> {
        let inode = vma.backing.inode()?;
        let pgoff = vma.pgoff_of(addr);
        let per = self.inode_kind(inode).pages_per_entry();
        let sub = |head: PageId| PageId(head.0 + (pgoff % per) as usize);
        Some(match self.cache_entry(inode, pgoff / per)? {
            super::CacheEntry::Present(head) => super::CacheEntry::Present(sub(head)),
            super::CacheEntry::Swapped(head) => super::CacheEntry::Swapped(sub(head)),
        })
    }

    /// The mappings of `mm`, in the order they were made.
    pub fn vmas(&self, mm: MmId) -> &[Vma] {
        &self.mms[mm.0].vmas
    }

    pub fn all_vmas(&self) -> impl Iterator<Item = &Vma> {
        self.mms
            .iter()
            .filter(|m| m.live)
            .flat_map(|m| m.vmas.iter())
    }

    pub fn pte(&self, mm: MmId, addr: u64) -> Option<Pte> {
        self.mms[mm.0].ptes.get(&(addr / PAGE_SIZE)).copied()
    }

    /// Maps `page` at `addr`: one mapcount and one reference.
    pub fn set_pte(&mut self, mm: MmId, addr: u64, page: PageId, writable: bool) {
        self.clear_pte(mm, addr);
        self.map_ref(page);
        self.add_mapcount(page, 1);
        self.mms[mm.0]
            .ptes
            .insert(addr / PAGE_SIZE, Pte { page, writable });
    }

    pub fn clear_pte(&mut self, mm: MmId, addr: u64) {
        if let Some(old) = self.mms[mm.0].ptes.remove(&(addr / PAGE_SIZE)) {
            self.add_mapcount(old.page, -1);
            self.unmap_ref(old.page);
        }
    }

    /// Every (mm, address) whose PTE maps `page`.
    fn mappings_of(&self, page: PageId) -> Vec<(MmId, u64)> {
        let mut found = Vec::new();
        for (slot, meta) in self.mms.iter().enumerate() {
            for (vpn, pte) in &meta.ptes {
                if pte.page == page {
                    found.push((MmId(slot), vpn * PAGE_SIZE));
                }
            }
        }
        found
    }

    /// `unmap_mapping_range()` / `try_to_unmap()` for one page (every
    /// sub-page, for a compound page).
    pub fn unmap_everywhere(&mut self, page: PageId) {
        let head = self.head_of(page);
        for p in self.compound_pages(head).collect::<Vec<_>>() {
            self.unmap_base_page(p);
        }
    }

    /// Unmaps one base page from every page table, leaving the rest of its
    /// compound page mapped (`unmap_mapping_range()` over part of a THP).
    pub fn unmap_base_page(&mut self, page: PageId) {
        for (mm, addr) in self.mappings_of(page) {
            self.clear_pte(mm, addr);
        }
    }

    pub(super) fn replace_in_page_tables(&mut self, old: PageId, new: PageId) {
        for (mm, addr) in self.mappings_of(old) {
            let writable = self.pte(mm, addr).is_some_and(|p| p.writable);
            self.set_pte(mm, addr, new, writable);
        }
    }

    /// A new anonymous folio of `order`, its `index` the page number of
    /// `base`, mapped there by a PTE per base page (in place of whatever
    /// was mapped, whose mapping and reference go).
    pub(super) fn map_new_anon_folio(
        &mut self,
        mm: MmId,
        base: u64,
        order: u32,
        writable: bool,
    ) -> Result<PageId, WorldError> {
        let head = self.alloc_pages(order)?;
        self.set_mapping_anon(head, mm, base / PAGE_SIZE);
        for i in 0..(1u64 << order) {
            self.set_pte(
                mm,
                base + i * PAGE_SIZE,
                PageId(head.0 + i as usize),
                writable,
            );
        }
        Ok(head)
    }

    /// Maps a new anonymous page at `addr`, or a large folio of order
    /// `large` from the aligned address at or below it (a multi-size THP
    /// of 6.8 on, or the model's THP), or the zero page (the huge zero page
    /// for a THP) when `zero`, as a world description.
    pub fn add_anon(
        &mut self,
        mm: MmId,
        addr: u64,
        large: Option<u32>,
        zero: bool,
    ) -> Result<(), WorldError> {
        let Some(vma) = self.find_vma(mm, addr) else {
            return Err(WorldError::Invalid(format!(
                "anon page at {addr:#x} is outside every vma"
            )));
        };
        let thp = large.is_some();
        // A THP needs a THP-enabled vma; an order-0 page fits any anon vma.
        let fits = matches!(vma.backing, Backing::Anon { thp: enabled } if enabled || !thp);
        if !fits || vma.shared {
            return Err(WorldError::Invalid(format!(
                "anon page at {addr:#x} needs a private anon vma{}",
                if thp { " with thp" } else { "" }
            )));
        }
        let order = large.unwrap_or(0);
        if thp && order != THP_ORDER {
            if zero {
                return Err(WorldError::Invalid(
                    "the huge zero page has the THP's size: declare it without order".into(),
                ));
            }
            if !self.era.rules().anon_mthp {
                return Err(self.era.lacks("anonymous multi-size THPs start in 6.8"));
            }
        }
        let span = PAGE_SIZE << order;
        let base = addr & !(span - 1);
        if base < vma.start || base + span > vma.end {
            return Err(WorldError::Invalid(format!(
                "huge page at {base:#x} does not fit its vma"
            )));
        }
        if zero {
            let page = if thp {
                self.huge_zero_page()
            } else {
                self.zero_page()
            };
            for i in 0..(1u64 << order) {
                self.set_pte(mm, base + i * PAGE_SIZE, PageId(page.0 + i as usize), false);
            }
            return Ok(());
        }
        self.map_new_anon_folio(mm, base, order, vma.prot.write)?;
        Ok(())
    }

    /// `fork()`: `child` (an empty mm) gets copies of `parent`'s VMAs and
    /// page tables; private anonymous pages become COW-shared (read-only in
    /// both).
    pub fn fork(&mut self, parent: MmId, child: MmId, actor: Actor) -> Result<Wait, WorldError> {
        if !self.mms[child.0].vmas.is_empty() {
            return Ok(Wait::Skipped("the child mm is not empty"));
        }
        // dup_mmap() write-locks both mms.
        for mm in [parent, child] {
            if let Some(b) = self.mmap_write_blocker(mm, actor) {
                return Ok(Wait::Blocked(b));
            }
        }
        for mm in [parent, child] {
            self.mmap_write_section(mm, actor);
        }
        for v in self.mms[parent.0].vmas.clone() {
            let copy = self.split_off(child, &v, v)?;
            self.mms[child.0].vmas.push(copy);
        }
        let ptes: Vec<(u64, Pte)> = self.mms[parent.0]
            .ptes
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect();
        for (vpn, pte) in ptes {
            let addr = vpn * PAGE_SIZE;
            let shared = self.find_vma(parent, addr).is_some_and(|v| v.shared);
            let writable = pte.writable && shared;
            if !shared {
                self.mms[parent.0].ptes.insert(vpn, Pte { writable, ..pte });
            }
            self.set_pte(child, addr, pte.page, writable);
        }
        Ok(Wait::Done)
    }

    /// Another thread of `mm` writes at `addr`: a COW-shared, zero or
    /// page-cache page in a private writable VMA is replaced by a copy.
    pub fn cow_break(&mut self, mm: MmId, addr: u64) -> Result<Wait, WorldError> {
        let Some(vma) = self.find_vma(mm, addr) else {
            return Ok(Wait::Skipped("no vma there"));
        };
        if vma.shared || !vma.prot.write {
            return Ok(Wait::Skipped("not a private writable mapping"));
        }
        if matches!(vma.backing, Backing::Special(_)) {
            // As the fault path (fault.rs) and the reference semantics
            // take them: a special mapping's page is installed as is.
            return Ok(Wait::Skipped("a special mapping is never written"));
        }
        match self.pte(mm, addr) {
            Some(pte) if pte.writable => Ok(Wait::Skipped("the page is already private")),
            _ => {
                self.break_cow(mm, addr, &vma)?;
                Ok(Wait::Done)
            }
        }
    }

    /// Gives `mm` a private anonymous copy of the page at `addr` (or a new
    /// zeroed page when nothing is mapped there). Reuses an anonymous page
    /// that only this mapping uses, as `do_wp_page()` does.
    pub(super) fn break_cow(
        &mut self,
        mm: MmId,
        addr: u64,
        vma: &Vma,
    ) -> Result<PageId, WorldError> {
        // What the copy is made of: the page mapped there, else the file's.
        let source = self.pte(mm, addr).map(|p| p.page).or_else(|| {
            match self.cached_page_at(vma, addr)? {
                super::CacheEntry::Present(page) => Some(page),
                super::CacheEntry::Swapped(_) => None,
            }
        });
        if let Some(pte) = self.pte(mm, addr) {
            let exclusive = self.page_is_anon(pte.page)
                && self.page_role(pte.page) == PageRole::Regular
                && self.mapcount(pte.page) == 1
                && self.order_of(self.head_of(pte.page)) == 0;
            if exclusive {
                self.mms[mm.0].ptes.insert(
                    addr / PAGE_SIZE,
                    Pte {
                        writable: true,
                        ..pte
                    },
                );
                return Ok(pte.page);
            }
        }
        let page = self.alloc_pages(0)?;
        if let Some(source) = source {
            self.copy_words(source, page);
        }
        self.set_mapping_anon(page, mm, addr / PAGE_SIZE);
        self.set_pte(mm, addr, page, vma.prot.write);
        Ok(page)
    }

    /// `munmap()` of `[start, end)` by `actor`: PTEs and VMA parts go, and
    /// with them the parts' policies. Waits for the mmap lock and the TLB
    /// flush IPI.
    pub fn munmap(
        &mut self,
        mm: MmId,
        start: u64,
        end: u64,
        actor: Actor,
    ) -> Result<Wait, WorldError> {
        if let Some(b) = self.page_table_change_blocker(mm, actor) {
            return Ok(Wait::Blocked(b));
        }
        self.clear_ptes(mm, start, end);
        self.split_vmas(mm, start, end, VmaChange::Unmap)?;
        Ok(Wait::Done)
    }

    /// `mprotect()` of `[start, end)` by `actor`: VMA parts get `prot`;
    /// PTEs lose write permission when it is withdrawn, and stay: even
    /// `PROT_NONE` only changes their protection (`change_pte_range()`'s
    /// `pte_modify()`), so a private COW copy is still mapped when access
    /// comes back. GUP refuses a PTE its vma gives no access through.
    /// Waits for the mmap lock and the TLB flush IPI.
    pub fn mprotect(
        &mut self,
        mm: MmId,
        start: u64,
        end: u64,
        prot: Prot,
        actor: Actor,
    ) -> Result<Wait, WorldError> {
        if let Some(b) = self.page_table_change_blocker(mm, actor) {
            return Ok(Wait::Blocked(b));
        }
        self.split_vmas(mm, start, end, VmaChange::Protect(prot))?;
        if !prot.write {
            let vpns = start / PAGE_SIZE..end.div_ceil(PAGE_SIZE);
            for (_, pte) in self.mms[mm.0].ptes.range_mut(vpns) {
                pte.writable = false;
            }
        }
        Ok(Wait::Done)
    }

    /// `mbind()`'s `mbind_range()` over `[start, end)` of `mm`, under the
    /// mmap lock `actor` holds: each vma part in the range gets its own
    /// copy of `policy` (`vma_replace_policy()`), and its old one is put.
    pub fn mbind_range(
        &mut self,
        mm: MmId,
        start: u64,
        end: u64,
        policy: Policy,
    ) -> Result<Wait, WorldError> {
        if !self.policy_fits(&policy) {
            return Ok(Wait::Skipped("a node the machine does not have (-EINVAL)"));
        }
        let new = self.new_policy(policy)?;
        let result = self.split_vmas(mm, start, end, VmaChange::Policy(new));
        // mbind's own reference; each vma holds a copy.
        self.put_policy(new);
        result.map(|()| Wait::Done)
    }

    /// `set_mempolicy_home_node()` over `[start, end)` of `mm`, under the
    /// mmap lock `actor` holds: each vma with a bind or preferred-many
    /// policy gets a copy with home node `home`; a vma with another policy
    /// stops it (-EOPNOTSUPP); one with the default policy is passed over.
    pub fn set_home_node(
        &mut self,
        mm: MmId,
        start: u64,
        end: u64,
        home: u32,
    ) -> Result<Wait, WorldError> {
        if !self.node_possible(i64::from(home)) {
            return Ok(Wait::Skipped("the home node is not online (-EINVAL)"));
        }
        let vmas: Vec<Vma> = self.mms[mm.0]
            .vmas
            .iter()
            .filter(|v| v.start < end && start < v.end)
            .copied()
            .collect();
        for v in vmas {
            let Some(old) = self.vma_policy(&v) else {
                continue;
            };
            let mut policy = self.policy(old);
            if !policy.mode.takes_home() {
                return Ok(Wait::Skipped(
                    "a policy that is neither bind nor preferred-many (-EOPNOTSUPP)",
                ));
            }
            policy.home = Some(home);
            let (lo, hi) = (v.start.max(start), v.end.min(end));
            self.mbind_range(mm, lo, hi, policy)?;
        }
        Ok(Wait::Done)
    }

    fn clear_ptes(&mut self, mm: MmId, start: u64, end: u64) {
        let vpns = start / PAGE_SIZE..end.div_ceil(PAGE_SIZE);
        let mapped: Vec<u64> = self.mms[mm.0]
            .ptes
            .range(vpns)
            .map(|(vpn, _)| *vpn)
            .collect();
        for vpn in mapped {
            self.clear_pte(mm, vpn * PAGE_SIZE);
        }
    }

    /// Splits the VMAs that straddle `start` or `end`; the parts inside
    /// the range go (munmap), or get a new protection or policy. The part
    /// inside the range stays the vma's C object, the others are new ones
    /// with a copy of its policy (`__split_vma()`); a part that goes is
    /// freed.
    fn split_vmas(
        &mut self,
        mm: MmId,
        start: u64,
        end: u64,
        change: VmaChange,
    ) -> Result<(), WorldError> {
        let mut out = Vec::new();
        for v in std::mem::take(&mut self.mms[mm.0].vmas) {
            if v.end <= start || end <= v.start {
                out.push(v);
                continue;
            }
            let (lo, hi) = (v.start.max(start), v.end.min(end));
            let before = (v.start < lo).then_some(Vma { end: lo, ..v });
            let inside = Vma {
                start: lo,
                end: hi,
                pgoff: v.pgoff_of(lo),
                ..v
            };
            let after = (hi < v.end).then_some(Vma {
                start: hi,
                pgoff: v.pgoff_of(hi),
                ..v
            });
            // As __split_vma() leaves it (munmap, and vma_modify() for
            // mprotect and mbind): the vma itself becomes the part inside
            // the range, and the parts before and after it are new vmas
            // with copies of its policy, the one below made first.
            for part in [before, after].into_iter().flatten() {
                out.push(self.split_off(mm, &v, part)?);
            }
            self.sync_vma_bounds(&inside);
            match change {
                VmaChange::Unmap => self.free_vma(&inside),
                VmaChange::Protect(prot) => out.push(Vma { prot, ..inside }),
                VmaChange::Policy(policy) => {
                    // vma_replace_policy(): the new copy goes in, then the
                    // old one is put.
                    let old = self.vma_policy(&inside);
                    let copy = self.dup_policy(policy)?;
                    self.set_vma_policy(&inside, copy);
                    self.put_policy(old);
                    out.push(inside);
                }
            }
        }
        out.sort_by_key(|v| v.start);
        self.mms[mm.0].vmas = out;
        Ok(())
    }
}
