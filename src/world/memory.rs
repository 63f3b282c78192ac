//! The world's kernel-visible storage: C-layout pages, inodes, mms, tasks
//! and anon_vmas at stable addresses, the poison sentinels freed objects
//! point at, and the mapping from a raw address back to the object and
//! field it names.
//!
//! C revisions read these structures directly (`page->mapping`,
//! `mapping->host`, `inode->i_mapping`), so they are the one copy of that
//! state: the Rust model reads and writes the same memory.

use std::mem::{offset_of, size_of};

use crate::abi::raw;

/// Page slots, the poison sentinel at slot 0 included: room for two
/// order-9 folios (a migration's old and new) and more.
pub const PAGE_SLOTS: usize = 1281;
/// Inode slots, the poison sentinel at slot 0 included.
pub const INODE_SLOTS: usize = 9;
/// Mm slots (each with its task and anon_vma), the poison sentinel at slot 0 included.
pub const MM_SLOTS: usize = 5;
/// Vma slots, the poison sentinel at slot 0 included: every vma of every
/// mm, as `vma_lookup()` hands them to the futex code (6.16 on).
pub const VMA_SLOTS: usize = 33;
/// Memory policy slots, the poison sentinel at slot 0 included.
pub const MPOL_SLOTS: usize = 17;

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
    Vma(usize),
    Mempolicy(usize),
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
    /// One past the highest page slot initialised since the last reset:
    /// the part of `pages` a reset must poison again.
    pub pages_used: usize,
    pub pages: [raw::page; PAGE_SLOTS],
    pub inodes: [raw::inode; INODE_SLOTS],
    pub mms: [raw::mm_struct; MM_SLOTS],
    pub tasks: [raw::task_struct; MM_SLOTS],
    pub anon_vmas: [raw::anon_vma; MM_SLOTS],
    pub vmas: [raw::vm_area_struct; VMA_SLOTS],
    pub mempolicies: [raw::mempolicy; MPOL_SLOTS],
}

impl Memory {
    /// Fresh storage: every slot free (poisoned), sentinels wired up.
    pub fn new() -> Box<Memory> {
        let mut memory = Box::new(Memory {
            pages_used: PAGE_SLOTS,
            pages: [raw::page::default(); PAGE_SLOTS],
            inodes: [raw::inode::default(); INODE_SLOTS],
            mms: [raw::mm_struct::default(); MM_SLOTS],
            tasks: [raw::task_struct::default(); MM_SLOTS],
            anon_vmas: [raw::anon_vma::default(); MM_SLOTS],
            vmas: [raw::vm_area_struct::default(); VMA_SLOTS],
            mempolicies: [raw::mempolicy::default(); MPOL_SLOTS],
        });
        memory.reset();
        memory
    }

    /// Poisons every slot, sentinels included, so the arena reads as a
    /// world with no objects. Page slots past `pages_used` were never
    /// initialised since the last reset, so they are still poisoned.
    pub fn reset(&mut self) {
        for slot in 0..self.pages_used.max(1) {
            self.poison_page(slot);
        }
        self.pages_used = 1;
        for slot in 0..INODE_SLOTS {
            self.poison_inode(slot);
        }
        for slot in 0..MM_SLOTS {
            self.poison_mm(slot);
        }
        for slot in 0..VMA_SLOTS {
            self.poison_vma(slot);
        }
        for slot in 0..MPOL_SLOTS {
            self.poison_mempolicy(slot);
        }
    }

    pub fn vma_ptr(&mut self, slot: usize) -> *mut raw::vm_area_struct {
        &mut self.vmas[slot]
    }

    pub fn mempolicy_ptr(&mut self, slot: usize) -> *mut raw::mempolicy {
        &mut self.mempolicies[slot]
    }

    /// The address range of the memory policies, which a revision's plain
    /// accesses are checked against (see `fd_watch()`).
    pub fn mempolicy_range(&self) -> (usize, usize) {
        (
            self.mempolicies.as_ptr() as usize,
            std::mem::size_of_val(&self.mempolicies),
        )
    }

    /// The address range of the vmas' C objects.
    pub fn vma_range(&self) -> (usize, usize) {
        (
            self.vmas.as_ptr() as usize,
            std::mem::size_of_val(&self.vmas),
        )
    }

