//! `futex-diff prove`: the scope, the enumeration of every scenario in it
//! (each symmetric class once), and proofs that find what a revision has.

use futex_diff::prove::{enumerate, Scope};
use futex_diff::revision;

mod common;
use common::futex_diff;

#[test]
fn a_scope_reads_what_it_prints_and_refuses_what_it_does_not_know() {
    let scope =
        Scope::parse("kinds=file+hugetlbfs,calls=1,events=2,size=3,bound=1,relaxed,lockstep")
            .unwrap();
    assert_eq!(
        scope.to_string(),
        "kinds=file+hugetlbfs,pages=1,calls=1,events=2,size=3,callers=2,bound=1,yields=64,retries=300,numa=1,relaxed,lockstep"
    );
    assert_eq!(Scope::parse(&scope.to_string()).unwrap(), scope);
    assert_eq!(Scope::parse("").unwrap(), Scope::default());
    for (bad, says) in [
        ("calls", "NAME=VALUE"),
        ("depth=2", "unknown scope dimension"),
        ("calls=x", "needs a number"),
        ("calls=0", "from 1 to"),
        ("bound=9", "from 0 to 4"),
        ("kinds=pmd", "unknown mapping kind"),
    ] {
        let error = Scope::parse(bad).unwrap_err();
        assert!(error.contains(says), "{bad}: {error}");
    }
    let out = futex_diff(&["prove", "--rev", "v4.7", "--scope", "depth=2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scope dimension `depth`"));
}

#[test]
fn every_scenario_of_a_scope_is_enumerated_once_with_events_as_a_multiset() {
    let v47 = revision::find("v4.7").unwrap();
    let scope = Scope::parse("kinds=file,calls=1,events=2,size=3").unwrap();
    let all = enumerate::scenarios(&scope, v47);
    // The same events in another order are not another scenario.
    let mut seen = std::collections::HashSet::new();
    for scenario in &all.scenarios {
        let mut events: Vec<String> = scenario
            .events
            .iter()
            .map(|e| format!("{:?}", e.kind))
            .collect();
        events.sort();
        let mut rest = scenario.clone();
        rest.events.clear();
        assert!(
            seen.insert((rest.to_text(), events)),
            "twice, up to the order of events:\n{}",
            scenario.to_text()
        );
    }
    // 2 protections x 2 shares x 2 starting states; 4 calls (shared or
    // private, read or write); n events: 1 + n + n(n+1)/2 multisets.
    let mapping_calls = 2 * 2 * 2 * 4;
    let per = all.scenarios.len() / mapping_calls;
    assert_eq!(all.scenarios.len() % mapping_calls, 0);
    let n = (1..40)
        .find(|n| 1 + n + n * (n + 1) / 2 == per)
        .expect("a multiset count");
    assert!(n >= 15, "every event kind over a file's objects: {n}");
    assert_eq!(
        all.before_symmetry,
        (mapping_calls * (1 + n + n * n)) as u64,
        "event lists in every order"
    );
    // Every scenario has one file mapping and at most two events.
    assert!(all
        .scenarios
        .iter()
        .all(|s| s.events.len() <= 2 && s.calls.len() == 1 && s.to_text().contains(" file F ")));
}

#[test]
fn a_proof_finds_v4_6s_key_collision_and_v3_12s_livelock_and_writes_reproducers_that_replay() {
    let dir = std::env::temp_dir().join(format!("futex-diff-prove-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = futex_diff(&[
        "prove",
        "--rev",
        "v4.6",
        "--rev",
        "v3.12",
        "--scope",
        "kinds=anon-thp+hugetlbfs,events=0,size=2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("scope: kinds=anon-thp+hugetlbfs,pages=1,calls=2,events=0,size=2"));
    assert!(stdout.contains("v4.6 [strict] key-collision"), "{stdout}");
    assert!(stdout.contains("v3.12 [strict] livelock"), "{stdout}");
    assert!(stdout.contains("interleavings"), "{stdout}");
    for name in [
        "v4.6-strict-key-collision-1.scn",
        "v3.12-strict-livelock-1.scn",
    ] {
        let file = dir.join(name);
        let replay = futex_diff(&["replay", file.to_str().unwrap()]);
        assert_eq!(replay.status.code(), Some(1), "{name} replays its finding");
    }
    // v4.7 has neither in this scope.
    let clean = futex_diff(&[
        "prove",
        "--rev",
        "v4.7",
        "--scope",
        "kinds=hugetlbfs,events=0,size=2",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert_eq!(clean.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("v4.7: ") && stdout.contains("no finding"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_scenario_sets_its_retry_bound_and_a_livelock_is_declared_there() {
    let text =
        "retries 300\nmm A\nvma A 0x50000 0x58000 anon thp r private\ncall A 0x55000 shared read\n";
    let scenario = futex_diff::scenario::parse(text).unwrap();
    assert_eq!(scenario.retries, Some(300));
    assert_eq!(scenario.to_text(), text);
    let v312 = revision::find("v3.12").unwrap();
    let report =
        futex_diff::oracle::check(&scenario, v312, futex_diff::oracle::Checks::SEARCH).unwrap();
    let livelock = report
        .found
        .iter()
        .find(|f| f.finding.class == futex_diff::finding::FindingClass::Livelock)
        .expect("v3.12 spins on a read-only THP");
    assert!(livelock.finding.summary.contains("after 300 yield points"));
    for bad in ["retries 300\nretries 400\n", "retries 10\n", "retries x\n"] {
        assert!(futex_diff::scenario::parse(bad).is_err(), "{bad}");
    }
    assert!(futex_diff::scenario::binary::encode(&scenario).is_err());
}

#[test]
fn a_proofs_summary_counts_the_findings_it_lists() {
    // Four findings before minimising, two of which minimise to one: the
    // wrong key of call 1 and of call 2 on a shmem huge page's tail.
    let dir = std::env::temp_dir().join(format!("futex-diff-prove-count-{}", std::process::id()));
    let out = futex_diff(&[
        "prove",
        "--rev",
        "v5.6",
        "--scope",
        "kinds=shmem-thp,events=1,size=3,callers=1,bound=1,yields=16",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let listed = stdout.lines().filter(|l| l.starts_with("v5.6 [")).count();
    assert!(listed >= 2, "{stdout}");
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("v5.6: "))
        .unwrap_or_else(|| panic!("no summary: {stdout}"));
    assert!(
        summary.ends_with(&format!(": {listed} distinct finding(s)")),
        "the summary counts the {listed} findings listed: {stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
