//! Systematic and randomised exploration of interleavings.
//!
//! A [`Family`] is a world, its calls and its concurrent events, without a
//! schedule: the built-in families are the corpus scenarios with their
//! schedules stripped, which reach every mapping kind and event kind. A
//! strategy turns a family into schedules: [`exhaustive`] enumerates every
//! placement of up to `bound` event runs at yield points (a preemption
//! bound, as CHESS and loom advise), [`pct`] draws PCT-style random ones.
//! Each schedule runs through both oracles; findings are collected once per
//! revision, mode, class and summary shape ([`Hunt`]).

pub mod exhaustive;
pub mod hunt;
pub mod minimize;
pub mod pct;

use std::collections::{BTreeMap, BTreeSet};

use crate::corpus::BUILT_IN;
use crate::explore::exhaustive::Reach;
use crate::finding::{shape, FindingClass};
use crate::oracle::{self, against, Found};
use crate::revision::Revision;
use crate::scenario::{parse, Scenario};
use crate::schedule::Scheduled;
use crate::world::Mode;

/// A scenario without a schedule: what exploration places events into.
#[derive(Clone, Debug)]
pub struct Family {
    pub name: String,
    /// Every corpus scenario that strips to this family (`name` first).
    pub aliases: Vec<String>,
    pub base: Scenario,
}

/// The built-in families: every corpus scenario, schedule stripped, in
/// `mode`; scenarios that differ only in their schedule count once.
pub fn families(mode: Mode) -> Vec<Family> {
    let mut out: Vec<Family> = Vec::new();
    for (name, text) in BUILT_IN {
        let mut base = parse(text).expect("built-in scenarios parse");
        base.schedule.clear();
        base.mode = mode;
        match out.iter_mut().find(|f| f.base == base) {
            Some(family) => family.aliases.push((*name).to_string()),
            None => out.push(Family {
                name: (*name).to_string(),
                aliases: vec![(*name).to_string()],
                base,
            }),
        }
    }
    out
}

/// The identity of a finding for de-duplication: revision, mode, class and
/// the summary with its numbers blanked (call numbers, pages, offsets).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingKey {
    pub revision: String,
    pub mode: Mode,
    pub class: FindingClass,
    pub shape: String,
}

impl FindingKey {
    pub fn of(found: &Found) -> FindingKey {
        FindingKey {
            revision: found.revision.clone(),
            mode: found.mode,
            class: found.finding.class,
            shape: shape(&found.finding.summary),
        }
    }

    /// The finding whatever revision shows it: its mode, class and shape.
    pub fn symptom(&self) -> (Mode, FindingClass, &str) {
        (self.mode, self.class, &self.shape)
    }
}

/// How a finding tells a revision from the base it is judged against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// The revision shows it on a scenario where its base does not.
    New,
    /// The base shows it on a scenario where the revision does not.
    Fixed,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Fixed => "fixed",
        }
    }
}

/// A finding on a revision or its base that the other does not show on
/// the same scenario. `key` names the revision that shows it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChangeKey {
    pub revision: String,
    pub base: String,
    pub change: Change,
    pub key: FindingKey,
}

/// Distinct findings and the first scenario that showed each.
#[derive(Default)]
pub struct Hunt {
    pub found: BTreeMap<FindingKey, (Found, Scenario)>,
    /// Schedules run (each through both oracles).
    pub runs: u64,
    /// Schedules an exhaustive search knew to run alike one it ran, and
    /// did not run (`exhaustive::for_each_reduced`).
    pub skipped: u64,
    /// Schedules whose world did not build, which judge nothing: a family
    /// that cannot be built is an error of the family, not a clean run.
    pub unbuilt: u64,
    /// The first of them, in words.
    pub unbuilt_error: Option<String>,
    /// Against a base: what tells the revision from it, with the first
    /// scenario that showed each.
    pub changes: BTreeMap<ChangeKey, (Found, Scenario)>,
    /// Against a base: the findings both showed on some scenario, as
    /// (revision, base, symptom).
    pub shared: BTreeSet<(String, String, against::Symptom)>,
}

impl Hunt {
    /// Runs one scenario on one revision through both oracles and keeps
    /// what is new; returns what the run showed of its schedule's
    /// extensions.
    pub fn run(&mut self, scenario: &Scenario, revision: Revision) -> Option<Reach> {
        self.run_checked(scenario, revision, oracle::Checks::SEARCH)
    }

