//! Address spaces: mms, VMAs and page tables, and the mm-level events that
//! change them: fork, a COW break by another thread, munmap and mprotect.
//! A TLB flush after munmap or mprotect needs an IPI that a CPU with irqs
//! off does not answer, so those wait while the futex thread has irqs off.

use std::collections::BTreeMap;

use super::memory::MM_SLOTS;
use super::page::{Blocker, PageRole, Wait};
use super::{InodeId, MmId, PageId, World, WorldError, PAGE_SIZE, THP_ORDER};

/// VMA protection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
}

impl Prot {
    pub const NONE: Prot = Prot {
        read: false,
        write: false,
    };
    pub const READ: Prot = Prot {
        read: true,
        write: false,
    };
    pub const READ_WRITE: Prot = Prot {
        read: true,
        write: true,
    };

    /// Every protection the model has, by name.
    pub const ALL: [Prot; 3] = [Prot::READ_WRITE, Prot::READ, Prot::NONE];

    /// `rw`, `r` or `none`, as scenarios write it.
    pub fn name(self) -> &'static str {
        match (self.read, self.write) {
            (_, true) => "rw",
            (true, false) => "r",
            (false, false) => "none",
        }
    }

    /// The protection a scenario names (`rwx` and `rx` read as `rw`, `r`).
    pub fn from_name(word: &str) -> Option<Prot> {
        match word {
            "rw" | "rwx" => Some(Prot::READ_WRITE),
            "r" | "rx" => Some(Prot::READ),
            "none" => Some(Prot::NONE),
            _ => None,
        }
    }
}

impl std::fmt::Display for Prot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a VMA maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backing {
    /// Anonymous memory; `thp` when huge pages may back it.
    Anon { thp: bool },
    /// An inode's pages (file, shmem or hugetlbfs, after the inode's kind).
    File(InodeId),
    /// A special mapping (vDSO, gate area) with a page of its own.
    Special(PageId),
}

impl Backing {
    pub fn inode(self) -> Option<InodeId> {
        match self {
            Backing::File(i) => Some(i),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    /// Offset into the backing object, in base pages.
    pub pgoff: u64,
    pub prot: Prot,
    pub shared: bool,
    pub backing: Backing,
}

impl Vma {
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    /// The object page offset of `addr` (`linear_page_index`).
    pub fn pgoff_of(&self, addr: u64) -> u64 {
        self.pgoff + (addr - self.start) / PAGE_SIZE
    }
}

/// A page-table entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pte {
    pub page: PageId,
    pub writable: bool,
}

#[derive(Clone, Debug, Default)]
pub struct MmMeta {
    pub live: bool,
    pub vmas: Vec<Vma>,
    /// By virtual page number.
    pub ptes: BTreeMap<u64, Pte>,
}

impl World {
    /// A new mm with its task and anon_vma; its task holds one `mm_count`.
    pub fn add_mm(&mut self) -> Result<MmId, WorldError> {
        let slot = (1..MM_SLOTS)
            .find(|&s| !self.mms[s].live)
            .ok_or(WorldError::Capacity("mms", MM_SLOTS - 1))?;
        self.mms[slot] = MmMeta {
            live: true,
            ..MmMeta::default()
        };
        let mm_ptr = self.mem.mm_ptr(slot);
        let anon: *mut crate::abi::raw::anon_vma = &mut self.mem.anon_vmas[slot];
        self.mem.mms[slot].mm_users.counter = 1;
        self.mem.mms[slot].mm_count.counter = 1;
        self.mem.tasks[slot].mm = mm_ptr;
        self.mem.anon_vmas[slot].root = anon;
        self.mem.anon_vmas[slot].refcount.counter = 1;
        Ok(MmId(slot))
    }

    pub fn mm_live(&self, mm: MmId) -> bool {
        mm.0 > 0 && mm.0 < MM_SLOTS && self.mms[mm.0].live
    }

    pub fn mm_count(&self, mm: MmId) -> i32 {
        self.mem.mms[mm.0].mm_count.counter
    }

    pub fn task_ptr(&mut self, mm: MmId) -> *mut crate::abi::raw::task_struct {
        self.mem.task_ptr(mm.0)
    }

    /// `atomic_inc(&mm->mm_count)`.
    pub fn mmgrab(&mut self, mm: MmId) {
        self.mem.mms[mm.0].mm_count.counter += 1;
    }

