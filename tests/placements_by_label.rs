//! Schedule entries placed by call and kernel API mean the same
//! interleaving on every revision: `at call 1 after get_user_pages_fast t`
//! runs t right after the first GUP of call 1, whatever yield point number
//! that is on each revision. The text and binary forms carry every
//! placement, and bad placements are clear errors.

mod common;

use common::*;
use futex_diff::op::Op;
use futex_diff::scenario::{binary, parse};
use futex_diff::trace::Entry;

/// The yield point (number and op) each step of `event` ran before, in
/// order; `None` for a step that ran after the last yield point.
fn steps_of(o: &futex_diff::exec::Outcome, event: &str) -> Vec<Option<(u32, Op)>> {
    let entries = &o.trace.entries;
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if let Entry::Event { name, text } = e {
            if name == event && !text.starts_with("waits") {
                // Events run at a yield point, after its line and before
                // the operation: the latest yield line before the step.
                let before = entries[..i].iter().rev().find_map(|e| match e {
                    Entry::Yield { n, op, .. } => Some((*n, *op)),
                    _ => None,
                });
                out.push(before);
            }
        }
    }
    out
}

/// The yield points of call `k` (1-based), in order, as (number, op).
fn yields_of_call(o: &futex_diff::exec::Outcome, k: usize) -> Vec<(u32, Op)> {
    let start = format!("call {k}: get_futex_key(");
    let mut inside = false;
    let mut out = Vec::new();
    for e in &o.trace.entries {
        match e {
            Entry::Thread(text) if text.starts_with(&start) => inside = true,
            Entry::Thread(text) if text.starts_with(&format!("call {k} returns")) => break,
            Entry::Yield { n, op, .. } if inside => out.push((*n, *op)),
            _ => {}
        }
    }
    out
}

const FILE: &str = "mm A\ninode F file size=4\npage F 1\nvma A 0x10000 0x14000 file F rw shared\n";

#[test]
fn after_the_first_gup_of_call_1_means_the_yield_point_after_it_on_every_revision() {
    let text = format!(
        "{FILE}call A 0x11008 shared write\nevent t truncate F to=0\n\
         at call 1 after get_user_pages_fast t\n"
    );
    for rev in BUNDLED {
        let o = run(&text, rev);
        let yields = yields_of_call(&o, 1);
        let gup = yields
            .iter()
            .position(|(_, op)| *op == Op::GetUserPagesFast)
            .unwrap_or_else(|| panic!("{rev}: no GUP"));
        let next = yields[gup + 1];
        let steps = steps_of(&o, "t");
        assert!(!steps.is_empty(), "{rev}: t ran");
        assert!(
            steps.iter().all(|s| *s == Some(next)),
            "{rev}: t ran at {steps:?}, not at {next:?}\n{}",
            o.trace.render("?")
        );
    }
}

#[test]
fn before_a_label_runs_at_that_yield_point_and_ordinals_count_per_call() {
    // VERIFY_READ on a read-only mapping: GUP for write fails, the second
    // GUP (for read) succeeds. `before 2nd get_user_pages_fast` of call 2.
    let text = "mm A\ninode F file size=4\npage F 1\nvma A 0x10000 0x14000 file F r shared\n\
                call A 0x11008 shared read\ncall A 0x11008 shared read\nevent h hold F 1\n\
                at call 2 before 2nd get_user_pages_fast h 1\n";
    for rev in BUNDLED {
        let o = run(text, rev);
        let gups: Vec<(u32, Op)> = yields_of_call(&o, 2)
            .into_iter()
            .filter(|(_, op)| *op == Op::GetUserPagesFast)
            .collect();
        assert!(gups.len() >= 2, "{rev}: {gups:?}");
        // The lock is taken there; the thread's own lock_page() later lets
        // the holder go on.
        assert_eq!(steps_of(&o, "h").first(), Some(&Some(gups[1])), "{rev}");
    }
}

