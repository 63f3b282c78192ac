//! Runs one scenario on one implementation: builds the world, makes each
//! call (`get_futex_key()`), then drops every key it got
//! (`put_futex_key()`), lets the scheduled events finish, and collects what
//! happened, with what the oracles need to judge it.

use crate::finding::Finding;
use crate::implementation::{CallResult, Target};
use crate::kernel::{Held, Kernel, Observation};
use crate::key::{Key, RawKey};
use crate::reference::CallSpec;
use crate::scenario::{Access, Scenario};
use crate::sched::Scheduler;
use crate::schedule::CallRef;
use crate::trace::Trace;
use crate::world::build::{Builder, Objects};
use crate::world::file::FileId;
use crate::world::{Counter, Era, InodeRef, ObjectName, World, WorldError};

/// One call's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    pub result: CallResult,
    /// The key as returned (normalised when the call returned).
    pub key: Key,
    pub raw_key: RawKey,
    /// The `put_futex_key()` made for a successful call.
    pub put: Option<CallResult>,
    /// The reference result on each world state the call saw.
    pub observation: Observation,
    /// References the thread held right after this call returned (all calls
    /// so far, as keys are put only after the last call).
    pub held_after: Vec<(Held, i32)>,
}

/// Everything one execution produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub revision: String,
    /// The era whose mm and key rules the world followed.
    pub era: Era,
    pub calls: Vec<CallOutcome>,
    /// Refcounts of every live object when the world was built, for a
    /// report (a recording run; empty otherwise: no oracle needs them).
    pub before: Vec<(Counter, i64)>,
    /// Refcounts after the keys were put and the events ran.
    pub after: Vec<(Counter, i64)>,
    pub trace: Trace,
    pub findings: Vec<Finding>,
    /// Events that never finished, and what they waited for.
    pub stuck: Vec<(String, String)>,
    pub harness_error: Option<String>,
    pub yields: u32,
    /// The world's objects for the scenario's mms and inodes (see
    /// [`Outcome::legend`]).
    pub objects: Objects,
    /// References the thread still held after every key was put.
    pub held_at_end: Vec<(Held, i32)>,
    /// When a file was read back into a new inode: every inode object
    /// with the file it held (empty otherwise).
    pub inode_files: Vec<(InodeRef, FileId)>,
}

impl Outcome {
    /// The world's objects beside the names `scenario` gave them:
    /// (`mm#1`, `A`), (`inode#1`, `F`), ...
    pub fn legend<'a>(
        &'a self,
        scenario: &'a Scenario,
    ) -> impl Iterator<Item = (ObjectName, &'a str)> + 'a {
        let mms = self.objects.mms.iter().map(|&mm| ObjectName::Mm(mm));
        let inodes = self.objects.inodes.iter().map(|&i| ObjectName::Inode(i));
        let names = scenario.mm_names.iter().chain(&scenario.inode_names);
        mms.chain(inodes).zip(names.map(String::as_str))
    }
}

/// The world a scenario describes, with the replayer of its schedule (which
/// holds the world's objects for the scenario's indices).
pub struct Built {
    pub world: World,
    pub sched: Scheduler,
}

/// Builds the world of `scenario` under the mm rules of its era, or of
/// `era` when it sets none, and the scheduler that replays its schedule.
pub fn build(scenario: &Scenario, era: Era) -> Result<Built, WorldError> {
    let mut builder = Builder::new(scenario.mode, scenario.era.unwrap_or(era));
    for item in &scenario.world {
        builder.apply(item)?;
    }
    let Builder { world, objects, .. } = builder;
    let events = scenario
        .events
        .iter()
        .map(|e| (e.name.clone(), e.kind.clone()))
        .collect();
    let sched = Scheduler::new(events, &scenario.schedule, objects);
    Ok(Built { world, sched })
}

