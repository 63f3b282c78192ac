//! Kernels 6.16 to 7.1: FUTEX2_NUMA's node word in user memory, FUTEX2_MPOL's
//! memory policies under the mmap lock's sequence, and what the oracles make
//! of them, on the bundled v6.19 and v7.1 in C and in Rust.

mod common;

use common::*;
use futex_diff::finding::FindingClass;
use futex_diff::oracle::meaning::Allowance;
use futex_diff::oracle::{self, Checks, Report};
use futex_diff::revision;
use futex_diff::scenario::parse;
use futex_diff::trace::Entry;

const NUMA: [&str; 2] = ["v6.19", "v7.1"];

/// Both oracles on `text` and `rev`, C and its port alike.
fn check(text: &str, rev: &str) -> Report {
    let scenario = parse(text).unwrap_or_else(|e| panic!("{e}"));
    oracle::check(&scenario, revision::find(rev).unwrap(), Checks::REPORT)
        .unwrap_or_else(|e| panic!("{rev}: {e}"))
}

fn corpus(name: &str) -> &'static str {
    futex_diff::corpus::BUILT_IN
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no corpus/{name}.scn"))
        .1
}

fn classes_found(report: &Report) -> Vec<FindingClass> {
    report.found.iter().map(|f| f.finding.class).collect()
}

fn nodes(report: &Report) -> Vec<Option<i32>> {
    report.outcome.calls.iter().map(|c| c.node).collect()
}

fn traced(report: &Report, text: &str) -> bool {
    report.outcome.trace.entries.iter().any(|e| match e {
        Entry::Thread(t) | Entry::Event { text: t, .. } => t.contains(text),
        Entry::Yield { .. } => false,
    })
}

#[test]
fn a_numa_futex_takes_its_cpus_node_and_the_next_call_finds_it_written_back() {
    for rev in NUMA {
        let report = check(corpus("map-numa-node-word"), rev);
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
        // Shared: call 1 on node 1 writes 1, call 2 on node 0 finds it.
        // Private: call 3 on node 0 writes 0, call 4 on node 1 finds it.
        assert_eq!(
            nodes(&report),
            [Some(1), Some(1), Some(0), Some(0)],
            "{rev}"
        );
    }
}

#[test]
fn a_node_the_machine_lacks_and_a_misaligned_numa_futex_are_einval() {
    for rev in NUMA {
        let report = check(corpus("numa-node-not-possible"), rev);
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
        let o = &report.outcome;
        for call in 0..3 {
            assert_eq!(result(o, call), returned(-EINVAL), "{rev} call {call}");
        }
        assert_eq!(o.calls[3].node, Some(1), "{rev}: the node the word names");
    }
}

#[test]
fn a_node_to_write_back_to_a_read_only_mapping_faults() {
    for rev in NUMA {
        let report = check(corpus("numa-node-word-read-only"), rev);
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
        let o = &report.outcome;
        assert_eq!(result(o, 0), returned(-EFAULT), "{rev}");
        assert_eq!(o.calls[1].node, Some(1), "{rev}: no write needed");
    }
}

#[test]
fn mpol_takes_the_node_of_the_vmas_own_policy() {
    for rev in NUMA {
        let report = check(corpus("map-mpol-policy-node"), rev);
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
        // preferred nodes=1, bind home=1, interleave (none), then the
        // preferred node written back under FUTEX2_NUMA and found there.
        assert_eq!(
            nodes(&report),
            [Some(1), Some(1), Some(-1), Some(1), Some(1)],
            "{rev}"
        );
    }
}

#[test]
fn numa_calls_do_not_apply_before_6_16() {
    let scenario = parse(corpus("map-numa-node-word")).unwrap();
    for rev in BUNDLED.into_iter().chain(["v5.13", "v6.13"]) {
        let Err(e) = oracle::check(&scenario, revision::find(rev).unwrap(), Checks::REPORT) else {
            panic!("{rev} takes FUTEX2_NUMA");
        };
        assert!(e.not_in_era(), "{rev}: {e}");
    }
}

