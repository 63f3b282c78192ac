//! khugepaged: collapse of small folios into the model's THP, in a page
//! cache (`collapse_file()`: shmem from 4.8, a regular file nobody writes
//! from 6.7) and in an anonymous mapping (`collapse_huge_page()`). Both
//! give up where the kernel's isolation does: a page they cannot trylock
//! and, in strict mode, a page someone pinned (its reference freeze, or
//! its refcount check, fails).

use super::inode::{CacheEntry, NoLargeFolio};
use super::page::{PageRole, Wait};
use super::{
    Backing, InodeId, InodeKind, MmId, Mode, PageId, World, WorldError, PAGE_SIZE, THP_ORDER,
};

impl World {
    /// khugepaged's `collapse_file()` of the pages of a shmem file (4.8
    /// on) or of a regular file nobody writes (6.7 on in the model) from
    /// `index`: a new huge page takes their place in the cache (a hole
    /// gets a zeroed or read-in sub-page), the old pages are unmapped, lose their mapping and the
    /// cache's reference. It gives up as the kernel does on a locked page
    /// (it trylocks), a swapped-out one (the model does not swap it in
    /// first) and, in strict mode, a pinned one: its reference freeze
    /// fails. The next fault maps the huge page by PTEs.
    pub fn collapse_file(&mut self, inode: InodeId, index: u64) -> Result<Wait, WorldError> {
        let n = 1u64 << THP_ORDER;
        if !self.inode_live(inode) {
            return Ok(Wait::Skipped("the inode is gone"));
        }
        let kind = self.inode_kind(inode);
        match self.large_folio_refusal(kind) {
            Some(NoLargeFolio::NotInEra(since)) => return Ok(Wait::Skipped(since)),
            Some(NoLargeFolio::Hugetlbfs) => {
                return Ok(Wait::Skipped("hugetlbfs pages are huge already"))
            }
            None => {}
        }
        // A regular file collapses only while nobody has it open for
        // writing (collapse_file(), READ_ONLY_THP_FOR_FS): in the model,
        // while no shared writable vma maps it.
        if kind == InodeKind::File && self.mapped_shared_writable(inode) {
            return Ok(Wait::Skipped("the file is open for writing"));
        }
        if index % n != 0 || index + n > self.inode_size_pages(inode) {
            return Ok(Wait::Skipped(
                "the range is not an aligned huge page inside the file",
            ));
        }
        let mut old = Vec::new();
        for i in index..index + n {
            match self.cache_entry(inode, i) {
                None => {}
                Some(CacheEntry::Swapped(_)) => return Ok(Wait::Skipped("a page is swapped out")),
                Some(CacheEntry::Present(p)) if self.in_cached_thp(p) => {
                    return Ok(Wait::Skipped("the range is a huge page already"))
                }
                Some(CacheEntry::Present(p)) => {
                    if let Some(why) =
                        self.isolation_fails(p, "a page is pinned (its reference freeze fails)")
                    {
                        return Ok(Wait::Skipped(why));
                    }
                    old.push((i, p));
                }
            }
        }
        if old.is_empty() {
            return Ok(Wait::Skipped("nothing is cached there"));
        }
        let head = self.place_large_folio(inode, index, THP_ORDER)?;
        for (i, page) in old {
            self.copy_words(page, PageId(head.0 + (i - index) as usize));
            self.unmap_base_page(page);
            self.clear_mapping(page);
            self.put_page(page);
        }
        Ok(Wait::Done)
    }

    /// khugepaged's `collapse_huge_page()` of the aligned THP-sized block
    /// at `addr` of `mm`, a private THP-enabled anonymous mapping: a new
    /// THP is mapped in place of its small pages (a hole or the zero page
    /// gets a zeroed sub-page), which lose their mappings and, unless held,
    /// go. As `__collapse_huge_page_isolate()`, it gives up on a page of a
    /// large folio (the model collapses order-0 pages), one not anonymous, a
    /// locked one (it trylocks), in strict mode a pinned one (its refcount
    /// is not its mapcount), and when no page is mapped writable
    /// (`SCAN_PAGE_RO`). The PMD flush waits for a thread with irqs off.
    pub fn collapse_anon(
        &mut self,
        mm: MmId,
        addr: u64,
        actor: super::Actor,
    ) -> Result<Wait, WorldError> {
        let span = PAGE_SIZE << THP_ORDER;
        let base = addr & !(span - 1);
        let Some(vma) = self.find_vma(mm, addr) else {
            return Ok(Wait::Skipped("no vma there"));
        };
        if vma.shared || !matches!(vma.backing, Backing::Anon { thp: true }) {
            return Ok(Wait::Skipped("not a THP-enabled private anonymous mapping"));
        }
        if base < vma.start || base + span > vma.end {
            return Ok(Wait::Skipped("the aligned block does not fit the vma"));
        }
        let mut mapped = 0;
        let mut writable = false;
        for i in 0..1u64 << THP_ORDER {
            let Some(pte) = self.pte(mm, base + i * PAGE_SIZE) else {
                continue;
            };
            let page = pte.page;
            match self.page_role(page) {
                PageRole::Zero => continue,
                PageRole::HugeZero => {
                    return Ok(Wait::Skipped("the huge zero page is mapped there"))
                }
                PageRole::Special => return Ok(Wait::Skipped("a special page is mapped there")),
                PageRole::Regular => {}
            }
            if self.order_of(self.head_of(page)) > 0 {
                return Ok(Wait::Skipped("a page belongs to a large folio"));
            }
            if !self.page_is_anon(page) {
                return Ok(Wait::Skipped("a page is not anonymous"));
            }
            if let Some(why) =
                self.isolation_fails(page, "a page is pinned (its refcount is not its mapcount)")
            {
                return Ok(Wait::Skipped(why));
            }
            mapped += 1;
            writable |= pte.writable;
        }
        if mapped == 0 {
            return Ok(Wait::Skipped("nothing is mapped there"));
        }
        if !writable {
            return Ok(Wait::Skipped("no page is mapped writable"));
        }
        // collapse_huge_page() takes the mmap lock for writing.
        if let Some(b) = self.page_table_change_blocker(mm, actor) {
            return Ok(Wait::Blocked(b));
        }
        let old: Vec<(usize, PageId)> = (0..1usize << THP_ORDER)
            .filter_map(|i| Some((i, self.pte(mm, base + i as u64 * PAGE_SIZE)?.page)))
            .collect();
        let head = self.map_new_anon_folio(mm, base, THP_ORDER, vma.prot.write)?;
        for (i, page) in old {
            self.copy_words(page, PageId(head.0 + i));
        }
        Ok(Wait::Done)
    }

    /// Why khugepaged cannot take `page`, if it cannot: it trylocks it,
    /// and in strict mode a reference beyond the cache's and the mappings'
    /// fails its check (`pinned` says which).
    fn isolation_fails(&self, page: PageId, pinned: &'static str) -> Option<&'static str> {
        if self.lock_owner(page).is_some() {
            return Some("a page is locked (khugepaged trylocks)");
        }
        if self.mode == Mode::Strict && self.extra_refs(page) > 0 {
            return Some(pinned);
        }
        None
    }
}
