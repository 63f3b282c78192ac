//! Rust ports of `v5.6`, `v5.10` and `v5.13`: v4.7's lockless lookup with
//! inode keys that name the inode's sequence number and hold nothing. 5.6
//! still pins the mm of an anonymous shared key; from 5.7 no key holds a
//! reference and from 5.9 there is no `put_futex_key()`. v5.13 takes the
//! index from `page_to_pgoff(tail)`, the others from `basepage_index(tail)`.

use super::{pin_user_page, set_mm_key, Port};
use crate::abi::{EFAULT, EINVAL, PAGE_SIZE};
use crate::kernel::{Abort, Atomic64Ptr, InodePtr, Kernel, MmPtr, PagePtr};
use crate::key::{RawKey, FUT_OFF_INODE, FUT_OFF_MMSHARED};

pub struct V5_6;
pub struct V5_10;
pub struct V5_13;

/// What differs between the three.
struct Flavour {
    /// 5.6: `get_futex_key_refs()` pins an anonymous shared key's mm.
    mm_refs: bool,
    /// 5.13: the index comes from `page_to_pgoff()`.
    page_to_pgoff: bool,
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

fn get(
    k: &mut Kernel,
    uaddr: u64,
    fshared: bool,
    key: &mut RawKey,
    rw: i32,
    flavour: Flavour,
) -> Result<i32, Abort> {
    key.offset = (uaddr % PAGE_SIZE) as i32;
    if uaddr % 4 != 0 {
        return Ok(-EINVAL);
    }
    let address = uaddr - key.offset as u64;
    if !k.access_ok(uaddr, 4)? {
        return Ok(-EFAULT);
    }
    if k.should_fail()? {
        return Ok(-EFAULT);
    }
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
        let page = k.compound_head(tail)?;
        k.read_once(page.mapping_field(), "page->mapping")?;
        let mapping = k.page_mapping(page);
        if mapping.is_null() {
            // Under the page lock a shmem page cannot change state.
            k.lock_page(page)?;
            let shmem_swizzled = k.page_swap_cache(page)? || !k.page_mapping(page).is_null();
            k.unlock_page(page)?;
            k.put_page(page)?;
            if shmem_swizzled {
                continue;
            }
            return Ok(-EFAULT);
        }
        if k.page_anon(page)? {
            if k.should_fail()? || ro {
                k.put_page(page)?;
                return Ok(-EFAULT);
            }
            key.offset |= FUT_OFF_MMSHARED;
            set_mm_key(k, key, address);
        } else {
            k.rcu_read_lock()?;
            k.read_once(page.mapping_field(), "page->mapping")?;
            if k.page_mapping(page) != mapping {
                k.rcu_read_unlock()?;
                k.put_page(page)?;
                continue;
            }
            k.read_once(mapping.host_field(), "mapping->host")?;
            let inode = k.mapping_host(mapping);
            if inode.is_null() {
                k.rcu_read_unlock()?;
                k.put_page(page)?;
                continue;
            }
            key.offset |= FUT_OFF_INODE;
            key.ptr = get_inode_sequence_number(k, inode)? as usize;
            key.word = index_of(k, tail, &flavour)?;
            k.rcu_read_unlock()?;
        }
        if flavour.mm_refs {
            get_futex_key_refs(k, key)?;
        }
        k.put_page(page)?;
        return Ok(0);
    }
}

fn index_of(k: &mut Kernel, tail: PagePtr, flavour: &Flavour) -> Result<u64, Abort> {
    if flavour.page_to_pgoff {
        k.page_to_pgoff(tail)
    } else {
        k.basepage_index(tail)
    }
}

impl Port for V5_6 {
    fn get(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        fshared: bool,
        key: &mut RawKey,
        rw: i32,
    ) -> Result<i32, Abort> {
        let flavour = Flavour {
            mm_refs: true,
            page_to_pgoff: false,
        };
        get(k, uaddr, fshared, key, rw, flavour)
    }

    fn put(&self, k: &mut Kernel, key: &RawKey) -> Result<(), Abort> {
        drop_futex_key_refs(k, key)
    }
}

impl Port for V5_10 {
    fn get(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        fshared: bool,
        key: &mut RawKey,
        rw: i32,
    ) -> Result<i32, Abort> {
        let flavour = Flavour {
            mm_refs: false,
            page_to_pgoff: false,
        };
        get(k, uaddr, fshared, key, rw, flavour)
    }

    /// There is no `put_futex_key()`: keys hold nothing.
    fn put(&self, _k: &mut Kernel, _key: &RawKey) -> Result<(), Abort> {
        Ok(())
    }

    fn defines_put(&self) -> bool {
        false
    }
}

impl Port for V5_13 {
    fn get(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        fshared: bool,
        key: &mut RawKey,
        rw: i32,
    ) -> Result<i32, Abort> {
        let flavour = Flavour {
            mm_refs: false,
            page_to_pgoff: true,
        };
        get(k, uaddr, fshared, key, rw, flavour)
    }

    /// There is no `put_futex_key()`: keys hold nothing.
    fn put(&self, _k: &mut Kernel, _key: &RawKey) -> Result<(), Abort> {
        Ok(())
    }

    fn defines_put(&self) -> bool {
        false
    }
}
