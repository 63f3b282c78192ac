//! Lockstep: a C revision and its Rust port, on two copies of one world with one schedule, return the same values and keys, leave the same refcounts, raise the same WARNs and take the same yield points.
//!
//! A failure is a `lockstep-divergence` naming the first place the two
//! runs part: the first yield point that differs, else the first call
//! result, key, WARN or refcount that differs.

use crate::exec::{self, Outcome};
use crate::finding::{Finding, FindingClass};
use crate::implementation::Target;
use crate::op::Op;
use crate::scenario::Scenario;
use crate::trace::{kernel_call, Arg, Trace};
use crate::world::WorldError;

/// Runs `scenario` on `port` and compares the run with `c_run`, a run of
/// the same scenario on the C revision it ports: the C run another oracle
/// already made serves both.
pub fn against(
    scenario: &Scenario,
    port: Target,
    c_run: &Outcome,
) -> Result<Option<Finding>, WorldError> {
    let rust_run = exec::run_unobserved(scenario, port, Trace::yields_only())?;
    if c_run.harness_error.is_some() && c_run.harness_error == rust_run.harness_error {
        // Both stopped where the model could not go on, with whatever the
        // call had built by then: not judged, as by the meaning oracle.
        return Ok(None);
    }
    Ok(first_difference(c_run, &rust_run).map(|what| divergence(port.name, &what)))
}

/// Runs every built-in scenario, in both modes, on `c` and `rust`, and
/// returns how many runs were compared, or the first divergence with the
/// scenario and mode that showed it. A scenario the implementations' era
/// cannot hold (a shmem huge page before 4.8) is passed over.
pub fn on_the_corpus(c: Target, rust: Target) -> Result<usize, String> {
    let mut compared = 0;
    for (name, text) in crate::corpus::BUILT_IN {
        let mut scenario =
            crate::scenario::parse(text).map_err(|e| format!("corpus/{name}.scn: {e}"))?;
        for mode in [crate::world::Mode::Strict, crate::world::Mode::Relaxed] {
            scenario.mode = mode;
            match compare(&scenario, c, rust) {
                Err(e) if e.not_in_era() => {}
                Err(e) => return Err(format!("{name} ({mode}) on {}: {e}", c.name)),
                Ok(Some(finding)) => {
                    return Err(format!("{name} ({mode}) on {}: {finding}", c.name))
                }
                Ok(None) => compared += 1,
            }
        }
    }
    Ok(compared)
}

/// Runs `scenario` on two implementations (a C revision and a port that
/// may not be its own) and names where they part.
pub fn compare(
    scenario: &Scenario,
    c: Target,
    rust: Target,
) -> Result<Option<Finding>, WorldError> {
    let c_run = exec::run_unobserved(scenario, c, Trace::yields_only())?;
    against(scenario, rust, &c_run)
}

fn divergence(name: &str, what: &str) -> Finding {
    Finding::new(
        FindingClass::LockstepDivergence,
        format!("{name}: C and its Rust port part {what}"),
    )
}

/// Where two runs of one scenario first differ, in words.
pub fn first_difference(c: &Outcome, rust: &Outcome) -> Option<String> {
    let mut c_yields = c.trace.task_yields();
    let mut r_yields = rust.trace.task_yields();
    let mut n = 0;
    loop {
        n += 1;
        match (c_yields.next(), r_yields.next()) {
            (None, None) => break,
            (a, b) if a == b => continue,
            (a, b) => {
                let show = |y: Option<(usize, Op, Arg)>| match y {
                    Some((t, op, arg)) => kernel_call(t, op, &arg),
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
        if a.node != b.node {
            return Some(format!(
                "on call {}'s node: C {:?}, Rust {:?}",
                i + 1,
                a.node,
                b.node
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
        let show = |f: Option<&crate::finding::Finding>| match f {
            Some(f) => f.to_string(),
            None => "nothing more".to_string(),
        };
        let n = (0..)
            .find(|&i| c.findings.get(i) != rust.findings.get(i))
            .expect("the lists differ somewhere");
        return Some(format!(
            "on what the kernel noticed, at its #{}: C {}, Rust {}",
            n + 1,
            show(c.findings.get(n)),
            show(rust.findings.get(n))
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
