//! The binary form of a scenario, for fuzzers. Every byte string decodes
//! to a scenario the model builds, small inputs to small scenarios; and
//! [`encode`] turns any scenario that builds into bytes that decode back to
//! exactly it, so seeds are written as text and crashes read as text.
//!
//! Layout: one header byte (bit 0: relaxed mode; bits 1-4: the era's code
//! in `src/era.rs`, 0 for the revision's), then statements until the input ends,
//! each a tag byte (modulo the number of statements) and its fields, in the
//! order of the text form's statements. Numbers are LEB128; references to
//! mms, inodes and events are a byte, modulo how many exist; names are a
//! length and characters from a fixed alphabet. An address in an mm (a
//! call's, an event's) is relative: a byte picks one of the mm's mappings
//! so far (modulo how many), then a number is the offset into it, in
//! futex words or pages, wrapped to its length; the byte 0xff (or an mm
//! with no mapping) gives an absolute address instead. So most inputs call
//! into memory that is mapped, and a fuzzer need not guess addresses. A
//! statement that needs an mm when there is none declares one first. A statement the world
//! cannot take (an overlapping vma, a full arena, a reference to nothing)
//! is dropped, so what decodes always builds. Bytes are read through
//! `arbitrary`'s `Unstructured`, which reads zeros past the end.

use arbitrary::Unstructured;

use super::{
    Access, Call, EventDecl, InodeDecl, Scenario, VmaBacking, VmaDecl, WorldItem, MAX_CALLS,
    MAX_CALL_NODE, MAX_EVENTS, MAX_INODE_PAGES, MAX_NAME, MAX_SCHEDULE, RESERVED_NAMES,
};
use crate::abi::MAX_NUMNODES;
use crate::events::{ArgKind, EventKind, PageSpec, Range, Value};
use crate::op::Op;
use crate::schedule::{CallRef, Label, Placement, Scheduled, Side, Steps, MAX_NTH};
use crate::world::build::Builder;
use crate::world::mempolicy::{Policy, PolicyMode};
use crate::world::{Era, InodeKind, Mode, Prot, WorldError, FOLIO_ORDERS, PAGE_SIZE};

const TAG_MM: u8 = 0;
const TAG_INODE: u8 = 1;
const TAG_PAGE: u8 = 2;
const TAG_VMA: u8 = 3;
const TAG_ANON: u8 = 4;
const TAG_FORK: u8 = 5;
const TAG_CALL: u8 = 6;
const TAG_EVENT: u8 = 7;
const TAG_AT: u8 = 8;
const TAG_AT_LABEL: u8 = 9;
const TAG_NODES: u8 = 10;
const TAG_WORD: u8 = 11;
const TAG_POLICY: u8 = 12;
const TAGS: u8 = 13;

/// A call's flags: bit 0 shared, bit 1 write, then FUTEX2_NUMA and
/// FUTEX2_MPOL, whether the second task makes it (the scenario's `task`
/// event, which may be declared after the call), and the call's node in
/// the top three bits.
const CALL_NUMA: u8 = 1 << 2;
const CALL_MPOL: u8 = 1 << 3;
const CALL_BY_TASK: u8 = 1 << 4;
const CALL_NODE_SHIFT: u8 = 5;

/// The address selector that reads an absolute address.
const ABSOLUTE: u8 = 0xff;
/// Offsets into a mapping count futex words for a call's address.
const WORD: u64 = 4;

/// The characters of a marked read's expression in a label.
const EXPR: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_->.[]*&()";
/// The longest expression a label's binary form carries.
const MAX_EXPR: u64 = 63;

/// First characters of a name, then the rest (the parser's name rules).
const FIRST: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
const REST: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789-";

/// Reads the binary form. Never fails.
pub fn decode(data: &[u8]) -> Scenario {
    let mut d = Decoder::new(data);
    while !d.u.is_empty() {
        d.statement();
    }
    d.finish()
}

struct Decoder<'a> {
    u: Unstructured<'a>,
    scenario: Scenario,
    builder: Builder,
    /// Names handed out by default, to keep generated names unique.
    generated: usize,
    /// Calls made by the second task, whose `task` event may come later.
    by_task: Vec<usize>,
}

