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
use futex_diff::explore::{self, Search};
use futex_diff::scenario::{binary, parse, Scenario};
use futex_diff::world::Mode;
use futex_diff::{fuzz, oracle, revision};

/// The allocator the command line uses (src/main.rs), so that the figures
/// are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// Runs `one` for `budget`; runs per second.
fn rate_for(budget: Duration, mut one: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < budget {
        one();
        runs += 1;
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

    let mut ratios: Vec<(String, f64)> = Vec::new();
    let lockstep = rate(&inputs, |data| {
        black_box(fuzz::lockstep(data));
    });
    row(
        "fuzz target `lockstep` (all ported revisions)",
        lockstep,
        "exec",
    );
    ratios.push(("fuzz target `lockstep`".into(), lockstep));
    let warm = resident_mib();
    let meaning = rate(&inputs, |data| {
        black_box(fuzz::meaning(data));
    });
    row("fuzz target `meaning` (FUTEX_DIFF_REV)", meaning, "exec");
    ratios.push(("fuzz target `meaning`".into(), meaning));
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
        let (hunt, _) = explore::run_exhaustive(&tasks, 2, Search::Full, n, forever, &|_| {});
        let per_second = hunt.runs as f64 / start.elapsed().as_secs_f64();
        let what = format!("explore, bound 2, {n} thread(s), every schedule");
        row(&what, per_second, "interleavings");
        ratios.push((what, per_second));
        let start = Instant::now();
        let (hunt, _) = explore::run_exhaustive(&tasks, 2, Search::Reduced, n, forever, &|_| {});
        let seconds = start.elapsed().as_secs_f64();
        for (what, count) in [("run", hunt.runs), ("covered", hunt.runs + hunt.skipped)] {
            let what = format!("explore, bound 2, {n} thread(s), reduced: {what}");
            row(&what, count as f64 / seconds, "interleavings");
            ratios.push((what, count as f64 / seconds));
        }
    }
    if let (Some(warm), Some(end)) = (warm, resident_mib()) {
        println!("\nresident size: {warm} MiB after the first figure, {end} MiB at the end");
    }
    if let Some(empty) = empty_target_rate() {
        println!(
            "\nagainst the empty libFuzzer target ({empty:.0} exec/s, FUTEX_DIFF_EMPTY_RATE):"
        );
        for (what, per_second) in &ratios {
            println!("{what:<44} {:>12.4}", per_second / empty);
        }
    }
    scaling();
}

/// The empty libFuzzer target's exec/s measured in the same run
/// (`scripts/bench.sh` sets it), to report the figures as ratios.
fn empty_target_rate() -> Option<f64> {
    std::env::var("FUTEX_DIFF_EMPTY_RATE")
        .ok()?
        .parse()
        .ok()
        .filter(|&r: &f64| r > 0.0)
}

/// A dimension of the scenario's size: its name, its values, and the
/// scenario of each value.
type Dimension = (&'static str, &'static [u32], fn(u32) -> String);

/// How the cost of one execution (a search: the C revision for both
/// oracles and its port) grows with the scenario: one dimension at a
/// time, from a shmem mapping with one call.
fn scaling() {
    let rev = revision::find("v6.19").expect("v6.19 is bundled");
    println!(
        "\ncost of one execution on {} by scenario size (microseconds):",
        rev.name()
    );
    println!(
        "{:<14} {:>8} {:>12} {:>8}",
        "dimension", "value", "us/exec", "yields"
    );
    let dims: [Dimension; 5] = [
        ("calls", &[1, 2, 4, 8], |n| {
            let calls: String = (0..n)
                .map(|i| {
                    format!(
                        "call A {:#x} shared write\n",
                        0x10008 + 0x1000 * u64::from(i)
                    )
                })
                .collect();
            format!("mm A\ninode F shmem size=8\nvma A 0x10000 0x18000 shmem F rw shared\n{calls}")
        }),
        ("events", &[0, 1, 2, 4], |n| {
            let events: String = (0..n)
                .map(|i| format!("event e{i} hold F {i}\nat {} e{i}\n", i + 1))
                .collect();
            format!("mm A\ninode F shmem size=8\nvma A 0x10000 0x18000 shmem F rw shared\ncall A 0x10008 shared write\n{events}")
        }),
        ("pages", &[1, 4, 16, 64], |n| {
            format!(
                "mm A\ninode F shmem size={n}\nvma A 0x10000 {:#x} shmem F rw shared\ncall A 0x10008 shared write\n",
                0x10000 + 0x1000 * u64::from(n)
            )
        }),
        ("folio order", &[2, 4, 6, 9], |k| {
            let pages = 1u64 << k;
            format!(
                "mm A\ninode F file size={pages}\npage F 0 thp order={k}\nvma A 0x400000 {:#x} file F rw shared\ncall A 0x400008 shared write\n",
                0x400000 + 0x1000 * pages
            )
        }),
        ("callers", &[1, 2], |n| {
            let second = if n == 2 {
                "call A 0x10048 shared write by T\nevent T task\nat 1 T\n"
            } else {
                "call A 0x10048 shared write\n"
            };
            format!("mm A\ninode F shmem size=8\nvma A 0x10000 0x18000 shmem F rw shared\ncall A 0x10008 shared write\n{second}")
        }),
    ];
    for (dimension, values, make) in dims {
        for &value in values {
            let text = make(value);
            let scenario =
                parse(&text).unwrap_or_else(|e| panic!("{dimension}={value}: {e}\n{text}"));
            let yields = oracle::check(&scenario, rev, oracle::Checks::SEARCH)
                .map(|r| r.outcome.yields)
                .unwrap_or_else(|e| panic!("{dimension}={value}: {e}"));
            let per_second = rate_for(Duration::from_millis(500), || {
                black_box(oracle::check(&scenario, rev, oracle::Checks::SEARCH).ok());
            });
            println!(
                "{dimension:<14} {value:>8} {:>12.2} {yields:>8}",
                1e6 / per_second
            );
        }
    }
}
