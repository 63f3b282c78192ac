//! Where a run first departed from the function's meaning: the yield point
//! of the revision's C, and its source line, that a report (SARIF's
//! location) points a reader at.
//!
//! - A finding the world recorded as it happened (a use after free, a
//!   warning, an underflow, a livelock) departs at the yield point passed
//!   last before it was recorded.
//! - A finding about a call's result (a wrong key, a spurious or missing
//!   error; of two calls' keys that collide or mismatch, the later call's;
//!   a reference held too many or too few after a call) departs where the
//!   world first changed under the call, for the call's result to be
//!   judged against more than its entry state; when nothing changed, the
//!   call's own code went wrong, and it departs at the call's last yield
//!   point, where it settled its result.
//! - A finding about what the run left behind after the keys were put (a
//!   reference still held) departs at the run's last yield point.
//!
//! It needs a recorded trace ([`super::Checks::REPORT`]).

use super::Report;
use crate::finding::Finding;

/// A departure from the meaning, located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Departure {
    /// The yield point (numbered as in traces).
    pub at: u32,
    /// Its line in the revision's C source, when the revision marks it.
    pub line: Option<u32>,
    /// Why this is the place, in words.
    pub why: String,
}

/// Where the run of `report` first departed from the meaning, for
/// `finding`, one of its findings; `None` when the run passed no yield
/// point at all.
pub fn departure(report: &Report, finding: &Finding) -> Option<Departure> {
    let outcome = &report.outcome;
    let trace = &outcome.trace;
    let (at, why) = if let Some(index) = outcome.findings.iter().position(|f| f == finding) {
        let at = trace.finding_yield(index)?;
        (at, "the run met it here".to_string())
    } else if let Some(call) = named_call(&finding.summary) {
        let observed = &outcome.calls.get(call)?.observation;
        match (observed.since.get(1), observed.expected.get(..2)) {
            (Some(&since), Some([before, after])) if since > 0 => (
                since,
                format!(
                    "the meaning of call {} changed under it here, from {before} to {after}",
                    call + 1
                ),
            ),
            _ => (
                observed.last_yield,
                format!(
                    "call {} settled its result here, on a world that did not change under it",
                    call + 1
                ),
            ),
        }
    } else {
        (outcome.yields, "the run ended here".to_string())
    };
    (at > 0).then(|| Departure {
        at,
        line: trace.line_of(at),
        why,
    })
}

/// The call a finding's summary is about (`call 2 ...`), 0-based; of two
/// (`calls 1 and 2 ...`), the later one, whose key is the one that fails
/// to agree with the earlier's.
fn named_call(summary: &str) -> Option<usize> {
    let number = |word: &str| -> Option<usize> {
        let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<usize>().ok()?.checked_sub(1)
    };
    let words: Vec<&str> = summary.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "call" || *w == "calls")?;
    let first = number(words.get(at + 1)?)?;
    match (words.get(at + 2), words.get(at + 3)) {
        (Some(&"and"), Some(second)) if words[at] == "calls" => number(second).or(Some(first)),
        _ => Some(first),
    }
}

#[cfg(test)]
mod tests {
    use super::named_call;

    #[test]
    fn the_first_call_a_summary_names() {
        assert_eq!(named_call("call 2 returned -EFAULT"), Some(1));
        assert_eq!(named_call("calls 1 and 3 name the same word"), Some(2));
        assert_eq!(named_call("after call 2 the thread holds"), Some(1));
        assert_eq!(named_call("inode#1.i_count 1 -> 2"), None);
        assert_eq!(named_call("call 0 is no call"), None);
    }
}