impl<'a> Decoder<'a> {
    fn new(data: &'a [u8]) -> Decoder<'a> {
        let mut u = Unstructured::new(data);
        let header = byte(&mut u);
        let mode = if header & 1 == 1 {
            Mode::Relaxed
        } else {
            Mode::Strict
        };
        // Bits 1-4: 0 for the default era, else the era's code.
        let era = Era::from_code((header >> 1) & 15);
        let scenario = Scenario {
            mode,
            era,
            ..Scenario::default()
        };
        Decoder {
            u,
            builder: Builder::new(mode, era.unwrap_or(Era::NEWEST)),
            scenario,
            generated: 0,
            by_task: Vec::new(),
        }
    }

    fn byte(&mut self) -> u8 {
        byte(&mut self.u)
    }

    fn number(&mut self) -> u64 {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte();
            if shift < 64 {
                value |= u64::from(b & 0x7f) << shift;
            }
            if b & 0x80 == 0 {
                break;
            }
        }
        value
    }

    fn pages(&mut self) -> u64 {
        self.number() % (MAX_INODE_PAGES + 1)
    }

    /// An address in the scenario's mm `mm`: in steps of `unit` bytes
    /// when relative to one of its mappings, in `absolute_unit`s when
    /// absolute (see the module's doc).
    fn address(&mut self, mm: usize, unit: u64, absolute_unit: u64) -> Option<u64> {
        let selector = self.byte();
        let vmas = self.builder.world.vmas(self.builder.objects.mms[mm]);
        if selector == ABSOLUTE || vmas.is_empty() {
            return self.number().checked_mul(absolute_unit);
        }
        let vma = vmas[usize::from(selector) % vmas.len()];
        let pages = (vma.end - vma.start) / PAGE_SIZE;
        Some(vma.start + offset_of_step(self.number(), pages, unit))
    }

    fn taken(&self, name: &str) -> bool {
        self.scenario.name_taken(name) || RESERVED_NAMES.contains(&name)
    }

    /// A name: as written when it is new, else a generated one.
    fn name(&mut self, prefix: &str) -> String {
        let len = (self.number() % (MAX_NAME as u64 + 1)) as usize;
        let mut name = String::new();
        for i in 0..len {
            let alphabet = if i == 0 { FIRST } else { REST };
            name.push(alphabet[self.byte() as usize % alphabet.len()] as char);
        }
        if name.is_empty() || self.taken(&name) {
            name = self.generated_name(prefix);
        }
        name
    }

    /// A new name, `prefix` and a number, read from no byte.
    fn generated_name(&mut self, prefix: &str) -> String {
        loop {
            self.generated += 1;
            let name = format!("{prefix}{}", self.generated);
            if !self.taken(&name) {
                return name;
            }
        }
    }

    fn pick(&mut self, count: usize) -> Option<usize> {
        let b = self.byte() as usize;
        (count > 0).then(|| b % count)
    }

    /// An mm; when there is none yet, one is declared first (with a
    /// generated name and no bytes read), so no statement is lost for want
    /// of one.
    fn mm(&mut self) -> Option<usize> {
        if self.scenario.mm_names.is_empty() {
            let name = self.generated_name("m");
            self.world(WorldItem::Mm(name));
        }
        self.pick(self.scenario.mm_names.len())
    }

    fn inode(&mut self) -> Option<usize> {
        self.pick(self.scenario.inode_names.len())
    }

    fn prot(&mut self) -> Prot {
        Prot::ALL[self.byte() as usize % Prot::ALL.len()]
    }

    fn inode_kind(&mut self) -> InodeKind {
        match self.byte() % 3 {
            0 => InodeKind::File,
            1 => InodeKind::Shmem,
            _ => InodeKind::Hugetlbfs {
                order: 1 + u32::from(self.byte() % 4),
            },
        }
    }

