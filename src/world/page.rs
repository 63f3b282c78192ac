//! Pages: allocation of order-0 and compound pages, references (with 3.x
//! tail pins), the page lock, page flags, and the page-level mm events:
//! THP split and migration.
//!
//! Kernel-visible state (`flags`, `mapping`, `index`, `first_page`,
//! `_count`, `_mapcount`, `compound_order`) lives in the C-layout page; only
//! what the kernel keeps elsewhere (who holds the lock, where a swap-cache
//! page belongs) is in [`PageMeta`].

use super::memory::{Slot, PAGE_SLOTS};
use super::{Actor, InodeId, MmId, Mode, PageId, PageRef, World, WorldError};
use crate::era::{CompoundRefs, HugetlbIndex};
use crate::finding::FindingClass;

/// `page->flags` bits. Their numbering is the model's own.
const PG_LOCKED: u64 = 1 << 0;
const PG_HEAD: u64 = 1 << 1;
const PG_TAIL: u64 = 1 << 2;
const PG_SWAPCACHE: u64 = 1 << 3;
const PG_RESERVED: u64 = 1 << 4;
const PG_HUGETLB: u64 = 1 << 5;

/// What kind of memory a page is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PageRole {
    #[default]
    Regular,
    /// `ZERO_PAGE(0)`: mapped read-only for reads of untouched anon memory.
    Zero,
    /// The huge zero page, for reads of untouched THP-enabled memory.
    HugeZero,
    /// A page of a special mapping (vDSO, gate area): no mapping, never freed.
    Special,
}

#[derive(Clone, Debug, Default)]
pub struct PageMeta {
    pub live: bool,
    /// How many times the slot was allocated: with the slot, the page's
    /// identity.
    pub generation: u32,
    pub role: PageRole,
    pub lock_owner: Option<Actor>,
    /// References taken through this tail page (3.x tail refcounting):
    /// they count on the head, and move to the tail when a THP is split.
    pub tail_pins: i32,
    /// Where a page in the swap cache came from, to go back on swap-in.
    pub swap_home: Option<(InodeId, u64)>,
}

/// The outcome of an attempt that may have to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    Done,
    /// Skipped by the kernel's own rule (e.g. reclaim skips a pinned page).
    Skipped(&'static str),
    /// Cannot happen yet: the futex thread or another event holds something.
    Blocked(Blocker),
}

/// What a waiting event waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocker {
    PageLock(PageId, Actor),
    /// A TLB flush IPI cannot be answered while a futex task (this one)
    /// has irqs off.
    IrqsOff(usize),
    /// An RCU grace period waits for a futex task's read section.
    RcuReader(usize),
    /// The inode is still mapped, so its last reference cannot go (strict).
    InodeMapped(InodeId),
    /// The inode slot is not free yet.
    SlotBusy(InodeId),
    /// The mmap lock of the mm is held (for writing by the actor, or for
    /// reading by a futex task).
    MmapLock(MmId, Actor),
}

impl Blocker {
    /// Who holds what this waits for, when someone does.
    pub fn holder(&self) -> Option<Actor> {
        match *self {
            Blocker::PageLock(_, owner) | Blocker::MmapLock(_, owner) => Some(owner),
            Blocker::IrqsOff(task) | Blocker::RcuReader(task) => Some(Actor::Task(task)),
            Blocker::InodeMapped(_) | Blocker::SlotBusy(_) => None,
        }
    }

    /// Whether `actor` holds what this waits for.
    pub fn held_by(&self, actor: Actor) -> bool {
        self.holder() == Some(actor)
    }

    /// Whether it is a lock its holder will let go of as it runs on.
    pub fn is_lock(&self) -> bool {
        matches!(self, Blocker::PageLock(..) | Blocker::MmapLock(..))
    }
}

impl World {
    pub(super) fn alloc_special(
        &mut self,
        order: u32,
        role: PageRole,
    ) -> Result<PageId, WorldError> {
        let page = self.alloc_pages(order)?;
        for p in self.compound_pages(page) {
            self.pages[p.0].role = role;
            self.set_flag(p, PG_RESERVED, true);
        }
        // Reserved pages are never freed: one reference stands for the kernel.
        self.mem.pages[page.0]._count.counter = 1;
        Ok(page)
    }

    /// A page for a special mapping (vDSO, gate area).
    pub fn alloc_special_page(&mut self) -> Result<PageId, WorldError> {
        self.alloc_special(0, PageRole::Special)
    }