    /// [`Hunt::run`] through the oracles `checks` names.
    pub fn run_checked(
        &mut self,
        scenario: &Scenario,
        revision: Revision,
        checks: oracle::Checks,
    ) -> Option<Reach> {
        self.runs += 1;
        let mut report = match oracle::check(scenario, revision, checks) {
            Ok(report) => report,
            Err(e) => {
                self.unbuilt += 1;
                self.unbuilt_error.get_or_insert_with(|| {
                    format!("{} on {}: {e}", scenario.to_text(), revision.name())
                });
                return None;
            }
        };
        let reach = Reach::take(&mut report.outcome);
        for found in report.found {
            self.found
                .entry(FindingKey::of(&found))
                .or_insert_with(|| (found, scenario.clone()));
        }
        Some(reach)
    }

    /// Runs a task's scenario: on its revision alone, or on the revision
    /// and its base, keeping what tells them apart.
    pub fn run_task(&mut self, scenario: &Scenario, task: &Task) -> Option<Reach> {
        match task.base {
            None => self.run_checked(scenario, task.revision, task.checks),
            Some(base) => self.run_against(scenario, task.revision, base),
        }
    }

    /// Runs one scenario on `revision` and on `base`: a finding one shows
    /// and the other does not is a change, whatever other scenario showed
    /// the same symptom on both (a new path to an old symptom is new).
    pub fn run_against(
        &mut self,
        scenario: &Scenario,
        revision: Revision,
        base: Revision,
    ) -> Option<Reach> {
        self.runs += 1;
        let check = |rev: Revision| oracle::check(scenario, rev, oracle::Checks::SEARCH);
        let (ours, theirs, reach) = match (check(revision), check(base)) {
            (Ok(mut a), Ok(mut b)) => {
                let reach = Reach::both(Reach::take(&mut a.outcome), Reach::take(&mut b.outcome));
                (a.found, b.found, reach)
            }
            (Err(e), _) | (_, Err(e)) => {
                self.unbuilt += 1;
                self.unbuilt_error.get_or_insert_with(|| {
                    format!("{} on {}: {e}", scenario.to_text(), revision.name())
                });
                return None;
            }
        };
        let changes = against::compare(ours, theirs);
        let (revision, base) = (revision.name(), base.name());
        for symptom in changes.shared {
            self.shared.insert((revision.into(), base.into(), symptom));
        }
        for (change, found) in changes
            .new
            .into_iter()
            .map(|f| (Change::New, f))
            .chain(changes.fixed.into_iter().map(|f| (Change::Fixed, f)))
        {
            let change = ChangeKey {
                revision: revision.into(),
                base: base.into(),
                change,
                key: FindingKey::of(&found),
            };
            self.changes
                .entry(change)
                .or_insert_with(|| (found, scenario.clone()));
        }
        Some(reach)
    }

    /// Takes in another hunt's findings (from another thread).
    pub fn merge(&mut self, other: Hunt) {
        self.runs += other.runs;
        self.skipped += other.skipped;
        self.unbuilt += other.unbuilt;
        if self.unbuilt_error.is_none() {
            self.unbuilt_error = other.unbuilt_error;
        }
        for (key, value) in other.found {
            self.found.entry(key).or_insert(value);
        }
        for (key, value) in other.changes {
            self.changes.entry(key).or_insert(value);
        }
        self.shared.extend(other.shared);
    }
}

/// One family on one revision (and the base it is judged against, if
/// any), with its yield horizon.
#[derive(Clone)]
pub struct Task {
    pub family: Family,
    pub revision: Revision,
    pub base: Option<Revision>,
    pub horizon: u32,
    /// The oracles each schedule goes through (both, by default).
    pub checks: oracle::Checks,
}

/// Every built-in family on every revision, in every mode asked for,
/// each revision judged against `base` when one is given.
pub fn tasks(
    revisions: &[Revision],
    modes: &[Mode],
    base: Option<Revision>,
) -> Result<Vec<Task>, String> {
    let mut all = Vec::new();
    for &mode in modes {
        all.extend(families(mode));
    }
    tasks_of(&all, revisions, base)
}

/// Every one of `families` on every revision (against `base`, if any); a
/// family whose world does not build on a revision is an error, named. A
/// family of objects the revision's era does not have (a shmem huge page
/// before 4.8) does not apply to it, and is left out.
pub fn tasks_of(
    families: &[Family],
    revisions: &[Revision],
    base: Option<Revision>,
) -> Result<Vec<Task>, String> {
    let horizon =
        |family: &Family, revision: Revision| match exhaustive::horizon(&family.base, revision) {
            Ok(reach) => Ok(Some(reach)),
            Err(e) if e.not_in_era() => Ok(None),
            Err(e) => Err(format!(
                "family {} does not build on {}: {e}",
                family.name,
                revision.name()
            )),
        };
    let mut out = Vec::new();
    for family in families {
        for &revision in revisions {
            // Against a base, a schedule reaches as far as either goes.
            let Some(mut reach) = horizon(family, revision)? else {
                continue;
            };
            if let Some(base) = base {
                let Some(theirs) = horizon(family, base)? else {
                    continue;
                };
                reach = reach.max(theirs);
            }
            out.push(Task {
                family: family.clone(),
                revision,
                base,
                horizon: reach,
                checks: oracle::Checks::SEARCH,
            });
        }
    }
    Ok(out)
}

