//! Reuse of a dropped world's storage by the next world built on the same
//! thread: the arena and the per-slot metadata are reset, not reallocated,
//! so an execution does not pay for a fresh 30 KB arena.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use super::file::{FileId, FileMeta};
use super::inode::InodeMeta;
use super::memory::{Memory, INODE_SLOTS, MM_SLOTS, MPOL_SLOTS, PAGE_SLOTS, VMA_SLOTS};
use super::mempolicy::MpolMeta;
use super::mm::MmMeta;
use super::page::PageMeta;
use super::InodeRef;

/// Worlds alive at once on one thread, at most, whose storage is kept
/// (lockstep holds two).
const KEPT: usize = 4;

/// A world's storage, every slot free.
pub(super) struct Storage {
    pub memory: Box<Memory>,
    pub pages: Vec<PageMeta>,
    pub inodes: Vec<InodeMeta>,
    pub mms: Vec<MmMeta>,
    /// The files of an execution and the inode objects that held them.
    pub files: Vec<FileMeta>,
    pub inode_files: Vec<(InodeRef, FileId)>,
    pub vma_slots: Vec<bool>,
    pub mpols: Vec<MpolMeta>,
}

thread_local! {
    static KEPT_STORAGE: RefCell<Vec<Storage>> = const { RefCell::new(Vec::new()) };
}

impl Storage {
    /// Storage a dropped world left on this thread, else new storage.
    pub fn take() -> Storage {
        KEPT_STORAGE
            .with(|kept| kept.borrow_mut().pop())
            .unwrap_or_else(|| Storage {
                memory: Memory::new(),
                pages: vec![PageMeta::default(); PAGE_SLOTS],
                inodes: vec![InodeMeta::default(); INODE_SLOTS],
                mms: vec![MmMeta::default(); MM_SLOTS],
                files: Vec::new(),
                inode_files: Vec::new(),
                vma_slots: vec![false; VMA_SLOTS],
                mpols: vec![MpolMeta::default(); MPOL_SLOTS],
            })
    }

    /// Resets the storage and keeps it for the next world on this thread.
    pub fn give_back(mut self) {
        let used = self.memory.pages_used;
        self.pages[..used].fill_with(PageMeta::default);
        self.memory.reset();
        self.inodes.fill_with(InodeMeta::default);
        self.mms.fill_with(MmMeta::default);
        self.files.clear();
        self.inode_files.clear();
        self.vma_slots.fill(false);
        self.mpols.fill(MpolMeta::default());
        // A thread that exits takes its kept storage with it; during its
        // teardown there is nothing left to keep it for.
        let _ = KEPT_STORAGE.try_with(|kept| {
            let mut kept = kept.borrow_mut();
            if kept.len() < KEPT {
                kept.push(self);
            }
        });
    }
}

/// The arena as a world holds it: always present while the world lives,
/// taken out only when the world is dropped.
pub(super) struct Arena(Option<Box<Memory>>);

impl Arena {
    pub fn new(memory: Box<Memory>) -> Arena {
        Arena(Some(memory))
    }

    pub fn take(&mut self) -> Option<Box<Memory>> {
        self.0.take()
    }
}

impl Deref for Arena {
    type Target = Memory;

    fn deref(&self) -> &Memory {
        self.0.as_deref().expect("a live world has its arena")
    }
}

impl DerefMut for Arena {
    fn deref_mut(&mut self) -> &mut Memory {
        self.0.as_deref_mut().expect("a live world has its arena")
    }
}
