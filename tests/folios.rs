//! The kernels of 6.7 on (era 6.7): `get_futex_key()` takes futex flags
//! and works on folios laid over their head pages, and a hugetlb folio's
//! index counts base pages. v6.8 and v6.13 on every bundled mapping kind
//! (C; the lockstep tests hold their port to the same yield points).

mod common;

use common::*;
use futex_diff::finding::FindingClass;
use futex_diff::key::FUT_OFF_INODE;
use futex_diff::op::Op;

const BUNDLED_6X: [&str; 4] = ["v6.8", "v6.13", "v6.19", "v7.1"];

/// Sub-pages 0, 1 and 5 of a hugetlbfs file of two huge pages (order 2).
const HUGETLB: &str = "mm A
inode H hugetlbfs order=2 size=8
vma A 0x400000 0x408000 hugetlbfs H rw shared
call A 0x400010 shared write
call A 0x401010 shared write
call A 0x405010 shared write
";

#[test]
fn a_hugetlb_sub_page_keys_on_its_folio_index_in_base_pages_plus_its_place() {
    for rev in BUNDLED_6X {
        let o = run(HUGETLB, rev);
        assert_clean(&o);
        let pgoffs: Vec<u64> = (0..3).map(|i| key(&o, i).word).collect();
        assert_eq!(pgoffs, [0, 1, 5], "{rev}");
        assert!((0..3).all(|i| key(&o, i).offset & FUT_OFF_INODE != 0));
    }
}

#[test]
fn a_revision_that_mixes_the_two_hugetlb_index_conventions_shows_it() {
    // 6.8's folio->index + place, run where a hugetlb head's index still
    // counts huge pages (era 5, as a one-sided backport would): the second
    // huge page's sub-page gets 1 + 1, not 5.
    let o = run(&format!("era 5\n{HUGETLB}"), "v6.8");
    assert_eq!(key(&o, 2).word, 2);
    let verdict = futex_diff::oracle::meaning::check(&o);
    assert!(
        verdict
            .findings
            .iter()
            .any(|f| f.class == FindingClass::WrongKey),
        "{:?}",
        verdict.findings
    );
}

#[test]
fn the_folio_api_is_where_the_thread_yields() {
    // A swapped shmem page: GUP swaps it in; no mapping path is taken.
    // A page truncated after GUP: the NULL-mapping path locks the folio.
    let text = "mm A
inode F file size=2
page F 1
vma A 0x10000 0x12000 file F rw shared
call A 0x11008 shared write
event t truncate F to=0
at call 1 after get_user_pages_fast t
";
    for rev in BUNDLED_6X {
        let o = run(text, rev);
        assert_eq!(result(&o, 0), returned(-EFAULT), "{rev}");
        let ops = ops(&o);
        for op in [
            Op::PageFolio,
            Op::FolioLock,
            Op::FolioTestSwapcache,
            Op::FolioUnlock,
            Op::FolioPut,
        ] {
            assert!(ops.contains(&op), "{rev}: no {}: {ops:?}", op.name());
        }
        for page_op in [Op::CompoundHead, Op::LockPage, Op::PutPage, Op::PageAnon] {
            assert!(!ops.contains(&page_op), "{rev}: {}", page_op.name());
        }
    }
}

#[test]
fn keys_hold_nothing_and_name_the_inode_sequence_number() {
    let text = "mm A
inode F file size=4
vma A 0x10000 0x14000 file F rw shared
vma A 0x20000 0x24000 anon rw private
anon A 0x20000
call A 0x11008 shared write
call A 0x11008 shared read
call A 0x20010 shared write
";
    for rev in BUNDLED_6X {
        let o = run(text, rev);
        assert_clean(&o);
        assert_eq!(key(&o, 0), key(&o, 1), "{rev}");
        assert_eq!(o.calls[0].raw_key.ptr, 1, "{rev}: the first i_seq");
        assert!(
            o.held_at_end.iter().all(Vec::is_empty),
            "{rev}: {:?}",
            o.held_at_end
        );
        assert_refcounts_restored(&o);
    }
}

/// A file's large folio at pages 4-7, truncated to 6 pages.
const PARTIAL_TRUNCATE: &str = "mm A
inode F file size=8
page F 4 thp
vma A 0x20000 0x28000 file F rw shared
event t truncate F to=6
call A 0x27040 shared write
call A 0x25040 shared read
";

#[test]
fn a_partial_truncate_splits_a_large_folio_nobody_holds() {
    for rev in BUNDLED_6X {
        let o = run(&format!("{PARTIAL_TRUNCATE}at 1 t\n"), rev);
        assert!(event_text(&o, "t").contains("split; its pages in the range leave the cache"));
        assert_eq!(
            result(&o, 0),
            returned(-EFAULT),
            "{rev}: page 7 is past the end"
        );
        assert_eq!(key(&o, 1).word, 5, "{rev}");
        assert_clean(&o);
    }
}

#[test]
fn a_partial_truncate_leaves_a_pinned_large_folio_whole() {
    for rev in BUNDLED_6X {
        let o = run(
            &format!("{PARTIAL_TRUNCATE}at call 1 after get_user_pages_fast t\n"),
            rev,
        );
        assert!(event_text(&o, "t").contains("not split"), "{rev}");
        // The call had its page before the truncate: it keys on it.
        assert_eq!(key(&o, 0).word, 7, "{rev}");
        assert!(futex_diff::oracle::meaning::check(&o).findings.is_empty());
    }
}

#[test]
fn a_large_folio_migrates_whole_from_6_7_and_not_while_pinned() {
    let text = "mm A
vma A 0x50000 0x58000 anon thp rw private
anon A 0x54000 thp
call A 0x55ff0 shared write
call A 0x56ff0 shared write
event m migrate A 0x55000
";
    for rev in BUNDLED_6X {
        let o = run(&format!("{text}at call 2 m\n"), rev);
        assert!(event_text(&o, "m").contains("migrated away"), "{rev}");
        assert_clean(&o);
        let o = run(
            &format!("{text}at call 1 after get_user_pages_fast m\n"),
            rev,
        );
        assert!(event_text(&o, "m").contains("the folio is pinned"), "{rev}");
        assert_clean(&o);
    }
    // Before 6.7 the model migrates order-0 pages only: the THP stays.
    let o = run(&format!("{text}at call 2 m\n"), "v5.13");
    assert!(event_text(&o, "m").contains("only order-0 pages migrate"));
}

#[test]
fn khugepaged_collapses_a_regular_file_only_while_nobody_writes_it() {
    let text = "mm A
inode F file size=8
page F 4
page F 5
vma A 0x20000 0x28000 file F PROT shared
call A 0x25040 shared read
event c collapse F 4
at 1 c
";
    for rev in BUNDLED_6X {
        let o = run(&text.replace("PROT", "r"), rev);
        assert!(
            event_text(&o, "c").contains("collapsed into a huge page"),
            "{rev}"
        );
        assert_eq!(key(&o, 0).word, 5, "{rev}");
        let o = run(&text.replace("PROT", "rw"), rev);
        assert!(event_text(&o, "c").contains("open for writing"), "{rev}");
        assert_eq!(key(&o, 0).word, 5, "{rev}");
    }
}
