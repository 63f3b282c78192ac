//! Meaning: every call returns what the function means on some world state it saw, keeps exactly the key's reference, and keys equal words equally and different words differently.
//!
//! Usable on any revision, a user's C file included. A failure is any of:
//! - `wrong-key`: the key is none the reference semantics give on a state
//!   between the call's entry and exit;
//! - `spurious-error`: an error where no such state errs (unless a named
//!   allowance applies);
//! - `missing-error`: a key where every such state errs;
//! - `refcount-leak` / `refcount-underflow`: after a call, the thread holds
//!   more / fewer references than its key stands for; after the puts,
//!   anything but none;
//! - `key-collision` / `key-mismatch`: two calls on different words get
//!   equal keys / on the same word get different keys;
//! - everything the fake kernel noticed on the way (use-after-free, WARNs,
//!   livelock, deadlock, lock and RCU imbalance), as it reported it.

use std::collections::BTreeMap;

use crate::exec::{CallOutcome, Outcome};
use crate::finding::{Finding, FindingClass};
use crate::implementation::CallResult;
use crate::kernel::Held;
use crate::key::{Key, KeyObject, FUT_OFF_INODE, FUT_OFF_MMSHARED};
use crate::reference::Expected;

use crate::abi::EFAULT;
use crate::era::{Era, InodeKeyName};
use crate::world::file::FileId;
use crate::world::task_name;

/// A divergence the kernel accepts, so not a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowance {
    /// The page GUP found for the call, truncated, hole-punched or
    /// invalidated before the call looked at its mapping, may make it fail
    /// with -EFAULT: get_futex_key()'s own comment on a NULL
    /// `page->mapping` (kernel/futex.c, 3.12-4.7) counts a file page that
    /// was good when GUP found it, then truncated, hole-punched or
    /// invalidated before the page lock was taken, among the cases it is
    /// content to fail, though a later state would key fine. From 6.16 the
    /// call also faults that page in itself, to read a FUTEX2_NUMA node
    /// word (which shares the futex's page), and writes the node back
    /// later: the page going between the two (a hole punched or the page
    /// invalidated under the call, with the mapping made read-only) is the
    /// same case, though the state after no longer asks for a write-back
    /// (a punched word reads 0; the model keeps no file contents outside
    /// the page cache, so an invalidated word reads 0 too).
    TruncatedPageMayFail,
    /// fail_futex (CONFIG_FAIL_FUTEX, Documentation/fault-injection) exists
    /// to make should_fail_futex() fail the call with -EFAULT.
    InjectedFault,
    /// From 5.6 an inode key names the inode's sequence number: a file
    /// evicted and read back is a new inode with a new number, so two
    /// calls on one word of it get different keys. The kernel accepts this
    /// in so many words (the comment above `get_inode_sequence_number()`,
    /// 5.6 on): it "will _NOT_ match, even though it is the exact same
    /// file"; match_futex() must never give a false positive, and false
    /// negatives only hit programs that unmap a file a waiter waits on.
    RereadFileNewSequence,
    /// Before 5.6 an inode key holds the inode: while a key on it lives,
    /// the inode stays (evict() comes only with the last reference), and a
    /// file read back is that inode. Only once every key on it was put can
    /// it be evicted and the file read into a new inode, whose keys differ
    /// from the put ones; no waiter holds a put key (futex_wait() keeps its
    /// key until it returns), so nothing is missed. Were a key still held,
    /// the eviction would be a refcount finding of its own.
    RereadAfterKeysPut,
    /// Two FUTEX2_NUMA calls on one word land in different nodes' tables
    /// after another task stored to the node word: the commit that added
    /// FUTEX2_NUMA (cec199c5e39b) says "If userspace corrupts the node
    /// value between WAIT and WAKE, the futex will not be found and no
    /// wakeup will happen".
    NodeWordStored,
    /// Two FUTEX2_NUMA calls on one word read the node word from different
    /// pages: the page the first wrote its node to went (truncated, evicted,
    /// COWed away) and its contents with it. The kernel holds a program
    /// that takes the memory from under its waiters malformed (the comment
    /// above `get_inode_sequence_number()`).
    NodeWordLost,
    /// FUTEX2_MPOL without FUTEX2_NUMA takes the node from the memory
    /// policy of the caller's vma at each call (`__futex_key_to_node()`;
    /// the FUTEX2_MPOL commit c042c505210d: "there is a MPOL_PREFERRED or
    /// home_node specified covering the futex address, use that
    /// hash-map"): calls made through vmas with different policies, or
    /// across an mbind, land in different tables by definition.
    NodeFollowsPolicy,
}

