//! One or more races per concurrent event kind (docs/model.md §4), each placed
//! at a named yield point of each revision, with the outcome the kernel's
//! semantics and the revision's code give: the exact result and key, the
//! refcounts, and what the fake kernel noticed.
//!
//! Yield points differ between revisions, so every schedule is a table
//! `revision -> yield point`, and every test first checks that the point
//! is the kernel call it means to race with (`assert_yield_is`): if a
//! revision's code moves, the test fails loudly instead of racing with
//! something else.
//!
//! The yield points of a shared file futex, for reference:
//!
//! ```text
//! v3.12     #1 GUP  #2 PageTail  #3 lock_page  #4 PageAnon  #5 basepage_index
//!           #6 ihold  #7 unlock_page  #8 put_page
//! rfc-2013  #1 GUP  #2 PageTail  #3 ACCESS_ONCE(mapping)  #4 PageAnon
//!           #5 rcu_read_lock  #6 atomic_inc_not_zero  #7 basepage_index
//!           #8 rcu_read_unlock  #9 put_page
//! v4.6/4.7  #1 access_ok  #2,#3 should_fail  #4 GUP  #5 compound_head
//!           #6 READ_ONCE(mapping)  #7 PageAnon  #8 rcu_read_lock
//!           #9 READ_ONCE(page->mapping)  #10 READ_ONCE(host)
//!           #11 atomic_inc_not_zero  #12 basepage_index  #13 rcu_read_unlock
//!           #14 put_page
//! ```
//!
//! An event placed `at N` runs before the kernel call of yield point N.

mod common;

use common::*;
use futex_diff::exec::Outcome;
use futex_diff::finding::FindingClass;
use futex_diff::implementation::CallResult;
use futex_diff::key::{Key, KeyObject, FUT_OFF_INODE, FUT_OFF_MMSHARED};
use futex_diff::op::Op;
use futex_diff::oracle;
use futex_diff::trace::Entry;
use futex_diff::world::{InodeId, InodeRef};

const PAGE_SIZE: u64 = 4096;

// ---------------------------------------------------------------------------
// helpers

fn mm_shared_key(mm_slot: usize, address: u64) -> Key {
    Key {
        word: address & !(PAGE_SIZE - 1),
        object: mm(mm_slot),
        offset: (address % PAGE_SIZE) as i32 | FUT_OFF_MMSHARED,
    }
}

fn inode_key(inode_slot: usize, pgoff: u64, address: u64) -> Key {
    Key {
        word: pgoff,
        object: inode(inode_slot),
        offset: (address % PAGE_SIZE) as i32 | FUT_OFF_INODE,
    }
}

fn show(o: &Outcome) -> String {
    format!(
        "{}: findings {:?}, stuck {:?}, harness {:?}\n{}",
        o.revision,
        o.findings,
        o.stuck,
        o.harness_error,
        o.trace.render("?")
    )
}

/// Position of yield point `n` in the trace.
fn yield_index(o: &Outcome, n: u32) -> usize {
    o.trace
        .entries
        .iter()
        .position(|e| matches!(e, Entry::Yield { n: m, .. } if *m == n))
        .unwrap_or_else(|| panic!("no yield point #{n}\n{}", show(o)))
}

/// Checks that yield point `n` is the kernel call `op`.
fn assert_yield_is(o: &Outcome, n: u32, op: Op) {
    let found = match &o.trace.entries[yield_index(o, n)] {
        Entry::Yield { op, .. } => *op,
        _ => unreachable!(),
    };
    assert_eq!(
        found,
        op,
        "yield point #{n} is not {}\n{}",
        op.name(),
        show(o)
    );
}

/// Position of the first yield point at `op`, if any.
fn first_yield_at(o: &Outcome, op: Op) -> Option<usize> {
    o.trace
        .entries
        .iter()
        .position(|e| matches!(e, Entry::Yield { op: p, .. } if *p == op))
}

fn yields_at(o: &Outcome, op: Op) -> usize {
    o.trace.yields().filter(|(p, _)| *p == op).count()
}

/// Position of the first step of event `name` whose text contains `what`.
fn event_step(o: &Outcome, name: &str, what: &str) -> Option<usize> {
    o.trace.entries.iter().position(
        |e| matches!(e, Entry::Event { name: n, text } if n == name && text.contains(what)),
    )
}

fn expect_event_step(o: &Outcome, name: &str, what: &str) -> usize {
    event_step(o, name, what)
        .unwrap_or_else(|| panic!("event {name} never did `{what}`\n{}", show(o)))
}

/// Position of the first thread line containing `what`.
fn thread_line(o: &Outcome, what: &str) -> Option<usize> {
    o.trace
        .entries
        .iter()
        .position(|e| matches!(e, Entry::Thread(t) if t.contains(what)))
}

fn assert_returned(o: &Outcome, call: usize, code: i32) {
    assert_eq!(
        result(o, call),
        returned(code),
        "call {}\n{}",
        call + 1,
        show(o)
    );
}

fn assert_key(o: &Outcome, call: usize, expected: Key) {
    assert_eq!(key(o, call), expected, "call {}\n{}", call + 1, show(o));
}