    fn statement(&mut self) {
        match self.byte() % TAGS {
            TAG_MM => {
                let name = self.name("m");
                self.world(WorldItem::Mm(name));
            }
            TAG_INODE => {
                let name = self.name("i");
                let kind = self.inode_kind();
                let size = self.pages();
                let refs = (self.number() % 1000) as i32 + 1;
                self.world(WorldItem::Inode(InodeDecl {
                    name,
                    kind,
                    size,
                    refs,
                }));
            }
            TAG_PAGE => {
                let Some(inode) = self.inode() else { return };
                let index = self.pages();
                let flags = self.byte();
                let large = (flags & 2 == 2).then(|| folio_order(flags));
                // A large folio starts at an index its size divides.
                let index = match large {
                    Some(order) => index & !((1 << order) - 1),
                    None => index,
                };
                self.world(WorldItem::Page {
                    inode,
                    index,
                    swapped: flags & 1 == 1,
                    large,
                });
            }
            TAG_VMA => self.vma(),
            TAG_ANON => {
                let Some(mm) = self.mm() else { return };
                let Some(addr) = self.address(mm, PAGE_SIZE, PAGE_SIZE) else {
                    return;
                };
                let flags = self.byte();
                self.world(WorldItem::Anon {
                    mm,
                    addr,
                    large: (flags & 1 == 1).then(|| folio_order(flags)),
                    zero: flags & 2 == 2,
                });
            }
            TAG_FORK => {
                let (Some(parent), Some(child)) = (self.mm(), self.mm()) else {
                    return;
                };
                if parent != child {
                    self.world(WorldItem::Fork { parent, child });
                }
            }
            TAG_CALL => {
                let Some(mm) = self.mm() else { return };
                let Some(addr) = self.address(mm, WORD, 1) else {
                    return;
                };
                let flags = self.byte();
                // The futex2 flags only where the era has them.
                let numa_era = self.builder.world.era.rules().key.node;
                let node = u32::from(flags >> CALL_NODE_SHIFT);
                if self.scenario.calls.len() < MAX_CALLS {
                    if flags & CALL_BY_TASK != 0 {
                        self.by_task.push(self.scenario.calls.len());
                    }
                    self.scenario.calls.push(Call {
                        mm,
                        addr,
                        shared: flags & 1 == 1,
                        access: if flags & 2 == 2 {
                            Access::Write
                        } else {
                            Access::Read
                        },
                        numa: numa_era && flags & CALL_NUMA != 0,
                        mpol: numa_era && flags & CALL_MPOL != 0,
                        node,
                        by: None,
                    });
                }
            }
            TAG_EVENT => self.event(),
            TAG_AT => {
                let at = (self.number() % u64::from(u32::MAX)) as u32 + 1;
                self.schedule_entry(Placement::Yield(at));
            }
            TAG_NODES => {
                // A machine a call can run on: with a node calls can name.
                let nodes = self.number();
                if nodes & ((2 << MAX_CALL_NODE) - 1) != 0 {
                    self.world(WorldItem::Nodes(nodes));
                }
            }
            TAG_WORD => {
                let Some(mm) = self.mm() else { return };
                let Some(addr) = self.address(mm, WORD, WORD) else {
                    return;
                };
                let value = self.number() as u32;
                self.world(WorldItem::Word { mm, addr, value });
            }
            TAG_POLICY => {
                let Some(mm) = self.mm() else { return };
                let Some(Range { start, end }) = self.range(mm) else {
                    return;
                };
                let Some(policy) = self.policy() else { return };
                self.world(WorldItem::Policy {
                    mm,
                    start,
                    end,
                    policy,
                });
            }
            _ => {
                let placement = self.relative_placement();
                self.schedule_entry(placement);
            }
        }
    }

    /// The event and steps of a schedule entry at `placement`.
    fn schedule_entry(&mut self, placement: Placement) {
        let Some(event) = self.pick(self.scenario.events.len()) else {
            return;
        };
        let steps = match self.number() {
            0 => Steps::All,
            n => Steps::Count(((n - 1) % 1000) as u32 + 1),
        };
        if self.scenario.schedule.len() < MAX_SCHEDULE {
            self.scenario.schedule.push(Scheduled {
                placement,
                event,
                steps,
            });
        }
    }

