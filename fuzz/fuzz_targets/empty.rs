//! Does nothing: the baseline the benchmarks compare the other targets'
//! executions per second with (scripts/bench.sh).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    std::hint::black_box(data);
});
