//! Every corpus scenario, through both oracles on every bundled revision,
//! gives the finding classes its header records (`# expect REV: ...`), and
//! its encoded twin in corpus/bin/ decodes back to it. Refresh both with
//! scripts/record-expectations.sh, and review the diff.

use std::collections::BTreeSet;
use std::path::PathBuf;

use futex_diff::corpus::BUILT_IN;
use futex_diff::oracle;
use futex_diff::revision;
use futex_diff::scenario::{binary, parse};

const BUNDLED: [&str; 11] = [
    "v3.12", "rfc-2013", "v4.6", "v4.7", "v5.6", "v5.10", "v5.13", "v6.8", "v6.13", "v6.19", "v7.1",
];

/// The classes a scenario's header expects of `rev`.
fn expected(text: &str, rev: &str) -> BTreeSet<String> {
    let prefix = format!("# expect {rev}:");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .flat_map(|rest| rest.split_whitespace().map(str::to_string))
        .collect()
}

#[test]
fn every_corpus_scenario_gives_its_recorded_findings() {
    for (name, text) in BUILT_IN {
        assert!(text.contains("# expect"), "{name} records no expectation");
        let scenario = parse(text).unwrap();
        let mut applied = 0;
        for rev in BUNDLED {
            let report = oracle::check(
                &scenario,
                revision::find(rev).unwrap(),
                oracle::Checks::REPORT,
            );
            let found: BTreeSet<String> = match report {
                // Not applicable to the revision's era: nothing to expect.
                Err(e) if e.not_in_era() => BTreeSet::new(),
                report => {
                    applied += 1;
                    report
                        .unwrap()
                        .found
                        .iter()
                        .map(|f| f.finding.class.to_string())
                        .collect()
                }
            };
            assert_eq!(found, expected(text, rev), "{name} on {rev}");
        }
        assert!(applied > 0, "{name} applies to no bundled revision");
    }
}

#[test]
fn every_corpus_scenario_has_its_encoded_twin() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/bin");
    for (name, text) in BUILT_IN {
        let scenario = parse(text).unwrap();
        let path = dir.join(format!("{name}.bin"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            bytes,
            binary::encode(&scenario).unwrap(),
            "{name}: the twin is stale"
        );
        assert_eq!(binary::decode(&bytes), scenario, "{name}");
    }
}

#[test]
fn the_corpus_covers_every_event_kind_and_the_known_bugs() {
    let all: String = BUILT_IN.iter().map(|(_, t)| *t).collect();
    for kind in futex_diff::events::EventKind::KINDS
        .iter()
        .map(|k| k.keyword)
    {
        assert!(
            all.lines()
                .any(|l| l.starts_with("event ") && l.split_whitespace().nth(2) == Some(kind)),
            "{kind}"
        );
    }
    for bug in [
        "# expect v4.6: key-collision",
        "# expect rfc-2013: livelock",
        "# expect v3.12: livelock",
    ] {
        assert!(all.contains(bug), "{bug}");
    }
}
