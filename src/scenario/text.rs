//! Writes a scenario in its text form; `parse(to_text(s)) == s` for every
//! scenario `parse` accepts.

use std::fmt::Write as _;

use super::{Access, Scenario, VmaBacking, WorldItem};
use crate::events::{EventKind, PageSpec, Range, Value};
use crate::schedule::Steps;
use crate::world::mempolicy::Policy;
use crate::world::{InodeKind, Mode, THP_ORDER};

fn kind_words(kind: InodeKind) -> String {
    match kind {
        InodeKind::File => "file".into(),
        InodeKind::Shmem => "shmem".into(),
        InodeKind::Hugetlbfs { order } => format!("hugetlbfs order={order}"),
    }
}

impl Scenario {
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mm = |i: usize| self.mm_names[i].as_str();
        let inode = |i: usize| self.inode_names[i].as_str();
        if self.mode == Mode::Relaxed {
            out.push_str("mode relaxed\n");
        }
        if let Some(era) = self.era {
            let _ = writeln!(out, "era {}", era.keyword());
        }
        if let Some(n) = self.retries {
            let _ = writeln!(out, "retries {n}");
        }
        for item in &self.world {
            let _ = match item {
                WorldItem::Mm(name) => writeln!(out, "mm {name}"),
                WorldItem::Inode(d) => {
                    let refs = if d.refs == 1 {
                        String::new()
                    } else {
                        format!(" refs={}", d.refs)
                    };
                    writeln!(
                        out,
                        "inode {} {} size={}{refs}",
                        d.name,
                        kind_words(d.kind),
                        d.size
                    )
                }
                WorldItem::Page {
                    inode: i,
                    index,
                    swapped,
                    large,
                } => {
                    writeln!(
                        out,
                        "page {} {index}{}{}",
                        inode(*i),
                        large_folio_words(*large),
                        if *swapped { " swapped" } else { "" }
                    )
                }
                WorldItem::Vma(v) => {
                    let backing = match v.backing {
                        VmaBacking::Anon { thp: false } => "anon".to_string(),
                        VmaBacking::Anon { thp: true } => "anon thp".to_string(),
                        VmaBacking::Special => "special".to_string(),
                        VmaBacking::File(i) => {
                            let kind = self.world.iter().find_map(|w| match w {
                                WorldItem::Inode(d) if d.name == self.inode_names[i] => {
                                    Some(d.kind)
                                }
                                _ => None,
                            });
                            let word = match kind {
                                Some(InodeKind::Shmem) => "shmem",
                                Some(InodeKind::Hugetlbfs { .. }) => "hugetlbfs",
                                _ => "file",
                            };
                            let pgoff = if v.pgoff == 0 {
                                String::new()
                            } else {
                                format!(" pgoff={}", v.pgoff)
                            };
                            format!("{word} {}{pgoff}", inode(i))
                        }
                    };
                    writeln!(
                        out,
                        "vma {} {:#x} {:#x} {backing} {} {}",
                        mm(v.mm),
                        v.start,
                        v.end,
                        v.prot,
                        if v.shared { "shared" } else { "private" }
                    )
                }
                WorldItem::Anon {
                    mm: m,
                    addr,
                    large,
                    zero,
                } => writeln!(
                    out,
                    "anon {} {addr:#x}{}{}",
                    mm(*m),
                    large_folio_words(*large),
                    if *zero { " zero" } else { "" }
                ),
                WorldItem::Fork { parent, child } => {
                    writeln!(out, "fork {} {}", mm(*parent), mm(*child))
                }
                WorldItem::Nodes(nodes) => {
                    let list: Vec<String> = node_numbers(*nodes).map(|n| n.to_string()).collect();
                    writeln!(out, "nodes {}", list.join(" "))
                }
                WorldItem::Word { mm: m, addr, value } => {
                    writeln!(out, "word {} {addr:#x} {}", mm(*m), word_text(*value))
                }
                WorldItem::Policy {
                    mm: m,
                    start,
                    end,
                    policy,
                } => writeln!(
                    out,
                    "policy {} {start:#x} {end:#x} {}",
                    mm(*m),
                    policy_words(policy)
                ),
            };
        }
        for call in &self.calls {
            let mut options = String::new();
            if call.numa {
                options.push_str(" numa");
            }
            if call.mpol {
                options.push_str(" mpol");
            }
            if call.node != 0 {
                let _ = write!(options, " node={}", call.node);
            }
            if let Some(task) = call.by {
                let _ = write!(options, " by {}", self.events[task].name);
            }
            let _ = writeln!(
                out,
                "call {} {:#x} {} {}{options}",
                mm(call.mm),
                call.addr,
                if call.shared { "shared" } else { "private" },
                match call.access {
                    Access::Read => "read",
                    Access::Write => "write",
                }
            );
        }
        for event in &self.events {
            let _ = writeln!(out, "event {} {}", event.name, self.event_text(&event.kind));
        }
        for s in &self.schedule {
            let steps = match s.steps {
                Steps::All => String::new(),
                Steps::Count(n) => format!(" {n}"),
            };
            let _ = writeln!(
                out,
                "at {} {}{steps}",
                s.placement, self.events[s.event].name
            );
        }
        out
    }
}

