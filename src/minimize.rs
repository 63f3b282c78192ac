//! Shrinks a reproducer by statements, not bytes: events (with their
//! schedule entries), schedule entries, calls and world objects are dropped,
//! step counts and options simplified, and relaxed mode turned strict,
//! while the same finding class still shows on the same revision. Works on
//! the text form, so every candidate is a scenario a person could write.

use crate::finding::FindingClass;
use crate::oracle;
use crate::revision::Revision;
use crate::scenario::{parse, Scenario};
use crate::schedule::Placement;

/// Whether `scenario` still shows `class` on `revision`.
pub fn reproduces(scenario: &Scenario, revision: Revision, class: FindingClass) -> bool {
    oracle::check(scenario, revision, oracle::Checks::SEARCH)
        .is_ok_and(|report| report.found.iter().any(|f| f.finding.class == class))
}

/// The smallest scenario found that still shows `class` on `revision`.
pub fn minimize(scenario: &Scenario, revision: Revision, class: FindingClass) -> Scenario {
    let mut best = scenario.clone();
    if !reproduces(&best, revision, class) {
        return best;
    }
    loop {
        let before = best.to_text();
        let mut lines: Vec<String> = before.lines().map(str::to_string).collect();
        // Whole events with their schedule entries first, then single lines
        // from the end (schedule, events, calls, then the world).
        for name in best
            .events
            .iter()
            .map(|e| e.name.clone())
            .collect::<Vec<_>>()
        {
            let without: Vec<String> = lines
                .iter()
                .filter(|l| !mentions_event(l, &name))
                .cloned()
                .collect();
            try_lines(&mut best, &mut lines, without, revision, class);
        }
        let mut i = lines.len();
        while i > 0 {
            i -= 1;
            let mut without = lines.clone();
            without.remove(i);
            try_lines(&mut best, &mut lines, without, revision, class);
            i = i.min(lines.len());
        }
        // Simplifications keep the number of lines, but a candidate that
        // is adopted replaces `lines`: the bound is read each time.
        let mut i = 0;
        while i < lines.len() {
            for simpler in simplifications(&lines[i]) {
                let mut candidate = lines.clone();
                candidate[i] = simpler;
                if try_lines(&mut best, &mut lines, candidate, revision, class) {
                    break;
                }
            }
            i += 1;
        }
        if best.to_text() == before {
            return best;
        }
    }
}

fn mentions_event(line: &str, name: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["event", n, ..] => *n == name,
        ["at", ..] => at_event(&words).is_some_and(|(i, _)| words[i] == name),
        _ => false,
    }
}

/// Where an `at` statement names its event, and whether step counts follow.
fn at_event(words: &[&str]) -> Option<(usize, bool)> {
    let (_, used) = Placement::parse(&words[1..]).ok()?;
    let event = 1 + used;
    (event < words.len()).then_some((event, event + 1 < words.len()))
}

/// Simpler forms of one statement: fewer steps, no options, strict mode.
fn simplifications(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut out = Vec::new();
    if let ["at", ..] = words.as_slice() {
        if let Some((event, true)) = at_event(&words) {
            out.push(words[..=event].join(" "));
        }
    }
    for (i, w) in words.iter().enumerate() {
        if w.starts_with("refs=") || w.starts_with("pgoff=") {
            let mut fewer = words.clone();
            fewer.remove(i);
            out.push(fewer.join(" "));
        }
    }
    out
}

/// Adopts `candidate` when it parses and still reproduces.
fn try_lines(
    best: &mut Scenario,
    lines: &mut Vec<String>,
    candidate: Vec<String>,
    revision: Revision,
    class: FindingClass,
) -> bool {
    if candidate == *lines {
        return false;
    }
    let Ok(scenario) = parse(&candidate.join("\n")) else {
        return false;
    };
    if crate::exec::build(&scenario, revision.era()).is_err()
        || !reproduces(&scenario, revision, class)
    {
        return false;
    }
    *best = scenario;
    *lines = candidate.into_iter().filter(|l| !l.is_empty()).collect();
    true
}