    /// A vma slot that never held a vma. A freed vma keeps its contents
    /// until its slot is reused: vmas come from a type-safe-by-RCU cache.
    pub fn poison_vma(&mut self, slot: usize) {
        let sentinel_mm = self.mm_ptr(0);
        let sentinel_policy = self.mempolicy_ptr(0);
        let vma = &mut self.vmas[slot];
        vma.vm_start = POISON_WORD as _;
        vma.vm_end = POISON_WORD as _;
        vma.vm_mm = sentinel_mm;
        vma.vm_policy = sentinel_policy;
    }

    /// A freed memory policy: slab poison.
    pub fn poison_mempolicy(&mut self, slot: usize) {
        let policy = &mut self.mempolicies[slot];
        policy.refcnt.counter = POISON_COUNT;
        policy.mode = POISON_WORD as u16;
        policy.flags = POISON_WORD as u16;
        policy.nodes.bits = [POISON_WORD as _; 1];
        policy.home_node = POISON_COUNT;
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
            .map_addr(|a| a | crate::abi::PAGE_MAPPING_ANON)
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
        inode.i_sequence.counter = POISON_WORD as _;
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
                o if o == offset_of!(raw::inode, i_sequence) => (false, "i_sequence"),
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
        if let Some((slot, off)) = locate(&self.vmas, addr) {
            let field = match off {
                o if o == offset_of!(raw::vm_area_struct, vm_start) => "vm_start",
                o if o == offset_of!(raw::vm_area_struct, vm_end) => "vm_end",
                o if o == offset_of!(raw::vm_area_struct, vm_mm) => "vm_mm",
                o if o == offset_of!(raw::vm_area_struct, vm_policy) => "vm_policy",
                _ => "?",
            };
            return Some(Resolved {
                slot: Slot::Vma(slot),
                field,
                exact: field != "?",
                offset: off,
            });
        }
        if let Some((slot, off)) = locate(&self.mempolicies, addr) {
            let field = match off {
                o if o == offset_of!(raw::mempolicy, refcnt) => "refcnt",
                o if o == offset_of!(raw::mempolicy, mode) => "mode",
                o if o == offset_of!(raw::mempolicy, flags) => "flags",
                o if o == offset_of!(raw::mempolicy, nodes) => "nodes",
                o if o == offset_of!(raw::mempolicy, home_node) => "home_node",
                _ => "?",
            };
            return Some(Resolved {
                slot: Slot::Mempolicy(slot),
                field,
                exact: field != "?",
                offset: off,
            });
        }
        // Anonymous mappings carry PAGE_MAPPING_ANON in their low bit.
        let untagged = addr & !(crate::abi::PAGE_MAPPING_ANON);
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

impl Memory {
    /// The 8 bytes at `addr`, as a plain C load would see them, when `addr`
    /// lies in the arenas (a misaligned read spanning two objects included).
    pub fn read_word(&self, addr: usize) -> Option<u64> {
        let mut bytes = [0u8; 8];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = self.read_byte(addr + i)?;
        }
        Some(u64::from_ne_bytes(bytes))
    }

    fn read_byte(&self, addr: usize) -> Option<u8> {
        if let Some((slot, off)) = locate(&self.pages, addr) {
            return Some(page_bytes(&self.pages[slot])[off]);
        }
        if let Some((slot, off)) = locate(&self.inodes, addr) {
            return Some(inode_bytes(&self.inodes[slot])[off]);
        }
        if let Some((slot, off)) = locate(&self.mms, addr) {
            return Some(mm_bytes(&self.mms[slot])[off]);
        }
        if let Some((slot, off)) = locate(&self.tasks, addr) {
            let mut b = [0u8; size_of::<raw::task_struct>()];
            put(&mut b, 0, &(self.tasks[slot].mm as usize).to_ne_bytes());
            return Some(b[off]);
        }
        if let Some((slot, off)) = locate(&self.vmas, addr) {
            let v = &self.vmas[slot];
            let mut b = [0u8; size_of::<raw::vm_area_struct>()];
            put(
                &mut b,
                offset_of!(raw::vm_area_struct, vm_start),
                &v.vm_start.to_ne_bytes(),
            );
            put(
                &mut b,
                offset_of!(raw::vm_area_struct, vm_end),
                &v.vm_end.to_ne_bytes(),
            );
            put(
                &mut b,
                offset_of!(raw::vm_area_struct, vm_mm),
                &(v.vm_mm as usize).to_ne_bytes(),
            );
            put(
                &mut b,
                offset_of!(raw::vm_area_struct, vm_policy),
                &(v.vm_policy as usize).to_ne_bytes(),
            );
            return Some(b[off]);
        }
        if let Some((slot, off)) = locate(&self.mempolicies, addr) {
            let p = &self.mempolicies[slot];
            let mut b = [0u8; size_of::<raw::mempolicy>()];
            put(
                &mut b,
                offset_of!(raw::mempolicy, refcnt),
                &p.refcnt.counter.to_ne_bytes(),
            );
            put(
                &mut b,
                offset_of!(raw::mempolicy, mode),
                &p.mode.to_ne_bytes(),
            );
            put(
                &mut b,
                offset_of!(raw::mempolicy, flags),
                &p.flags.to_ne_bytes(),
            );
            put(
                &mut b,
                offset_of!(raw::mempolicy, nodes),
                &p.nodes.bits[0].to_ne_bytes(),
            );
            put(
                &mut b,
                offset_of!(raw::mempolicy, home_node),
                &p.home_node.to_ne_bytes(),
            );
            return Some(b[off]);
        }
        if let Some((slot, off)) = locate(&self.anon_vmas, addr) {
            let a = &self.anon_vmas[slot];
            let mut b = [0u8; size_of::<raw::anon_vma>()];
            put(
                &mut b,
                offset_of!(raw::anon_vma, root),
                &(a.root as usize).to_ne_bytes(),
            );
            put(
                &mut b,
                offset_of!(raw::anon_vma, refcount),
                &a.refcount.counter.to_ne_bytes(),
            );
            return Some(b[off]);
        }
        None
    }
}

fn put(bytes: &mut [u8], at: usize, value: &[u8]) {
    bytes[at..at + value.len()].copy_from_slice(value);
}

/// A page's bytes in its C layout (padding reads as zero).
fn page_bytes(p: &raw::page) -> [u8; size_of::<raw::page>()] {
    let mut b = [0u8; size_of::<raw::page>()];
    put(&mut b, offset_of!(raw::page, flags), &p.flags.to_ne_bytes());
    put(
        &mut b,
        offset_of!(raw::page, mapping),
        &(p.mapping as usize).to_ne_bytes(),
    );
    put(&mut b, offset_of!(raw::page, index), &p.index.to_ne_bytes());
    put(
        &mut b,
        offset_of!(raw::page, first_page),
        &(p.first_page as usize).to_ne_bytes(),
    );
    put(
        &mut b,
        offset_of!(raw::page, _count),
        &p._count.counter.to_ne_bytes(),
    );
    put(
        &mut b,
        offset_of!(raw::page, _mapcount),
        &p._mapcount.counter.to_ne_bytes(),
    );
    put(
        &mut b,
        offset_of!(raw::page, compound_order),
        &p.compound_order.to_ne_bytes(),
    );
    b
}

fn inode_bytes(i: &raw::inode) -> [u8; size_of::<raw::inode>()] {
    let mut b = [0u8; size_of::<raw::inode>()];
    let data = offset_of!(raw::inode, i_data);
    put(
        &mut b,
        offset_of!(raw::inode, i_count),
        &i.i_count.counter.to_ne_bytes(),
    );
    put(
        &mut b,
        offset_of!(raw::inode, i_mapping),
        &(i.i_mapping as usize).to_ne_bytes(),
    );
    put(
        &mut b,
        data + offset_of!(raw::address_space, host),
        &(i.i_data.host as usize).to_ne_bytes(),
    );
    put(
        &mut b,
        data + offset_of!(raw::address_space, nrpages),
        &i.i_data.nrpages.to_ne_bytes(),
    );
    put(
        &mut b,
        offset_of!(raw::inode, i_size),
        &i.i_size.to_ne_bytes(),
    );
    put(
        &mut b,
        offset_of!(raw::inode, i_ino),
        &i.i_ino.to_ne_bytes(),
    );
    put(
        &mut b,
        offset_of!(raw::inode, i_sequence),
        &i.i_sequence.counter.to_ne_bytes(),
    );
    b
}

fn mm_bytes(m: &raw::mm_struct) -> [u8; size_of::<raw::mm_struct>()] {
    let mut b = [0u8; size_of::<raw::mm_struct>()];
    put(
        &mut b,
        offset_of!(raw::mm_struct, mm_users),
        &m.mm_users.counter.to_ne_bytes(),
    );
    put(
        &mut b,
        offset_of!(raw::mm_struct, mm_count),
        &m.mm_count.counter.to_ne_bytes(),
    );
    b
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
