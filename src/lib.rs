//! futex-diff finds concurrency bugs in revisions of the Linux kernel's
//! `get_futex_key()`.
//!
//! A revision is a C file in kernel dialect, compiled over a fake mm layer
//! whose state is the [`world`]. The futex thread runs the revision; at each
//! of its yield points the [`sched`]uler runs steps of concurrent mm
//! [`events`] (truncation, swap, eviction, THP split, ...), as a
//! [`scenario`] describes. [`exec::run`] makes the calls and collects the
//! trace, the keys, the refcounts and what the fake [`kernel`] noticed.
//! Each bundled revision also has a Rust port in [`futex`]; the
//! [`oracle`]s judge a run against the function's meaning and a C
//! revision against its port.
//!
//! ```
//! use futex_diff::{oracle, revision, scenario};
//!
//! let text = "mm A\ninode H hugetlbfs size=4\nvma A 0x400000 0x404000 hugetlbfs H rw shared\n\
//!             call A 0x400000 shared write\ncall A 0x401000 shared write\n";
//! let scenario = scenario::parse(text).unwrap();
//! let report = oracle::check(&scenario, revision::find("v4.6").unwrap(), oracle::Checks::REPORT).unwrap();
//! // v4.6 keys every sub-page of a huge page on its head: 4.7 fixed it.
//! assert!(report.found.iter().any(|f| f.finding.class.name() == "key-collision"));
//! ```

pub mod abi;
pub mod cli;
pub mod compile;
pub mod corpus;
pub mod era;
pub mod events;
pub mod exec;
pub mod explore;
pub mod ffi;
pub mod finding;
pub mod futex;
pub mod fuzz;
pub mod implementation;
pub mod kernel;
pub mod key;
pub mod op;
pub mod oracle;
pub mod reference;
pub mod revision;
pub mod scenario;
pub mod sched;
pub mod schedule;
pub mod trace;
pub mod world;