    /// `mmdrop()`: the last `mm_count` frees the mm.
    pub fn mmdrop(&mut self, mm: MmId) {
        let count = &mut self.mem.mms[mm.0].mm_count.counter;
        *count -= 1;
        if *count < 0 {
            self.report(
                crate::finding::FindingClass::RefcountUnderflow,
                format!("mm#{}.mm_count dropped below zero", mm.0),
            );
        } else if *count == 0 {
            self.mms[mm.0] = MmMeta::default();
            self.mem.poison_mm(mm.0);
        }
    }

    pub fn add_vma(&mut self, mm: MmId, vma: Vma) -> Result<(), WorldError> {
        let invalid = |m: String| Err(WorldError::Invalid(m));
        if vma.start % PAGE_SIZE != 0 || vma.end % PAGE_SIZE != 0 || vma.start >= vma.end {
            return invalid(format!(
                "vma {:#x}-{:#x} is not a page-aligned range",
                vma.start, vma.end
            ));
        }
        if vma.end > super::TASK_SIZE {
            return invalid(format!(
                "vma {:#x}-{:#x} leaves the user range",
                vma.start, vma.end
            ));
        }
        if self.mms[mm.0]
            .vmas
            .iter()
            .any(|v| v.start < vma.end && vma.start < v.end)
        {
            return invalid(format!(
                "vma {:#x}-{:#x} overlaps another vma",
                vma.start, vma.end
            ));
        }
        if let Backing::File(inode) = vma.backing {
            if let super::InodeKind::Hugetlbfs { order } = self.inode_kind(inode) {
                let huge = PAGE_SIZE << order;
                if vma.start % huge != 0 || vma.end % huge != 0 || vma.pgoff % (1 << order) != 0 {
                    return invalid(format!(
                        "hugetlbfs vma {:#x}-{:#x} must be aligned to its {huge:#x}-byte pages",
                        vma.start, vma.end
                    ));
                }
            }
        }
        self.mms[mm.0].vmas.push(vma);
        self.mms[mm.0].vmas.sort_by_key(|v| v.start);
        Ok(())
    }

    pub fn find_vma(&self, mm: MmId, addr: u64) -> Option<Vma> {
        self.mms[mm.0]
            .vmas
            .iter()
            .find(|v| v.contains(addr))
            .copied()
    }

    /// The mappings of `mm`, in the order they were made.
    pub fn vmas(&self, mm: MmId) -> &[Vma] {
        &self.mms[mm.0].vmas
    }

    pub fn all_vmas(&self) -> impl Iterator<Item = &Vma> {
        self.mms
            .iter()
            .filter(|m| m.live)
            .flat_map(|m| m.vmas.iter())
    }

    pub fn pte(&self, mm: MmId, addr: u64) -> Option<Pte> {
        self.mms[mm.0].ptes.get(&(addr / PAGE_SIZE)).copied()
    }

    /// Maps `page` at `addr`: one mapcount and one reference.
    pub fn set_pte(&mut self, mm: MmId, addr: u64, page: PageId, writable: bool) {
        self.clear_pte(mm, addr);
        self.map_ref(page);
        self.add_mapcount(page, 1);
        self.mms[mm.0]
            .ptes
            .insert(addr / PAGE_SIZE, Pte { page, writable });
    }

    pub fn clear_pte(&mut self, mm: MmId, addr: u64) {
        if let Some(old) = self.mms[mm.0].ptes.remove(&(addr / PAGE_SIZE)) {
            self.add_mapcount(old.page, -1);
            self.unmap_ref(old.page);
        }
    }

    /// Every (mm, address) whose PTE maps `page`.
    fn mappings_of(&self, page: PageId) -> Vec<(MmId, u64)> {
        let mut found = Vec::new();
        for (slot, meta) in self.mms.iter().enumerate() {
            for (vpn, pte) in &meta.ptes {
                if pte.page == page {
                    found.push((MmId(slot), vpn * PAGE_SIZE));
                }
            }
        }
        found
    }

    /// `unmap_mapping_range()` / `try_to_unmap()` for one page (every
    /// sub-page, for a compound page).
    pub fn unmap_everywhere(&mut self, page: PageId) {
        let head = self.head_of(page);
        for p in self.compound_pages(head).collect::<Vec<_>>() {
            self.unmap_base_page(p);
        }
    }

