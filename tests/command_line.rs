//! The binary end to end: what `run` and `revisions` print, and the exit
//! codes and messages for bad input.

use std::path::PathBuf;
use std::process::Output;

mod common;
use common::futex_diff;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scenario_file(dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("s.scn");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn revisions_lists_every_bundled_revision_with_its_origin() {
    let out = futex_diff(&["revisions"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for name in ["v3.12", "rfc-2013", "v4.6", "v4.7"] {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{text}"));
        assert!(line.contains("bundled"), "{line}");
        assert!(line.contains(&format!("csrc/revisions/{name}.c")), "{line}");
    }
}

#[test]
fn run_shows_trace_results_and_refcounts() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(
        &dir,
        "mm A\ninode F shmem size=1\npage F 0\nvma A 0x10000 0x11000 shmem F rw shared\n\
         call A 0x10008 shared write\nevent h hold F 0\nat 1 h 1\n",
    );
    let out = futex_diff(&["run", path.to_str().unwrap(), "--rev", "v3.12"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("=== revision v3.12"), "{text}");
    assert!(text.contains("lock_page(page#"), "{text}");
    assert!(
        text.contains("sleeps: page#"),
        "the holder's lock is shown:\n{text}"
    );
    assert!(text.contains("h: lock_page("), "{text}");
    assert!(text.contains("call 1: 0, inode key: inode#1"), "{text}");
    assert!(
        text.contains("inode#1.i_count             1 -> 1"),
        "{text}"
    );
}

#[test]
fn a_malformed_scenario_names_file_and_line_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(
        &dir,
        "mm A\n\nvma A 0x10000 0x10100 anon rw private\ncall A 0x10000 shared write\n",
    );
    let out = futex_diff(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:3:", path.display())), "{err}");
    assert!(err.contains("not page-aligned"), "{err}");
}

#[test]
fn unknown_statements_and_names_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    for (text, line, needle) in [
        ("mm A\nfrobnicate\n", 2, "unknown statement `frobnicate`"),
        ("mm A\ncall B 0x1000 shared write\n", 2, "no mm named `B`"),
        (
            "mm A\ncall A 0x1000 shared sideways\n",
            2,
            "neither `read` nor `write`",
        ),
        ("mm A\ninode F file\n", 2, "missing size=PAGES"),
        ("mm A\nmm A\n", 2, "already used"),
    ] {
        let path = scenario_file(&dir, text);
        let out = futex_diff(&["run", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!(":{line}: ")) && err.contains(needle),
            "{text}: {err}"
        );
    }
}

#[test]
fn a_scenario_without_calls_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(&dir, "mm A\n");
    let out = futex_diff(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("makes no call"), "{}", stderr(&out));
}

#[test]
fn a_world_the_model_cannot_build_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(
        &dir,
        "mm A\nvma A 0x10000 0x20000 anon rw private\nvma A 0x18000 0x30000 anon rw private\ncall A 0x10000 shared write\n",
    );
    let out = futex_diff(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("overlaps"), "{}", stderr(&out));
}

#[test]
fn missing_files_and_unknown_revisions_exit_2() {
    let out = futex_diff(&["run", "/nonexistent/scenario.scn"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/scenario.scn"));

    let dir = tempfile::tempdir().unwrap();
    let path = scenario_file(&dir, "mm A\ncall A 0x1000 private write\n");
    let out = futex_diff(&["run", path.to_str().unwrap(), "--rev", "v9.99"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no revision named `v9.99`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn binary_garbage_is_rejected_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.scn");
    std::fs::write(&path, [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let out = futex_diff(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn a_scenario_an_era_cannot_hold_is_not_applicable_there_and_bad_input_nowhere_else() {
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpus/map-shmem-huge-page.scn"
    );
    // Every revision: the older eras say so, the 5.x ones find the bug.
    let all = futex_diff(&["check", corpus]);
    assert_eq!(all.status.code(), Some(1), "{}", stderr(&all));
    let out = stdout(&all);
    assert!(
        out.contains("v4.7: not applicable: shmem huge pages start in 4.8; era 4 is 4.5-4.7"),
        "{out}"
    );
    assert!(out.contains("v5.10: 1 finding(s)"), "{out}");
    // Only revisions it does not apply to: exit 2, with the reason.
    let old = futex_diff(&["check", corpus, "--rev", "v4.7"]);
    assert_eq!(old.status.code(), Some(2));
    assert!(
        stderr(&old).contains("applies to none of the revisions chosen"),
        "{}",
        stderr(&old)
    );
}
