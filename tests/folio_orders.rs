//! Large folios of any order (`thp order=K`): anonymous multi-size THPs
//! from 6.8 (era 6.8), a regular file's folios of every order from 6.7,
//! each keyed on the mm and address or on its base page's offset in the
//! file, and split, migrated and truncated in part as whole folios.

mod common;

use common::*;
use futex_diff::key::{FUT_OFF_INODE, FUT_OFF_MMSHARED};
use futex_diff::world::FOLIO_ORDERS;

const BUNDLED_6X: [&str; 4] = ["v6.8", "v6.13", "v6.19", "v7.1"];

/// An order-4 anonymous folio at 0x100000, a word in its 11th page.
const ANON_MTHP: &str = "mm A
vma A 0x100000 0x120000 anon thp rw private
anon A 0x100000 thp order=4
call A 0x10a008 shared write
";

/// Half of an order-3 anonymous folio unmapped, then a split of it.
const PARTLY_MAPPED: &str = "mm A
vma A 0x200000 0x210000 anon thp rw private
anon A 0x208000 thp order=3
event u munmap A 0x208000 0x20c000
event s split A 0x20c000
call A 0x20d010 shared write
at 1 u
";

#[test]
fn an_anonymous_mthp_keys_on_the_mm_and_the_address() {
    for rev in BUNDLED_6X {
        let o = run(ANON_MTHP, rev);
        assert_clean(&o);
        let k = key(&o, 0);
        assert_eq!(k.object, mm(1), "{rev}");
        assert_eq!(k.word, 0x10a000, "{rev}");
        assert_ne!(k.offset & FUT_OFF_MMSHARED, 0, "{rev}");
        // One folio with a reference for each of its 16 mapped pages.
        let counts: Vec<i64> = o
            .before
            .iter()
            .filter(|(n, _)| n.to_string().starts_with("page#"))
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(counts, [16], "{rev}");
    }
}

#[test]
fn anonymous_mthps_start_in_6_8() {
    // 6.7 (and every earlier era) has one anonymous THP size, the PMD's.
    assert!(run_if_in_era(&format!("era 6.7\n{ANON_MTHP}"), "v6.8").is_none());
    assert!(run_if_in_era(ANON_MTHP, "v5.13").is_none());
    // The model's THP size is every era's.
    let pmd = ANON_MTHP.replace("thp order=4", "thp");
    assert!(run_if_in_era(&format!("era 6.7\n{pmd}"), "v6.8").is_some());
    assert!(run_if_in_era(&pmd, "v4.7").is_some());
}

#[test]
fn a_file_folio_of_every_order_keys_on_the_base_page_offset() {
    for order in FOLIO_ORDERS {
        // The folio is the file's second block of its size; the word is
        // in its last page.
        let n = 1u64 << order;
        let text = format!(
            "mm A
inode F file size={}
page F {n} thp order={order}
vma A 0x1000000 {:#x} file F rw shared
call A {:#x} shared write
",
            2 * n,
            0x1000000 + 2 * n * 0x1000,
            0x1000000 + (2 * n - 1) * 0x1000 + 8,
        );
        for rev in BUNDLED_6X {
            let o = run(&text, rev);
            assert_clean(&o);
            let k = key(&o, 0);
            assert_eq!(k.word, 2 * n - 1, "{rev}, order {order}");
            assert_ne!(k.offset & FUT_OFF_INODE, 0, "{rev}");
        }
    }
}

#[test]
fn a_partly_mapped_mthp_splits_unless_the_call_holds_it() {
    for rev in BUNDLED_6X {
        // Before the call: the split leaves the page a folio of its own.
        let o = run(&format!("{PARTLY_MAPPED}at call 1 s\n"), rev);
        assert!(event_text(&o, "s").contains("split"), "{rev}");
        assert!(!event_text(&o, "s").contains("skipped"), "{rev}");
        assert_eq!(key(&o, 0).word, 0x20d000, "{rev}");
        assert_clean(&o);
        // After GUP: the folio is pinned, so the split gives up.
        let o = run(
            &format!("{PARTLY_MAPPED}at call 1 after get_user_pages_fast s\n"),
            rev,
        );
        assert!(event_text(&o, "s").contains("pinned"), "{rev}");
        assert_clean(&o);
    }
}

#[test]
fn a_partial_truncate_splits_a_folio_of_any_order() {
    // Truncate to 10 pages inside an order-4 folio: its pages 10 to 15
    // leave the cache, 0 to 9 stay.
    let text = "mm A
inode F file size=16
page F 0 thp order=4
vma A 0x400000 0x410000 file F rw shared
event t truncate F to=10
call A 0x40c040 shared write
call A 0x409040 shared read
at 1 t
";
    for rev in BUNDLED_6X {
        let o = run(text, rev);
        assert!(event_text(&o, "t").contains("split; its pages in the range leave the cache"));
        assert_eq!(
            result(&o, 0),
            returned(-EFAULT),
            "{rev}: page 12 is past the end"
        );
        assert_eq!(key(&o, 1).word, 9, "{rev}");
        assert_clean(&o);
    }
}

#[test]
fn folio_orders_are_checked_where_they_are_written() {
    let bad = |text: &str| futex_diff::scenario::parse(text).unwrap_err().to_string();
    let base = "mm A\nvma A 0x100000 0x120000 anon thp rw private\ncall A 0x100000 shared write\n";
    assert!(bad(&format!("{base}anon A 0x100000 order=4\n")).contains("add `thp`"));
    assert!(bad(&format!("{base}anon A 0x100000 thp order=10\n")).contains("2 to 9"));
    assert!(bad(&format!("{base}anon A 0x100000 thp order=1\n")).contains("2 to 9"));
    // shmem's smaller folios (6.11 on) are not modelled: bad input, said.
    let shmem = "mm A
inode S shmem size=16
page S 0 thp order=4
vma A 0x100000 0x110000 shmem S rw shared
call A 0x100000 shared write
";
    let scenario = futex_diff::scenario::parse(shmem).unwrap();
    let rev = futex_diff::revision::find("v6.13").unwrap();
    let Err(err) = futex_diff::exec::run(
        &scenario,
        rev.target(),
        futex_diff::trace::Trace::recording(),
    ) else {
        panic!("a shmem folio of order 4 is refused")
    };
    assert!(!err.not_in_era());
    assert!(err.to_string().contains("not modelled"), "{err}");
}
