//! Schedules as plain data: where the steps of each concurrent event run
//! in the futex thread's execution.
//!
//! A placement is either absolute (the execution's N-th yield point, which
//! means something different on each revision) or relative to a call and a
//! kernel API it makes (`before the first lock_page of call 1`), which
//! means the same interleaving on every revision that makes that call.

use std::fmt;

use crate::op::Op;

/// How many steps of an event a schedule entry asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Steps {
    All,
    Count(u32),
}

/// One of the futex thread's calls: the scenario's `get_futex_key()` number
/// K (0-based here), or the `put_futex_key()` of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallRef {
    Get(usize),
    Put(usize),
}

/// A yield point as a kernel API names it: `lock_page`, `READ_ONCE` (any
/// marked read) or `READ_ONCE(page->mapping)` (a marked read of that
/// expression, spaces ignored).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub op: Op,
    pub expr: Option<String>,
}

impl Label {
    /// Whether a yield point at `op`, reading `expr` when it is a marked
    /// read, bears this label.
    pub fn matches(&self, op: Op, expr: Option<&str>) -> bool {
        if op != self.op {
            return false;
        }
        match (&self.expr, expr) {
            (None, _) => true,
            (Some(want), Some(got)) => {
                let mut got = got.chars().filter(|c| !c.is_whitespace());
                let mut want = want.chars().filter(|c| !c.is_whitespace());
                loop {
                    match (want.next(), got.next()) {
                        (None, None) => return true,
                        (a, b) if a == b => continue,
                        _ => return false,
                    }
                }
            }
            (Some(_), None) => false,
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.expr {
            None => f.write_str(self.op.name()),
            Some(expr) => write!(f, "{}({expr})", self.op.name()),
        }
    }
}

/// Before the labelled yield point (the events run first, then the call
/// makes it) or after it (at the next yield point, or as the next call
/// begins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Before,
    After,
}

/// Where a schedule entry runs its event's steps.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Placement {
    /// At the execution's yield point N (numbered from 1), before its
    /// operation takes effect.
    Yield(u32),
    /// As the call begins, before its first yield point.
    Start(CallRef),
    /// Before or after the `nth` (from 1) yield point of `call` that bears
    /// `label`.
    Label {
        call: CallRef,
        side: Side,
        label: Label,
        nth: u32,
    },
}

/// "At `placement`, run `steps` of event `event`."
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scheduled {
    pub placement: Placement,
    pub event: usize,
    pub steps: Steps,
}

impl Scheduled {
    /// An entry at the execution's yield point `at`.
    pub fn at(at: u32, event: usize, steps: Steps) -> Scheduled {
        Scheduled {
            placement: Placement::Yield(at),
            event,
            steps,
        }
    }

    /// The yield point of an absolute entry.
    pub fn yield_point(&self) -> Option<u32> {
        match self.placement {
            Placement::Yield(n) => Some(n),
            _ => None,
        }
    }
}

/// The ordinal of `nth`, as the text form writes it: `2nd`.
fn ordinal(nth: u32) -> String {
    let suffix = match (nth % 10, nth % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{nth}{suffix}")
}

/// Reads an ordinal (`1st`, `2nd`, `3rd`, `4th`, ...).
fn parse_ordinal(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let n: u32 = digits.parse().ok()?;
    (n >= 1 && ordinal(n) == word).then_some(n)
}

impl fmt::Display for CallRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallRef::Get(k) => write!(f, "call {}", k + 1),
            CallRef::Put(k) => write!(f, "put {}", k + 1),
        }
    }
}

/// The text form of a placement, as an `at` statement writes it before
/// the event's name: `12`, `call 2`, `call 1 before lock_page`,
/// `put 1 after 2nd iput`.
impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placement::Yield(n) => write!(f, "{n}"),
            Placement::Start(call) => write!(f, "{call}"),
            Placement::Label {
                call,
                side,
                label,
                nth,
            } => {
                let side = match side {
                    Side::Before => "before",
                    Side::After => "after",
                };
                if *nth == 1 {
                    write!(f, "{call} {side} {label}")
                } else {
                    write!(f, "{call} {side} {} {label}", ordinal(*nth))
                }
            }
        }
    }
}

/// The most yield points of one label a placement may count to.
pub const MAX_NTH: u32 = 1000;

impl Label {
    /// Reads `lock_page`, `READ_ONCE` or `READ_ONCE(page->mapping)`.
    pub fn parse(word: &str) -> Result<Label, String> {
        let (name, expr) = match word.split_once('(') {
            Some((name, rest)) => {
                let expr = rest
                    .strip_suffix(')')
                    .ok_or_else(|| format!("`{word}` lacks its closing `)`"))?;
                if expr.is_empty() {
                    return Err(format!("`{word}` names no expression"));
                }
                (name, Some(expr.to_string()))
            }
            None => (word, None),
        };
        let op = Op::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
            format!(
                "`{name}` is not a kernel API with a yield point (one of {})",
                known.join(", ")
            )
        })?;
        if expr.is_some() && op != Op::ReadOnce {
            return Err(format!(
                "only a marked read names an expression: `READ_ONCE(...)`, not `{word}`"
            ));
        }
        Ok(Label { op, expr })
    }
}

impl Placement {
    /// Reads a placement from the words of an `at` statement after `at`,
    /// and says how many words it took: `N`, `call K`, `put K`, or either
    /// followed by `before|after [ORDINAL] LABEL`.
    pub fn parse(words: &[&str]) -> Result<(Placement, usize), String> {
        let first = *words.first().ok_or("missing a yield point or `call K`")?;
        let make: fn(usize) -> CallRef = match first {
            "call" => CallRef::Get,
            "put" => CallRef::Put,
            number => {
                let at = parse_number(number).ok_or_else(|| {
                    format!("`{number}` is neither a yield point number nor `call`/`put`")
                })?;
                if !(1..=u64::from(u32::MAX)).contains(&at) {
                    return Err("yield points are numbered from 1".into());
                }
                return Ok((Placement::Yield(at as u32), 1));
            }
        };
        let k = words
            .get(1)
            .and_then(|w| parse_number(w))
            .filter(|k| (1..=4096).contains(k))
            .ok_or_else(|| format!("`{first}` takes a call number, from 1"))?;
        let call = make(k as usize - 1);
        let side = match words.get(2) {
            Some(&"before") => Side::Before,
            Some(&"after") => Side::After,
            _ => return Ok((Placement::Start(call), 2)),
        };
        let mut used = 3;
        let mut nth = 1;
        if let Some(n) = words.get(used).and_then(|w| parse_ordinal(w)) {
            if n > MAX_NTH {
                return Err(format!("an ordinal is at most {MAX_NTH}"));
            }
            nth = n;
            used += 1;
        }
        let label = Label::parse(
            words
                .get(used)
                .ok_or("missing the kernel API to place by")?,
        )?;
        Ok((
            Placement::Label {
                call,
                side,
                label,
                nth,
            },
            used + 1,
        ))
    }

    /// The call a placement names, if it names one.
    pub fn call(&self) -> Option<CallRef> {
        match self {
            Placement::Yield(_) => None,
            Placement::Start(call) | Placement::Label { call, .. } => Some(*call),
        }
    }
}

fn parse_number(word: &str) -> Option<u64> {
    match word.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => word.parse().ok(),
    }
}
