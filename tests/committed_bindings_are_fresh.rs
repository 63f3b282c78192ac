//! The committed `src/abi/bindings.rs` must be what bindgen makes of
//! `csrc/futex_shim.h` today. Runs with `--features bindgen` (CI does; it
//! needs libclang), which regenerates the bindings into OUT_DIR.

#[cfg(feature = "bindgen")]
#[test]
fn committed_bindings_match_the_headers() {
    let fresh = include_str!(concat!(env!("OUT_DIR"), "/bindings.rs"));
    let committed = include_str!("../src/abi/bindings.rs");
    assert!(
        fresh == committed,
        "src/abi/bindings.rs is stale: run `cargo build --features bindgen` and copy \
         target/*/build/futex-diff-*/out/bindings.rs over it"
    );
}

#[cfg(not(feature = "bindgen"))]
#[test]
#[ignore = "needs --features bindgen (and libclang) to regenerate the bindings"]
fn committed_bindings_match_the_headers() {}
