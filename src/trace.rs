//! The trace of one execution: the futex thread's yield points and the
//! event steps that ran between them, in order, and its side-by-side
//! rendering.

use std::fmt::Write as _;

/// A kernel API call (or marked read) where the futex thread yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    ReadOnce,
    AccessOk,
    ShouldFail,
    GetUserPagesFast,
    GetUserPagesFastIrq,
    PageTail,
    PageAnon,
    PageSwapCache,
    CompoundHead,
    BasepageIndex,
    GetPage,
    PutPage,
    LockPage,
    UnlockPage,
    Ihold,
    Iput,
    Mmdrop,
    AtomicInc,
    AtomicIncNotZero,
    RcuReadLock,
    RcuReadUnlock,
    LocalIrqDisable,
    LocalIrqEnable,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::ReadOnce => "READ_ONCE",
            Op::AccessOk => "access_ok",
            Op::ShouldFail => "should_fail",
            Op::GetUserPagesFast => "get_user_pages_fast",
            Op::GetUserPagesFastIrq => "__get_user_pages_fast",
            Op::PageTail => "PageTail",
            Op::PageAnon => "PageAnon",
            Op::PageSwapCache => "PageSwapCache",
            Op::CompoundHead => "compound_head",
            Op::BasepageIndex => "basepage_index",
            Op::GetPage => "get_page",
            Op::PutPage => "put_page",
            Op::LockPage => "lock_page",
            Op::UnlockPage => "unlock_page",
            Op::Ihold => "ihold",
            Op::Iput => "iput",
            Op::Mmdrop => "mmdrop",
            Op::AtomicInc => "atomic_inc",
            Op::AtomicIncNotZero => "atomic_inc_not_zero",
            Op::RcuReadLock => "rcu_read_lock",
            Op::RcuReadUnlock => "rcu_read_unlock",
            Op::LocalIrqDisable => "local_irq_disable",
            Op::LocalIrqEnable => "local_irq_enable",
        }
    }
}

/// One line of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The thread reached yield point `n` at `op` on `arg`.
    Yield {
        n: u32,
        op: Op,
        arg: String,
        line: Option<u32>,
    },
    /// Something the thread did or met, outside a yield point.
    Thread(String),
    /// An event ran a step.
    Event { name: String, text: String },
}

#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub entries: Vec<Entry>,
}

impl Trace {
    pub fn push(&mut self, entry: Entry) {
        self.entries.push(entry);
    }

    /// The yield points alone, as (op, argument) pairs.
    pub fn yields(&self) -> impl Iterator<Item = (Op, &str)> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Yield { op, arg, .. } => Some((*op, arg.as_str())),
            _ => None,
        })
    }

    /// Two columns: the futex thread on the left, events on the right. A
    /// trace longer than `MAX_LINES` (a livelock) keeps its head and tail.
    pub fn render(&self, file: &str) -> String {
        const LEFT: usize = 66;
        const MAX_LINES: usize = 240;
        const TAIL: usize = 40;
        let mut out = String::new();
        let _ = writeln!(out, "{:<LEFT$} | concurrent events", "futex thread");
        let _ = writeln!(out, "{:-<LEFT$}-+-{:-<30}", "", "");
        let n = self.entries.len();
        for (i, entry) in self.entries.iter().enumerate() {
            if n > MAX_LINES && i >= MAX_LINES - TAIL && i < n - TAIL {
                if i == MAX_LINES - TAIL {
                    let _ = writeln!(out, "     ... {} lines elided ...", n - MAX_LINES);
                }
                continue;
            }
            match entry {
                Entry::Yield { n, op, arg, line } => {
                    let site = line.map(|l| format!("  [{file}:{l}]")).unwrap_or_default();
                    let left = format!("#{n:<3} {}({arg}){site}", op.name());
                    let _ = writeln!(out, "{left:<LEFT$} |");
                }
                Entry::Thread(text) => {
                    let _ = writeln!(out, "{:<LEFT$} |", format!("     {text}"));
                }
                Entry::Event { name, text } => {
                    let _ = writeln!(out, "{:<LEFT$} | {name}: {text}", "");
                }
            }
        }
        out
    }
}
