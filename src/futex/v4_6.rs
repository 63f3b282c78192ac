//! Rust ports of `v4.6` and `v4.7`: compound head first, one marked read
//! of the mapping, the page lock only on the NULL-mapping slow path, and
//! the RCU-checked inode pin. v4.7 computes the index from the page GUP
//! returned (a tail of a huge page), v4.6 from its head.

use super::{get_futex_key_refs, pin_user_page, set_inode_key, set_mm_key, Port};
use crate::abi::CallFlags;
use crate::abi::{EFAULT, EINVAL, PAGE_SIZE};
use crate::kernel::{Abort, Kernel};
use crate::key::{RawKey, FUT_OFF_MMSHARED};

pub struct V4_6;
pub struct V4_7;

/// `should_fail_futex()`: fail_futex does not exempt private futexes here.
fn should_fail_futex(k: &mut Kernel, _fshared: bool) -> Result<bool, Abort> {
    k.should_fail()
}

fn get(
    k: &mut Kernel,
    uaddr: u64,
    fshared: bool,
    key: &mut RawKey,
    rw: i32,
    index_from_tail: bool,
) -> Result<i32, Abort> {
    key.offset = (uaddr % PAGE_SIZE) as i32;
    if uaddr % 4 != 0 {
        return Ok(-EINVAL);
    }
    let address = uaddr - key.offset as u64;
    if !k.access_ok(uaddr, 4)? {
        return Ok(-EFAULT);
    }
    if should_fail_futex(k, fshared)? {
        return Ok(-EFAULT);
    }
    if !fshared {
        set_mm_key(k, key, address);
        get_futex_key_refs(k, key)?;
        return Ok(0);
    }
    let mut ro = false;
    loop {
        if should_fail_futex(k, fshared)? {
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
        let mut err = 0;
        if k.page_anon(page)? {
            if should_fail_futex(k, fshared)? || ro {
                err = -EFAULT;
            } else {
                key.offset |= FUT_OFF_MMSHARED;
                set_mm_key(k, key, address);
                get_futex_key_refs(k, key)?;
            }
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
            if !k.atomic_inc_not_zero(inode.i_count())? {
                k.warn(
                    "WARN_ON_ONCE",
                    "!atomic_inc_not_zero(&inode->i_count)",
                    None,
                );
                k.rcu_read_unlock()?;
                k.put_page(page)?;
                continue;
            }
            if k.inode_i_mapping(inode) != mapping {
                k.warn("WARN_ON_ONCE", "inode->i_mapping != mapping", None);
                err = -EFAULT;
                k.rcu_read_unlock()?;
                k.iput(inode)?;
            } else {
                let pgoff = k.basepage_index(if index_from_tail { tail } else { page })?;
                set_inode_key(key, inode, pgoff);
                k.rcu_read_unlock()?;
            }
        }
        k.put_page(page)?;
        return Ok(err);
    }
}

impl Port for V4_6 {
    fn get(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        flags: CallFlags,
        key: &mut RawKey,
        rw: i32,
    ) -> Result<i32, Abort> {
        get(k, uaddr, flags.shared, key, rw, false)
    }
}

impl Port for V4_7 {
    fn get(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        flags: CallFlags,
        key: &mut RawKey,
        rw: i32,
    ) -> Result<i32, Abort> {
        get(k, uaddr, flags.shared, key, rw, true)
    }
}
