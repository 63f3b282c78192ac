//! The keys of 5.6 on: an inode key names the inode's sequence number,
//! handed out on first use from one machine-wide counter and never reused,
//! and holds no reference; 5.6 still pins the mm of an anonymous shared
//! key, later kernels pin nothing and from 5.9 have no put_futex_key().
//! Each behaviour on every bundled 5.x revision (C; the lockstep tests
//! hold the Rust ports to the same yield points).

mod common;

use common::*;
use futex_diff::exec::Outcome;
use futex_diff::kernel::Held;
use futex_diff::key::{KeyObject, FUT_OFF_INODE, FUT_OFF_MMSHARED};
use futex_diff::op::Op;
use futex_diff::trace::Entry;
use futex_diff::world::{InodeId, InodeRef, MmId};

fn count(o: &Outcome, op: Op) -> usize {
    ops(o).iter().filter(|o| **o == op).count()
}

/// The kernel calls made by the puts, after the last get returned.
fn put_ops(o: &Outcome) -> Vec<Op> {
    let first_put = o
        .trace
        .entries
        .iter()
        .position(|e| matches!(e, Entry::Thread(t) if t.contains("put_futex_key()")))
        .unwrap_or(o.trace.entries.len());
    o.trace.entries[first_put..]
        .iter()
        .filter_map(|e| match e {
            Entry::Yield { op, .. } => Some(*op),
            _ => None,
        })
        .collect()
}

const TWO_FILES: &str = "mm A
inode F file size=4
inode G file size=4
vma A 0x10000 0x14000 file F rw shared
vma A 0x20000 0x24000 file G rw shared
call A 0x11008 shared write
call A 0x11008 shared read
call A 0x21008 shared write
";

#[test]
fn the_first_key_numbers_the_inode_and_later_keys_read_the_number() {
    for rev in BUNDLED_5X {
        let o = run(TWO_FILES, rev);
        assert_clean(&o);
        assert_eq!(key(&o, 0).object, inode(1), "{rev}");
        assert_eq!(key(&o, 0), key(&o, 1), "{rev}: one word, one key");
        assert_eq!(key(&o, 2).object, inode(2), "{rev}");
        assert_eq!(key(&o, 0).offset, 8 | FUT_OFF_INODE);
        // The numbers themselves: 1 for F, 2 for G, in the order named.
        assert_eq!(o.calls[0].raw_key.ptr, 1, "{rev}");
        assert_eq!(o.calls[2].raw_key.ptr, 2, "{rev}");
        // Each inode is numbered once; the second call only reads F's.
        assert_eq!(count(&o, Op::Atomic64Read), 3, "{rev}");
        assert_eq!(count(&o, Op::Atomic64AddReturn), 2, "{rev}");
        assert_eq!(count(&o, Op::Atomic64Cmpxchg), 2, "{rev}");
        // No reference on the inode, during the calls or after.
        for call in &o.calls {
            assert!(
                !call
                    .held_after
                    .iter()
                    .any(|(h, n)| matches!(h, Held::Inode(_)) && *n != 0),
                "{rev}: {:?}",
                call.held_after
            );
        }
        assert_eq!(count(&o, Op::AtomicIncNotZero), 0, "{rev}");
        assert_refcounts_restored(&o);
    }
}

#[test]
fn every_execution_numbers_from_one_again() {
    // The machine-wide counter is the revision's own static; a run must not
    // depend on what ran before it.
    for rev in BUNDLED_5X {
        let first = run(TWO_FILES, rev);
        let again = run(TWO_FILES, rev);
        assert_eq!(first.calls[2].raw_key.ptr, 2, "{rev}");
        assert_eq!(again.calls[2].raw_key.ptr, 2, "{rev}");
    }
}

#[test]
fn a_key_taken_while_its_inode_is_evicted_and_the_slot_reused_names_the_old_inode() {
    // Between reading mapping->host and numbering the inode, the file is
    // unmapped, its last reference dropped and a new inode allocated in
    // its place. The read section holds the free off until the number is
    // taken, and the new inode starts without one: the key names the old
    // inode (allocation 1), never its successor, unlike 3.12's pointer.
    let text = "mm A
inode F file size=4
vma A 0x10000 0x14000 file F rw shared
call A 0x11008 shared write
event u munmap A 0x10000 0x14000
event i iput F
event r reuse F file size=4
at call 1 after READ_ONCE(mapping->host) u
at call 1 after READ_ONCE(mapping->host) i
at call 1 after READ_ONCE(mapping->host) r
";
    for rev in BUNDLED_5X {
        let o = run(text, rev);
        assert!(event_ran(&o, "r"), "{rev}");
        assert_eq!(
            key(&o, 0).object,
            KeyObject::Inode(InodeRef {
                slot: InodeId(1),
                generation: 1,
            }),
            "{rev}\n{}",
            o.trace.render("?")
        );
        assert_clean(&o);
    }
}

const ANON: &str = "mm A
vma A 0x30000 0x32000 anon rw private
call A 0x31004 shared write
";

