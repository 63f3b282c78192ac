//! The fuzz targets export their symbols, so that a revision compiled at
//! run time (FUTEX_DIFF_KERNEL) and instrumented for coverage finds
//! libFuzzer's coverage callbacks in the target when it is loaded.

fn main() {
    println!("cargo:rustc-link-arg=-Wl,--export-dynamic");
}
