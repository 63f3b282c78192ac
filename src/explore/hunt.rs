//! What a hunt reports: every distinct finding minimised, findings that
//! minimise to the same one merged, the rest numbered per revision, mode
//! and class, each with a reproducer to write. The mode is the minimised
//! reproducer's own: minimising may drop `mode relaxed`.

use std::collections::BTreeMap;
use std::path::Path;

use super::minimize::{self, Minimized};
use super::{FindingKey, Hunt};
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
    /// `REVISION-MODE-CLASS-N.scn`.
    pub file_name: String,
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
        std::fs::write(dir.join(&r.file_name), r.found.reproducer(&r.scenario))?;
    }
    Ok(())
}
