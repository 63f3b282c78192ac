//! C and Rust agree under random interleavings: every built-in scenario's
//! events are re-placed at random yield points, with random step counts,
//! in both modes, and every bundled revision must agree with its port.
//! Set FUTEX_DIFF_RANDOM_RUNS for a longer run (default 3000 schedules).

use futex_diff::corpus::BUILT_IN;
use futex_diff::oracle::lockstep;
use futex_diff::revision;
use futex_diff::scenario::{parse, Scenario};
use futex_diff::schedule::{Scheduled, Steps};
use futex_diff::world::Mode;

/// xorshift64*: a deterministic generator, so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn randomised(base: &Scenario, rng: &mut Rng) -> Scenario {
    let mut s = base.clone();
    s.mode = if rng.below(2) == 0 {
        Mode::Strict
    } else {
        Mode::Relaxed
    };
    s.schedule.clear();
    for event in 0..s.events.len() {
        for _ in 0..=rng.below(2) {
            let steps = match rng.below(3) {
                0 => Steps::All,
                n => Steps::Count(n as u32),
            };
            s.schedule
                .push(Scheduled::at(1 + rng.below(40) as u32, event, steps));
        }
    }
    s
}

#[test]
fn c_and_rust_agree_under_random_schedules() {
    let runs: u64 = std::env::var("FUTEX_DIFF_RANDOM_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let bases: Vec<(&str, Scenario)> = BUILT_IN
        .iter()
        .map(|(n, t)| (*n, parse(t).unwrap()))
        .filter(|(_, s)| !s.events.is_empty())
        .collect();
    let revisions: Vec<_> = revision::all().filter(|r| r.port().is_some()).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for run in 0..runs {
        let (name, base) = &bases[rng.below(bases.len() as u64) as usize];
        let scenario = randomised(base, &mut rng);
        let rev = revisions[rng.below(revisions.len() as u64) as usize];
        let finding = match lockstep::compare(&scenario, rev.target(), rev.port_target().unwrap()) {
            Err(e) if e.not_in_era() => continue,
            finding => finding.expect("the world builds"),
        };
        assert!(
            finding.is_none(),
            "run {run} ({name} on {}): {}\n{}",
            rev.name(),
            finding.unwrap(),
            scenario.to_text()
        );
    }
}
