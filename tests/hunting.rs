//! Hunting: exhaustive enumeration up to a preemption bound, PCT schedules,
//! de-duplication, and the `hunt`, `explore`, `minimize` and `replay`
//! commands end to end.

use std::process::Command;

use futex_diff::explore::{exhaustive, pct, shape};
use futex_diff::finding::FindingClass;
use futex_diff::scenario::parse;
use futex_diff::{minimize, revision};

fn futex_diff(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_futex-diff"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn exhaustive_enumeration_visits_every_schedule_up_to_the_bound_once() {
    for (events, horizon, bound) in [(0, 5, 2), (1, 4, 1), (2, 5, 2), (3, 3, 3)] {
        let mut seen = std::collections::HashSet::new();
        exhaustive::for_each_schedule(events, horizon, bound, |s| {
            assert!(s.len() <= bound);
            assert!(
                s.windows(2)
                    .all(|w| w[0].yield_point() <= w[1].yield_point()),
                "in yield order"
            );
            assert!(seen.insert(format!("{s:?}")), "visited twice: {s:?}");
        });
        assert_eq!(
            seen.len() as u64,
            exhaustive::count(events, horizon, bound),
            "{events} {horizon} {bound}"
        );
    }
}

#[test]
fn pct_schedules_are_reproducible_from_their_seed_and_stay_in_the_horizon() {
    let base = parse("mm A\ninode F file size=1\nvma A 0x10000 0x11000 file F rw shared\ncall A 0x10000 shared write\nevent t truncate F to=0\nevent h hold F 0\n").unwrap();
    let draw = |seed| {
        let mut rng = pct::Rng::new(seed);
        (0..50)
            .map(|_| pct::schedule(&base, &mut rng, 3, 20))
            .collect::<Vec<_>>()
    };
    assert_eq!(draw(7), draw(7));
    assert_ne!(draw(7), draw(8));
    for schedule in draw(9) {
        assert_eq!(schedule.len(), 2, "depth 3: two change points");
        assert!(schedule
            .iter()
            .all(|s| s.yield_point().is_some_and(|at| (1..=20).contains(&at)) && s.event < 2));
    }
}

#[test]
fn finding_shapes_ignore_numbers_but_not_words() {
    assert_eq!(
        shape("call 2 returned pgoff 0x1f on page#12"),
        "call N returned pgoff N on page#N"
    );
    assert_ne!(
        shape("calls 1 and 2 collide"),
        shape("call 1 returned a key")
    );
}

#[test]
fn minimize_drops_what_the_finding_does_not_need() {
    let bloated = parse(
        "mm A\nmm B\ninode S shmem size=4 refs=3\npage S 0\ninode H hugetlbfs size=4\n\
         vma B 0x20000 0x24000 shmem S rw shared\nvma A 0x400000 0x404000 hugetlbfs H rw shared\n\
         call B 0x20000 shared write\ncall A 0x400000 shared write\ncall A 0x401000 shared write\n\
         event t truncate S to=0\nevent f fail\nat 2 t\nat 3 f 1\n",
    )
    .unwrap();
    let v46 = revision::find("v4.6").unwrap();
    let small = minimize::minimize(&bloated, v46, FindingClass::KeyCollision);
    assert!(minimize::reproduces(
        &small,
        v46,
        FindingClass::KeyCollision
    ));
    assert_eq!(small.calls.len(), 2, "{}", small.to_text());
    assert!(
        small.events.is_empty() && small.mm_names.len() == 1,
        "{}",
        small.to_text()
    );
}

#[test]
fn hunt_finds_v4_6s_collision_and_writes_reproducers_that_replay() {
    let dir = tempfile::tempdir().unwrap();
    let out = futex_diff(&[
        "hunt",
        "--rev",
        "v4.6",
        "--seconds",
        "10",
        "--bound",
        "1",
        "--json",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("\"class\":\"key-collision\""))
        .unwrap_or_else(|| panic!("no key-collision:\n{stdout}"));
    for field in [
        "\"revision\":\"v4.6\"",
        "\"mode\":\"strict\"",
        "\"summary\":\"",
        "\"reproducer\":\"",
    ] {
        assert!(line.contains(field), "{line}");
    }
    let path = line
        .split("\"reproducer\":\"")
        .nth(1)
        .unwrap()
        .trim_end_matches("\"}");
    let replay = futex_diff(&["replay", path]);
    assert_eq!(replay.status.code(), Some(1));
    let text = String::from_utf8_lossy(&replay.stdout);
    assert!(
        text.contains("Where it departs:") && text.contains("key-collision"),
        "{text}"
    );
    assert!(text.contains("because the two words differ"), "{text}");
    let reproducer = std::fs::read_to_string(path).unwrap();
    assert!(
        reproducer
            .lines()
            .filter(|l| l.starts_with("call "))
            .count()
            == 2,
        "minimised:\n{reproducer}"
    );
}

#[test]
fn explore_reports_its_rate_and_findings() {
    let out = futex_diff(&[
        "explore",
        "--rev",
        "v4.7",
        "--family",
        "race-evict-in-lockless-window",
        "--bound",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("schedules/s"), "{text}");
    assert!(text.contains("v4.7 [strict] warn"), "{text}");
    let bad = futex_diff(&["explore", "--family", "no-such-family"]);
    assert_eq!(bad.status.code(), Some(2));
}
