//! Writes a scenario in its text form; `parse(to_text(s)) == s` for every
//! scenario `parse` accepts.

use std::fmt::Write as _;

use super::{prot_name, Access, EventSpec, PageRef, Scenario, VmaBacking, WorldItem};
use crate::schedule::Steps;
use crate::world::{Era, InodeKind, Mode};

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
        let page = |p: &PageRef| match *p {
            PageRef::Cache { inode: i, index } => format!("{} {index}", inode(i)),
            PageRef::User { mm: m, addr } => format!("{} {addr:#x}", mm(m)),
        };
        if self.mode == Mode::Relaxed {
            out.push_str("mode relaxed\n");
        }
        match self.era {
            Some(Era::V3) => out.push_str("era 3\n"),
            Some(Era::V4) => out.push_str("era 4\n"),
            None => {}
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
                } => {
                    writeln!(
                        out,
                        "page {} {index}{}",
                        inode(*i),
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
                        prot_name(v.prot),
                        if v.shared { "shared" } else { "private" }
                    )
                }
                WorldItem::Anon {
                    mm: m,
                    addr,
                    thp,
                    zero,
                } => writeln!(
                    out,
                    "anon {} {addr:#x}{}{}",
                    mm(*m),
                    if *thp { " thp" } else { "" },
                    if *zero { " zero" } else { "" }
                ),
                WorldItem::Fork { parent, child } => {
                    writeln!(out, "fork {} {}", mm(*parent), mm(*child))
                }
            };
        }
        for call in &self.calls {
            let _ = writeln!(
                out,
                "call {} {:#x} {} {}",
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
            let what = match &event.spec {
                EventSpec::Truncate { inode: i, to } => format!("truncate {} to={to}", inode(*i)),
                EventSpec::Punch {
                    inode: i,
                    from,
                    len,
                } => format!("punch {} from={from} len={len}", inode(*i)),
                EventSpec::Invalidate { inode: i } => format!("invalidate {}", inode(*i)),
                EventSpec::SwapOut { inode: i, index } => format!("swapout {} {index}", inode(*i)),
                EventSpec::SwapIn { inode: i, index } => format!("swapin {} {index}", inode(*i)),
                EventSpec::Migrate(p) => format!("migrate {}", page(p)),
                EventSpec::Split { mm: m, addr } => format!("split {} {addr:#x}", mm(*m)),
                EventSpec::Munmap { mm: m, start, end } => {
                    format!("munmap {} {start:#x} {end:#x}", mm(*m))
                }
                EventSpec::Mprotect {
                    mm: m,
                    start,
                    end,
                    prot,
                } => {
                    format!(
                        "mprotect {} {start:#x} {end:#x} {}",
                        mm(*m),
                        prot_name(*prot)
                    )
                }
                EventSpec::Iput { inode: i } => format!("iput {}", inode(*i)),
                EventSpec::Reuse {
                    inode: i,
                    kind,
                    size,
                } => {
                    format!("reuse {} {} size={size}", inode(*i), kind_words(*kind))
                }
                EventSpec::Fork { parent, child } => format!("fork {} {}", mm(*parent), mm(*child)),
                EventSpec::Cow { mm: m, addr } => format!("cow {} {addr:#x}", mm(*m)),
                EventSpec::Hold(p) => format!("hold {}", page(p)),
                EventSpec::Fail => "fail".to_string(),
            };
            let _ = writeln!(out, "event {} {what}", event.name);
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