    /// Allocates `2^order` contiguous pages; tails point at the head.
    /// The head starts with no references: its first user takes one.
    pub fn alloc_pages(&mut self, order: u32) -> Result<PageId, WorldError> {
        let n = 1usize << order;
        let mut start = 1;
        while start + n <= PAGE_SLOTS {
            match (start..start + n).find(|&s| self.pages[s].live) {
                Some(busy) => start = busy + 1,
                None => {
                    self.init_compound(start, order);
                    return Ok(PageId(start));
                }
            }
        }
        Err(WorldError::Capacity("pages", PAGE_SLOTS - 1))
    }

    fn init_compound(&mut self, start: usize, order: u32) {
        let end = start + (1 << order);
        self.mem.pages_used = self.mem.pages_used.max(end);
        let head_ptr = self.mem.page_ptr(start);
        for slot in start..end {
            self.pages[slot] = PageMeta {
                live: true,
                generation: self.pages[slot].generation + 1,
                ..PageMeta::default()
            };
            let page = &mut self.mem.pages[slot];
            page.flags = 0;
            page.mapping = std::ptr::null_mut();
            page.index = 0;
            page.first_page = std::ptr::null_mut();
            page._count.counter = 0;
            page._mapcount.counter = -1;
            page.compound_order = 0;
            if order > 0 {
                if slot == start {
                    page.flags = PG_HEAD as _;
                    page.compound_order = order;
                } else {
                    page.flags = PG_TAIL as _;
                    page.first_page = head_ptr;
                }
            }
        }
    }

    fn free_compound(&mut self, head: PageId) {
        for p in self.compound_pages(head) {
            self.pages[p.0] = PageMeta {
                generation: self.pages[p.0].generation,
                ..PageMeta::default()
            };
            self.mem.poison_page(p.0);
        }
    }

    /// The identity of the page in `page`'s slot now.
    pub fn page_ref(&self, page: PageId) -> PageRef {
        PageRef {
            slot: page,
            generation: self.pages[page.0].generation,
        }
    }

    pub fn page_live(&self, page: PageId) -> bool {
        page.0 > 0 && page.0 < PAGE_SLOTS && self.pages[page.0].live
    }

    pub fn page_role(&self, page: PageId) -> PageRole {
        self.pages[page.0].role
    }

    fn flags(&self, page: PageId) -> u64 {
        self.mem.pages[page.0].flags as u64
    }

    fn set_flag(&mut self, page: PageId, flag: u64, on: bool) {
        let flags = &mut self.mem.pages[page.0].flags;
        if on {
            *flags |= flag as std::os::raw::c_ulong;
        } else {
            *flags &= !(flag as std::os::raw::c_ulong);
        }
    }

    pub fn is_tail(&self, page: PageId) -> bool {
        self.pages[page.0].live && self.flags(page) & PG_TAIL != 0
    }

    pub fn is_head(&self, page: PageId) -> bool {
        self.flags(page) & PG_HEAD != 0
    }

    pub fn is_hugetlb(&self, page: PageId) -> bool {
        self.flags(self.head_of(page)) & PG_HUGETLB != 0
    }

    pub fn mark_hugetlb(&mut self, head: PageId) {
        self.set_flag(head, PG_HUGETLB, true);
    }

    pub fn is_swap_cache(&self, page: PageId) -> bool {
        self.flags(page) & PG_SWAPCACHE != 0
    }

    pub(super) fn set_swap_cache(&mut self, page: PageId, home: Option<(InodeId, u64)>) {
        self.set_flag(page, PG_SWAPCACHE, home.is_some());
        self.pages[page.0].swap_home = home;
    }

    pub fn swap_home(&self, page: PageId) -> Option<(InodeId, u64)> {
        self.pages[page.0].swap_home
    }

    /// `compound_head()`: the head of a tail page, the page itself otherwise.
    pub fn head_of(&self, page: PageId) -> PageId {
        if !self.is_tail(page) {
            return page;
        }
        match self.resolve(self.mem.pages[page.0].first_page as usize) {
            Some(r) => match r.slot {
                Slot::Page(h) => PageId(h),
                _ => page,
            },
            None => page,
        }
    }

    pub fn order_of(&self, head: PageId) -> u32 {
        if self.is_head(head) {
            self.mem.pages[head.0].compound_order
        } else {
            0
        }
    }

    /// The head and all tails of the compound page `head` heads.
    pub fn compound_pages(&self, head: PageId) -> impl Iterator<Item = PageId> {
        let n = 1usize << self.order_of(head);
        (head.0..head.0 + n).map(PageId)
    }

