//! A second futex task: it runs the same revision on a stack of its own,
//! step by step where the schedule places it, races the futex thread on
//! what they share (page locks, the lazily assigned `i_sequence`, page
//! references), and C and Rust agree on every interleaving.

mod common;

use common::*;
use futex_diff::exec;
use futex_diff::finding::FindingClass;
use futex_diff::op::Op;
use futex_diff::oracle::{self, lockstep, Checks};
use futex_diff::revision;
use futex_diff::scenario::parse;
use futex_diff::trace::{Entry, Trace};

/// One shmem word, keyed by both tasks; `schedule` places the second.
fn one_word(schedule: &str) -> String {
    format!(
        "mm A\ninode F shmem size=1\npage F 0\nvma A 0x10000 0x11000 shmem F rw shared\n\
         call A 0x10008 shared write\ncall A 0x10008 shared read by T2\nevent T2 task\n{schedule}\n"
    )
}

/// Both oracles find nothing in scenario `text` on `rev`.
fn assert_no_finding(text: &str, rev: &str) {
    let scenario = parse(text).unwrap();
    let report = oracle::check(&scenario, revision::find(rev).unwrap(), Checks::REPORT).unwrap();
    assert!(
        report.found.is_empty(),
        "{rev}: {:?}\n{}",
        report.found,
        report.outcome.trace.render("?")
    );
}

/// The yield points of task `task`, as operations, in order.
fn task_ops(o: &exec::Outcome, task: usize) -> Vec<Op> {
    o.trace
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Yield { task: t, op, .. } if *t == task => Some(*op),
            _ => None,
        })
        .collect()
}

/// The tasks of the yield points, in execution order.
fn who_yields(o: &exec::Outcome) -> Vec<usize> {
    o.trace
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Yield { task, .. } => Some(*task),
            _ => None,
        })
        .collect()
}

#[test]
fn a_second_task_nobody_places_runs_once_the_futex_thread_is_done() {
    for rev in BUNDLED.into_iter().chain(BUNDLED_5X) {
        let o = run(&one_word(""), rev);
        assert_clean(&o);
        let order = who_yields(&o);
        let first_second = order.iter().position(|&t| t == 1).unwrap();
        assert!(
            order[first_second..].iter().all(|&t| t == 1),
            "{rev}: {order:?}"
        );
        assert_eq!(key(&o, 0), key(&o, 1), "{rev}");
        assert_eq!(o.calls[1].task, 1);
    }
}

#[test]
fn each_step_of_the_second_task_runs_it_to_its_next_yield_point() {
    let quiet = run(&one_word(""), "v6.13");
    let alone = task_ops(&quiet, 1);
    for steps in 1..alone.len() {
        let o = run(
            &one_word(&format!("at call 1 before folio_test_anon T2 {steps}")),
            "v6.13",
        );
        assert_clean(&o);
        let order = who_yields(&o);
        // The futex thread's yield points up to folio_test_anon's, where
        // the second task takes its first `steps` before the operation,
        // then the futex thread again.
        let at = 1 + task_ops(&o, 0)
            .iter()
            .position(|&op| op == Op::FolioTestAnon)
            .unwrap();
        assert_eq!(&order[..at], vec![0; at].as_slice());
        assert_eq!(
            &order[at..at + steps],
            vec![1; steps].as_slice(),
            "{steps} steps"
        );
        assert_eq!(order[at + steps], 0, "{steps} steps");
        // Its first steps are those it takes alone, up to where it finds
        // the inode not numbered yet (alone it finds it numbered).
        let same = steps.min(1 + alone.iter().position(|&op| op == Op::Atomic64Read).unwrap());
        assert_eq!(task_ops(&o, 1)[..same], alone[..same], "{steps} steps");
        assert_eq!(key(&o, 0), key(&o, 1));
    }
}

