//! A proof over a stated scope: every scenario within the scope
//! ([`enumerate`]), each explored up to the scope's preemption bound with
//! the reduced exhaustive search (`explore::exhaustive::for_each_reduced`),
//! through the meaning oracle (and, with the scope's `lockstep`, the
//! lockstep one against the revision's Rust port). What it reports holds
//! for every scenario and every interleaving of the scope, not for a
//! sample.

pub mod enumerate;
pub mod scope;

use std::time::{Duration, Instant};

use crate::explore::{self, Family, Hunt, Search};
use crate::oracle;
use crate::revision::Revision;

pub use scope::Scope;

/// What a proof covered and found.
pub struct Proof {
    /// Scenarios explored (one per symmetric class).
    pub scenarios: usize,
    /// Scenarios of the scope before symmetric ones counted once.
    pub before_symmetry: u64,
    /// Mappings and events of the scope that do not apply to the revision.
    pub not_applicable: u64,
    /// The findings, the schedules run and those known to run alike.
    pub hunt: Hunt,
    pub seconds: f64,
}

/// Proves `revision` over `scope` on `threads` threads; `progress` is told
/// how far it has come as scenarios finish.
pub fn prove(
    scope: &Scope,
    revision: Revision,
    threads: usize,
    progress: &(dyn Fn(explore::Done) + Sync),
) -> Result<Proof, String> {
    let start = Instant::now();
    let enumeration = enumerate::scenarios(scope, revision);
    let scenarios = enumeration.scenarios.len();
    let families: Vec<Family> = enumeration
        .scenarios
        .into_iter()
        .enumerate()
        .map(|(i, base)| {
            let name = format!("scope-{}", i + 1);
            Family {
                aliases: vec![name.clone()],
                name,
                base,
            }
        })
        .collect();
    let mut tasks = explore::tasks_of(&families, &[revision], None)?;
    for task in &mut tasks {
        task.horizon = task.horizon.min(scope.yields);
        if !scope.lockstep {
            task.checks = oracle::Checks::MEANING;
        }
    }
    // The longest first, so that no thread is left with a long one at the
    // end while the others idle.
    tasks.sort_by_key(|t| std::cmp::Reverse(explore::work(t, scope.bound)));
    let forever = start + Duration::from_secs(u64::MAX / 4);
    let (hunt, _) = explore::run_exhaustive(
        &tasks,
        scope.bound,
        Search::Reduced,
        threads,
        forever,
        progress,
    );
    if let Some(error) = &hunt.unbuilt_error {
        return Err(format!(
            "{} schedule(s) of the scope did not build, the first: {error}",
            hunt.unbuilt
        ));
    }
    Ok(Proof {
        scenarios,
        before_symmetry: enumeration.before_symmetry,
        not_applicable: enumeration.not_applicable,
        hunt,
        seconds: start.elapsed().as_secs_f64(),
    })
}
