//! Scenarios: a world, the `get_futex_key()` calls made in it, the
//! concurrent events and the schedule that places their steps at the
//! thread's yield points. This module owns the in-memory form and building
//! the world from it; [`parse`] reads the text form and [`text`] writes it.
//!
//! The text form, one statement per line (`#` starts a comment):
//!
//! ```text
//! mode strict                      # or relaxed
//! era 4                            # mm rules: 3 (3.x) or 4 (4.5+); default: the revision's
//! mm A
//! inode F shmem size=4             # file | shmem | hugetlbfs [order=K]; refs=N
//! page F 0                         # a cached page at index 0 (swapped: in swap cache)
//! vma A 0x10000 0x14000 file F pgoff=0 rw shared
//! vma A 0x20000 0x30000 anon thp rw private
//! anon A 0x20000 thp               # an anonymous page (or THP, or zero page) mapped there
//! fork A B                         # B starts as a fork of A
//! call A 0x10008 shared write      # get_futex_key(uaddr, fshared, key, VERIFY_WRITE)
//! event e1 truncate F to=0
//! at 3 e1                          # run all of e1's steps at yield point 3 (or: at 3 e1 2)
//! ```

pub mod binary;
pub mod parse;
pub mod text;

use crate::events::{EventKind, PageTarget};
use crate::sched::Scheduler;
use crate::schedule::Scheduled;
use crate::world::{
    Backing, Era, InodeId, InodeKind, MmId, Mode, Prot, Vma, World, WorldError, PAGE_SIZE,
};

pub use parse::{parse, ParseError};

/// Limits that keep every scenario inside the model's arenas and time.
pub(crate) const MAX_CALLS: usize = 16;
pub(crate) const MAX_EVENTS: usize = 64;
pub(crate) const MAX_SCHEDULE: usize = 256;
pub(crate) const MAX_INODE_PAGES: u64 = 1 << 20;
pub(crate) const MAX_NAME: usize = 63;

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

/// `rw` of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// `VERIFY_READ`: FUTEX_WAIT, which may use a read-only mapping.
    Read,
    /// `VERIFY_WRITE`.
    Write,
}

