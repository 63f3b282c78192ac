//! The host operations the fake kernel calls back, one per kernel API: each
//! turns the raw pointers it is handed into world identities and calls the
//! kernel method of the same name, so C and Rust share one implementation
//! of every operation. A callback catches every panic, asks C to abort the
//! call through the revision's shim, and leaves the panic for `with_host`
//! to resume once C has returned.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_ulong, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use super::{CURRENT, PANIC};
use crate::abi::raw;
use crate::kernel::{Abort, Atomic64Ptr, AtomicPtr, InodePtr, Kernel, MmPtr, PagePtr, VmaPtr};

/// The table of every host operation, as a revision's shim installs it.
pub(super) fn ops() -> raw::fd_host_ops {
    raw::fd_host_ops {
        current_task: Some(host_current_task),
        abort_jump: Some(host_abort_jump),
        warn: Some(host_warn),
        read_once: Some(host_read_once),
        access_ok: Some(host_access_ok),
        should_fail: Some(host_should_fail),
        get_user_pages_fast: Some(host_get_user_pages_fast),
        __get_user_pages_fast: Some(host_get_user_pages_fast_irq),
        page_tail: Some(host_page_tail),
        page_anon: Some(host_page_anon),
        page_swap_cache: Some(host_page_swap_cache),
        compound_head: Some(host_compound_head),
        basepage_index: Some(host_basepage_index),
        get_page: Some(host_get_page),
        put_page: Some(host_put_page),
        lock_page: Some(host_lock_page),
        unlock_page: Some(host_unlock_page),
        ihold: Some(host_ihold),
        iput: Some(host_iput),
        mmdrop: Some(host_mmdrop),
        atomic_inc: Some(host_atomic_inc),
        atomic_inc_not_zero: Some(host_atomic_inc_not_zero),
        rcu_read_lock: Some(host_rcu_read_lock),
        rcu_read_unlock: Some(host_rcu_read_unlock),
        local_irq_disable: Some(host_local_irq_disable),
        local_irq_enable: Some(host_local_irq_enable),
        mmgrab: Some(host_mmgrab),
        page_to_pgoff: Some(host_page_to_pgoff),
        atomic64_read: Some(host_atomic64_read),
        atomic64_add_return: Some(host_atomic64_add_return),
        atomic64_cmpxchg: Some(host_atomic64_cmpxchg),
        page_folio: Some(host_page_folio),
        folio_lock: Some(host_folio_lock),
        folio_unlock: Some(host_folio_unlock),
        folio_put: Some(host_folio_put),
        folio_test_anon: Some(host_folio_test_anon),
        folio_test_swapcache: Some(host_folio_test_swapcache),
        get_user: Some(host_get_user),
        put_user: Some(host_put_user),
        numa_node_id: Some(host_numa_node_id),
        node_possible: Some(host_node_possible),
        mmap_lock_speculate_try_begin: Some(host_mmap_lock_speculate_try_begin),
        mmap_lock_speculate_retry: Some(host_mmap_lock_speculate_retry),
        mmap_read_lock: Some(host_mmap_read_lock),
        mmap_read_unlock: Some(host_mmap_read_unlock),
        vma_lookup: Some(host_vma_lookup),
        vma_policy_loaded: Some(host_vma_policy_loaded),
        read_once_done: Some(host_read_once_done),
        watched_access: Some(host_watched_access),
    }
}

/// Runs a callback body on the current kernel: catches panics and turns
/// `Abort` into the C abort path. `fallback` is what C gets back then.
fn host<R>(fallback: R, body: impl FnOnce(&mut Kernel) -> Result<R, Abort>) -> R {
    let (current, shim) = CURRENT.get();
    let Some(shim) = shim else {
        return fallback;
    };
    // SAFETY: `with_host` set the pointer from a `&mut Kernel` whose owner
    // is suspended in the C call that made this callback; no other reference
    // to the kernel is live until the callback returns.
    let kernel = unsafe { &mut *current };
    // SAFETY: taking this thread's call-site line, in the shim of the
    // revision being run, has no preconditions.
    let line = unsafe { (shim.take_line)() };
    kernel.site = u32::try_from(line).ok().filter(|&l| l > 0);
    match catch_unwind(AssertUnwindSafe(|| body(kernel))) {
        Ok(Ok(value)) => value,
        Ok(Err(Abort)) => {
            // SAFETY: setting this thread's abort flag has no preconditions.
            unsafe { (shim.request_abort)() };
            fallback
        }
        Err(panic) => {
            PANIC.with(|p| *p.borrow_mut() = Some(panic));
            // SAFETY: as above.
            unsafe { (shim.request_abort)() };
            fallback
        }
    }
}

