//! The corpus holds only the bundled revisions' known bugs: every finding
//! any corpus scenario shows on any bundled revision is listed in
//! fuzz/known-findings.txt, so a smoke run of the fuzzers over the seeds
//! (with FUTEX_DIFF_KNOWN) starts clean, whichever revision FUTEX_DIFF_REV
//! names, and stops only on something new.

use futex_diff::corpus::BUILT_IN;
use futex_diff::fuzz::{is_known, parse_known};
use futex_diff::{oracle, revision};

#[test]
fn every_corpus_finding_is_a_known_finding() {
    let known = parse_known(include_str!("../fuzz/known-findings.txt")).expect("the list parses");
    for (name, text) in BUILT_IN {
        let scenario = futex_diff::scenario::parse(text).unwrap();
        for rev in revision::all() {
            let report = match oracle::check(&scenario, rev, oracle::Checks::REPORT) {
                Err(e) if e.not_in_era() => continue,
                report => report.unwrap(),
            };
            for found in report.found {
                assert!(
                    is_known(&known, &found.revision, found.mode, &found.finding),
                    "{name}: {found} is not in fuzz/known-findings.txt"
                );
            }
        }
    }
}

#[test]
fn a_bad_known_findings_line_is_named() {
    assert!(parse_known("v4.7 no-such-class x")
        .unwrap_err()
        .contains("line 1"));
    assert!(parse_known("v4.7:sometimes warn x")
        .unwrap_err()
        .contains("not a mode"));
}

#[test]
fn a_star_stands_for_every_revision_or_class() {
    use futex_diff::finding::{Finding, FindingClass};
    use futex_diff::world::Mode;
    let known = parse_known("*:relaxed *\n* warn WARN_ON").unwrap();
    let wrong_key = Finding::new(FindingClass::WrongKey, "call 1 returned ...");
    let warn = Finding::new(FindingClass::Warn, "WARN_ON(x)");
    assert!(is_known(&known, "v6.19", Mode::Relaxed, &wrong_key));
    assert!(!is_known(&known, "v6.19", Mode::Strict, &wrong_key));
    assert!(is_known(&known, "v3.12", Mode::Strict, &warn));
    assert!(parse_known("* *").is_ok());
}
