//! `cargo bench`: how fast the per-execution path runs, in process and
//! without libFuzzer or sanitizers. It prints executions per second of the
//! two fuzz targets' entry points on the built-in corpus, of a search (both
//! oracles) on each revision, and interleavings per second of `explore` on
//! one thread and on every core, and the resident size after the first
//! figure and at the end: the per-execution path reuses its storage, so
//! that size does not grow. `scripts/bench.sh` measures the libFuzzer
//! targets themselves, beside an empty target.

use std::hint::black_box;
use std::time::{Duration, Instant};

use futex_diff::corpus::BUILT_IN;
use futex_diff::explore;
use futex_diff::scenario::{binary, parse, Scenario};
use futex_diff::world::Mode;
use futex_diff::{fuzz, oracle, revision};

/// Time each figure is measured for.
const BUDGET: Duration = Duration::from_secs(3);

/// Runs `one` over `inputs` round-robin for [`BUDGET`]; executions per second.
fn rate<T>(inputs: &[T], mut one: impl FnMut(&T)) -> f64 {
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < BUDGET {
        for input in inputs {
            one(input);
        }
        runs += inputs.len() as u64;
    }
    runs as f64 / start.elapsed().as_secs_f64()
}

/// This process's resident size in MiB, where /proc tells it.
fn resident_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

fn row(what: &str, per_second: f64, unit: &str) {
    println!("{what:<44} {per_second:>12.0} {unit}/s");
}

fn main() {
    let scenarios: Vec<Scenario> = BUILT_IN
        .iter()
        .map(|(name, text)| parse(text).unwrap_or_else(|e| panic!("corpus/{name}: {e}")))
        .collect();
    let inputs: Vec<Vec<u8>> = scenarios
        .iter()
        .filter_map(|s| binary::encode(s).ok())
        .collect();
    println!(
        "{} built-in scenarios ({} in binary form), {} core(s)\n",
        scenarios.len(),
        inputs.len(),
        explore::default_threads()
    );

    row(
        "fuzz target `lockstep` (all ported revisions)",
        rate(&inputs, |data| {
            black_box(fuzz::lockstep(data));
        }),
        "exec",
    );
    let warm = resident_mib();
    row(
        "fuzz target `meaning` (FUTEX_DIFF_REV)",
        rate(&inputs, |data| {
            black_box(fuzz::meaning(data));
        }),
        "exec",
    );
    for rev in revision::all().filter(|r| r.port().is_some()) {
        row(
            &format!("search (both oracles) on {}", rev.name()),
            rate(&scenarios, |scenario| {
                black_box(oracle::check(scenario, rev, oracle::Checks::SEARCH).ok());
            }),
            "exec",
        );
    }

    let revisions: Vec<_> = revision::all().filter(|r| r.port().is_some()).collect();
    let tasks = explore::tasks(&revisions, &[Mode::Strict], None).expect("built-in families build");
    let forever = Instant::now() + Duration::from_secs(3600);
    let mut threads = vec![1];
    if explore::default_threads() > 1 {
        threads.push(explore::default_threads());
    }
    for n in threads {
        let start = Instant::now();
        let (hunt, _) = explore::run_exhaustive(&tasks, 2, n, forever, &|_, _| {});
        let per_second = hunt.runs as f64 / start.elapsed().as_secs_f64();
        row(
            &format!("explore, bound 2, {n} thread(s)"),
            per_second,
            "interleavings",
        );
    }
    if let (Some(warm), Some(end)) = (warm, resident_mib()) {
        println!("\nresident size: {warm} MiB after the first figure, {end} MiB at the end");
    }
}
