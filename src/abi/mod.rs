//! The ABI shared with the C side: the generated declarations of the
//! world's kernel structures and the host operation table ([`raw`]), and
//! every kernel constant the Rust side uses, each defined once.
//!
//! Error numbers follow the kernel's own convention: the constants are
//! positive (`EFAULT` is 14) and a function that fails returns the negated
//! value (`-EFAULT`), in C and in Rust alike.

pub mod raw;

/// Bad address.
pub const EFAULT: i32 = raw::EFAULT as i32;
/// Invalid argument.
pub const EINVAL: i32 = raw::EINVAL as i32;
/// Try again (6.16's speculative policy lookup: the mmap lock moved).
pub const EAGAIN: i32 = raw::EAGAIN as i32;
/// Busy (6.16's speculative policy lookup: a writer holds the mmap lock).
pub const EBUSY: i32 = raw::EBUSY as i32;

/// `rw` of a 3.x-4.x `get_futex_key()`: read access is enough.
pub const VERIFY_READ: i32 = raw::VERIFY_READ as i32;
/// `rw`: the caller will write the futex word.
pub const VERIFY_WRITE: i32 = raw::VERIFY_WRITE as i32;

/// A key's offset bit: the key names an inode (and may pin it).
pub const FUT_OFF_INODE: i32 = raw::FUT_OFF_INODE as i32;
/// A key's offset bit: the key names an mm for a shared anonymous page.
pub const FUT_OFF_MMSHARED: i32 = raw::FUT_OFF_MMSHARED as i32;

/// Bytes in a base page.
pub const PAGE_SIZE: u64 = 1 << raw::PAGE_SHIFT;
/// The tag bit of an anonymous page's `page->mapping`.
pub const PAGE_MAPPING_ANON: usize = raw::PAGE_MAPPING_ANON as usize;
/// The top of the user address range (x86_64 `TASK_SIZE`).
pub const TASK_SIZE: u64 = (1 << 47) - PAGE_SIZE;

/// Nodes a NUMA machine may have (`1 << CONFIG_NODES_SHIFT`, x86-64's
/// default shift of 6).
pub const MAX_NUMNODES: u32 = raw::MAX_NUMNODES;
/// A FUTEX2_NUMA node word that names no node yet (`FUTEX_NO_NODE`, ABI).
pub const FUTEX_NO_NODE: i32 = raw::FUTEX_NO_NODE;

/// How the harness asks a call of a revision's entry point, whatever the
/// era's signature: shared or private, and the futex2 NUMA flags
/// (`FD_CALL_*` in `csrc/include/fake/custom.h`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CallFlags {
    pub shared: bool,
    /// FUTEX2_NUMA (6.16 on): the word after the futex names its node.
    pub numa: bool,
    /// FUTEX2_MPOL (6.16 on): the node follows the vma's memory policy.
    pub mpol: bool,
}

impl CallFlags {
    /// The entry point's `fd_flags` argument.
    pub fn bits(self) -> i32 {
        let mut bits = 0;
        if self.shared {
            bits |= raw::FD_CALL_SHARED;
        }
        if self.numa {
            bits |= raw::FD_CALL_NUMA;
        }
        if self.mpol {
            bits |= raw::FD_CALL_MPOL;
        }
        bits as i32
    }
}

/// A return code as the kernel would name it: `-EFAULT`, `-EINVAL`, or the
/// number.
pub fn errno_name(code: i32) -> String {
    match -code {
        EFAULT => "-EFAULT".to_string(),
        EINVAL => "-EINVAL".to_string(),
        EAGAIN => "-EAGAIN".to_string(),
        EBUSY => "-EBUSY".to_string(),
        _ => code.to_string(),
    }
}
