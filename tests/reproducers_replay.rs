//! A finding's reproducer is a scenario file that `futex-diff run` (and the
//! library) replays to the same finding; `futex-diff check` exits 1 on
//! findings, 0 without, 2 on bad input.

use std::process::Command;

use futex_diff::corpus::BUILT_IN;
use futex_diff::oracle;
use futex_diff::revision;
use futex_diff::scenario::parse;

fn built_in(name: &str) -> &'static str {
    BUILT_IN.iter().find(|(n, _)| *n == name).unwrap().1
}

#[test]
fn every_finding_on_the_corpus_replays_from_its_reproducer() {
    let mut replayed = 0;
    for (name, text) in BUILT_IN {
        let scenario = parse(text).unwrap();
        for rev in revision::all() {
            let report = match oracle::check(&scenario, rev, oracle::Checks::REPORT) {
                Err(e) if e.not_in_era() => continue,
                report => report.unwrap(),
            };
            for found in &report.found {
                let again = parse(&found.reproducer(&scenario)).unwrap();
                let replay = oracle::check(&again, rev, oracle::Checks::REPORT).unwrap();
                assert!(
                    replay.found.contains(found),
                    "{name} on {}: {found} does not replay",
                    rev.name()
                );
                replayed += 1;
            }
        }
    }
    assert!(
        replayed >= 5,
        "the corpus shows the bundled revisions' known bugs ({replayed})"
    );
}

#[test]
fn check_exits_1_with_reproducers_that_run_replays() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("hugetlbfs.scn");
    std::fs::write(&scenario, built_in("map-hugetlbfs-sub-pages")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_futex-diff"))
        .args([
            "check",
            scenario.to_str().unwrap(),
            "--rev",
            "v4.6",
            "--save",
        ])
        .arg(dir.path().join("found"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("key-collision: calls 1 and 2 name different futex words"),
        "{text}"
    );
    let reproducer = dir.path().join("found/v4.6-key-collision.scn");
    let replay = Command::new(env!("CARGO_BIN_EXE_futex-diff"))
        .args(["run", reproducer.to_str().unwrap(), "--rev", "v4.6"])
        .output()
        .unwrap();
    assert_eq!(replay.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&replay.stdout).contains("key-collision: calls 1 and 2"));
}

#[test]
fn check_exits_0_without_findings_and_2_on_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("ok.scn");
    std::fs::write(&scenario, built_in("map-shared-file")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_futex-diff"))
        .args(["check", scenario.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    std::fs::write(&scenario, "mm A\ncall A nowhere shared write\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_futex-diff"))
        .args(["check", scenario.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ok.scn:2: `nowhere` is not a number"));
}