impl Allowance {
    pub fn name(self) -> &'static str {
        match self {
            Allowance::TruncatedPageMayFail => "truncated-page-may-fail",
            Allowance::InjectedFault => "injected-fault",
            Allowance::RereadFileNewSequence => "reread-file-new-sequence",
            Allowance::RereadAfterKeysPut => "reread-after-keys-put",
            Allowance::NodeWordStored => "node-word-stored",
            Allowance::NodeWordLost => "node-word-lost",
            Allowance::NodeFollowsPolicy => "node-follows-policy",
        }
    }
}

/// What the meaning oracle makes of one execution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    pub findings: Vec<Finding>,
    /// Divergences excused by a named allowance: (call, allowance).
    pub allowed: Vec<(usize, Allowance)>,
}

/// Judges `outcome`; a run the harness failed in is not judged.
pub fn check(outcome: &Outcome) -> Verdict {
    if outcome.harness_error.is_some() {
        // The model could not go on (an event it cannot carry out left the
        // world half changed): what the run did next is not the kernel's.
        return Verdict::default();
    }
    let mut verdict = Verdict {
        findings: outcome.findings.clone(),
        allowed: Vec::new(),
    };
    let mut aborted = false;
    for (i, call) in outcome.calls.iter().enumerate() {
        match call.result {
            CallResult::Aborted => aborted = true,
            CallResult::Returned(code) => {
                check_result(i, call, code, &mut verdict);
                check_node(i, call, &mut verdict);
            }
        }
    }
    if !aborted
        && outcome
            .calls
            .iter()
            .all(|c| c.put != Some(CallResult::Aborted))
    {
        check_references(outcome, &mut verdict.findings);
    }
    check_identities(outcome, &mut verdict);
    check_nodes_agree(outcome, &mut verdict);
    dedup(&mut verdict.findings);
    verdict
}

/// The node a call's key names (6.16 on) is one a state it saw means.
fn check_node(i: usize, call: &CallOutcome, verdict: &mut Verdict) {
    let Some(node) = call.node else { return };
    let nodes = &call.observation.nodes;
    if nodes.is_empty() || nodes.contains(&node) {
        return;
    }
    let list: Vec<String> = nodes.iter().map(|n| n.to_string()).collect();
    verdict.findings.push(Finding::new(
        FindingClass::WrongKey,
        format!(
            "call {} landed in node {node}'s hash table where the states it saw give node {}",
            i + 1,
            list.join(" or ")
        ),
    ));
}

/// Calls on one word with the same futex2 flags land in one node's hash
/// table (6.16 on): the node is part of where a waiter waits, so two
/// tables for one word are a lost wakeup. Atomically, the later of two
/// FUTEX2_NUMA calls would find the node the earlier one wrote back.
fn check_nodes_agree(outcome: &Outcome, verdict: &mut Verdict) {
    let keyed: Vec<(usize, &CallOutcome, i32)> = outcome
        .calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.result == CallResult::Returned(0))
        .filter_map(|(i, c)| c.node.map(|node| (i, c, node)))
        .collect();
    for (a, &(i, ci, ni)) in keyed.iter().enumerate() {
        for &(j, cj, nj) in &keyed[a + 1..] {
            if ci.key != cj.key || ci.flags != cj.flags || ni == nj {
                continue;
            }
            let stored = outcome.event_stores.iter().any(|s| {
                ci.observation.node_words.contains(s) || cj.observation.node_words.contains(s)
            });
            let lost = !ci.observation.node_words.is_empty()
                && !cj.observation.node_words.is_empty()
                && !ci
                    .observation
                    .node_words
                    .iter()
                    .any(|w| cj.observation.node_words.contains(w));
            let allowance = if !ci.flags.numa {
                Some(Allowance::NodeFollowsPolicy)
            } else if stored {
                Some(Allowance::NodeWordStored)
            } else if lost {
                Some(Allowance::NodeWordLost)
            } else {
                None
            };
            match allowance {
                Some(allowance) => verdict.allowed.push((j, allowance)),
                None => verdict.findings.push(Finding::new(
                    FindingClass::KeyMismatch,
                    format!(
                        "calls {} and {} name the same futex word but land in different nodes' hash tables ({ni} / {nj}): a wake on one misses a waiter on the other",
                        i + 1,
                        j + 1
                    ),
                )),
            }
        }
    }
}