/// v6.13 with `get_inode_sequence_number()` keeping its own number when
/// the cmpxchg finds the inode numbered already: a race only two tasks
/// can show.
fn lost_cmpxchg_revision() -> revision::Revision {
    let source = include_str!("../csrc/revisions/v6.13.c");
    let right = "\t\tif (!atomic64_try_cmpxchg_relaxed(&inode->i_sequence, &old, new))\n\t\t\treturn old;\n";
    assert!(source.contains(right));
    let wrong = source.replace(
        right,
        "\t\tatomic64_try_cmpxchg_relaxed(&inode->i_sequence, &old, new);\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("defect-lost-cmpxchg.c");
    std::fs::write(&path, wrong).unwrap();
    let rev = revision::load(&path, Some("defect-lost-cmpxchg")).unwrap();
    // The shared object is loaded; the file may go.
    drop(dir);
    rev
}

#[test]
fn two_tasks_numbering_one_inode_agree_through_the_cmpxchg() {
    // The second task numbers the inode between the futex thread's read of
    // i_sequence and its cmpxchg: the futex thread must take its number.
    let race = one_word("at call 1 before atomic64_cmpxchg T2");
    for rev in BUNDLED_5X {
        let o = run(&race, rev);
        assert_clean(&o);
        assert_eq!(key(&o, 0), key(&o, 1), "{rev}");
        assert_eq!(o.calls[0].raw_key.ptr, 2, "{rev}: the second task's i_seq");
    }
    let scenario = parse(&race).unwrap();
    let report = oracle::check(&scenario, lost_cmpxchg_revision(), Checks::REPORT).unwrap();
    assert!(
        report
            .found
            .iter()
            .any(|f| f.finding.class == FindingClass::KeyMismatch),
        "{:?}",
        report.found
    );
}

#[test]
fn the_futex_thread_waits_for_a_page_lock_the_second_task_holds() {
    // 3.12 takes the page lock around its mapping checks. The second task
    // goes first and stops holding it; the futex thread then sleeps on the
    // lock and lets the second task run until it unlocks.
    let quiet = run(&one_word(""), "v3.12");
    let alone = task_ops(&quiet, 1);
    let holding = alone.iter().position(|&op| op == Op::UnlockPage).unwrap();
    let text = one_word(&format!("at call 1 T2 {holding}"));
    let o = run(&text, "v3.12");
    assert_clean(&o);
    assert!(
        o.trace.entries.iter().any(
            |e| matches!(e, Entry::Thread(t) if t.contains("is locked by the second futex task"))
        ),
        "{}",
        o.trace.render("?")
    );
    assert_eq!(key(&o, 0), key(&o, 1));
    assert_no_finding(&text, "v3.12");
}

#[test]
fn the_second_task_sleeps_on_the_futex_threads_page_lock_and_goes_on_later() {
    let text = one_word("at call 1 after lock_page T2");
    let o = run(&text, "v3.12");
    assert_clean(&o);
    assert!(
        o.trace.entries.iter().any(
            |e| matches!(e, Entry::Thread(t) if t.starts_with("the second futex task sleeps"))
        ),
        "{}",
        o.trace.render("?")
    );
    assert_eq!(key(&o, 0), key(&o, 1));
    assert_no_finding(&text, "v3.12");
}

#[test]
fn c_and_rust_agree_on_every_placement_of_the_second_task() {
    for rev in BUNDLED.into_iter().chain(BUNDLED_5X) {
        let revision = revision::find(rev).unwrap();
        let port = revision.port_target().unwrap();
        let yields = exec::run(
            &parse(&one_word("")).unwrap(),
            revision.target(),
            Trace::yields_only(),
        )
        .unwrap()
        .yields;
        for at in 1..=yields {
            for steps in ["1", "3", ""] {
                let scenario = parse(&one_word(&format!("at {at} T2 {steps}"))).unwrap();
                let found = lockstep::compare(&scenario, revision.target(), port).unwrap();
                assert_eq!(found, None, "{rev} at {at} T2 {steps}");
            }
        }
    }
}

#[test]
fn a_task_event_must_exist_once_and_be_named_by_its_calls() {
    let twice = one_word("event T3 task");
    assert!(parse(&twice)
        .unwrap_err()
        .to_string()
        .contains("one second task"));
    let unnamed = one_word("").replace("by T2", "by T9");
    assert!(parse(&unnamed)
        .unwrap_err()
        .to_string()
        .contains("not a task event"));
}
