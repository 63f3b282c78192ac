//! The world's kernel-visible storage: C-layout pages, inodes, mms, tasks
//! and anon_vmas at stable addresses, the poison sentinels freed objects
//! point at, and the mapping from a raw address back to the object and
//! field it names.
//!
//! C revisions read these structures directly (`page->mapping`,
//! `mapping->host`, `inode->i_mapping`), so they are the one copy of that
//! state: the Rust model reads and writes the same memory.

use std::mem::{offset_of, size_of};
use std::ptr;

use crate::ffi::raw;

/// Page slots, the poison sentinel at slot 0 included.
pub const PAGE_SLOTS: usize = 257;
/// Inode slots, the poison sentinel at slot 0 included.
pub const INODE_SLOTS: usize = 9;
/// Mm slots (each with its task and anon_vma), the poison sentinel at slot 0 included.
pub const MM_SLOTS: usize = 5;

/// What a freed object's counters read as: the slab poison byte.
pub const POISON_COUNT: i32 = 0x6b6b_6b6b;
/// What a freed object's word fields read as.
pub const POISON_WORD: u64 = 0x6b6b_6b6b_6b6b_6b6b;

/// A slot of one of the arenas; slot 0 of each is its poison sentinel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    Page(usize),
    Inode(usize),
    /// The `i_data` address space embedded in an inode.
    Mapping(usize),
    Mm(usize),
    Task(usize),
    AnonVma(usize),
}

/// A raw address resolved against the arenas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub slot: Slot,
    /// The member the address points at, for traces.
    pub field: &'static str,
    /// True when the address is the start of the object (or of the field).
    pub exact: bool,
    /// Bytes from the start of the object.
    pub offset: usize,
}

pub struct Memory {
    pub pages: [raw::page; PAGE_SLOTS],
    pub inodes: [raw::inode; INODE_SLOTS],
    pub mms: [raw::mm_struct; MM_SLOTS],
    pub tasks: [raw::task_struct; MM_SLOTS],
    pub anon_vmas: [raw::anon_vma; MM_SLOTS],
}

impl Memory {
    /// Fresh storage: every slot free (poisoned), sentinels wired up.
    pub fn new() -> Box<Memory> {
        let mut memory = Box::new(Memory {
            pages: [raw::page::default(); PAGE_SLOTS],
            inodes: [raw::inode::default(); INODE_SLOTS],
            mms: [raw::mm_struct::default(); MM_SLOTS],
            tasks: [raw::task_struct::default(); MM_SLOTS],
            anon_vmas: [raw::anon_vma::default(); MM_SLOTS],
        });
        memory.reset();
        memory
    }

    /// Poisons every slot, sentinels included, so the arena reads as a
    /// world with no objects.
    pub fn reset(&mut self) {
        for slot in 0..PAGE_SLOTS {
            self.poison_page(slot);
        }
        for slot in 0..INODE_SLOTS {
            self.poison_inode(slot);
        }
        for slot in 0..MM_SLOTS {
            self.poison_mm(slot);
        }
    }

    pub fn page_ptr(&mut self, slot: usize) -> *mut raw::page {
        &mut self.pages[slot]
    }

    pub fn inode_ptr(&mut self, slot: usize) -> *mut raw::inode {
        &mut self.inodes[slot]
    }

    pub fn mapping_ptr(&mut self, slot: usize) -> *mut raw::address_space {
        &mut self.inodes[slot].i_data
    }

    pub fn mm_ptr(&mut self, slot: usize) -> *mut raw::mm_struct {
        &mut self.mms[slot]
    }

    pub fn task_ptr(&mut self, slot: usize) -> *mut raw::task_struct {
        &mut self.tasks[slot]
    }

    /// The tagged pointer an anonymous page keeps in `page->mapping`.
    pub fn anon_mapping_ptr(&mut self, slot: usize) -> *mut raw::address_space {
        let anon: *mut raw::anon_vma = &mut self.anon_vmas[slot];
        anon.cast::<raw::address_space>()
            .map_addr(|a| a | raw::PAGE_MAPPING_ANON as usize)
    }

    /// A freed page: its pointers lead to the sentinels, its counters read
    /// as slab poison.
    pub fn poison_page(&mut self, slot: usize) {
        let sentinel_page = self.page_ptr(0);
        let sentinel_mapping = self.mapping_ptr(0);
        let page = &mut self.pages[slot];
        page.flags = POISON_WORD as _;
        page.mapping = sentinel_mapping;
        page.index = POISON_WORD as _;
        page.first_page = sentinel_page;
        page._count.counter = POISON_COUNT;
        page._mapcount.counter = POISON_COUNT;
        page.compound_order = 0;
    }