    /// A placement by call (one of those made so far, the first when there
    /// is none yet) and label: a byte for get or put and the side, a byte
    /// for the call, then the label and its ordinal.
    fn relative_placement(&mut self) -> Placement {
        let flags = self.byte();
        let calls = self.scenario.calls.len().max(1);
        let k = usize::from(self.byte()) % calls;
        let call = if flags & 1 == 0 {
            CallRef::Get(k)
        } else {
            CallRef::Put(k)
        };
        let side = match (flags >> 1) % 3 {
            0 => return Placement::Start(call),
            1 => Side::Before,
            _ => Side::After,
        };
        let op = Op::ALL[usize::from(self.byte()) % Op::ALL.len()];
        let expr = if op == Op::ReadOnce {
            let len = self.number() % (MAX_EXPR + 1);
            let expr: String = (0..len)
                .map(|_| EXPR[usize::from(self.byte()) % EXPR.len()] as char)
                .collect();
            (!expr.is_empty()).then_some(expr)
        } else {
            None
        };
        let nth = (self.number() % u64::from(MAX_NTH)) as u32 + 1;
        Placement::Label {
            call,
            side,
            label: Label { op, expr },
            nth,
        }
    }

    /// A vma. Its start, length and offset count pages of its backing:
    /// huge pages for a hugetlbfs file, so any numbers give the alignment
    /// hugetlbfs needs.
    fn vma(&mut self) {
        let Some(mm) = self.mm() else { return };
        let (start, length) = (self.number(), self.number());
        let backing = match self.byte() % 4 {
            0 => VmaBacking::Anon { thp: false },
            1 => VmaBacking::Anon { thp: true },
            2 => match self.inode() {
                Some(inode) => VmaBacking::File(inode),
                None => return,
            },
            _ => VmaBacking::Special,
        };
        let per = match backing {
            VmaBacking::File(inode) => base_pages_per_page(
                self.builder
                    .world
                    .inode_kind(self.builder.objects.inodes[inode]),
            ),
            _ => 1,
        };
        let pgoff = self.number() % (MAX_INODE_PAGES / per + 1) * per;
        let prot = self.prot();
        let shared = self.byte() & 1 == 1;
        let pgoff = if matches!(backing, VmaBacking::File(_)) {
            pgoff
        } else {
            0
        };
        let unit = per * PAGE_SIZE;
        let Some((start, end)) = start.checked_mul(unit).and_then(|start| {
            let end = length
                .checked_add(1)?
                .checked_mul(unit)?
                .checked_add(start)?;
            Some((start, end))
        }) else {
            return;
        };
        self.world(WorldItem::Vma(VmaDecl {
            mm,
            start,
            end,
            backing,
            pgoff,
            prot,
            shared,
        }));
    }

    fn page_spec(&mut self) -> Option<PageSpec> {
        if self.byte() & 1 == 0 {
            let inode = self.inode()?;
            Some(PageSpec::Cache {
                inode,
                index: self.pages(),
            })
        } else {
            let mm = self.mm()?;
            Some(PageSpec::User {
                mm,
                addr: self.address(mm, PAGE_SIZE, 1)?,
            })
        }
    }

    /// A policy: a mode, its nodes and its home (0 for none, else the
    /// node plus one); `None` when they do not make a policy.
    fn policy(&mut self) -> Option<Policy> {
        let mode = PolicyMode::ALL[usize::from(self.byte()) % PolicyMode::ALL.len()];
        let nodes = self.number();
        let home = match self.byte() {
            0 => None,
            b => Some(u32::from(b - 1) % MAX_NUMNODES),
        };
        let policy = Policy { mode, nodes, home };
        policy.check().is_ok().then_some(policy)
    }

    fn range(&mut self, mm: usize) -> Option<Range> {
        let start = self.address(mm, PAGE_SIZE, PAGE_SIZE)?;
        let len = self.number().checked_add(1)?.checked_mul(PAGE_SIZE)?;
        Some(Range {
            start,
            end: start.checked_add(len)?,
        })
    }

