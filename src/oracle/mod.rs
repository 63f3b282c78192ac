//! The oracles: each judges an execution and reports findings.
//!
//! - [`reference`]: the function's meaning on one world state;
//! - [`meaning`]: any revision against that meaning, linearised over the
//!   states a call saw, plus references, locks and key identities;
//! - [`lockstep`]: a C revision against its Rust port, step by step.

pub mod reference;
