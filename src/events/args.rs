//! The kinds of argument an event takes, and their values: what the input
//! forms read and write for each field of an event kind, generically.

use crate::world::mempolicy::Policy;
use crate::world::{InodeKind, Prot};

/// What an event's argument is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// One of the scenario's inodes.
    Inode,
    /// One of the scenario's mms.
    Mm,
    /// A number of pages, or a page index.
    Pages,
    /// A user address in the mm named before it.
    Addr,
    /// The address of a 32-bit user word (aligned) in the mm named before it.
    WordAddr,
    /// A page-aligned user range in the mm named before it.
    Range,
    /// A protection: `rw`, `r` or `none`.
    Prot,
    /// An inode kind: `file`, `shmem` or `hugetlbfs [order=K]`.
    Kind,
    /// A page: an inode and a cache index, or an mm and an address.
    Page,
    /// The value of a 32-bit user word (`-1` is `0xffffffff`).
    Word,
    /// A memory policy: a mode, then `nodes=N,M` and `home=H` as it takes.
    Policy,
    /// A NUMA node.
    Node,
}

/// One field of an event kind.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: ArgKind,
    /// Written `name=value` after the positional fields, not by position.
    pub keyed: bool,
    /// The value of a keyed field that is not written.
    pub default: Option<u64>,
}

/// A page an event acts on, by scenario index, found when the event starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PageSpec {
    /// The page-cache page of the scenario's inode `inode` at `index` (in
    /// cache entries: huge pages for hugetlbfs).
    Cache { inode: usize, index: u64 },
    /// The page mapped at `addr` in the scenario's mm `mm`.
    User { mm: usize, addr: u64 },
}

/// `[start, end)` of user addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Range {
    pub start: u64,
    pub end: u64,
}

/// An argument's value, of the kind its field says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Inode(usize),
    Mm(usize),
    Pages(u64),
    Addr(u64),
    WordAddr(u64),
    Range(Range),
    Prot(Prot),
    Kind(InodeKind),
    Page(PageSpec),
    Word(u32),
    Policy(Policy),
    Node(u32),
}
