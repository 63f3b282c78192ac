//! The one definition of every event kind: its keyword, its arguments and
//! what it means. The scenario parser, the text printer and the binary
//! codec all read the table this generates ([`EventKind::KINDS`]); what an
//! event does is in `steps`. Adding an event kind is a line here and its
//! steps there.

use super::args::{ArgKind, Field, PageSpec, Range, Value};
use crate::world::mempolicy::Policy;
use crate::world::{InodeKind, Prot};

/// One event kind as the input forms know it.
#[derive(Debug)]
pub struct KindDesc {
    pub keyword: &'static str,
    /// Positional arguments first, then `name=value` options.
    pub fields: &'static [Field],
}

/// The Rust type that holds an argument of each kind.
macro_rules! arg_type {
    (Inode) => {
        usize
    };
    (Mm) => {
        usize
    };
    (Pages) => {
        u64
    };
    (Addr) => {
        u64
    };
    (WordAddr) => {
        u64
    };
    (Range) => {
        Range
    };
    (Prot) => {
        Prot
    };
    (Kind) => {
        InodeKind
    };
    (Page) => {
        PageSpec
    };
    (Word) => {
        u32
    };
    (Policy) => {
        Policy
    };
    (Node) => {
        u32
    };
}

macro_rules! event_kinds {
    ($(
        $(#[$doc:meta])*
        $variant:ident $keyword:literal
            ( $($pos:ident : $pkind:ident),* )
            [ $($opt:ident : $okind:ident $(= $default:literal)?),* ]
    ),* $(,)?) => {
        /// A concurrent mm event, with the scenario's objects by index.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $(
                $(#[$doc])*
                $variant { $($pos: arg_type!($pkind),)* $($opt: arg_type!($okind),)* },
            )*
        }

        impl EventKind {
            /// Every kind, in a fixed order (the binary form numbers kinds
            /// by it).
            pub const KINDS: &'static [KindDesc] = &[$(
                KindDesc {
                    keyword: $keyword,
                    fields: &[
                        $(Field { name: stringify!($pos), kind: ArgKind::$pkind, keyed: false, default: None },)*
                        $(Field {
                            name: stringify!($opt),
                            kind: ArgKind::$okind,
                            keyed: true,
                            default: event_kinds!(@default $($default)?),
                        },)*
                    ],
                },
            )*];

            /// The index of this event's kind in [`EventKind::KINDS`].
            pub fn kind_index(&self) -> usize {
                let mut i = 0;
                $(
                    #[allow(unused_variables)]
                    if let EventKind::$variant { .. } = self {
                        return i;
                    }
                    i += 1;
                )*
                unreachable!("every variant is in the table ({i})")
            }

            /// The arguments, in the order of the kind's fields.
            pub fn values(&self) -> Vec<Value> {
                match self {
                    $(
                        EventKind::$variant { $($pos,)* $($opt,)* } => vec![
                            $(Value::$pkind(*$pos),)* $(Value::$okind(*$opt),)*
                        ],
                    )*
                }
            }

            /// The event of kind `kind` (an index into [`EventKind::KINDS`])
            /// with these arguments, when they fit its fields.
            pub fn from_values(kind: usize, values: &[Value]) -> Option<EventKind> {
                let mut i = 0;
                $(
                    if kind == i {
                        #[allow(unused_mut, unused_variables)]
                        let mut values = values.iter();
                        let event = EventKind::$variant {
                            $($pos: match values.next()? { Value::$pkind(v) => *v, _ => return None },)*
                            $($opt: match values.next()? { Value::$okind(v) => *v, _ => return None },)*
                        };
                        return values.next().is_none().then_some(event);
                    }
                    i += 1;
                )*
                let _ = i;
                None
            }
        }
    };
    (@default) => { None };
    (@default $d:literal) => { Some($d) };
}

