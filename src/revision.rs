//! The registry of revisions: every C revision build.rs compiled, bundled
//! or named in `FUTEX_DIFF_REVISIONS` at build time, looked up by name.

use std::fmt;

use crate::ffi::CRevision;
use crate::futex::PORTS;
use crate::implementation::{Implementation, Target};
use crate::world::Era;

include!(concat!(env!("OUT_DIR"), "/revisions.rs"));

/// Where a revision's C file came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Bundled,
    User,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Bundled => "bundled",
            Origin::User => "user",
        })
    }
}

/// A revision of `get_futex_key()` that can be run.
#[derive(Clone, Copy)]
pub struct Revision {
    c: &'static CRevision,
}

impl Revision {
    pub fn name(&self) -> &'static str {
        self.c.name
    }

    pub fn path(&self) -> &'static str {
        self.c.path
    }

    pub fn origin(&self) -> Origin {
        if self.c.bundled {
            Origin::Bundled
        } else {
            Origin::User
        }
    }

    /// The mm rules the revision's kernel had: a file may say
    /// `futex-diff: era=3`; 4.x rules otherwise.
    pub fn era(&self) -> Era {
        self.c.era
    }

    /// The compiled C revision, as execution runs it.
    pub fn target(&self) -> Target<'static> {
        Target {
            name: self.c.name,
            era: self.c.era,
            imp: self.c,
        }
    }

    /// The Rust port, as execution runs it, for a revision that has one.
    pub fn port_target(&self) -> Option<Target<'static>> {
        self.port().map(|imp| Target {
            name: self.c.name,
            era: self.c.era,
            imp,
        })
    }

    /// The Rust port of this revision, for the bundled ones.
    pub fn port(&self) -> Option<&'static dyn Implementation> {
        if !self.c.bundled {
            return None;
        }
        PORTS
            .iter()
            .find(|(name, _)| *name == self.c.name)
            .map(|(_, port)| *port)
    }
}

/// Every revision, bundled first, then the user's.
pub fn all() -> impl Iterator<Item = Revision> {
    C_REVISIONS
        .iter()
        .filter(|c| !c.test_only)
        .map(|c| Revision { c })
}

/// A test-only revision from `tests/revisions/defects/`, by name.
pub fn test_defect(name: &str) -> Option<Revision> {
    C_REVISIONS
        .iter()
        .find(|c| c.test_only && c.name == name)
        .map(|c| Revision { c })
}

/// The revision named `name`, or an error that lists the known names.
pub fn find(name: &str) -> Result<Revision, String> {
    all().find(|r| r.name() == name).ok_or_else(|| {
        let known: Vec<&str> = all().map(|r| r.name()).collect();
        format!("no revision named `{name}` (known: {})", known.join(", "))
    })
}
