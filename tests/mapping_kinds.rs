//! What key each kind of mapping gives, with no concurrent events, on every
//! bundled revision: the exact return value, the exact key (word, object,
//! offset with its FUT_OFF_* bits) and that `put_futex_key()` gives back
//! every reference `get_futex_key()` took (docs/model.md §1 and §2, "the
//! reference semantics").
//!
//! Where a revision is known to get a case wrong (v4.6's hugetlbfs index,
//! rfc-2013's hugetlbfs tail livelock, 3.12's read-only THP livelock) the
//! test asserts that revision's defect explicitly, with a comment saying
//! which kernel commit fixed it.

mod common;

use common::*;
use futex_diff::exec::Outcome;
use futex_diff::finding::FindingClass;
use futex_diff::implementation::CallResult;
use futex_diff::key::{Key, FUT_OFF_INODE, FUT_OFF_MMSHARED};
use futex_diff::world::Counter;

const PAGE_SIZE: u64 = 4096;

/// Runs `text` on every bundled revision and hands each outcome to `check`.
fn on_every_revision(text: &str, check: impl Fn(&str, &Outcome)) {
    for rev in BUNDLED {
        let outcome = run(text, rev);
        check(rev, &outcome);
    }
}

/// A private key: `(mm, address & PAGE_MASK, address % PAGE_SIZE)`.
fn private_key(mm_slot: usize, address: u64) -> Key {
    Key {
        word: address & !(PAGE_SIZE - 1),
        object: mm(mm_slot),
        offset: (address % PAGE_SIZE) as i32,
    }
}

/// A shared key on an anonymous page: the private key plus FUT_OFF_MMSHARED.
fn mm_shared_key(mm_slot: usize, address: u64) -> Key {
    Key {
        offset: (address % PAGE_SIZE) as i32 | FUT_OFF_MMSHARED,
        ..private_key(mm_slot, address)
    }
}

/// A shared key on a page-cache page: `(inode, pgoff, offset | FUT_OFF_INODE)`.
fn inode_key(inode_slot: usize, pgoff: u64, address: u64) -> Key {
    Key {
        word: pgoff,
        object: inode(inode_slot),
        offset: (address % PAGE_SIZE) as i32 | FUT_OFF_INODE,
    }
}

/// The mm and inode refcounts are back where they started. Pages are left
/// out: the call itself may legitimately map a page (a fault, a swap-in).
fn assert_object_refcounts_restored(outcome: &Outcome) {
    for (name, before) in &outcome.before {
        if matches!(name, Counter::PageCount(_)) {
            continue;
        }
        let (_, after) = refcount(outcome, &name.to_string());
        assert_eq!(
            after,
            Some(*before),
            "{}: {name} changed\n{}",
            outcome.revision,
            outcome.trace.render("?")
        );
    }
}

fn assert_returned(outcome: &Outcome, call: usize, code: i32) {
    assert_eq!(
        result(outcome, call),
        returned(code),
        "{}: call {} returned the wrong value\n{}",
        outcome.revision,
        call + 1,
        outcome.trace.render("?")
    );
}

fn assert_key(outcome: &Outcome, call: usize, expected: Key) {
    assert_eq!(
        key(outcome, call),
        expected,
        "{}: call {} got the wrong key",
        outcome.revision,
        call + 1
    );
}

#[test]
fn fut_off_bits_have_the_kernels_values() {
    assert_eq!(FUT_OFF_INODE, 1);
    assert_eq!(FUT_OFF_MMSHARED, 2);
}

