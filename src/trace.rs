//! The trace of one execution: the futex tasks' yield points and the
//! event steps that ran between them, in order, and its side-by-side
//! rendering (the second task's yield points are marked `[task 2]`).
//!
//! Yield points are always kept, as values (the lockstep oracle compares
//! them); the lines of text around them are made only by a recording
//! trace, the one a finding is reported from. A search runs with tracing
//! off and formats nothing.

use std::cell::RefCell;
use std::fmt::{self, Write as _};

use crate::op::Op;
use crate::world::{Counter, Counter64, ObjectName, Place};

/// The argument of a yield point, formatted only when shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    None,
    /// `access_ok(addr, size)`.
    Range {
        addr: u64,
        size: u64,
    },
    /// `get_user_pages_fast(addr, 1, write, ...)`.
    Gup {
        addr: u64,
        write: bool,
    },
    /// A user address (`get_user()`, `vma_lookup()`).
    Addr(u64),
    /// `put_user(value, addr)`.
    Store {
        addr: u64,
        value: u32,
    },
    Object(ObjectName),
    Counter(Counter),
    Counter64(Counter64),
    /// A marked read: the expression as the source writes it, and what the
    /// pointer it reads through names.
    Read {
        expr: &'static str,
        place: Place,
    },
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::None => Ok(()),
            Arg::Range { addr, size } => write!(f, "{addr:#x}, {size}"),
            Arg::Gup { addr, write } => write!(f, "{addr:#x}, write={}", u8::from(*write)),
            Arg::Addr(addr) => write!(f, "{addr:#x}"),
            Arg::Store { addr, value } => write!(f, "{}, {addr:#x}", *value as i32),
            Arg::Object(object) => object.fmt(f),
            Arg::Counter(counter) => counter.fmt(f),
            Arg::Counter64(counter) => counter.fmt(f),
            Arg::Read { expr, place } => write!(f, "{expr} = {place}"),
        }
    }
}

/// How a yield point of `task` is marked: not at all for the futex thread,
/// `[task 2] ` for the second task.
pub fn task_mark(task: usize) -> String {
    match task {
        0 => String::new(),
        t => format!("[task {}] ", t + 1),
    }
}

/// A yield point's kernel call as traces show it, with the task's mark:
/// `[task 2] lock_page(page#6)`.
pub fn kernel_call(task: usize, op: Op, arg: &Arg) -> String {
    format!("{}{}({arg})", task_mark(task), op.name())
}

/// One line of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Task `task` reached yield point `n` at `op` on `arg`.
    Yield {
        n: u32,
        task: usize,
        op: Op,
        arg: Arg,
        line: Option<u32>,
    },
    /// Something the thread did or met, outside a yield point.
    Thread(String),
    /// An event ran a step.
    Event { name: String, text: String },
}

/// Yield buffers of dropped traces, kept for the next ones on this thread.
const KEPT: usize = 4;

thread_local! {
    static SPARE_YIELDS: RefCell<Vec<Vec<(u8, Op, Arg)>>> = const { RefCell::new(Vec::new()) };
}

impl Drop for Trace {
    fn drop(&mut self) {
        let mut yields = std::mem::take(&mut self.yields);
        if yields.capacity() == 0 {
            return;
        }
        yields.clear();
        // During the thread's teardown there is nothing to keep it for.
        let _ = SPARE_YIELDS.try_with(|spare| {
            let mut spare = spare.borrow_mut();
            if spare.len() < KEPT {
                spare.push(yields);
            }
        });
    }
}

#[derive(Clone, Debug, Default)]
pub struct Trace {
    recording: bool,
    /// Every line, when recording.
    pub entries: Vec<Entry>,
    /// The yield points with the task that reached each, recording or not.
    yields: Vec<(u8, Op, Arg)>,
    /// When recording: for each finding the world recorded, in order, the
    /// yield point passed last before it (0: none yet).
    finding_yields: Vec<u32>,
}

impl Trace {
    /// A trace that keeps every line, for a report.
    pub fn recording() -> Trace {
        let mut trace = Trace::default();
        trace.recording = true;
        trace
    }

    /// A trace that keeps the yield points alone, for a search. Its
    /// buffer is one a dropped trace left on this thread, if any.
    pub fn yields_only() -> Trace {
        let mut trace = Trace::default();
        trace.yields = SPARE_YIELDS
            .with(|spare| spare.borrow_mut().pop())
            .unwrap_or_default();
        trace
    }