    /// Unmaps one base page from every page table, leaving the rest of its
    /// compound page mapped (`unmap_mapping_range()` over part of a THP).
    pub fn unmap_base_page(&mut self, page: PageId) {
        for (mm, addr) in self.mappings_of(page) {
            self.clear_pte(mm, addr);
        }
    }

    pub(super) fn replace_in_page_tables(&mut self, old: PageId, new: PageId) {
        for (mm, addr) in self.mappings_of(old) {
            let writable = self.pte(mm, addr).is_some_and(|p| p.writable);
            self.set_pte(mm, addr, new, writable);
        }
    }

    /// A new anonymous folio of `order`, its `index` the page number of
    /// `base`, mapped there by a PTE per base page (in place of whatever
    /// was mapped, whose mapping and reference go).
    pub(super) fn map_new_anon_folio(
        &mut self,
        mm: MmId,
        base: u64,
        order: u32,
        writable: bool,
    ) -> Result<PageId, WorldError> {
        let head = self.alloc_pages(order)?;
        self.set_mapping_anon(head, mm, base / PAGE_SIZE);
        for i in 0..(1u64 << order) {
            self.set_pte(
                mm,
                base + i * PAGE_SIZE,
                PageId(head.0 + i as usize),
                writable,
            );
        }
        Ok(head)
    }

    /// Maps a new anonymous page at `addr`, or a large folio of order
    /// `large` from the aligned address at or below it (a multi-size THP
    /// of 6.8 on, or the model's THP), or the zero page (the huge zero page
    /// for a THP) when `zero`, as a world description.
    pub fn add_anon(
        &mut self,
        mm: MmId,
        addr: u64,
        large: Option<u32>,
        zero: bool,
    ) -> Result<(), WorldError> {
        let Some(vma) = self.find_vma(mm, addr) else {
            return Err(WorldError::Invalid(format!(
                "anon page at {addr:#x} is outside every vma"
            )));
        };
        let thp = large.is_some();
        // A THP needs a THP-enabled vma; an order-0 page fits any anon vma.
        let fits = matches!(vma.backing, Backing::Anon { thp: enabled } if enabled || !thp);
        if !fits || vma.shared {
            return Err(WorldError::Invalid(format!(
                "anon page at {addr:#x} needs a private anon vma{}",
                if thp { " with thp" } else { "" }
            )));
        }
        let order = large.unwrap_or(0);
        if thp && order != THP_ORDER {
            if zero {
                return Err(WorldError::Invalid(
                    "the huge zero page has the THP's size: declare it without order".into(),
                ));
            }
            if !self.era.rules().anon_mthp {
                return Err(self.era.lacks("anonymous multi-size THPs start in 6.8"));
            }
        }
        let span = PAGE_SIZE << order;
        let base = addr & !(span - 1);
        if base < vma.start || base + span > vma.end {
            return Err(WorldError::Invalid(format!(
                "huge page at {base:#x} does not fit its vma"
            )));
        }
        if zero {
            let page = if thp {
                self.huge_zero_page()
            } else {
                self.zero_page()
            };
            for i in 0..(1u64 << order) {
                self.set_pte(mm, base + i * PAGE_SIZE, PageId(page.0 + i as usize), false);
            }
            return Ok(());
        }
        self.map_new_anon_folio(mm, base, order, vma.prot.write)?;
        Ok(())
    }

    /// `fork()`: `child` (an empty mm) gets copies of `parent`'s VMAs and
    /// page tables; private anonymous pages become COW-shared (read-only in
    /// both).
    pub fn fork(&mut self, parent: MmId, child: MmId) -> Wait {
        if !self.mms[child.0].vmas.is_empty() {
            return Wait::Skipped("the child mm is not empty");
        }
        self.mms[child.0].vmas = self.mms[parent.0].vmas.clone();
        let ptes: Vec<(u64, Pte)> = self.mms[parent.0]
            .ptes
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect();
        for (vpn, pte) in ptes {
            let addr = vpn * PAGE_SIZE;
            let shared = self.find_vma(parent, addr).is_some_and(|v| v.shared);
            let writable = pte.writable && shared;
            if !shared {
                self.mms[parent.0].ptes.insert(vpn, Pte { writable, ..pte });
            }
            self.set_pte(child, addr, pte.page, writable);
        }
        Wait::Done
    }

