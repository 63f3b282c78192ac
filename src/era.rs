//! Kernel eras: what differs between the kernels futex-diff models, one
//! description per era. The world, the reference semantics, the oracles
//! and the input forms read an era's description instead of testing which
//! era they are in, so a new era is a new description.
//!
//! An era is a span of releases whose mm rules and futex key rules are the
//! same for everything the model covers; revisions of `get_futex_key()`
//! within an era may still differ (3.12 and 3.13 share era 3). See
//! docs/model.md §5.

use std::fmt;

/// A kernel era.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Era {
    /// 3.x to 4.4: tail-page refcounting, pinned THPs can be split.
    V3,
    /// 4.5 to 4.7: one refcount per compound page, pinned THPs stay whole.
    #[default]
    V4,
    /// 4.8 to 5.5: as 4.5, and shmem may hold transparent huge pages.
    V4_8,
    /// 5.6: inode keys name the inode's sequence number and hold nothing;
    /// mm-shared keys still hold `mm_count`.
    V5_6,
    /// 5.7 to 6.6: no key holds a reference.
    V5,
    /// 6.7: `get_futex_key()` takes futex flags and works on folios; a
    /// hugetlb folio's index counts base pages.
    V6_7,
    /// 6.8 to 6.15: as 6.7, and anonymous memory may hold multi-size THPs.
    V6_8,
    /// 6.16 to 6.19 (6.18 before 6.18.21, 6.19 before 6.19.11): as 6.8,
    /// and futexes may be NUMA-aware (FUTEX2_NUMA, FUTEX2_MPOL): the key
    /// names a node; a replaced memory policy is freed at once.
    V6_16,
    /// 7.0 and 7.1 (and 6.18.21, 6.19.11 on): as 6.16, but a memory policy
    /// is freed after an RCU grace period (`kfree_rcu()`).
    V7_0,
}

/// When a memory policy whose last reference goes is freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyFree {
    /// At once (`kmem_cache_free()` in `__mpol_put()`, before 7.0).
    AtOnce,
    /// After an RCU grace period (`kfree_rcu()`, 7.0 on: "futex: Fix UaF
    /// between futex_key_to_node_opt() and vma_replace_policy()").
    AfterGracePeriod,
}

/// How references on a compound page are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompoundRefs {
    /// A reference taken through a tail page counts on the head and is
    /// also recorded on the tail (`get_page()` of a tail in 3.x); a THP
    /// split hands each tail the references taken through it.
    TailPins,
    /// Every reference counts on the head alone, whichever page it was
    /// taken through (the 4.5 THP refcounting rework): there is no per-tail
    /// record, so dropping it through the head is balanced.
    HeadOnly,
}

/// The unit of a hugetlbfs head page's `page->index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HugetlbIndex {
    /// The index counts huge pages (before 6.7); `basepage_index()` turns
    /// it into base pages.
    HugePages,
    /// The index counts base pages (6.7 on, when the hugetlb page cache
    /// moved to base-page indices): a sub-page's offset is the folio's
    /// index plus its place.
    BasePages,
}

/// What an inode key's pointer word holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InodeKeyName {
    /// The inode's address (`key->shared.inode`).
    Address,
    /// The inode's sequence number (`key->shared.i_seq`, 5.6 on): handed
    /// out machine-wide on first use, never reused, zero in a new inode.
    Sequence,
}

/// What a key names and which reference it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRules {
    pub inode_named_by: InodeKeyName,
    /// An inode key holds one `i_count` until `put_futex_key()`.
    pub inode_key_holds_inode: bool,
    /// An mm-shared key holds one `mm_count` until `put_futex_key()`.
    pub mm_key_holds_mm: bool,
    /// The key names a node (`key->both.node`, 6.16 on), which picks the
    /// hash table: `get_futex_key()` takes FUTEX2_NUMA and FUTEX2_MPOL.
    pub node: bool,
}