    pub fn is_recording(&self) -> bool {
        self.recording
    }

    /// Task `task` reached yield point `n`.
    pub fn yield_point(&mut self, n: u32, task: usize, op: Op, arg: Arg, line: Option<u32>) {
        self.yields.push((task as u8, op, arg));
        if self.recording {
            self.entries.push(Entry::Yield {
                n,
                task,
                op,
                arg,
                line,
            });
        }
    }

    /// Notes, when recording, that the world's findings up to `count` were
    /// recorded after yield point `last_yield`.
    #[inline]
    pub fn findings_since(&mut self, count: usize, last_yield: u32) {
        if self.recording {
            while self.finding_yields.len() < count {
                self.finding_yields.push(last_yield);
            }
        }
    }

    /// The yield point passed last before the world recorded its finding
    /// number `index`, when recording.
    pub fn finding_yield(&self, index: usize) -> Option<u32> {
        self.finding_yields.get(index).copied()
    }

    /// The source line of yield point `n`, when recording.
    pub fn line_of(&self, n: u32) -> Option<u32> {
        self.entries.iter().find_map(|e| match e {
            Entry::Yield { n: m, line, .. } if *m == n => *line,
            _ => None,
        })
    }

    /// A line for the thread, made only when recording.
    pub fn note(&mut self, text: impl FnOnce() -> String) {
        if self.recording {
            self.entries.push(Entry::Thread(text()));
        }
    }

    /// A line for an event's step, made only when recording.
    pub fn event(&mut self, name: &str, text: impl FnOnce() -> String) {
        if self.recording {
            self.entries.push(Entry::Event {
                name: name.to_string(),
                text: text(),
            });
        }
    }

    /// The yield points alone, as (op, argument) pairs.
    pub fn yields(&self) -> impl Iterator<Item = (Op, Arg)> + '_ {
        self.yields.iter().map(|&(_, op, arg)| (op, arg))
    }

    /// The yield points with the task that reached each.
    pub fn task_yields(&self) -> impl Iterator<Item = (usize, Op, Arg)> + '_ {
        self.yields
            .iter()
            .map(|&(task, op, arg)| (usize::from(task), op, arg))
    }

    /// Two columns: the futex thread on the left, events on the right. A
    /// trace longer than `MAX_LINES` (a livelock) keeps its head and tail.
    pub fn render(&self, file: &str) -> String {
        const LEFT: usize = 66;
        let mut out = String::new();
        let _ = writeln!(out, "{:<LEFT$} | concurrent events", "futex thread");
        let _ = writeln!(out, "{:-<LEFT$}-+-{:-<30}", "", "");
        for (thread, event) in self.lines(file) {
            match event {
                None => {
                    let _ = writeln!(out, "{thread:<LEFT$} |");
                }
                Some(event) => {
                    let _ = writeln!(out, "{thread:<LEFT$} | {event}");
                }
            }
        }
        out
    }

    /// One column: the thread's lines, and each event step beneath the
    /// yield point it ran at, indented. Long traces are cut as in
    /// [`Trace::render`].
    pub fn column(&self, file: &str) -> Vec<String> {
        self.lines(file)
            .into_iter()
            .map(|(thread, event)| match event {
                None => thread,
                Some(event) => format!("       > {event}"),
            })
            .collect()
    }

    /// Each entry as (thread text, event text): one of them is empty.
    fn lines(&self, file: &str) -> Vec<(String, Option<String>)> {
        const MAX_LINES: usize = 240;
        const TAIL: usize = 40;
        let n = self.entries.len();
        let mut out = Vec::new();
        for (i, entry) in self.entries.iter().enumerate() {
            if n > MAX_LINES && i >= MAX_LINES - TAIL && i < n - TAIL {
                if i == MAX_LINES - TAIL {
                    out.push((format!("     ... {} lines elided ...", n - MAX_LINES), None));
                }
                continue;
            }
            out.push(match entry {
                Entry::Yield {
                    n,
                    task,
                    op,
                    arg,
                    line,
                } => {
                    let site = line.map(|l| format!("  [{file}:{l}]")).unwrap_or_default();
                    (
                        format!("#{n:<3} {}{site}", kernel_call(*task, *op, arg)),
                        None,
                    )
                }
                Entry::Thread(text) => (format!("     {text}"), None),
                Entry::Event { name, text } => (String::new(), Some(format!("{name}: {text}"))),
            });
        }
        out
    }
}
