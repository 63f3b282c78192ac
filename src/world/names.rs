//! How traces and reports name the world's objects and addresses: values
//! that hold what the name is made of and format only when displayed, so
//! an execution that reports nothing formats nothing.

use std::fmt;

use super::memory::Slot;
use super::{InodeId, MmId, PageId, World, THP_ORDER};

/// An object as traces name it: `page#3`, `ZERO_PAGE`, `inode#1.i_data`...
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectName {
    /// A poison sentinel: what a freed object's pointers lead to.
    Poison,
    ZeroPage,
    /// The huge zero page's head (0) or one of its tails.
    HugeZeroPage(usize),
    Page(PageId),
    Inode(InodeId),
    /// The `i_data` address space embedded in an inode.
    Mapping(InodeId),
    Mm(MmId),
    Task(MmId),
    AnonVma(MmId),
    /// A vma's C object, by slot.
    Vma(usize),
    /// A memory policy, by slot.
    Mempolicy(usize),
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ObjectName::Poison => f.write_str("POISON"),
            ObjectName::ZeroPage => f.write_str("ZERO_PAGE"),
            ObjectName::HugeZeroPage(0) => f.write_str("HUGE_ZERO_PAGE"),
            ObjectName::HugeZeroPage(n) => write!(f, "HUGE_ZERO_PAGE+{n}"),
            ObjectName::Page(p) => write!(f, "page#{}", p.0),
            ObjectName::Inode(i) => write!(f, "inode#{}", i.0),
            ObjectName::Mapping(i) => write!(f, "inode#{}.i_data", i.0),
            ObjectName::Mm(m) => write!(f, "mm#{}", m.0),
            ObjectName::Task(m) => write!(f, "task#{}", m.0),
            ObjectName::AnonVma(m) => write!(f, "anon_vma#{}", m.0),
            ObjectName::Vma(v) => write!(f, "vma#{v}"),
            ObjectName::Mempolicy(p) => write!(f, "mempolicy#{p}"),
        }
    }
}

/// What a raw address names: an object, one of its fields, or nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    Null,
    /// An address outside every arena.
    Raw(usize),
    Object(ObjectName),
    Field(ObjectName, &'static str),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Null => f.write_str("NULL"),
            Place::Raw(addr) => write!(f, "{addr:#x}"),
            Place::Object(object) => object.fmt(f),
            Place::Field(object, field) => write!(f, "{object}.{field}"),
        }
    }
}

/// A reference counter of a live object, as reports name it:
/// `mm#1.mm_count`, `inode#2.i_count`, `page#5._count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Counter {
    MmCount(MmId),
    ICount(InodeId),
    PageCount(PageId),
}

impl fmt::Display for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Counter::MmCount(m) => write!(f, "mm#{}.mm_count", m.0),
            Counter::ICount(i) => write!(f, "inode#{}.i_count", i.0),
            Counter::PageCount(p) => write!(f, "page#{}._count", p.0),
        }
    }
}

/// A 64-bit atomic the futex code uses: an inode's `i_sequence`, or a
/// counter of the revision's own (`get_inode_sequence_number()`'s static
/// `i_seq`, the machine-wide sequence), numbered in the order first used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter64 {
    ISequence(InodeId),
    Static(usize),
}

impl fmt::Display for Counter64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Counter64::ISequence(i) => write!(f, "inode#{}.i_sequence", i.0),
            Counter64::Static(_) => f.write_str("the machine-wide i_seq"),
        }
    }
}

impl World {
    /// The name of a page: the zero pages by their kernel names.
    pub fn page_label(&self, page: PageId) -> ObjectName {
        let huge = self.huge_zero_page().0;
        if page == self.zero_page() {
            ObjectName::ZeroPage
        } else if huge <= page.0 && page.0 < huge + (1 << THP_ORDER) {
            ObjectName::HugeZeroPage(page.0 - huge)
        } else {
            ObjectName::Page(page)
        }
    }

    pub fn page_name(&self, page: PageId) -> String {
        self.page_label(page).to_string()
    }

    /// The name of a slot; slot 0 is the poison sentinel.
    pub fn slot_label(&self, slot: Slot) -> ObjectName {
        match slot {
            Slot::Page(0)
            | Slot::Inode(0)
            | Slot::Mapping(0)
            | Slot::Mm(0)
            | Slot::Vma(0)
            | Slot::Mempolicy(0) => ObjectName::Poison,
            Slot::Page(p) => self.page_label(PageId(p)),
            Slot::Inode(i) => ObjectName::Inode(InodeId(i)),
            Slot::Mapping(i) => ObjectName::Mapping(InodeId(i)),
            Slot::Mm(m) => ObjectName::Mm(MmId(m)),
            Slot::Task(m) => ObjectName::Task(MmId(m)),
            Slot::AnonVma(m) => ObjectName::AnonVma(MmId(m)),
            Slot::Vma(v) => ObjectName::Vma(v),
            Slot::Mempolicy(p) => ObjectName::Mempolicy(p),
        }
    }

    /// What a raw pointer names: `page#3`, `inode#1.i_count`, `NULL`...
    pub fn place(&self, addr: usize) -> Place {
        match self.resolve(addr) {
            None if addr == 0 => Place::Null,
            None => Place::Raw(addr),
            Some(r) => {
                let object = self.slot_label(r.slot);
                match r.slot {
                    Slot::Page(_) | Slot::Mm(_) | Slot::Task(_) | Slot::AnonVma(_)
                        if r.field == "?" =>
                    {
                        Place::Object(object)
                    }
                    _ if r.exact => Place::Field(object, r.field),
                    _ => Place::Object(object),
                }
            }
        }
    }
}