impl Scenario {
    /// An event's kind and arguments as its statement writes them: the
    /// fields of [`EventKind::KINDS`] in order, keyed ones as `name=value`.
    fn event_text(&self, event: &EventKind) -> String {
        let mut out = event.keyword().to_string();
        let fields = EventKind::KINDS[event.kind_index()].fields;
        for (field, value) in fields.iter().zip(event.values()) {
            let text = match value {
                Value::Inode(i) => self.inode_names[i].clone(),
                Value::Mm(m) => self.mm_names[m].clone(),
                Value::Pages(n) => n.to_string(),
                Value::Addr(addr) | Value::WordAddr(addr) => format!("{addr:#x}"),
                Value::Range(Range { start, end }) => format!("{start:#x} {end:#x}"),
                Value::Prot(prot) => prot.to_string(),
                Value::Kind(kind) => kind_words(kind),
                Value::Page(PageSpec::Cache { inode, index }) => {
                    format!("{} {index}", self.inode_names[inode])
                }
                Value::Page(PageSpec::User { mm, addr }) => {
                    format!("{} {addr:#x}", self.mm_names[mm])
                }
                Value::Word(value) => word_text(value),
                Value::Policy(policy) => policy_words(&policy),
                Value::Node(node) => node.to_string(),
            };
            if field.keyed {
                let _ = write!(out, " {}={text}", field.name);
            } else {
                let _ = write!(out, " {text}");
            }
        }
        out
    }
}

/// The nodes of a mask, lowest first.
fn node_numbers(mask: u64) -> impl Iterator<Item = u32> {
    (0..64).filter(move |n| mask & (1 << n) != 0)
}

/// A user word's value: negative values as such (`-1`), small ones in
/// decimal, the others in hex.
fn word_text(value: u32) -> String {
    let signed = value as i32;
    if signed < 0 {
        signed.to_string()
    } else if value < 4096 {
        value.to_string()
    } else {
        format!("{value:#x}")
    }
}

/// A policy as the `policy` statement and the `mbind` event write it.
fn policy_words(policy: &Policy) -> String {
    let mut out = policy.mode.name().to_string();
    if policy.nodes != 0 {
        let list: Vec<String> = node_numbers(policy.nodes).map(|n| n.to_string()).collect();
        let _ = write!(out, " nodes={}", list.join(","));
    }
    if let Some(home) = policy.home {
        let _ = write!(out, " home={home}");
    }
    out
}

/// The words of a page statement that size its large folio.
fn large_folio_words(large: Option<u32>) -> String {
    match large {
        None => String::new(),
        Some(THP_ORDER) => " thp".into(),
        Some(order) => format!(" thp order={order}"),
    }
}
