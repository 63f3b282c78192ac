//! Every bundled C revision against its Rust port, on any scenario the
//! bytes decode to; a divergence crashes with its summary.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: futex_diff::fuzz::FuzzConfig::init(), |data: &[u8]| {
    if let Some(divergence) = futex_diff::fuzz::lockstep(data) {
        panic!("{divergence}");
    }
});
