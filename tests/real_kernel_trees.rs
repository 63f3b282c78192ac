//! The real kernels' `get_futex_key()`, read from their trees as they
//! stand (and the seed patch applied to 3.12 as the list archive stores
//! it), run in lockstep with the Rust ports of their bundled twins on every
//! built-in scenario. Kernel text is never in this repository: set
//! FUTEX_DIFF_KERNEL_TREES to a directory holding linux-3.12.0,
//! linux-4.6.2, linux-4.7.4 and the 5.x trees linux-5.6.4, linux-5.7.14,
//! linux-5.8.1, linux-5.9.1, linux-5.10.7, linux-5.10.89 and
//! linux-5.15.100, and linux-6.1.20, linux-6.6.87, linux-6.8.0 and
//! linux-6.13.7, linux-6.18.2, linux-6.19 and linux-7.1 (kernel/futex/core.c with
//! futex.h, and the Makefile) (see
//! ../shared/KERNEL-TREES.md) and run
//! `cargo test --test real_kernel_trees -- --ignored`.

use std::path::PathBuf;

use futex_diff::oracle::lockstep;
use futex_diff::revision::kernel::{load_kernel, KernelSpec};
use futex_diff::revision::{self, Revision};

fn trees() -> PathBuf {
    PathBuf::from(
        std::env::var("FUTEX_DIFF_KERNEL_TREES")
            .expect("FUTEX_DIFF_KERNEL_TREES names the directory of real kernel trees"),
    )
}

fn in_lockstep_with(kernel: Revision, twin: &str) {
    let port = revision::find(twin).unwrap().port_target().unwrap();
    assert_eq!(kernel.era(), revision::find(twin).unwrap().era(), "{twin}");
    lockstep::on_the_corpus(kernel.target(), port).unwrap_or_else(|e| panic!("{e}"));
}

fn tree(name: &str, patches: &[PathBuf]) -> futex_diff::revision::kernel::Loaded {
    let spec = KernelSpec {
        name: None,
        path: trees().join(name),
    };
    load_kernel(&spec, patches).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
#[ignore = "needs FUTEX_DIFF_KERNEL_TREES: real kernel trees, kept outside the repository"]
fn real_3_12_4_6_and_4_7_run_as_their_bundled_twins() {
    for (name, twin) in [
        ("linux-3.12.0", "v3.12"),
        ("linux-4.6.2", "v4.6"),
        ("linux-4.7.4", "v4.7"),
    ] {
        in_lockstep_with(tree(name, &[]).base, twin);
    }
}

#[test]
#[ignore = "needs FUTEX_DIFF_KERNEL_TREES: real kernel trees, kept outside the repository"]
fn the_seed_mail_applied_to_3_12_runs_as_the_bundled_rfc() {
    let seed = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let loaded = tree("linux-3.12.0", &[seed]);
    in_lockstep_with(loaded.patched[0], "rfc-2013");
}

#[test]
#[ignore = "needs FUTEX_DIFF_KERNEL_TREES: real kernel trees, kept outside the repository"]
fn real_5_6_to_6_6_trees_run_as_their_bundled_twins() {
    // 5.7 and 5.8 still have an (empty) put_futex_key() and test fshared
    // at the shared path's injection points; neither is a yield point, so
    // v5.10 is their twin too.
    for (name, twin) in [
        ("linux-5.6.4", "v5.6"),
        ("linux-5.7.14", "v5.10"),
        ("linux-5.8.1", "v5.10"),
        ("linux-5.9.1", "v5.10"),
        ("linux-5.10.7", "v5.10"),
        ("linux-5.10.89", "v5.13"),
        ("linux-5.15.100", "v5.13"),
        ("linux-6.1.20", "v5.13"),
        ("linux-6.6.87", "v5.13"),
    ] {
        in_lockstep_with(tree(name, &[]).base, twin);
    }
}

#[test]
#[ignore = "needs FUTEX_DIFF_KERNEL_TREES: real kernel trees, kept outside the repository"]
fn real_6_8_and_6_13_trees_run_as_their_bundled_twins() {
    for (name, twin) in [("linux-6.8.0", "v6.8"), ("linux-6.13.7", "v6.13")] {
        in_lockstep_with(tree(name, &[]).base, twin);
    }
}

#[test]
#[ignore = "needs FUTEX_DIFF_KERNEL_TREES: real kernel trees, kept outside the repository"]
fn real_6_18_6_19_and_7_1_trees_run_as_their_bundled_twins() {
    // 6.16 to 6.18 open-code the node word's accesses (futex_get_value(),
    // futex_put_value()) where 6.19 calls get_user_inline(): the same
    // yield points, so v6.19 is 6.18's twin.
    for (name, twin) in [
        ("linux-6.18.2", "v6.19"),
        ("linux-6.19", "v6.19"),
        ("linux-7.1", "v7.1"),
    ] {
        in_lockstep_with(tree(name, &[]).base, twin);
    }
}
