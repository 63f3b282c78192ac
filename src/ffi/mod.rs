//! The only unsafe boundary: calls into the C revisions ([`CRevision`]),
//! linked into the binary or loaded from a shared object compiled at run
//! time, and the host operations the fake kernel calls back (`host`).
//!
//! Every revision comes with the shim it was compiled with (the abort flag
//! and the call-site line live there, per thread): the linked revisions
//! share the binary's, a loaded one has its own. While a revision runs, a
//! thread-local names the [`Kernel`] it runs on and that shim. No panic
//! unwinds through C: a callback catches it, asks C to abort the call, and
//! the panic resumes once C has returned.

mod host;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::os::raw::{c_int, c_ulong};
use std::panic::resume_unwind;
use std::path::Path;
use std::ptr;
use std::sync::Once;

use crate::abi::{raw, CallFlags};
use crate::implementation::{CallResult, Implementation};
use crate::kernel::Kernel;
use crate::key::RawKey;

/// Signature of a revision's exported `get_futex_key()` entry point.
pub type GetFn = unsafe extern "C" fn(*mut u32, c_int, *mut raw::futex_key, c_int) -> c_int;
/// Signature of a revision's exported `put_futex_key()` entry point.
pub type PutFn = unsafe extern "C" fn(*mut raw::futex_key) -> c_int;

/// The per-thread harness state of one copy of the shim (`futex_shim.c`).
pub struct Shim {
    take_line: unsafe extern "C" fn() -> c_int,
    request_abort: unsafe extern "C" fn(),
    clear_abort: unsafe extern "C" fn(),
    watch: unsafe extern "C" fn(c_ulong, c_ulong, c_ulong, c_ulong),
}

/// The shim linked into this binary, which the linked revisions use.
static LINKED_SHIM: Shim = Shim {
    take_line: raw::fd_take_line,
    request_abort: raw::fd_request_abort,
    clear_abort: raw::fd_clear_abort,
    watch: raw::fd_watch,
};

/// A compiled C revision: its entry points and the shim they run with.
pub struct CRevision {
    get: GetFn,
    /// None from 5.9: the kernel has no `put_futex_key()`.
    put: Option<PutFn>,
    shim: &'static Shim,
}

impl CRevision {
    /// A revision linked into this binary (build.rs compiled it).
    pub const fn linked(get: GetFn, put: Option<PutFn>) -> CRevision {
        CRevision {
            get,
            put,
            shim: &LINKED_SHIM,
        }
    }
}

/// The entry points every shared object the compiler makes for a revision
/// exports (`FD_REVISION_ENTRY(loaded)`).
pub const LOADED_GET: &str = "fd_rev_loaded_get";
pub const LOADED_PUT: &str = "fd_rev_loaded_put";

/// Loads the shared object at `path` (a revision unit and its own shim,
/// compiled by `crate::compile`) for the rest of the process, and installs
/// the host operations in its shim.
pub fn load_library(path: &Path) -> Result<CRevision, String> {
    let fail = |e: libloading::Error| format!("cannot load {}: {e}", path.display());
    // SAFETY: the object is one `crate::compile` built from the fake kernel
    // layer: its initialisers only set up static data.
    let library = unsafe { libloading::Library::new(path) }.map_err(fail)?;
    // The revision stays callable for the rest of the process.
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    // SAFETY: each symbol is a function of the declared signature, as the
    // shim's header and `FD_REVISION_ENTRY` define it; the library is never
    // unloaded, so the pointers stay valid.
    unsafe {
        let get = *library.get::<GetFn>(LOADED_GET.as_bytes()).map_err(fail)?;
        let put = library
            .get::<PutFn>(LOADED_PUT.as_bytes())
            .ok()
            .map(|put| *put);
        let install = *library
            .get::<unsafe extern "C" fn(*const raw::fd_host_ops)>(b"fd_install_host")
            .map_err(fail)?;
        let shim = Shim {
            take_line: *library.get(b"fd_take_line").map_err(fail)?,
            request_abort: *library.get(b"fd_request_abort").map_err(fail)?,
            clear_abort: *library.get(b"fd_clear_abort").map_err(fail)?,
            watch: *library.get(b"fd_watch").map_err(fail)?,
        };
        install(&host::ops());
        Ok(CRevision {
            get,
            put,
            shim: Box::leak(Box::new(shim)),
        })
    }
}

