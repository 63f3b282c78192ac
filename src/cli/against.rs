//! `--against BASE` for `check` and `replay`: the scenario on a revision
//! and on its base, the two runs side by side, and what tells their
//! findings apart (new, fixed, shared).

use std::fmt::Write as _;

use super::selection::Selection;
use super::UsageError;
use crate::oracle::{self, against, Checks, Report};
use crate::revision::{self, Revision};
use crate::scenario::Scenario;

/// The base named by `--against`, else the one a reproducer's header
/// names, else the unpatched kernel of `--patch`.
pub fn base(
    named: Option<&str>,
    header: Option<&str>,
    selection: &Selection,
) -> Result<Option<Revision>, UsageError> {
    match named.or(header) {
        Some(name) => Ok(Some(revision::find(name).map_err(UsageError)?)),
        None => Ok(selection.patch_base),
    }
}

/// The file name a revision's trace lines name.
pub fn file_of(rev: Revision) -> &'static str {
    rev.path().rsplit('/').next().unwrap_or(rev.path())
}

/// Two columns of text, each headed by its title.
fn side_by_side(left: (&str, Vec<String>), right: (&str, Vec<String>)) -> String {
    const WIDTH: usize = 70;
    let cut = |s: &str| -> String {
        if s.chars().count() <= WIDTH {
            s.to_string()
        } else {
            let kept: String = s.chars().take(WIDTH - 1).collect();
            format!("{kept}~")
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "{:<WIDTH$} | {}", cut(left.0), right.0);
    let _ = writeln!(out, "{:-<WIDTH$}-+-{:-<WIDTH$}", "", "");
    let rows = left.1.len().max(right.1.len());
    for i in 0..rows {
        let l = left.1.get(i).map(String::as_str).unwrap_or("");
        let r = right.1.get(i).map(String::as_str).unwrap_or("");
        let _ = writeln!(out, "{:<WIDTH$} | {}", cut(l), r);
    }
    out
}

/// Runs `scenario` on `rev` and on `base` and shows both runs and how
/// their findings differ. True when `rev` has a finding `base` does not.
pub fn compare(
    scenario: &Scenario,
    rev: Revision,
    base: Revision,
) -> Result<(String, bool, Report, Report), UsageError> {
    let ours = oracle::check(scenario, rev, Checks::REPORT)?;
    let theirs = oracle::check(scenario, base, Checks::REPORT)?;
    let mut out = side_by_side(
        (
            &format!("{} ({} mode)", rev.name(), scenario.mode),
            ours.outcome.trace.column(file_of(rev)),
        ),
        (
            &format!("{} (the base)", base.name()),
            theirs.outcome.trace.column(file_of(base)),
        ),
    );
    let changes = against::compare(ours.found.clone(), theirs.found.clone());
    let _ = writeln!(out);
    for f in &changes.new {
        let _ = writeln!(
            out,
            "new on {} (not on {}): {}",
            rev.name(),
            base.name(),
            f.finding
        );
    }
    for f in &changes.fixed {
        let _ = writeln!(
            out,
            "fixed: {} shows {}, {} does not",
            base.name(),
            f.finding,
            rev.name()
        );
    }
    let _ = writeln!(out, "shared: {} finding(s) both show", changes.shared.len());
    Ok((out, !changes.new.is_empty(), ours, theirs))
}