    pub fn page_count(&self, page: PageId) -> i32 {
        self.mem.pages[self.head_of(page).0]._count.counter
    }

    pub fn page_index(&self, page: PageId) -> u64 {
        self.mem.pages[page.0].index as u64
    }

    pub fn mapcount(&self, page: PageId) -> i32 {
        self.mem.pages[page.0]._mapcount.counter + 1
    }

    pub(super) fn add_mapcount(&mut self, page: PageId, delta: i32) {
        self.mem.pages[page.0]._mapcount.counter += delta;
    }

    /// `get_page()`: a reference on the head; through a tail, in an era
    /// with tail refcounting, it is also a tail pin.
    pub fn get_page(&mut self, page: PageId) {
        self.take_ref(page, true);
    }

    /// `put_page()`: drops a reference; the last one frees the page.
    pub fn put_page(&mut self, page: PageId) {
        self.drop_ref(page, true);
    }

    /// The reference a page-table entry holds: on the head, never a tail
    /// pin (a THP is mapped as a whole).
    pub(super) fn map_ref(&mut self, page: PageId) {
        self.take_ref(page, false);
    }

    pub(super) fn unmap_ref(&mut self, page: PageId) {
        self.drop_ref(page, false);
    }

    /// Whether references taken through a tail page are recorded on it,
    /// as the era counts compound pages.
    fn records_tail_pins(&self) -> bool {
        self.era.rules().compound_refs == CompoundRefs::TailPins
    }

    fn take_ref(&mut self, page: PageId, pin: bool) {
        let head = self.head_of(page);
        if pin && head != page && self.records_tail_pins() {
            self.pages[page.0].tail_pins += 1;
        }
        self.mem.pages[head.0]._count.counter += 1;
    }

    fn drop_ref(&mut self, page: PageId, pin: bool) {
        let head = self.head_of(page);
        if pin && head != page && self.pages[page.0].tail_pins > 0 {
            self.pages[page.0].tail_pins -= 1;
        }
        let count = &mut self.mem.pages[head.0]._count.counter;
        *count -= 1;
        let now = *count;
        if now < 0 {
            let name = self.page_name(head);
            self.report(
                FindingClass::RefcountUnderflow,
                format!("{name}._count dropped below zero"),
            );
        } else if now == 0 && self.pages[head.0].role == PageRole::Regular {
            self.free_compound(head);
        }
    }

    /// References on a page beyond those of the page cache (or swap cache)
    /// and of the page tables mapping it: GUP pins and the like.
    pub fn extra_refs(&self, page: PageId) -> i32 {
        let head = self.head_of(page);
        let mapped: i32 = self.compound_pages(head).map(|p| self.mapcount(p)).sum();
        self.page_count(head) - self.cache_refs(head) - mapped
    }

    /// The inode whose page cache `page->mapping` names, if any.
    pub fn page_mapping_slot(&self, page: PageId) -> Option<InodeId> {
        let mapping = self.mem.pages[page.0].mapping as usize;
        match self.resolve(mapping)?.slot {
            Slot::Mapping(i) if i > 0 => Some(InodeId(i)),
            _ => None,
        }
    }

    pub fn page_is_anon(&self, page: PageId) -> bool {
        self.mem.pages[page.0].mapping as usize & crate::abi::PAGE_MAPPING_ANON != 0
    }

    pub fn page_mapping_is_null(&self, page: PageId) -> bool {
        self.mem.pages[page.0].mapping.is_null()
    }

    pub(super) fn set_mapping_anon(&mut self, page: PageId, mm: super::MmId, index: u64) {
        let ptr = self.mem.anon_mapping_ptr(mm.0);
        let raw = &mut self.mem.pages[page.0];
        raw.mapping = ptr;
        raw.index = index as _;
    }

    /// Puts `page` at cache entry `index` of `inode`: a hugetlbfs head's
    /// `index` is in the era's unit, any other page's in base pages.
    pub(super) fn set_mapping_file(&mut self, page: PageId, inode: InodeId, index: u64) {
        let index = match self.era.rules().hugetlb_index {
            HugetlbIndex::BasePages if self.is_hugetlb(page) => index << self.order_of(page),
            _ => index,
        };
        let ptr = self.mem.mapping_ptr(inode.0);
        let raw = &mut self.mem.pages[page.0];
        raw.mapping = ptr;
        raw.index = index as _;
    }