fn dedup(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert(f.clone()));
}

fn describe_set(expected: &[Expected]) -> String {
    let texts: Vec<String> = expected.iter().map(|e| e.to_string()).collect();
    match texts.len() {
        1 => texts[0].clone(),
        _ => format!("one of [{}]", texts.join("; ")),
    }
}

/// Every result the call may return: the reference on each state it saw,
/// and what its read-only retry finds once a write request failed.
fn meanings(call: &CallOutcome) -> Vec<Expected> {
    let observation = &call.observation;
    let mut all = observation.expected.clone();
    for retry in &observation.read_only_retry {
        if !all.contains(retry) {
            all.push(*retry);
        }
    }
    all
}

fn check_result(i: usize, call: &CallOutcome, code: i32, verdict: &mut Verdict) {
    let expected = &meanings(call);
    if expected.is_empty() {
        return;
    }
    let n = i + 1;
    if expected.iter().any(|e| e.is_result(code, call.key)) {
        return;
    }
    if code != 0 {
        if code == -EFAULT && call.observation.fault_injected {
            verdict.allowed.push((i, Allowance::InjectedFault));
            return;
        }
        // Only a page the call found (GUP's, or the one get_user() read the
        // node word from) excuses it: a truncation elsewhere in the file, or
        // of an earlier inode in the same slot, does not.
        if code == -EFAULT && call.observation.found_page_truncated {
            verdict.allowed.push((i, Allowance::TruncatedPageMayFail));
            return;
        }
        verdict.findings.push(Finding::new(
            FindingClass::SpuriousError,
            format!(
                "call {n} returned {} where the states it saw give {}",
                crate::abi::errno_name(code),
                describe_set(expected)
            ),
        ));
        return;
    }
    if expected.iter().all(|e| e.is_error()) {
        verdict.findings.push(Finding::new(
            FindingClass::MissingError,
            format!(
                "call {n} returned a key ({}) where the states it saw give {}",
                call.key,
                describe_set(expected)
            ),
        ));
    } else {
        verdict.findings.push(Finding::new(
            FindingClass::WrongKey,
            format!(
                "call {n} returned {} where the states it saw give {}",
                call.key,
                describe_set(expected)
            ),
        ));
    }
}

/// The reference a returned key stands for, as the era's keys hold them.
fn key_reference(key: &Key, era: Era) -> Option<Held> {
    let holds = era.rules().key;
    match (key.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED), key.object) {
        (FUT_OFF_INODE, KeyObject::Inode(inode)) if holds.inode_key_holds_inode => {
            Some(Held::Inode(inode))
        }
        (FUT_OFF_MMSHARED, KeyObject::Mm(mm)) if holds.mm_key_holds_mm => Some(Held::Mm(mm)),
        _ => None,
    }
}

fn held_name(held: Held) -> String {
    match held {
        Held::Page(p) => format!("page#{}", p.0),
        Held::Inode(i) => format!("inode#{} (allocation {})", i.slot.0, i.generation),
        Held::Mm(m) => format!("mm#{}", m.0),
    }
}

