//! Rust port of `v3.12`: the page lock held around every look at the
//! mapping, and the THP tail dance with irqs off. The skeleton the RFC
//! keeps (alignment, the private key, GUP and the tail dance on every pass
//! through `again:`) is `get_with`.

use super::{get_futex_key_refs, pin_user_page, set_inode_key, set_mm_key, Port};
use crate::abi::CallFlags;
use crate::abi::{EFAULT, EINVAL, PAGE_SIZE};
use crate::kernel::{Abort, Kernel, PagePtr};
use crate::key::{RawKey, FUT_OFF_MMSHARED};

pub struct V3_12;

/// What a pass over a pinned page decides.
pub(super) enum Flow {
    Return(i32),
    /// `goto again`.
    Again,
}

/// A page GUP pinned on one pass through `again:`.
#[derive(Clone, Copy)]
pub(super) struct Pinned {
    /// The page the address maps (a tail of a huge page, maybe).
    pub page: PagePtr,
    /// Its compound head, which holds the pin from here on.
    pub head: PagePtr,
    /// The futex word's page address.
    pub address: u64,
    /// Only read access was granted.
    pub ro: bool,
}

/// `get_futex_key()` of the 3.x era, with the part after the head is
/// pinned left to `body`.
pub(super) fn get_with(
    k: &mut Kernel,
    uaddr: u64,
    fshared: bool,
    key: &mut RawKey,
    rw: i32,
    mut body: impl FnMut(&mut Kernel, &mut RawKey, &Pinned) -> Result<Flow, Abort>,
) -> Result<i32, Abort> {
    key.offset = (uaddr % PAGE_SIZE) as i32;
    if uaddr % 4 != 0 {
        return Ok(-EINVAL);
    }
    let address = uaddr - key.offset as u64;
    if !fshared {
        if !k.access_ok(uaddr, 4)? {
            return Ok(-EFAULT);
        }
        set_mm_key(k, key, address);
        get_futex_key_refs(k, key)?;
        return Ok(0);
    }
    let mut ro = false;
    loop {
        let (page, head) = match pin_head(k, address, rw, &mut ro)? {
            Pin::Failed(err) => return Ok(err),
            Pin::Again => continue,
            Pin::Head { page, head } => (page, head),
        };
        match body(
            k,
            key,
            &Pinned {
                page,
                head,
                address,
                ro,
            },
        )? {
            Flow::Return(err) => return Ok(err),
            Flow::Again => continue,
        }
    }
}

/// What pinning a head page came to.
enum Pin {
    Head {
        page: PagePtr,
        head: PagePtr,
    },
    /// GUP failed with this error.
    Failed(i32),
    /// The page changed under the tail dance: look again.
    Again,
}

/// GUP, then (for a tail page) the head pinned with irqs off, so that a
/// THP split cannot complete in between; the fast lookup asks for write
/// access.
fn pin_head(k: &mut Kernel, address: u64, rw: i32, ro: &mut bool) -> Result<Pin, Abort> {
    let page = match pin_user_page(k, address, rw, ro)? {
        Ok(page) => page,
        Err(err) => return Ok(Pin::Failed(err)),
    };
    if !k.page_tail(page)? {
        return Ok(Pin::Head { page, head: page });
    }
    k.put_page(page)?;
    k.local_irq_disable()?;
    let Some(page) = k.get_user_pages_fast_irq(address, true)? else {
        k.local_irq_enable()?;
        return Ok(Pin::Again);
    };
    let head = k.compound_head(page)?;
    if page != head {
        k.get_page(head)?;
        k.put_page(page)?;
    }
    k.local_irq_enable()?;
    Ok(Pin::Head { page, head })
}

impl Port for V3_12 {
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
            k.lock_page(head)?;
            if k.page_mapping(head).is_null() {
                // No mapping: fail, unless shmem moved it to the swap cache.
                let shmem_swizzled = k.page_swap_cache(head)?;
                k.unlock_page(head)?;
                k.put_page(head)?;
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
            Ok(Flow::Return(err))
        })
    }
}
