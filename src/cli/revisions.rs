//! `futex-diff revisions`: every revision, one per line with its origin.

use clap::Args;

use super::{Status, UsageError};
use crate::revision;

/// List every revision (bundled, or named in FUTEX_DIFF_REVISIONS at build
/// time), one per line: name, origin, era of mm rules, file.
#[derive(Args, Debug)]
pub struct RevisionsArgs {}

pub fn main(_args: RevisionsArgs) -> Result<Status, UsageError> {
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
