//! What a hunt reports: every distinct finding minimised, findings that
//! minimise to the same one merged, the rest numbered per revision, mode
//! and class, each with a reproducer to write. The mode is the minimised
//! reproducer's own: minimising may drop `mode relaxed`. Against a base,
//! a change is minimised while it still tells the two revisions apart.

use std::collections::BTreeMap;
use std::path::Path;

use super::minimize::{self, Minimized};
use super::{Change, FindingKey, Hunt};
use crate::finding::FindingClass;
use crate::oracle::Found;
use crate::revision;
use crate::scenario::Scenario;
use crate::world::Mode;

/// One distinct finding as a hunt reports it.
#[derive(Clone, Debug)]
pub struct Reported {
    pub key: FindingKey,
    pub found: Found,
    /// The minimised reproducer, or the scenario as found when the finding
    /// did not show again (see `minimised`).
    pub scenario: Scenario,
    /// False when re-running the scenario as found did not show the
    /// finding again: the harness was not deterministic, which is a bug of
    /// futex-diff, and the reproducer is kept as found.
    pub minimised: bool,
    /// `REVISION-MODE-CLASS-N.scn` (`REVISION-new-...`, `-fixed-` for a
    /// change).
    pub file_name: String,
    /// Against a base: how the finding tells them apart, and the other
    /// revision (the base for a new finding, the revision for a fixed one).
    pub change: Option<(Change, String)>,
}

impl Reported {
    /// The reproducer's text: the scenario, headed by the finding (and, for
    /// a change, the revision that does not show it).
    pub fn reproducer(&self) -> String {
        let text = self.found.reproducer(&self.scenario);
        let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
        let mut head = String::new();
        if let Some((change, other)) = &self.change {
            head.push_str(&format!(
                "# change: {} (not on {other})\n# against: {other}\n",
                change.name()
            ));
        }
        // A kernel's revision is loaded again from its tree and patches.
        let input = [
            Some(self.key.revision.as_str()),
            self.change.as_ref().map(|c| c.1.as_str()),
        ]
        .into_iter()
        .flatten()
        .filter_map(|name| revision::find(name).ok()?.kernel_input())
        .max_by_key(|input| input.patches.len());
        let mut rest = rest.to_string();
        if let Some(input) = input {
            head.push_str(&format!("# kernel: {}\n", input.spec));
            for patch in &input.patches {
                head.push_str(&format!("# patch: {patch}\n"));
            }
            let run = format!(
                "# replay: futex-diff run FILE --rev {}",
                self.found.revision
            );
            rest = rest.replace(
                &run,
                "# replay: futex-diff replay FILE (it loads the kernel and patches above)",
            );
        }
        format!("{first}\n{head}{rest}")
    }
}

/// Minimises every distinct finding of `hunt` and names its reproducer.
pub fn report(hunt: &Hunt) -> Vec<Reported> {
    let mut reported: Vec<Reported> = Vec::new();
    let mut numbers: BTreeMap<(String, Mode, FindingClass), usize> = BTreeMap::new();
    for (key, (found, scenario)) in &hunt.found {
        let Ok(revision) = revision::find(&key.revision) else {
            continue;
        };
        let (scenario, found, minimised) = match minimize::minimize(scenario, revision, key.class) {
            Some(Minimized { scenario, found }) => (scenario, found, true),
            None => (scenario.clone(), found.clone(), false),
        };
        // Findings that minimise to the same one are one finding.
        let key = FindingKey::of(&found);
        if reported.iter().any(|r| r.key == key) {
            continue;
        }
        let n = numbers
            .entry((key.revision.clone(), key.mode, key.class))
            .or_default();
        *n += 1;
        let file_name = format!("{}-{}-{}-{n}.scn", key.revision, key.mode, key.class);
        reported.push(Reported {
            key,
            found,
            scenario,
            minimised,
            file_name,
            change: None,
        });
    }
    reported
}

/// Minimises every change of `hunt`: while the revision that shows it
/// still does, and the other still does not, on the same scenario.
pub fn report_changes(hunt: &Hunt) -> Vec<Reported> {
    let mut reported: Vec<Reported> = Vec::new();
    let mut numbers: BTreeMap<(String, Change, Mode, FindingClass), usize> = BTreeMap::new();
    for (change, (found, scenario)) in &hunt.changes {
        let (Ok(ours), Ok(theirs)) = (
            revision::find(&change.revision),
            revision::find(&change.base),
        ) else {
            continue;
        };
        let (shows, other) = match change.change {
            Change::New => (ours, theirs),
            Change::Fixed => (theirs, ours),
        };
        let key = &change.key;
        let tells_apart = |s: &Scenario| -> Option<Found> {
            let found = minimize::reproduce_shape(s, shows, key.class, &key.shape)?;
            minimize::reproduce_shape(s, other, key.class, &key.shape)
                .is_none()
                .then_some(found)
        };
        let (scenario, found, minimised) = match minimize::minimize_with(scenario, tells_apart) {
            Some(Minimized { scenario, found }) => (scenario, found, true),
            None => (scenario.clone(), found.clone(), false),
        };
        let key = FindingKey::of(&found);
        if reported
            .iter()
            .any(|r| r.key == key && r.change.as_ref().is_some_and(|c| c.0 == change.change))
        {
            continue;
        }
        let n = numbers
            .entry((change.revision.clone(), change.change, key.mode, key.class))
            .or_default();
        *n += 1;
        let file_name = format!(
            "{}-{}-{}-{}-{n}.scn",
            change.revision,
            change.change.name(),
            key.mode,
            key.class
        );
        reported.push(Reported {
            key,
            found,
            scenario,
            minimised,
            file_name,
            change: Some((change.change, other.name().to_string())),
        });
    }
    reported
}

/// Writes each reproducer into `dir`, which it creates.
pub fn write(reported: &[Reported], dir: &Path) -> std::io::Result<()> {
    if reported.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    for r in reported {
        std::fs::write(dir.join(&r.file_name), r.reproducer())?;
    }
    Ok(())
}
