//! Every scenario within a scope, each once up to symmetry.
//!
//! A scenario of the scope has one mm and one mapping of every kind the
//! model has (anonymous, anonymous THP, regular file, shmem, shmem THP,
//! hugetlbfs; read-write or read-only; shared or private), with the page
//! states it may start in (not faulted, cached, swapped, a huge folio).
//! Its calls name the mapping's words: the first call's word, then the
//! same word, another word of its page, or a word of the next page. Its
//! events are every event kind with every argument over the scenario's
//! objects (each page index, the whole mapping, its first page).
//!
//! Symmetry: events are placed by the schedule, not by their order in the
//! scenario, so a scenario's events are a multiset (`iput` then `munmap`
//! is `munmap` then `iput`); calls are made in order, so they are a
//! sequence; addresses are named from the first call's word on, so two
//! scenarios that differ only by where the mapping lies count once.

use super::scope::Scope;
use crate::exec;
use crate::revision::Revision;
use crate::scenario::{parse, Scenario};
use crate::schedule::{Scheduled, Steps};
use crate::trace::Trace;
use crate::world::Era;

const PAGE: u64 = 0x1000;
/// The model's huge page: 4 base pages.
const HUGE_PAGES: u64 = 4;

/// A mapping of the scope, with the world lines that make it.
#[derive(Clone, Debug)]
struct Mapping {
    /// `mm`, `inode`, `vma` and starting-state lines.
    world: Vec<String>,
    start: u64,
    pages: u64,
    /// The inode's pages, when a file backs the mapping.
    file_pages: Option<u64>,
    /// Whether the mapping is anonymous memory (events name it by address).
    anon: bool,
    /// Whether the file is a regular one (it can be read back after eviction).
    regular_file: bool,
}

impl Mapping {
    /// The first call's word: 8 bytes into the mapping (its FUTEX2_NUMA
    /// node word follows it).
    fn word(&self) -> u64 {
        self.start + 8
    }
}

/// A kind of mapping: its inode line (if a file backs it), the `vma`
/// backing, its pages and the states it may start in.
struct Kind {
    name: &'static str,
    inode: Option<String>,
    backing: &'static str,
    pages: u64,
    states: &'static [&'static str],
}

impl Kind {
    fn of(
        name: &'static str,
        inode: Option<String>,
        backing: &'static str,
        pages: u64,
        states: &'static [&'static str],
    ) -> Kind {
        Kind {
            name,
            inode,
            backing,
            pages,
            states,
        }
    }
}

/// What the enumeration made.
#[derive(Default)]
pub struct Enumeration {
    pub scenarios: Vec<Scenario>,
    /// How many scenarios the scope holds before symmetric ones count
    /// once (event lists in every order).
    pub before_symmetry: u64,
    /// Mappings (with their starting state) and events the revision's era
    /// does not have or that do not apply to the mapping, left out.
    pub not_applicable: u64,
}

/// Every scenario of `scope` that applies to `revision`, one of each
/// symmetric class.
pub fn scenarios(scope: &Scope, revision: Revision) -> Enumeration {
    let era = revision.era();
    let mut out = Enumeration::default();
    let modes: &[&str] = if scope.relaxed {
        &["strict", "relaxed"]
    } else {
        &["strict"]
    };
    for mapping in mappings(scope) {
        let head = mapping.world.join("\n");
        let word = mapping.word();
        if !applies(&head, word, "", revision) {
            out.not_applicable += 1;
            continue;
        }
        let mut events = Vec::new();
        for event in events_of(&mapping, era) {
            if applies(&head, word, &event, revision) {
                events.push(event);
            } else {
                out.not_applicable += 1;
            }
        }
        // A node word that starts as FUTEX_NO_NODE, where the mapping lets
        // it be written (its page is faulted in for it).
        let no_node = era
            .rules()
            .key
            .node
            .then(|| format!("word A {:#x} -1\n", word + 4));
        let no_node = no_node.filter(|line| {
            let fits = applies(&format!("{head}\n{}", line.trim_end()), word, "", revision);
            out.not_applicable += u64::from(!fits);
            fits
        });
        for calls in call_lists(scope, &mapping, era) {
            let by_task = calls.iter().any(|c| c.ends_with(" by T"));
            let room = scope.events.min(scope.size.saturating_sub(calls.len()));
            // The second task is one of the events.
            let Some(room) = room.checked_sub(usize::from(by_task)) else {
                continue;
            };
            let numa = calls.iter().any(|c| c.contains(" numa"));
            // The node word starts at node 0 (every other word holds 0)
            // or at FUTEX_NO_NODE.
            let node_words: &[&str] = match &no_node {
                Some(word) if numa && scope.numa > 1 => &["", word],
                Some(word) if numa => &[word],
                None if numa => continue,
                _ => &[""],
            };
            for k in 0..=room {
                let orders = (events.len() as u64).pow(k as u32);
                out.before_symmetry += orders * (modes.len() * node_words.len()) as u64;
                for chosen in multisets(events.len(), k) {
                    for mode in modes {
                        for node_word in node_words {
                            let head = format!(
                                "mode {mode}\nretries {}\n{head}\n{node_word}",
                                scope.retries
                            );
                            let chosen = chosen.iter().map(|&e| events[e].as_str());
                            out.scenarios.push(scenario(&head, &calls, by_task, chosen));
                        }
                    }
                }
            }
        }
    }
    out
}

