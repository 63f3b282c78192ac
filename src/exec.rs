//! Runs one scenario on one implementation: builds the world, makes each
//! call (`get_futex_key()`), the futex thread's and the second task's,
//! then drops every key it got (`put_futex_key()`), lets the scheduled
//! events finish, and collects what happened, with what the oracles need
//! to judge it.

use std::cell::RefCell;
use std::rc::Rc;

use crate::abi::CallFlags;
use crate::finding::Finding;
use crate::implementation::{CallResult, Implementation, Target};
use crate::kernel::{Held, Kernel, Observation};
use crate::key::{Key, RawKey};
use crate::reference::CallSpec;
use crate::scenario::{Access, Call, Scenario};
use crate::sched::{Finish, Scheduler, Stepped};
use crate::schedule::CallRef;
use crate::trace::Trace;
use crate::world::build::{Builder, Objects};
use crate::world::file::FileId;
use crate::world::user::UserPlace;
use crate::world::{Counter, Era, InodeRef, MmId, ObjectName, World, WorldError, TASKS};

/// One call's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutcome {
    /// The futex task that made it (0: the futex thread).
    pub task: usize,
    pub result: CallResult,
    /// The key as returned (normalised when the call returned).
    pub key: Key,
    pub raw_key: RawKey,
    /// The node the key names (6.16 on), for a call that returned a key.
    pub node: Option<i32>,
    /// How it was called: shared, FUTEX2_NUMA, FUTEX2_MPOL.
    pub flags: CallFlags,
    /// The `put_futex_key()` made for a successful call.
    pub put: Option<CallResult>,
    /// The reference result on each world state the call saw.
    pub observation: Observation,
    /// References its task held right after this call returned (all the
    /// task's calls so far, as keys are put only after its last call).
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
    /// For each event, when it finished while the tasks ran (`None`:
    /// later, or never).
    pub finished: Vec<Option<Finish>>,
    /// The event steps that ran while the tasks ran, in order.
    pub stepped: Vec<Stepped>,
    /// The world's objects for the scenario's mms and inodes (see
    /// [`Outcome::legend`]).
    pub objects: Objects,
    /// References each task still held after every key it got was put.
    pub held_at_end: [Vec<(Held, i32)>; TASKS],
    /// When a file was read back into a new inode: every inode object
    /// with the file it held (empty otherwise).
    pub inode_files: Vec<(InodeRef, FileId)>,
    /// The user words other tasks stored to.
    pub event_stores: Vec<UserPlace>,
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
    let era = scenario.era.unwrap_or(era);
    let mut builder = Builder::new(scenario.mode, era);
    for item in &scenario.world {
        builder.apply(item)?;
    }
    for (i, call) in scenario.calls.iter().enumerate() {
        if (call.numa || call.mpol) && !era.rules().key.node {
            return Err(era.lacks("FUTEX2_NUMA and FUTEX2_MPOL start in 6.16"));
        }
        if !builder.world.node_possible(i64::from(call.node)) {
            return Err(WorldError::Invalid(format!(
                "call {} runs on node {}, which the machine does not have",
                i + 1,
                call.node
            )));
        }
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
/// a report, [`Trace::yields_only`] for a search). The futex thread makes
/// its calls here; the calls `by` a `task` event are made by the second
/// task, on a stack of its own, as the schedule lets it.
pub fn run(scenario: &Scenario, target: Target, trace: Trace) -> Result<Outcome, WorldError> {
    run_as(scenario, target, trace, true)
}

/// Like [`run`], for a run no meaning oracle judges: the port's run that
/// lockstep compares with the C run, a run that counts yield points. The
/// meaning is not evaluated at its yield points (a sixth of a run's
/// cost), so its calls' observations are empty; everything else, the
/// run itself included, is as [`run`] makes it.
pub fn run_unobserved(
    scenario: &Scenario,
    target: Target,
    trace: Trace,
) -> Result<Outcome, WorldError> {
    run_as(scenario, target, trace, false)
}

/// [`run`] when `observe_meaning`, else [`run_unobserved`].
fn run_as(
    scenario: &Scenario,
    target: Target,
    trace: Trace,
    observe_meaning: bool,
) -> Result<Outcome, WorldError> {
    let Target { name, era, imp } = target;
    let era = scenario.era.unwrap_or(era);
    let built = build(scenario, era)?;
    let mut kernel = Kernel::new(built.world, built.sched, trace);
    kernel.observe_meaning = observe_meaning;
    if let Some(bound) = scenario.retries {
        kernel.retry_bound = bound;
    }
    let before = if kernel.trace.is_recording() {
        kernel.world.refcounts()
    } else {
        Vec::new()
    };
    let mut plans: [Vec<PlannedCall>; TASKS] = Default::default();
    for (index, call) in scenario.calls.iter().enumerate() {
        plans[call.task()].push(PlannedCall {
            index,
            mm: kernel.sched.objects().mms[call.mm],
            call: call.clone(),
        });
    }
    let [first, second] = plans;
    // What the second task's calls come to, when it has any.
    let second_run = (!second.is_empty()).then(|| {
        let run = Rc::new(RefCell::new(TaskRun::default()));
        let done = Rc::clone(&run);
        kernel.spawn_second(move |k| {
            *done.borrow_mut() = run_task(k, imp, era, &second);
        });
        run
    });
    let first_run = run_task(&mut kernel, imp, era, &first);
    kernel.world.thread_mut().mm = None;
    kernel.finish_second();
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
    let findings = kernel.world.findings_count();
    kernel.trace.findings_since(findings, kernel.yields());
    let second_run = second_run.map(|run| run.take()).unwrap_or_default();
    let mut calls: Vec<(usize, CallOutcome)> = first_run.calls;
    calls.extend(second_run.calls);
    calls.sort_by_key(|(index, _)| *index);
    Ok(Outcome {
        revision: name.to_string(),
        era,
        held_at_end: [first_run.held_at_end, second_run.held_at_end],
        inode_files: kernel.world.reread_inode_files(),
        event_stores: kernel.world.event_stores().to_vec(),
        calls: calls.into_iter().map(|(_, call)| call).collect(),
        before,
        after: kernel.world.refcounts(),
        findings: kernel.world.take_findings(),
        stuck,
        harness_error: kernel.harness_error.take(),
        yields: kernel.yields(),
        finished: kernel.sched.take_finished(),
        stepped: kernel.sched.take_stepped(),
        objects: kernel.sched.take_objects(),
        trace: std::mem::take(&mut kernel.trace),
    })
}

/// A call a task makes: the scenario's call number `index`, from `mm`.
#[derive(Clone)]
struct PlannedCall {
    index: usize,
    mm: MmId,
    call: Call,
}

/// What a task's calls came to.
#[derive(Default)]
struct TaskRun {
    /// Each call's outcome, with the scenario's number of the call.
    calls: Vec<(usize, CallOutcome)>,
    /// References the task still held after its keys were put.
    held_at_end: Vec<(Held, i32)>,
}

/// Makes the calls of the running task in order, each `get_futex_key()`,
/// then puts every key it got, until one is aborted.
fn run_task(
    kernel: &mut Kernel,
    imp: &dyn Implementation,
    era: Era,
    plan: &[PlannedCall],
) -> TaskRun {
    let mut calls: Vec<(usize, CallOutcome)> = Vec::with_capacity(plan.len());
    for planned in plan {
        let (n, call) = (planned.index + 1, &planned.call);
        kernel.trace.note(|| {
            format!(
                "call {n}: get_futex_key({:#x}, {}, {})",
                call.addr,
                if call.shared { "shared" } else { "private" },
                access_of(era, call.access).1
            )
        });
        let spec = CallSpec {
            mm: planned.mm,
            uaddr: call.addr,
            shared: call.shared,
            write: call.access == Access::Write,
            numa: call.numa,
            mpol: call.mpol,
            node: call.node,
        };
        let flags = spec.flags();
        let (result, raw_key) = match kernel.begin_get(planned.index, spec) {
            Ok(()) => imp.get_futex_key(kernel, call.addr, flags, access_of(era, call.access).0),
            Err(_) => (CallResult::Aborted, RawKey::default()),
        };
        let observation = kernel.end_get();
        settle(kernel, result, "get_futex_key()");
        let key = Key::normalise(raw_key, &kernel.world);
        let node =
            (result == CallResult::Returned(0) && era.rules().key.node).then_some(raw_key.node);
        kernel.trace.note(|| match result {
            CallResult::Returned(0) => match node {
                Some(node) => format!("call {n} returns 0: {key}, node {node}"),
                None => format!("call {n} returns 0: {key}"),
            },
            CallResult::Returned(code) => {
                format!("call {n} returns {}", crate::abi::errno_name(code))
            }
            CallResult::Aborted => format!("call {n} aborted"),
        });
        calls.push((
            planned.index,
            CallOutcome {
                task: kernel.running(),
                result,
                key,
                raw_key,
                node,
                flags,
                put: None,
                observation,
                held_after: kernel.ledger().outstanding(),
            },
        ));
        if result == CallResult::Aborted {
            break;
        }
    }

    for (planned, (_, outcome)) in plan.iter().zip(calls.iter_mut()) {
        if outcome.result != CallResult::Returned(0) {
            continue;
        }
        let n = planned.index + 1;
        kernel.trace.note(|| {
            if imp.has_put() {
                format!("call {n}: put_futex_key()")
            } else {
                format!("call {n}: done with its key (no put_futex_key(): keys hold nothing)")
            }
        });
        let put = match kernel.begin_call(planned.mm, CallRef::Put(planned.index)) {
            Ok(()) => imp.put_futex_key(kernel, outcome.raw_key),
            Err(_) => CallResult::Aborted,
        };
        settle(kernel, put, "put_futex_key()");
        outcome.put = Some(put);
        if put == CallResult::Aborted {
            break;
        }
    }
    TaskRun {
        calls,
        held_at_end: kernel.ledger().outstanding(),
    }
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
