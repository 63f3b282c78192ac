//! `get_user_pages()` semantics: the page a user address resolves to, with
//! the faults that GUP performs on the way (anonymous pages, the zero
//! pages, COW breaks, page-cache fills and shmem swap-in) and the errors it
//! returns. The fast variant (`__get_user_pages_fast`) only walks present
//! page tables.

use super::inode::CacheEntry;
use super::mm::{Backing, Vma};
use super::page::{Blocker, Wait};
use super::{
    Actor, InodeId, InodeKind, MmId, PageId, World, WorldError, PAGE_SIZE, TASK_SIZE, THP_ORDER,
};
use crate::abi::EFAULT;

/// What a GUP attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gup {
    /// The page, with a reference taken for the caller.
    Page(PageId),
    /// The error GUP returns (`-EFAULT`).
    Error(i32),
    /// Fast GUP found no suitable PTE (it returns 0 pages).
    NotPresent,
    /// The fault needs a page lock someone else holds; try again after.
    Blocked(Blocker),
}

impl World {
    /// `get_user_pages_fast()` (`may_fault`) or `__get_user_pages_fast()`
    /// for one page of `mm`, or the fault of a user access, by `actor`
    /// (whose name any page lock the fault takes is in).
    pub fn gup(&mut self, mm: MmId, addr: u64, write: bool, may_fault: bool, actor: Actor) -> Gup {
        if addr >= TASK_SIZE {
            return if may_fault {
                Gup::Error(-EFAULT)
            } else {
                Gup::NotPresent
            };
        }
        // A PTE under a vma without read permission is a PROT_NONE one
        // (mprotect keeps the page mapped): fast GUP refuses it
        // (`pte_access_permitted()`), and the fault below fails.
        let readable = self.find_vma(mm, addr).is_some_and(|v| v.prot.read);
        if let Some(pte) = self.pte(mm, addr).filter(|_| readable) {
            if !write || pte.writable {
                self.get_page(pte.page);
                return Gup::Page(pte.page);
            }
        }
        if !may_fault {
            return Gup::NotPresent;
        }
        let Some(vma) = self.find_vma(mm, addr) else {
            return Gup::Error(-EFAULT);
        };
        if !vma.prot.read || (write && !vma.prot.write) {
            return Gup::Error(-EFAULT);
        }
        match self.fault(mm, addr, write, &vma, actor) {
            Ok(Ok(page)) => {
                self.get_page(page);
                Gup::Page(page)
            }
            Ok(Err(blocker)) => Gup::Blocked(blocker),
            Err(_) => Gup::Error(-EFAULT),
        }
    }

    /// Handles a fault at `addr` and returns the page now mapped there.
    /// `Err` is a fault that fails (SIGBUS, out of model memory); the inner
    /// `Err` a fault that must wait for a page lock.
    fn fault(
        &mut self,
        mm: MmId,
        addr: u64,
        write: bool,
        vma: &Vma,
        actor: Actor,
    ) -> Result<Result<PageId, Blocker>, WorldError> {
        let page_addr = addr & !(PAGE_SIZE - 1);
        match vma.backing {
            Backing::Special(page) => {
                // Special mappings are never written; the page is installed as is.
                self.set_pte(mm, page_addr, page, false);
                Ok(Ok(page))
            }
            Backing::Anon { thp } => {
                if self.pte(mm, page_addr).is_some() {
                    // Present but read-only: a write breaks COW.
                    return Ok(Ok(self.break_cow(mm, page_addr, vma)?));
                }
                if thp {
                    if let Some(page) = self.fault_huge(mm, page_addr, write, vma)? {
                        return Ok(Ok(page));
                    }
                }
                if write {
                    Ok(Ok(self.break_cow(mm, page_addr, vma)?))
                } else {
                    let zero = self.zero_page();
                    self.set_pte(mm, page_addr, zero, false);
                    Ok(Ok(zero))
                }
            }
            Backing::File(inode) => {
                if self.inode_state(inode) != super::InodeState::Live {
                    // Gone, or being evicted (possible in relaxed mode
                    // only): there is no page cache to fault from.
                    return Err(WorldError::Invalid("the mapped inode is gone".into()));
                }
                if vma.shared && write {
                    if let Some(pte) = self.pte(mm, page_addr) {
                        if let Some(fault) = self.page_mkwrite(vma, page_addr, pte.page, actor) {
                            if let Ok(page) = fault {
                                self.set_pte(mm, page_addr, page, vma.prot.write);
                            }
                            return Ok(fault);
                        }
                    }
                }
                if !vma.shared && write {
                    // A private file mapping: the first write copies the page.
                    if self.pte(mm, page_addr).is_none() {
                        if let Err(b) = self.cache_page(inode, vma.pgoff_of(page_addr), actor)? {
                            return Ok(Err(b));
                        }
                    }
                    return Ok(Ok(self.break_cow(mm, page_addr, vma)?));
                }
                let page = match self.cache_page(inode, vma.pgoff_of(page_addr), actor)? {
                    Ok(page) => page,
                    Err(b) => return Ok(Err(b)),
                };
                if self.pte(mm, page_addr).map(|p| p.page) != Some(page) {
                    self.set_pte(mm, page_addr, page, vma.shared && vma.prot.write);
                }
                Ok(Ok(page))
            }
        }
    }