/// How the era's `get_futex_key()` is called: the values and names of its
/// access argument (`rw`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallAbi {
    pub read: (i32, &'static str),
    pub write: (i32, &'static str),
}

/// Everything the model needs to know about one era.
#[derive(Debug)]
pub struct Description {
    pub era: Era,
    /// The era's name in scenario files (`era 3`).
    pub keyword: &'static str,
    /// The releases it spans.
    pub kernels: &'static str,
    pub key: KeyRules,
    pub compound_refs: CompoundRefs,
    /// Whether a THP with references beyond its mappings can be split.
    pub split_pinned_thp: bool,
    pub hugetlb_index: HugetlbIndex,
    /// Whether shmem (tmpfs, SysV shm, shared anonymous memory) may hold
    /// transparent huge pages (4.8 on). Their tails keep no index of their
    /// own: only the head's `index` is set (`shmem_add_to_page_cache()`).
    pub shmem_thp: bool,
    /// Whether a regular file's page cache may hold large folios (6.7 on
    /// in the model; some filesystems had them from 5.18).
    pub file_large_folios: bool,
    /// Whether truncating part of a large page-cache folio splits it when
    /// nobody else holds it (`truncate_inode_partial_folio()`, 6.x), rather
    /// than leaving it whole and zeroed in part (`shmem_undo_range()` of
    /// 4.8-5.x).
    pub partial_truncate_splits: bool,
    /// Whether migration moves a large folio whole (6.x in the model) or
    /// only order-0 pages.
    pub migrates_large_folios: bool,
    /// Whether an anonymous large folio may have any order the kernel
    /// allows (multi-size THP, 6.8 on), or only the PMD size (the model's
    /// `THP_ORDER`).
    pub anon_mthp: bool,
    pub policy_free: PolicyFree,
    pub call: CallAbi,
    /// The era's number in the binary scenario form (never reused).
    pub code: u8,
}

/// `int rw` of 3.x-4.x: `VERIFY_READ` or `VERIFY_WRITE`.
const VERIFY: CallAbi = CallAbi {
    read: (crate::abi::VERIFY_READ, "VERIFY_READ"),
    write: (crate::abi::VERIFY_WRITE, "VERIFY_WRITE"),
};

/// `enum futex_access rw` of 5.x: `FUTEX_READ` (0) or `FUTEX_WRITE` (1).
const FUTEX_ACCESS: CallAbi = CallAbi {
    read: (0, "FUTEX_READ"),
    write: (1, "FUTEX_WRITE"),
};

const ERA_3: Description = Description {
    era: Era::V3,
    keyword: "3",
    kernels: "3.x-4.4",
    key: KeyRules {
        inode_named_by: InodeKeyName::Address,
        inode_key_holds_inode: true,
        mm_key_holds_mm: true,
        node: false,
    },
    compound_refs: CompoundRefs::TailPins,
    split_pinned_thp: true,
    hugetlb_index: HugetlbIndex::HugePages,
    shmem_thp: false,
    file_large_folios: false,
    partial_truncate_splits: false,
    migrates_large_folios: false,
    anon_mthp: false,
    policy_free: PolicyFree::AtOnce,
    call: VERIFY,
    code: 1,
};

const ERA_4: Description = Description {
    era: Era::V4,
    keyword: "4",
    kernels: "4.5-4.7",
    key: KeyRules {
        inode_named_by: InodeKeyName::Address,
        inode_key_holds_inode: true,
        mm_key_holds_mm: true,
        node: false,
    },
    compound_refs: CompoundRefs::HeadOnly,
    split_pinned_thp: false,
    hugetlb_index: HugetlbIndex::HugePages,
    shmem_thp: false,
    file_large_folios: false,
    partial_truncate_splits: false,
    migrates_large_folios: false,
    anon_mthp: false,
    policy_free: PolicyFree::AtOnce,
    call: VERIFY,
    code: 2,
};

const ERA_4_8: Description = Description {
    era: Era::V4_8,
    keyword: "4.8",
    kernels: "4.8-5.5",
    shmem_thp: true,
    code: 5,
    ..ERA_4
};

const ERA_5_6: Description = Description {
    era: Era::V5_6,
    keyword: "5.6",
    kernels: "5.6",
    key: KeyRules {
        inode_named_by: InodeKeyName::Sequence,
        inode_key_holds_inode: false,
        mm_key_holds_mm: true,
        node: false,
    },
    compound_refs: CompoundRefs::HeadOnly,
    split_pinned_thp: false,
    hugetlb_index: HugetlbIndex::HugePages,
    shmem_thp: true,
    file_large_folios: false,
    partial_truncate_splits: false,
    migrates_large_folios: false,
    anon_mthp: false,
    policy_free: PolicyFree::AtOnce,
    call: FUTEX_ACCESS,
    code: 3,
};

const ERA_5: Description = Description {
    era: Era::V5,
    keyword: "5",
    kernels: "5.7-6.6",
    key: KeyRules {
        inode_named_by: InodeKeyName::Sequence,
        inode_key_holds_inode: false,
        mm_key_holds_mm: false,
        node: false,
    },
    code: 4,
    ..ERA_5_6
};

const ERA_6_7: Description = Description {
    era: Era::V6_7,
    keyword: "6.7",
    kernels: "6.7",
    hugetlb_index: HugetlbIndex::BasePages,
    file_large_folios: true,
    partial_truncate_splits: true,
    migrates_large_folios: true,
    code: 6,
    ..ERA_5
};

const ERA_6_8: Description = Description {
    era: Era::V6_8,
    keyword: "6.8",
    kernels: "6.8-6.15",
    anon_mthp: true,
    code: 7,
    ..ERA_6_7
};

const ERA_6_16: Description = Description {
    era: Era::V6_16,
    keyword: "6.16",
    kernels: "6.16-6.19",
    key: KeyRules {
        inode_named_by: InodeKeyName::Sequence,
        inode_key_holds_inode: false,
        mm_key_holds_mm: false,
        node: true,
    },
    code: 8,
    ..ERA_6_8
};

const ERA_7_0: Description = Description {
    era: Era::V7_0,
    keyword: "7.0",
    kernels: "7.0-7.1, 6.18.21+, 6.19.11+",
    policy_free: PolicyFree::AfterGracePeriod,
    code: 9,
    ..ERA_6_16
};

impl Era {
    /// The era whose world has every object the model has (shmem huge
    /// pages among them). The binary form builds the world of a scenario
    /// that names no era under it, so that decoding keeps what only some
    /// eras have; running it on an older era's revision then says so.
    pub const NEWEST: Era = Era::V7_0;

    /// Every era, oldest first.
    pub const ALL: [Era; 9] = [
        Era::V3,
        Era::V4,
        Era::V4_8,
        Era::V5_6,
        Era::V5,
        Era::V6_7,
        Era::V6_8,
        Era::V6_16,
        Era::V7_0,
    ];

    pub fn rules(self) -> &'static Description {
        match self {
            Era::V3 => &ERA_3,
            Era::V4 => &ERA_4,
            Era::V4_8 => &ERA_4_8,
            Era::V5_6 => &ERA_5_6,
            Era::V5 => &ERA_5,
            Era::V6_7 => &ERA_6_7,
            Era::V6_8 => &ERA_6_8,
            Era::V6_16 => &ERA_6_16,
            Era::V7_0 => &ERA_7_0,
        }
    }

    /// The era a scenario file names (`era 3`).
    pub fn from_keyword(word: &str) -> Option<Era> {
        Era::ALL.into_iter().find(|e| e.rules().keyword == word)
    }

    /// The era whose binary code is `code`.
    pub fn from_code(code: u8) -> Option<Era> {
        Era::ALL.into_iter().find(|e| e.rules().code == code)
    }

    pub fn keyword(self) -> &'static str {
        self.rules().keyword
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "era {} ({})", self.keyword(), self.rules().kernels)
    }
}