fn c_text(text: *const c_char) -> String {
    if text.is_null() {
        return String::new();
    }
    // SAFETY: the fake kernel passes string literals (`#x`, `__FILE__`).
    unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned()
}

extern "C" fn host_current_task() -> *mut raw::task_struct {
    host(ptr::null_mut(), |k| Ok(k.current_task()))
}

extern "C" fn host_abort_jump() -> *mut c_void {
    host(ptr::null_mut(), |k| Ok(k.abort_jump().cast()))
}

extern "C" fn host_warn(file: *const c_char, line: c_int, cond: *const c_char, once: bool) {
    let file = c_text(file);
    let base = file.rsplit('/').next().unwrap_or(&file).to_string();
    let cond = c_text(cond);
    let macro_name = if once { "WARN_ON_ONCE" } else { "WARN_ON" };
    host((), |k| {
        k.warn(macro_name, &cond, Some(format!("{base}:{line}")));
        Ok(())
    })
}

extern "C" fn host_read_once(addr: *const c_void, expr: *const c_char) {
    let expr = expression_text(expr);
    host((), |k| k.read_once(addr as usize, expr))
}

/// The text of a `READ_ONCE()` expression, as a trace keeps it: the same
/// `&'static str` every time for the same text, so a yield point is
/// recorded without copying it. The texts are the `#x` stringifications
/// of the revisions' source, a finite set, each stored once for the
/// process in `KEPT_TEXTS` (a static, so leak checkers see them held) and
/// looked up in a per-thread copy without a lock.
fn expression_text(expr: *const c_char) -> &'static str {
    static KEPT_TEXTS: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    thread_local! {
        static TEXTS: std::cell::RefCell<Vec<&'static str>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    if expr.is_null() {
        return "";
    }
    // SAFETY: the fake kernel passes a string literal (`#x`), which is
    // NUL-terminated and lives as long as the program.
    let Ok(text) = unsafe { CStr::from_ptr(expr) }.to_str() else {
        return "(not UTF-8)";
    };
    TEXTS.with(|texts| {
        let mut texts = texts.borrow_mut();
        if let Some(known) = texts.iter().find(|t| **t == text) {
            return *known;
        }
        let mut kept_texts = KEPT_TEXTS.lock().unwrap_or_else(|e| e.into_inner());
        let kept = match kept_texts.iter().find(|t| **t == text) {
            Some(kept) => *kept,
            None => {
                let kept: &'static str = Box::leak(text.to_owned().into_boxed_str());
                kept_texts.push(kept);
                kept
            }
        };
        texts.push(kept);
        kept
    })
}

extern "C" fn host_access_ok(_type: c_int, addr: c_ulong, size: c_ulong) -> bool {
    host(false, |k| k.access_ok(addr as u64, size as u64))
}

extern "C" fn host_should_fail(_attr: *mut raw::fault_attr, _size: c_ulong) -> bool {
    host(false, |k| k.should_fail())
}

/// Stores the page GUP returned into the caller's `pages[0]`.
fn store_page(pages: *mut *mut raw::page, page: PagePtr) {
    // SAFETY: C passes `&page`, a valid pointer to one `struct page *`;
    // the value is the address of a page in the world's arena.
    unsafe { *pages = ptr::with_exposed_provenance_mut(page.0) };
}