    /// An event: a name, a kind (its index in [`EventKind::KINDS`]), then
    /// its fields in order. An address or range is relative to the mm the
    /// event named before it.
    fn event(&mut self) {
        let name = self.name("e");
        let kind = usize::from(self.byte()) % EventKind::KINDS.len();
        let mut values = Vec::new();
        let mut mm = None;
        for field in EventKind::KINDS[kind].fields {
            let value = match field.kind {
                ArgKind::Inode => self.inode().map(Value::Inode),
                ArgKind::Mm => {
                    mm = self.mm();
                    mm.map(Value::Mm)
                }
                ArgKind::Pages => Some(Value::Pages(self.pages())),
                ArgKind::Addr => mm.and_then(|mm| self.address(mm, PAGE_SIZE, 1).map(Value::Addr)),
                ArgKind::WordAddr => {
                    mm.and_then(|mm| self.address(mm, WORD, WORD).map(Value::WordAddr))
                }
                ArgKind::Range => mm.and_then(|mm| self.range(mm).map(Value::Range)),
                ArgKind::Prot => Some(Value::Prot(self.prot())),
                ArgKind::Kind => Some(Value::Kind(self.inode_kind())),
                ArgKind::Page => self.page_spec().map(Value::Page),
                ArgKind::Word => Some(Value::Word(self.number() as u32)),
                ArgKind::Node => Some(Value::Node(u32::from(self.byte()) % MAX_NUMNODES)),
                ArgKind::Policy => self.policy().map(Value::Policy),
            };
            let Some(value) = value else { return };
            values.push(value);
        }
        let Some(event) = EventKind::from_values(kind, &values) else {
            return;
        };
        // The model has one second task.
        let second_task = event.is_task() && self.scenario.events.iter().any(|e| e.kind.is_task());
        if event.check().is_ok() && !second_task && self.scenario.events.len() < MAX_EVENTS {
            self.scenario.events.push(EventDecl { name, kind: event });
        }
    }

    /// Keeps a world item when the world takes it.
    fn world(&mut self, item: WorldItem) {
        let fits = match self.builder.apply(&item) {
            Ok(()) => true,
            Err(_) => {
                // The failed item may have left a trace; start again from
                // the items kept so far.
                self.rebuild();
                false
            }
        };
        if fits {
            match &item {
                WorldItem::Mm(name) => self.scenario.mm_names.push(name.clone()),
                WorldItem::Inode(d) => self.scenario.inode_names.push(d.name.clone()),
                _ => {}
            }
            self.scenario.world.push(item);
        }
    }

    fn rebuild(&mut self) {
        let era = self.scenario.era.unwrap_or(Era::NEWEST);
        self.builder = Builder::new(self.scenario.mode, era);
        for item in &self.scenario.world {
            let applied = self.builder.apply(item);
            debug_assert!(applied.is_ok(), "items kept once apply again");
        }
    }

    /// A scenario makes at least one call: without one, a private futex
    /// call (which needs an mm) is added. Calls marked as the second
    /// task's are its, when the scenario has a `task` event.
    fn finish(mut self) -> Scenario {
        let task = self.scenario.events.iter().position(|e| e.kind.is_task());
        for &call in &self.by_task {
            self.scenario.calls[call].by = task;
        }
        if self.scenario.calls.is_empty() {
            if self.scenario.mm_names.is_empty() {
                let name = self.generated_name("m");
                self.world(WorldItem::Mm(name));
            }
            self.scenario.calls.push(Call {
                mm: 0,
                addr: 0,
                shared: false,
                access: Access::Read,
                numa: false,
                mpol: false,
                node: 0,
                by: None,
            });
        }
        // A call runs on a node the machine has: the lowest one for any other.
        let world = &self.builder.world;
        let lowest = (0..=MAX_CALL_NODE)
            .find(|&n| world.node_possible(i64::from(n)))
            .unwrap_or(0);
        for call in &mut self.scenario.calls {
            if !world.node_possible(i64::from(call.node)) {
                call.node = lowest;
            }
        }
        self.scenario
    }
}