#[test]
fn a_placement_at_a_call_runs_before_its_first_yield_point() {
    let text = format!(
        "{FILE}call A 0x11008 shared write\ncall A 0x11008 shared write\n\
         event t truncate F to=0\nat call 2 t\n"
    );
    for rev in BUNDLED {
        let o = run(&text, rev);
        let first_of_call_2 = yields_of_call(&o, 2)[0];
        let steps = steps_of(&o, "t");
        assert!(!steps.is_empty(), "{rev}");
        // Started as call 2 begins: after every yield point of call 1.
        let last_of_call_1 = *yields_of_call(&o, 1).last().unwrap();
        assert!(
            steps.iter().all(|s| *s == Some(last_of_call_1)),
            "{rev}: {steps:?}"
        );
        assert_eq!(result(&o, 1), returned(-EFAULT), "{rev}");
        assert!(first_of_call_2.0 > last_of_call_1.0);
    }
}

#[test]
fn a_marked_read_is_placed_by_its_expression() {
    // 4.6/4.7 read page->mapping twice before mapping->host; the host read
    // is the third marked read, but its expression names it alone.
    let text = format!(
        "{FILE}call A 0x11008 shared write\nevent h hold F 1\n\
         at call 1 before READ_ONCE(mapping->host) h 1\n"
    );
    for rev in ["v4.6", "v4.7"] {
        let o = run(&text, rev);
        let host = o
            .trace
            .entries
            .iter()
            .find_map(|e| match e {
                Entry::Yield {
                    n,
                    op: Op::ReadOnce,
                    arg,
                    ..
                } if arg.to_string().starts_with("mapping->host") => Some(*n),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            steps_of(&o, "h").first(),
            Some(&Some((host, Op::ReadOnce))),
            "{rev}"
        );
    }
}

#[test]
fn every_placement_survives_the_text_and_binary_forms() {
    let text = format!(
        "{FILE}call A 0x11008 shared write\ncall A 0x11008 shared read\n\
         event t truncate F to=0\nevent h hold F 1\n\
         at 3 t\nat call 2 h\nat put 1 t 2\nat call 1 before lock_page h\n\
         at call 2 after 3rd READ_ONCE(page->mapping) t\nat put 2 before 11th iput h 1\n\
         at call 1 after READ_ONCE h\n"
    );
    let scenario = parse(&text).unwrap();
    let again = parse(&scenario.to_text()).unwrap();
    assert_eq!(again, scenario);
    for line in [
        "at call 2 h",
        "at put 1 t 2",
        "at call 1 before lock_page h",
        "at call 2 after 3rd READ_ONCE(page->mapping) t",
        "at put 2 before 11th iput h 1",
    ] {
        assert!(scenario.to_text().contains(line), "{line}");
    }
    let bytes = binary::encode(&scenario).unwrap();
    assert_eq!(binary::decode(&bytes), scenario);
}

#[test]
fn bad_placements_are_errors_that_name_the_line() {
    let base = format!("{FILE}call A 0x11008 shared write\nevent t truncate F to=0\n");
    for (at, wanted) in [
        ("at call 2 t", "there is no call 2"),
        ("at call 1 before lock_pgae t", "not a kernel API"),
        ("at call 1 after lock_page(page) t", "only a marked read"),
        ("at call 0 t", "call number"),
        ("at call 1 before t", "not a kernel API"),
        ("at 0 t", "numbered from 1"),
    ] {
        let err = parse(&format!("{base}{at}\n")).unwrap_err();
        assert_eq!(err.line, 7, "{at}: {err}");
        assert!(err.message.contains(wanted), "{at}: {err}");
    }
    let err = parse(&format!(
        "{FILE}call A 0x11008 shared write\nevent before fail\n"
    ))
    .unwrap_err();
    assert!(err.message.contains("word of the `at` statement"), "{err}");
}
