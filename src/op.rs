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
        }
    }
}

impl Op {
    /// Every operation, in a fixed order (the binary form numbers them by
    /// it: new ones go at the end).
    pub const ALL: [Op; 34] = [
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
    ];

    /// The operation a kernel API name stands for; `ACCESS_ONCE` is the
    /// older spelling of a marked read, `READ_ONCE`.
    pub fn from_name(name: &str) -> Option<Op> {
        if name == "ACCESS_ONCE" {
            return Some(Op::ReadOnce);
        }
        Op::ALL.into_iter().find(|op| op.name() == name)
    }
}
