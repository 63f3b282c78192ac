//! User memory: the values of the words a call reads and writes beside
//! the futex word (the FUTEX2_NUMA node word, 6.16 on), and of the words
//! other tasks store to. A value lives in a base page, so it follows the
//! page through COW, migration and collapse; an untouched word reads 0.
//! Reading or writing one goes through the same faults as GUP does, and
//! fails (-EFAULT) where they fail.

use super::inode::CacheEntry;
use super::mm::Backing;
use super::page::Blocker;
use super::{fault::Gup, Actor, InodeState, MmId, PageId, PageRef, World, PAGE_SIZE, TASK_SIZE};
use crate::abi::EFAULT;

/// Where a user word is: a base page and a byte offset in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserPlace {
    pub page: PageRef,
    pub offset: u64,
}

/// One word of a page that holds a value other than 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserWord {
    page: PageRef,
    offset: u64,
    value: u32,
}

impl World {
    /// Notes a store another task made to a user word.
    pub fn note_store(&mut self, place: UserPlace) {
        self.event_stores.push(place);
    }

    /// Every user word another task stored to, in order.
    pub fn event_stores(&self) -> &[UserPlace] {
        &self.event_stores
    }

    /// The word at byte `offset` of `page`.
    pub fn page_word(&self, page: PageId, offset: u64) -> u32 {
        let page = self.page_ref(page);
        self.user_words
            .iter()
            .find(|w| w.page == page && w.offset == offset)
            .map_or(0, |w| w.value)
    }

    /// Stores `value` in the word at byte `offset` of `page`.
    pub fn set_page_word(&mut self, page: PageId, offset: u64, value: u32) {
        let page = self.page_ref(page);
        self.user_words
            .retain(|w| !(w.page == page && w.offset == offset));
        if value != 0 {
            self.user_words.push(UserWord {
                page,
                offset,
                value,
            });
        }
    }

    /// A copy of `from`'s contents goes to `to` (COW, migration, collapse).
    pub(super) fn copy_words(&mut self, from: PageId, to: PageId) {
        let from = self.page_ref(from);
        let copies: Vec<(u64, u32)> = self
            .user_words
            .iter()
            .filter(|w| w.page == from)
            .map(|w| (w.offset, w.value))
            .collect();
        for (offset, value) in copies {
            self.set_page_word(to, offset, value);
        }
    }

    /// The value a load of the word at `addr` of `mm` finds on the world
    /// as it is, faulting in nothing: `Err(-EFAULT)` where the load's fault
    /// fails (no vma, no read permission, beyond the end of the file).
    pub fn peek_user_word(&self, mm: MmId, addr: u64) -> Result<u32, i32> {
        let offset = addr % PAGE_SIZE;
        if addr.checked_add(4).is_none_or(|end| end > TASK_SIZE) {
            return Err(-EFAULT);
        }
        let vma = self.find_vma(mm, addr).ok_or(-EFAULT)?;
        if !vma.prot.read {
            return Err(-EFAULT);
        }
        if let Some(pte) = self.pte(mm, addr) {
            return Ok(self.page_word(pte.page, offset));
        }
        match vma.backing {
            // A read fault maps the zero page.
            Backing::Anon { .. } => Ok(0),
            Backing::Special(page) => Ok(self.page_word(page, offset)),
            Backing::File(inode) => {
                if self.inode_state(inode) != InodeState::Live
                    || vma.pgoff_of(addr) >= self.inode_size_pages(inode)
                {
                    return Err(-EFAULT);
                }
                match self.cached_page_at(&vma, addr) {
                    Some(CacheEntry::Present(page) | CacheEntry::Swapped(page)) => {
                        Ok(self.page_word(page, offset))
                    }
                    // Filled from the file, which reads 0 there.
                    None => Ok(0),
                }
            }
        }
    }

    /// The page that holds the word at `addr` of `mm` now, if one does:
    /// the one mapped there, else a file mapping's page-cache page.
    pub fn user_page(&self, mm: MmId, addr: u64) -> Option<PageId> {
        if let Some(pte) = self.pte(mm, addr) {
            return Some(pte.page);
        }
        let vma = self.find_vma(mm, addr)?;
        match self.cached_page_at(&vma, addr)? {
            CacheEntry::Present(page) | CacheEntry::Swapped(page) => Some(page),
        }
    }

    /// Where the word at `addr` of `mm` is now, when a page holds it.
    pub fn user_place(&self, mm: MmId, addr: u64) -> Option<UserPlace> {
        Some(UserPlace {
            page: self.page_ref(self.user_page(mm, addr)?),
            offset: addr % PAGE_SIZE,
        })
    }

    /// Whether a store to the word at `addr` of `mm` would succeed on the
    /// world as it is (its fault, a COW included, would not fail).
    pub fn user_word_writable(&self, mm: MmId, addr: u64) -> bool {
        let Some(vma) = self.find_vma(mm, addr) else {
            return false;
        };
        if !vma.prot.write || addr.checked_add(4).is_none_or(|end| end > TASK_SIZE) {
            return false;
        }
        match vma.backing {
            Backing::Anon { .. } => true,
            Backing::Special(_) => false,
            // A private copy of a page already copied needs no file page.
            Backing::File(_) if !vma.shared && self.pte(mm, addr).is_some_and(|p| p.writable) => {
                true
            }
            Backing::File(inode) => {
                self.inode_state(inode) == InodeState::Live
                    && vma.pgoff_of(addr) < self.inode_size_pages(inode)
            }
        }
    }

    /// `get_user()` of the word at `addr` of `mm` by `actor`: the fault
    /// maps what it must. The value, and the page it was read from. `Err`
    /// when the fault waits for a page lock.
    pub fn get_user_word(
        &mut self,
        mm: MmId,
        addr: u64,
        actor: Actor,
    ) -> Result<Result<(u32, PageId), i32>, Blocker> {
        match self.gup(mm, addr & !(PAGE_SIZE - 1), false, true, actor) {
            Gup::Page(page) => {
                let value = self.page_word(page, addr % PAGE_SIZE);
                self.put_page(page);
                Ok(Ok((value, page)))
            }
            Gup::Error(e) => Ok(Err(e)),
            Gup::NotPresent => Ok(Err(-EFAULT)),
            Gup::Blocked(b) => Err(b),
        }
    }

    /// `put_user()` of `value` to the word at `addr` of `mm` by `actor`: a
    /// write fault (COW included), then the store; the word stored to.
    /// `Err` when the fault waits for a page lock.
    pub fn put_user_word(
        &mut self,
        mm: MmId,
        addr: u64,
        value: u32,
        actor: Actor,
    ) -> Result<Result<UserPlace, i32>, Blocker> {
        match self.gup(mm, addr & !(PAGE_SIZE - 1), true, true, actor) {
            Gup::Page(page) => {
                self.set_page_word(page, addr % PAGE_SIZE, value);
                self.put_page(page);
                Ok(Ok(UserPlace {
                    page: self.page_ref(page),
                    offset: addr % PAGE_SIZE,
                }))
            }
            Gup::Error(e) => Ok(Err(e)),
            Gup::NotPresent => Ok(Err(-EFAULT)),
            Gup::Blocked(b) => Err(b),
        }
    }
}
