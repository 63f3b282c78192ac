//! Rust port of `rfc-2013`: v3.12 with the 2013 RFC applied. The mapping
//! is read once without the page lock; file pages pin their inode under
//! RCU after re-checking `page->mapping` (of the page GUP returned, not of
//! its head).

use super::v3_12::{get_with, Flow, Pinned};
use super::{get_futex_key_refs, set_inode_key, set_mm_key, Port};
use crate::abi::CallFlags;
use crate::abi::EFAULT;
use crate::kernel::{Abort, Kernel};
use crate::key::{RawKey, FUT_OFF_MMSHARED};

pub struct Rfc2013;

impl Port for Rfc2013 {
    fn get(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        flags: CallFlags,
        key: &mut RawKey,
        rw: i32,
    ) -> Result<i32, Abort> {
        get_with(k, uaddr, flags.shared, key, rw, |k, key, pinned| {
            let Pinned {
                page,
                head,
                address,
                ro,
            } = *pinned;
            k.read_once(head.mapping_field(), "page_head->mapping")?;
            let mapping = k.page_mapping(head);
            if mapping.is_null() {
                // Only the page lock tells a truncated page from shmem
                // moving to the swap cache.
                k.lock_page(head)?;
                let mapping = k.page_mapping(head);
                let shmem_swizzled = k.page_swap_cache(head)?;
                k.unlock_page(head)?;
                k.put_page(head)?;
                if !mapping.is_null() {
                    k.warn("WARN_ON_ONCE", "mapping", None);
                }
                return Ok(if shmem_swizzled {
                    Flow::Again
                } else {
                    Flow::Return(-EFAULT)
                });
            }
            let mut err = 0;
            if k.page_anon(head)? {
                if ro {
                    err = -EFAULT;
                } else {
                    key.offset |= FUT_OFF_MMSHARED;
                    set_mm_key(k, key, address);
                    get_futex_key_refs(k, key)?;
                }
            } else {
                k.rcu_read_lock()?;
                if k.page_mapping(page) != mapping || k.mapping_host(mapping).is_null() {
                    k.rcu_read_unlock()?;
                    k.put_page(head)?;
                    return Ok(Flow::Again);
                }
                let inode = k.mapping_host(mapping);
                if !k.atomic_inc_not_zero(inode.i_count())? {
                    k.warn("WARN_ON", "!atomic_inc_not_zero(&inode->i_count)", None);
                    k.rcu_read_unlock()?;
                    k.put_page(head)?;
                    return Ok(Flow::Again);
                }
                if k.inode_i_mapping(inode) != mapping {
                    k.warn("WARN_ON", "inode->i_mapping != mapping", None);
                    k.rcu_read_unlock()?;
                    k.iput(inode)?;
                    k.put_page(head)?;
                    return Ok(Flow::Again);
                }
                let pgoff = k.basepage_index(page)?;
                set_inode_key(key, inode, pgoff);
                k.rcu_read_unlock()?;
            }
            k.put_page(head)?;
            Ok(Flow::Return(err))
        })
    }
}
