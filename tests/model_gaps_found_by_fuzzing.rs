//! Scenarios the `meaning` fuzz target reported where the model, not the
//! kernel, was wrong, minimised. Each must give no finding now.

mod common;

use common::{event_text, run};
use futex_diff::oracle::meaning;

/// munmap() of part of a vma whose memory policy names a node the machine
/// lacks: copying the policy to the split-off part fails, a harness error,
/// and the world is left half changed (the mm's vmas gone, its PTEs kept).
/// A later mmap() then landed over the stale PTEs and the call found an
/// anonymous page under a file mapping: a "missing error". A run the
/// harness failed in is not judged.
const HALF_DONE_MUNMAP: &str = "mm A
vma A 0x400000 0x404000 anon thp rw private
anon A 0x400000 thp
policy A 0x400000 0x461000 interleave nodes=0
inode i3 file size=0
nodes 1 4
call A 0x401008 private read node=1
call A 0x400048 shared read node=1 by T
event T task
event e5 reread i3 A 0x400000 0x401000
event e10 munmap A 0x403000 0x40b000
at 4 e5
at 2 e10
";

/// A special mapping (vDSO, gate area) made writable, then written: the
/// write copied its page into an anonymous one, which the reference (a
/// special mapping: -EFAULT) did not expect. Special pages are installed as
/// they are and never written.
const WRITTEN_SPECIAL_MAPPING: &str = "mm m1
vma m1 0x10000 0x11000 special none private
call m1 0x10008 shared read
call m1 0x10008 private read
call m1 0x10000 shared read
event e2 cow m1 0x10008
event e7 mprotect m1 0x10000 0x11000 rw
at 16 e2
at 4 e7
";

#[test]
fn a_run_the_harness_failed_in_is_not_judged() {
    let o = run(HALF_DONE_MUNMAP, "v4.7");
    assert!(
        o.harness_error
            .as_deref()
            .is_some_and(|e| e.contains("node")),
        "{:?}",
        o.harness_error
    );
    assert_eq!(meaning::check(&o), meaning::Verdict::default());
}

#[test]
fn a_special_mapping_is_never_written() {
    let o = run(WRITTEN_SPECIAL_MAPPING, "v4.7");
    assert!(o.harness_error.is_none());
    assert!(
        event_text(&o, "e2").contains("a special mapping is never written"),
        "the write is skipped"
    );
    let verdict = meaning::check(&o);
    assert!(verdict.findings.is_empty(), "{:?}", verdict.findings);
}

/// Four umounts of one tmpfs at once, and a new tmpfs inode in a freed
/// slot meanwhile: every umount shut the filesystem down again, and the new
/// inode joined the dying superblock, so its last iput() reached a freed
/// one (a "use-after-free" with no futex call involved). umount detaches
/// the mount first: the others find nothing to unmount, and a new inode is
/// not made on a filesystem going away.
const CONCURRENT_UMOUNTS: &str = "inode i2 shmem size=1 refs=6
mm m3
call m3 0x0 private write
call m3 0x0 private write
event e7 umount i2
event e8 reuse i2 shmem size=1
event e17 umount i2
event e23 umount i2
event e25 umount i2
at put 1 e7
at 1 e17 3
at 4 e23
at 4 e25
at 3 e7 3
at 3 e8
at 3 e25 4
";

#[test]
fn a_filesystem_is_unmounted_once() {
    let o = run(CONCURRENT_UMOUNTS, "v6.8");
    let verdict = meaning::check(&o);
    assert!(verdict.findings.is_empty(), "{:?}", verdict.findings);
    assert!(
        ["e7", "e17", "e23", "e25"]
            .iter()
            .any(|e| event_text(&o, e).contains("is not mounted")),
        "a later umount finds nothing"
    );
}

/// The `lockstep` target ran a scenario that sets era 6.16 (FUTEX2_NUMA and
/// FUTEX2_MPOL calls) on every ported revision, rfc-2013's too: under rules
/// it was never written for (here the harness also fails, on a policy of a
/// node the machine lacks). A scenario that sets its era runs on that era's
/// revisions only, as in `meaning`.
const FOREIGN_ERA: &str = "era 6.16
mm DABADAQAAA
mm m1
vma DABADAQAAA 0x11000 0x12000 anon rw private
mm m2
mm DC
policy DABADAQAAA 0x11000 0x12000 interleave nodes=0,1
word DABADAQAAA 0x11004 -1
policy DABADAQAAA 0x11000 0x12000 interleave nodes=0,1
word DABADAQAAA 0x11004 -1
inode GAAAAAAADAQ file size=2
policy DABADAQAAA 0x11000 0x12000 interleave nodes=0,1
word DABADAQAAA 0x11000 0
vma DABADAQAAA 0x1000 0xd000 file GAAAAAAADAQ rw shared
nodes 2 4 5
word DABADAQAAA 0x2000 -1
nodes 2 4 5
call DC 0x0 private read node=2
call DABADAQAAA 0x11000 private read node=2
call DABADAQAAA 0x11000 private read node=2
call DABADAQAAA 0x11000 private read node=2
call DABADAQAAA 0x11004 private read node=2
call DABADAQAAA 0x1000 shared write mpol node=2
call DABADAQAAA 0xffffffffdfffffff shared write numa mpol node=2
event e30 fork DABADAQAAA m1
event e32 reread GAAAAAAADAQ DABADAQAAA 0x4000 0x11000
at 12 e30 887
at 14080 e30 511
";

#[test]
fn lockstep_runs_a_scenario_only_in_its_own_era() {
    let scenario = futex_diff::scenario::parse(FOREIGN_ERA).unwrap();
    let rfc = futex_diff::revision::find("rfc-2013").unwrap();
    assert!(scenario.era.is_some_and(|era| era != rfc.era()));
    let data = futex_diff::scenario::binary::encode(&scenario).unwrap();
    assert_eq!(futex_diff::fuzz::lockstep(&data), None);
}

/// A fork copies a memory policy that names a node the machine lacks: a
/// harness error, in the C run and the port's alike, stops call 3 midway,
/// with whatever key each side had built by then. Lockstep does not judge
/// a run the harness failed in, as the meaning oracle does not.
const HARNESS_FAILS_BOTH: &str = "mm AAEBABABBF
mm g
inode F shmem size=1
mm CAAABLAAt-9PGA3A
vma AAEBABABBF 0x10000 0x11000 shmem F rw shared
policy AAEBABABBF 0x10000 0x11000 bind nodes=0,1
nodes 1 4 5
call CAAABLAAt-9PGA3A 0x0 private read node=1
call AAEBABABBF 0x10000 private read node=1
call AAEBABABBF 0x108f0 shared write node=1
event e6 fork AAEBABABBF g
at 16 e6
";

#[test]
fn lockstep_does_not_judge_a_run_the_harness_failed_in() {
    let scenario = futex_diff::scenario::parse(HARNESS_FAILS_BOTH).unwrap();
    let v46 = futex_diff::revision::find("v4.6").unwrap();
    let report =
        futex_diff::oracle::check(&scenario, v46, futex_diff::oracle::Checks::SEARCH).unwrap();
    assert!(report.outcome.harness_error.is_some());
    assert!(report.found.is_empty(), "{:?}", report.found);
}