/// The scenario of `head` (its mode, retry bound and world), `calls`, the
/// second task when a call is its, and `events`.
fn scenario<'a>(
    head: &str,
    calls: &[String],
    by_task: bool,
    events: impl Iterator<Item = &'a str>,
) -> Scenario {
    let mut text = head.to_string();
    for call in calls {
        text.push_str(call);
        text.push('\n');
    }
    if by_task {
        text.push_str("event T task\n");
    }
    for (n, event) in events.enumerate() {
        text.push_str(&format!("event e{} {event}\n", n + 1));
    }
    // The enumeration writes only statements the parser takes.
    parse(&text).unwrap_or_else(|e| panic!("a scope scenario does not parse: {e}\n{text}"))
}

/// Whether a world (and one event in it, if any) builds and runs on the
/// revision without a harness error: the event placed at the first yield
/// point, with one call on `word`.
fn applies(world: &str, word: u64, event: &str, revision: Revision) -> bool {
    let mut text = format!("{world}\ncall A {word:#x} shared write\n");
    if !event.is_empty() {
        text.push_str(&format!("event e {event}\n"));
    }
    let Ok(mut scenario) = parse(&text) else {
        return false;
    };
    if !event.is_empty() {
        scenario.schedule = vec![Scheduled::at(1, 0, Steps::All)];
    }
    match exec::run(&scenario, revision.target(), Trace::yields_only()) {
        Ok(outcome) => outcome.harness_error.is_none(),
        Err(_) => false,
    }
}

/// Every mapping of the scope with every starting state.
fn mappings(scope: &Scope) -> Vec<Mapping> {
    let small = scope.pages;
    let mut out = Vec::new();
    for prot in ["rw", "r"] {
        for share in ["shared", "private"] {
            let mut add = |inode: Option<String>, backing: &str, pages: u64, states: &[&str]| {
                let start: u64 = if pages >= HUGE_PAGES {
                    0x400000
                } else {
                    0x10000
                };
                let end = start + pages * PAGE;
                for state in states {
                    let mut world = vec!["mm A".to_string()];
                    world.extend(inode.clone());
                    world.push(format!(
                        "vma A {start:#x} {end:#x} {backing} {prot} {share}"
                    ));
                    if !state.is_empty() {
                        world.push(state.replace("START", &format!("{start:#x}")));
                    }
                    out.push(Mapping {
                        world,
                        start,
                        pages,
                        file_pages: inode.as_ref().map(|_| pages),
                        anon: backing.starts_with("anon"),
                        regular_file: backing.starts_with("file"),
                    });
                }
            };
            let size = format!("size={small}");
            let huge = format!("size={HUGE_PAGES}");
            let kinds: [Kind; 6] = [
                Kind::of(
                    "anon",
                    None,
                    "anon",
                    small,
                    &["", "anon A START", "anon A START zero"],
                ),
                Kind::of(
                    "anon-thp",
                    None,
                    "anon thp",
                    HUGE_PAGES,
                    &["", "anon A START thp"],
                ),
                Kind::of(
                    "file",
                    Some(format!("inode F file {size}")),
                    "file F",
                    small,
                    &["", "page F 0"],
                ),
                Kind::of(
                    "shmem",
                    Some(format!("inode F shmem {size}")),
                    "shmem F",
                    small,
                    &["", "page F 0", "page F 0 swapped"],
                ),
                Kind::of(
                    "shmem-thp",
                    Some(format!("inode F shmem {huge}")),
                    "shmem F",
                    HUGE_PAGES,
                    &["page F 0 thp"],
                ),
                Kind::of(
                    "hugetlbfs",
                    Some(format!("inode F hugetlbfs order=2 {huge}")),
                    "hugetlbfs F",
                    HUGE_PAGES,
                    &["", "page F 0"],
                ),
            ];
            for kind in kinds {
                // Shared anonymous memory is shmem (its own kind).
                let anon_shared = kind.inode.is_none() && share == "shared";
                if scope.has_kind(kind.name) && !anon_shared {
                    add(kind.inode, kind.backing, kind.pages, kind.states);
                }
            }
        }
    }
    out
}

