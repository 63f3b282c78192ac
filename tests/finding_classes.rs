//! Every finding class is caught: a test-only revision built with one
//! defect (tests/revisions/defects/) produces the class on a scenario, and
//! v4.7 passes the same scenario clean. Each assertion needs its oracle:
//! none of these tests passes with the oracle switched off.

use futex_diff::finding::FindingClass;
use futex_diff::oracle::{self, lockstep};
use futex_diff::revision::{self, Revision};
use futex_diff::scenario::{parse, Scenario};

const SHARED_FILE: &str = "
mm A
inode F file size=4
page F 1
vma A 0x10000 0x14000 file F rw shared
call A 0x11008 shared write
";

/// A test-only revision of `tests/revisions/defects/`, compiled now: the
/// defects are not in the shipped binary.
fn defect(name: &str) -> Revision {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/revisions/defects")
        .join(format!("{name}.c"));
    revision::load(&path, None).unwrap_or_else(|e| panic!("{e}"))
}

fn classes(scenario: &Scenario, rev: Revision) -> Vec<FindingClass> {
    let report = oracle::check(scenario, rev, oracle::Checks::REPORT).expect("world builds");
    report.found.iter().map(|f| f.finding.class).collect()
}

/// `defect` shows `class` on `text`; v4.7 shows nothing there.
fn caught(defect_name: &str, text: &str, class: FindingClass) {
    let scenario = parse(text).expect("scenario parses");
    let found = classes(&scenario, defect(defect_name));
    assert!(
        found.contains(&class),
        "{defect_name}: expected {class}, found {found:?}"
    );
    let clean = classes(&scenario, revision::find("v4.7").unwrap());
    assert!(
        clean.is_empty(),
        "v4.7 on the {defect_name} scenario: {clean:?}"
    );
}

#[test]
fn a_revision_that_keeps_its_page_reference_leaks() {
    caught("defect-leak-page", SHARED_FILE, FindingClass::RefcountLeak);
}

#[test]
fn a_revision_that_drops_its_page_reference_twice_underflows() {
    caught(
        "defect-double-put",
        SHARED_FILE,
        FindingClass::RefcountUnderflow,
    );
}

#[test]
fn a_revision_that_keys_the_wrong_index_gives_a_wrong_key() {
    caught("defect-wrong-pgoff", SHARED_FILE, FindingClass::WrongKey);
}

#[test]
fn a_revision_that_fails_file_futexes_gives_a_spurious_error() {
    caught(
        "defect-spurious-efault",
        SHARED_FILE,
        FindingClass::SpuriousError,
    );
}

#[test]
fn a_revision_that_keys_read_only_anonymous_memory_misses_an_error() {
    caught(
        "defect-no-ro-check",
        "mm A\nvma A 0x20000 0x21000 anon r private\nanon A 0x20000\ncall A 0x20000 shared read\n",
        FindingClass::MissingError,
    );
}

#[test]
fn a_revision_that_keys_sub_pages_on_their_head_collides() {
    caught(
        "defect-head-index",
        "mm A\ninode H hugetlbfs size=4\nvma A 0x400000 0x404000 hugetlbfs H rw shared\n\
         call A 0x400000 shared write\ncall A 0x401000 shared write\n",
        FindingClass::KeyCollision,
    );
}

#[test]
fn a_revision_that_keys_shmem_on_the_mm_mismatches_across_processes() {
    caught(
        "defect-mm-key-for-all",
        "mm A\nmm B\ninode S shmem size=1\npage S 0\nvma A 0x10000 0x11000 shmem S rw shared\n\
         vma B 0x70000 0x71000 shmem S rw shared\ncall A 0x10000 shared write\ncall B 0x70000 shared write\n",
        FindingClass::KeyMismatch,
    );
}

/// Between the mapping read (#6) and the RCU section, the file is unmapped,
/// closed and evicted, and the inode freed: without the re-check of
/// `page->mapping` the revision follows `mapping->host` into freed memory.
#[test]
fn a_revision_without_the_rcu_recheck_uses_a_freed_inode() {
    caught(
        "defect-no-recheck",
        "mm A\ninode F file size=2\npage F 0\nvma A 0x10000 0x12000 file F rw shared\n\
         call A 0x10008 shared write\nevent m munmap A 0x10000 0x12000\nevent i iput F\nat 7 m\nat 7 i\n",
        FindingClass::UseAfterFree,
    );
}

#[test]
fn a_revision_that_warns_is_reported() {
    caught("defect-warn", SHARED_FILE, FindingClass::Warn);
}

#[test]
fn a_revision_that_retries_forever_is_a_livelock() {
    caught("defect-livelock", SHARED_FILE, FindingClass::Livelock);
}

#[test]
fn a_revision_that_takes_the_page_lock_twice_deadlocks() {
    caught("defect-deadlock", SHARED_FILE, FindingClass::Deadlock);
}

#[test]
fn a_revision_that_returns_with_the_page_locked_is_imbalanced() {
    caught(
        "defect-lock-imbalance",
        SHARED_FILE,
        FindingClass::LockImbalance,
    );
}

#[test]
fn a_revision_that_returns_inside_rcu_is_imbalanced() {
    caught(
        "defect-rcu-imbalance",
        SHARED_FILE,
        FindingClass::RcuImbalance,
    );
}

#[test]
fn a_c_revision_that_parts_from_its_port_is_a_lockstep_divergence() {
    let scenario = parse(SHARED_FILE).unwrap();
    let v47 = revision::find("v4.7").unwrap();
    let port = v47.port_target().unwrap();
    let finding = lockstep::compare(&scenario, defect("defect-extra-read").target(), port)
        .unwrap()
        .expect("the extra READ_ONCE is an extra yield point");
    assert_eq!(finding.class, FindingClass::LockstepDivergence);
    assert!(
        finding
            .summary
            .contains("at yield point #7: C READ_ONCE(page->mapping"),
        "{finding}"
    );
    assert!(lockstep::compare(&scenario, v47.target(), port)
        .unwrap()
        .is_none());
}

#[test]
fn every_finding_class_has_a_test_here() {
    let source = include_str!("finding_classes.rs");
    for class in FindingClass::ALL {
        let variant = format!("{class:?}");
        assert!(
            source.contains(&format!("FindingClass::{variant}")),
            "no test for {class}"
        );
    }
}