event_kinds! {
    /// `truncate()` to `to` pages: pages from there on leave the cache.
    Truncate "truncate" (inode: Inode) [to: Pages],
    /// `fallocate(PUNCH_HOLE)` over `[from, from + len)`; the size stays.
    Punch "punch" (inode: Inode) [from: Pages, len: Pages = 1],
    /// `invalidate_inode_pages2()`: every cached page leaves.
    Invalidate "invalidate" (inode: Inode) [],
    /// shmem reclaim: the page at `index` moves to the swap cache.
    SwapOut "swapout" (inode: Inode, index: Pages) [],
    /// Another task faults the swapped shmem page at `index` back in.
    SwapIn "swapin" (inode: Inode, index: Pages) [],
    /// Page migration (compaction, NUMA balancing) of one page.
    Migrate "migrate" (page: Page) [],
    /// `split_huge_page()` of the THP (anonymous or in a page cache) mapped
    /// at `addr`.
    Split "split" (mm: Mm, addr: Addr) [],
    /// `munmap()` of a range.
    Munmap "munmap" (mm: Mm, range: Range) [],
    /// `mprotect()` of a range.
    Mprotect "mprotect" (mm: Mm, range: Range, prot: Prot) [],
    /// The holder of one inode reference lets go (close, dput); the last
    /// reference evicts the inode and frees it after a grace period.
    Iput "iput" (inode: Inode) [],
    /// A new inode of `kind` and `size` pages is allocated at the address
    /// of the freed `inode`.
    Reuse "reuse" (inode: Inode, kind: Kind) [size: Pages],
    /// `fork()`: `child`, an empty mm, becomes a copy of `parent`.
    Fork "fork" (parent: Mm, child: Mm) [],
    /// Another thread of `mm` writes at `addr` (a COW break).
    Cow "cow" (mm: Mm, addr: Addr) [],
    /// Another thread takes the page lock and holds it until its next step.
    Hold "hold" (page: Page) [],
    /// `should_fail_futex()` returns true the next time it is asked.
    Fail "fail" () [],
    /// khugepaged's `collapse_file()`: the pages from `index` (a huge
    /// page's worth, aligned) are copied into a new huge page: shmem's from
    /// 4.8, a regular file's nobody writes from 6.7 in the model.
    Collapse "collapse" (inode: Inode, index: Pages) [],
    /// `umount` of the filesystem `inode` lives on: -EBUSY while a file of
    /// it is mapped; else its dentries go, unused inodes are evicted, and
    /// the superblock is freed, even under an inode still held.
    Umount "umount" (inode: Inode) [],
    /// The disk file `inode` held is opened and mapped shared, writable,
    /// over `range` of `mm`: its inode if it still has one, else (once an
    /// eviction in progress is done) a new inode read back from disk.
    Reread "reread" (inode: Inode, mm: Mm, range: Range) [],
    /// khugepaged's `collapse_huge_page()`: the small anonymous pages of
    /// the aligned THP-sized block at `addr` are copied into a new THP.
    CollapseAnon "collapse-anon" (mm: Mm, addr: Addr) [],
    /// A second futex task, making the calls that name it
    /// (`call ... by NAME`) with the same revision. Its steps are its own
    /// yield points: a step runs it to the next one, where it stops before
    /// the operation. Whatever is left runs once the futex thread is done.
    Task "task" () [],
    /// Another thread of `mm` stores `value` to the word at `addr` (a
    /// write fault, COW included, then the store).
    Store "store" (mm: Mm, addr: WordAddr, value: Word) [],
    /// `mbind(2)` of `range` of `mm` to `policy`: under the mmap lock
    /// (its first step takes it, its last lets go), each vma part gets its
    /// own copy of the policy and its old one is put.
    Mbind "mbind" (mm: Mm, range: Range, policy: Policy) [],
    /// `set_mempolicy_home_node(2)` over `range` of `mm`: each bind or
    /// preferred-many policy there is replaced by a copy with home `node`.
    Home "home" (mm: Mm, range: Range, node: Node) [],
}

impl EventKind {
    /// Whether it is the second futex task rather than an mm event.
    pub fn is_task(&self) -> bool {
        matches!(self, EventKind::Task {})
    }

    /// The kind's name in scenario files.
    pub fn keyword(&self) -> &'static str {
        EventKind::KINDS[self.kind_index()].keyword
    }

    /// The kind named `keyword`, as an index into [`EventKind::KINDS`].
    pub fn kind_named(keyword: &str) -> Option<usize> {
        EventKind::KINDS.iter().position(|k| k.keyword == keyword)
    }

    /// What no world can take whatever else it holds; the input forms
    /// refuse it.
    pub fn check(&self) -> Result<(), String> {
        match self {
            EventKind::Fork { parent, child } if parent == child => {
                Err("an mm cannot fork into itself".into())
            }
            EventKind::Mbind { policy, .. } => policy.check(),
            EventKind::Home { node, .. } if *node >= crate::abi::MAX_NUMNODES => {
                Err(format!("a node is below {}", crate::abi::MAX_NUMNODES))
            }
            _ => Ok(()),
        }
    }
}
