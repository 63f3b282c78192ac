//! Shrinks a reproducer by statements, not bytes: events (with their
//! schedule entries), schedule entries, calls and world objects are dropped
//! (a dropped `mode relaxed` makes it strict), and step counts and options
//! simplified, while the same finding class still shows on the same
//! revision. Works on the text form, so every candidate is a scenario a
//! person could write.

use crate::finding::FindingClass;
use crate::oracle::{self, Found};
use crate::revision::Revision;
use crate::scenario::{parse, Scenario};
use crate::schedule::Placement;

/// A minimised reproducer: the scenario, and the finding it shows (with
/// the mode it now needs).
#[derive(Clone, Debug)]
pub struct Minimized {
    pub scenario: Scenario,
    pub found: Found,
}

/// The first finding of `class` that `scenario` shows on `revision`.
pub fn reproduce(scenario: &Scenario, revision: Revision, class: FindingClass) -> Option<Found> {
    let report = oracle::check(scenario, revision, oracle::Checks::SEARCH).ok()?;
    report.found.into_iter().find(|f| f.finding.class == class)
}

/// The first finding of `class` whose summary has `shape` (numbers
/// blanked) that `scenario` shows on `revision`.
pub fn reproduce_shape(
    scenario: &Scenario,
    revision: Revision,
    class: FindingClass,
    shape: &str,
) -> Option<Found> {
    let report = oracle::check(scenario, revision, oracle::Checks::SEARCH).ok()?;
    report
        .found
        .into_iter()
        .find(|f| f.finding.class == class && crate::finding::shape(&f.finding.summary) == shape)
}

/// The smallest scenario found that still shows `class` on `revision`,
/// with the finding it shows; `None` when `scenario` itself does not.
pub fn minimize(scenario: &Scenario, revision: Revision, class: FindingClass) -> Option<Minimized> {
    minimize_with(scenario, |s| reproduce(s, revision, class))
}

/// The smallest scenario found on which `shows` still finds something,
/// with what it finds there; `None` when it finds nothing on `scenario`.
pub fn minimize_with(
    scenario: &Scenario,
    mut shows: impl FnMut(&Scenario) -> Option<Found>,
) -> Option<Minimized> {
    let found = shows(scenario)?;
    let mut best = Minimized {
        scenario: scenario.clone(),
        found,
    };
    let lines = scenario.to_text().lines().map(str::to_string).collect();
    shrink_lines(lines, |candidate| {
        let Ok(scenario) = parse(&candidate.join("\n")) else {
            return false;
        };
        match shows(&scenario) {
            Some(found) => {
                best = Minimized { scenario, found };
                true
            }
            None => false,
        }
    });
    Some(best)
}

/// Shrinks `lines` for as long as `keep` accepts a smaller or simpler
/// candidate, and returns the last one it accepted (or `lines`). Whole
/// events with their schedule entries go first, then single lines from the
/// end (schedule, events, calls, then the world), then statements are
/// simplified; the passes repeat until none changes anything. `keep` sees
/// every candidate once per pass and may answer as it likes.
pub fn shrink_lines(
    mut lines: Vec<String>,
    mut keep: impl FnMut(&[String]) -> bool,
) -> Vec<String> {
    let mut adopt = |lines: &mut Vec<String>, candidate: Vec<String>| {
        if candidate != *lines && keep(&candidate) {
            *lines = candidate;
            true
        } else {
            false
        }
    };
    loop {
        let before = lines.clone();
        let events: Vec<String> = lines
            .iter()
            .filter_map(
                |l| match l.split_whitespace().collect::<Vec<_>>().as_slice() {
                    ["event", name, ..] => Some(name.to_string()),
                    _ => None,
                },
            )
            .collect();
        for name in events {
            let without: Vec<String> = lines
                .iter()
                .filter(|l| !mentions_event(l, &name))
                .cloned()
                .collect();
            adopt(&mut lines, without);
        }
        let mut i = lines.len();
        while i > 0 {
            i -= 1;
            let mut without = lines.clone();
            without.remove(i);
            adopt(&mut lines, without);
            i = i.min(lines.len());
        }
        // A simplification keeps the number of lines, but the bound is read
        // each time all the same: `lines` is replaced by what is adopted.
        let mut i = 0;
        while i < lines.len() {
            for simpler in simplifications(&lines[i]) {
                let mut candidate = lines.clone();
                candidate[i] = simpler;
                if adopt(&mut lines, candidate) {
                    break;
                }
            }
            i += 1;
        }
        if lines == before {
            return lines;
        }
    }
}

/// Whether `line` declares the event `name`, places it, or is a call the
/// task `name` makes: the lines that go with it.
fn mentions_event(line: &str, name: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["event", n, ..] => *n == name,
        ["at", ..] => at_event(&words).is_some_and(|(i, _)| words[i] == name),
        ["call", .., "by", task] => *task == name,
        _ => false,
    }
}

/// Where an `at` statement names its event, and whether step counts follow.
fn at_event(words: &[&str]) -> Option<(usize, bool)> {
    let (_, used) = Placement::parse(&words[1..]).ok()?;
    let event = 1 + used;
    (event < words.len()).then_some((event, event + 1 < words.len()))
}

/// Simpler forms of one statement: all of an event's steps instead of a
/// count, no `refs=`, `pgoff=`, `node=` or `home=` option, a call without
/// FUTEX2_MPOL or FUTEX2_NUMA, or made by the futex thread rather than the
/// second task.
fn simplifications(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut out = Vec::new();
    if let ["call", rest @ .., "by", _] = words.as_slice() {
        out.push(format!("call {}", rest.join(" ")));
    }
    if let ["at", ..] = words.as_slice() {
        if let Some((event, true)) = at_event(&words) {
            out.push(words[..=event].join(" "));
        }
    }
    let call = words.first() == Some(&"call");
    for (i, w) in words.iter().enumerate() {
        let option = ["refs=", "pgoff=", "node=", "home="]
            .iter()
            .any(|o| w.starts_with(o));
        if option || (call && matches!(*w, "mpol" | "numa")) {
            let mut fewer = words.clone();
            fewer.remove(i);
            out.push(fewer.join(" "));
        }
    }
    out
}
