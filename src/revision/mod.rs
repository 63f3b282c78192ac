//! The registry of revisions: one row per revision of `get_futex_key()`,
//! {name, file, origin, era, C entry points, Rust port}. The rows are the
//! revisions build.rs linked into the binary (bundled, or named in
//! `FUTEX_DIFF_REVISIONS` at build time), then those loaded at run time:
//! from a C file ([`load`]), or from a kernel tree and its patches
//! ([`kernel::load_kernel`]).

pub mod kernel;

use std::fmt;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use crate::compile::{self, CompileError};
use crate::era::Era;
use crate::ffi::{self, CRevision};
use crate::futex::PORTS;
use crate::implementation::{Implementation, Target};

/// A revision build.rs linked in.
struct Linked {
    name: &'static str,
    path: &'static str,
    bundled: bool,
    /// The file's text, for the era it declares.
    source: &'static str,
    c: CRevision,
}

include!(concat!(env!("OUT_DIR"), "/revisions.rs"));

/// Where a revision's C file came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Bundled,
    /// A C file of the user's.
    User,
    /// A kernel tree or file, patched or not, cut down to its
    /// `get_futex_key()`.
    Kernel,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Bundled => "bundled",
            Origin::User => "user",
            Origin::Kernel => "kernel",
        })
    }
}

/// One revision, everything the rest of futex-diff needs of it.
struct Row {
    name: &'static str,
    path: &'static str,
    origin: Origin,
    era: Era,
    c: &'static CRevision,
    port: Option<&'static dyn Implementation>,
    /// For a kernel's revision: the `--kernel` and `--patch` arguments
    /// that load it again.
    kernel: Option<KernelInput>,
}

/// How a kernel's revision is loaded: `--kernel SPEC` and its patches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelInput {
    /// `NAME=PATH` of the kernel.
    pub spec: String,
    /// The patches applied on top of it, in order.
    pub patches: Vec<String>,
    /// The tree (or, for a lone file, its directory).
    pub root: std::path::PathBuf,
    /// The file holding `get_futex_key()`, relative to the tree: the file
    /// whose lines traces name, patched or not.
    pub file: std::path::PathBuf,
}

/// A revision of `get_futex_key()` that can be run.
#[derive(Clone, Copy)]
pub struct Revision {
    row: &'static Row,
}

impl Revision {
    pub fn name(&self) -> &'static str {
        self.row.name
    }

    pub fn path(&self) -> &'static str {
        self.row.path
    }

    pub fn origin(&self) -> Origin {
        self.row.origin
    }

    /// The era whose rules the revision's kernel had: a file may declare
    /// it (`futex-diff: era=3`); 4 otherwise.
    pub fn era(&self) -> Era {
        self.row.era
    }

    /// The compiled C revision, as execution runs it.
    pub fn target(&self) -> Target<'static> {
        Target {
            name: self.row.name,
            era: self.row.era,
            imp: self.row.c,
        }
    }

    /// The Rust port, as execution runs it, for a revision that has one.
    pub fn port_target(&self) -> Option<Target<'static>> {
        self.row.port.map(|imp| Target {
            name: self.row.name,
            era: self.row.era,
            imp,
        })
    }

    /// The Rust port of this revision, for the bundled ones.
    pub fn port(&self) -> Option<&'static dyn Implementation> {
        self.row.port
    }

    /// For a kernel's revision, how to load it again.
    pub fn kernel_input(&self) -> Option<&'static KernelInput> {
        self.row.kernel.as_ref()
    }
}

/// The era a revision's source declares (`futex-diff: era=3`); 4 when it
/// declares none.
fn declared_era(source: &str) -> Era {
    source
        .split("futex-diff: era=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(Era::from_keyword)
        .unwrap_or_default()
}

fn linked_rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        LINKED_REVISIONS
            .iter()
            .map(|linked| Row {
                name: linked.name,
                path: linked.path,
                origin: if linked.bundled {
                    Origin::Bundled
                } else {
                    Origin::User
                },
                era: declared_era(linked.source),
                c: &linked.c,
                port: PORTS
                    .iter()
                    .filter(|_| linked.bundled)
                    .find(|(name, _)| *name == linked.name)
                    .map(|(_, port)| *port),
                kernel: None,
            })
            .collect()
    })
}

/// Revisions loaded at run time, in the order they were loaded.
static LOADED: Mutex<Vec<&'static Row>> = Mutex::new(Vec::new());

fn loaded_rows() -> Vec<&'static Row> {
    LOADED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Every revision: the linked ones (bundled first, then the user's), then
/// those loaded so far.
pub fn all() -> impl Iterator<Item = Revision> {
    linked_rows()
        .iter()
        .chain(loaded_rows())
        .map(|row| Revision { row })
}

/// The revision named `name`, or an error that lists the known names.
pub fn find(name: &str) -> Result<Revision, String> {
    all().find(|r| r.name() == name).ok_or_else(|| {
        let known: Vec<&str> = all().map(|r| r.name()).collect();
        format!("no revision named `{name}` (known: {})", known.join(", "))
    })
}

/// Why a revision could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Compile(#[from] CompileError),
    #[error(transparent)]
    Tree(#[from] crate::tree::TreeError),
    #[error(transparent)]
    Extract(#[from] crate::tree::extract::ExtractError),
    #[error(transparent)]
    Patch(#[from] crate::tree::patch::PatchError),
    #[error("{0}")]
    Library(String),
    #[error("revision name `{name}` of {path} is already taken by {taken}")]
    NameTaken {
        name: String,
        path: String,
        taken: String,
    },
}

/// Compiles the revision in the C file `path` against the fake kernel
/// layer, loads it, and registers it as `name` (default: the file's stem).
/// Loading the same file under the same name again gives the revision
/// already loaded.
pub fn load(path: &Path, name: Option<&str>) -> Result<Revision, LoadError> {
    let name = name.map(str::to_string).unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "revision".into())
    });
    let source =
        std::fs::read_to_string(path).map_err(|e| CompileError::Io(path.to_path_buf(), e))?;
    register(
        &name,
        &path.display().to_string(),
        path,
        declared_era(&source),
        None,
    )
}

/// Compiles `c_file` and registers it as `name`, shown as `shown`; the
/// same name for the same file gives the revision already registered.
fn register(
    name: &str,
    shown: &str,
    c_file: &Path,
    era: Era,
    kernel: Option<KernelInput>,
) -> Result<Revision, LoadError> {
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(row) = linked_rows()
        .iter()
        .chain(loaded.iter().copied())
        .find(|row| row.name == name)
    {
        if row.path == shown {
            return Ok(Revision { row });
        }
        return Err(LoadError::NameTaken {
            name: name.to_string(),
            path: shown.to_string(),
            taken: row.path.to_string(),
        });
    }
    let object = compile::shared_object(c_file)?;
    let c = ffi::load_library(&object).map_err(LoadError::Library)?;
    let row: &'static Row = Box::leak(Box::new(Row {
        name: Box::leak(name.to_string().into_boxed_str()),
        path: Box::leak(shown.to_string().into_boxed_str()),
        origin: if kernel.is_some() {
            Origin::Kernel
        } else {
            Origin::User
        },
        era,
        c: Box::leak(Box::new(c)),
        port: None,
        kernel,
    }));
    loaded.push(row);
    Ok(Revision { row })
}
