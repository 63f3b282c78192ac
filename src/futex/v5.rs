//! Rust ports of `v5.6`, `v5.10` and `v5.13`, and the lookup 6.x shares
//! with them: v4.7's lockless lookup with inode keys that name the inode's
//! sequence number and hold nothing. 5.6 still pins the mm of an anonymous
//! shared key; from 5.7 no key holds a reference and from 5.9 there is no
//! `put_futex_key()`. v5.13 takes the index from `page_to_pgoff(tail)`,
//! the others from `basepage_index(tail)`; 6.x ([`super::v6`]) does the same
//! on folios.

use super::{pin_user_page, set_mm_key, Port};
use crate::abi::CallFlags;
use crate::abi::{EFAULT, EINVAL, PAGE_SIZE};
use crate::kernel::{Abort, Atomic64Ptr, InodePtr, Kernel, MmPtr, PagePtr};
use crate::key::{RawKey, FUT_OFF_INODE, FUT_OFF_MMSHARED};

/// What differs between the kernels that share this lookup.
pub(super) struct Flavour {
    /// 5.6: `get_futex_key_refs()` pins an anonymous shared key's mm.
    pub mm_refs: bool,
    /// Where an inode key's index comes from.
    pub index: PgoffSource,
    /// 6.x: the lookup works on the folio (`page_folio()`, `folio_lock()`,
    /// ...) where 5.x works on the compound head page.
    pub folios: bool,
}

/// Where an inode key's index comes from.
pub(super) enum PgoffSource {
    /// `basepage_index(tail)` (4.7 to 5.12).
    BasepageIndex,
    /// `page_to_pgoff(tail)` (5.13, 5.10.89).
    PageToPgoff,
    /// `folio->index + folio_page_idx(folio, page)` (6.8; 6.13's
    /// `page_pgoff()`): plain reads.
    FolioIndex,
}

/// `get_inode_sequence_number()`'s `static atomic64_t i_seq`: an address
/// outside the world's memory, which the kernel API counts from 0 in every
/// execution, as it does the C revision's own static.
static I_SEQ: i64 = 0;

fn i_seq() -> Atomic64Ptr {
    Atomic64Ptr(&raw const I_SEQ as usize)
}

/// The inode's number for futex keys, assigned on first use.
fn get_inode_sequence_number(k: &mut Kernel, inode: InodePtr) -> Result<u64, Abort> {
    let old = k.atomic64_read(inode.i_sequence())?;
    if old != 0 {
        return Ok(old as u64);
    }
    loop {
        let new = k.atomic64_add_return(1, i_seq())?;
        if new == 0 {
            k.warn("WARN_ON_ONCE", "!new", None);
            continue;
        }
        let old = k.atomic64_cmpxchg(inode.i_sequence(), 0, new)?;
        return Ok(if old != 0 { old } else { new } as u64);
    }
}

/// 5.6's `get_futex_key_refs()`: only an anonymous shared key pins
/// anything (its mm); the rest is barriers, which are not yield points.
fn get_futex_key_refs(k: &mut Kernel, key: &RawKey) -> Result<(), Abort> {
    if key.ptr != 0 && key.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED) == FUT_OFF_MMSHARED {
        k.mmgrab(MmPtr(key.ptr))?;
    }
    Ok(())
}

/// 5.6's `drop_futex_key_refs()`.
fn drop_futex_key_refs(k: &mut Kernel, key: &RawKey) -> Result<(), Abort> {
    if key.ptr == 0 {
        k.warn("WARN_ON_ONCE", "1", None);
        return Ok(());
    }
    if key.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED) == FUT_OFF_MMSHARED {
        k.mmdrop(MmPtr(key.ptr))?;
    }
    Ok(())
}

/// The head page or folio of what GUP returned, the lock, the reference
/// and the page tests, as the flavour's kernel names them.
impl Flavour {
    fn head(&self, k: &mut Kernel, page: PagePtr) -> Result<PagePtr, Abort> {
        if self.folios {
            k.page_folio(page)
        } else {
            k.compound_head(page)
        }
    }

    fn mapping_expr(&self) -> &'static str {
        if self.folios {
            "folio->mapping"
        } else {
            "page->mapping"
        }
    }

    fn lock(&self, k: &mut Kernel, head: PagePtr) -> Result<(), Abort> {
        if self.folios {
            k.folio_lock(head)
        } else {
            k.lock_page(head)
        }
    }

    fn unlock(&self, k: &mut Kernel, head: PagePtr) -> Result<(), Abort> {
        if self.folios {
            k.folio_unlock(head)
        } else {
            k.unlock_page(head)
        }
    }

    fn put(&self, k: &mut Kernel, head: PagePtr) -> Result<(), Abort> {
        if self.folios {
            k.folio_put(head)
        } else {
            k.put_page(head)
        }
    }

    fn swap_cache(&self, k: &mut Kernel, head: PagePtr) -> Result<bool, Abort> {
        if self.folios {
            k.folio_test_swapcache(head)
        } else {
            k.page_swap_cache(head)
        }
    }

    fn anon(&self, k: &mut Kernel, head: PagePtr) -> Result<bool, Abort> {
        if self.folios {
            k.folio_test_anon(head)
        } else {
            k.page_anon(head)
        }
    }

    fn index(&self, k: &mut Kernel, head: PagePtr, page: PagePtr) -> Result<u64, Abort> {
        match self.index {
            PgoffSource::BasepageIndex => k.basepage_index(page),
            PgoffSource::PageToPgoff => k.page_to_pgoff(page),
            PgoffSource::FolioIndex => Ok(k.page_index_word(head) + head.page_idx(page)),
        }
    }
}

