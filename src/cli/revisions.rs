//! `futex-diff revisions`: every revision, one per line with its origin.

use clap::Args;

use super::selection::RevisionArgs;
use super::{Status, UsageError};
use crate::revision;

/// List every revision (bundled, or named in FUTEX_DIFF_REVISIONS at build
/// time, and the kernels named here), one per line: name, origin, era,
/// file.
#[derive(Args, Debug)]
pub struct RevisionsArgs {
    #[command(flatten)]
    revisions: RevisionArgs,
}

pub fn main(args: RevisionsArgs) -> Result<Status, UsageError> {
    // Loads the kernels named, so they are listed too.
    args.revisions.select()?;
    for rev in revision::all() {
        outln!(
            "{:<12} {:<8} era={} ({})  {}",
            rev.name(),
            rev.origin(),
            rev.era().keyword(),
            rev.era().rules().kernels,
            rev.path()
        );
    }
    Ok(Status::Clean)
}
