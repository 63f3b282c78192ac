//! What the fuzz targets run, so that a crash replays through the same
//! code from the command line and the tests: decode the bytes, run one
//! oracle, and name the first finding that is not a known one.
//!
//! Configuration comes from the environment, read once in
//! [`FuzzConfig::from_env`]:
//! - `FUTEX_DIFF_REV`: the revision the `meaning` target judges (default
//!   `v4.7`, or the kernel below);
//! - `FUTEX_DIFF_KERNEL`: `[NAME=]PATH`, a kernel tree or futex file the
//!   targets compile (instrumented for coverage) and load once, at start;
//!   the `meaning` target judges it unless `FUTEX_DIFF_REV` names another;
//! - `FUTEX_DIFF_PATCH`: colon-separated patches for that kernel; the
//!   last patched kernel is the one judged;
//! - `FUTEX_DIFF_KNOWN`: a file of known findings the targets pass over
//!   (default: [`KNOWN_BESIDE`] next to the target's binary, where the
//!   OSS-Fuzz and ClusterFuzzLite build puts it, else none), one per
//!   line: `REVISION[:MODE] CLASS SUMMARY-SUBSTRING`, `#` starting a
//!   comment; without a mode the line applies to both, and `*` as the
//!   revision or the class stands for every one;
//! - `FUTEX_DIFF_FEEDBACK`: `off` keeps the `meaning` target's interleaving
//!   feedback ([`feedback`]) from libFuzzer, leaving edge coverage alone
//!   (default: on), to measure what the feedback is worth;
//! - `FUTEX_DIFF_MUTATE`: `off` leaves the `meaning` target to libFuzzer's
//!   byte mutations alone, without the structure-aware ones ([`mutate`];
//!   default: on), likewise.

pub mod feedback;
pub mod mutate;

/// The fuzz targets' allocator, when no sanitizer is built in: every input
/// builds a world and collects its outcome, a few dozen small allocations,
/// and glibc's allocator was a sixth of the `meaning` target's time. A
/// sanitizer keeps the system allocator, whose calls it intercepts.
#[cfg(fuzzing)]
mod allocator {
    #[cfg(not(any(
        sanitize = "address",
        sanitize = "hwaddress",
        sanitize = "memory",
        sanitize = "thread"
    )))]
    #[global_allocator]
    static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
}

use std::sync::OnceLock;

use crate::finding::{Finding, FindingClass};
use crate::oracle::{self, Checks};
use crate::revision::kernel::{load_kernel, KernelSpec};
use crate::revision::{self, Revision};
use crate::scenario::binary;
use crate::world::Mode;

/// The known findings' file the targets read from beside their binary
/// when `FUTEX_DIFF_KNOWN` is not set: OSS-Fuzz and ClusterFuzzLite run the
/// targets with no environment of ours.
pub const KNOWN_BESIDE: &str = "futex-diff-known-findings.txt";

/// A finding that is expected, with where it is expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    /// The revision's name; every revision when `None` (`*`).
    pub revision: Option<String>,
    /// Only in this mode; both when `None`.
    pub mode: Option<Mode>,
    /// The class; every class when `None` (`*`).
    pub class: Option<FindingClass>,
    pub summary_contains: String,
}

/// The fuzz targets' configuration.
#[derive(Clone)]
pub struct FuzzConfig {
    /// `FUTEX_DIFF_REV`: the revision the meaning target judges.
    pub revision: Revision,
    /// `FUTEX_DIFF_KNOWN`: findings to pass over.
    pub known: Vec<Known>,
    /// `FUTEX_DIFF_FEEDBACK`: whether the meaning target counts what each
    /// schedule did ([`feedback`]).
    pub feedback: bool,
    /// `FUTEX_DIFF_MUTATE`: whether the meaning target mutates whole
    /// scenarios too ([`mutate`]).
    pub mutate: bool,
}

impl FuzzConfig {
    /// Reads the environment; a bad value names its variable.
    pub fn from_env() -> Result<FuzzConfig, String> {
        let kernel = match std::env::var("FUTEX_DIFF_KERNEL") {
            Ok(spec) => {
                let spec: KernelSpec = spec
                    .parse()
                    .map_err(|e| format!("FUTEX_DIFF_KERNEL: {e}"))?;
                let patches: Vec<std::path::PathBuf> = std::env::var("FUTEX_DIFF_PATCH")
                    .unwrap_or_default()
                    .split(':')
                    .filter(|p| !p.is_empty())
                    .map(Into::into)
                    .collect();
                let loaded =
                    load_kernel(&spec, &patches).map_err(|e| format!("FUTEX_DIFF_KERNEL: {e}"))?;
                Some(loaded.patched.last().copied().unwrap_or(loaded.base))
            }
            Err(_) => None,
        };
        let revision = match (std::env::var("FUTEX_DIFF_REV"), kernel) {
            (Ok(name), _) => revision::find(&name).map_err(|e| format!("FUTEX_DIFF_REV: {e}"))?,
            (Err(_), Some(kernel)) => kernel,
            (Err(_), None) => revision::find("v4.7").map_err(|e| format!("FUTEX_DIFF_REV: {e}"))?,
        };
        let beside = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.join(KNOWN_BESIDE)))
            .filter(|path| path.is_file());
        let known = match std::env::var("FUTEX_DIFF_KNOWN")
            .ok()
            .or_else(|| beside.map(|p| p.display().to_string()))
        {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("FUTEX_DIFF_KNOWN: {path}: {e}"))?;
                parse_known(&text).map_err(|e| format!("FUTEX_DIFF_KNOWN: {path}: {e}"))?
            }
            None => Vec::new(),
        };
        let feedback = switch("FUTEX_DIFF_FEEDBACK")?;
        let mutate = switch("FUTEX_DIFF_MUTATE")?;
        Ok(FuzzConfig {
            revision,
            known,
            feedback,
            mutate,
        })
    }

    /// The process-wide configuration; a bad environment stops the fuzzer
    /// with the variable's name before any input runs.
    pub fn get() -> &'static FuzzConfig {
        static CONFIG: OnceLock<FuzzConfig> = OnceLock::new();
        CONFIG.get_or_init(|| {
            FuzzConfig::from_env().unwrap_or_else(|e| panic!("futex-diff fuzz configuration: {e}"))
        })
    }

    /// Reads the configuration before the first input: a kernel it names
    /// is compiled and loaded then, so that libFuzzer counts its edges
    /// from the start.
    pub fn init() {
        FuzzConfig::get();
    }

    fn is_known(&self, revision: &str, mode: Mode, finding: &Finding) -> bool {
        is_known(&self.known, revision, mode, finding)
    }
}