thread_local! {
    /// The kernel and shim of the revision this thread runs, set by every
    /// call into it and left set: a second futex task may stop in the
    /// middle of its call and go on after the futex thread's call returned,
    /// with the same kernel and shim. Only calls into C read it.
    static CURRENT: Cell<(*mut Kernel, Option<&'static Shim>)> =
        const { Cell::new((ptr::null_mut(), None)) };
    static PANIC: RefCell<Option<Box<dyn Any + Send>>> = const { RefCell::new(None) };
}

/// Installs the host operations in the linked shim, once.
fn install_linked_host() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: the shim copies the table; every entry is a valid
        // extern "C" function of the declared signature.
        unsafe { raw::fd_install_host(&host::ops()) };
    });
}

/// Runs `call` with `kernel` as the host of every callback it makes.
fn with_host<R>(kernel: &mut Kernel, shim: &'static Shim, call: impl FnOnce() -> R) -> R {
    install_linked_host();
    let (policies, policies_len) = kernel.world.memory().mempolicy_range();
    let (vmas, vmas_len) = kernel.world.memory().vma_range();
    CURRENT.set((kernel, Some(shim)));
    // SAFETY: clearing this thread's abort flag and setting the ranges its
    // hooks watch have no preconditions.
    unsafe {
        (shim.clear_abort)();
        (shim.watch)(
            policies as c_ulong,
            policies_len as c_ulong,
            vmas as c_ulong,
            vmas_len as c_ulong,
        );
    }
    let result = call();
    if let Some(panic) = PANIC.with(|p| p.borrow_mut().take()) {
        resume_unwind(panic);
    }
    result
}

fn returned(code: c_int) -> CallResult {
    if code == raw::FD_ABORTED {
        CallResult::Aborted
    } else {
        CallResult::Returned(code)
    }
}

impl Implementation for CRevision {
    /// Calls the revision's `get_futex_key(uaddr, flags, key, rw)`.
    fn get_futex_key(
        &self,
        kernel: &mut Kernel,
        uaddr: u64,
        flags: CallFlags,
        rw: i32,
    ) -> (CallResult, RawKey) {
        let mut key = raw::futex_key::default();
        let code = with_host(kernel, self.shim, || {
            // SAFETY: `get` is a revision entry point compiled over the fake
            // kernel layer; `key` outlives the call; `uaddr` is only ever an
            // integer to the fake kernel (user memory is never dereferenced).
            unsafe { (self.get)(uaddr as usize as *mut u32, flags.bits(), &mut key, rw) }
        });
        (returned(code), read_key(&key))
    }

    /// Calls the revision's `put_futex_key(key)` on a key it returned;
    /// without one, there is nothing to drop.
    fn put_futex_key(&self, kernel: &mut Kernel, key: RawKey) -> CallResult {
        let Some(put) = self.put else {
            return CallResult::Returned(0);
        };
        let mut raw_key = write_key(key);
        let code = with_host(kernel, self.shim, || {
            // SAFETY: as for `get_futex_key`; the key is a copy owned here.
            unsafe { put(&mut raw_key) }
        });
        returned(code)
    }

    fn has_put(&self) -> bool {
        self.put.is_some()
    }
}

fn read_key(key: &raw::futex_key) -> RawKey {
    // SAFETY: the three views of the union share one layout (unsigned long,
    // pointer, int), and the default value initialised all of it.
    let both = unsafe { key.both };
    RawKey {
        word: both.word as u64,
        ptr: both.ptr as usize,
        offset: both.offset,
        node: both.node as i32,
    }
}

fn write_key(key: RawKey) -> raw::futex_key {
    raw::futex_key {
        both: raw::futex_key__bindgen_ty_3 {
            word: key.word as c_ulong,
            ptr: ptr::with_exposed_provenance_mut(key.ptr),
            offset: key.offset,
            node: key.node as u32,
        },
    }
}