#[test]
fn a_private_futex_keys_on_the_mm_and_page_address_and_takes_no_reference() {
    let text = "\
mm A
vma A 0x10000 0x12000 anon rw private
anon A 0x10000
call A 0x10ff8 private write
call A 0x11004 private read
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, 0);
        assert_key(o, 0, private_key(1, 0x10ff8));
        assert_key(o, 1, private_key(1, 0x11004));
        assert_eq!(key(o, 0).offset, 0xff8, "no FUT_OFF bit on a private key");
        // A private key pins nothing: the mm count never moves.
        assert_eq!(refcount(o, "mm#1.mm_count"), (Some(1), Some(1)));
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_private_futex_on_an_unmapped_user_address_succeeds_because_private_keys_do_not_touch_memory() {
    let text = "\
mm A
call A 0x50000 private write
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, 0);
        assert_key(o, 0, private_key(1, 0x50000));
        // No page was looked up, let alone faulted in.
        assert!(
            !o.trace
                .yields()
                .any(|(op, _)| op.name().contains("get_user_pages")),
            "{}: a private futex called GUP",
            o.revision
        );
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_private_futex_above_task_size_is_efault() {
    let text = "\
mm A
call A 0xffff800000000000 private write
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, -EFAULT);
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_misaligned_address_is_einval_for_private_and_shared_futexes() {
    let text = "\
mm A
vma A 0x10000 0x11000 anon rw private
call A 0x10ff9 private write
call A 0x10002 shared write
call A 0x10003 shared read
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, -EINVAL);
        assert_returned(o, 1, -EINVAL);
        assert_returned(o, 2, -EINVAL);
        // The alignment check comes before any memory is touched.
        assert_eq!(o.yields, 0, "{}: yielded before -EINVAL", o.revision);
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_shared_futex_on_private_anonymous_memory_is_an_mm_key_with_fut_off_mmshared() {
    let text = "\
mm A
vma A 0x10000 0x12000 anon rw private
anon A 0x11000
call A 0x11010 shared write
call A 0x10ffc shared read
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, 0);
        assert_key(o, 0, mm_shared_key(1, 0x11010));
        // Untouched memory is faulted in by the write GUP: the same kind of key.
        assert_key(o, 1, mm_shared_key(1, 0x10ffc));
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn shared_anonymous_memory_is_shmem_and_gets_an_inode_key() {
    // MAP_SHARED|MAP_ANONYMOUS is backed by a shmem inode: PageAnon is false.
    let text = "\
mm A
inode S shmem size=4
vma A 0x20000 0x24000 shmem S pgoff=1 rw shared
call A 0x21020 shared write
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, 0);
        assert_key(o, 0, inode_key(1, 2, 0x21020));
        assert_refcounts_restored(o);
        assert_clean(o);
    });
    // The scenario language refuses a shared anon vma: it must be shmem.
    let scenario = futex_diff::scenario::parse(
        "mm A\nvma A 0x20000 0x24000 anon rw shared\ncall A 0x20000 shared write\n",
    )
    .expect("parses");
    let rev = futex_diff::revision::find("v4.7").unwrap();
    assert!(futex_diff::exec::build(&scenario, rev.era()).is_err());
}

