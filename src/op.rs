//! The kernel API calls where the futex thread yields, by the names the
//! kernel gives them: what traces show, and what a schedule can name as the
//! place for an event (`at call 1 before lock_page e1`).

/// A kernel API call (or marked read) where the futex thread yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    ReadOnce,
    AccessOk,
    ShouldFail,
    GetUserPagesFast,
    GetUserPagesFastIrq,
    PageTail,
    PageAnon,
    PageSwapCache,
    CompoundHead,
    BasepageIndex,
    GetPage,
    PutPage,
    LockPage,
    UnlockPage,
    Ihold,
    Iput,
    Mmdrop,
    AtomicInc,
    AtomicIncNotZero,
    RcuReadLock,
    RcuReadUnlock,
    LocalIrqDisable,
    LocalIrqEnable,
    Mmgrab,
    PageToPgoff,
    Atomic64Read,
    Atomic64AddReturn,
    Atomic64Cmpxchg,
    PageFolio,
    FolioLock,
    FolioUnlock,
    FolioPut,
    FolioTestAnon,
    FolioTestSwapcache,
    GetUser,
    PutUser,
    MmapLockSpeculateTryBegin,
    MmapLockSpeculateRetry,
    MmapReadLock,
    MmapReadUnlock,
    VmaLookup,
    VmaPolicy,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::ReadOnce => "READ_ONCE",
            Op::AccessOk => "access_ok",
            Op::ShouldFail => "should_fail",
            Op::GetUserPagesFast => "get_user_pages_fast",
            Op::GetUserPagesFastIrq => "__get_user_pages_fast",
            Op::PageTail => "PageTail",
            Op::PageAnon => "PageAnon",
            Op::PageSwapCache => "PageSwapCache",
            Op::CompoundHead => "compound_head",
            Op::BasepageIndex => "basepage_index",
            Op::GetPage => "get_page",
            Op::PutPage => "put_page",
            Op::LockPage => "lock_page",
            Op::UnlockPage => "unlock_page",
            Op::Ihold => "ihold",
            Op::Iput => "iput",
            Op::Mmdrop => "mmdrop",
            Op::AtomicInc => "atomic_inc",
            Op::AtomicIncNotZero => "atomic_inc_not_zero",
            Op::RcuReadLock => "rcu_read_lock",
            Op::RcuReadUnlock => "rcu_read_unlock",
            Op::LocalIrqDisable => "local_irq_disable",
            Op::LocalIrqEnable => "local_irq_enable",
            Op::Mmgrab => "mmgrab",
            Op::PageToPgoff => "page_to_pgoff",
            Op::Atomic64Read => "atomic64_read",
            Op::Atomic64AddReturn => "atomic64_add_return",
            Op::Atomic64Cmpxchg => "atomic64_cmpxchg",
            Op::PageFolio => "page_folio",
            Op::FolioLock => "folio_lock",
            Op::FolioUnlock => "folio_unlock",
            Op::FolioPut => "folio_put",
            Op::FolioTestAnon => "folio_test_anon",
            Op::FolioTestSwapcache => "folio_test_swapcache",
            Op::GetUser => "get_user",
            Op::PutUser => "put_user",
            Op::MmapLockSpeculateTryBegin => "mmap_lock_speculate_try_begin",
            Op::MmapLockSpeculateRetry => "mmap_lock_speculate_retry",
            Op::MmapReadLock => "mmap_read_lock",
            Op::MmapReadUnlock => "mmap_read_unlock",
            Op::VmaLookup => "vma_lookup",
            Op::VmaPolicy => "vma_policy",
        }
    }
}

impl Op {
    /// Every operation, in a fixed order (the binary form numbers them by
    /// it: new ones go at the end).
    pub const ALL: [Op; 42] = [
        Op::ReadOnce,
        Op::AccessOk,
        Op::ShouldFail,
        Op::GetUserPagesFast,
        Op::GetUserPagesFastIrq,
        Op::PageTail,
        Op::PageAnon,
        Op::PageSwapCache,
        Op::CompoundHead,
        Op::BasepageIndex,
        Op::GetPage,
        Op::PutPage,
        Op::LockPage,
        Op::UnlockPage,
        Op::Ihold,
        Op::Iput,
        Op::Mmdrop,
        Op::AtomicInc,
        Op::AtomicIncNotZero,
        Op::RcuReadLock,
        Op::RcuReadUnlock,
        Op::LocalIrqDisable,
        Op::LocalIrqEnable,
        Op::Mmgrab,
        Op::PageToPgoff,
        Op::Atomic64Read,
        Op::Atomic64AddReturn,
        Op::Atomic64Cmpxchg,
        Op::PageFolio,
        Op::FolioLock,
        Op::FolioUnlock,
        Op::FolioPut,
        Op::FolioTestAnon,
        Op::FolioTestSwapcache,
        Op::GetUser,
        Op::PutUser,
        Op::MmapLockSpeculateTryBegin,
        Op::MmapLockSpeculateRetry,
        Op::MmapReadLock,
        Op::MmapReadUnlock,
        Op::VmaLookup,
        Op::VmaPolicy,
    ];

    /// The operation a kernel API name stands for, under its other
    /// spellings too: `ACCESS_ONCE` is the older one of `READ_ONCE`; a user
    /// word is read with `get_user_inline` (6.19 on), `futex_get_value` or
    /// its `unsafe_get_user` (6.16 to 6.18), and written alike.
    pub fn from_name(name: &str) -> Option<Op> {
        let op = match name {
            "ACCESS_ONCE" => Op::ReadOnce,
            "get_user_inline" | "futex_get_value" | "unsafe_get_user" => Op::GetUser,
            "put_user_inline" | "futex_put_value" | "unsafe_put_user" => Op::PutUser,
            _ => return Op::ALL.into_iter().find(|op| op.name() == name),
        };
        Some(op)
    }
}