/// Base pages in one page of a file of `kind`: a huge page's for hugetlbfs.
fn base_pages_per_page(kind: InodeKind) -> u64 {
    match kind {
        InodeKind::Hugetlbfs { order } => 1 << order,
        _ => 1,
    }
}

/// Where step `n` of a relative address lies in a mapping of `pages`
/// pages, in `unit`s: small steps visit the same place in each page in
/// turn (so one byte reaches every page of a small mapping), then the next
/// place.
fn offset_of_step(n: u64, pages: u64, unit: u64) -> u64 {
    let pages = pages.max(1);
    let n = n % (pages * (PAGE_SIZE / unit));
    n % pages * PAGE_SIZE + n / pages * unit
}

/// The step [`offset_of_step`] maps to `offset` (a multiple of `unit`).
fn step_of_offset(offset: u64, pages: u64, unit: u64) -> u64 {
    offset % PAGE_SIZE / unit * pages.max(1) + offset / PAGE_SIZE
}

fn byte(u: &mut Unstructured) -> u8 {
    u.arbitrary::<u8>().unwrap_or(0)
}

/// Why a scenario has no binary form.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("the model cannot build this world: {0}")]
    World(#[from] WorldError),
    #[error("{0}")]
    Unrepresentable(String),
}

/// Writes the binary form of `scenario`; `decode` of the result is
/// `scenario` again. Fails for a scenario whose world does not build.
pub fn encode(scenario: &Scenario) -> Result<Vec<u8>, EncodeError> {
    // The world is built item by item beside the bytes, so that an address
    // is relative to the mappings the decoder will have seen; an item the
    // world refuses ends the encoding.
    if scenario.retries.is_some() {
        return Err(EncodeError::Unrepresentable(
            "`retries` has no binary form: fuzzing keeps the model's retry bound".into(),
        ));
    }
    let mut e = Encoder {
        out: Vec::new(),
        world: Builder::new(scenario.mode, scenario.era.unwrap_or(Era::NEWEST)),
    };
    let era = scenario.era.map_or(0, |era| era.rules().code);
    e.out
        .push(u8::from(scenario.mode == Mode::Relaxed) | (era << 1));
    for item in &scenario.world {
        e.world_item(item)?;
        e.world.apply(item)?;
    }
    for call in &scenario.calls {
        e.out.extend([TAG_CALL, call.mm as u8]);
        e.address(call.mm, call.addr, WORD, 1);
        e.out.push(
            u8::from(call.shared)
                | (u8::from(call.access == Access::Write) << 1)
                | if call.numa { CALL_NUMA } else { 0 }
                | if call.mpol { CALL_MPOL } else { 0 }
                | if call.by.is_some() { CALL_BY_TASK } else { 0 }
                | (call.node as u8) << CALL_NODE_SHIFT,
        );
    }
    for event in &scenario.events {
        e.out.push(TAG_EVENT);
        e.name(&event.name)?;
        e.event(&event.kind);
    }
    for s in &scenario.schedule {
        e.placement(&s.placement)?;
        e.out.push(s.event as u8);
        e.number(match s.steps {
            Steps::All => 0,
            Steps::Count(n) => u64::from(n),
        });
    }
    Ok(e.out)
}

struct Encoder {
    out: Vec<u8>,
    /// The world as the decoder will have built it at this point.
    world: Builder,
}

impl Encoder {
    /// The tag and fields of a schedule entry's placement.
    fn placement(&mut self, placement: &Placement) -> Result<(), EncodeError> {
        let (call, side, label, nth) = match placement {
            Placement::Yield(at) => {
                self.out.push(TAG_AT);
                self.number(u64::from(*at) - 1);
                return Ok(());
            }
            Placement::Start(call) => (call, 0, None, 1),
            Placement::Label {
                call,
                side,
                label,
                nth,
            } => (call, 1 + u8::from(*side == Side::After), Some(label), *nth),
        };
        let (put, k) = match *call {
            CallRef::Get(k) => (0, k),
            CallRef::Put(k) => (1, k),
        };
        self.out.extend([TAG_AT_LABEL, put | (side << 1), k as u8]);
        let Some(label) = label else { return Ok(()) };
        let op = Op::ALL
            .iter()
            .position(|&o| o == label.op)
            .expect("a known op");
        self.out.push(op as u8);
        if label.op == Op::ReadOnce {
            let expr = label.expr.as_deref().unwrap_or("");
            if expr.len() as u64 > MAX_EXPR {
                return Err(EncodeError::Unrepresentable(format!("the label {label}")));
            }
            self.number(expr.len() as u64);
            for c in expr.bytes() {
                let at = EXPR
                    .iter()
                    .position(|&a| a == c)
                    .ok_or_else(|| EncodeError::Unrepresentable(format!("the label {label}")))?;
                self.out.push(at as u8);
            }
        }
        self.number(u64::from(nth) - 1);
        Ok(())
    }

