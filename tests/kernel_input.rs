//! A kernel tree, a futex file or a patch as input, no rebuild: the tree's
//! `get_futex_key()` and what it needs are extracted from among unrelated
//! code, compiled at run time and loaded; patches in every form apply;
//! `hunt --against` reports what a change changed and nothing else; bad
//! trees and patches are clear errors with exit code 2. The trees are
//! made from fixtures in our own words (tests/trees/) around a bundled
//! revision.

use std::path::{Path, PathBuf};

mod common;
use common::{fixture, futex_diff, root, tree};

use futex_diff::oracle::lockstep;
use futex_diff::revision::kernel::{load_kernel, KernelSpec};
use futex_diff::revision::{self, Origin, Revision};
use futex_diff::tree::{self, extract};
use futex_diff::world::Era;

/// Its twin in the 5.16 layout: kernel/futex/core.c includes futex.h.
fn twin() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("kernel/futex")).unwrap();
    std::fs::write(dir.path().join("Makefile"), fixture("Makefile.4.6")).unwrap();
    let v46 = std::fs::read_to_string(root().join("csrc/revisions/v4.6.c")).unwrap();
    let text =
        fixture("futex-head.c") + "#include \"futex.h\"\n\n" + &v46 + &fixture("futex-tail.c");
    std::fs::write(dir.path().join("kernel/futex/core.c"), text).unwrap();
    std::fs::write(dir.path().join("kernel/futex/futex.h"), fixture("futex.h")).unwrap();
    dir
}

fn patch(name: &str) -> PathBuf {
    root().join("tests/patches").join(name)
}

fn load(name: &str, path: &Path, patches: &[PathBuf]) -> futex_diff::revision::kernel::Loaded {
    let spec = KernelSpec {
        name: Some(name.to_string()),
        path: path.to_path_buf(),
    };
    load_kernel(&spec, patches).unwrap_or_else(|e| panic!("{e}"))
}