#[test]
fn two_first_numa_callers_land_in_two_tables_on_every_6_16_kernel() {
    let race = corpus("race-numa-first-callers");
    for rev in NUMA {
        let report = check(race, rev);
        assert_eq!(classes_found(&report), [FindingClass::KeyMismatch], "{rev}");
        assert_eq!(nodes(&report), [Some(0), Some(1)], "{rev}");
    }
    // One after the other, the second finds the first's node.
    let serial: String = race
        .lines()
        .filter(|l| !l.starts_with("at "))
        .collect::<Vec<_>>()
        .join("\n");
    for rev in NUMA {
        let report = check(&serial, rev);
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
        assert_eq!(nodes(&report), [Some(0), Some(0)], "{rev}");
    }
}

#[test]
fn a_policy_freed_under_the_lockless_lookup_is_read_after_free_before_7_0_only() {
    let text = corpus("race-mbind-after-policy-load");
    let v6_19 = check(text, "v6.19");
    // The C revision's plain read is caught (the port's too: no divergence).
    assert_eq!(classes_found(&v6_19), [FindingClass::UseAfterFree]);
    assert!(v6_19.found[0]
        .finding
        .summary
        .contains("read of freed mempolicy"));
    assert!(traced(&v6_19, "mempolicy#2 freed"));
    let v7_1 = check(text, "v7.1");
    assert!(v7_1.found.is_empty(), "{:?}", v7_1.found);
    assert!(traced(
        &v7_1,
        "mempolicy#2 put, to be freed after a grace period"
    ));
    // The sequence count sends both to the locked lookup: the new node.
    assert_eq!(nodes(&v6_19), nodes(&v7_1));
}

#[test]
fn the_lockless_lookup_gives_up_while_mbind_holds_the_mmap_lock_and_waits_for_it() {
    for rev in NUMA {
        let report = check(corpus("race-mbind-holds-mmap-lock"), rev);
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
        assert!(
            traced(&report, "the mmap lock of mm#1 is locked by mb"),
            "{rev}\n{}",
            report.outcome.trace.render("?")
        );
        // The new policy's home node, written back.
        assert_eq!(nodes(&report), [Some(0)], "{rev}");
    }
}

#[test]
fn munmap_waits_for_a_task_holding_the_mmap_read_lock() {
    let text = "nodes 0 1\nmm A\nvma A 0x10000 0x11000 anon rw private\nanon A 0x10000\n\
                policy A 0x10000 0x11000 preferred nodes=1\nword A 0x10004 -1\n\
                call A 0x10000 shared write numa mpol\n\
                event w mbind A 0x20000 0x21000 local\nevent um munmap A 0x10000 0x11000\n\
                at call 1 before mmap_lock_speculate_try_begin w 1\n\
                at call 1 after mmap_read_lock um\n";
    for rev in NUMA {
        let report = check(text, rev);
        assert!(
            traced(&report, "holds the mmap lock of mm#1 for reading"),
            "{rev}\n{}",
            report.outcome.trace.render("?")
        );
        // munmap went on once the lock was let go: the page is gone.
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
        assert_eq!(result(&report.outcome, 0), returned(-EFAULT), "{rev}");
    }
}

#[test]
fn a_vma_reused_between_lookup_and_load_is_caught_by_the_mmap_locks_sequence() {
    for rev in NUMA {
        let report = check(corpus("race-munmap-reuses-vma"), rev);
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
    }
    // 7.0's READ_ONCE(vma->vm_policy) is a yield point between the lookup
    // and the load: the reused vma's default policy is read there, the
    // sequence moved, and the locked lookup finds the new mapping. (6.19's
    // plain load follows the lookup with no yield point between.)
    let report = check(corpus("race-munmap-reuses-vma"), "v7.1");
    assert!(traced(&report, "open and mmap of file 2 (inode#2)"));
    assert_eq!(nodes(&report), [Some(0)], "the CPU's node");
    assert_eq!(
        key(&report.outcome, 0).object,
        inode(2),
        "the new file's key"
    );
}