    /// The cache entry a page-cache page sits at: its `index`, which a
    /// hugetlbfs head of 6.7 on keeps in base pages.
    pub fn cache_index(&self, page: PageId) -> u64 {
        match self.era.rules().hugetlb_index {
            HugetlbIndex::BasePages if self.is_hugetlb(page) => {
                self.page_index(page) >> self.order_of(page)
            }
            _ => self.page_index(page),
        }
    }

    pub(super) fn clear_mapping(&mut self, page: PageId) {
        self.mem.pages[page.0].mapping = std::ptr::null_mut();
    }

    /// `basepage_index()`: the page's index in base pages. A hugetlbfs page
    /// keeps its index on the head, in the era's unit; a sub-page adds its
    /// place.
    pub fn basepage_index(&self, page: PageId) -> u64 {
        if !self.is_hugetlb(page) {
            return self.page_index(page);
        }
        let head = self.head_of(page);
        let head_index = match self.era.rules().hugetlb_index {
            HugetlbIndex::HugePages => self.page_index(head) << self.order_of(head),
            HugetlbIndex::BasePages => self.page_index(head),
        };
        head_index + (page.0 - head.0) as u64
    }

    /// `page_to_pgoff()` (4.x on): a hugetlb page's base-page index, else
    /// the page's own index, or for a THP tail, whose own index the kernel
    /// does not keep, its head's plus its place in the compound page.
    pub fn page_to_pgoff(&self, page: PageId) -> u64 {
        if self.is_hugetlb(page) {
            return self.basepage_index(page);
        }
        let head = self.head_of(page);
        if head == page {
            self.page_index(page)
        } else {
            self.page_index(head) + (page.0 - head.0) as u64
        }
    }

    pub fn lock_owner(&self, page: PageId) -> Option<Actor> {
        self.pages[self.head_of(page).0].lock_owner
    }

    /// Takes the page lock for `actor`, or says who holds it.
    pub fn try_lock_page(&mut self, page: PageId, actor: Actor) -> Wait {
        let head = self.head_of(page);
        match self.pages[head.0].lock_owner {
            Some(owner) => Wait::Blocked(Blocker::PageLock(head, owner)),
            None => {
                self.pages[head.0].lock_owner = Some(actor);
                self.set_flag(head, PG_LOCKED, true);
                Wait::Done
            }
        }
    }

    /// Releases the page lock; false when `actor` did not hold it.
    pub fn unlock_page(&mut self, page: PageId, actor: Actor) -> bool {
        let head = self.head_of(page);
        if self.pages[head.0].lock_owner != Some(actor) {
            return false;
        }
        self.pages[head.0].lock_owner = None;
        self.set_flag(head, PG_LOCKED, false);
        true
    }

    /// Pages locked by `actor`, for balance checks.
    pub fn pages_locked_by(&self, actor: Actor) -> Vec<PageId> {
        (1..self.pages_used())
            .filter(|&s| self.pages[s].live && self.pages[s].lock_owner == Some(actor))
            .map(PageId)
            .collect()
    }

    /// Splits a THP, anonymous or in a shmem page cache, into order-0
    /// pages (`split_huge_page`). Each tail of a cached one takes over its
    /// cache entry's reference and gets its own `mapping` and `index`.
    ///
    /// Waits for a TLB flush, which the thread holds off with irqs off. An
    /// era that keeps pinned THPs whole does not split one (strict). With
    /// tail refcounting the references taken through each tail move to that
    /// tail; otherwise (a relaxed split of a pinned 4.5+ THP) they stay on
    /// the head, the only place they were ever counted.
    pub fn split_thp(&mut self, page: PageId) -> Wait {
        self.split_thp_holding(page, 0)
    }