impl Access {
    pub fn verify_code(self) -> i32 {
        match self {
            Access::Read => crate::abi::VERIFY_READ,
            Access::Write => crate::abi::VERIFY_WRITE,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InodeDecl {
    pub name: String,
    pub kind: InodeKind,
    pub size: u64,
    pub refs: i32,
}

/// What a VMA maps, by scenario names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VmaBacking {
    Anon { thp: bool },
    File(usize),
    Special,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VmaDecl {
    pub mm: usize,
    pub start: u64,
    pub end: u64,
    pub backing: VmaBacking,
    pub pgoff: u64,
    pub prot: Prot,
    pub shared: bool,
}

/// One statement of the world, applied in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WorldItem {
    Mm(String),
    Inode(InodeDecl),
    Page {
        inode: usize,
        index: u64,
        swapped: bool,
    },
    Vma(VmaDecl),
    Anon {
        mm: usize,
        addr: u64,
        thp: bool,
        zero: bool,
    },
    Fork {
        parent: usize,
        child: usize,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Call {
    pub mm: usize,
    pub addr: u64,
    pub shared: bool,
    pub access: Access,
}

/// A page an event names, by scenario names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PageRef {
    Cache { inode: usize, index: u64 },
    User { mm: usize, addr: u64 },
}

/// An event, by scenario names (indices into the mm and inode lists).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventSpec {
    Truncate {
        inode: usize,
        to: u64,
    },
    Punch {
        inode: usize,
        from: u64,
        len: u64,
    },
    Invalidate {
        inode: usize,
    },
    SwapOut {
        inode: usize,
        index: u64,
    },
    SwapIn {
        inode: usize,
        index: u64,
    },
    Migrate(PageRef),
    Split {
        mm: usize,
        addr: u64,
    },
    Munmap {
        mm: usize,
        start: u64,
        end: u64,
    },
    Mprotect {
        mm: usize,
        start: u64,
        end: u64,
        prot: Prot,
    },
    Iput {
        inode: usize,
    },
    Reuse {
        inode: usize,
        kind: InodeKind,
        size: u64,
    },
    Fork {
        parent: usize,
        child: usize,
    },
    Cow {
        mm: usize,
        addr: u64,
    },
    Hold(PageRef),
    Fail,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventDecl {
    pub name: String,
    pub spec: EventSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scenario {
    pub mode: Mode,
    pub era: Option<Era>,
    pub mm_names: Vec<String>,
    pub inode_names: Vec<String>,
    pub world: Vec<WorldItem>,
    pub calls: Vec<Call>,
    pub events: Vec<EventDecl>,
    pub schedule: Vec<Scheduled>,
}

/// The world a scenario describes, with its names resolved.
pub struct Built {
    pub world: World,
    pub sched: Scheduler,
    pub mms: Vec<MmId>,
    pub inodes: Vec<InodeId>,
}

/// Applies world items one at a time, so that a decoder can keep exactly
/// the items a world accepts.
pub struct Builder {
    pub world: World,
    pub mms: Vec<MmId>,
    pub inodes: Vec<InodeId>,
    inode_names: Vec<String>,
}

impl Builder {
    pub fn new(mode: Mode, era: Era) -> Builder {
        Builder {
            world: World::new(mode, era),
            mms: Vec::new(),
            inodes: Vec::new(),
            inode_names: Vec::new(),
        }
    }

    /// Applies one item; on error the world may hold part of it, so a
    /// caller that goes on should rebuild (see `binary::decode`).
    pub fn apply(&mut self, item: &WorldItem) -> Result<(), WorldError> {
        let world = &mut self.world;
        match item {
            WorldItem::Mm(_) => self.mms.push(world.add_mm()?),
            WorldItem::Inode(d) => {
                self.inodes
                    .push(world.add_inode(d.kind, d.size, d.refs, None)?);
                self.inode_names.push(d.name.clone());
            }
            WorldItem::Page {
                inode,
                index,
                swapped,
            } => {
                let name = &self.inode_names[*inode];
                let id = self.inodes[*inode];
                let per = world.inode_kind(id).pages_per_entry();
                if (index + 1) * per > world.inode_size_pages(id) {
                    return Err(WorldError::Invalid(format!(
                        "page {index} of {name} lies beyond its size"
                    )));
                }
                if world.cache_entry(id, *index).is_some() {
                    return Err(WorldError::Invalid(format!(
                        "page {index} of {name} is declared twice"
                    )));
                }
                if *swapped && world.inode_kind(id) != InodeKind::Shmem {
                    return Err(WorldError::Invalid(
                        "only shmem pages can be swapped".into(),
                    ));
                }
                world.cache_new_page(id, *index)?;
                if *swapped {
                    world.cache_swap_out_now(id, *index);
                }
            }
            WorldItem::Vma(d) => {
                let backing = match d.backing {
                    VmaBacking::Anon { thp } => {
                        if d.shared {
                            return Err(WorldError::Invalid(
                                "a shared anonymous mapping is shmem: declare a shmem inode".into(),
                            ));
                        }
                        Backing::Anon { thp }
                    }
                    VmaBacking::File(i) => {
                        if !d.shared
                            && matches!(
                                world.inode_kind(self.inodes[i]),
                                InodeKind::Hugetlbfs { .. }
                            )
                        {
                            return Err(WorldError::Invalid(
                                "private hugetlbfs mappings are not modelled".into(),
                            ));
                        }
                        Backing::File(self.inodes[i])
                    }
                    VmaBacking::Special => {
                        if d.prot.write || d.shared {
                            return Err(WorldError::Invalid(
                                "a special mapping is private and read-only".into(),
                            ));
                        }
                        Backing::Special(world.alloc_special_page()?)
                    }
                };
                world.add_vma(
                    self.mms[d.mm],
                    Vma {
                        start: d.start,
                        end: d.end,
                        pgoff: d.pgoff,
                        prot: d.prot,
                        shared: d.shared,
                        backing,
                    },
                )?;
            }
            WorldItem::Anon {
                mm,
                addr,
                thp,
                zero,
            } => world.add_anon(self.mms[*mm], *addr, *thp, *zero)?,
            WorldItem::Fork { parent, child } => {
                if let crate::world::page::Wait::Skipped(why) =
                    world.fork(self.mms[*parent], self.mms[*child])
                {
                    return Err(WorldError::Invalid(format!("fork: {why}")));
                }
            }
        }
        Ok(())
    }
}

impl Scenario {
    /// Builds the world and the scheduler. `era` is used when the scenario
    /// does not set one.
    pub fn build(&self, default_era: Era) -> Result<Built, WorldError> {
        let mut builder = Builder::new(self.mode, self.era.unwrap_or(default_era));
        for item in &self.world {
            builder.apply(item)?;
        }
        let Builder {
            world, mms, inodes, ..
        } = builder;
        let events = self
            .events
            .iter()
            .map(|e| (e.name.clone(), e.spec.resolve(&mms, &inodes)))
            .collect();
        let sched = Scheduler::new(events, &self.schedule);
        Ok(Built {
            world,
            sched,
            mms,
            inodes,
        })
    }
}

impl PageRef {
    fn resolve(&self, mms: &[MmId], inodes: &[InodeId]) -> PageTarget {
        match *self {
            PageRef::Cache { inode, index } => PageTarget::Cache {
                inode: inodes[inode],
                index,
            },
            PageRef::User { mm, addr } => PageTarget::User {
                mm: mms[mm],
                addr: addr & !(PAGE_SIZE - 1),
            },
        }
    }
}

impl EventSpec {
    fn resolve(&self, mms: &[MmId], inodes: &[InodeId]) -> EventKind {
        match *self {
            EventSpec::Truncate { inode, to } => EventKind::Truncate {
                inode: inodes[inode],
                to,
            },
            EventSpec::Punch { inode, from, len } => EventKind::Punch {
                inode: inodes[inode],
                from,
                len,
            },
            EventSpec::Invalidate { inode } => EventKind::Invalidate {
                inode: inodes[inode],
            },
            EventSpec::SwapOut { inode, index } => EventKind::SwapOut {
                inode: inodes[inode],
                index,
            },
            EventSpec::SwapIn { inode, index } => EventKind::SwapIn {
                inode: inodes[inode],
                index,
            },
            EventSpec::Migrate(ref page) => EventKind::Migrate {
                page: page.resolve(mms, inodes),
            },
            EventSpec::Split { mm, addr } => EventKind::SplitThp { mm: mms[mm], addr },
            EventSpec::Munmap { mm, start, end } => EventKind::Munmap {
                mm: mms[mm],
                start,
                end,
            },
            EventSpec::Mprotect {
                mm,
                start,
                end,
                prot,
            } => EventKind::Mprotect {
                mm: mms[mm],
                start,
                end,
                prot,
            },
            EventSpec::Iput { inode } => EventKind::Iput {
                inode: inodes[inode],
            },
            EventSpec::Reuse { inode, kind, size } => EventKind::Reuse {
                inode: inodes[inode],
                kind,
                size,
            },
            EventSpec::Fork { parent, child } => EventKind::Fork {
                parent: mms[parent],
                child: mms[child],
            },
            EventSpec::Cow { mm, addr } => EventKind::Cow {
                mm: mms[mm],
                addr: addr & !(PAGE_SIZE - 1),
            },
            EventSpec::Hold(ref page) => EventKind::Hold {
                page: page.resolve(mms, inodes),
            },
            EventSpec::Fail => EventKind::FailFutex,
        }
    }
}

/// The text of a protection: `rw`, `r` or `none`.
pub fn prot_name(prot: Prot) -> &'static str {
    match (prot.read, prot.write) {
        (_, true) => "rw",
        (true, false) => "r",
        (false, false) => "none",
    }
}
