//! Rust port of `v3.12`: the page lock held around every look at the
//! mapping, and the THP tail dance with irqs off.

use super::{
    get_futex_key_refs, pin_user_page, set_inode_key, set_mm_key, Port, EFAULT, EINVAL, PAGE_SIZE,
};
use crate::kernel::{Abort, Kernel, PagePtr};
use crate::key::{RawKey, FUT_OFF_MMSHARED};

pub struct V3_12;

/// Where the shared 3.x prologue leaves the call.
pub(super) enum Prologue {
    /// The call is over with this return value.
    Return(i32),
    /// GUP pinned `page`; `head` is its compound head, pinned instead.
    Pinned { page: PagePtr, head: PagePtr },
    /// Look the page up again (`goto again`).
    Again,
}

/// The part of `get_futex_key()` that 3.12 and the RFC share, from the
/// top of the function: alignment, the private key, and (for each pass
/// through `again:`) GUP and the THP tail dance.
pub(super) fn private_or_start(
    k: &mut Kernel,
    uaddr: u64,
    fshared: bool,
    key: &mut RawKey,
) -> Result<Option<i32>, Abort> {
    key.offset = (uaddr % PAGE_SIZE) as i32;
    if uaddr % 4 != 0 {
        return Ok(Some(EINVAL));
    }
    if !fshared {
        if !k.access_ok(uaddr, 4)? {
            return Ok(Some(EFAULT));
        }
        set_mm_key(k, key, uaddr - key.offset as u64);
        get_futex_key_refs(k, key)?;
        return Ok(Some(0));
    }
    Ok(None)
}

/// One pass of `again:` up to a pinned head page.
pub(super) fn pin_head(
    k: &mut Kernel,
    address: u64,
    rw: i32,
    ro: &mut bool,
) -> Result<Prologue, Abort> {
    let page = match pin_user_page(k, address, rw, ro)? {
        Ok(page) => page,
        Err(err) => return Ok(Prologue::Return(err)),
    };
    if !k.page_tail(page)? {
        return Ok(Prologue::Pinned { page, head: page });
    }
    // A tail: pin its head with irqs off, so that a THP split cannot
    // complete in between. The fast lookup asks for write access.
    k.put_page(page)?;
    k.local_irq_disable()?;
    let Some(page) = k.get_user_pages_fast_irq(address, true)? else {
        k.local_irq_enable()?;
        return Ok(Prologue::Again);
    };
    let head = k.compound_head(page)?;
    if page != head {
        k.get_page(head)?;
        k.put_page(page)?;
    }
    k.local_irq_enable()?;
    Ok(Prologue::Pinned { page, head })
}

impl Port for V3_12 {
    fn get(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        fshared: bool,
        key: &mut RawKey,
        rw: i32,
    ) -> Result<i32, Abort> {
        if let Some(ret) = private_or_start(k, uaddr, fshared, key)? {
            return Ok(ret);
        }
        let address = uaddr - key.offset as u64;
        let mut ro = false;
        loop {
            let (page, head) = match pin_head(k, address, rw, &mut ro)? {
                Prologue::Return(err) => return Ok(err),
                Prologue::Again => continue,
                Prologue::Pinned { page, head } => (page, head),
            };
            k.lock_page(head)?;
            if k.page_mapping(head).is_null() {
                // No mapping: fail, unless shmem moved it to the swap cache.
                let shmem_swizzled = k.page_swap_cache(head)?;
                k.unlock_page(head)?;
                k.put_page(head)?;
                if shmem_swizzled {
                    continue;
                }
                return Ok(EFAULT);
            }
            let mut err = 0;
            if k.page_anon(head)? {
                if ro {
                    err = EFAULT;
                } else {
                    key.offset |= FUT_OFF_MMSHARED;
                    set_mm_key(k, key, address);
                }
            } else {
                let inode = k.mapping_host(k.page_mapping(head));
                let pgoff = k.basepage_index(page)?;
                set_inode_key(key, inode, pgoff);
            }
            if err == 0 {
                get_futex_key_refs(k, key)?;
            }
            k.unlock_page(head)?;
            k.put_page(head)?;
            return Ok(err);
        }
    }
}
