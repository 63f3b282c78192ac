//! Findings: what the harness reports when a revision, or the world it
//! runs in, departs from what the kernel allows. Class names are stable:
//! reports, reproducers and de-duplication key on them.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingClass {
    LockstepDivergence,
    WrongKey,
    SpuriousError,
    MissingError,
    KeyCollision,
    KeyMismatch,
    RefcountLeak,
    RefcountUnderflow,
    UseAfterFree,
    Warn,
    Livelock,
    Deadlock,
    LockImbalance,
    RcuImbalance,
}

impl FindingClass {
    pub const ALL: [FindingClass; 14] = [
        FindingClass::LockstepDivergence,
        FindingClass::WrongKey,
        FindingClass::SpuriousError,
        FindingClass::MissingError,
        FindingClass::KeyCollision,
        FindingClass::KeyMismatch,
        FindingClass::RefcountLeak,
        FindingClass::RefcountUnderflow,
        FindingClass::UseAfterFree,
        FindingClass::Warn,
        FindingClass::Livelock,
        FindingClass::Deadlock,
        FindingClass::LockImbalance,
        FindingClass::RcuImbalance,
    ];

    /// The stable name used in reports and reproducer files.
    pub fn name(self) -> &'static str {
        match self {
            FindingClass::LockstepDivergence => "lockstep-divergence",
            FindingClass::WrongKey => "wrong-key",
            FindingClass::SpuriousError => "spurious-error",
            FindingClass::MissingError => "missing-error",
            FindingClass::KeyCollision => "key-collision",
            FindingClass::KeyMismatch => "key-mismatch",
            FindingClass::RefcountLeak => "refcount-leak",
            FindingClass::RefcountUnderflow => "refcount-underflow",
            FindingClass::UseAfterFree => "use-after-free",
            FindingClass::Warn => "warn",
            FindingClass::Livelock => "livelock",
            FindingClass::Deadlock => "deadlock",
            FindingClass::LockImbalance => "lock-imbalance",
            FindingClass::RcuImbalance => "rcu-imbalance",
        }
    }

    /// What the class means, in one sentence.
    pub fn description(self) -> &'static str {
        match self {
            FindingClass::LockstepDivergence => "A C revision and its Rust port parted: the port is not the revision.",
            FindingClass::WrongKey => "get_futex_key() returned a key that no state of the world during the call gives.",
            FindingClass::SpuriousError => "get_futex_key() failed where every state of the world during the call gives a key.",
            FindingClass::MissingError => "get_futex_key() returned a key where every state of the world during the call gives an error.",
            FindingClass::KeyCollision => "Two calls on different futex words got the same key.",
            FindingClass::KeyMismatch => "Two calls on the same futex word got keys that do not match.",
            FindingClass::RefcountLeak => "A reference was taken and not dropped: more held than the keys stand for.",
            FindingClass::RefcountUnderflow => "A reference was dropped that was not held: fewer held than the keys stand for.",
            FindingClass::UseAfterFree => "An object was used after it was freed.",
            FindingClass::Warn => "The kernel would print a warning here: a WARN_ON() condition held.",
            FindingClass::Livelock => "The call kept retrying past the retry bound.",
            FindingClass::Deadlock => "The call waited for something that never comes.",
            FindingClass::LockImbalance => "A lock was taken and not released, or released and not taken.",
            FindingClass::RcuImbalance => "rcu_read_lock() and rcu_read_unlock() did not pair.",
        }
    }

    pub fn from_name(name: &str) -> Option<FindingClass> {
        FindingClass::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for FindingClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One departure: its class and a one-line summary that names objects by
/// their identities, never by addresses, so equal findings read equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Finding {
    pub class: FindingClass,
    pub summary: String,
}

impl Finding {
    pub fn new(class: FindingClass, summary: impl Into<String>) -> Finding {
        Finding {
            class,
            summary: summary.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class, self.summary)
    }
}

/// A summary with every run of digits (and hex digits after `0x`) as `N`.
pub fn shape(summary: &str) -> String {
    let mut out = String::with_capacity(summary.len());
    let mut chars = summary.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            if c == '0' && chars.peek() == Some(&'x') {
                chars.next();
                while chars.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    chars.next();
                }
            } else {
                while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
                    chars.next();
                }
            }
            out.push('N');
        } else {
            out.push(c);
        }
    }
    out
}