/// Every event over the mapping's objects (each still to be checked
/// against the world: not every kind applies to every mapping).
fn events_of(m: &Mapping, era: Era) -> Vec<String> {
    let (start, end, word) = (m.start, m.start + m.pages * PAGE, m.word());
    let mut out = Vec::new();
    if let Some(pages) = m.file_pages {
        for i in 0..pages {
            out.push(format!("truncate F to={i}"));
            out.push(format!("punch F from={i} len=1"));
            out.push(format!("swapout F {i}"));
            out.push(format!("swapin F {i}"));
            out.push(format!("migrate F {i}"));
            out.push(format!("hold F {i}"));
        }
        out.push("invalidate F".into());
        out.push("iput F".into());
        out.push("umount F".into());
        out.push("collapse F 0".into());
        for kind in ["file", "shmem"] {
            out.push(format!("reuse F {kind} size={pages}"));
        }
        if m.regular_file {
            out.push(format!("reread F A {start:#x} {end:#x}"));
        }
    }
    if m.anon {
        out.push(format!("migrate A {word:#x}"));
        out.push(format!("hold A {word:#x}"));
        out.push(format!("collapse-anon A {word:#x}"));
    }
    out.push(format!("cow A {word:#x}"));
    out.push(format!("split A {word:#x}"));
    out.push(format!("munmap A {start:#x} {end:#x}"));
    if m.pages > 1 {
        out.push(format!("munmap A {start:#x} {:#x}", start + PAGE));
    }
    out.push(format!("mprotect A {start:#x} {end:#x} r"));
    out.push(format!("mprotect A {start:#x} {end:#x} none"));
    out.push("fail".into());
    out.push(format!("store A {word:#x} 1"));
    if era.rules().key.node {
        out.push(format!("mbind A {start:#x} {end:#x} bind nodes=1"));
        out.push(format!("home A {start:#x} {end:#x} 1"));
    }
    out
}

/// Every list of calls of the scope on the mapping: the first on its
/// first word, later ones on the same word, another word of its page or
/// a word of the next page; every share and access; from 6.16 the flag
/// sets of the scope's `numa` (see [`Scope::numa`]), the same for every
/// call, and with a node flag a later call on node 0's CPU or node 1's;
/// with two callers, the last call may be the second task's.
fn call_lists(scope: &Scope, m: &Mapping, era: Era) -> Vec<Vec<String>> {
    let word = m.word();
    let mut words = vec![word, word + 0x40];
    if m.pages > 1 {
        words.push(word + PAGE);
    }
    let flags: &[&str] = match (era.rules().key.node, scope.numa) {
        (false, _) | (true, 0) => &[""],
        (true, 1) => &["", " numa mpol"],
        (true, _) => &["", " numa", " numa mpol"],
    };
    let mut all = Vec::new();
    // The calls of a scenario share their flags, as a futex's waiters and
    // wakers do.
    for flag in flags {
        // A node-flagged call after the first may run on another node's
        // CPU (the first runs on node 0: the nodes are alike until then).
        let nodes: &[&str] = if flag.is_empty() {
            &[""]
        } else {
            &["", " node=1"]
        };
        let variants = |addr: u64, nodes: &[&str]| {
            let mut out = Vec::new();
            for share in ["shared", "private"] {
                for access in ["read", "write"] {
                    for node in nodes {
                        out.push(format!("call A {addr:#x} {share} {access}{flag}{node}"));
                    }
                }
            }
            out
        };
        let mut lists: Vec<Vec<String>> =
            variants(word, &[""]).into_iter().map(|c| vec![c]).collect();
        all.extend(lists.iter().cloned());
        for _ in 1..scope.calls.min(scope.size) {
            let mut longer = Vec::new();
            for list in &lists {
                for &addr in &words {
                    for call in variants(addr, nodes) {
                        let mut next = list.clone();
                        next.push(call);
                        longer.push(next);
                    }
                }
            }
            all.extend(longer.iter().cloned());
            lists = longer;
        }
    }
    if scope.callers > 1 && scope.events > 0 {
        let by_task: Vec<Vec<String>> = all
            .iter()
            .filter(|l| l.len() > 1 && l.len() < scope.size)
            .map(|l| {
                let mut l = l.clone();
                if let Some(last) = l.last_mut() {
                    last.push_str(" by T");
                }
                l
            })
            .collect();
        all.extend(by_task);
    }
    all
}

/// Every multiset of `k` of `n` items, as non-decreasing index lists.
fn multisets(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(k);
    fn go(n: usize, k: usize, from: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        for i in from..n {
            current.push(i);
            go(n, k, i, current, out);
            current.pop();
        }
    }
    go(n, k, 0, &mut current, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multisets_count_as_combinations_with_repetition() {
        assert_eq!(multisets(4, 0), vec![Vec::<usize>::new()]);
        assert_eq!(multisets(4, 1).len(), 4);
        assert_eq!(multisets(4, 2).len(), 10);
        assert_eq!(multisets(5, 3).len(), 35);
    }
}
