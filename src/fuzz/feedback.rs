//! Interleaving feedback: what one execution's schedule did, as features
//! libFuzzer counts beside its edge coverage.
//!
//! Edge coverage is the same whether an eviction lands one yield point
//! before a race window, in it or after it: the code that runs is the
//! same, only its order differs. These features tell those schedules
//! apart, so that the fuzzer keeps an input that moved an event step
//! closer to a window and mutates it further:
//! - each yield point's kind, per task, once per time it is reached (the
//!   counts show the retries a call took: libFuzzer buckets a counter's
//!   hits, 1, 2, 3, 4-7, ...);
//! - each event step, by the event's kind and the step's number, with the
//!   kind of yield point it ran at and how often the task had been there;
//! - each change of the call's meaning between two states it saw (the
//!   reference result before and after, and the yield point where it
//!   changed), and how many states it saw;
//! - where among those states the call's result lies (the first, a later
//!   one, or none);
//! - events that never finished, by kind.
//!
//! [`features`] computes them, [`record`] counts them in the counters the
//! fuzz targets hand libFuzzer (its `__libfuzzer_extra_counters` section,
//! under `cfg(fuzzing)`).

use std::sync::atomic::{AtomicU8, Ordering};

use crate::abi::FUT_OFF_MMSHARED;
use crate::exec::Outcome;
use crate::implementation::CallResult;
use crate::key::{Key, KeyObject};
use crate::op::Op;
use crate::reference::Expected;
use crate::scenario::Scenario;
use crate::trace::Arg;

/// The number of feedback counters; a feature's index is its hash modulo
/// this.
pub const COUNTERS: usize = 1 << 14;

/// The counters libFuzzer reads after each input, and resets before the
/// next. In a build that is not for fuzzing they are counted all the same,
/// so that the benchmarks measure what fuzzing pays, and read by no one.
#[cfg_attr(fuzzing, link_section = "__libfuzzer_extra_counters")]
#[used]
static EXTRA_COUNTERS: [AtomicU8; COUNTERS] = [const { AtomicU8::new(0) }; COUNTERS];

/// Counts the features of `outcome`, an execution of `scenario`.
pub fn record(scenario: &Scenario, outcome: &Outcome) {
    features(scenario, outcome, |feature| {
        let counter = &EXTRA_COUNTERS[feature as usize % COUNTERS];
        // libFuzzer reads the counters between inputs, on this thread.
        let hits = counter.load(Ordering::Relaxed);
        counter.store(hits.saturating_add(1), Ordering::Relaxed);
    });
}

/// What kind of feature a hash stands for: the tag keeps the hashes' inputs
/// of two kinds apart (their hashes, and counters, may still collide).
#[derive(Clone, Copy)]
enum Tag {
    Yield = 1,
    Step,
    StepBefore,
    Change,
    States,
    ReadOnlyRetry,
    FoundPageTruncated,
    Result,
    Stuck,
}