    /// [`World::split_thp`] by a caller that holds `own_pins` references
    /// of its own, which the split allows for (`can_split_folio()`).
    pub fn split_thp_holding(&mut self, page: PageId, own_pins: i32) -> Wait {
        let head = self.head_of(page);
        if !self.is_head(head) || self.is_hugetlb(head) || self.page_role(head) != PageRole::Regular
        {
            return Wait::Skipped("not a transparent huge page");
        }
        if let Some(task) = self.irqs_off_task() {
            return Wait::Blocked(Blocker::IrqsOff(task));
        }
        if self.mode == Mode::Strict
            && !self.era.rules().split_pinned_thp
            && self.extra_refs(head) > own_pins
        {
            return Wait::Skipped("the huge page is pinned (4.5+ refuses to split it)");
        }
        let mapping = self.mem.pages[head.0].mapping;
        let index = self.page_index(head);
        let cached = i32::from(self.in_cached_thp(head));
        let mut moved = 0;
        for (i, tail) in self.compound_pages(head).enumerate().skip(1) {
            let pins = self.pages[tail.0].tail_pins;
            let maps = self.mapcount(tail);
            self.pages[tail.0].tail_pins = 0;
            let raw = &mut self.mem.pages[tail.0];
            raw.flags &= !(PG_TAIL as std::os::raw::c_ulong);
            raw.first_page = std::ptr::null_mut();
            raw.mapping = mapping;
            raw.index = (index + i as u64) as _;
            raw._count.counter = pins + maps + cached;
            moved += pins + maps + cached;
            if raw._count.counter == 0 {
                self.free_compound(tail);
            }
        }
        let raw = &mut self.mem.pages[head.0];
        raw.flags &= !(PG_HEAD as std::os::raw::c_ulong);
        raw.compound_order = 0;
        raw._count.counter -= moved;
        Wait::Done
    }

    /// Migrates a page the caller holds locked to a new page: page tables
    /// and the page cache move over, the old page loses its mapping. An
    /// era that migrates large folios moves the whole folio of a THP page
    /// (anonymous or cached) to a new one of the same order; earlier eras
    /// move order-0 pages only. Refused for a pinned page (strict), as the
    /// kernel's reference freeze would fail; `own_pins` are the references
    /// the migration itself holds (its isolation of the page).
    pub fn migrate_page(&mut self, old: PageId, own_pins: i32) -> Result<Wait, WorldError> {
        let large = self.order_of(self.head_of(old)) > 0 && !self.is_hugetlb(old);
        if large && self.era.rules().migrates_large_folios {
            return self.migrate_folio(self.head_of(old), own_pins);
        }
        if self.order_of(old) > 0 || self.is_tail(old) || self.page_role(old) != PageRole::Regular {
            return Ok(Wait::Skipped("only order-0 pages migrate in the model"));
        }
        if self.page_mapping_is_null(old) {
            return Ok(Wait::Skipped("the page has no mapping"));
        }
        if self.mode == Mode::Strict && self.extra_refs(old) > own_pins {
            return Ok(Wait::Skipped("the page is pinned"));
        }
        let new = self.alloc_pages(0)?;
        let raw_old = self.mem.pages[old.0];
        {
            let raw_new = &mut self.mem.pages[new.0];
            raw_new.mapping = raw_old.mapping;
            raw_new.index = raw_old.index;
            raw_new.flags |= raw_old.flags & PG_SWAPCACHE as std::os::raw::c_ulong;
        }
        self.pages[new.0].swap_home = self.pages[old.0].swap_home;
        self.copy_words(old, new);
        // Page tables: every PTE of the old page now maps the new one.
        self.replace_in_page_tables(old, new);
        // Page cache: the cache's reference moves with the entry.
        if let Some(inode) = self.page_mapping_slot(old) {
            let index = self.page_index(old);
            self.replace_in_cache(inode, index, old, new);
        }
        self.clear_mapping(old);
        self.set_swap_cache(old, None);
        Ok(Wait::Done)
    }

    /// Moves the large folio headed by `old` to a new one of its order:
    /// each page's mappings and cache entry go to the page at the same
    /// place in the new folio.
    fn migrate_folio(&mut self, old: PageId, own_pins: i32) -> Result<Wait, WorldError> {
        if self.page_role(old) != PageRole::Regular {
            return Ok(Wait::Skipped("the zero page does not migrate"));
        }
        if self.page_mapping_is_null(old) {
            return Ok(Wait::Skipped("the folio has no mapping"));
        }
        if self.mode == Mode::Strict && self.extra_refs(old) > own_pins {
            return Ok(Wait::Skipped("the folio is pinned"));
        }
        let new = self.alloc_pages(self.order_of(old))?;
        let (mapping, index) = (self.mem.pages[old.0].mapping, self.mem.pages[old.0].index);
        self.mem.pages[new.0].mapping = mapping;
        self.mem.pages[new.0].index = index;
        let cache = self.page_mapping_slot(old);
        let first = self.page_index(old);
        for (i, page) in self.compound_pages(old).enumerate().collect::<Vec<_>>() {
            let to = PageId(new.0 + i);
            self.copy_words(page, to);
            self.replace_in_page_tables(page, to);
            if let Some(inode) = cache {
                self.replace_in_cache(inode, first + i as u64, page, to);
            }
        }
        self.clear_mapping(old);
        Ok(Wait::Done)
    }
}
