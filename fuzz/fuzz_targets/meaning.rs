//! The meaning oracle on the revision FUTEX_DIFF_REV names (default v4.7,
//! or the kernel FUTEX_DIFF_KERNEL names, compiled and loaded at start),
//! on any scenario the bytes decode to; a finding crashes with its summary.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: futex_diff::fuzz::FuzzConfig::init(), |data: &[u8]| {
    if let Some(finding) = futex_diff::fuzz::meaning(data) {
        panic!("{finding}");
    }
});
