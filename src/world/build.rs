//! Building a world from its description: the world statements of a
//! scenario (mms, inodes and their cached pages, vmas, anonymous pages,
//! forks), which name objects by their index in the description, applied
//! one at a time so that a decoder can keep exactly those a world takes.

use super::mempolicy::Policy;
use super::{
    Actor, Backing, Era, InodeId, InodeKind, MmId, Mode, PageId, Prot, Vma, World, WorldError,
    PAGE_SIZE,
};

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
        /// The order of a large folio starting at `index`: a shmem THP
        /// (4.8 on) or a regular file's large folio (6.7 on); `None` for a
        /// base page (or a hugetlbfs page, huge by its inode).
        large: Option<u32>,
    },
    Vma(VmaDecl),
    Anon {
        mm: usize,
        addr: u64,
        /// The order of an anonymous large folio mapped from the aligned
        /// address at or below `addr`; `None` for a base page.
        large: Option<u32>,
        zero: bool,
    },
    Fork {
        parent: usize,
        child: usize,
    },
    /// The machine's possible nodes, a bit per node (nodes 0 and 1 when
    /// the scenario does not say).
    Nodes(u64),
    /// The word at `addr` of `mm` holds `value`: the page mapped there, or
    /// the page-cache page a file mapping has there, holds it; else the
    /// program stored it before anything runs (a write fault maps a page).
    Word {
        mm: usize,
        addr: u64,
        value: u32,
    },
    /// The vmas of `[start, end)` of `mm` have `policy` (`mbind(2)` before
    /// anything runs).
    Policy {
        mm: usize,
        start: u64,
        end: u64,
        policy: Policy,
    },
}

/// The world's objects for a description's indices: its `i`-th mm and
/// its `i`-th inode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Objects {
    pub mms: Vec<MmId>,
    pub inodes: Vec<InodeId>,
}

/// Applies world items one at a time, so that a decoder can keep exactly
/// the items a world accepts.
pub struct Builder {
    pub world: World,
    pub objects: Objects,
    inode_names: Vec<String>,
}

impl Builder {
    pub fn new(mode: Mode, era: Era) -> Builder {
        Builder {
            world: World::new(mode, era),
            objects: Objects::default(),
            inode_names: Vec::new(),
        }
    }

    /// Applies one item; on error the world may hold part of it, so a
    /// caller that goes on should rebuild (see `binary::decode`).
    pub fn apply(&mut self, item: &WorldItem) -> Result<(), WorldError> {
        let world = &mut self.world;
        match item {
            WorldItem::Mm(_) => self.objects.mms.push(world.add_mm()?),
            WorldItem::Inode(d) => {
                self.objects
                    .inodes
                    .push(world.add_inode(d.kind, d.size, d.refs, None)?);
                self.inode_names.push(d.name.clone());
            }
            WorldItem::Page {
                inode,
                index,
                swapped,
                large: Some(order),
            } => {
                if *swapped {
                    return Err(WorldError::Invalid(
                        "a huge page is split before it is swapped: declare its pages".into(),
                    ));
                }
                world.cache_new_large_folio(self.objects.inodes[*inode], *index, *order)?;
            }
            WorldItem::Page {
                inode,
                index,
                swapped,
                large: None,
            } => {
                let name = &self.inode_names[*inode];
                let id = self.objects.inodes[*inode];
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
                                world.inode_kind(self.objects.inodes[i]),
                                InodeKind::Hugetlbfs { .. }
                            )
                        {
                            return Err(WorldError::Invalid(
                                "private hugetlbfs mappings are not modelled".into(),
                            ));
                        }
                        Backing::File(self.objects.inodes[i])
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
                    self.objects.mms[d.mm],
                    Vma {
                        start: d.start,
                        end: d.end,
                        pgoff: d.pgoff,
                        prot: d.prot,
                        shared: d.shared,
                        backing,
                        slot: 0,
                    },
                )?;
            }
            WorldItem::Anon {
                mm,
                addr,
                large,
                zero,
            } => world.add_anon(self.objects.mms[*mm], *addr, *large, *zero)?,
            WorldItem::Fork { parent, child } => {
                let (parent, child) = (self.objects.mms[*parent], self.objects.mms[*child]);
                if let super::page::Wait::Skipped(why) = world.fork(parent, child, Actor::THREAD)? {
                    return Err(WorldError::Invalid(format!("fork: {why}")));
                }
            }
            WorldItem::Nodes(nodes) => world.set_possible_nodes(*nodes)?,
            WorldItem::Word { mm, addr, value } => {
                let mm = self.objects.mms[*mm];
                match word_page(world, mm, *addr)? {
                    Some(page) => world.set_page_word(page, addr % PAGE_SIZE, *value),
                    None => {
                        if !matches!(
                            world.put_user_word(mm, *addr, *value, Actor::THREAD),
                            Ok(Ok(_))
                        ) {
                            return Err(WorldError::Invalid(format!(
                                "no page holds the word at {addr:#x}, and a store there faults"
                            )));
                        }
                    }
                }
            }
            WorldItem::Policy {
                mm,
                start,
                end,
                policy,
            } => {
                if !world.policy_fits(policy) {
                    return Err(WorldError::Invalid(
                        "the policy names a node the machine does not have (declare it with `nodes`)"
                            .into(),
                    ));
                }
                world.mbind_range(self.objects.mms[*mm], *start, *end, *policy)?;
            }
        }
        Ok(())
    }
}

/// The page that holds the word at `addr` of `mm` as the world is built,
/// if one does: the one mapped there, else the page-cache page of a file
/// mapping. The zero page holds nothing but zeros.
fn word_page(world: &World, mm: MmId, addr: u64) -> Result<Option<PageId>, WorldError> {
    if addr % 4 != 0 {
        return Err(WorldError::Invalid(format!(
            "the word at {addr:#x} is not aligned"
        )));
    }
    Ok(world
        .user_page(mm, addr)
        .filter(|&page| world.page_role(page) == super::PageRole::Regular))
}