/// Compares what a task (`who`) holds with what its keys stand for; `when`
/// is asked for only when they differ (a search compares every run).
fn compare_held(
    actual: &[(Held, i32)],
    expected: &BTreeMap<Held, i32>,
    when: impl Fn() -> String,
    who: &str,
    findings: &mut Vec<Finding>,
) {
    let mut all: BTreeMap<Held, (i32, i32)> = BTreeMap::new();
    for (held, n) in actual {
        all.entry(*held).or_default().0 += n;
    }
    for (held, n) in expected {
        all.entry(*held).or_default().1 += n;
    }
    for (held, (got, want)) in all {
        if got == want {
            continue;
        }
        let (name, when) = (held_name(held), when());
        if got > want {
            findings.push(Finding::new(
                FindingClass::RefcountLeak,
                format!(
                    "{when} {who} holds {} reference(s) on {name} more than its keys stand for",
                    got - want
                ),
            ));
        } else if got < want {
            findings.push(Finding::new(
                FindingClass::RefcountUnderflow,
                format!(
                    "{when} {who} holds {} reference(s) on {name} fewer than its keys stand for",
                    want - got
                ),
            ));
        }
    }
}

/// Each task's references against its own keys: after each of its calls,
/// those of its calls so far; after its puts, none.
fn check_references(outcome: &Outcome, findings: &mut Vec<Finding>) {
    for (task, held_at_end) in outcome.held_at_end.iter().enumerate() {
        let who = match task {
            0 => "the thread",
            t => task_name(t),
        };
        let mut expected: BTreeMap<Held, i32> = BTreeMap::new();
        let calls = outcome.calls.iter().enumerate();
        for (i, call) in calls.filter(|(_, c)| c.task == task) {
            if call.result == CallResult::Returned(0) {
                if let Some(held) = key_reference(&call.key, outcome.era) {
                    *expected.entry(held).or_default() += 1;
                }
            }
            compare_held(
                &call.held_after,
                &expected,
                || format!("after call {}", i + 1),
                who,
                findings,
            );
        }
        compare_held(
            held_at_end,
            &BTreeMap::new(),
            || "after put_futex_key()".to_string(),
            who,
            findings,
        );
    }
}

/// The key every state a call saw agrees on, if they all agree.
fn stable_key(call: &CallOutcome) -> Option<Key> {
    let meanings = meanings(call);
    let mut keys = meanings.iter().map(|e| e.key());
    let first = keys.next()??;
    keys.all(|k| k == Some(first)).then_some(first)
}

/// The file an inode key's object holds, when a file was read back into
/// a second inode during the execution.
fn file_of(outcome: &Outcome, key: Key) -> Option<FileId> {
    let KeyObject::Inode(inode) = key.object else {
        return None;
    };
    outcome
        .inode_files
        .iter()
        .find(|(i, _)| *i == inode)
        .map(|(_, f)| *f)
}

fn check_identities(outcome: &Outcome, verdict: &mut Verdict) {
    let rules = outcome.era.rules().key;
    let reread_allowance = if rules.inode_named_by == InodeKeyName::Sequence {
        Some(Allowance::RereadFileNewSequence)
    } else if rules.inode_key_holds_inode {
        Some(Allowance::RereadAfterKeysPut)
    } else {
        None
    };
    let findings = &mut verdict.findings;
    let ok: Vec<(usize, &CallOutcome, Key)> = outcome
        .calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.result == CallResult::Returned(0))
        .filter_map(|(i, c)| stable_key(c).map(|k| (i, c, k)))
        .collect();
    for (a, (i, ci, ki)) in ok.iter().enumerate() {
        for (j, cj, kj) in &ok[a + 1..] {
            let (n, m) = (i + 1, j + 1);
            // One word of a file read back into a new inode: the same word.
            let reread = ki != kj
                && (ki.word, ki.offset) == (kj.word, kj.offset)
                && file_of(outcome, *ki).is_some_and(|f| file_of(outcome, *kj) == Some(f));
            if let Some(allowance) = reread_allowance.filter(|_| reread && ci.key != cj.key) {
                verdict.allowed.push((*j, allowance));
            } else if (ki == kj || reread) && ci.key != cj.key {
                findings.push(Finding::new(
                    FindingClass::KeyMismatch,
                    format!("calls {n} and {m} name the same futex word but got different keys ({} / {})", ci.key, cj.key),
                ));
            } else if ki != kj && !reread && ci.key == cj.key {
                findings.push(Finding::new(
                    FindingClass::KeyCollision,
                    format!(
                        "calls {n} and {m} name different futex words but got the same key ({})",
                        ci.key
                    ),
                ));
            }
        }
    }
}