/// The named refcounts are the same after as before.
fn assert_counts_restored(o: &Outcome, names: &[&str]) {
    for name in names {
        let (before, after) = refcount(o, name);
        assert!(before.is_some(), "{name} was not live before\n{}", show(o));
        assert_eq!(after, before, "{name} changed\n{}", show(o));
    }
}

fn assert_no_findings(o: &Outcome) {
    assert!(
        o.findings.is_empty() && o.harness_error.is_none(),
        "{}",
        show(o)
    );
}

/// A shared file `F` (4 pages) mapped at 0x10000 in `A`, one write call on
/// page 1, the given mode and events.
fn shared_file(mode: &str, events: &str) -> String {
    format!(
        "mode {mode}
mm A
inode F file size=4
vma A 0x10000 0x14000 file F rw shared
call A 0x11008 shared write
{events}"
    )
}

/// A shmem inode `S` (2 pages) mapped shared at 0x40000, one write call on
/// page 1.
fn shmem(mode: &str, events: &str) -> String {
    format!(
        "mode {mode}
mm A
inode S shmem size=2
vma A 0x40000 0x42000 shmem S rw shared
call A 0x41008 shared write
{events}"
    )
}

/// An order-2 THP at 0x54000-0x58000; the call is on tail 2 (0x56ff0).
fn thp(mode: &str, events: &str) -> String {
    format!(
        "mode {mode}
mm A
vma A 0x50000 0x58000 anon thp rw private
anon A 0x54000 thp
call A 0x56ff0 shared write
{events}"
    )
}

/// The yield point right after GUP returned, and its kernel call.
fn after_gup(rev: &str) -> (u32, Op) {
    match rev {
        "v3.12" | "rfc-2013" => (2, Op::PageTail),
        _ => (5, Op::CompoundHead),
    }
}

// ---------------------------------------------------------------------------
// fail: should_fail_futex() fault injection