pub(super) fn get(
    k: &mut Kernel,
    uaddr: u64,
    fshared: bool,
    key: &mut RawKey,
    rw: i32,
    flavour: &Flavour,
) -> Result<i32, Abort> {
    match check_address(k, uaddr, 4, key)? {
        Ok(address) => lookup(k, fshared, key, rw, address, flavour),
        Err(code) => Ok(code),
    }
}

/// The checks every 5.x to 7.x `get_futex_key()` makes first: the key's
/// offset, the alignment to the futex's `size`, `access_ok()` and
/// fail_futex. The page's address, or the code the call returns.
pub(super) fn check_address(
    k: &mut Kernel,
    uaddr: u64,
    size: u64,
    key: &mut RawKey,
) -> Result<Result<u64, i32>, Abort> {
    key.offset = (uaddr % PAGE_SIZE) as i32;
    if uaddr % size != 0 {
        return Ok(Err(-EINVAL));
    }
    if !k.access_ok(uaddr, size)? {
        return Ok(Err(-EFAULT));
    }
    if k.should_fail()? {
        return Ok(Err(-EFAULT));
    }
    Ok(Ok(uaddr - key.offset as u64))
}

/// Everything after the checks of the address: the private key, or the
/// page's mm or inode key, the lookup 5.x and 6.x share (6.16 on behind
/// the node).
pub(super) fn lookup(
    k: &mut Kernel,
    fshared: bool,
    key: &mut RawKey,
    rw: i32,
    address: u64,
    flavour: &Flavour,
) -> Result<i32, Abort> {
    if !fshared {
        set_mm_key(k, key, address);
        if flavour.mm_refs {
            get_futex_key_refs(k, key)?;
        }
        return Ok(0);
    }
    let mut ro = false;
    loop {
        if k.should_fail()? {
            return Ok(-EFAULT);
        }
        let tail = match pin_user_page(k, address, rw, &mut ro)? {
            Ok(page) => page,
            Err(err) => return Ok(err),
        };
        let page = flavour.head(k, tail)?;
        k.read_once(page.mapping_field(), flavour.mapping_expr())?;
        let mapping = k.page_mapping(page);
        if mapping.is_null() {
            // Under the page lock a shmem page cannot change state.
            flavour.lock(k, page)?;
            let shmem_swizzled = flavour.swap_cache(k, page)? || !k.page_mapping(page).is_null();
            flavour.unlock(k, page)?;
            flavour.put(k, page)?;
            if shmem_swizzled {
                continue;
            }
            return Ok(-EFAULT);
        }
        if flavour.anon(k, page)? {
            if k.should_fail()? || ro {
                flavour.put(k, page)?;
                return Ok(-EFAULT);
            }
            key.offset |= FUT_OFF_MMSHARED;
            set_mm_key(k, key, address);
        } else {
            k.rcu_read_lock()?;
            k.read_once(page.mapping_field(), flavour.mapping_expr())?;
            if k.page_mapping(page) != mapping {
                k.rcu_read_unlock()?;
                flavour.put(k, page)?;
                continue;
            }
            k.read_once(mapping.host_field(), "mapping->host")?;
            let inode = k.mapping_host(mapping);
            if inode.is_null() {
                k.rcu_read_unlock()?;
                flavour.put(k, page)?;
                continue;
            }
            key.offset |= FUT_OFF_INODE;
            key.ptr = get_inode_sequence_number(k, inode)? as usize;
            key.word = flavour.index(k, page, tail)?;
            k.rcu_read_unlock()?;
        }
        if flavour.mm_refs {
            get_futex_key_refs(k, key)?;
        }
        flavour.put(k, page)?;
        return Ok(0);
    }
}

/// A port of one of the kernels this lookup serves, described by its
/// flavour.
pub struct SequenceKeys {
    pub(super) flavour: Flavour,
}

/// 5.6: `basepage_index(tail)`, and an anonymous shared key pins its mm.
pub static V5_6: SequenceKeys = SequenceKeys {
    flavour: Flavour {
        mm_refs: true,
        index: PgoffSource::BasepageIndex,
        folios: false,
    },
};

/// 5.9 to 5.10.88: nothing pinned, `basepage_index(tail)`.
pub static V5_10: SequenceKeys = SequenceKeys {
    flavour: Flavour {
        mm_refs: false,
        index: PgoffSource::BasepageIndex,
        folios: false,
    },
};

/// 5.13 and 5.10.89: nothing pinned, `page_to_pgoff(tail)`.
pub static V5_13: SequenceKeys = SequenceKeys {
    flavour: Flavour {
        mm_refs: false,
        index: PgoffSource::PageToPgoff,
        folios: false,
    },
};

impl Port for SequenceKeys {
    fn get(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        flags: CallFlags,
        key: &mut RawKey,
        rw: i32,
    ) -> Result<i32, Abort> {
        get(k, uaddr, flags.shared, key, rw, &self.flavour)
    }

    /// 5.6's `put_futex_key()` drops what `get_futex_key_refs()` took;
    /// from 5.9 there is none, keys holding nothing.
    fn put(&self, k: &mut Kernel, key: &RawKey) -> Result<(), Abort> {
        if self.flavour.mm_refs {
            drop_futex_key_refs(k, key)
        } else {
            Ok(())
        }
    }

    fn defines_put(&self) -> bool {
        self.flavour.mm_refs
    }
}
