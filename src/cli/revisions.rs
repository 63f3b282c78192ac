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
        let era = match rev.era() {
            crate::world::Era::V3 => "3.x",
            crate::world::Era::V4 => "4.x",
        };
        outln!(
            "{:<12} {:<8} mm-rules={era}  {}",
            rev.name(),
            rev.origin(),
            rev.path()
        );
    }
    Ok(Status::Clean)
}
