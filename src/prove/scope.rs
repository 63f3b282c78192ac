//! The scope of a proof: which mappings, and how large the scenarios
//! `prove` enumerates may be. Every dimension has a default (the scope
//! the README's claim is about) and is changed with `--scope
//! name=value,...`.

use std::fmt;

/// The kinds of mapping a scenario may have.
pub const KINDS: [&str; 6] = [
    "anon",
    "anon-thp",
    "file",
    "shmem",
    "shmem-thp",
    "hugetlbfs",
];

/// The bounds of the scenarios a proof covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Which of [`KINDS`] the mapping may be (bit `i`: `KINDS[i]`).
    pub kinds: u8,
    /// Base pages of a mapping of small pages (a THP or a hugetlbfs page
    /// maps one huge page of 4 base pages, the model's huge size).
    pub pages: u64,
    /// `get_futex_key()` calls.
    pub calls: usize,
    /// Concurrent events (the second futex task is one).
    pub events: usize,
    /// Calls and events together.
    pub size: usize,
    /// Futex tasks making calls (1 or 2).
    pub callers: usize,
    /// Event runs one schedule may place (the preemption bound).
    pub bound: usize,
    /// The yield points a placement may name: the first `yields` of a run.
    pub yields: u32,
    /// Yield points a call may pass before it is livelocked.
    pub retries: u32,
    /// From 6.16, the FUTEX2 node flags of the calls: 0, none; 1, also
    /// `numa mpol` with the node word at `FUTEX_NO_NODE`; 2, also `numa`
    /// alone, and node words that start at node 0 too.
    pub numa: usize,
    /// Relaxed mode too (events ignore the kernel's preconditions).
    pub relaxed: bool,
    /// The lockstep oracle too: the revision's Rust port runs each
    /// schedule beside it (a check of the port, not of the kernel).
    pub lockstep: bool,
}

impl Default for Scope {
    fn default() -> Scope {
        Scope {
            kinds: (1 << KINDS.len()) - 1,
            pages: 1,
            calls: 2,
            events: 2,
            size: 3,
            callers: 2,
            bound: 2,
            yields: 64,
            retries: 300,
            numa: 1,
            relaxed: false,
            lockstep: false,
        }
    }
}

/// Each numeric dimension with its least and largest value: beyond them
/// the count of scenarios, not the model, is the limit.
const LIMITS: [(&str, usize, usize); 9] = [
    ("pages", 1, 4),
    ("calls", 1, 4),
    ("events", 0, 4),
    ("size", 1, 8),
    ("callers", 1, 2),
    ("bound", 0, 4),
    ("yields", 1, 200),
    ("retries", 100, 2000),
    ("numa", 0, 2),
];

impl Scope {
    /// The default scope with `spec` (`name=value,...`, or `relaxed`)
    /// applied.
    pub fn parse(spec: &str) -> Result<Scope, String> {
        let mut scope = Scope::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "relaxed" {
                scope.relaxed = true;
                continue;
            }
            if item == "lockstep" {
                scope.lockstep = true;
                continue;
            }
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("scope item `{item}` is not NAME=VALUE"))?;
            if name == "kinds" {
                scope.kinds = 0;
                for kind in value.split('+') {
                    let i = KINDS.iter().position(|k| *k == kind).ok_or_else(|| {
                        format!(
                            "unknown mapping kind `{kind}` (known: {})",
                            KINDS.join(", ")
                        )
                    })?;
                    scope.kinds |= 1 << i;
                }
                continue;
            }
            let (least, limit) = LIMITS
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|&(_, least, limit)| (least, limit))
                .ok_or_else(|| {
                    let names: Vec<&str> = LIMITS.iter().map(|(n, _, _)| *n).collect();
                    format!(
                        "unknown scope dimension `{name}` (known: kinds, {}, relaxed, lockstep)",
                        names.join(", ")
                    )
                })?;
            let value: usize = value
                .parse()
                .map_err(|_| format!("scope `{name}` needs a number, not `{value}`"))?;
            if value < least || value > limit {
                return Err(format!("scope `{name}` must be from {least} to {limit}"));
            }
            match name {
                "pages" => scope.pages = value as u64,
                "calls" => scope.calls = value,
                "events" => scope.events = value,
                "size" => scope.size = value,
                "callers" => scope.callers = value,
                "bound" => scope.bound = value,
                "yields" => scope.yields = value as u32,
                "numa" => scope.numa = value,
                _ => scope.retries = value as u32,
            }
        }
        Ok(scope)
    }

    /// Whether the mapping may be of `kind` (one of [`KINDS`]).
    pub fn has_kind(&self, kind: &str) -> bool {
        KINDS
            .iter()
            .position(|k| *k == kind)
            .is_some_and(|i| self.kinds & (1 << i) != 0)
    }

    /// The kinds of mapping, as `--scope` takes them: `file+shmem`.
    pub fn kind_list(&self) -> String {
        let kinds: Vec<&str> = KINDS.iter().copied().filter(|k| self.has_kind(k)).collect();
        kinds.join("+")
    }
}

impl fmt::Display for Scope {
    /// The scope as `--scope` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kinds={},pages={},calls={},events={},size={},callers={},bound={},yields={},retries={},numa={}{}{}",
            self.kind_list(),
            self.pages,
            self.calls,
            self.events,
            self.size,
            self.callers,
            self.bound,
            self.yields,
            self.retries,
            self.numa,
            if self.relaxed { ",relaxed" } else { "" },
            if self.lockstep { ",lockstep" } else { "" }
        )
    }
}