#[test]
fn a_shared_file_mapping_keys_on_the_inode_with_vm_pgoff_plus_the_page_index() {
    let text = "\
mm A
inode F file size=16
vma A 0x30000 0x34000 file F pgoff=5 rw shared
call A 0x30000 shared write
call A 0x33ffc shared write
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, 0);
        assert_key(o, 0, inode_key(1, 5, 0x30000));
        assert_key(o, 1, inode_key(1, 5 + 3, 0x33ffc));
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_read_only_private_file_mapping_read_with_verify_read_is_an_inode_key_but_efault_for_verify_write(
) {
    let text = "\
mm A
inode F file size=4
vma A 0x30000 0x34000 file F r private
call A 0x31004 shared read
call A 0x31004 shared write
";
    on_every_revision(text, |_, o| {
        // Not yet COWed: the page-cache page, so the file's inode.
        assert_returned(o, 0, 0);
        assert_key(o, 0, inode_key(1, 1, 0x31004));
        assert_returned(o, 1, -EFAULT);
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_written_private_file_mapping_is_cowed_to_an_anonymous_page_and_an_mm_key() {
    let text = "\
mm A
inode F file size=4
page F 1
vma A 0x40000 0x44000 file F rw private
call A 0x41004 shared write
call A 0x41008 shared read
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, 0);
        assert_key(o, 0, mm_shared_key(1, 0x41004));
        // Once COWed, the word lives in the anonymous copy, whatever rw says.
        assert_key(o, 1, mm_shared_key(1, 0x41008));
        // The page-cache page is left alone: the COW copied it.
        assert_eq!(refcount(o, "page#6._count"), (Some(1), Some(1)));
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn two_mms_mapping_one_shmem_page_at_different_addresses_get_equal_keys() {
    let text = "\
mm A
mm B
inode S shmem size=4
page S 2
vma A 0x20000 0x24000 shmem S rw shared
vma B 0x70000 0x74000 shmem S rw shared
call A 0x22040 shared write
call B 0x72040 shared write
";
    on_every_revision(text, |_, o| {
        assert_key(o, 0, inode_key(1, 2, 0x22040));
        assert_eq!(
            key(o, 0),
            key(o, 1),
            "{}: waiter and waker disagree",
            o.revision
        );
        assert_object_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn one_file_mapped_twice_at_different_addresses_in_one_mm_gives_equal_keys() {
    // 0x81100 is page 1 of a pgoff=3 vma, 0x92100 page 2 of a pgoff=2 vma:
    // both are page 4 of the file.
    let text = "\
mm A
inode F file size=8
vma A 0x80000 0x82000 file F pgoff=3 rw shared
vma A 0x90000 0x93000 file F pgoff=2 rw shared
call A 0x81100 shared write
call A 0x92100 shared write
";
    on_every_revision(text, |_, o| {
        assert_key(o, 0, inode_key(1, 4, 0x81100));
        assert_eq!(key(o, 0), key(o, 1), "{}: one word, two keys", o.revision);
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn different_words_get_distinct_keys() {
    let text = "\
mm A
inode F file size=4
inode G file size=4
vma A 0x10000 0x11000 file F rw shared
vma A 0x20000 0x21000 file G rw shared
vma A 0x30000 0x31000 anon rw private
call A 0x10008 shared write
call A 0x20008 shared write
call A 0x30008 shared write
call A 0x30008 private write
";
    on_every_revision(text, |_, o| {
        assert_key(o, 0, inode_key(1, 0, 0x10008));
        assert_key(o, 1, inode_key(2, 0, 0x20008));
        assert_key(o, 2, mm_shared_key(1, 0x30008));
        assert_key(o, 3, private_key(1, 0x30008));
        let keys: Vec<Key> = (0..4).map(|i| key(o, i)).collect();
        for i in 0..4 {
            for j in i + 1..4 {
                assert_ne!(
                    keys[i], keys[j],
                    "{}: calls {i} and {j} collide",
                    o.revision
                );
            }
        }
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn hugetlbfs_sub_pages_get_the_index_of_their_own_base_page() {
    // order=2: a huge page is 4 base pages (0x4000 bytes); the vma is
    // aligned to it. Sub-page 0 and 1 of huge page 0, sub-page 1 of huge
    // page 1 (base page 5).
    let text = "\
mm A
inode H hugetlbfs order=2 size=8
vma A 0x400000 0x408000 hugetlbfs H rw shared
call A 0x400010 shared write
call A 0x401010 shared write
call A 0x405010 shared write
";
    on_every_revision(text, |rev, o| {
        assert_key(o, 0, inode_key(1, 0, 0x400010));
        match rev {
            "v4.6" => {
                // Known defect, fixed in 4.7 ("futex: Calculate the futex key
                // based on a tail page for file-based futexes"): v4.6 takes
                // basepage_index() of the head, so every sub-page of a huge
                // page shares the head's key.
                assert_key(o, 1, inode_key(1, 0, 0x401010));
                assert_key(o, 2, inode_key(1, 4, 0x405010));
                assert_refcounts_restored(o);
                assert_clean(o);
            }
            "rfc-2013" => {
                // Known defect of the RFC: its RCU recheck compares the
                // mapping of `page` (the tail, whose mapping is NULL) with
                // the head's mapping, never matches, and retries forever.
                assert_eq!(result(o, 1), CallResult::Aborted);
                assert!(
                    classes(o).contains(&FindingClass::Livelock),
                    "{rev}: {:?}",
                    o.findings
                );
            }
            _ => {
                assert_key(o, 1, inode_key(1, 1, 0x401010));
                assert_key(o, 2, inode_key(1, 5, 0x405010));
                assert_ne!(key(o, 0), key(o, 1));
                assert_refcounts_restored(o);
                assert_clean(o);
            }
        }
    });
}

#[test]
fn a_verify_read_of_untouched_read_only_private_anon_memory_maps_the_zero_page_and_is_efault() {
    let text = "\
mm A
vma A 0x10000 0x12000 anon r private
call A 0x10010 shared read
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, -EFAULT);
        // The read GUP faulted in the zero page, whose mapping is NULL.
        assert!(
            o.trace
                .yields()
                .any(|(_, arg)| arg.to_string().contains("ZERO_PAGE")),
            "{}: the zero page was never looked at\n{}",
            o.revision,
            o.trace.render("?")
        );
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn an_existing_read_only_anonymous_page_is_efault() {
    let text = "\
mm A
vma A 0x10000 0x12000 anon r private
anon A 0x11000
call A 0x11010 shared read
call A 0x11010 shared write
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, -EFAULT);
        assert_returned(o, 1, -EFAULT);
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn the_zero_page_in_a_writable_private_vma_is_replaced_and_gives_an_mm_key() {
    let text = "\
mm A
vma A 0x10000 0x12000 anon rw private
anon A 0x11000 zero
call A 0x11008 shared read
";
    on_every_revision(text, |_, o| {
        // The first GUP asks for write access, which breaks the zero page's COW.
        assert_returned(o, 0, 0);
        assert_key(o, 0, mm_shared_key(1, 0x11008));
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_read_only_shared_file_mapping_is_efault_for_verify_write_and_an_inode_key_for_verify_read() {
    let text = "\
mm A
inode F file size=8
vma A 0x90000 0x93000 file F pgoff=2 r shared
call A 0x91100 shared write
call A 0x91100 shared read
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, -EFAULT);
        assert_returned(o, 1, 0);
        assert_key(o, 1, inode_key(1, 3, 0x91100));
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn an_unmapped_address_is_efault_for_a_shared_futex() {
    let text = "\
mm A
vma A 0x10000 0x11000 anon rw private
call A 0x60000 shared write
call A 0x60000 shared read
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, -EFAULT);
        assert_returned(o, 1, -EFAULT);
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_shared_futex_above_task_size_is_efault() {
    let text = "\
mm A
call A 0xffff800000000000 shared read
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, -EFAULT);
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_prot_none_vma_is_efault() {
    let text = "\
mm A
vma A 0x20000 0x21000 anon none private
inode F file size=1
vma A 0x30000 0x31000 file F none shared
call A 0x20000 shared read
call A 0x30000 shared read
call A 0x30000 shared write
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, -EFAULT);
        assert_returned(o, 1, -EFAULT);
        assert_returned(o, 2, -EFAULT);
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_special_mapping_is_efault() {
    // A vDSO / gate-area page: GUP finds it, but its mapping is NULL.
    let text = "\
mm A
vma A 0x30000 0x31000 special r private
call A 0x30000 shared read
call A 0x30000 shared write
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, -EFAULT);
        assert_returned(o, 1, -EFAULT);
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_swapped_out_shmem_page_is_swapped_back_in_and_gets_an_inode_key() {
    let text = "\
mm A
inode S shmem size=2
page S 0 swapped
vma A 0x40000 0x42000 shmem S rw shared
call A 0x40008 shared write
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, 0);
        assert_key(o, 0, inode_key(1, 0, 0x40008));
        // The page itself gains the PTE the swap-in fault installed.
        assert_eq!(refcount(o, "page#6._count"), (Some(1), Some(2)));
        assert_object_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_thp_tail_address_gets_an_mm_key_with_the_tails_own_address() {
    // Order 2: the THP covers 0x54000-0x58000; 0x56ff0 lies in tail 2.
    let text = "\
mm A
vma A 0x50000 0x58000 anon thp rw private
anon A 0x54000 thp
call A 0x56ff0 shared write
call A 0x54000 shared write
";
    on_every_revision(text, |_, o| {
        assert_returned(o, 0, 0);
        assert_key(o, 0, mm_shared_key(1, 0x56ff0));
        assert_key(o, 1, mm_shared_key(1, 0x54000));
        assert_ne!(key(o, 0), key(o, 1));
        assert_refcounts_restored(o);
        assert_clean(o);
    });
}

#[test]
fn a_read_of_untouched_read_only_thp_memory_is_efault_but_livelocks_3_12_and_the_rfc() {
    // The read fault maps the huge zero page; 0x55000 is one of its tails.
    let text = "\
mm A
vma A 0x50000 0x58000 anon thp r private
call A 0x55000 shared read
";
    on_every_revision(text, |rev, o| match rev {
        "v3.12" | "rfc-2013" => {
            // Known defect, fixed in 3.13 ("futex: fix handling of
            // read-only-mapped hugepages"): the tail is looked up again
            // with __get_user_pages_fast(write=1), which a read-only PTE
            // never satisfies, so the call goes back to `again` forever.
            assert_eq!(result(o, 0), CallResult::Aborted);
            assert!(
                classes(o).contains(&FindingClass::Livelock),
                "{rev}: {:?}",
                o.findings
            );
        }
        _ => {
            assert_returned(o, 0, -EFAULT);
            assert_refcounts_restored(o);
            assert_clean(o);
        }
    });
}

#[test]
fn every_mapping_scenario_in_the_corpus_runs_without_a_harness_error() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus/ exists") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with("map-") && name.ends_with(".scn")) {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        for rev in BUNDLED.into_iter().chain(BUNDLED_5X) {
            let Some(o) = run_if_in_era(&text, rev) else {
                continue;
            };
            assert!(
                o.harness_error.is_none(),
                "{name} on {rev}: {:?}",
                o.harness_error
            );
            assert!(!o.calls.is_empty(), "{name} on {rev} made no call");
        }
    }
    assert!(seen >= 10, "only {seen} map-*.scn scenarios in corpus/");
}
