//! `get_futex_key_refs()` and `drop_futex_key_refs()`: the reference a key
//! stands for. 3.12 and 4.6/4.7 differ only in barriers, which are not
//! yield points, so one port serves every bundled era.

use crate::kernel::{Abort, InodePtr, Kernel, MmPtr};
use crate::key::{RawKey, FUT_OFF_INODE, FUT_OFF_MMSHARED};

/// Takes the inode or mm reference of a shared key; nothing for a private one.
pub fn get_futex_key_refs(k: &mut Kernel, key: &RawKey) -> Result<(), Abort> {
    if key.ptr == 0 {
        return Ok(());
    }
    match key.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED) {
        FUT_OFF_INODE => k.ihold(InodePtr(key.ptr)),
        FUT_OFF_MMSHARED => k.atomic_inc(MmPtr(key.ptr).mm_count()),
        _ => Ok(()),
    }
}

/// Drops what `get_futex_key_refs()` took; a key never filled in warns.
pub fn drop_futex_key_refs(k: &mut Kernel, key: &RawKey) -> Result<(), Abort> {
    if key.ptr == 0 {
        k.warn("WARN_ON_ONCE", "1", None);
        return Ok(());
    }
    match key.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED) {
        FUT_OFF_INODE => k.iput(InodePtr(key.ptr)),
        FUT_OFF_MMSHARED => k.mmdrop(MmPtr(key.ptr)),
        _ => Ok(()),
    }
}
