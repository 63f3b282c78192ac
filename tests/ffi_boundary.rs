//! No panic of the host unwinds through C: a callback that panics asks C
//! to abort the call, and the panic resumes in Rust once C has returned.
//! Even where C would go on to dereference what the callback returned
//! (`current->mm`), it leaves first.

use std::panic::{catch_unwind, AssertUnwindSafe};

use futex_diff::exec;
use futex_diff::kernel::Kernel;
use futex_diff::revision;
use futex_diff::scenario::parse;
use futex_diff::trace::Trace;

#[test]
fn a_panic_in_the_current_callback_resumes_after_the_c_call_returns() {
    let scenario =
        parse("mm A\nvma A 0x10000 0x11000 anon rw private\ncall A 0x10000 private write\n")
            .unwrap();
    for rev in revision::all() {
        let built = exec::build(&scenario, rev.era()).unwrap();
        // No call was begun, so the kernel has no `current` to give: its
        // callback panics, and every revision reads current->mm first.
        let mut kernel = Kernel::new(built.world, built.sched, Trace::yields_only());
        let imp = rev.target().imp;
        let panic = catch_unwind(AssertUnwindSafe(|| {
            imp.get_futex_key(
                &mut kernel,
                0x10000,
                Default::default(),
                futex_diff::abi::VERIFY_WRITE,
            )
        }))
        .expect_err("the callback's panic reaches the caller");
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(
            message.contains("a call is in progress"),
            "{}: {message}",
            rev.name()
        );
    }
}
