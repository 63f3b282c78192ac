//! Which revisions a command runs on: `--rev NAME` (a revision built in),
//! `--kernel [NAME=]PATH` (a kernel tree or futex file, compiled now) and
//! `--patch FILE` (on top of the one `--kernel`), as every command that
//! runs revisions takes them; and the base a change is judged against.

use std::path::PathBuf;

use clap::Args;

use super::UsageError;
use crate::revision::kernel::{self, KernelSpec};
use crate::revision::{self, Revision};

/// The revisions to run.
#[derive(Args, Debug, Clone, Default)]
pub struct RevisionArgs {
    /// A revision by name (repeatable): bundled, or built in with
    /// FUTEX_DIFF_REVISIONS. Without --rev or --kernel: every revision.
    #[arg(long = "rev", value_name = "NAME")]
    pub revs: Vec<String>,
    /// A kernel tree (its Makefile gives the version) or its
    /// kernel/futex.c or kernel/futex/core.c, read as it stands and
    /// compiled now (repeatable). The revision is NAME, else the release
    /// (linux-4.7.4), else the file's stem.
    #[arg(long = "kernel", value_name = "[NAME=]PATH")]
    pub kernels: Vec<KernelSpec>,
    /// A patch for the --kernel (format-patch, diff -u or an archived
    /// mail; repeatable, each on top of the ones before): a revision named
    /// after the file's stem.
    #[arg(long = "patch", value_name = "FILE")]
    pub patches: Vec<PathBuf>,
}

/// The revisions a command runs, in order, and the base a patch is
/// judged against (the unpatched kernel), if patches were given.
pub struct Selection {
    pub revisions: Vec<Revision>,
    pub patch_base: Option<Revision>,
}

impl RevisionArgs {
    /// Whether the arguments name any revision.
    pub fn names_any(&self) -> bool {
        !self.revs.is_empty() || !self.kernels.is_empty()
    }

    /// These arguments, or, when they name nothing, the kernel and patches
    /// a reproducer's header names (`# kernel:`, `# patch:`).
    pub fn or_from_reproducer(&self, text: &str) -> Result<RevisionArgs, UsageError> {
        if self.names_any() {
            return Ok(self.clone());
        }
        let header = |key: &str| -> Vec<String> {
            text.lines()
                .filter_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
                .collect()
        };
        let kernels = header("# kernel: ")
            .iter()
            .map(|spec| spec.parse().map_err(UsageError))
            .collect::<Result<Vec<KernelSpec>, _>>()?;
        Ok(RevisionArgs {
            revs: Vec::new(),
            kernels,
            patches: header("# patch: ").iter().map(PathBuf::from).collect(),
        })
    }

    /// Loads what the arguments name; every revision when they name none.
    pub fn select(&self) -> Result<Selection, UsageError> {
        if !self.patches.is_empty() && self.kernels.len() != 1 {
            return Err(UsageError(
                "--patch applies to one --kernel: name exactly one".into(),
            ));
        }
        let mut revisions = Vec::new();
        for name in &self.revs {
            revisions.push(revision::find(name).map_err(UsageError)?);
        }
        let mut patch_base = None;
        for spec in &self.kernels {
            let loaded = kernel::load_kernel(spec, &self.patches)?;
            for note in &loaded.notes {
                eprintln!("futex-diff: {note}");
            }
            if loaded.patched.is_empty() {
                revisions.push(loaded.base);
            } else {
                patch_base = Some(loaded.base);
                revisions.extend(loaded.patched);
            }
        }
        if revisions.is_empty() {
            revisions = revision::all().collect();
        }
        Ok(Selection {
            revisions,
            patch_base,
        })
    }
}
