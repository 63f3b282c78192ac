//! A kernel developer's own revision file, named in FUTEX_DIFF_REVISIONS at
//! build time, is compiled, listed and run like a bundled one; one that
//! does not compile stops the build with the compiler's message and the
//! file. Each test builds the crate in a target directory of its own.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `cargo <args>` on this crate with FUTEX_DIFF_REVISIONS set.
fn cargo_with_revisions(revisions: &str, target: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root())
        .env("FUTEX_DIFF_REVISIONS", revisions)
        .env("CARGO_TARGET_DIR", root().join("target").join(target))
        .output()
        .expect("cargo runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_user_revision_is_listed_and_runs() {
    let file = root().join("tests/user-revisions/no-recheck.c");
    let out = cargo_with_revisions(
        file.to_str().unwrap(),
        "user-revisions",
        &["run", "-q", "--bin", "futex-diff", "--", "revisions"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    let line = listing
        .lines()
        .find(|l| l.starts_with("no-recheck"))
        .unwrap_or_else(|| panic!("not listed:\n{listing}"));
    assert!(
        line.contains("user") && line.contains("tests/user-revisions/no-recheck.c"),
        "{line}"
    );

    let scenario = root().join("corpus/shared-file-truncate.scn");
    let out = cargo_with_revisions(
        file.to_str().unwrap(),
        "user-revisions",
        &[
            "run",
            "-q",
            "--bin",
            "futex-diff",
            "--",
            "run",
            scenario.to_str().unwrap(),
            "--rev",
            "no-recheck",
        ],
    );
    let shown = text(&out.stdout);
    assert!(
        shown.contains("=== revision no-recheck (user)"),
        "{shown}{}",
        text(&out.stderr)
    );
    assert!(
        shown.contains("[no-recheck.c:"),
        "trace lines name the user's file:\n{shown}"
    );
}

#[test]
fn a_user_revision_that_does_not_compile_stops_the_build_with_the_message() {
    let file = root().join("tests/user-revisions/broken.c");
    let out = cargo_with_revisions(
        file.to_str().unwrap(),
        "user-revisions-broken",
        &["build", "-q", "--lib"],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("revision `broken`"), "{err}");
    assert!(
        err.contains(&file.display().to_string()),
        "the file is named:\n{err}"
    );
    assert!(
        err.contains("undeclared_helper"),
        "the compiler's message is shown:\n{err}"
    );
}

#[test]
fn a_missing_user_revision_file_is_named() {
    let out = cargo_with_revisions(
        "/nonexistent/patch.c",
        "user-revisions-broken",
        &["build", "-q", "--lib"],
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("/nonexistent/patch.c") && err.contains("not a readable file"),
        "{err}"
    );
}
