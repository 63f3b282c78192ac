//! Inodes and their page cache: creation and slot reuse, cache insertion
//! and lookup, truncation and hole punching, shmem swap-out and swap-in,
//! the last `iput()` with eviction, and the RCU-deferred free.

use std::collections::BTreeMap;

use super::file::FileId;
use super::memory::INODE_SLOTS;
use super::page::{Blocker, Wait};
use super::{
    Actor, InodeId, InodeRef, Mode, PageId, RcuFree, World, WorldError, PAGE_SIZE, THP_ORDER,
};
use crate::finding::FindingClass;

/// What backs an inode's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InodeKind {
    /// A regular file on a disk filesystem.
    File,
    /// tmpfs, SysV shm, `MAP_SHARED|MAP_ANONYMOUS`, memfd: may swap.
    Shmem,
    /// hugetlbfs: compound pages whose tails have no mapping.
    Hugetlbfs { order: u32 },
}

impl InodeKind {
    /// Base pages per cache entry.
    pub fn pages_per_entry(self) -> u64 {
        match self {
            InodeKind::Hugetlbfs { order } => 1 << order,
            _ => 1,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InodeState {
    #[default]
    Free,
    Live,
    /// `i_count` reached zero; eviction is truncating the cache.
    Evicting,
    /// Evicted; the free waits for an RCU grace period.
    Freeing,
}

/// Why a page cache holds no large folio.
pub(super) enum NoLargeFolio {
    /// The era's kernels have none there (the reason, with when they came).
    NotInEra(&'static str),
    /// A hugetlbfs page is huge by its inode's order already.
    Hugetlbfs,
}

/// A page-cache slot: a page, or a shmem page moved to the swap cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheEntry {
    Present(PageId),
    Swapped(PageId),
}

#[derive(Clone, Debug, Default)]
pub struct InodeMeta {
    pub state: InodeState,
    pub kind: Option<InodeKind>,
    pub generation: u32,
    /// References held outside the futex thread (the dentry, open files),
    /// as the scenario declared them; `iput` events drop these.
    pub external_refs: i32,
    /// The page cache (the radix tree), by index in cache entries.
    pub cache: BTreeMap<u64, CacheEntry>,
    /// The mount of its filesystem the inode was created on.
    pub sb_generation: u32,
    /// The file it holds (kept once the inode is freed).
    pub file: FileId,
}

impl World {
    /// Creates an inode of `size_pages` base pages with `refs` references
    /// held elsewhere (the dentry, open files), in the first free slot or
    /// in `slot` when given (reuse of a freed inode's address).
    pub fn add_inode(
        &mut self,
        kind: InodeKind,
        size_pages: u64,
        refs: i32,
        slot: Option<InodeId>,
    ) -> Result<InodeId, WorldError> {
        self.add_inode_of(kind, size_pages, refs, slot, None)
    }

    /// [`World::add_inode`] for `file` (a file read back), or a new file.
    pub(super) fn add_inode_of(
        &mut self,
        kind: InodeKind,
        size_pages: u64,
        refs: i32,
        slot: Option<InodeId>,
        file: Option<FileId>,
    ) -> Result<InodeId, WorldError> {
        let id = match slot {
            Some(id) => id,
            None => (1..INODE_SLOTS)
                .find(|&s| self.inodes[s].state == InodeState::Free)
                .map(InodeId)
                .ok_or(WorldError::Capacity("inodes", INODE_SLOTS - 1))?,
        };
        if self.inodes[id.0].state != InodeState::Free {
            return Err(WorldError::Invalid(format!(
                "inode slot {} is in use",
                id.0
            )));
        }
        if refs < 1 {
            return Err(WorldError::Invalid(
                "an inode needs at least one reference".into(),
            ));
        }
        let sb_generation = self.mount_for(kind);
        let file = file.unwrap_or_else(|| self.new_file(kind, size_pages));
        let meta = &mut self.inodes[id.0];
        meta.sb_generation = sb_generation;
        meta.file = file;
        meta.state = InodeState::Live;
        meta.kind = Some(kind);
        meta.generation += 1;
        meta.external_refs = refs;
        meta.cache.clear();
        let generation = meta.generation;
        let inode_ptr = self.mem.inode_ptr(id.0);
        let mapping_ptr = self.mem.mapping_ptr(id.0);
        let raw = &mut self.mem.inodes[id.0];
        raw.i_count.counter = refs;
        raw.i_mapping = mapping_ptr;
        raw.i_data.host = inode_ptr;
        raw.i_data.nrpages = 0;
        raw.i_size = (size_pages * PAGE_SIZE) as i64;
        raw.i_ino = (id.0 as u64 * 1000 + generation as u64) as _;
        // A new inode, in a reused slot too, has no sequence number yet.
        raw.i_sequence.counter = 0;
        let named = self.inode_ref(id);
        self.note_file(named, file);
        Ok(id)
    }

    pub fn inode_state(&self, inode: InodeId) -> InodeState {
        self.inodes[inode.0].state
    }

    pub fn inode_live(&self, inode: InodeId) -> bool {
        inode.0 > 0 && inode.0 < INODE_SLOTS && self.inodes[inode.0].state != InodeState::Free
    }

    /// The kind of the inode in `inode`'s slot, if the slot holds one.
    pub fn kind_of(&self, inode: InodeId) -> Option<InodeKind> {
        self.inodes[inode.0].kind
    }

    pub fn inode_kind(&self, inode: InodeId) -> InodeKind {
        self.inodes[inode.0].kind.unwrap_or(InodeKind::File)
    }

    /// `inode->i_sequence` (5.6 on): 0 until a futex names the inode.
    pub fn i_sequence(&self, inode: InodeId) -> i64 {
        self.mem.inodes[inode.0].i_sequence.counter
    }

    /// Sets `inode->i_sequence` and notes which inode the number names.
    pub fn set_i_sequence(&mut self, inode: InodeId, value: i64) {
        self.mem.inodes[inode.0].i_sequence.counter = value;
        if inode.0 > 0 && value != 0 {
            let named = self.inode_ref(inode);
            self.sequences.push((value as u64, named));
        }
    }

    /// The inode an inode sequence number was given to, if any was; the
    /// first, should a revision hand one number out twice.
    pub fn inode_of_sequence(&self, sequence: u64) -> Option<InodeRef> {
        self.sequences
            .iter()
            .find(|(s, _)| *s == sequence)
            .map(|(_, inode)| *inode)
    }

    /// The number of the revision's own 64-bit counter at `addr`, in the
    /// order the execution first used them: a C revision and its port keep
    /// their statics at different addresses, and agree on this.
    pub fn static_counter_slot(&mut self, addr: usize) -> usize {
        match self.statics.iter().position(|(a, _)| *a == addr) {
            Some(slot) => slot,
            None => {
                self.statics.push((addr, 0));
                self.statics.len() - 1
            }
        }
    }

    pub fn static_counter(&self, slot: usize) -> i64 {
        self.statics[slot].1
    }

    pub fn set_static_counter(&mut self, slot: usize, value: i64) {
        self.statics[slot].1 = value;
    }

    pub fn inode_ref(&self, inode: InodeId) -> InodeRef {
        InodeRef {
            slot: inode,
            generation: self.inodes[inode.0].generation,
        }
    }

    pub fn i_count(&self, inode: InodeId) -> i32 {
        self.mem.inodes[inode.0].i_count.counter
    }

    /// The inode's size in base pages.
    pub fn inode_size_pages(&self, inode: InodeId) -> u64 {
        (self.mem.inodes[inode.0].i_size.max(0) as u64).div_ceil(PAGE_SIZE)
    }

    pub fn cache_entry(&self, inode: InodeId, index: u64) -> Option<CacheEntry> {
        self.inodes[inode.0].cache.get(&index).copied()
    }

    pub fn cache_indices(&self, inode: InodeId) -> Vec<u64> {
        self.inodes[inode.0].cache.keys().copied().collect()
    }

    /// Allocates a page for `index` and adds it to the cache (a page-cache
    /// fault, or a world description). The cache holds one reference.
    pub fn cache_new_page(&mut self, inode: InodeId, index: u64) -> Result<PageId, WorldError> {
        let kind = self.inode_kind(inode);
        let order = match kind {
            InodeKind::Hugetlbfs { order } => order,
            _ => 0,
        };
        let page = self.alloc_pages(order)?;
        if order > 0 {
            self.mark_hugetlb(page);
        }
        self.set_mapping_file(page, inode, index);
        self.get_page(page);
        self.inodes[inode.0]
            .cache
            .insert(index, CacheEntry::Present(page));
        self.mem.inodes[inode.0].i_data.nrpages += 1;
        Ok(page)
    }

    /// Adds a large page-cache folio at `index`: a shmem transparent huge
    /// page (4.8 on) or a regular file's large folio (6.7 on). It is a
    /// compound page of `order` with a cache entry for each base page,
    /// mapped by PTEs. As `shmem_add_to_page_cache()` and
    /// `filemap_add_folio()` do, the cache holds one reference per base
    /// page and `mapping` and `index` are set on the head alone: a tail's
    /// index is whatever its last user left (0 here), and only its place in
    /// the folio says where it lies in the file.
    pub fn cache_new_large_folio(
        &mut self,
        inode: InodeId,
        index: u64,
        order: u32,
    ) -> Result<PageId, WorldError> {
        let kind = self.inode_kind(inode);
        match self.large_folio_refusal(kind) {
            Some(NoLargeFolio::NotInEra(since)) => return Err(self.era.lacks(since)),
            Some(NoLargeFolio::Hugetlbfs) => {
                return Err(WorldError::Invalid(
                    "a hugetlbfs page is huge by its inode's order: declare it without thp".into(),
                ))
            }
            None => {}
        }
        if kind == InodeKind::Shmem && order != THP_ORDER {
            // shmem_alloc_and_add_folio() of 6.11 on allocates smaller
            // orders for shared anonymous memory, 6.14 on for tmpfs: one
            // shmem kind cannot tell those apart.
            return Err(WorldError::Invalid(
                "shmem huge pages have the THP's size in the model (shmem's multi-size THPs of 6.11 on are not modelled): declare it without order".into(),
            ));
        }
        let n = 1u64 << order;
        if index % n != 0 || index + n > self.inode_size_pages(inode) {
            return Err(WorldError::Invalid(format!(
                "a large folio covers {n} aligned pages inside the file; index {index} does not"
            )));
        }
        if (index..index + n).any(|i| self.cache_entry(inode, i).is_some()) {
            return Err(WorldError::Invalid(format!(
                "pages {index}-{} of the large folio are cached already",
                index + n - 1
            )));
        }
        self.place_large_folio(inode, index, order)
    }

    /// Why the page cache of an inode of `kind` holds no large folio in
    /// this era, if it holds none.
    pub(super) fn large_folio_refusal(&self, kind: InodeKind) -> Option<NoLargeFolio> {
        let rules = self.era.rules();
        match kind {
            InodeKind::Shmem if rules.shmem_thp => None,
            InodeKind::File if rules.file_large_folios => None,
            InodeKind::Shmem => Some(NoLargeFolio::NotInEra("shmem huge pages start in 4.8")),
            InodeKind::File => Some(NoLargeFolio::NotInEra(
                "large folios of regular files are modelled from 6.7",
            )),
            InodeKind::Hugetlbfs { .. } => Some(NoLargeFolio::Hugetlbfs),
        }
    }

    /// A new large folio of `order` at `index` of `inode`'s cache, in
    /// place of the entries there: an entry and a cache reference for each
    /// base page, `mapping` and `index` on the head alone.
    pub(super) fn place_large_folio(
        &mut self,
        inode: InodeId,
        index: u64,
        order: u32,
    ) -> Result<PageId, WorldError> {
        let head = self.alloc_pages(order)?;
        self.set_mapping_file(head, inode, index);
        for (i, page) in self.compound_pages(head).enumerate().collect::<Vec<_>>() {
            self.get_page(head);
            let entry = CacheEntry::Present(page);
            if self.inodes[inode.0]
                .cache
                .insert(index + i as u64, entry)
                .is_none()
            {
                self.mem.inodes[inode.0].i_data.nrpages += 1;
            }
        }
        Ok(head)
    }

    /// How many references the page cache or swap cache holds on the
    /// compound page of `page`: one per cache entry.
    pub fn cache_refs(&self, page: PageId) -> i32 {
        let head = self.head_of(page);
        if self.page_mapping_slot(head).is_some() {
            if self.is_hugetlb(head) {
                1
            } else {
                1 << self.order_of(head)
            }
        } else {
            i32::from(self.is_swap_cache(head))
        }
    }

    /// Whether `page` belongs to a large folio (a shmem or file THP) still
    /// in a page cache.
    pub fn in_cached_thp(&self, page: PageId) -> bool {
        let head = self.head_of(page);
        self.order_of(head) > 0 && !self.is_hugetlb(head) && self.page_mapping_slot(head).is_some()
    }

    /// Puts a cached shmem page straight into the swap cache (a world
    /// description of a page that reclaim already swapped out).
    pub fn cache_swap_out_now(&mut self, inode: InodeId, index: u64) {
        if let Some(CacheEntry::Present(page)) = self.cache_entry(inode, index) {
            self.unmap_everywhere(page);
            self.clear_mapping(page);
            self.set_swap_cache(page, Some((inode, index)));
            self.inodes[inode.0]
                .cache
                .insert(index, CacheEntry::Swapped(page));
            self.mem.inodes[inode.0].i_data.nrpages -= 1;
        }
    }

    pub(super) fn replace_in_cache(
        &mut self,
        inode: InodeId,
        index: u64,
        old: PageId,
        new: PageId,
    ) {
        let entry = self.inodes[inode.0].cache.get_mut(&index);
        if let Some(e) = entry {
            *e = match *e {
                CacheEntry::Present(p) if p == old => CacheEntry::Present(new),
                CacheEntry::Swapped(p) if p == old => CacheEntry::Swapped(new),
                other => other,
            };
            self.get_page(new);
            self.put_page(old);
        }
    }

    /// Takes a locked page out of the page cache: unmapped from every page
    /// table, `mapping` cleared, the cache's references dropped. Other
    /// references are ignored, as `truncate_inode_page()` does. A shmem
    /// huge page, given by its head, leaves whole.
    pub fn truncate_page(&mut self, page: PageId) {
        let Some(inode) = self.page_mapping_slot(page) else {
            return;
        };
        let index = self.cache_index(page);
        let entries = self.cache_refs(page);
        let removed = self.page_ref(page);
        self.truncations.push(removed);
        self.unmap_everywhere(page);
        self.clear_mapping(page);
        for i in 0..entries as u64 {
            self.inodes[inode.0].cache.remove(&(index + i));
        }
        self.mem.inodes[inode.0].i_data.nrpages -= entries as std::os::raw::c_ulong;
        for _ in 0..entries {
            self.put_page(page);
        }
    }

    /// Sets the size (truncate); faults past it fail with SIGBUS.
    pub fn set_inode_size(&mut self, inode: InodeId, size_pages: u64) {
        self.mem.inodes[inode.0].i_size = (size_pages * PAGE_SIZE) as i64;
        self.resize_file(inode, size_pages);
    }

    /// shmem reclaim (`shmem_writepage`): the page moves to the swap cache.
    /// Reclaim trylocks the page and leaves a pinned page alone (strict).
    pub fn swap_out(&mut self, inode: InodeId, index: u64) -> Wait {
        if self.inode_kind(inode) != InodeKind::Shmem {
            return Wait::Skipped("only shmem pages go to swap");
        }
        let Some(CacheEntry::Present(page)) = self.cache_entry(inode, index) else {
            return Wait::Skipped("no page in the cache there");
        };
        if self.in_cached_thp(page) {
            return Wait::Skipped("reclaim splits a huge page before it swaps it out");
        }
        if self.lock_owner(page).is_some() {
            return Wait::Skipped("the page is locked (reclaim trylocks)");
        }
        if self.mode == Mode::Strict && self.extra_refs(page) > 0 {
            return Wait::Skipped("the page is pinned");
        }
        self.cache_swap_out_now(inode, index);
        Wait::Done
    }

    /// shmem swap-in of a page the caller holds locked: it gets its
    /// mapping and index back and leaves the swap cache.
    pub fn swap_in_locked(&mut self, page: PageId) -> Wait {
        let Some((inode, index)) = self.swap_home(page) else {
            return Wait::Skipped("the page is not in the swap cache");
        };
        if !self.inode_live(inode) {
            return Wait::Skipped("the inode is gone");
        }
        self.set_mapping_file(page, inode, index);
        self.set_swap_cache(page, None);
        self.inodes[inode.0]
            .cache
            .insert(index, CacheEntry::Present(page));
        self.mem.inodes[inode.0].i_data.nrpages += 1;
        Wait::Done
    }

    /// Whether a shared writable VMA maps `inode` (the model's sign of a
    /// file open for writing).
    pub fn mapped_shared_writable(&self, inode: InodeId) -> bool {
        self.all_vmas()
            .any(|v| v.backing.inode() == Some(inode) && v.shared && v.prot.write)
    }

    /// Whether any VMA of any mm maps `inode`.
    pub fn inode_mapped(&self, inode: InodeId) -> bool {
        self.all_vmas().any(|v| v.backing.inode() == Some(inode))
    }

    /// Drops a reference held outside the futex thread (a dentry, a file).
    /// The last one starts eviction: `Ok(true)`. In strict mode the last
    /// outside reference waits while any vma maps the inode: the mapping's
    /// file keeps it, whatever the futex thread holds.
    pub fn drop_inode_ref(&mut self, inode: InodeId) -> Result<bool, Blocker> {
        let external = self.inodes[inode.0].external_refs;
        debug_assert!(external > 0, "callers check external_refs()");
        if self.mode == Mode::Strict && external <= 1 && self.inode_mapped(inode) {
            return Err(Blocker::InodeMapped(inode));
        }
        self.inodes[inode.0].external_refs = external - 1;
        Ok(self.iput(inode))
    }

    /// References held outside the futex thread that an `iput` event may
    /// still drop.
    pub fn external_refs(&self, inode: InodeId) -> i32 {
        self.inodes[inode.0].external_refs
    }

    /// `iput()`: true when this was the last reference and eviction begins.
    /// Eviction never re-checks `i_count` once it has started.
    pub fn iput(&mut self, inode: InodeId) -> bool {
        let count = &mut self.mem.inodes[inode.0].i_count.counter;
        *count -= 1;
        let now = *count;
        if now < 0 {
            self.report(
                FindingClass::RefcountUnderflow,
                format!("inode#{}.i_count dropped below zero", inode.0),
            );
            return false;
        }
        if now == 0 && self.inodes[inode.0].state == InodeState::Live {
            self.check_sb_on_last_iput(inode);
            self.inodes[inode.0].state = InodeState::Evicting;
            return true;
        }
        false
    }

    /// `ihold()`: a reference on an inode someone else already pins; the
    /// kernel warns when that is not so.
    pub fn ihold(&mut self, inode: InodeId) {
        let count = &mut self.mem.inodes[inode.0].i_count.counter;
        *count += 1;
        let now = *count;
        if now < 2 {
            self.report(
                FindingClass::Warn,
                format!(
                    "ihold() on inode#{} with no other reference (i_count was {})",
                    inode.0,
                    now - 1
                ),
            );
        }
    }

    /// The end of eviction once the cache is empty: `call_rcu()` of the
    /// free, which waits for the thread's read section if one is open now.
    pub fn call_rcu_free_inode(&mut self, inode: InodeId) {
        self.inodes[inode.0].state = InodeState::Freeing;
        let waits_for = self.open_sections();
        self.rcu_frees.push(RcuFree { inode, waits_for });
    }

    /// Frees an inode whose grace period is over; blocked while the read
    /// section that was open at `call_rcu()` time is still open.
    pub fn rcu_free_inode(&mut self, inode: InodeId) -> Wait {
        let Some(pos) = self.rcu_frees.iter().position(|f| f.inode == inode) else {
            return Wait::Skipped("no free pending for the inode");
        };
        let free = self.rcu_frees[pos];
        if let Some(task) = self.grace_period_waits(&free.waits_for) {
            return Wait::Blocked(Blocker::RcuReader(task));
        }
        self.rcu_frees.remove(pos);
        let (generation, file) = (self.inodes[inode.0].generation, self.inodes[inode.0].file);
        self.inodes[inode.0] = InodeMeta {
            generation,
            file,
            ..InodeMeta::default()
        };
        self.mem.poison_inode(inode.0);
        Wait::Done
    }

    /// Evicts synchronously, for an `iput()` made by the futex thread:
    /// truncates the cache, then frees after a grace period. The thread is
    /// not in a read section of its own making here, or the free waits.
    pub fn evict_now(&mut self, inode: InodeId, actor: Actor) -> Result<(), Blocker> {
        for index in self.cache_indices(inode) {
            match self.cache_entry(inode, index) {
                // A shmem huge page leaves whole, through its head.
                Some(CacheEntry::Present(page)) if self.head_of(page) != page => {}
                Some(CacheEntry::Present(page)) => {
                    if let Wait::Blocked(b) = self.try_lock_page(page, actor) {
                        return Err(b);
                    }
                    self.truncate_page(page);
                    self.unlock_page(page, actor);
                }
                Some(CacheEntry::Swapped(page)) => self.drop_swapped(inode, index, page),
                None => {}
            }
        }
        self.call_rcu_free_inode(inode);
        match self.rcu_free_inode(inode) {
            Wait::Blocked(b) => Err(b),
            _ => Ok(()),
        }
    }

    /// Drops a swapped-out entry of an inode being truncated or evicted.
    pub fn drop_swapped(&mut self, inode: InodeId, index: u64, page: PageId) {
        self.inodes[inode.0].cache.remove(&index);
        self.set_swap_cache(page, None);
        self.put_page(page);
    }
}