/// Calls `feature` once per occurrence of each feature of `outcome`, an
/// execution of `scenario`, as a hash.
pub fn features(scenario: &Scenario, outcome: &Outcome, mut feature: impl FnMut(u32)) {
    // Each yield point's kind, and how often its task had reached that
    // kind before (0 for the first time).
    let mut seen: Vec<(u32, u32)> = Vec::with_capacity(64);
    let mut kinds: Vec<(u32, u32)> = Vec::with_capacity(outcome.yields as usize);
    for (task, op, arg) in outcome.trace.task_yields() {
        let kind = yield_point_kind(task, op, arg);
        let before = match seen.iter_mut().find(|(_, k)| *k == kind) {
            Some((count, _)) => {
                *count += 1;
                *count - 1
            }
            None => {
                seen.push((1, kind));
                0
            }
        };
        kinds.push((kind, before));
        feature(yield_feature(kind));
    }

    let mut steps_of = vec![0u32; scenario.events.len()];
    for step in &outcome.stepped {
        let Some(decl) = scenario.events.get(step.event) else {
            continue;
        };
        let event_kind = decl.kind.kind_index() as u32;
        let nth = steps_of[step.event].min(15);
        steps_of[step.event] += 1;
        match step.at.checked_sub(1).and_then(|i| kinds.get(i as usize)) {
            Some(&(kind, before)) => feature(hash(&[
                Tag::Step as u32,
                event_kind,
                nth,
                kind,
                before.min(3),
            ])),
            None => feature(hash(&[Tag::StepBefore as u32, event_kind, nth])),
        }
    }

    for (index, call) in outcome.calls.iter().enumerate() {
        let call_tag = index.min(3) as u32;
        let observed = &call.observation;
        for i in 1..observed.expected.len() {
            let (from, to) = (observed.expected[i - 1], observed.expected[i]);
            let at = observed
                .since
                .get(i)
                .and_then(|since| since.checked_sub(1))
                .and_then(|y| kinds.get(y as usize))
                .map_or(0, |&(kind, _)| kind);
            feature(hash(&[
                Tag::Change as u32,
                call_tag,
                class_of(from),
                class_of(to),
                u32::from(other_key_same_class(from, to)),
                at,
            ]));
            feature(hash(&[Tag::States as u32, call_tag]));
        }
        for _ in &observed.read_only_retry {
            feature(hash(&[Tag::ReadOnlyRetry as u32, call_tag]));
        }
        if observed.found_page_truncated {
            feature(hash(&[Tag::FoundPageTruncated as u32, call_tag]));
        }
        let result = result_class(call.result, call.key);
        let states = observed.expected.len();
        let position = match observed.expected.iter().position(|e| match call.result {
            CallResult::Returned(code) => e.is_result(code, call.key),
            CallResult::Aborted => false,
        }) {
            None => 0,
            Some(0) if states == 1 => 1,
            Some(0) => 2,
            Some(i) if i + 1 == states => 3,
            Some(_) => 4,
        };
        feature(hash(&[Tag::Result as u32, call_tag, result, position]));
    }

    for (name, _) in &outcome.stuck {
        let kind = scenario
            .events
            .iter()
            .find(|decl| &decl.name == name)
            .map_or(u32::MAX, |decl| decl.kind.kind_index() as u32);
        feature(hash(&[Tag::Stuck as u32, kind]));
    }
}

/// The feature counted each time `task` reaches a yield point at `op` on
/// `arg`.
pub fn yield_point_feature(task: usize, op: Op, arg: Arg) -> u32 {
    yield_feature(yield_point_kind(task, op, arg))
}

fn yield_feature(kind: u32) -> u32 {
    hash(&[Tag::Yield as u32, kind])
}

/// The kind of a yield point of `task`.
fn yield_point_kind(task: usize, op: Op, arg: Arg) -> u32 {
    hash(&[task as u32, yield_kind(op, arg)])
}

/// A yield point's kind: its operation, and for a marked read the
/// expression it reads, by its text (so that a kind is the same in every
/// process, as libFuzzer's `-fork`, `-jobs` and `-merge` need).
fn yield_kind(op: Op, arg: Arg) -> u32 {
    match arg {
        Arg::Read { expr, .. } => fnv(hash(&[op as u32]), expr.as_bytes()),
        _ => op as u32,
    }
}

/// A reference result's class: an error by its code, a key by what it
/// names (private, mm-shared, inode).
fn class_of(expected: Expected) -> u32 {
    match expected {
        Expected::Error(code) => 0x100 | (code as u32 & 0xff),
        Expected::Private { .. } => 1,
        Expected::MmShared { .. } => 2,
        Expected::Inode { .. } => 3,
    }
}

/// Whether two states of one class mean different keys (another page
/// offset, address or inode): a change within the class.
fn other_key_same_class(a: Expected, b: Expected) -> bool {
    class_of(a) == class_of(b) && a != b
}

/// A call's result's class, in [`class_of`]'s numbering: an error by its
/// code, a key by what it names; 0 for an aborted call.
fn result_class(result: CallResult, key: Key) -> u32 {
    match result {
        CallResult::Aborted => 0,
        CallResult::Returned(0) => match key.object {
            KeyObject::Inode(_) => 3,
            KeyObject::Mm(_) if key.offset & FUT_OFF_MMSHARED != 0 => 2,
            KeyObject::Mm(_) => 1,
            _ => 4,
        },
        CallResult::Returned(code) => 0x100 | (code as u32 & 0xff),
    }
}

/// FNV-1a over 32-bit words: cheap, and spreads small values over the
/// counters.
fn hash(words: &[u32]) -> u32 {
    words
        .iter()
        .fold(0x811c_9dc5, |h, word| fnv(h, &word.to_le_bytes()))
}

/// FNV-1a from `h` on over `bytes`.
fn fnv(h: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(h, |h, &byte| {
        (h ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}
