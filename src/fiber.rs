//! A second stack on the same OS thread (`csrc/fiber.c`): what lets a
//! second futex caller stop at its own yield points while the first goes
//! on, deterministically and without threads. One of the two unsafe
//! modules (with `ffi`): it owns the C stack switch and nothing else.
//!
//! A [`Fiber`] runs a closure that takes a context (`&mut T`). Each
//! [`Fiber::resume`] lends it the context for as long as it runs; the
//! closure gives control back with [`suspend`] (from anywhere inside it)
//! or by returning. The closure keeps the `&mut T` it was first given
//! across its suspensions, so every resume must lend the same object: the
//! resumer does not touch it while the fiber runs, and the fiber does not
//! touch it while suspended, as with a call that takes `&mut T` and
//! returns. A panic inside the fiber is caught at its bottom and resumed
//! on the resumer's stack.

use std::any::Any;
use std::cell::Cell;
use std::os::raw::{c_int, c_void};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr;

/// The C side's fiber, opaque here.
#[repr(C)]
struct RawFiber {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn fd_fiber_new(stack_size: usize) -> *mut RawFiber;
    fn fd_fiber_free(fiber: *mut RawFiber);
    fn fd_fiber_start(
        fiber: *mut RawFiber,
        entry: unsafe extern "C" fn(*mut c_void),
        arg: *mut c_void,
    ) -> c_int;
    fn fd_fiber_resume(fiber: *mut RawFiber) -> c_int;
    fn fd_fiber_suspend(fiber: *mut RawFiber) -> c_int;
}

/// Bytes of stack a fiber gets: the futex code, the kernel model and the
/// scheduler's event steps run on it, with room to spare (pages are
/// committed only when touched).
const STACK_SIZE: usize = 1 << 20;

/// Where a fiber stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not resumed yet.
    Ready,
    /// Stopped in [`suspend`]; the next resume goes on from there.
    Suspended,
    /// Its closure returned (or panicked).
    Finished,
}

/// A fiber's work: a closure of its context.
type Body<T> = Box<dyn FnOnce(&mut T)>;

/// What a fiber's C entry point reaches through its argument.
struct Inner<T: 'static> {
    body: Option<Body<T>>,
    /// The context lent by the resume in progress.
    context: *mut T,
    panic: Option<Box<dyn Any + Send>>,
    finished: bool,
}

/// A closure on a stack of its own.
pub struct Fiber<T: 'static> {
    raw: *mut RawFiber,
    inner: Box<Inner<T>>,
    state: State,
}

thread_local! {
    /// The fiber running on this thread, if any: where [`suspend`] goes.
    static RUNNING: Cell<*mut RawFiber> = const { Cell::new(ptr::null_mut()) };
    /// Stacks of finished fibers, kept for the next ones on this thread.
    static SPARE: Cell<*mut RawFiber> = const { Cell::new(ptr::null_mut()) };
}

/// Gives a stack back for the next fiber on this thread, or frees it.
fn give_back(raw: *mut RawFiber) {
    let kept = SPARE.try_with(|spare| {
        if spare.get().is_null() {
            spare.set(raw);
            true
        } else {
            false
        }
    });
    if kept != Ok(true) {
        // SAFETY: `raw` came from fd_fiber_new and no fiber runs on it.
        unsafe { fd_fiber_free(raw) };
    }
}

unsafe extern "C" fn entry<T: 'static>(arg: *mut c_void) {
    // SAFETY: `arg` is the `Inner<T>` that `start` passed; its box lives
    // in the `Fiber`, which cannot be dropped while the fiber runs (it is
    // borrowed by `resume`).
    let inner = unsafe { &mut *arg.cast::<Inner<T>>() };
    if let Some(body) = inner.body.take() {
        let context = inner.context;
        // SAFETY: `resume` lent this context for the fiber's run; the
        // resumer does not touch it until the fiber suspends or returns,
        // and every later resume lends the same object (the module's
        // contract).
        let result = catch_unwind(AssertUnwindSafe(|| body(unsafe { &mut *context })));
        if let Err(panic) = result {
            inner.panic = Some(panic);
        }
    }
    inner.finished = true;
}