/// An on/off variable: on when unset.
fn switch(name: &str) -> Result<bool, String> {
    match std::env::var(name).as_deref() {
        Err(_) | Ok("on") => Ok(true),
        Ok("off") => Ok(false),
        Ok(other) => Err(format!("{name}: `{other}` is neither `on` nor `off`")),
    }
}

/// Whether `known` lists `finding` of `revision` in `mode`.
pub fn is_known(known: &[Known], revision: &str, mode: Mode, finding: &Finding) -> bool {
    known.iter().any(|k| {
        k.revision.as_deref().is_none_or(|r| r == revision)
            && k.mode.is_none_or(|m| m == mode)
            && k.class.is_none_or(|c| c == finding.class)
            && finding.summary.contains(&k.summary_contains)
    })
}

/// Parses a known-findings file.
pub fn parse_known(text: &str) -> Result<Vec<Known>, String> {
    let mut known = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.splitn(3, char::is_whitespace);
        let (Some(rev), Some(class)) = (words.next(), words.next()) else {
            return Err(format!(
                "line {}: expected `REVISION[:MODE] CLASS SUMMARY`",
                i + 1
            ));
        };
        let (rev, mode) = match rev.split_once(':') {
            None => (rev, None),
            Some((rev, "strict")) => (rev, Some(Mode::Strict)),
            Some((rev, "relaxed")) => (rev, Some(Mode::Relaxed)),
            Some((_, other)) => return Err(format!("line {}: `{other}` is not a mode", i + 1)),
        };
        let class = match class {
            "*" => None,
            name => Some(
                FindingClass::from_name(name)
                    .ok_or_else(|| format!("line {}: `{name}` is not a finding class", i + 1))?,
            ),
        };
        known.push(Known {
            revision: (rev != "*").then(|| rev.to_string()),
            mode,
            class,
            summary_contains: words.next().unwrap_or("").trim().to_string(),
        });
    }
    Ok(known)
}

/// Whether `revision` may run `scenario`: a scenario that sets its era runs
/// on that era's revisions only. Under another era's rules (6.16's FUTEX2
/// flags for a 3.12 revision) a run means nothing.
fn in_its_era(scenario: &crate::scenario::Scenario, revision: Revision) -> bool {
    scenario.era.is_none_or(|era| era == revision.era())
}

/// The `lockstep` target: every bundled revision against its Rust port.
/// Returns the first divergence, as `revision: summary`.
pub fn lockstep(data: &[u8]) -> Option<String> {
    let config = FuzzConfig::get();
    let scenario = binary::decode(data);
    revision::all()
        .filter(|r| r.port().is_some())
        .filter(|&r| in_its_era(&scenario, r))
        .find_map(|rev| {
            let report = match oracle::check(&scenario, rev, Checks::LOCKSTEP) {
                Err(e) if e.not_in_era() => return None,
                report => report.expect("decoded scenarios build"),
            };
            report
                .found
                .into_iter()
                .find(|f| f.finding.class == FindingClass::LockstepDivergence)
                .filter(|f| !config.is_known(rev.name(), f.mode, &f.finding))
                .map(|f| f.finding.to_string())
        })
}

/// The `meaning` target: the meaning oracle on `FUTEX_DIFF_REV`. Returns
/// the first finding that is not known, with the mode it needs. A scenario
/// that asks for the mm rules of another era than the revision's is passed
/// over: no kernel ran 4.x futex code over 3.x THP splitting, or the
/// reverse, so what it shows is no bug of the revision.
pub fn meaning(data: &[u8]) -> Option<String> {
    let config = FuzzConfig::get();
    let scenario = binary::decode(data);
    let rev = config.revision;
    if !in_its_era(&scenario, rev) {
        return None;
    }
    let report = match oracle::check(&scenario, rev, Checks::MEANING) {
        Err(e) if e.not_in_era() => return None,
        report => report.expect("decoded scenarios build"),
    };
    if config.feedback {
        feedback::record(&scenario, &report.outcome);
    }
    report
        .found
        .into_iter()
        .find(|f| !config.is_known(rev.name(), f.mode, &f.finding))
        .map(|f| f.to_string())
}

/// The `meaning` target's custom mutator: a structure-aware mutation of
/// `data` drawn from libFuzzer's `seed` ([`mutate`]), or `None` for
/// libFuzzer's byte mutations.
pub fn mutate_meaning(data: &[u8], seed: u32) -> Option<Vec<u8>> {
    let config = FuzzConfig::get();
    if !config.mutate {
        return None;
    }
    let mut rng = mutate::Rng::new(seed);
    let mutation = mutate::choose(&mut rng);
    mutate::mutate(data, mutation, config.revision, &mut rng)
}
