//! Reads the text form of a scenario. Every error names the line and what
//! is wrong with it; nothing here panics on any input.

use std::fmt;

use super::{
    Access, Call, EventDecl, InodeDecl, Scenario, VmaBacking, VmaDecl, WorldItem, MAX_CALLS,
    MAX_CALL_NODE, MAX_EVENTS, MAX_INODE_PAGES, MAX_NAME, MAX_RETRIES, MAX_SCHEDULE, MIN_RETRIES,
    RESERVED_NAMES,
};
use crate::abi::MAX_NUMNODES;
use crate::events::{ArgKind, EventKind, Field, PageSpec, Range, Value};
use crate::schedule::{CallRef, Placement, Scheduled, Steps};
use crate::world::mempolicy::{Policy, PolicyMode};
use crate::world::{Era, InodeKind, Mode, Prot, FOLIO_ORDERS, PAGE_SIZE, THP_ORDER};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number; 0 for the scenario as a whole.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

type Result<T> = std::result::Result<T, String>;

/// Parses the text form of a scenario.
pub fn parse(text: &str) -> std::result::Result<Scenario, ParseError> {
    let mut parser = Parser::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        parser.line = i + 1;
        parser.statement(&words).map_err(|message| ParseError {
            line: i + 1,
            message,
        })?;
    }
    parser.finish()
}

#[derive(Default)]
struct Parser {
    scenario: Scenario,
    seen_mode: bool,
    seen_era: bool,
    seen_retries: bool,
    /// The line being read.
    line: usize,
    /// The line of each schedule entry, for errors found at the end.
    schedule_lines: Vec<usize>,
    /// Calls made `by` a task event, which may be declared after them:
    /// (call, event name, line).
    calls_by: Vec<(usize, String, usize)>,
}

/// `key=value` options after the positional words of a statement.
struct Options<'a> {
    words: Vec<&'a str>,
}

impl<'a> Options<'a> {
    fn new(words: &[&'a str]) -> Options<'a> {
        Options {
            words: words.to_vec(),
        }
    }

    /// Removes a bare flag; true when it was there.
    fn flag(&mut self, name: &str) -> bool {
        let before = self.words.len();
        self.words.retain(|w| *w != name);
        before != self.words.len()
    }

    /// Removes `name=value` and gives the value's text.
    fn text(&mut self, name: &str) -> Option<&'a str> {
        let prefix = format!("{name}=");
        let pos = self.words.iter().position(|w| w.starts_with(&prefix))?;
        let word = self.words.remove(pos);
        Some(&word[prefix.len()..])
    }

    /// Removes `name=value` and parses the value.
    fn number(&mut self, name: &str) -> Result<Option<u64>> {
        self.text(name).map(number).transpose()
    }

    /// Fails on anything not consumed.
    fn done(&self) -> Result<()> {
        match self.words.first() {
            None => Ok(()),
            Some(w) => Err(format!("unexpected `{w}`")),
        }
    }
}

/// The value of a 32-bit user word: a number, or a negative one as the
/// word's two's complement (`-1` is `0xffffffff`, `FUTEX_NO_NODE`).
pub(crate) fn word_value(word: &str) -> Result<u32> {
    let (negative, digits) = match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let n = number(digits)?;
    let fits =
        |n: u64| u32::try_from(n).map_err(|_| format!("`{word}` does not fit a 32-bit word"));
    if negative {
        let n = i32::try_from(n).map_err(|_| format!("`{word}` does not fit a 32-bit word"))?;
        Ok((-n) as u32)
    } else {
        fits(n)
    }
}

/// A NUMA node number.
fn node(word: &str) -> Result<u32> {
    let n = number(word)?;
    if n >= u64::from(MAX_NUMNODES) {
        return Err(format!(
            "node {n} is not below MAX_NUMNODES ({MAX_NUMNODES})"
        ));
    }
    Ok(n as u32)
}

/// A node list, `0,1,3`, as a bit per node.
fn node_list(text: &str) -> Result<u64> {
    text.split(',')
        .try_fold(0u64, |mask, n| Ok(mask | 1 << node(n)?))
}

/// A policy: its mode, then `nodes=` and `home=` from `options`.
fn policy(mode: &str, options: &mut Options) -> Result<Policy> {
    let mode = PolicyMode::from_name(mode).ok_or_else(|| {
        let known: Vec<&str> = PolicyMode::ALL.iter().map(|m| m.name()).collect();
        format!("`{mode}` is not a policy mode ({})", known.join(", "))
    })?;
    let nodes = options
        .text("nodes")
        .map(node_list)
        .transpose()?
        .unwrap_or(0);
    let home = options.text("home").map(node).transpose()?;
    let policy = Policy { mode, nodes, home };
    policy.check()?;
    Ok(policy)
}

fn number(word: &str) -> Result<u64> {
    let parsed = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => word.replace('_', "").parse::<u64>(),
    };
    parsed.map_err(|_| format!("`{word}` is not a number"))
}

