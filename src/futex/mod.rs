//! The Rust ports of the bundled revisions, which must take the same yield
//! points in the same order as their C twins (the lockstep oracle checks
//! it). Each is an [`Implementation`] like a compiled C revision.
//!
//! The ports are written over the [`Kernel`] API with pointers as values
//! (`PagePtr`, `MappingPtr`, ...), the way the C code holds them: plain
//! member reads are [`Kernel::page_mapping`] and friends, marked reads are
//! [`Kernel::read_once`] followed by the plain read.

mod refs;
pub mod rfc_2013;
pub mod v3_12;
pub mod v4_6;
pub mod v5;
pub mod v6;
pub mod v6_16;

use crate::implementation::{CallResult, Implementation};
use crate::kernel::{Abort, Kernel, PagePtr};
use crate::key::RawKey;

pub use refs::{drop_futex_key_refs, get_futex_key_refs};

use crate::abi::{CallFlags, EFAULT, VERIFY_READ};

/// A Rust port: the body of `get_futex_key()` over the kernel API.
pub trait Port: Sync {
    fn get(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        flags: CallFlags,
        key: &mut RawKey,
        rw: i32,
    ) -> Result<i32, Abort>;

    /// The body of `put_futex_key()`: in 3.x-4.x, drops what the key holds.
    fn put(&self, k: &mut Kernel, key: &RawKey) -> Result<(), Abort> {
        drop_futex_key_refs(k, key)
    }

    /// Whether the ported kernel has a `put_futex_key()` (before 5.9).
    fn defines_put(&self) -> bool {
        true
    }
}

impl<P: Port> Implementation for P {
    fn get_futex_key(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        flags: CallFlags,
        rw: i32,
    ) -> (CallResult, RawKey) {
        let mut key = RawKey::default();
        let result = match self.get(k, uaddr, flags, &mut key, rw) {
            Ok(code) => CallResult::Returned(code),
            Err(Abort) => CallResult::Aborted,
        };
        (result, key)
    }

    fn put_futex_key(&self, k: &mut Kernel, key: RawKey) -> CallResult {
        match self.put(k, &key) {
            Ok(()) => CallResult::Returned(0),
            Err(Abort) => CallResult::Aborted,
        }
    }

    fn has_put(&self) -> bool {
        self.defines_put()
    }
}

/// Every port, by the name of the bundled revision it ports.
pub static PORTS: &[(&str, &dyn Implementation)] = &[
    ("v3.12", &v3_12::V3_12),
    ("rfc-2013", &rfc_2013::Rfc2013),
    ("v4.6", &v4_6::V4_6),
    ("v4.7", &v4_6::V4_7),
    ("v5.6", &v5::V5_6),
    ("v5.10", &v5::V5_10),
    ("v5.13", &v5::V5_13),
    ("v6.8", &v6::V6),
    ("v6.13", &v6::V6),
    ("v6.19", &v6_16::V6_19),
    ("v7.1", &v6_16::V7_1),
];

/// The GUP sequence every era shares: ask for write access, and settle
/// for read access when the caller only reads (`ro` is then set and stays
/// set across retries, as the C's function-scope variable does).
fn pin_user_page(
    k: &mut Kernel,
    address: u64,
    rw: i32,
    ro: &mut bool,
) -> Result<Result<PagePtr, i32>, Abort> {
    let mut got = k.get_user_pages_fast(address, true)?;
    if got == Err(-EFAULT) && rw == VERIFY_READ {
        got = k.get_user_pages_fast(address, false)?;
        *ro = true;
    }
    Ok(got)
}

/// The (mm, address) key fields of a private or anonymous shared key.
fn set_mm_key(k: &mut Kernel, key: &mut RawKey, address: u64) {
    key.ptr = k.current_mm().0;
    key.word = address;
}

/// The (inode, pgoff) key fields of a file-backed key.
fn set_inode_key(key: &mut RawKey, inode: crate::kernel::InodePtr, pgoff: u64) {
    key.offset |= crate::key::FUT_OFF_INODE;
    key.ptr = inode.0;
    key.word = pgoff;
}