impl<T: 'static> Fiber<T> {
    /// A fiber that will run `body` from its first resume.
    pub fn new(body: impl FnOnce(&mut T) + 'static) -> Fiber<T> {
        let spare = SPARE.with(|spare| spare.replace(ptr::null_mut()));
        let raw = if spare.is_null() {
            // SAFETY: allocating a stack has no preconditions.
            unsafe { fd_fiber_new(STACK_SIZE) }
        } else {
            spare
        };
        assert!(!raw.is_null(), "cannot map a {STACK_SIZE}-byte fiber stack");
        let mut inner = Box::new(Inner {
            body: Some(Box::new(body) as Body<T>),
            context: ptr::null_mut(),
            panic: None,
            finished: false,
        });
        let arg: *mut Inner<T> = &mut *inner;
        // SAFETY: `raw` is a fiber no one runs; `entry::<T>` reads `arg` as
        // the `Inner<T>` it is, which the box keeps at a stable address.
        let started = unsafe { fd_fiber_start(raw, entry::<T>, arg.cast()) };
        assert_eq!(started, 0, "getcontext() failed");
        Fiber {
            raw,
            inner,
            state: State::Ready,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Runs the fiber with `context` until it suspends or finishes, and
    /// says which. A panic inside it resumes here.
    pub fn resume(&mut self, context: &mut T) -> State {
        assert_ne!(self.state, State::Finished, "resuming a finished fiber");
        self.inner.context = context;
        let previous = RUNNING.with(|running| running.replace(self.raw));
        // SAFETY: the fiber was started on its own stack and is not
        // running; it comes back here when it suspends or returns.
        let switched = unsafe { fd_fiber_resume(self.raw) };
        RUNNING.with(|running| running.set(previous));
        assert_eq!(switched, 0, "swapcontext() failed");
        self.inner.context = ptr::null_mut();
        self.state = if self.inner.finished {
            State::Finished
        } else {
            State::Suspended
        };
        if let Some(panic) = self.inner.panic.take() {
            resume_unwind(panic);
        }
        self.state
    }
}

impl<T: 'static> Drop for Fiber<T> {
    /// A finished fiber's stack is kept for the next one. A suspended one
    /// is never resumed again: what its frames own leaks, and its stack
    /// is freed.
    fn drop(&mut self) {
        if self.state == State::Finished || self.state == State::Ready {
            give_back(self.raw);
        } else {
            // SAFETY: the fiber is suspended and will not run again.
            unsafe { fd_fiber_free(self.raw) };
        }
    }
}

/// Gives control back to the fiber's resumer; returns when it is resumed
/// again. Outside a fiber it does nothing.
pub fn suspend() {
    let raw = RUNNING.with(Cell::get);
    if raw.is_null() {
        return;
    }
    // SAFETY: `raw` is the fiber running on this thread (set by `resume`,
    // which is waiting for it to come back).
    let switched = unsafe { fd_fiber_suspend(raw) };
    assert_eq!(switched, 0, "swapcontext() failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fiber_interleaves_with_its_resumer() {
        let mut log: Vec<&'static str> = Vec::new();
        let mut fiber = Fiber::new(|log: &mut Vec<&'static str>| {
            log.push("fiber 1");
            suspend();
            log.push("fiber 2");
        });
        assert_eq!(fiber.resume(&mut log), State::Suspended);
        log.push("main");
        assert_eq!(fiber.resume(&mut log), State::Finished);
        assert_eq!(log, ["fiber 1", "main", "fiber 2"]);
    }

    #[test]
    fn a_panic_in_a_fiber_reaches_its_resumer() {
        let mut fiber = Fiber::new(|_: &mut ()| panic!("inside"));
        let caught = catch_unwind(AssertUnwindSafe(|| fiber.resume(&mut ())));
        assert!(caught.is_err());
        assert_eq!(fiber.state(), State::Finished);
    }

    #[test]
    fn stacks_are_reused() {
        for i in 0..100 {
            let mut n = 0;
            let mut fiber = Fiber::new(move |n: &mut i32| *n = i);
            assert_eq!(fiber.resume(&mut n), State::Finished);
            assert_eq!(n, i);
        }
    }
}