/// The order of a large folio: `thp` alone is the model's PMD-size THP,
/// `thp order=K` a folio of `2^K` base pages; neither, a base page.
fn large_folio(options: &mut Options) -> Result<Option<u32>> {
    let thp = options.flag("thp");
    let order = options.number("order")?;
    match (thp, order) {
        (false, None) => Ok(None),
        (false, Some(_)) => Err("`order=` sizes a large folio: add `thp`".into()),
        (true, None) => Ok(Some(THP_ORDER)),
        (true, Some(k)) => match u32::try_from(k) {
            Ok(order) if FOLIO_ORDERS.contains(&order) => Ok(Some(order)),
            _ => Err(format!(
                "order={k}: a large folio's order is {} to {}",
                FOLIO_ORDERS.start(),
                FOLIO_ORDERS.end()
            )),
        },
    }
}

/// A page count or index: at most the largest inode size, so that page
/// arithmetic cannot overflow.
fn pages(word: &str, what: &str) -> Result<u64> {
    let value = number(word)?;
    if value > MAX_INODE_PAGES {
        return Err(format!(
            "{what} {value} is more than {MAX_INODE_PAGES} pages"
        ));
    }
    Ok(value)
}

fn page_aligned(word: &str, what: &str) -> Result<u64> {
    let value = number(word)?;
    if value % PAGE_SIZE != 0 {
        return Err(format!("{what} `{word}` is not page-aligned"));
    }
    Ok(value)
}

fn prot(word: &str) -> Result<Prot> {
    Prot::from_name(word).ok_or_else(|| format!("`{word}` is not a protection (rw, r or none)"))
}

fn sharing(word: &str) -> Result<bool> {
    match word {
        "shared" => Ok(true),
        "private" => Ok(false),
        _ => Err(format!("`{word}` is neither `shared` nor `private`")),
    }
}

fn arg<'a>(words: &[&'a str], i: usize, what: &str) -> Result<&'a str> {
    words
        .get(i)
        .copied()
        .ok_or_else(|| format!("missing {what}"))
}

