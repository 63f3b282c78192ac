//! Kernel pointers as the futex code handles them: plain addresses into
//! the world's memory. C revisions and Rust ports hold the same values, and
//! resolve, dereference and compare them through the functions here, so a
//! pointer read from a freed or reused object behaves the same in both.

use std::mem::offset_of;

use super::{Abort, Kernel};
use crate::abi::raw;
use crate::finding::FindingClass;
use crate::world::memory::{Resolved, Slot};
pub use crate::world::{Counter, Counter64};
use crate::world::{InodeId, MmId, PageId};

macro_rules! pointer {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name(pub usize);

        impl $name {
            pub fn is_null(self) -> bool {
                self.0 == 0
            }
        }
    };
}

pointer!(
    /// `struct page *`
    PagePtr
);
pointer!(
    /// `struct address_space *` (tagged with `PAGE_MAPPING_ANON` for anon)
    MappingPtr
);
pointer!(
    /// `struct inode *`
    InodePtr
);
pointer!(
    /// `struct mm_struct *`
    MmPtr
);
pointer!(
    /// `atomic_t *`
    AtomicPtr
);
pointer!(
    /// `atomic64_t *`
    Atomic64Ptr
);
pointer!(
    /// `struct vm_area_struct *`
    VmaPtr
);
pointer!(
    /// `struct mempolicy *`
    MempolicyPtr
);

impl VmaPtr {
    /// `&vma->vm_policy`
    pub fn vm_policy_field(self) -> usize {
        self.0 + offset_of!(raw::vm_area_struct, vm_policy)
    }
}

impl MempolicyPtr {
    /// `&pol->mode`
    pub fn mode_field(self) -> usize {
        self.0 + offset_of!(raw::mempolicy, mode)
    }

    /// `&pol->nodes`
    pub fn nodes_field(self) -> usize {
        self.0 + offset_of!(raw::mempolicy, nodes)
    }

    /// `&pol->home_node`
    pub fn home_node_field(self) -> usize {
        self.0 + offset_of!(raw::mempolicy, home_node)
    }
}

impl PagePtr {
    /// `&page->mapping` (`&folio->mapping` of the folio a head page is)
    pub fn mapping_field(self) -> usize {
        self.0 + offset_of!(raw::page, mapping)
    }

    /// `&page->index`
    pub fn index_field(self) -> usize {
        self.0 + offset_of!(raw::page, index)
    }

    /// `folio_page_idx(folio, page)` with `self` the folio: the page's
    /// place in it, by pointer arithmetic as the kernel's.
    pub fn page_idx(self, page: PagePtr) -> u64 {
        (page.0.wrapping_sub(self.0) / size_of::<raw::page>()) as u64
    }
}

impl MappingPtr {
    /// `&mapping->host`
    pub fn host_field(self) -> usize {
        self.0 + offset_of!(raw::address_space, host)
    }
}

impl InodePtr {
    /// `&inode->i_count`
    pub fn i_count(self) -> AtomicPtr {
        AtomicPtr(self.0 + offset_of!(raw::inode, i_count))
    }

    /// `&inode->i_sequence`
    pub fn i_sequence(self) -> Atomic64Ptr {
        Atomic64Ptr(self.0 + offset_of!(raw::inode, i_sequence))
    }

    /// `&inode->i_mapping`
    pub fn i_mapping_field(self) -> usize {
        self.0 + offset_of!(raw::inode, i_mapping)
    }
}

impl MmPtr {
    /// `&mm->mm_count`
    pub fn mm_count(self) -> AtomicPtr {
        AtomicPtr(self.0 + offset_of!(raw::mm_struct, mm_count))
    }
}

impl Kernel {
    /// The page a pointer names: slot 0 for a poison sentinel. A pointer
    /// into no page at all cannot be followed: the call ends there.
    pub(super) fn page_id(&mut self, page: PagePtr) -> Result<PageId, Abort> {
        match self.world.resolve(page.0) {
            Some(Resolved {
                slot: Slot::Page(p),
                offset: 0,
                ..
            }) => Ok(PageId(p)),
            _ => self.wild("page", page.0),
        }
    }

    pub(super) fn inode_id(&mut self, inode: InodePtr) -> Result<InodeId, Abort> {
        match self.world.resolve(inode.0) {
            Some(Resolved {
                slot: Slot::Inode(i),
                offset: 0,
                ..
            }) => Ok(InodeId(i)),
            _ => self.wild("inode", inode.0),
        }
    }

    pub(super) fn mm_id(&mut self, mm: MmPtr) -> Result<MmId, Abort> {
        match self.world.resolve(mm.0) {
            Some(Resolved {
                slot: Slot::Mm(m),
                offset: 0,
                ..
            }) => Ok(MmId(m)),
            _ => self.wild("mm", mm.0),
        }
    }

    pub(super) fn counter(&mut self, v: AtomicPtr) -> Result<Counter, Abort> {
        match self.world.resolve(v.0) {
            Some(Resolved {
                slot: Slot::Mm(m),
                field: "mm_count",
                ..
            }) => Ok(Counter::MmCount(MmId(m))),
            Some(Resolved {
                slot: Slot::Inode(i),
                field: "i_count",
                ..
            }) => Ok(Counter::ICount(InodeId(i))),
            Some(Resolved {
                slot: Slot::Page(p),
                field: "_count",
                ..
            }) => Ok(Counter::PageCount(PageId(p))),
            _ => self.wild("atomic_t", v.0),
        }
    }

