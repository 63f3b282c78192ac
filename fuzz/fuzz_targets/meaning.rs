//! The meaning oracle on the revision FUTEX_DIFF_REV names (default v4.7,
//! or the kernel FUTEX_DIFF_KERNEL names, compiled and loaded at start),
//! on any scenario the bytes decode to; a finding crashes with its summary.
//! Mutations are libFuzzer's, and whole scenarios drawn or re-placed
//! (futex_diff::fuzz::mutate).
#![no_main]

use libfuzzer_sys::{fuzz_mutator, fuzz_target, fuzzer_mutate};

fuzz_target!(init: futex_diff::fuzz::FuzzConfig::init(), |data: &[u8]| {
    if let Some(finding) = futex_diff::fuzz::meaning(data) {
        panic!("{finding}");
    }
});

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    match futex_diff::fuzz::mutate_meaning(&data[..size], seed) {
        Some(bytes) if bytes.len() <= max_size => {
            data[..bytes.len()].copy_from_slice(&bytes);
            bytes.len()
        }
        _ => fuzzer_mutate(data, size, max_size),
    }
});
