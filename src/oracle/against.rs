//! Against a base: what tells a revision's findings on a scenario from its
//! base's on the same scenario. A finding is the same when its mode, class
//! and summary shape (numbers blanked) are: a finding the base does not
//! show is new, one the revision no longer shows is fixed, the rest are
//! shared.

use std::collections::BTreeSet;

use super::Found;
use crate::finding::{shape, FindingClass};
use crate::world::Mode;

/// A finding whichever revision shows it.
pub type Symptom = (Mode, FindingClass, String);

pub fn symptom(found: &Found) -> Symptom {
    (
        found.mode,
        found.finding.class,
        shape(&found.finding.summary),
    )
}

/// The findings of a revision and of its base on one scenario, told apart.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    /// The revision's findings the base does not show.
    pub new: Vec<Found>,
    /// The base's findings the revision does not show.
    pub fixed: Vec<Found>,
    /// What both show.
    pub shared: BTreeSet<Symptom>,
}

/// Tells `ours` (a revision's findings) from `theirs` (its base's).
pub fn compare(ours: Vec<Found>, theirs: Vec<Found>) -> Changes {
    let ours_s: BTreeSet<Symptom> = ours.iter().map(symptom).collect();
    let theirs_s: BTreeSet<Symptom> = theirs.iter().map(symptom).collect();
    Changes {
        new: ours
            .into_iter()
            .filter(|f| !theirs_s.contains(&symptom(f)))
            .collect(),
        fixed: theirs
            .into_iter()
            .filter(|f| !ours_s.contains(&symptom(f)))
            .collect(),
        shared: ours_s.intersection(&theirs_s).cloned().collect(),
    }
}