    /// A 64-bit atomic: an inode's `i_sequence`, or, outside the world's
    /// memory, a counter of the revision's own.
    pub(super) fn counter64(&mut self, v: Atomic64Ptr) -> Result<Counter64, Abort> {
        match self.world.resolve(v.0) {
            Some(Resolved {
                slot: Slot::Inode(i),
                field: "i_sequence",
                ..
            }) => Ok(Counter64::ISequence(InodeId(i))),
            None if !v.is_null() => Ok(Counter64::Static(self.world.static_counter_slot(v.0))),
            _ => self.wild("atomic64_t", v.0),
        }
    }

    /// A pointer that names no object of the world: the revision made an
    /// address out of nothing (or followed one read from freed memory).
    /// Reported as a use-after-free, the closest class; the call ends.
    fn wild<T>(&mut self, what: &str, addr: usize) -> Result<T, Abort> {
        self.world.report(
            FindingClass::UseAfterFree,
            format!("a {what} pointer that names no object ({addr:#x})"),
        );
        Err(Abort)
    }

    /// The pointer to a page, to hand to the futex code.
    pub fn page_ptr(&mut self, page: PageId) -> PagePtr {
        PagePtr(self.world.page_ptr(page) as usize)
    }

    /// `current->mm`: a plain read, not a yield point.
    pub fn current_mm(&mut self) -> MmPtr {
        let mm = self.world.thread().mm.expect("a call is in progress");
        MmPtr(self.world.memory().mms.as_ptr() as usize + mm.0 * size_of::<raw::mm_struct>())
    }

    /// A vma pointer: the vma slot it names. A pointer into no vma cannot
    /// be followed: the call ends there.
    pub(super) fn vma_slot(&mut self, vma: VmaPtr) -> Result<usize, Abort> {
        match self.world.resolve(vma.0) {
            Some(Resolved {
                slot: Slot::Vma(v),
                offset: 0,
                ..
            }) => Ok(v),
            _ => self.wild("vm_area_struct", vma.0),
        }
    }

    /// `vma->vm_policy`, a plain read: a freed vma still reads as what it
    /// held (vmas are type-safe by RCU).
    pub fn vma_policy_word(&self, vma: VmaPtr) -> MempolicyPtr {
        MempolicyPtr(self.read_word(vma.vm_policy_field()))
    }

    /// A plain read of a policy's field at `addr`, `width` bytes: checked
    /// as KASAN checks the C revision's (a freed policy's read is a
    /// use-after-free), then read as C would.
    fn read_policy(&mut self, addr: usize, width: usize) -> u64 {
        self.world.check_policy_access(addr, false);
        let word = self.world.memory().read_word(addr).unwrap_or(0);
        match width {
            2 => word & 0xffff,
            4 => word & 0xffff_ffff,
            _ => word,
        }
    }

    /// `pol->mode`, a plain read.
    pub fn mpol_mode(&mut self, pol: MempolicyPtr) -> u16 {
        self.read_policy(pol.mode_field(), 2) as u16
    }

    /// `pol->home_node`, a plain read.
    pub fn mpol_home_node(&mut self, pol: MempolicyPtr) -> i32 {
        self.read_policy(pol.home_node_field(), 4) as u32 as i32
    }

    /// `first_node(pol->nodes)`: plain reads of the mask, the first node
    /// set, `MAX_NUMNODES` when none is.
    pub fn mpol_first_node(&mut self, pol: MempolicyPtr) -> u32 {
        let mask = self.read_policy(pol.nodes_field(), 8);
        if mask == 0 {
            crate::abi::MAX_NUMNODES
        } else {
            mask.trailing_zeros()
        }
    }

    /// The address of `current`, for C's `current` macro.
    pub fn current_task(&mut self) -> *mut raw::task_struct {
        let mm = self.world.thread().mm.expect("a call is in progress");
        self.world.task_ptr(mm)
    }

    /// A plain read of a pointer-sized word, as C's `*addr`. Reads of
    /// memory outside the world read as zero (C would fault; the host
    /// reports the pointer as wild when it is next used).
    pub fn read_word(&self, addr: usize) -> usize {
        self.world.memory().read_word(addr).unwrap_or(0) as usize
    }

    /// `page->mapping`, a plain read.
    pub fn page_mapping(&self, page: PagePtr) -> MappingPtr {
        MappingPtr(self.read_word(page.mapping_field()))
    }

    /// `page->index` (`folio->index`), a plain read.
    pub fn page_index_word(&self, page: PagePtr) -> u64 {
        self.read_word(page.index_field()) as u64
    }

    /// `mapping->host`, a plain read.
    pub fn mapping_host(&self, mapping: MappingPtr) -> InodePtr {
        InodePtr(self.read_word(mapping.host_field()))
    }

    /// `inode->i_mapping`, a plain read.
    pub fn inode_i_mapping(&self, inode: InodePtr) -> MappingPtr {
        MappingPtr(self.read_word(inode.i_mapping_field()))
    }
}
