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

/// A mapping of the scope that applies to the revision, with what may
/// happen over it.
struct Region {
    /// The world's lines.
    head: String,
    /// The events that apply to it.
    events: Vec<String>,
    /// The words calls name ([`call_words`]).
    words: Vec<u64>,
    /// The node flags calls may carry ([`call_flags`]).
    flags: &'static [&'static str],
    /// The line that starts the node word at `FUTEX_NO_NODE`, where the
    /// era has node words and the mapping lets it be written.
    no_node: Option<String>,
}

/// One list of calls over a region: its room for events and its node-word
/// lines.
struct Calls<'a> {
    calls: &'a [String],
    /// Whether the last call is the second task's (an event of its own).
    by_task: bool,
    /// Events the scenario may have beside the calls.
    room: usize,
    /// The node word's starting lines to choose from ("": node 0).
    node_words: Vec<&'a str>,
}

/// The scenarios of a scope on one revision, before they are listed: each
/// mapping that applies, with its events and call lists. [`scenarios`]
/// lists them all; [`Space::sample`] draws one, for the fuzzers.
pub struct Space {
    scope: Scope,
    regions: Vec<Region>,
    /// Mappings and events that do not apply to the revision.
    not_applicable: u64,
}

impl Space {
    /// The space of `scope` on `revision`: every mapping and event checked
    /// against the revision's era once.
    pub fn new(scope: &Scope, revision: Revision) -> Space {
        let era = revision.era();
        let mut not_applicable = 0;
        let mut regions = Vec::new();
        for mapping in mappings(scope) {
            let head = mapping.world.join("\n");
            let word = mapping.word();
            if !applies(&head, word, "", revision) {
                not_applicable += 1;
                continue;
            }
            let mut events = Vec::new();
            for event in events_of(&mapping, era) {
                if applies(&head, word, &event, revision) {
                    events.push(event);
                } else {
                    not_applicable += 1;
                }
            }
            // A node word that starts as FUTEX_NO_NODE, where the mapping
            // lets it be written (its page is faulted in for it).
            let no_node = era
                .rules()
                .key
                .node
                .then(|| format!("word A {:#x} -1\n", word + 4));
            let no_node = no_node.filter(|line| {
                let fits = applies(&format!("{head}\n{}", line.trim_end()), word, "", revision);
                not_applicable += u64::from(!fits);
                fits
            });
            regions.push(Region {
                words: call_words(&mapping),
                flags: call_flags(scope, era),
                head,
                events,
                no_node,
            });
        }
        Space {
            scope: *scope,
            regions,
            not_applicable,
        }
    }

    /// The room for events and the node words of `calls` on `region`, or
    /// `None` when the scope has no scenario with those calls.
    fn calls<'a>(&self, region: &'a Region, calls: &'a [String]) -> Option<Calls<'a>> {
        let scope = &self.scope;
        let by_task = calls.iter().any(|c| c.ends_with(" by T"));
        let room = scope.events.min(scope.size.saturating_sub(calls.len()));
        // The second task is one of the events.
        let room = room.checked_sub(usize::from(by_task))?;
        let numa = calls.iter().any(|c| c.contains(" numa"));
        // The node word starts at node 0 (every other word holds 0) or at
        // FUTEX_NO_NODE.
        let node_words = match &region.no_node {
            Some(word) if numa && scope.numa > 1 => vec!["", word.as_str()],
            Some(word) if numa => vec![word.as_str()],
            None if numa => return None,
            _ => vec![""],
        };
        Some(Calls {
            calls,
            by_task,
            room,
            node_words,
        })
    }

    fn modes(&self) -> &'static [&'static str] {
        if self.scope.relaxed {
            &["strict", "relaxed"]
        } else {
            &["strict"]
        }
    }

    /// One scenario of the space, drawn with `below(n)`, a number under
    /// `n`: a mapping, calls ([`Space::draw_calls`]), a mode, a node word,
    /// and events (any number the room allows, each drawn on its own). It
    /// has no schedule and, unlike a proof's, no retry bound of its own
    /// (the binary form has none).
    pub fn sample(&self, below: &mut dyn FnMut(usize) -> usize) -> Option<Scenario> {
        if self.regions.is_empty() {
            return None;
        }
        let region = &self.regions[below(self.regions.len())];
        let calls = self.draw_calls(region, below);
        let shape = self.calls(region, &calls)?;
        let modes = self.modes();
        let mode = modes[below(modes.len())];
        let node_word = shape.node_words[below(shape.node_words.len())];
        let k = if region.events.is_empty() {
            0
        } else {
            below(shape.room + 1)
        };
        let events: Vec<&str> = (0..k)
            .map(|_| region.events[below(region.events.len())].as_str())
            .collect();
        let head = format!("mode {mode}\n{}\n{node_word}", region.head);
        Some(scenario(
            &head,
            shape.calls,
            shape.by_task,
            events.into_iter(),
        ))
    }

    /// Calls on `region` drawn with `below`: as likely one call as two (not
    /// the lists' own mix, where the longest are most), each on any of the
    /// region's words (the first too: a draw need not be the one of its
    /// symmetric class that the enumeration lists), any share and access,
    /// the same node flags, and the last one, maybe, the second task's.
    fn draw_calls(&self, region: &Region, below: &mut dyn FnMut(usize) -> usize) -> Vec<String> {
        let scope = &self.scope;
        let n = 1 + below(scope.calls.min(scope.size));
        let flag = region.flags[below(region.flags.len())];
        let mut calls: Vec<String> = (0..n)
            .map(|i| {
                let nodes = if i == 0 { &[""] } else { call_nodes(flag) };
                call_line(
                    region.words[below(region.words.len())],
                    SHARES[below(SHARES.len())],
                    ACCESSES[below(ACCESSES.len())],
                    flag,
                    nodes[below(nodes.len())],
                )
            })
            .collect();
        if scope.callers > 1 && scope.events > 0 && n > 1 && n < scope.size && below(2) == 0 {
            if let Some(last) = calls.last_mut() {
                last.push_str(" by T");
            }
        }
        calls
    }
}