    /// One world item's statement, relative to the world built so far.
    fn world_item(&mut self, item: &WorldItem) -> Result<(), EncodeError> {
        let e = self;
        match item {
            WorldItem::Mm(name) => {
                e.out.push(TAG_MM);
                e.name(name)?;
            }
            WorldItem::Inode(d) => {
                e.out.push(TAG_INODE);
                e.name(&d.name)?;
                e.inode_kind(d.kind);
                e.number(d.size);
                e.number(d.refs as u64 - 1);
            }
            WorldItem::Page {
                inode,
                index,
                swapped,
                large,
            } => {
                e.out.extend([TAG_PAGE, *inode as u8]);
                e.number(*index);
                e.out
                    .push(u8::from(*swapped) | u8::from(large.is_some()) << 1 | order_bits(*large));
            }
            WorldItem::Vma(v) => {
                let per = match v.backing {
                    VmaBacking::File(inode) => {
                        base_pages_per_page(e.world.world.inode_kind(e.world.objects.inodes[inode]))
                    }
                    _ => 1,
                };
                let unit = per * PAGE_SIZE;
                e.out.extend([TAG_VMA, v.mm as u8]);
                e.number(v.start / unit);
                e.number((v.end - v.start) / unit - 1);
                match v.backing {
                    VmaBacking::Anon { thp } => e.out.push(u8::from(thp)),
                    VmaBacking::File(inode) => e.out.extend([2, inode as u8]),
                    VmaBacking::Special => e.out.push(3),
                }
                e.number(v.pgoff / per);
                e.prot(v.prot);
                e.out.push(u8::from(v.shared));
            }
            WorldItem::Anon {
                mm,
                addr,
                large,
                zero,
            } => {
                e.out.extend([TAG_ANON, *mm as u8]);
                e.address(*mm, *addr, PAGE_SIZE, PAGE_SIZE);
                e.out
                    .push(u8::from(large.is_some()) | (u8::from(*zero) << 1) | order_bits(*large));
            }
            WorldItem::Fork { parent, child } => {
                e.out.extend([TAG_FORK, *parent as u8, *child as u8])
            }
            WorldItem::Nodes(nodes) => {
                e.out.push(TAG_NODES);
                e.number(*nodes);
            }
            WorldItem::Word { mm, addr, value } => {
                e.out.extend([TAG_WORD, *mm as u8]);
                e.address(*mm, *addr, WORD, WORD);
                e.number(u64::from(*value));
            }
            WorldItem::Policy {
                mm,
                start,
                end,
                policy,
            } => {
                e.out.extend([TAG_POLICY, *mm as u8]);
                e.address(*mm, *start, PAGE_SIZE, PAGE_SIZE);
                e.number((end - start) / PAGE_SIZE - 1);
                e.policy(policy);
            }
        }
        Ok(())
    }

    /// The decoder's `policy`.
    fn policy(&mut self, policy: &Policy) {
        let mode = PolicyMode::ALL.iter().position(|&m| m == policy.mode);
        self.out
            .push(mode.expect("every mode is in PolicyMode::ALL") as u8);
        self.number(policy.nodes);
        self.out.push(policy.home.map_or(0, |h| h as u8 + 1));
    }

