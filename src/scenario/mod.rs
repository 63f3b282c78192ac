//! Scenarios as data: a world, the `get_futex_key()` calls made in it, the
//! concurrent events and the schedule that places their steps in the
//! thread's execution. [`parse`](mod@parse) reads the text form, [`text`] writes it,
//! [`binary`] is the form fuzzers mutate. Running one is execution's job:
//! a scenario names no runtime type.
//!
//! The text form, one statement per line (`#` starts a comment):
//!
//! ```text
//! mode strict                      # or relaxed
//! era 4                            # mm rules: 3, 4, 4.8, 5.6, 5, 6.7, 6.8, 6.16 or 7.0
//!                                  # (src/era.rs); default: the revision's
//! retries 300                      # a call still running after 300 yield points
//!                                  # is livelocked (default 2000)
//! mm A
//! inode F shmem size=4             # file | shmem | hugetlbfs [order=K]; refs=N
//! page F 0                         # a cached page at index 0 (swapped: in swap cache;
//!                                  # thp: a large folio from there: shmem 4.8 on,
//!                                  # regular files 6.7 on; thp order=K: of 2^K pages)
//! vma A 0x10000 0x14000 file F pgoff=0 rw shared
//! vma A 0x20000 0x30000 anon thp rw private
//! anon A 0x20000 thp               # an anonymous page (or THP, or zero page) mapped there;
//!                                  # thp order=K: a multi-size THP, 6.8 on
//! fork A B                         # B starts as a fork of A
//! nodes 0 1                        # 6.16 on: the possible NUMA nodes (the default)
//! word A 0x1000c -1                # a user word's value (here a FUTEX2_NUMA node word)
//! policy A 0x20000 0x30000 preferred nodes=1   # a vma memory policy [home=N]
//! call A 0x10008 shared write      # get_futex_key(uaddr, fshared, key, VERIFY_WRITE)
//! call A 0x10008 shared read numa node=1 by T  # FLAGS_NUMA [mpol], from a CPU of node 1,
//!                                  # made by the second task T
//! event T task                     # the second futex task; its steps are its yield points
//! event e1 truncate F to=0
//! at 3 e1                          # run all of e1's steps at yield point 3 (or: at 3 e1 2)
//! at call 1 after get_user_pages_fast e1   # or: before [2nd] LABEL, or at call K alone
//! ```

pub mod binary;
pub mod parse;
pub mod text;

use crate::events::EventKind;
use crate::schedule::Scheduled;
use crate::world::{Era, Mode};

pub use crate::world::build::{InodeDecl, VmaBacking, VmaDecl, WorldItem};

pub use parse::{parse, ParseError};

/// Limits that keep every scenario inside the model's arenas and time.
pub(crate) const MAX_CALLS: usize = 16;
pub(crate) const MAX_EVENTS: usize = 64;
pub(crate) const MAX_SCHEDULE: usize = 256;
pub(crate) const MAX_INODE_PAGES: u64 = 1 << 20;
pub(crate) const MAX_NAME: usize = 63;
/// The retry bounds a scenario may set (`retries N`).
pub(crate) const MIN_RETRIES: u32 = 50;
pub(crate) const MAX_RETRIES: u32 = 100_000;

/// The nodes a call's CPU may be on in a scenario (its node must also be
/// one the machine has).
pub(crate) const MAX_CALL_NODE: u32 = 7;

/// Words an `at` statement reads as part of a placement, so no object may
/// be named so.
pub(crate) const RESERVED_NAMES: [&str; 2] = ["before", "after"];

impl Scenario {
    /// Whether `name` names an mm, an inode or an event already.
    pub(crate) fn name_taken(&self, name: &str) -> bool {
        self.mm_names
            .iter()
            .chain(&self.inode_names)
            .any(|n| n == name)
            || self.events.iter().any(|e| e.name == name)
    }
}

/// `rw` of a call, which each era encodes as its `get_futex_key()` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Read access is enough (FUTEX_WAIT): a read-only mapping will do.
    Read,
    /// The caller writes the word.
    Write,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Call {
    pub mm: usize,
    pub addr: u64,
    pub shared: bool,
    pub access: Access,
    /// FUTEX2_NUMA: the word after the futex names its node (6.16 on).
    pub numa: bool,
    /// FUTEX2_MPOL: the node follows the vma's memory policy (6.16 on).
    pub mpol: bool,
    /// The node of the CPU the call runs on.
    pub node: u32,
    /// The `task` event that makes the call (`by NAME`); the futex thread
    /// makes it otherwise.
    pub by: Option<usize>,
}

impl Call {
    /// The futex task that makes the call (0: the futex thread).
    pub fn task(&self) -> usize {
        usize::from(self.by.is_some())
    }
}

/// An event, named for the schedule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventDecl {
    pub name: String,
    pub kind: EventKind,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scenario {
    pub mode: Mode,
    pub era: Option<Era>,
    /// Yield points a call may pass before it is livelocked (`retries N`;
    /// default: the kernel model's retry bound).
    pub retries: Option<u32>,
    pub mm_names: Vec<String>,
    pub inode_names: Vec<String>,
    pub world: Vec<WorldItem>,
    pub calls: Vec<Call>,
    pub events: Vec<EventDecl>,
    pub schedule: Vec<Scheduled>,
}