/// Every scenario of `scope` that applies to `revision`, one of each
/// symmetric class.
pub fn scenarios(scope: &Scope, revision: Revision) -> Enumeration {
    let space = Space::new(scope, revision);
    let mut out = Enumeration {
        not_applicable: space.not_applicable,
        ..Enumeration::default()
    };
    let modes = space.modes();
    for region in &space.regions {
        for calls in &call_lists(scope, region) {
            let Some(shape) = space.calls(region, calls) else {
                continue;
            };
            let events = &region.events;
            for k in 0..=shape.room {
                let orders = (events.len() as u64).pow(k as u32);
                out.before_symmetry += orders * (modes.len() * shape.node_words.len()) as u64;
                for chosen in multisets(events.len(), k) {
                    for mode in modes {
                        for node_word in &shape.node_words {
                            let head = format!(
                                "mode {mode}\nretries {}\n{}\n{node_word}",
                                scope.retries, region.head
                            );
                            let chosen = chosen.iter().map(|&e| events[e].as_str());
                            out.scenarios
                                .push(scenario(&head, shape.calls, shape.by_task, chosen));
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
    match exec::run_unobserved(&scenario, revision.target(), Trace::yields_only()) {
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

/// Every list of calls of the scope on the region: the first on its
/// first word, later ones on the same word, another word of its page or
/// a word of the next page; every share and access; from 6.16 the flag
/// sets of the scope's `numa` (see [`Scope::numa`]), the same for every
/// call, and with a node flag a later call on node 0's CPU or node 1's;
/// with two callers, the last call may be the second task's.
fn call_lists(scope: &Scope, region: &Region) -> Vec<Vec<String>> {
    let words = &region.words;
    let word = words[0];
    let mut all = Vec::new();
    // The calls of a scenario share their flags, as a futex's waiters and
    // wakers do.
    for flag in region.flags {
        // A node-flagged call after the first may run on another node's
        // CPU (the first runs on node 0: the nodes are alike until then).
        let nodes = call_nodes(flag);
        let variants = |addr: u64, nodes: &[&str]| {
            let mut out = Vec::new();
            for share in SHARES {
                for access in ACCESSES {
                    for node in nodes {
                        out.push(call_line(addr, share, access, flag, node));
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
                for &addr in words {
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

const SHARES: [&str; 2] = ["shared", "private"];
const ACCESSES: [&str; 2] = ["read", "write"];

/// The words calls on the mapping name: its first word, another word of
/// its first page, and a word of its second page if it has one.
fn call_words(m: &Mapping) -> Vec<u64> {
    let word = m.word();
    let mut words = vec![word, word + 0x40];
    if m.pages > 1 {
        words.push(word + PAGE);
    }
    words
}

/// The FUTEX2 node flags the scope's calls may carry in the era (the same
/// for every call of a scenario).
fn call_flags(scope: &Scope, era: Era) -> &'static [&'static str] {
    match (era.rules().key.node, scope.numa) {
        (false, _) | (true, 0) => &[""],
        (true, 1) => &["", " numa mpol"],
        (true, _) => &["", " numa", " numa mpol"],
    }
}

/// The CPUs' nodes a call after the first may run on: with a node flag,
/// node 0's or node 1's (the first runs on node 0: the nodes are alike
/// until then).
fn call_nodes(flag: &str) -> &'static [&'static str] {
    if flag.is_empty() {
        &[""]
    } else {
        &["", " node=1"]
    }
}

/// A call's line.
fn call_line(addr: u64, share: &str, access: &str, flag: &str, node: &str) -> String {
    format!("call A {addr:#x} {share} {access}{flag}{node}")
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
