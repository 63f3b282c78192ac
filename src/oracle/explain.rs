//! Explanations in words: for each call, the states of the world it saw
//! (what the function means on each, and which event steps moved it from
//! one to the next), what it returned, and for each finding why that
//! departs from the meaning.

use std::fmt::Write as _;

use super::Report;
use crate::finding::FindingClass;
use crate::implementation::CallResult;
use crate::scenario::Scenario;
use crate::trace::Entry;

/// The event steps the trace shows just before yield point `n`.
fn steps_before(report: &Report, n: u32) -> Vec<String> {
    let entries = &report.outcome.trace.entries;
    let Some(at) = entries
        .iter()
        .position(|e| matches!(e, Entry::Yield { n: m, .. } if *m == n))
    else {
        return Vec::new();
    };
    let mut steps: Vec<String> = entries[..at]
        .iter()
        .rev()
        .take_while(|e| !matches!(e, Entry::Yield { .. }))
        .filter_map(|e| match e {
            Entry::Event { name, text } if !text.starts_with("waits") => {
                Some(format!("{name}: {text}"))
            }
            _ => None,
        })
        .collect();
    steps.reverse();
    steps
}

/// The yield point at which a freed object was freed, and by which step.
fn freeing_step(report: &Report, what: &str) -> Option<String> {
    let mut last_yield = 0;
    for e in &report.outcome.trace.entries {
        match e {
            Entry::Yield { n, .. } => last_yield = *n,
            Entry::Event { name, text } if text.contains("freed") && text.contains(what) => {
                return Some(format!(
                    "{name} freed it before yield point #{}: \"{text}\"",
                    last_yield + 1
                ));
            }
            Entry::Thread(text) if text.contains("evicts") && text.contains(what) => {
                return Some(format!(
                    "the thread's own iput() evicted it after #{last_yield}"
                ));
            }
            _ => {}
        }
    }
    None
}

