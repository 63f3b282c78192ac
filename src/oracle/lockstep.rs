//! Lockstep: a C revision and its Rust port, on two copies of one world with one schedule, return the same values and keys, leave the same refcounts, raise the same WARNs and take the same yield points.
//!
//! A failure is a `lockstep-divergence` naming the first place the two
//! runs part: the first yield point that differs, else the first call
//! result, key, WARN or refcount that differs.

use crate::exec::{self, Outcome};
use crate::finding::{Finding, FindingClass};
use crate::implementation::Implementation;
use crate::op::Op;
use crate::revision::Revision;
use crate::scenario::Scenario;
use crate::trace::{Arg, Trace};
use crate::world::{Era, WorldError};

/// Runs `scenario` on the C revision and its port, when it has one.
pub fn check(scenario: &Scenario, revision: Revision) -> Result<Option<Finding>, WorldError> {
    if revision.port().is_none() {
        return Ok(None);
    }
    let c_run = exec::run_quietly(scenario, revision)?;
    against_port(scenario, revision, &c_run)
}

/// Compares `c_run`, a run of `scenario` on the C revision, with a run on
/// its port, when it has one: the C run an oracle already made serves both.
pub fn against_port(
    scenario: &Scenario,
    revision: Revision,
    c_run: &Outcome,
) -> Result<Option<Finding>, WorldError> {
    let Some(port) = revision.port() else {
        return Ok(None);
    };
    let name = revision.name();
    let rust_run = exec::run_on(scenario, port, name, revision.era(), Trace::yields_only())?;
    Ok(first_difference(c_run, &rust_run).map(|what| divergence(name, &what)))
}

fn divergence(name: &str, what: &str) -> Finding {
    Finding::new(
        FindingClass::LockstepDivergence,
        format!("{name}: C and its Rust port part {what}"),
    )
}

/// Runs `scenario` on two implementations and names where they part.
pub fn compare(
    scenario: &Scenario,
    c: &dyn Implementation,
    rust: &dyn Implementation,
    name: &str,
    era: Era,
) -> Result<Option<Finding>, WorldError> {
    let c_run = exec::run_on(scenario, c, name, era, Trace::yields_only())?;
    let rust_run = exec::run_on(scenario, rust, name, era, Trace::yields_only())?;
    Ok(first_difference(&c_run, &rust_run).map(|what| divergence(name, &what)))
}

/// Where two runs of one scenario first differ, in words.
pub fn first_difference(c: &Outcome, rust: &Outcome) -> Option<String> {
    let mut c_yields = c.trace.yields();
    let mut r_yields = rust.trace.yields();
    let mut n = 0;
    loop {
        n += 1;
        match (c_yields.next(), r_yields.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => {
                let show = |y: Option<(Op, Arg)>| match y {
                    Some((op, arg)) => format!("{}({arg})", op.name()),
                    None => "returns".to_string(),
                };
                return Some(format!(
                    "at yield point #{n}: C {}, Rust {}",
                    show(a),
                    show(b)
                ));
            }
        }
    }
    for (i, (a, b)) in c.calls.iter().zip(&rust.calls).enumerate() {
        if a.result != b.result {
            return Some(format!(
                "on call {}'s result: C {:?}, Rust {:?}",
                i + 1,
                a.result,
                b.result
            ));
        }
        if a.key != b.key {
            return Some(format!(
                "on call {}'s key: C {}, Rust {}",
                i + 1,
                a.key,
                b.key
            ));
        }
        if a.put != b.put {
            return Some(format!(
                "on call {}'s put: C {:?}, Rust {:?}",
                i + 1,
                a.put,
                b.put
            ));
        }
    }
    if c.calls.len() != rust.calls.len() {
        return Some(format!(
            "on the number of calls made: C {}, Rust {}",
            c.calls.len(),
            rust.calls.len()
        ));
    }
    if c.findings != rust.findings {
        let a: Vec<String> = c.findings.iter().map(|f| f.to_string()).collect();
        let b: Vec<String> = rust.findings.iter().map(|f| f.to_string()).collect();
        return Some(format!(
            "on what the kernel noticed: C [{}], Rust [{}]",
            a.join("; "),
            b.join("; ")
        ));
    }
    if c.after != rust.after {
        let diff = c
            .after
            .iter()
            .zip(&rust.after)
            .find(|(a, b)| a != b)
            .map(|((n1, v1), (n2, v2))| format!("C {n1}={v1}, Rust {n2}={v2}"))
            .unwrap_or_else(|| "in which objects are live".to_string());
        return Some(format!("on refcounts after the run: {diff}"));
    }
    None
}
