//! Every bundled revision agrees with its Rust port, yield point by yield
//! point, on every built-in scenario, in strict and in relaxed mode.

use futex_diff::corpus::BUILT_IN;
use futex_diff::oracle::lockstep;
use futex_diff::revision;

#[test]
fn every_bundled_revision_has_a_rust_port() {
    for rev in revision::all().filter(|r| r.origin() == revision::Origin::Bundled) {
        assert!(rev.port().is_some(), "{} has no Rust port", rev.name());
    }
}

#[test]
fn c_and_rust_agree_on_every_built_in_scenario_in_both_modes() {
    let mut compared = 0;
    for rev in revision::all().filter(|r| r.port().is_some()) {
        let port = rev.port_target().unwrap();
        compared += lockstep::on_the_corpus(rev.target(), port).unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(compared >= 4 * 2 * 30, "only {compared} comparisons");
}

/// The oracle can fail: v4.6's C against v4.7's port parts on the key of a
/// hugetlbfs sub-page, and v3.12's C against the RFC's port at the first
/// yield point where the RFC reads the mapping without the page lock.
#[test]
fn different_revisions_part_where_their_code_differs() {
    let text = BUILT_IN
        .iter()
        .find(|(n, _)| *n == "map-hugetlbfs-sub-pages")
        .unwrap()
        .1;
    let scenario = futex_diff::scenario::parse(text).unwrap();
    let v46 = revision::find("v4.6").unwrap();
    let v47_port = revision::find("v4.7").unwrap().port_target().unwrap();
    let finding = lockstep::compare(&scenario, v46.target(), v47_port)
        .unwrap()
        .expect("v4.6 and v4.7 differ on sub-pages");
    assert!(
        finding
            .summary
            .contains("C basepage_index(page#6), Rust basepage_index(page#7)"),
        "{finding}"
    );

    let text = BUILT_IN
        .iter()
        .find(|(n, _)| *n == "map-shared-file")
        .unwrap()
        .1;
    let scenario = futex_diff::scenario::parse(text).unwrap();
    let v312 = revision::find("v3.12").unwrap();
    let rfc_port = revision::find("rfc-2013").unwrap().port_target().unwrap();
    let finding = lockstep::compare(&scenario, v312.target(), rfc_port)
        .unwrap()
        .expect("3.12 locks the page, the RFC reads the mapping");
    assert!(
        finding.summary.contains("at yield point #3: C lock_page"),
        "{finding}"
    );
}