/// How many threads to use: one per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Whether an exhaustive search runs every schedule, or one of each class
/// that must run alike ([`exhaustive::for_each_reduced`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    Full,
    Reduced,
}

/// An estimate of the work of a task's exhaustive search: its schedules
/// (before the reduction) times its yield horizon, as a schedule's run
/// is about as long as the yield points it passes.
pub fn work(task: &Task, bound: usize) -> u64 {
    exhaustive::count(task.family.base.events.len(), task.horizon, bound)
        .saturating_mul(u64::from(task.horizon).max(1))
}

/// How far an exhaustive run has come, as its tasks finish.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Done {
    /// Work done, in units of [`work`]: a fair share of the time.
    pub work: u64,
    /// All the run's work, in the same units.
    pub total: u64,
    /// Interleavings covered: run, or known to run alike one that ran.
    pub interleavings: u64,
}

/// Runs every schedule up to `bound` preemptions of every task (or one of
/// each class that runs alike, by `search`), spread over `threads`
/// threads, until done or `deadline`. `progress` is called from the
/// threads as tasks finish. Returns the findings and whether every
/// schedule ran.
pub fn run_exhaustive(
    tasks: &[Task],
    bound: usize,
    search: Search,
    threads: usize,
    deadline: std::time::Instant,
    progress: &(dyn Fn(Done) + Sync),
) -> (Hunt, bool) {
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    let total: u64 = tasks.iter().map(|t| work(t, bound)).sum();
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let covered = AtomicU64::new(0);
    let cut = AtomicBool::new(false);
    let all = on_threads(threads, |_| {
        let mut hunt = Hunt::default();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(task) = tasks.get(i) else { break };
            let mut scenario = task.family.base.clone();
            let events = scenario.events.len();
            let mut run = |schedule: &[Scheduled]| {
                if cut.load(Ordering::Relaxed) {
                    return None;
                }
                scenario.schedule = schedule.to_vec();
                let reach = hunt.run_task(&scenario, task);
                if hunt.runs % 256 == 0 && std::time::Instant::now() > deadline {
                    cut.store(true, Ordering::Relaxed);
                }
                reach
            };
            match search {
                Search::Full => exhaustive::for_each_schedule(events, task.horizon, bound, |s| {
                    run(s);
                }),
                Search::Reduced => {
                    let reduction = exhaustive::for_each_reduced(events, task.horizon, bound, run);
                    hunt.skipped += reduction.skipped;
                }
            }
            if cut.load(Ordering::Relaxed) {
                // Cut short: what is left of it did not run.
                continue;
            }
            let n = work(task, bound);
            let count = exhaustive::count(events, task.horizon, bound);
            progress(Done {
                work: done.fetch_add(n, Ordering::Relaxed) + n,
                total,
                interleavings: covered.fetch_add(count, Ordering::Relaxed) + count,
            });
        }
        hunt
    });
    (all, !cut.load(Ordering::Relaxed))
}

/// PCT-style random schedules over the tasks until `deadline`; `progress(n)`
/// is told of every `n` schedules run, from the threads.
pub fn run_random(
    tasks: &[Task],
    threads: usize,
    deadline: std::time::Instant,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Hunt {
    on_threads(threads, |worker| {
        let worker = worker as u64;
        let mut rng = pct::Rng::new(seed ^ (worker + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut hunt = Hunt::default();
        let candidates: Vec<&Task> = tasks
            .iter()
            .filter(|t| !t.family.base.events.is_empty())
            .collect();
        if candidates.is_empty() {
            return hunt;
        }
        while std::time::Instant::now() < deadline {
            for _ in 0..64 {
                let task = candidates[rng.below(candidates.len() as u64) as usize];
                let depth = 2 + rng.below(3) as u32;
                let mut scenario = task.family.base.clone();
                scenario.schedule = pct::schedule(&scenario, &mut rng, depth, task.horizon);
                hunt.run_task(&scenario, task);
            }
            progress(64);
        }
        hunt
    })
}

/// Runs `work(worker)` on `threads` threads and merges their hunts.
fn on_threads(threads: usize, work: impl Fn(usize) -> Hunt + Sync) -> Hunt {
    let hunts: Vec<Hunt> = std::thread::scope(|scope| {
        let work = &work;
        let workers: Vec<_> = (0..threads.max(1))
            .map(|worker| scope.spawn(move || work(worker)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("exploration threads do not panic"))
            .collect()
    });
    let mut all = Hunt::default();
    for hunt in hunts {
        all.merge(hunt);
    }
    all
}