    /// Anonymous THP faults: a write allocates a huge page, a read maps the
    /// huge zero page, when the aligned block fits the VMA and is unmapped.
    fn fault_huge(
        &mut self,
        mm: MmId,
        addr: u64,
        write: bool,
        vma: &Vma,
    ) -> Result<Option<PageId>, WorldError> {
        let span = PAGE_SIZE << THP_ORDER;
        let base = addr & !(span - 1);
        let pages = 1u64 << THP_ORDER;
        if base < vma.start
            || base + span > vma.end
            || (0..pages).any(|i| self.pte(mm, base + i * PAGE_SIZE).is_some())
        {
            return Ok(None);
        }
        let head = if write {
            let head = self.alloc_pages(THP_ORDER)?;
            self.set_mapping_anon(head, mm, base / PAGE_SIZE);
            head
        } else {
            self.huge_zero_page()
        };
        for i in 0..pages {
            self.set_pte(mm, base + i * PAGE_SIZE, PageId(head.0 + i as usize), write);
        }
        Ok(Some(PageId(head.0 + ((addr - base) / PAGE_SIZE) as usize)))
    }

    /// A write through a read-only PTE of a shared file mapping, to `page`
    /// (`do_wp_page()`, `do_page_mkwrite()`): the page is locked, so a
    /// truncation that holds it is waited for, and while it is still the
    /// file's page at `addr` of `vma` the PTE becomes writable, whatever
    /// `i_size` says. `None`: it was truncated meanwhile, and the fault goes
    /// back to the file (`VM_FAULT_NOPAGE`, then `filemap_fault()`).
    fn page_mkwrite(
        &mut self,
        vma: &Vma,
        addr: u64,
        page: PageId,
        actor: Actor,
    ) -> Option<Result<PageId, Blocker>> {
        if let Wait::Blocked(b) = self.try_lock_page(page, actor) {
            return Some(Err(b));
        }
        self.unlock_page(page, actor);
        let still = self.cached_page_at(vma, addr) == Some(CacheEntry::Present(page));
        still.then_some(Ok(page))
    }

    /// The page-cache page holding base page `pgoff` of `inode` (a sub-page
    /// for hugetlbfs), filled in or swapped back in as needed. Past the end
    /// of the file: SIGBUS.
    fn cache_page(
        &mut self,
        inode: InodeId,
        pgoff: u64,
        actor: Actor,
    ) -> Result<Result<PageId, Blocker>, WorldError> {
        if pgoff >= self.inode_size_pages(inode) {
            return Err(WorldError::Invalid(
                "fault beyond the end of the file".into(),
            ));
        }
        let per = self.inode_kind(inode).pages_per_entry();
        let (index, sub) = (pgoff / per, (pgoff % per) as usize);
        let head = match self.cache_entry(inode, index) {
            Some(CacheEntry::Present(page)) => page,
            Some(CacheEntry::Swapped(page)) => {
                // shmem_getpage() swaps the page back in under its lock.
                if let Wait::Blocked(b) = self.try_lock_page(page, actor) {
                    return Ok(Err(b));
                }
                self.swap_in_locked(page);
                self.unlock_page(page, actor);
                page
            }
            None => self.cache_new_page(inode, index)?,
        };
        debug_assert!(sub == 0 || matches!(self.inode_kind(inode), InodeKind::Hugetlbfs { .. }));
        Ok(Ok(PageId(head.0 + sub)))
    }
}
