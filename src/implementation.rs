//! The one interface every implementation of `get_futex_key()` under test
//! is reached through: a compiled C revision (`ffi`) and a Rust port
//! (`futex`) alike. Execution knows nothing else of them.

use crate::abi::CallFlags;
use crate::era::Era;
use crate::kernel::Kernel;
use crate::key::RawKey;

/// What a call into an implementation came back with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallResult {
    Returned(i32),
    /// The host aborted the call (deadlock, livelock, harness error).
    Aborted,
}

/// One implementation of `get_futex_key()` / `put_futex_key()`, running on
/// the fake kernel `k`.
pub trait Implementation: Sync {
    /// `get_futex_key(uaddr, flags, &key, rw)`, the flags as the era's
    /// function takes them (`fshared`, then futex flags).
    fn get_futex_key(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        flags: CallFlags,
        rw: i32,
    ) -> (CallResult, RawKey);
    /// `put_futex_key(&key)` of a key `get_futex_key()` filled in; where
    /// there is none, nothing.
    fn put_futex_key(&self, k: &mut Kernel, key: RawKey) -> CallResult;
    /// Whether the kernel has a `put_futex_key()` (before 5.9).
    fn has_put(&self) -> bool;
}

/// What runs a scenario: an implementation, under the name and the era
/// of the revision it is (a C revision or its Rust port).
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub name: &'a str,
    /// The mm rules the world follows unless the scenario sets its own.
    pub era: Era,
    /// Registered for the life of the process: a second task may run it
    /// from a stack of its own.
    pub imp: &'static dyn Implementation,
}