/// `kernel` runs every built-in scenario, in both modes, as `twin`'s port.
fn runs_as(kernel: Revision, twin: &str) {
    let port = revision::find(twin).unwrap().port_target().unwrap();
    lockstep::on_the_corpus(kernel.target(), port).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn extraction_follows_what_get_futex_key_uses_and_leaves_the_rest() {
    for dir in [tree(), twin()] {
        let source = tree::read(dir.path()).unwrap();
        assert_eq!(source.default_name(), "linux-4.6.0");
        let paths: Vec<PathBuf> = source.files.iter().map(|f| source.path_of(f)).collect();
        let extracted = extract::extract(&source, &paths).unwrap();
        assert_eq!(extracted.era, Era::V4);
        for wanted in [
            "should_fail_futex",
            "futex_get_mm",
            "get_futex_key_refs",
            "drop_futex_key_refs",
            "get_futex_key",
            "put_futex_key",
        ] {
            assert!(extracted.functions.iter().any(|f| f == wanted), "{wanted}");
        }
        for unrelated in ["hash_futex", "futex_wake", "match_futex", "futex_init"] {
            assert!(
                !extracted.functions.iter().any(|f| f == unrelated),
                "{unrelated} was taken"
            );
        }
        for unrelated in [
            "struct futex_hash_bucket {",
            "struct futex_q {",
            "SYSCALL_DEFINE6",
            "jhash2",
        ] {
            assert!(!extracted.text.contains(unrelated), "{unrelated} was taken");
        }
        // Every piece names its own file and line; the twin's prototype
        // comes from futex.h.
        assert!(extracted
            .text
            .contains(&format!("\"{}\"", paths[0].display())));
        if let Some(header) = paths.get(1) {
            assert!(extracted
                .text
                .contains(&format!("\"{}\"", header.display())));
            assert!(extracted
                .text
                .contains("static void get_futex_key_refs(union futex_key *key);"));
        }
    }
}

#[test]
fn a_tree_in_either_layout_runs_as_the_revision_it_holds() {
    let (a, b) = (tree(), twin());
    let flat = load("fixture-flat", a.path(), &[]).base;
    assert_eq!((flat.origin(), flat.era()), (Origin::Kernel, Era::V4));
    runs_as(flat, "v4.6");
    runs_as(load("fixture-split", b.path(), &[]).base, "v4.6");
}

#[test]
fn a_lone_futex_file_takes_its_trees_release_or_its_stem() {
    let dir = tree();
    let spec = KernelSpec {
        name: None,
        path: dir.path().join("kernel/futex.c"),
    };
    let source = tree::read(&spec.path).unwrap();
    assert_eq!(source.default_name(), "linux-4.6.0");
    let alone = tempfile::tempdir().unwrap();
    let file = alone.path().join("futex.c");
    std::fs::copy(dir.path().join("kernel/futex.c"), &file).unwrap();
    assert_eq!(tree::read(&file).unwrap().default_name(), "futex");
}

#[test]
fn the_patch_to_v4_7_applies_in_every_form_and_gives_v4_7() {
    for form in [
        "v4.6-to-v4.7.patch",
        "v4.6-to-v4.7-unified.diff",
        "v4.6-to-v4.7-archived.txt",
    ] {
        let dir = tree();
        let loaded = load(&format!("fixture-for-{form}"), dir.path(), &[patch(form)]);
        assert_eq!(loaded.patched.len(), 1);
        let patched = loaded.patched[0];
        assert_eq!(
            patched.name(),
            Path::new(form).file_stem().unwrap().to_str().unwrap()
        );
        runs_as(patched, "v4.7");
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn hunt_against_the_base_reports_the_planted_defect_as_new_and_nothing_else() {
    let dir = tree();
    let out = tempfile::tempdir().unwrap();
    let kernel = dir.path().to_str().unwrap();
    let run = futex_diff(&[
        "hunt",
        "--kernel",
        kernel,
        "--patch",
        patch("plant-no-ro-check.diff").to_str().unwrap(),
        "--seconds",
        "4",
        "--bound",
        "1",
        "--json",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    let changes: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.contains("\"shared\""))
        .collect();
    assert!(!changes.is_empty(), "{stdout}");
    for line in &changes {
        assert!(
            line.contains("\"revision\":\"plant-no-ro-check\"")
                && line.contains("\"against\":\"linux-4.6.0\"")
                && line.contains("\"change\":\"new\""),
            "{line}"
        );
    }
    assert!(
        changes
            .iter()
            .any(|l| l.contains("\"class\":\"missing-error\"")),
        "{stdout}"
    );
    // The reproducer replays to the finding, beside the base's run.
    let line = changes
        .iter()
        .find(|l| l.contains("missing-error"))
        .unwrap();
    let path = line
        .split("\"reproducer\":\"")
        .nth(1)
        .unwrap()
        .trim_end_matches("\"}");
    let replay = futex_diff(&[
        "replay",
        path,
        "--kernel",
        kernel,
        "--patch",
        patch("plant-no-ro-check.diff").to_str().unwrap(),
    ]);
    let shown = text(&replay.stdout);
    assert!(
        shown.contains("(the base)") && shown.contains("new on plant-no-ro-check"),
        "{shown}"
    );

    // The base against itself: nothing tells them apart.
    let same = futex_diff(&[
        "hunt",
        "--kernel",
        &format!("base={kernel}"),
        "--kernel",
        &format!("same={kernel}"),
        "--against",
        "base",
        "--seconds",
        "2",
        "--bound",
        "1",
        "--json",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    let stdout = text(&same.stdout);
    assert!(
        stdout.lines().all(|l| l.contains("\"change\":\"shared\"")),
        "{stdout}"
    );
}

#[test]
fn check_against_shows_both_runs_side_by_side() {
    let dir = tree();
    let run = futex_diff(&[
        "check",
        root()
            .join("corpus/map-hugetlbfs-sub-pages.scn")
            .to_str()
            .unwrap(),
        "--kernel",
        dir.path().to_str().unwrap(),
        "--patch",
        patch("v4.6-to-v4.7.patch").to_str().unwrap(),
    ]);
    let shown = text(&run.stdout);
    // 4.7 fixed 4.6's hugetlbfs sub-page collision.
    assert!(
        shown.contains("v4.6-to-v4.7 (strict mode)") && shown.contains("linux-4.6.0 (the base)"),
        "{shown}"
    );
    assert!(
        shown.contains("fixed: linux-4.6.0 shows key-collision"),
        "{shown}"
    );
    assert_eq!(run.status.code(), Some(0), "nothing new: {shown}");
}

#[test]
fn a_tree_whose_code_needs_an_api_the_layer_lacks_is_exit_2_with_the_compilers_message() {
    let dir = tree();
    let futex = dir.path().join("kernel/futex.c");
    let text_before = std::fs::read_to_string(&futex).unwrap();
    let broken = text_before.replacen("lock_page(page);", "lock_page_killable(page);", 1);
    assert_ne!(broken, text_before);
    std::fs::write(&futex, broken).unwrap();
    let run = futex_diff(&["revisions", "--kernel", dir.path().to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("does not compile")
            && stderr.contains("lock_page_killable")
            && stderr.contains("kernel/futex.c:"),
        "{stderr}"
    );
}

#[test]
fn a_patch_that_does_not_apply_is_exit_2_with_the_hunk() {
    let dir = tree();
    let run = futex_diff(&[
        "revisions",
        "--kernel",
        dir.path().to_str().unwrap(),
        "--patch",
        patch("does-not-apply.diff").to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("hunk 1 of kernel/futex.c does not apply")
            && stderr.contains("does-not-apply.diff:3")
            && stderr.contains("-\tstruct page *page, *page_head;"),
        "{stderr}"
    );
}

#[test]
fn a_kernel_after_7_x_is_refused_with_its_reason() {
    let dir = tree();
    std::fs::write(
        dir.path().join("Makefile"),
        "VERSION = 8\nPATCHLEVEL = 0\nSUBLEVEL = 0\n",
    )
    .unwrap();
    let run = futex_diff(&["revisions", "--kernel", dir.path().to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        text(&run.stderr).contains("linux-8.0.0: futex-diff models kernels up to 7.x"),
        "{}",
        text(&run.stderr)
    );
}

#[test]
fn the_era_of_6_16_on_follows_the_release_that_frees_policies_after_a_grace_period() {
    let dir = tree();
    for (version, era) in [
        ((6, 16, 0), Era::V6_16),
        ((6, 18, 20), Era::V6_16),
        ((6, 18, 21), Era::V7_0),
        ((6, 19, 10), Era::V6_16),
        ((6, 19, 11), Era::V7_0),
        ((7, 0, 0), Era::V7_0),
        ((7, 1, 5), Era::V7_0),
    ] {
        let (major, minor, sub) = version;
        std::fs::write(
            dir.path().join("Makefile"),
            format!("VERSION = {major}\nPATCHLEVEL = {minor}\nSUBLEVEL = {sub}\n"),
        )
        .unwrap();
        let name = format!("as-{major}.{minor}.{sub}");
        assert_eq!(load(&name, dir.path(), &[]).base.era(), era, "{name}");
    }
}

#[test]
fn a_4_8_to_5_5_tree_is_era_4_8_where_shmem_holds_huge_pages() {
    let text = futex_diff::corpus::BUILT_IN
        .iter()
        .find(|(n, _)| *n == "map-shmem-huge-page")
        .unwrap()
        .1;
    let scenario = futex_diff::scenario::parse(text).unwrap();
    let dir = tree();
    let as_4_6 = load("as-4.6", dir.path(), &[]).base;
    assert_eq!(as_4_6.era(), Era::V4);
    let Err(not_applicable) =
        futex_diff::oracle::check(&scenario, as_4_6, futex_diff::oracle::Checks::REPORT)
    else {
        panic!("a shmem huge page applies to 4.6")
    };
    assert!(not_applicable.not_in_era(), "{not_applicable}");

    std::fs::write(
        dir.path().join("Makefile"),
        "VERSION = 4\nPATCHLEVEL = 9\nSUBLEVEL = 0\n",
    )
    .unwrap();
    let as_4_9 = load("as-4.9", dir.path(), &[]).base;
    assert_eq!(as_4_9.era(), Era::V4_8);
    // 4.6's futex code keys a file page on its head's index: the word on
    // the huge page's tail gets the head's offset.
    let report =
        futex_diff::oracle::check(&scenario, as_4_9, futex_diff::oracle::Checks::REPORT).unwrap();
    assert!(
        report
            .found
            .iter()
            .any(|f| f.finding.class == futex_diff::finding::FindingClass::WrongKey),
        "{:?}",
        report.found
    );
}