    /// The decoder's `address`: relative to the first mapping of `mm` that
    /// holds `addr` at a whole number of `unit`s from its start, else
    /// absolute (in `absolute_unit`s, which divide it: the text form's
    /// rules).
    fn address(&mut self, mm: usize, addr: u64, unit: u64, absolute_unit: u64) {
        let vmas = self.world.world.vmas(self.world.objects.mms[mm]);
        let relative = vmas
            .iter()
            .position(|v| v.contains(addr) && (addr - v.start) % unit == 0)
            .filter(|&i| i < usize::from(ABSOLUTE));
        match relative {
            Some(i) => {
                let pages = (vmas[i].end - vmas[i].start) / PAGE_SIZE;
                let step = step_of_offset(addr - vmas[i].start, pages, unit);
                self.out.push(i as u8);
                self.number(step);
            }
            None => {
                self.out.push(ABSOLUTE);
                self.number(addr / absolute_unit);
            }
        }
    }

    fn number(&mut self, mut value: u64) {
        loop {
            let b = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.out.push(b);
                return;
            }
            self.out.push(b | 0x80);
        }
    }

    fn name(&mut self, name: &str) -> Result<(), EncodeError> {
        self.number(name.len() as u64);
        for (i, c) in name.bytes().enumerate() {
            let alphabet = if i == 0 { FIRST } else { REST };
            let at = alphabet
                .iter()
                .position(|&a| a == c)
                .ok_or_else(|| EncodeError::Unrepresentable(format!("the name `{name}`")))?;
            self.out.push(at as u8);
        }
        Ok(())
    }

    fn prot(&mut self, prot: Prot) {
        let at = Prot::ALL.iter().position(|&p| p == prot);
        self.out
            .push(at.expect("every protection is in Prot::ALL") as u8);
    }

    fn inode_kind(&mut self, kind: InodeKind) {
        match kind {
            InodeKind::File => self.out.push(0),
            InodeKind::Shmem => self.out.push(1),
            InodeKind::Hugetlbfs { order } => self.out.extend([2, (order - 1) as u8]),
        }
    }

    fn page_spec(&mut self, page: &PageSpec) {
        match *page {
            PageSpec::Cache { inode, index } => {
                self.out.extend([0, inode as u8]);
                self.number(index);
            }
            PageSpec::User { mm, addr } => {
                self.out.extend([1, mm as u8]);
                self.address(mm, addr, PAGE_SIZE, 1);
            }
        }
    }

    /// The decoder's `event`, after the name.
    fn event(&mut self, event: &EventKind) {
        self.out.push(event.kind_index() as u8);
        let mut mm = 0;
        for value in event.values() {
            match value {
                Value::Inode(i) => self.out.push(i as u8),
                Value::Mm(m) => {
                    mm = m;
                    self.out.push(m as u8);
                }
                Value::Pages(n) => self.number(n),
                Value::Addr(addr) => self.address(mm, addr, PAGE_SIZE, 1),
                Value::WordAddr(addr) => self.address(mm, addr, WORD, WORD),
                Value::Range(Range { start, end }) => {
                    self.address(mm, start, PAGE_SIZE, PAGE_SIZE);
                    self.number((end - start) / PAGE_SIZE - 1);
                }
                Value::Prot(prot) => self.prot(prot),
                Value::Kind(kind) => self.inode_kind(kind),
                Value::Page(page) => self.page_spec(&page),
                Value::Word(value) => self.number(u64::from(value)),
                Value::Node(node) => self.out.push(node as u8),
                Value::Policy(policy) => self.policy(&policy),
            }
        }
    }
}

/// A large folio's order from bits 2-4 of a page or anon flags byte:
/// its offset from the smallest order, so that an input written before
/// folios had orders (those bits clear) keeps the model's THP.
fn folio_order(flags: u8) -> u32 {
    let span = FOLIO_ORDERS.end() - FOLIO_ORDERS.start() + 1;
    FOLIO_ORDERS.start() + u32::from(flags >> 2 & 7) % span
}

/// The flags bits [`folio_order`] reads back as `large`'s order.
fn order_bits(large: Option<u32>) -> u8 {
    large.map_or(0, |order| ((order - FOLIO_ORDERS.start()) as u8) << 2)
}