#[test]
fn a_store_to_the_node_word_and_a_changed_policy_are_the_programs_doing() {
    for rev in NUMA {
        let stored = check(corpus("race-store-node-word"), rev);
        assert!(stored.found.is_empty(), "{rev}: {:?}", stored.found);
        assert!(
            stored
                .verdict
                .allowed
                .contains(&(1, Allowance::NodeWordStored)),
            "{rev}: {:?}",
            stored.verdict.allowed
        );
        let homed = check(corpus("race-home-node-between-calls"), rev);
        assert!(homed.found.is_empty(), "{rev}: {:?}", homed.found);
        assert!(
            homed
                .verdict
                .allowed
                .contains(&(1, Allowance::NodeFollowsPolicy)),
            "{rev}: {:?}",
            homed.verdict.allowed
        );
    }
}

#[test]
fn the_node_word_follows_its_page_through_fork_and_cow() {
    // A node word in a COW-shared page: the child's write copies the page
    // and the word with it, and its call finds the node there. The
    // parent's own write-back after the fork goes to a copy of its own,
    // which the child does not see.
    let text = "nodes 0 1\nmm A\nmm B\nvma A 0x10000 0x12000 anon rw private\n\
                anon A 0x10000\nanon A 0x11000\nword A 0x10004 1\nword A 0x11004 -1\nfork A B\n\
                call B 0x10000 private write numa node=0\n\
                call A 0x11000 private write numa node=1\n\
                call B 0x11000 private write numa node=0\n\
                event c cow B 0x10000\nat call 1 c\n";
    for rev in NUMA {
        let report = check(text, rev);
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
        assert_eq!(nodes(&report), [Some(1), Some(1), Some(0)], "{rev}");
    }
}

#[test]
fn a_node_the_states_never_meant_is_a_wrong_key() {
    // v6.19 with the CPU's node taken even when the word names one.
    let source = include_str!("../csrc/revisions/v6.19.c");
    let right = "\t\tif (node == FUTEX_NO_NODE) {\n\t\t\tnode = numa_node_id();";
    assert!(source.contains(right));
    let wrong = source.replace(right, "\t\tif (1) {\n\t\t\tnode = numa_node_id();");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("defect-cpu-node.c");
    std::fs::write(&path, wrong).unwrap();
    let rev = revision::load(&path, Some("defect-cpu-node")).unwrap();
    let scenario = parse(corpus("map-numa-node-word")).unwrap();
    let report = oracle::check(&scenario, rev, Checks::REPORT).unwrap();
    assert!(
        report
            .found
            .iter()
            .any(|f| f.finding.class == FindingClass::WrongKey
                && f.finding.summary.contains("hash table")),
        "{:?}",
        report.found
    );
}

#[test]
fn mprotect_none_keeps_a_private_copy_mapped() {
    // The call's put_user() COWs the node word into an anonymous copy;
    // mprotect(PROT_NONE) then PROT_READ leaves that copy mapped (only the
    // PTE's protection changes), so the read-only retry finds the anonymous
    // page and fails (-EFAULT), as the kernel does, rather than keying on
    // the file's page.
    let text = "mm A\ninode F file size=1\nvma A 0x10000 0x11000 file F rw private\n\
                page F 0\nword A 0x1000c -1\ncall A 0x10008 shared read numa mpol\n\
                event e1 mprotect A 0x10000 0x11000 r\n\
                event e2 mprotect A 0x10000 0x11000 none\nat 11 e2\nat 12 e1\n";
    let report = check(text, "v6.19");
    assert!(report.found.is_empty(), "{:?}", report.found);
    assert_eq!(result(&report.outcome, 0), returned(-14));
}