    /// Another thread of `mm` writes at `addr`: a COW-shared, zero or
    /// page-cache page in a private writable VMA is replaced by a copy.
    pub fn cow_break(&mut self, mm: MmId, addr: u64) -> Result<Wait, WorldError> {
        let Some(vma) = self.find_vma(mm, addr) else {
            return Ok(Wait::Skipped("no vma there"));
        };
        if vma.shared || !vma.prot.write {
            return Ok(Wait::Skipped("not a private writable mapping"));
        }
        match self.pte(mm, addr) {
            Some(pte) if pte.writable => Ok(Wait::Skipped("the page is already private")),
            _ => {
                self.break_cow(mm, addr, &vma)?;
                Ok(Wait::Done)
            }
        }
    }

    /// Gives `mm` a private anonymous copy of the page at `addr` (or a new
    /// zeroed page when nothing is mapped there). Reuses an anonymous page
    /// that only this mapping uses, as `do_wp_page()` does.
    pub(super) fn break_cow(
        &mut self,
        mm: MmId,
        addr: u64,
        vma: &Vma,
    ) -> Result<PageId, WorldError> {
        if let Some(pte) = self.pte(mm, addr) {
            let exclusive = self.page_is_anon(pte.page)
                && self.page_role(pte.page) == PageRole::Regular
                && self.mapcount(pte.page) == 1
                && self.order_of(self.head_of(pte.page)) == 0;
            if exclusive {
                self.mms[mm.0].ptes.insert(
                    addr / PAGE_SIZE,
                    Pte {
                        writable: true,
                        ..pte
                    },
                );
                return Ok(pte.page);
            }
        }
        let page = self.alloc_pages(0)?;
        self.set_mapping_anon(page, mm, addr / PAGE_SIZE);
        self.set_pte(mm, addr, page, vma.prot.write);
        Ok(page)
    }

    /// `munmap()` of `[start, end)`: PTEs and VMA parts go. Waits for the
    /// TLB flush IPI.
    pub fn munmap(&mut self, mm: MmId, start: u64, end: u64) -> Wait {
        if let Some(task) = self.irqs_off_task() {
            return Wait::Blocked(Blocker::IrqsOff(task));
        }
        self.clear_ptes(mm, start, end);
        self.split_vmas(mm, start, end, None);
        Wait::Done
    }

    /// `mprotect()` of `[start, end)`: VMA parts get `prot`; PTEs lose write
    /// permission when it is withdrawn, and go with read permission. Waits
    /// for the TLB flush IPI.
    pub fn mprotect(&mut self, mm: MmId, start: u64, end: u64, prot: Prot) -> Wait {
        if let Some(task) = self.irqs_off_task() {
            return Wait::Blocked(Blocker::IrqsOff(task));
        }
        self.split_vmas(mm, start, end, Some(prot));
        if !prot.read {
            self.clear_ptes(mm, start, end);
        } else if !prot.write {
            let vpns = start / PAGE_SIZE..end.div_ceil(PAGE_SIZE);
            for (_, pte) in self.mms[mm.0].ptes.range_mut(vpns) {
                pte.writable = false;
            }
        }
        Wait::Done
    }

    fn clear_ptes(&mut self, mm: MmId, start: u64, end: u64) {
        let vpns = start / PAGE_SIZE..end.div_ceil(PAGE_SIZE);
        let mapped: Vec<u64> = self.mms[mm.0]
            .ptes
            .range(vpns)
            .map(|(vpn, _)| *vpn)
            .collect();
        for vpn in mapped {
            self.clear_pte(mm, vpn * PAGE_SIZE);
        }
    }

    /// Splits the VMAs that straddle `start` or `end`; the parts inside
    /// the range go (`None`, munmap) or get a new protection.
    fn split_vmas(&mut self, mm: MmId, start: u64, end: u64, inside: Option<Prot>) {
        let mut out = Vec::new();
        for v in std::mem::take(&mut self.mms[mm.0].vmas) {
            if v.end <= start || end <= v.start {
                out.push(v);
                continue;
            }
            let (lo, hi) = (v.start.max(start), v.end.min(end));
            if v.start < lo {
                out.push(Vma { end: lo, ..v });
            }
            if let Some(prot) = inside {
                out.push(Vma {
                    start: lo,
                    end: hi,
                    pgoff: v.pgoff_of(lo),
                    prot,
                    ..v
                });
            }
            if hi < v.end {
                out.push(Vma {
                    start: hi,
                    pgoff: v.pgoff_of(hi),
                    ..v
                });
            }
        }
        out.sort_by_key(|v| v.start);
        self.mms[mm.0].vmas = out;
    }
}