extern "C" fn host_get_user_pages_fast(
    start: c_ulong,
    _nr: c_int,
    write: c_int,
    pages: *mut *mut raw::page,
) -> c_int {
    host(-crate::abi::EFAULT, |k| {
        Ok(match k.get_user_pages_fast(start as u64, write != 0)? {
            Ok(page) => {
                store_page(pages, page);
                1
            }
            Err(errno) => errno,
        })
    })
}

extern "C" fn host_get_user_pages_fast_irq(
    start: c_ulong,
    _nr: c_int,
    write: c_int,
    pages: *mut *mut raw::page,
) -> c_int {
    host(0, |k| {
        Ok(match k.get_user_pages_fast_irq(start as u64, write != 0)? {
            Some(page) => {
                store_page(pages, page);
                1
            }
            None => 0,
        })
    })
}

extern "C" fn host_page_tail(page: *mut raw::page) -> bool {
    host(false, |k| k.page_tail(PagePtr(page as usize)))
}

extern "C" fn host_page_anon(page: *mut raw::page) -> bool {
    host(false, |k| k.page_anon(PagePtr(page as usize)))
}

extern "C" fn host_page_swap_cache(page: *mut raw::page) -> bool {
    host(false, |k| k.page_swap_cache(PagePtr(page as usize)))
}

extern "C" fn host_compound_head(page: *mut raw::page) -> *mut raw::page {
    host(page, |k| {
        let head = k.compound_head(PagePtr(page as usize))?;
        Ok(ptr::with_exposed_provenance_mut(head.0))
    })
}

extern "C" fn host_page_folio(page: *mut raw::page) -> *mut raw::page {
    host(page, |k| {
        let head = k.page_folio(PagePtr(page as usize))?;
        Ok(ptr::with_exposed_provenance_mut(head.0))
    })
}

extern "C" fn host_folio_lock(head: *mut raw::page) {
    host((), |k| k.folio_lock(PagePtr(head as usize)))
}

extern "C" fn host_folio_unlock(head: *mut raw::page) {
    host((), |k| k.folio_unlock(PagePtr(head as usize)))
}

extern "C" fn host_folio_put(head: *mut raw::page) {
    host((), |k| k.folio_put(PagePtr(head as usize)))
}

extern "C" fn host_folio_test_anon(head: *mut raw::page) -> bool {
    host(false, |k| k.folio_test_anon(PagePtr(head as usize)))
}

extern "C" fn host_folio_test_swapcache(head: *mut raw::page) -> bool {
    host(false, |k| k.folio_test_swapcache(PagePtr(head as usize)))
}

extern "C" fn host_basepage_index(page: *mut raw::page) -> c_ulong {
    host(0, |k| {
        Ok(k.basepage_index(PagePtr(page as usize))? as c_ulong)
    })
}

extern "C" fn host_get_page(page: *mut raw::page) {
    host((), |k| k.get_page(PagePtr(page as usize)))
}

extern "C" fn host_put_page(page: *mut raw::page) {
    host((), |k| k.put_page(PagePtr(page as usize)))
}

extern "C" fn host_lock_page(page: *mut raw::page) {
    host((), |k| k.lock_page(PagePtr(page as usize)))
}

extern "C" fn host_unlock_page(page: *mut raw::page) {
    host((), |k| k.unlock_page(PagePtr(page as usize)))
}

extern "C" fn host_ihold(inode: *mut raw::inode) {
    host((), |k| k.ihold(InodePtr(inode as usize)))
}

extern "C" fn host_iput(inode: *mut raw::inode) {
    host((), |k| k.iput(InodePtr(inode as usize)))
}

extern "C" fn host_mmdrop(mm: *mut raw::mm_struct) {
    host((), |k| k.mmdrop(MmPtr(mm as usize)))
}

extern "C" fn host_atomic_inc(v: *mut raw::atomic_t) {
    host((), |k| k.atomic_inc(AtomicPtr(v as usize)))
}

extern "C" fn host_atomic_inc_not_zero(v: *mut raw::atomic_t) -> bool {
    host(false, |k| k.atomic_inc_not_zero(AtomicPtr(v as usize)))
}

extern "C" fn host_mmgrab(mm: *mut raw::mm_struct) {
    host((), |k| k.mmgrab(MmPtr(mm as usize)))
}