/// The whole explanation of a report on `scenario`.
pub fn explain(report: &Report, scenario: &Scenario) -> String {
    let mut out = String::new();
    let outcome = &report.outcome;
    for (i, call) in outcome.calls.iter().enumerate() {
        let spec = &scenario.calls[i];
        let mut how = String::new();
        if spec.numa {
            how.push_str(" numa");
        }
        if spec.mpol {
            how.push_str(" mpol");
        }
        let by = match spec.by {
            Some(task) => format!(" by the second task {}", scenario.events[task].name),
            None => String::new(),
        };
        let node = if call.node.is_some() || spec.numa || spec.mpol {
            format!(" on a CPU of node {}", spec.node)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "call {}: get_futex_key({:#x}, {}{how}, {}) from {}{by}{node}",
            i + 1,
            spec.addr,
            if spec.shared { "shared" } else { "private" },
            crate::exec::access_of(outcome.era, spec.access).1,
            scenario.mm_names[spec.mm]
        );
        let obs = &call.observation;
        for (state, (expected, since)) in obs.expected.iter().zip(&obs.since).enumerate() {
            if state == 0 {
                let _ = writeln!(out, "  at entry, the function means: {expected}");
            } else {
                let steps = steps_before(report, *since);
                let why = if steps.is_empty() {
                    String::new()
                } else {
                    format!(" after {}", steps.join("; "))
                };
                let _ = writeln!(out, "  from #{since}{why}, it means: {expected}");
            }
        }
        let retries: Vec<String> = obs
            .read_only_retry
            .iter()
            .filter(|retry| !obs.expected.contains(retry))
            .map(|retry| retry.to_string())
            .collect();
        if !retries.is_empty() {
            let _ = writeln!(
                out,
                "  after its write request failed, the read-only retry may also find: {}",
                retries.join("; ")
            );
        }
        if !obs.nodes.is_empty() {
            let nodes: Vec<String> = obs.nodes.iter().map(|n| n.to_string()).collect();
            let _ = writeln!(
                out,
                "  the states it saw put the futex in the hash table of node {}",
                nodes.join(" or ")
            );
        }
        let result = match (call.result, call.node) {
            (CallResult::Returned(0), Some(node)) => format!("0 with {}, node {node}", call.key),
            (CallResult::Returned(0), None) => format!("0 with {}", call.key),
            (CallResult::Returned(code), _) => crate::abi::errno_name(code),
            (CallResult::Aborted, _) => "nothing: the harness stopped it".to_string(),
        };
        let _ = writeln!(out, "  it returned {result}");
    }
    for (call, allowance) in &report.verdict.allowed {
        let _ = writeln!(
            out,
            "call {} departs from the meaning, but rule {} allows it",
            call + 1,
            allowance.name()
        );
    }
    if report.found.is_empty() {
        let _ = writeln!(
            out,
            "\nEvery call returned what some state it saw means: nothing departs."
        );
        return out;
    }
    let _ = writeln!(out, "\nWhere it departs:");
    for found in &report.found {
        let f = &found.finding;
        let why = match f.class {
            FindingClass::WrongKey => "the key is none that any state the call saw gives: it does not name the futex word the address held at any moment of the call.".to_string(),
            FindingClass::SpuriousError => "every state the call saw has a key, and no allowance applies: no page the call found (by GUP, or by get_user() of its node word) left the page cache during the call, and no fault was injected.".to_string(),
            FindingClass::MissingError => "every state the call saw makes the call fail, yet it returned a key.".to_string(),
            FindingClass::KeyCollision => "the two words differ in every state (different objects, indices or offsets), yet a waiter on one would wake on the other.".to_string(),
            FindingClass::KeyMismatch if f.summary.contains("nodes' hash tables") => "both calls are FUTEX2_NUMA calls on one word, and a call done atomically would find the node the one before it wrote back; but each read the node word before the other wrote it, took a node of its own and wrote it back with a plain store (no compare-and-exchange), so they hash the word into different nodes' tables and a wake from one side misses the other's waiter.".to_string(),
            FindingClass::KeyMismatch => "both calls name the same word, yet a waker with one key misses a waiter with the other.".to_string(),
            FindingClass::RefcountLeak | FindingClass::RefcountUnderflow => "a shared key holds exactly one reference on its inode or mm and no page reference; put_futex_key() must drop exactly that.".to_string(),
            FindingClass::UseAfterFree if f.summary.contains("superblock") => "the key's inode reference kept the inode but not its filesystem: once the mapping went, umount was free to run, found the inode busy and freed its superblock, and the last iput() reaches through it (5.6 keys hold no inode reference).".to_string(),
            FindingClass::UseAfterFree if f.summary.contains("mempolicy") => {
                let what = f.summary.split("freed ").nth(1).unwrap_or("");
                let policy = what.split(' ').next().unwrap_or("");
                match freeing_step(report, policy) {
                    Some(step) => format!("the lockless policy lookup loaded vma->vm_policy and read the policy's fields with no reference on it and nothing else keeping it: {step}, between the load and the reads (before 7.0 a replaced policy is freed at once; from 7.0 after an RCU grace period, which the lookup's RCU section holds off)."),
                    None => "the lockless policy lookup read a policy that was freed under it.".to_string(),
                }
            }
            FindingClass::UseAfterFree => {
                let what = f.summary.split("freed ").nth(1).unwrap_or("").to_string();
                match freeing_step(report, &what) {
                    Some(step) => format!("the thread handed the kernel an object already freed: {step}."),
                    None => "the thread handed the kernel a pointer read from freed memory (poison).".to_string(),
                }
            }
            FindingClass::Warn => "the kernel would print a WARNING here (see the trace for where).".to_string(),
            FindingClass::Livelock => "the call retried past the bound even after every started event had finished: nothing else could change what it saw.".to_string(),
            FindingClass::Deadlock => "the thread waits for something only it or a waiting event could release.".to_string(),
            FindingClass::LockImbalance | FindingClass::RcuImbalance => "the call returned holding what it took.".to_string(),
            FindingClass::LockstepDivergence => "the C revision and its Rust port disagree; one of them is not the other's port.".to_string(),
        };
        let _ = writeln!(out, "  [{}] {f}\n    because {why}", found.mode);
    }
    out
}