#[test]
fn fail_armed_before_should_fail_makes_4_6_and_4_7_return_efault_but_3_12_has_no_injection_point() {
    let text = shared_file("strict", "event f fail\nat 1 f\n");
    for rev in BUNDLED {
        let o = run(&text, rev);
        match rev {
            "v4.6" | "v4.7" => {
                assert_yield_is(&o, 2, Op::ShouldFail);
                assert_returned(&o, 0, -EFAULT);
                // It fails before it looks at memory at all.
                assert_eq!(
                    first_yield_at(&o, Op::GetUserPagesFast),
                    None,
                    "{}",
                    show(&o)
                );
            }
            _ => {
                // 3.12 and the RFC on top of it predate fail_futex (4.4).
                assert_eq!(yields_at(&o, Op::ShouldFail), 0);
                assert_key(&o, 0, inode_key(1, 1, 0x11008));
            }
        }
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

#[test]
fn fail_fails_a_private_futex_too_on_the_revisions_that_have_fail_futex() {
    // fail_futex.ignore_private is false by default.
    let text = "\
mm A
call A 0x11008 private write
event f fail
at 1 f
";
    for rev in BUNDLED {
        let o = run(text, rev);
        match rev {
            "v4.6" | "v4.7" => assert_returned(&o, 0, -EFAULT),
            _ => assert_returned(&o, 0, 0),
        }
        assert_refcounts_restored(&o);
        assert_clean(&o);
    }
}

#[test]
fn fail_armed_on_the_anonymous_path_returns_efault_without_leaking_the_page_or_the_mm() {
    let text = |at: u32| {
        format!(
            "mm A
vma A 0x10000 0x12000 anon rw private
anon A 0x11000
call A 0x11008 shared write
event f fail
at {at} f
"
        )
    };
    for rev in ["v4.6", "v4.7"] {
        // Armed at PageAnon, so the should_fail_futex() next to `ro` fires.
        let o = run(&text(7), rev);
        assert_yield_is(&o, 7, Op::PageAnon);
        assert_yield_is(&o, 8, Op::ShouldFail);
        assert_returned(&o, 0, -EFAULT);
        // The page reference from GUP is dropped; no mm_count was taken.
        assert_refcounts_restored(&o);
        assert_clean(&o);
    }
}

// ---------------------------------------------------------------------------
// hold: another thread holds the page lock (what the RFC is about)

#[test]
fn a_page_lock_held_by_another_thread_stalls_3_12_until_it_is_released_but_not_the_lockless_revisions(
) {
    // h takes the lock at yield point 1 and would let go only at 40, after
    // every revision's call and put.
    let text = "\
mm A
inode F file size=4
page F 1
vma A 0x10000 0x14000 file F rw shared
call A 0x11008 shared write
event h hold F 1
at 1 h 1
at 40 h
";
    for rev in BUNDLED {
        let o = run(text, rev);
        assert_key(&o, 0, inode_key(1, 1, 0x11008));
        let locked = expect_event_step(&o, "h", "lock_page");
        let unlocked = expect_event_step(&o, "h", "unlock_page");
        let returned = thread_line(&o, "call 1 returns").unwrap();
        match rev {
            "v3.12" => {
                // lock_page() at #3 sleeps; the holder runs until it unlocks,
                // long before its scheduled yield point 40.
                assert_yield_is(&o, 3, Op::LockPage);
                let sleeps = thread_line(&o, "sleeps: page#6 is locked by h")
                    .unwrap_or_else(|| panic!("v3.12 did not sleep\n{}", show(&o)));
                assert!(yield_index(&o, 3) < sleeps && sleeps < unlocked);
                assert!(unlocked < yield_index(&o, 4));
            }
            _ => {
                // rfc-2013, v4.6 and v4.7 take no page lock on this path: the
                // call completes while the lock is still held.
                assert_eq!(yields_at(&o, Op::LockPage), 0, "{}", show(&o));
                assert_eq!(thread_line(&o, "sleeps"), None);
                assert!(locked < returned && returned < unlocked, "{}", show(&o));
            }
        }
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

// ---------------------------------------------------------------------------
// swapout: shmem reclaim

#[test]
fn a_relaxed_shmem_swapout_right_after_gup_is_retried_and_swapped_back_in_on_every_revision() {
    for rev in BUNDLED {
        let (at, op) = after_gup(rev);
        let o = run(
            &shmem(
                "relaxed",
                &format!("page S 1\nevent s swapout S 1\nat {at} s\n"),
            ),
            rev,
        );
        assert_yield_is(&o, at, op);
        expect_event_step(&o, "s", "moved to the swap cache");
        // mapping NULL + PageSwapCache: `goto again`, whose fault swaps it in.
        assert_eq!(yields_at(&o, Op::GetUserPagesFast), 2, "{}", show(&o));
        assert_key(&o, 0, inode_key(1, 1, 0x41008));
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_no_findings(&o);
    }
}

#[test]
fn a_strict_shmem_swapout_after_gup_is_skipped_because_the_page_is_pinned() {
    for rev in BUNDLED {
        let (at, op) = after_gup(rev);
        let o = run(
            &shmem(
                "strict",
                &format!("page S 1\nevent s swapout S 1\nat {at} s\n"),
            ),
            rev,
        );
        assert_yield_is(&o, at, op);
        expect_event_step(&o, "s", "skipped: the page is pinned");
        assert_eq!(yields_at(&o, Op::GetUserPagesFast), 1);
        assert_key(&o, 0, inode_key(1, 1, 0x41008));
        // The page itself keeps the PTE the call's fault installed.
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

// ---------------------------------------------------------------------------
// swapin: another task faults a swapped shmem page back in

#[test]
fn a_swapout_and_swapin_before_the_null_mapping_is_locked_warns_and_fails_the_rfc_only() {
    // Relaxed: reclaim takes the pinned page after the mapping read (or,
    // for 3.12, before its lock_page), and another task swaps it back in
    // before the page lock is taken.
    for rev in BUNDLED {
        let (out, inn, out_op, in_op) = match rev {
            "v3.12" => (2, 3, Op::PageTail, Op::LockPage),
            "rfc-2013" => (3, 4, Op::ReadOnce, Op::LockPage),
            _ => (6, 7, Op::ReadOnce, Op::LockPage),
        };
        let events =
            format!("event out swapout S 1\nevent in swapin S 1\nat {out} out\nat {inn} in\n");
        let o = run(&shmem("relaxed", &events), rev);
        assert_yield_is(&o, out, out_op);
        assert_yield_is(&o, inn, in_op);
        expect_event_step(&o, "in", "swapped back in");
        match rev {
            "rfc-2013" => {
                // Known defect of the RFC: under the lock the page has its
                // mapping back and is no longer in the swap cache, so it
                // WARNs (WARN_ON_ONCE(mapping)) and returns -EFAULT for a
                // word that never stopped existing. 4.6 fixed it by also
                // retrying when `page->mapping` is set again.
                assert_returned(&o, 0, -EFAULT);
                assert_eq!(classes(&o), vec![FindingClass::Warn], "{}", show(&o));
            }
            _ => {
                // 3.12 locks before it looks; 4.6/4.7 retry.
                assert_key(&o, 0, inode_key(1, 1, 0x41008));
                assert_no_findings(&o);
            }
        }
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
    }
}

// ---------------------------------------------------------------------------
// migrate

#[test]
fn a_relaxed_migration_right_after_gup_leaves_the_old_page_unmapped_and_gives_a_spurious_efault() {
    // Allowed only in relaxed mode: the kernel does not migrate a page
    // with a GUP pin. The old page loses its mapping and is not in the swap
    // cache, which every revision reads as "truncated".
    for rev in BUNDLED {
        let at = match rev {
            "v3.12" => 2,
            "rfc-2013" => 3,
            _ => 6,
        };
        let o = run(
            &shared_file(
                "relaxed",
                &format!("event m migrate A 0x11000\nat {at} m\n"),
            ),
            rev,
        );
        expect_event_step(&o, "m", "migrated away");
        assert_returned(&o, 0, -EFAULT);
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_no_findings(&o);
    }
}

#[test]
fn a_strict_migration_of_the_pinned_page_is_skipped_and_the_call_gets_the_inode_key() {
    for rev in BUNDLED {
        let (at, op) = after_gup(rev);
        let o = run(
            &shared_file("strict", &format!("event m migrate A 0x11000\nat {at} m\n")),
            rev,
        );
        assert_yield_is(&o, at, op);
        expect_event_step(&o, "m", "skipped: the page is pinned");
        assert_key(&o, 0, inode_key(1, 1, 0x11008));
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

#[test]
fn a_relaxed_migration_inside_the_lockless_recheck_window_is_retried_and_finds_the_new_page() {
    for rev in ["rfc-2013", "v4.6", "v4.7"] {
        let (at, op) = match rev {
            "rfc-2013" => (5, Op::RcuReadLock),
            _ => (9, Op::ReadOnce),
        };
        let o = run(
            &shared_file(
                "relaxed",
                &format!("event m migrate A 0x11000\nat {at} m\n"),
            ),
            rev,
        );
        assert_yield_is(&o, at, op);
        expect_event_step(&o, "m", "migrated away");
        // page->mapping != mapping: put the old page and look again.
        assert_eq!(yields_at(&o, Op::GetUserPagesFast), 2, "{}", show(&o));
        assert_key(&o, 0, inode_key(1, 1, 0x11008));
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_no_findings(&o);
    }
}

#[test]
fn a_migration_waits_for_the_page_lock_3_12_holds() {
    let o = run(
        &shared_file("relaxed", "event m migrate A 0x11000\nat 4 m\n"),
        "v3.12",
    );
    assert_yield_is(&o, 4, Op::PageAnon);
    let waits = expect_event_step(&o, "m", "waits: page#6 is locked by the futex thread");
    let migrated = expect_event_step(&o, "m", "migrated away");
    assert!(waits < yield_index(&o, 5));
    assert!(
        yield_index(&o, 7) < migrated,
        "migrated before unlock_page\n{}",
        show(&o)
    );
    assert_yield_is(&o, 7, Op::UnlockPage);
    assert_key(&o, 0, inode_key(1, 1, 0x11008));
    assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
    assert_no_findings(&o);
}

#[test]

fn a_strict_migration_before_the_call_moves_the_unpinned_page_and_the_call_keys_the_same_word() {
    // Yield point 1 is before any GUP on every revision: nothing pins the
    // page but the page cache, so sync migration must succeed.
    let text = "\
mm A
inode F file size=4
page F 1
vma A 0x10000 0x14000 file F rw shared
call A 0x11008 shared write
event m migrate F 1
at 1 m
";
    for rev in BUNDLED {
        let o = run(text, rev);
        expect_event_step(&o, "m", "migrated away");
        assert_key(&o, 0, inode_key(1, 1, 0x11008));
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

// ---------------------------------------------------------------------------
// split: THP split

#[test]
fn a_thp_split_waits_while_3_12_has_irqs_off_and_runs_after_local_irq_enable() {
    // 3.12 (and the RFC, which keeps its THP code) resolves a tail to its
    // head with irqs off; the split needs a TLB-flush IPI and must wait.
    for rev in ["v3.12", "rfc-2013"] {
        let o = run(&thp("strict", "event s split A 0x54000\nat 5 s\n"), rev);
        assert_yield_is(&o, 4, Op::LocalIrqDisable);
        assert_yield_is(&o, 5, Op::GetUserPagesFastIrq);
        let waits = expect_event_step(&o, "s", "waits: the futex thread has irqs off");
        let split = expect_event_step(&o, "s", "split");
        let enabled = first_yield_at(&o, Op::LocalIrqEnable).unwrap();
        assert!(waits < enabled && enabled < split, "{}", show(&o));
        // The head was pinned before irqs came back: the key is still the
        // mm and the tail's own address.
        assert_key(&o, 0, mm_shared_key(1, 0x56ff0));
        assert_counts_restored(&o, &["mm#1.mm_count"]);
        assert!(
            !classes(&o).contains(&FindingClass::UseAfterFree),
            "{}",
            show(&o)
        );
    }
}

#[test]
fn a_strict_split_of_a_pinned_thp_is_refused_from_4_5_on() {
    for rev in ["v4.6", "v4.7"] {
        let o = run(&thp("strict", "event s split A 0x54000\nat 5 s\n"), rev);
        assert_yield_is(&o, 5, Op::CompoundHead);
        expect_event_step(&o, "s", "skipped: the huge page is pinned");
        assert_key(&o, 0, mm_shared_key(1, 0x56ff0));
        assert_refcounts_restored(&o);
        assert_clean(&o);
    }
}

#[test]

fn a_thp_split_before_the_call_leaves_each_sub_page_with_one_reference_per_pte() {
    // Yield point 1 is before any GUP on every revision: nothing but the
    // four PTEs references the THP (head page#6, tails page#7..9).
    for rev in BUNDLED {
        let o = run(&thp("strict", "event s split A 0x54000\nat 1 s\n"), rev);
        expect_event_step(&o, "s", "split");
        assert_key(&o, 0, mm_shared_key(1, 0x56ff0));
        for page in [
            "page#6._count",
            "page#7._count",
            "page#8._count",
            "page#9._count",
        ] {
            assert_eq!(refcount(&o, page).1, Some(1), "{page}\n{}", show(&o));
        }
        assert_counts_restored(&o, &["mm#1.mm_count"]);
        assert_clean(&o);
    }
}

// ---------------------------------------------------------------------------
// munmap

#[test]
fn a_munmap_after_gup_still_gives_the_key_of_the_pinned_page_and_later_calls_fail() {
    for rev in BUNDLED {
        let at = match rev {
            "v3.12" => 2,
            "rfc-2013" => 3,
            _ => 6,
        };
        let text = shared_file(
            "strict",
            &format!("call A 0x11008 shared read\nevent u munmap A 0x10000 0x14000\nat {at} u\n"),
        );
        let o = run(&text, rev);
        expect_event_step(&o, "u", "munmap");
        // The page keeps its page-cache mapping: linearizable before munmap.
        assert_key(&o, 0, inode_key(1, 1, 0x11008));
        assert_returned(&o, 1, -EFAULT);
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

#[test]
fn a_munmap_during_3_12s_irqs_off_window_waits_for_the_tlb_flush_ipi() {
    for rev in ["v3.12", "rfc-2013"] {
        let o = run(
            &thp("strict", "event u munmap A 0x54000 0x58000\nat 5 u\n"),
            rev,
        );
        assert_yield_is(&o, 5, Op::GetUserPagesFastIrq);
        let waits = expect_event_step(&o, "u", "waits: the futex thread has irqs off");
        let unmapped = expect_event_step(&o, "u", "munmap mm#1");
        let enabled = first_yield_at(&o, Op::LocalIrqEnable).unwrap();
        assert!(waits < enabled && enabled < unmapped, "{}", show(&o));
        // The pinned head is still anonymous: the mm key of the tail address.
        assert_key(&o, 0, mm_shared_key(1, 0x56ff0));
        assert_counts_restored(&o, &["mm#1.mm_count"]);
        assert_clean(&o);
    }
}

// ---------------------------------------------------------------------------
// mprotect

#[test]
fn an_mprotect_to_read_only_before_gup_fails_verify_write_but_verify_read_still_gets_the_inode_key()
{
    // Yield point 1 is the first GUP (3.12, rfc-2013) or access_ok (4.x):
    // the mprotect runs before the first GUP looks at the page tables.
    let text = shared_file(
        "strict",
        "call A 0x11008 shared read\nevent p mprotect A 0x10000 0x14000 r\nat 1 p\n",
    );
    for rev in BUNDLED {
        let o = run(&text, rev);
        match rev {
            "v3.12" | "rfc-2013" => assert_yield_is(&o, 1, Op::GetUserPagesFast),
            _ => assert_yield_is(&o, 1, Op::AccessOk),
        }
        expect_event_step(&o, "p", "mprotect mm#1 0x10000-0x14000 r");
        assert_returned(&o, 0, -EFAULT);
        assert_key(&o, 1, inode_key(1, 1, 0x11008));
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

#[test]
fn an_mprotect_during_3_12s_irqs_off_window_waits_for_the_tlb_flush_ipi() {
    let o = run(
        &thp("strict", "event p mprotect A 0x54000 0x58000 r\nat 5 p\n"),
        "v3.12",
    );
    assert_yield_is(&o, 5, Op::GetUserPagesFastIrq);
    let waits = expect_event_step(&o, "p", "waits: the futex thread has irqs off");
    let done = expect_event_step(&o, "p", "mprotect mm#1");
    let enabled = first_yield_at(&o, Op::LocalIrqEnable).unwrap();
    assert!(waits < enabled && enabled < done, "{}", show(&o));
    // The write GUP succeeded before the protection changed.
    assert_key(&o, 0, mm_shared_key(1, 0x56ff0));
    assert_counts_restored(&o, &["mm#1.mm_count"]);
    assert_clean(&o);
}

// ---------------------------------------------------------------------------
// truncate, punch, invalidate

#[test]
fn a_truncate_after_gup_fails_every_revision_with_efault() {
    // The kernel's own comment lists a truncated page among the cases it is
    // happy to fail; v3.12 finds mapping NULL under its page lock.
    for rev in BUNDLED {
        let (at, op) = after_gup(rev);
        let o = run(
            &shared_file("strict", &format!("event t truncate F to=0\nat {at} t\n")),
            rev,
        );
        assert_yield_is(&o, at, op);
        expect_event_step(&o, "t", "mapping = NULL");
        assert_returned(&o, 0, -EFAULT);
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

#[test]
fn a_file_grown_between_the_write_request_and_the_read_only_retry_gives_the_inode_key() {
    // FUTEX_WAIT on a writable private file mapping past the end of the
    // file: the write request faults (SIGBUS), the file grows, and the
    // read-only retry finds the page-cache page. Every revision keys on
    // the inode, and the meaning oracle accepts it: the retry means what
    // it finds on the state it runs on.
    let scenario = "mode strict
mm A
inode F file size=0
vma A 0x50000 0x51000 file F rw private
call A 0x50004 shared read
event g truncate F to=4
at call 1 before 2nd get_user_pages_fast g
";
    for rev in BUNDLED {
        let o = run(scenario, rev);
        let retry = o
            .trace
            .entries
            .iter()
            .position(|e| {
                matches!(
                    e,
                    Entry::Yield {
                        op: Op::GetUserPagesFast,
                        ..
                    }
                )
            })
            .map(|first| first + 1)
            .unwrap();
        let grown = expect_event_step(&o, "g", "i_size of inode#1 = 4 pages");
        assert!(
            matches!(
                &o.trace.entries[retry],
                Entry::Yield {
                    op: Op::GetUserPagesFast,
                    ..
                }
            ) && retry < grown
                && o.trace.entries[retry + 1..grown]
                    .iter()
                    .all(|e| !matches!(e, Entry::Yield { .. })),
            "the file grows just before the read-only retry\n{}",
            show(&o)
        );
        assert_key(&o, 0, inode_key(1, 0, 0x50004));
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
        let revision = futex_diff::revision::find(rev).unwrap();
        let parsed = futex_diff::scenario::parse(scenario).unwrap();
        let report = oracle::check(&parsed, revision, oracle::Checks::REPORT).unwrap();
        assert!(report.found.is_empty(), "{rev}: {:?}", report.found);
    }
}

#[test]
fn a_truncate_waits_for_the_page_lock_3_12_holds_and_the_call_gets_the_inode_key() {
    let o = run(
        &shared_file("strict", "event t truncate F to=0\nat 4 t\n"),
        "v3.12",
    );
    assert_yield_is(&o, 4, Op::PageAnon);
    assert_yield_is(&o, 7, Op::UnlockPage);
    let waits = expect_event_step(&o, "t", "waits: page#6 is locked by the futex thread");
    let truncated = expect_event_step(&o, "t", "mapping = NULL");
    assert!(waits < yield_index(&o, 5));
    assert!(yield_index(&o, 7) < truncated, "{}", show(&o));
    assert_key(&o, 0, inode_key(1, 1, 0x11008));
    assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
    assert_clean(&o);
}

#[test]
fn a_truncate_after_the_lockless_rcu_recheck_still_gives_the_inode_key() {
    // Linearizable before the truncate: the recheck saw the page in the
    // file, and truncation does not drop the inode's last reference.
    for rev in ["rfc-2013", "v4.6", "v4.7"] {
        let (at, op) = match rev {
            "rfc-2013" => (6, Op::AtomicIncNotZero),
            _ => (10, Op::ReadOnce),
        };
        let o = run(
            &shared_file("strict", &format!("event t truncate F to=0\nat {at} t\n")),
            rev,
        );
        assert_yield_is(&o, at, op);
        expect_event_step(&o, "t", "mapping = NULL");
        assert_key(&o, 0, inode_key(1, 1, 0x11008));
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

#[test]
fn a_truncate_inside_the_lockless_recheck_window_is_retried_and_fails_beyond_eof() {
    for rev in ["rfc-2013", "v4.6", "v4.7"] {
        let (at, op) = match rev {
            "rfc-2013" => (5, Op::RcuReadLock),
            _ => (9, Op::ReadOnce),
        };
        let o = run(
            &shared_file("strict", &format!("event t truncate F to=0\nat {at} t\n")),
            rev,
        );
        assert_yield_is(&o, at, op);
        // The retry's fault is past the new EOF: SIGBUS, so -EFAULT.
        assert_eq!(yields_at(&o, Op::GetUserPagesFast), 2, "{}", show(&o));
        assert_returned(&o, 0, -EFAULT);
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

#[test]
fn a_hole_punch_is_a_sanctioned_efault_for_3_12_but_the_lockless_recheck_retries_into_a_new_page() {
    for rev in BUNDLED {
        let (at, op) = match rev {
            "v3.12" => (2, Op::PageTail),
            "rfc-2013" => (5, Op::RcuReadLock),
            _ => (9, Op::ReadOnce),
        };
        let o = run(
            &shared_file("strict", &format!("event p punch F from=1\nat {at} p\n")),
            rev,
        );
        assert_yield_is(&o, at, op);
        expect_event_step(&o, "p", "mapping = NULL");
        match rev {
            // mapping NULL under the lock, not swap cache: "truncated".
            "v3.12" => assert_returned(&o, 0, -EFAULT),
            // The size is unchanged: the retry faults in a fresh page.
            _ => assert_key(&o, 0, inode_key(1, 1, 0x11008)),
        }
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

#[test]
fn an_invalidate_waits_for_3_12s_page_lock_and_the_lockless_revisions_retry_into_a_new_page() {
    for rev in BUNDLED {
        let (at, op) = match rev {
            "v3.12" => (4, Op::PageAnon),
            "rfc-2013" => (5, Op::RcuReadLock),
            _ => (9, Op::ReadOnce),
        };
        let o = run(
            &shared_file("strict", &format!("event i invalidate F\nat {at} i\n")),
            rev,
        );
        assert_yield_is(&o, at, op);
        let dropped = expect_event_step(&o, "i", "mapping = NULL");
        match rev {
            "v3.12" => {
                expect_event_step(&o, "i", "waits: page#6 is locked by the futex thread");
                assert!(yield_index(&o, 7) < dropped, "{}", show(&o));
                assert_eq!(yields_at(&o, Op::GetUserPagesFast), 1);
            }
            _ => assert_eq!(yields_at(&o, Op::GetUserPagesFast), 2, "{}", show(&o)),
        }
        assert_key(&o, 0, inode_key(1, 1, 0x11008));
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_clean(&o);
    }
}

// ---------------------------------------------------------------------------
// iput (with eviction) and reuse of the freed inode's slot

/// munmap, the last iput (evict + RCU free) and a new inode at the freed
/// slot, all at yield point `at`.
fn evict_and_reuse(at: u32) -> String {
    shared_file(
        "strict",
        &format!(
            "event u munmap A 0x10000 0x14000
event i iput F
event r reuse F shmem size=4
at {at} u
at {at} i
at {at} r
"
        ),
    )
}

fn reused_inode() -> KeyObject {
    KeyObject::Inode(InodeRef {
        slot: InodeId(1),
        generation: 2,
    })
}

#[test]
fn eviction_and_slot_reuse_between_the_lockless_mapping_read_and_the_rcu_section_give_efault_and_no_use_after_free(
) {
    // The mapping pointer was read before the inode was freed and its slot
    // reused; the recheck inside the read section sees page->mapping NULL
    // (eviction truncated the page) and retries, and the retry finds the
    // vma gone. Nothing dereferences the freed inode, and no key names the
    // new one.
    for rev in ["rfc-2013", "v4.6", "v4.7"] {
        let (at, op) = match rev {
            "rfc-2013" => (4, Op::PageAnon),
            _ => (7, Op::PageAnon),
        };
        let o = run(&evict_and_reuse(at), rev);
        assert_yield_is(&o, at, op);
        let freed = expect_event_step(&o, "i", "freed (poisoned)");
        let reused = expect_event_step(&o, "r", "new inode");
        let rcu = first_yield_at(&o, Op::RcuReadLock).unwrap();
        assert!(freed < reused && reused < rcu, "{}", show(&o));
        assert_returned(&o, 0, -EFAULT);
        assert_eq!(o.calls[0].put, None, "no key, no put");
        assert_no_findings(&o);
        // The new inode's single reference is untouched.
        assert_eq!(refcount(&o, "inode#1.i_count").1, Some(1));
        assert_counts_restored(&o, &["mm#1.mm_count"]);
    }
}

#[test]
fn eviction_inside_the_lockless_rcu_section_waits_for_the_grace_period_and_the_failed_inc_not_zero_warns(
) {
    // i_count is 0 when the call tries atomic_inc_not_zero(): the kernel
    // code WARNs (the RFC's "warn for now", WARN_ON_ONCE in 4.6) and
    // retries. The free waits for the read section open since before
    // call_rcu(), so the inode is never used after it is freed.
    for rev in ["rfc-2013", "v4.6", "v4.7"] {
        let at = match rev {
            "rfc-2013" => 6,
            _ => 11,
        };
        let o = run(&evict_and_reuse(at), rev);
        assert_yield_is(&o, at, Op::AtomicIncNotZero);
        let waits = expect_event_step(&o, "i", "waits: the grace period waits");
        let freed = expect_event_step(&o, "i", "freed (poisoned)");
        let unlock = first_yield_at(&o, Op::RcuReadUnlock).unwrap();
        assert!(waits < unlock && unlock < freed, "{}", show(&o));
        expect_event_step(&o, "r", "new inode");
        assert_returned(&o, 0, -EFAULT);
        assert_eq!(classes(&o), vec![FindingClass::Warn], "{}", show(&o));
        assert_counts_restored(&o, &["mm#1.mm_count"]);
    }
}

#[test]
fn v3_12_iholds_an_inode_whose_eviction_has_begun_and_its_key_then_names_the_reused_slot() {
    // Known 3.12 defect, and the reason 4.6 uses atomic_inc_not_zero():
    // the page lock does not stop the last iput(). i_count reaches 0, evict()
    // waits for our page lock to truncate, we ihold() the dying inode
    // (ihold WARNs: i_count was 0), and eviction, which never re-checks
    // i_count, frees it. By the time the call returns the slot holds a new
    // inode, which the key now names.
    let o = run(&evict_and_reuse(4), "v3.12");
    assert_yield_is(&o, 4, Op::PageAnon);
    expect_event_step(&o, "i", "last reference, eviction starts");
    let waits = expect_event_step(&o, "i", "waits: page#6 is locked by the futex thread");
    assert!(waits < first_yield_at(&o, Op::Ihold).unwrap());
    assert_returned(&o, 0, 0);
    assert_eq!(
        key(&o, 0),
        Key {
            word: 1,
            object: reused_inode(),
            offset: 0x8 | FUT_OFF_INODE
        },
        "{}",
        show(&o)
    );
    assert!(
        o.findings.iter().any(|f| f.class == FindingClass::Warn
            && f.summary
                .contains("ihold() on inode#1 with no other reference")),
        "{}",
        show(&o)
    );
}

#[test]
fn an_iput_of_a_mapped_inode_waits_in_strict_mode() {
    // No call holds a reference when the last iput is tried: the mapping's
    // file does, so eviction cannot start.
    let o = run(&shared_file("strict", "event i iput F\nat 100 i\n"), "v4.7");
    assert_key(&o, 0, inode_key(1, 1, 0x11008));
    assert_eq!(o.stuck.len(), 1, "{}", show(&o));
    assert!(o.stuck[0].1.contains("still mapped"), "{}", show(&o));
    assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
    assert_clean(&o);
}

#[test]

fn an_iput_of_a_mapped_inode_waits_in_strict_mode_even_while_a_futex_key_pins_it() {
    // The iput is tried at yield point 1 (waits: still mapped) and again at
    // every later point, including after the call took its own reference.
    for rev in BUNDLED {
        let o = run(&shared_file("strict", "event i iput F\nat 1 i\n"), rev);
        assert_key(&o, 0, inode_key(1, 1, 0x11008));
        // The vma still maps the inode after the call: it must still be live,
        // with the reference it started with.
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count"]);
        assert_eq!(thread_line(&o, "evicts inode#1"), None, "{}", show(&o));
        assert_eq!(o.stuck.len(), 1, "{}", show(&o));
        assert_clean(&o);
    }
}

// ---------------------------------------------------------------------------
// fork and cow

#[test]
fn a_fork_during_the_parents_call_gives_the_child_the_same_inode_key_and_its_own_mm_key() {
    let text = "\
mm A
mm B
inode F file size=4
vma A 0x10000 0x14000 file F rw shared
vma A 0x20000 0x22000 anon rw private
anon A 0x21000
call A 0x11008 shared write
call B 0x11008 shared write
call B 0x21008 shared write
call A 0x21008 shared write
event f fork A B
at 1 f
";
    for rev in BUNDLED {
        let o = run(text, rev);
        expect_event_step(&o, "f", "fork: mm#1 -> mm#2");
        // One shared file word: one key in both processes.
        assert_key(&o, 0, inode_key(1, 1, 0x11008));
        assert_eq!(key(&o, 0), key(&o, 1));
        // Private anonymous memory is per process after fork: two words.
        assert_key(&o, 2, mm_shared_key(2, 0x21008));
        assert_key(&o, 3, mm_shared_key(1, 0x21008));
        assert_ne!(key(&o, 2), key(&o, 3));
        assert_counts_restored(&o, &["inode#1.i_count", "mm#1.mm_count", "mm#2.mm_count"]);
        assert_clean(&o);
    }
}

#[test]
fn a_cow_by_the_other_process_after_gup_leaves_the_callers_mm_key_alone() {
    // A and B share a COW page after fork; B's call breaks COW for itself,
    // then A writes the page too.
    for rev in BUNDLED {
        let (at, op) = after_gup(rev);
        let text = format!(
            "mm A
mm B
vma A 0x20000 0x22000 anon rw private
anon A 0x21000
fork A B
call B 0x21008 shared write
event c cow A 0x21000
at {at} c
"
        );
        let o = run(&text, rev);
        assert_yield_is(&o, at, op);
        expect_event_step(&o, "c", "mm#1 writes 0x21000");
        assert_key(&o, 0, mm_shared_key(2, 0x21008));
        assert_counts_restored(&o, &["mm#1.mm_count", "mm#2.mm_count"]);
        assert_clean(&o);
    }
}

// ---------------------------------------------------------------------------
// the corpus

#[test]
fn every_race_scenario_in_the_corpus_runs_without_a_harness_error() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut kinds = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("corpus/ exists") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with("race-") && name.ends_with(".scn")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let scenario = futex_diff::scenario::parse(&text)
            .unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
        for e in &scenario.events {
            kinds.insert(
                format!("{:?}", e.kind)
                    .split([' ', '(', '{'])
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
        for rev in BUNDLED.into_iter().chain(BUNDLED_5X) {
            let Some(o) = run_if_in_era(&text, rev) else {
                continue;
            };
            assert!(
                o.harness_error.is_none(),
                "{name} on {rev}: {:?}",
                o.harness_error
            );
            assert_ne!(
                o.calls[0].result,
                CallResult::Aborted,
                "{name} on {rev}\n{}",
                show(&o)
            );
        }
    }
    // One scenario at least per event kind.
    assert_eq!(
        kinds.len(),
        futex_diff::events::EventKind::KINDS.len(),
        "event kinds in race-*.scn: {kinds:?}"
    );
}

#[test]
fn a_umount_waits_for_an_eviction_another_event_started_and_never_spins() {
    // iput of F runs one step (the last reference: eviction starts, its
    // truncation is never scheduled); the umount of F's filesystem then
    // waits for that eviction instead of re-queueing itself forever.
    let o = run(
        "mm A
inode F file size=1
page F 0
inode G shmem size=1
vma A 0x10000 0x11000 shmem G rw shared
call A 0x10008 shared write
event i iput F
event u umount F
at 1 i 1
at 1 u
",
        "v5.13",
    );
    assert_eq!(o.calls[0].result, CallResult::Returned(0));
    assert!(
        o.stuck
            .iter()
            .any(|(name, why)| name == "u" && why.contains("inode#1")),
        "{:?}",
        o.stuck
    );
}