#[test]
fn only_5_6_pins_the_mm_of_an_anonymous_shared_key() {
    for rev in BUNDLED_5X {
        let o = run(ANON, rev);
        assert_clean(&o);
        assert_eq!(key(&o, 0).object, mm(1), "{rev}");
        assert_eq!(key(&o, 0).offset, 4 | FUT_OFF_MMSHARED, "{rev}");
        let held: i32 = o.calls[0]
            .held_after
            .iter()
            .filter(|(h, _)| *h == Held::Mm(MmId(1)))
            .map(|(_, n)| *n)
            .sum();
        if rev == "v5.6" {
            assert_eq!(held, 1, "{rev}: the key holds mm_count");
            assert_eq!(count(&o, Op::Mmgrab), 1);
            assert_eq!(put_ops(&o), [Op::Mmdrop], "{rev}");
        } else {
            assert_eq!(held, 0, "{rev}: the key holds nothing");
            assert_eq!(count(&o, Op::Mmgrab), 0, "{rev}");
            assert!(put_ops(&o).is_empty(), "{rev}: there is no put_futex_key()");
        }
        assert_refcounts_restored(&o);
    }
}

/// Call 1 keys on a file; its mapping and its last outside reference go,
/// and the file is opened and mapped again before call 2, on the same word.
const REREAD: &str = "mm A
inode F file size=1
page F 0
vma A 0x10000 0x11000 file F rw shared
call A 0x10008 shared write
call A 0x20008 shared write
event m munmap A 0x10000 0x11000
event i iput F
event r reread F A 0x20000 0x21000
at call 2 m
at call 2 i
at call 2 r
";

fn verdict_of(text: &str, rev: &str) -> (Outcome, futex_diff::oracle::meaning::Verdict) {
    let o = run(text, rev);
    let verdict = futex_diff::oracle::meaning::check(&o);
    (o, verdict)
}

/// The allocations of the inode slot two keys name (1 and 2: two inode
/// objects of one file).
fn generations(first: futex_diff::key::Key, second: futex_diff::key::Key, rev: &str) -> (u32, u32) {
    match (first.object, second.object) {
        (KeyObject::Inode(a), KeyObject::Inode(b)) => (a.generation, b.generation),
        other => panic!("{rev}: {other:?}"),
    }
}

/// The allowances a verdict applied, by call and name.
fn allowed(verdict: &futex_diff::oracle::meaning::Verdict) -> Vec<(usize, &'static str)> {
    verdict
        .allowed
        .iter()
        .map(|(call, a)| (*call, a.name()))
        .collect()
}

#[test]
fn a_file_read_back_after_eviction_gets_a_new_sequence_number_which_is_allowed() {
    for rev in BUNDLED_5X {
        let (o, verdict) = verdict_of(REREAD, rev);
        // Two inode objects of one file: allocations 1 and 2 of the slot.
        assert_eq!(
            generations(o.calls[0].key, o.calls[1].key, rev),
            (1, 2),
            "{rev}"
        );
        assert_ne!(
            o.calls[0].raw_key.ptr, o.calls[1].raw_key.ptr,
            "{rev}: i_seq"
        );
        assert!(verdict.findings.is_empty(), "{rev}: {:?}", verdict.findings);
        assert_eq!(
            allowed(&verdict),
            [(1, "reread-file-new-sequence")],
            "{rev}"
        );
    }
}

#[test]
fn before_5_6_the_key_keeps_the_inode_so_the_file_read_back_is_the_same_inode() {
    for rev in BUNDLED {
        let (o, verdict) = verdict_of(REREAD, rev);
        assert_eq!(o.calls[0].key, o.calls[1].key, "{rev}");
        assert!(verdict.findings.is_empty(), "{rev}: {:?}", verdict.findings);
        assert!(verdict.allowed.is_empty(), "{rev}");
    }
}

/// The second task keys on a file and puts its key (the thread's first
/// call fails, so it holds none); the file's mapping and last reference go,
/// so the inode is evicted; the file is opened and mapped again, and the
/// thread keys on the same word (found by the `meaning` fuzz target on
/// v4.7, minimised).
const REREAD_AFTER_PUT: &str = "mm A
inode F file size=1
page F 0
vma A 0x10000 0x11000 file F rw shared
call A 0x30008 shared write
call A 0x20008 shared write
call A 0x10008 shared read by T
event m munmap A 0x10000 0x12000
event i iput F
event r reread F A 0x20000 0x21000
event T task
at 1 T
at call 2 m
at call 2 i
at call 2 r
";

#[test]
fn before_5_6_a_file_read_back_once_its_keys_were_put_is_a_new_inode_which_is_allowed() {
    for rev in BUNDLED {
        let (o, verdict) = verdict_of(REREAD_AFTER_PUT, rev);
        let (thread, task) = (o.calls[1].key, o.calls[2].key);
        assert_eq!(generations(task, thread, rev), (1, 2), "{rev}");
        assert!(verdict.findings.is_empty(), "{rev}: {:?}", verdict.findings);
        assert_eq!(allowed(&verdict), [(2, "reread-after-keys-put")], "{rev}");
    }
}

#[test]
fn another_word_of_a_file_read_back_is_another_word() {
    // Call 2 on the next word: different words, different keys, nothing
    // to allow.
    let text = REREAD.replace("call A 0x20008", "call A 0x2000c");
    for rev in BUNDLED_5X {
        let (_, verdict) = verdict_of(&text, rev);
        assert!(verdict.findings.is_empty(), "{rev}: {:?}", verdict.findings);
        assert!(verdict.allowed.is_empty(), "{rev}");
    }
}
