//! futex-diff finds concurrency bugs in revisions of the Linux kernel's
//! `get_futex_key()`.
//!
//! A revision is a C file in kernel dialect, compiled over a fake mm layer
//! whose state is the [`world`]. The futex thread runs the revision; at each
//! of its yield points the [`sched`]uler runs steps of concurrent mm
//! [`events`] (truncation, swap, eviction, THP split, mbind, ...), or of
//! a second futex task, as a [`scenario`] places them. [`exec::run`] makes the calls and collects the
//! trace, the keys, the refcounts and what the fake [`kernel`] noticed.
//! Each bundled revision also has a Rust port in [`futex`]; the
//! [`oracle`]s judge a run against the function's meaning
//! ([`reference`](mod@reference)) and a C revision against its port. What the model takes
//! to be true of the kernel is `docs/model.md`.
//!
//! ```
//! use futex_diff::oracle::{self, Checks};
//! use futex_diff::{revision, scenario};
//!
//! let text = "mm A\ninode H hugetlbfs size=4\nvma A 0x400000 0x404000 hugetlbfs H rw shared\n\
//!             call A 0x400000 shared write\ncall A 0x401000 shared write\n";
//! let scenario = scenario::parse(text).unwrap();
//! let v46 = revision::find("v4.6").unwrap();
//! let report = oracle::check(&scenario, v46, Checks::REPORT).unwrap();
//! // v4.6 keys every sub-page of a huge page on its head: 4.7 fixed it.
//! assert!(report.found.iter().any(|f| f.finding.class.name() == "key-collision"));
//! ```
//!
//! # Layers
//!
//! Each module imports only from the layers above it
//! (`python3 ../shared/tools/module-cycles.py` finds no cycle):
//!
//! 1. leaves: [`abi`] (the C declarations and every kernel constant),
//!    [`era`] (one description per kernel era), [`finding`], [`op`] (the
//!    kernel APIs that yield), [`schedule`] (schedules as data), [`fiber`]
//!    (a second stack on the thread; unsafe, as [`ffi`] is);
//! 2. [`world`]: the mm model, the single source of mm truth;
//! 3. [`events`] (each kind written once), [`key`], [`reference`](mod@reference) (the
//!    meaning, a pure function of the world);
//! 4. the runtime: [`trace`], [`sched`] (the replayer), [`kernel`] (the
//!    API C and the ports call); it names no oracle;
//! 5. the implementations: [`implementation`] (the one trait), [`ffi`] (with
//!    [`fiber`] the only unsafe modules: C revisions, linked or loaded), [`futex`] (the
//!    ports), [`tree`] (a kernel tree or file, patched and cut down to its
//!    `get_futex_key()`), [`compile`] (revisions compiled at run time),
//!    [`revision`] (the registry);
//! 6. [`scenario`]: data, its text and binary forms;
//! 7. [`exec`]: a scenario on an implementation, an outcome;
//! 8. [`oracle`]: one property per file, one entry point;
//! 9. [`explore`] (strategies, hunting, minimising), [`fuzz`], [`corpus`];
//! 10. [`cli`].

// The fuzz build picks its allocator by the sanitizer it is built with
// (see `fuzz`); cargo fuzz builds on nightly, or with RUSTC_BOOTSTRAP.
#![cfg_attr(fuzzing, feature(cfg_sanitize))]

pub mod abi;
pub mod cli;
pub mod compile;
pub mod corpus;
pub mod era;
pub mod events;
pub mod exec;
pub mod explore;
pub mod ffi;
pub mod fiber;
pub mod finding;
pub mod futex;
pub mod fuzz;
pub mod implementation;
pub mod kernel;
pub mod key;
pub mod op;
pub mod oracle;
pub mod prove;
pub mod reference;
pub mod revision;
pub mod scenario;
pub mod sched;
pub mod schedule;
pub mod trace;
pub mod tree;
mod unit;
pub mod world;