    pub fn poison_inode(&mut self, slot: usize) {
        let sentinel_inode = self.inode_ptr(0);
        let sentinel_mapping = self.mapping_ptr(0);
        let inode = &mut self.inodes[slot];
        inode.i_count.counter = POISON_COUNT;
        inode.i_mapping = sentinel_mapping;
        inode.i_data.host = sentinel_inode;
        inode.i_data.nrpages = POISON_WORD as _;
        inode.i_size = POISON_WORD as _;
        inode.i_ino = POISON_WORD as _;
    }

    pub fn poison_mm(&mut self, slot: usize) {
        let sentinel_mm = self.mm_ptr(0);
        let sentinel_anon: *mut raw::anon_vma = &mut self.anon_vmas[0];
        self.mms[slot].mm_users.counter = POISON_COUNT;
        self.mms[slot].mm_count.counter = POISON_COUNT;
        self.tasks[slot].mm = sentinel_mm;
        self.anon_vmas[slot].root = sentinel_anon;
        self.anon_vmas[slot].refcount.counter = POISON_COUNT;
    }

    /// Which object and member a raw address points into, if any.
    pub fn resolve(&self, addr: usize) -> Option<Resolved> {
        if addr == 0 {
            return None;
        }
        let inode_field = |off: usize| -> (bool, &'static str) {
            const DATA: usize = offset_of!(raw::inode, i_data);
            match off {
                o if o == offset_of!(raw::inode, i_count) => (false, "i_count"),
                o if o == offset_of!(raw::inode, i_mapping) => (false, "i_mapping"),
                o if o == DATA + offset_of!(raw::address_space, host) => (true, "host"),
                o if o == DATA + offset_of!(raw::address_space, nrpages) => (true, "nrpages"),
                o if o == offset_of!(raw::inode, i_size) => (false, "i_size"),
                o if o == offset_of!(raw::inode, i_ino) => (false, "i_ino"),
                _ => (false, "?"),
            }
        };
        if let Some((slot, off)) = locate(&self.inodes, addr) {
            let (in_mapping, field) = inode_field(off);
            let slot = if in_mapping || off == offset_of!(raw::inode, i_data) {
                Slot::Mapping(slot)
            } else {
                Slot::Inode(slot)
            };
            return Some(Resolved {
                slot,
                field,
                exact: field != "?",
                offset: off,
            });
        }
        if let Some((slot, off)) = locate(&self.pages, addr) {
            let field = match off {
                o if o == offset_of!(raw::page, flags) => "flags",
                o if o == offset_of!(raw::page, mapping) => "mapping",
                o if o == offset_of!(raw::page, index) => "index",
                o if o == offset_of!(raw::page, first_page) => "first_page",
                o if o == offset_of!(raw::page, _count) => "_count",
                o if o == offset_of!(raw::page, _mapcount) => "_mapcount",
                o if o == offset_of!(raw::page, compound_order) => "compound_order",
                _ => "?",
            };
            return Some(Resolved {
                slot: Slot::Page(slot),
                field,
                exact: field != "?",
                offset: off,
            });
        }
        if let Some((slot, off)) = locate(&self.mms, addr) {
            let field = match off {
                o if o == offset_of!(raw::mm_struct, mm_users) => "mm_users",
                o if o == offset_of!(raw::mm_struct, mm_count) => "mm_count",
                _ => "?",
            };
            return Some(Resolved {
                slot: Slot::Mm(slot),
                field,
                exact: field != "?",
                offset: off,
            });
        }
        if let Some((slot, off)) = locate(&self.tasks, addr) {
            return Some(Resolved {
                slot: Slot::Task(slot),
                field: "mm",
                exact: off == 0,
                offset: off,
            });
        }
        // Anonymous mappings carry PAGE_MAPPING_ANON in their low bit.
        let untagged = addr & !(raw::PAGE_MAPPING_ANON as usize);
        if let Some((slot, off)) = locate(&self.anon_vmas, untagged) {
            return Some(Resolved {
                slot: Slot::AnonVma(slot),
                field: if off == 0 { "root" } else { "refcount" },
                exact: off == 0 || off == offset_of!(raw::anon_vma, refcount),
                offset: off,
            });
        }
        None
    }
}

/// The slot of `arena` holding `addr`, and the offset into it.
fn locate<T>(arena: &[T], addr: usize) -> Option<(usize, usize)> {
    let base = arena.as_ptr() as usize;
    let size = size_of::<T>();
    let end = base + std::mem::size_of_val(arena);
    if addr < base || addr >= end {
        return None;
    }
    let delta = addr - base;
    Some((delta / size, delta % size))
}

/// True when `p` is the null pointer; a named helper keeps call sites plain.
pub fn is_null<T>(p: *const T) -> bool {
    ptr::eq(p, ptr::null())
}
