//! Concurrent mm events (truncation, swap, migration, THP split, munmap,
//! mprotect, eviction, inode reuse, fork, COW, a page lock held elsewhere,
//! fault injection): what each kind is called and takes ([`kinds`], the one
//! table the input forms read), and what it does, step by step, to the
//! world ([`steps`]). The mm semantics of each step live in `world`; what
//! each event waits for is docs/model.md §4.

pub mod args;
pub mod kinds;
pub mod steps;

pub use args::{ArgKind, Field, PageSpec, Range, Value};
pub use kinds::{EventKind, KindDesc};
pub use steps::{EventRun, StepOutcome};
