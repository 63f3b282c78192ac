//! futex-diff finds concurrency bugs in revisions of the Linux kernel's
//! `get_futex_key()`.
//!
//! A revision is a C file in kernel dialect, compiled over a fake mm layer
//! whose state is the [`world`]. The futex thread runs the revision; at each
//! of its yield points the [`sched`]uler runs steps of concurrent mm
//! [`events`] (truncation, swap, eviction, THP split, ...), as a
//! [`scenario`] describes. [`exec::run`] makes the calls and collects the
//! trace, the keys, the refcounts and what the fake [`kernel`] noticed.

pub mod cli;
pub mod corpus;
pub mod events;
pub mod exec;
pub mod ffi;
pub mod finding;
pub mod futex;
pub mod kernel;
pub mod key;
pub mod oracle;
pub mod revision;
pub mod scenario;
pub mod sched;
pub mod trace;
pub mod world;