impl Parser {
    fn mm(&self, name: &str) -> Result<usize> {
        self.scenario
            .mm_names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| format!("no mm named `{name}` (declare it with `mm {name}` first)"))
    }

    fn inode(&self, name: &str) -> Result<usize> {
        self.scenario
            .inode_names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| {
                format!("no inode named `{name}` (declare it with `inode {name} ...` first)")
            })
    }

    fn event(&self, name: &str) -> Result<usize> {
        self.scenario
            .events
            .iter()
            .position(|e| e.name == name)
            .ok_or_else(|| format!("no event named `{name}`"))
    }

    fn new_name(&self, name: &str) -> Result<String> {
        if self.scenario.name_taken(name) {
            return Err(format!("the name `{name}` is already used"));
        }
        if RESERVED_NAMES.contains(&name) {
            return Err(format!(
                "`{name}` is a word of the `at` statement, not a name"
            ));
        }
        let valid = name.len() <= MAX_NAME
            && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(format!(
                "`{name}` is not a name (a letter or `_`, then letters, digits, `_` or `-`; at most {MAX_NAME})"
            ));
        }
        Ok(name.to_string())
    }

    fn inode_kind(&self, word: &str, options: &mut Options) -> Result<InodeKind> {
        let order = options.number("order")?;
        let kind = match word {
            "file" => InodeKind::File,
            "shmem" => InodeKind::Shmem,
            "hugetlbfs" => {
                let order = order.unwrap_or(2);
                if !(1..=4).contains(&order) {
                    return Err("a hugetlbfs page order is between 1 and 4".into());
                }
                return Ok(InodeKind::Hugetlbfs {
                    order: order as u32,
                });
            }
            _ => {
                return Err(format!(
                    "`{word}` is not an inode kind (file, shmem, hugetlbfs)"
                ))
            }
        };
        if order.is_some() {
            return Err("only hugetlbfs inodes take an order".into());
        }
        Ok(kind)
    }

    fn size(options: &mut Options) -> Result<u64> {
        let size = options.number("size")?.ok_or("missing size=PAGES")?;
        if size > MAX_INODE_PAGES {
            return Err(format!("size {size} is more than {MAX_INODE_PAGES} pages"));
        }
        Ok(size)
    }

    /// `inode INDEX` (a cache page) or `mm ADDRESS` (a mapped page).
    fn page_spec(&self, words: &[&str], at: usize) -> Result<PageSpec> {
        let owner = arg(words, at, "an inode or mm name")?;
        let where_ = arg(words, at + 1, "a page index or address")?;
        if let Ok(inode) = self.inode(owner) {
            return Ok(PageSpec::Cache {
                inode,
                index: pages(where_, "index")?,
            });
        }
        let mm = self
            .mm(owner)
            .map_err(|_| format!("no inode or mm named `{owner}`"))?;
        Ok(PageSpec::User {
            mm,
            addr: number(where_)?,
        })
    }

    fn range(words: &[&str], at: usize) -> Result<Range> {
        let start = page_aligned(arg(words, at, "a start address")?, "start")?;
        let end = page_aligned(arg(words, at + 1, "an end address")?, "end")?;
        if start >= end {
            return Err(format!("the range {start:#x}-{end:#x} is empty"));
        }
        Ok(Range { start, end })
    }

    fn statement(&mut self, words: &[&str]) -> Result<()> {
        let s = &mut self.scenario;
        match words[0] {
            "mode" => {
                if std::mem::replace(&mut self.seen_mode, true) {
                    return Err("`mode` is given twice".into());
                }
                s.mode = match arg(words, 1, "strict or relaxed")? {
                    "strict" => Mode::Strict,
                    "relaxed" => Mode::Relaxed,
                    other => return Err(format!("`{other}` is not a mode (strict or relaxed)")),
                };
                Options::new(&words[2..]).done()
            }
            "era" => {
                if std::mem::replace(&mut self.seen_era, true) {
                    return Err("`era` is given twice".into());
                }
                let known = || {
                    Era::ALL
                        .iter()
                        .map(|e| e.keyword())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let word = arg(words, 1, "an era")?;
                s.era = Some(Era::from_keyword(word).ok_or_else(|| {
                    format!("`{word}` is not an era (one of {})", known())
                })?);
                Options::new(&words[2..]).done()
            }
            "retries" => {
                if std::mem::replace(&mut self.seen_retries, true) {
                    return Err("`retries` is given twice".into());
                }
                let word = arg(words, 1, "a number of yield points")?;
                let n: u32 = word
                    .parse()
                    .ok()
                    .filter(|n| (MIN_RETRIES..=MAX_RETRIES).contains(n))
                    .ok_or_else(|| {
                        format!("`{word}` is not a retry bound ({MIN_RETRIES} to {MAX_RETRIES})")
                    })?;
                s.retries = Some(n);
                Options::new(&words[2..]).done()
            }
            "mm" => {
                let name = self.new_name(arg(words, 1, "a name")?)?;
                Options::new(&words[2..]).done()?;
                self.scenario.mm_names.push(name.clone());
                self.scenario.world.push(WorldItem::Mm(name));
                Ok(())
            }
            "inode" => {
                let name = self.new_name(arg(words, 1, "a name")?)?;
                let mut options = Options::new(&words[3.min(words.len())..]);
                let kind = self.inode_kind(arg(words, 2, "a kind (file, shmem, hugetlbfs)")?, &mut options)?;
                let size = Self::size(&mut options)?;
                let refs = options.number("refs")?.unwrap_or(1);
                if !(1..=1000).contains(&refs) {
                    return Err("refs is between 1 and 1000".into());
                }
                options.done()?;
                self.scenario.inode_names.push(name.clone());
                self.scenario.world.push(WorldItem::Inode(InodeDecl {
                    name,
                    kind,
                    size,
                    refs: refs as i32,
                }));
                Ok(())
            }
            "page" => {
                let inode = self.inode(arg(words, 1, "an inode name")?)?;
                let index = pages(arg(words, 2, "an index")?, "index")?;
                let mut options = Options::new(&words[3.min(words.len())..]);
                let swapped = options.flag("swapped");
                let large = large_folio(&mut options)?;
                options.done()?;
                self.scenario.world.push(WorldItem::Page {
                    inode,
                    index,
                    swapped,
                    large,
                });
                Ok(())
            }
            "vma" => self.vma(words),
            "anon" => {
                let mm = self.mm(arg(words, 1, "an mm name")?)?;
                let addr = page_aligned(arg(words, 2, "an address")?, "address")?;
                let mut options = Options::new(&words[3.min(words.len())..]);
                let large = large_folio(&mut options)?;
                let zero = options.flag("zero");
                options.done()?;
                self.scenario.world.push(WorldItem::Anon {
                    mm,
                    addr,
                    large,
                    zero,
                });
                Ok(())
            }
            "fork" => {
                let parent = self.mm(arg(words, 1, "the parent mm")?)?;
                let child = self.mm(arg(words, 2, "the child mm")?)?;
                if parent == child {
                    return Err("an mm cannot fork into itself".into());
                }
                Options::new(&words[3.min(words.len())..]).done()?;
                self.scenario.world.push(WorldItem::Fork { parent, child });
                Ok(())
            }
            "nodes" => {
                if words.len() < 2 {
                    return Err("`nodes` lists the machine's possible nodes".into());
                }
                let nodes = node_list(&words[1..].join(","))?;
                self.scenario.world.push(WorldItem::Nodes(nodes));
                Ok(())
            }
            "word" => {
                let mm = self.mm(arg(words, 1, "an mm name")?)?;
                let addr = number(arg(words, 2, "an address")?)?;
                let value = word_value(arg(words, 3, "a value")?)?;
                Options::new(&words[4.min(words.len())..]).done()?;
                self.scenario
                    .world
                    .push(WorldItem::Word { mm, addr, value });
                Ok(())
            }
            "policy" => {
                let mm = self.mm(arg(words, 1, "an mm name")?)?;
                let Range { start, end } = Self::range(words, 2)?;
                let mut options = Options::new(&words[5.min(words.len())..]);
                let policy = policy(arg(words, 4, "a policy mode")?, &mut options)?;
                options.done()?;
                self.scenario.world.push(WorldItem::Policy {
                    mm,
                    start,
                    end,
                    policy,
                });
                Ok(())
            }
            "call" => {
                if self.scenario.calls.len() >= MAX_CALLS {
                    return Err(format!("more than {MAX_CALLS} calls"));
                }
                let mm = self.mm(arg(words, 1, "an mm name")?)?;
                let addr = number(arg(words, 2, "an address")?)?;
                let shared = sharing(arg(words, 3, "shared or private")?)?;
                let access = match arg(words, 4, "read or write")? {
                    "read" => Access::Read,
                    "write" => Access::Write,
                    other => return Err(format!("`{other}` is neither `read` nor `write`")),
                };
                let mut rest = &words[5.min(words.len())..];
                let mut by = None;
                if let Some(at) = rest.iter().position(|w| *w == "by") {
                    let name = rest
                        .get(at + 1)
                        .ok_or("`by` names the task event that makes the call")?;
                    by = Some(name.to_string());
                    rest = &rest[..at];
                    Options::new(&words[5 + at + 2..]).done()?;
                }
                let mut options = Options::new(rest);
                let numa = options.flag("numa");
                let mpol = options.flag("mpol");
                let node = options.number("node")?.unwrap_or(0);
                if node > u64::from(MAX_CALL_NODE) {
                    return Err(format!("a call's node is 0 to {MAX_CALL_NODE}"));
                }
                options.done()?;
                if let Some(name) = by {
                    self.calls_by
                        .push((self.scenario.calls.len(), name, self.line));
                }
                self.scenario.calls.push(Call {
                    mm,
                    addr,
                    shared,
                    access,
                    numa,
                    mpol,
                    node: node as u32,
                    by: None,
                });
                Ok(())
            }
            "event" => self.event_decl(words),
            "at" => {
                if self.scenario.schedule.len() >= MAX_SCHEDULE {
                    return Err(format!("more than {MAX_SCHEDULE} schedule entries"));
                }
                let (placement, used) = Placement::parse(&words[1..])?;
                let at = 1 + used;
                let event = self.event(arg(words, at, "an event name")?)?;
                let steps = match words.get(at + 1) {
                    None | Some(&"all") => Steps::All,
                    Some(n) => {
                        let n = number(n)?;
                        if !(1..=1000).contains(&n) {
                            return Err("a step count is between 1 and 1000".into());
                        }
                        Steps::Count(n as u32)
                    }
                };
                Options::new(&words[(at + 2).min(words.len())..]).done()?;
                self.scenario.schedule.push(Scheduled {
                    placement,
                    event,
                    steps,
                });
                self.schedule_lines.push(self.line);
                Ok(())
            }
            other => Err(format!(
                "unknown statement `{other}` (expected mode, era, nodes, mm, inode, page, vma, anon, fork, word, policy, call, event or at)"
            )),
        }
    }

    fn vma(&mut self, words: &[&str]) -> Result<()> {
        let mm = self.mm(arg(words, 1, "an mm name")?)?;
        let Range { start, end } = Self::range(words, 2)?;
        let kind = arg(
            words,
            4,
            "a backing (anon, file, shmem, hugetlbfs, special)",
        )?;
        let mut rest = 5;
        let backing = match kind {
            "anon" => VmaBacking::Anon { thp: false },
            "special" => VmaBacking::Special,
            "file" | "shmem" | "hugetlbfs" => {
                let inode = self.inode(arg(words, 5, "an inode name")?)?;
                rest = 6;
                let declared = match &self.scenario.world.iter().find_map(|w| match w {
                    WorldItem::Inode(d) if d.name == self.scenario.inode_names[inode] => {
                        Some(d.kind)
                    }
                    _ => None,
                }) {
                    Some(InodeKind::File) => "file",
                    Some(InodeKind::Shmem) => "shmem",
                    Some(InodeKind::Hugetlbfs { .. }) => "hugetlbfs",
                    None => "?",
                };
                if declared != kind {
                    return Err(format!("`{}` is a {declared} inode, not {kind}", words[5]));
                }
                VmaBacking::File(inode)
            }
            other => {
                return Err(format!(
                    "`{other}` is not a backing (anon, file, shmem, hugetlbfs, special)"
                ))
            }
        };
        let mut options = Options::new(&words[rest.min(words.len())..]);
        let thp = options.flag("thp");
        let pgoff = options.number("pgoff")?.unwrap_or(0);
        if pgoff > MAX_INODE_PAGES {
            return Err(format!(
                "pgoff {pgoff} is more than {MAX_INODE_PAGES} pages"
            ));
        }
        let positional: Vec<&str> = options.words.clone();
        let prot = prot(
            positional
                .first()
                .ok_or("missing a protection (rw, r or none)")?,
        )?;
        let shared = sharing(positional.get(1).ok_or("missing shared or private")?)?;
        Options::new(&positional[2..]).done()?;
        let backing = match backing {
            VmaBacking::Anon { .. } => VmaBacking::Anon { thp },
            other if thp => return Err(format!("`thp` applies to anon vmas only, not {other:?}")),
            other => other,
        };
        if pgoff != 0 && !matches!(backing, VmaBacking::File(_)) {
            return Err("pgoff applies to file, shmem and hugetlbfs vmas only".into());
        }
        self.scenario.world.push(WorldItem::Vma(VmaDecl {
            mm,
            start,
            end,
            backing,
            pgoff,
            prot,
            shared,
        }));
        Ok(())
    }

    /// `event NAME KIND ARGS`: the arguments as the kind's fields in
    /// [`EventKind::KINDS`] say, positional ones first, then `name=value`.
    fn event_decl(&mut self, words: &[&str]) -> Result<()> {
        if self.scenario.events.len() >= MAX_EVENTS {
            return Err(format!("more than {MAX_EVENTS} events"));
        }
        let name = self.new_name(arg(words, 1, "an event name")?)?;
        let keyword = arg(words, 2, "an event kind")?;
        let kind = EventKind::kind_named(keyword).ok_or_else(|| {
            let known: Vec<&str> = EventKind::KINDS.iter().map(|k| k.keyword).collect();
            format!("`{keyword}` is not an event kind ({})", known.join(", "))
        })?;
        let rest = &words[3.min(words.len())..];
        let positional: Vec<&str> = rest.iter().copied().filter(|w| !w.contains('=')).collect();
        let mut options = Options::new(
            &rest
                .iter()
                .copied()
                .filter(|w| w.contains('='))
                .collect::<Vec<_>>(),
        );
        let mut at = 0;
        let mut values = Vec::new();
        for field in EventKind::KINDS[kind].fields {
            let value = if field.keyed {
                let n = match (options.number(field.name)?, field.default) {
                    (Some(n), _) | (None, Some(n)) => n,
                    (None, None) => return Err(format!("missing {}=PAGES", field.name)),
                };
                pages(&n.to_string(), field.name)?;
                Value::Pages(n)
            } else {
                self.positional(field, &positional, &mut at, &mut options)?
            };
            values.push(value);
        }
        Options::new(&positional[at..]).done()?;
        options.done()?;
        let event = EventKind::from_values(kind, &values)
            .ok_or_else(|| format!("the arguments of `{keyword}` do not fit it"))?;
        event.check()?;
        if event.is_task() && self.scenario.events.iter().any(|e| e.kind.is_task()) {
            return Err(
                "the model has one second task: a scenario declares at most one `task` event"
                    .into(),
            );
        }
        self.scenario.events.push(EventDecl { name, kind: event });
        Ok(())
    }

    /// The positional argument `field` at `*at` of `words`, moving `*at`
    /// past it.
    fn positional(
        &self,
        field: &Field,
        words: &[&str],
        at: &mut usize,
        options: &mut Options,
    ) -> Result<Value> {
        let i = *at;
        let word = |what: &str| arg(words, i, what);
        let (value, used) = match field.kind {
            ArgKind::Inode => (Value::Inode(self.inode(word("an inode name")?)?), 1),
            ArgKind::Mm => (Value::Mm(self.mm(word("an mm name")?)?), 1),
            ArgKind::Pages => (Value::Pages(pages(word("a page index")?, field.name)?), 1),
            ArgKind::Addr => (Value::Addr(number(word("an address")?)?), 1),
            ArgKind::WordAddr => {
                let addr = number(word("an address")?)?;
                if addr % 4 != 0 {
                    return Err(format!("the word at {addr:#x} is not aligned"));
                }
                (Value::WordAddr(addr), 1)
            }
            ArgKind::Range => (Value::Range(Self::range(words, i)?), 2),
            ArgKind::Prot => (Value::Prot(prot(word("a protection")?)?), 1),
            ArgKind::Kind => (
                Value::Kind(self.inode_kind(word("an inode kind")?, options)?),
                1,
            ),
            ArgKind::Page => (Value::Page(self.page_spec(words, i)?), 2),
            ArgKind::Word => (Value::Word(word_value(word("a value")?)?), 1),
            ArgKind::Node => (Value::Node(node(word("a node")?)?), 1),
            ArgKind::Policy => (Value::Policy(policy(word("a policy mode")?, options)?), 1),
        };
        *at += used;
        Ok(value)
    }

    fn finish(mut self) -> std::result::Result<Scenario, ParseError> {
        for (call, name, line) in std::mem::take(&mut self.calls_by) {
            let task = self
                .event(&name)
                .ok()
                .filter(|&e| self.scenario.events[e].kind.is_task())
                .ok_or_else(|| ParseError {
                    line,
                    message: format!(
                        "`{name}` is not a task event (declare it with `event {name} task`)"
                    ),
                })?;
            self.scenario.calls[call].by = Some(task);
        }
        let calls = self.scenario.calls.len();
        if calls == 0 {
            return Err(ParseError {
                line: 0,
                message: "the scenario makes no call (add a `call MM ADDRESS shared|private read|write` line)".into(),
            });
        }
        for (entry, &line) in self.scenario.schedule.iter().zip(&self.schedule_lines) {
            if let Some(CallRef::Get(k) | CallRef::Put(k)) = entry.placement.call() {
                if k >= calls {
                    return Err(ParseError {
                        line,
                        message: format!(
                            "the scenario makes {calls} call(s); there is no call {}",
                            k + 1
                        ),
                    });
                }
            }
        }
        Ok(self.scenario)
    }
}