extern "C" fn host_page_to_pgoff(page: *mut raw::page) -> c_ulong {
    host(0, |k| {
        Ok(k.page_to_pgoff(PagePtr(page as usize))? as c_ulong)
    })
}

extern "C" fn host_atomic64_read(v: *mut raw::atomic64_t) -> i64 {
    host(0, |k| k.atomic64_read(Atomic64Ptr(v as usize)))
}

extern "C" fn host_atomic64_add_return(i: i64, v: *mut raw::atomic64_t) -> i64 {
    host(0, |k| k.atomic64_add_return(i, Atomic64Ptr(v as usize)))
}

extern "C" fn host_atomic64_cmpxchg(v: *mut raw::atomic64_t, old: i64, new: i64) -> i64 {
    host(0, |k| k.atomic64_cmpxchg(Atomic64Ptr(v as usize), old, new))
}

extern "C" fn host_get_user(addr: c_ulong, val: *mut u32) -> c_int {
    host(-crate::abi::EFAULT, |k| {
        Ok(match k.get_user(addr as u64)? {
            Ok(value) => {
                // SAFETY: C passes the address of a local `u32`.
                unsafe { *val = value };
                0
            }
            Err(errno) => errno,
        })
    })
}

extern "C" fn host_put_user(addr: c_ulong, val: u32) -> c_int {
    host(-crate::abi::EFAULT, |k| {
        Ok(match k.put_user(addr as u64, val)? {
            Ok(()) => 0,
            Err(errno) => errno,
        })
    })
}

extern "C" fn host_numa_node_id() -> c_int {
    host(0, |k| Ok(k.numa_node_id()))
}

extern "C" fn host_node_possible(node: c_int) -> bool {
    host(false, |k| Ok(k.node_possible(node)))
}

extern "C" fn host_mmap_lock_speculate_try_begin(mm: *mut raw::mm_struct, seq: *mut u32) -> bool {
    host(false, |k| {
        let (begun, value) = k.mmap_lock_speculate_try_begin(MmPtr(mm as usize))?;
        // SAFETY: C passes the address of the caller's sequence variable.
        unsafe { *seq = value };
        Ok(begun)
    })
}

extern "C" fn host_mmap_lock_speculate_retry(mm: *mut raw::mm_struct, seq: u32) -> bool {
    host(true, |k| {
        k.mmap_lock_speculate_retry(MmPtr(mm as usize), seq)
    })
}

extern "C" fn host_mmap_read_lock(mm: *mut raw::mm_struct) {
    host((), |k| k.mmap_read_lock(MmPtr(mm as usize)))
}

extern "C" fn host_mmap_read_unlock(mm: *mut raw::mm_struct) {
    host((), |k| k.mmap_read_unlock(MmPtr(mm as usize)))
}

extern "C" fn host_vma_lookup(mm: *mut raw::mm_struct, addr: c_ulong) -> *mut raw::vm_area_struct {
    host(ptr::null_mut(), |k| {
        let vma = k.vma_lookup(MmPtr(mm as usize), addr as u64)?;
        Ok(ptr::with_exposed_provenance_mut(vma.0))
    })
}

extern "C" fn host_vma_policy_loaded(vma: *mut raw::vm_area_struct) {
    host((), |k| k.vma_policy_loaded(VmaPtr(vma as usize)))
}

extern "C" fn host_read_once_done(addr: *const c_void) {
    host((), |k| k.read_once_done(addr as usize))
}

extern "C" fn host_watched_access(addr: *const c_void, _size: c_ulong, write: bool) {
    host((), |k| {
        k.watched_access(addr as usize, write);
        Ok(())
    })
}

extern "C" fn host_rcu_read_lock() {
    host((), Kernel::rcu_read_lock)
}

extern "C" fn host_rcu_read_unlock() {
    host((), Kernel::rcu_read_unlock)
}

extern "C" fn host_local_irq_disable() {
    host((), Kernel::local_irq_disable)
}

extern "C" fn host_local_irq_enable() {
    host((), Kernel::local_irq_enable)
}