/// Runs `scenario` on `target`, keeping `trace` ([`Trace::recording`] for
/// a report, [`Trace::yields_only`] for a search).
pub fn run(scenario: &Scenario, target: Target, trace: Trace) -> Result<Outcome, WorldError> {
    let Target { name, era, imp } = target;
    let era = scenario.era.unwrap_or(era);
    let built = build(scenario, era)?;
    let mut kernel = Kernel::new(built.world, built.sched, trace);
    let before = if kernel.trace.is_recording() {
        kernel.world.refcounts()
    } else {
        Vec::new()
    };
    let mut calls = Vec::with_capacity(scenario.calls.len());

    for (i, call) in scenario.calls.iter().enumerate() {
        let mm = kernel.sched.objects().mms[call.mm];
        kernel.trace.note(|| {
            format!(
                "call {}: get_futex_key({:#x}, {}, {})",
                i + 1,
                call.addr,
                if call.shared { "shared" } else { "private" },
                access_of(era, call.access).1
            )
        });
        let spec = CallSpec {
            mm,
            uaddr: call.addr,
            shared: call.shared,
            write: call.access == Access::Write,
        };
        let (result, raw_key) = match kernel.begin_get(i, spec) {
            Ok(()) => imp.get_futex_key(
                &mut kernel,
                call.addr,
                call.shared,
                access_of(era, call.access).0,
            ),
            Err(_) => (CallResult::Aborted, RawKey::default()),
        };
        let observation = kernel.end_get();
        settle(&mut kernel, result, "get_futex_key()");
        let key = Key::normalise(raw_key, &kernel.world);
        kernel.trace.note(|| match result {
            CallResult::Returned(0) => format!("call {} returns 0: {key}", i + 1),
            CallResult::Returned(code) => {
                format!("call {} returns {}", i + 1, crate::abi::errno_name(code))
            }
            CallResult::Aborted => format!("call {} aborted", i + 1),
        });
        calls.push(CallOutcome {
            result,
            key,
            raw_key,
            put: None,
            observation,
            held_after: kernel.ledger.outstanding(),
        });
        if result == CallResult::Aborted {
            break;
        }
    }

    for (i, call) in scenario.calls.iter().enumerate().take(calls.len()) {
        if calls[i].result != CallResult::Returned(0) {
            continue;
        }
        kernel.trace.note(|| {
            if imp.has_put() {
                format!("call {}: put_futex_key()", i + 1)
            } else {
                format!(
                    "call {}: done with its key (no put_futex_key(): keys hold nothing)",
                    i + 1
                )
            }
        });
        let put = match kernel.begin_call(kernel.sched.objects().mms[call.mm], CallRef::Put(i)) {
            Ok(()) => imp.put_futex_key(&mut kernel, calls[i].raw_key),
            Err(_) => CallResult::Aborted,
        };
        settle(&mut kernel, put, "put_futex_key()");
        calls[i].put = Some(put);
        if put == CallResult::Aborted {
            break;
        }
    }

    kernel.world.thread.mm = None;
    let stuck = match kernel.sched.drain(&mut kernel.world, &mut kernel.trace) {
        Ok(stuck) => stuck
            .into_iter()
            .map(|(name, blocker)| {
                let why = kernel.sched.describe(&blocker);
                (name, why)
            })
            .collect(),
        Err(e) => {
            kernel.harness_error.get_or_insert(e.to_string());
            Vec::new()
        }
    };
    Ok(Outcome {
        revision: name.to_string(),
        era,
        held_at_end: kernel.ledger.outstanding(),
        inode_files: kernel.world.reread_inode_files(),
        calls,
        before,
        after: kernel.world.refcounts(),
        findings: kernel.world.take_findings(),
        stuck,
        harness_error: kernel.harness_error.take(),
        yields: kernel.yields(),
        objects: kernel.sched.take_objects(),
        trace: std::mem::take(&mut kernel.trace),
    })
}

/// The `rw` argument of a call, as the era's `get_futex_key()` takes it:
/// its value and its name.
pub fn access_of(era: Era, access: Access) -> (i32, &'static str) {
    let abi = era.rules().call;
    match access {
        Access::Read => abi.read,
        Access::Write => abi.write,
    }
}

/// Checks the thread's context after a call, unless the harness cut the
/// call short.
fn settle(kernel: &mut Kernel, result: CallResult, what: &str) {
    match result {
        CallResult::Aborted => kernel.reset_after_abort(),
        CallResult::Returned(_) => kernel.check_balanced(what),
    }
}
