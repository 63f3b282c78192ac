//! The reference semantics of `get_futex_key()`: what the key, or the
//! error, must be for one world state when nothing interferes
//! (docs/model.md §2), and from 6.16 the node the key names. A
//! specification written from the kernel's documented behaviour, not a
//! revision run again: a revision that is wrong even without a race
//! disagrees with it too.
//!
//! Evaluating it never changes the world: the faults a real call would take
//! (a COW, a swap-in, a page-cache fill) are reasoned about, not performed.

use std::fmt;

use crate::key::{Key, KeyObject, FUT_OFF_INODE, FUT_OFF_MMSHARED};
use crate::world::{Backing, InodeRef, InodeState, MmId, World, PAGE_SIZE, TASK_SIZE};

use crate::abi::{CallFlags, EFAULT, EINVAL, FUTEX_NO_NODE};

/// One call's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallSpec {
    pub mm: MmId,
    pub uaddr: u64,
    pub shared: bool,
    /// `rw == VERIFY_WRITE`.
    pub write: bool,
    /// FUTEX2_NUMA: the word after the futex names its node (6.16 on).
    pub numa: bool,
    /// FUTEX2_MPOL: the node follows the vma's memory policy (6.16 on).
    pub mpol: bool,
    /// The node of the CPU the call runs on (`numa_node_id()`).
    pub node: u32,
}

impl CallSpec {
    /// How the harness asks the call of a revision.
    pub fn flags(&self) -> CallFlags {
        CallFlags {
            shared: self.shared,
            numa: self.numa,
            mpol: self.mpol,
        }
    }

    /// The futex's size in bytes: a FUTEX2_NUMA futex is two words.
    pub fn size(&self) -> u64 {
        if self.numa {
            8
        } else {
            4
        }
    }

    /// Where the node word of a FUTEX2_NUMA futex is.
    pub fn node_addr(&self) -> u64 {
        self.uaddr + 4
    }
}

/// What the call must return on one world state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    Error(i32),
    Private {
        mm: MmId,
        address: u64,
        offset: i32,
    },
    MmShared {
        mm: MmId,
        address: u64,
        offset: i32,
    },
    Inode {
        inode: InodeRef,
        pgoff: u64,
        offset: i32,
    },
}

impl Expected {
    /// The key this expectation stands for, in the form a call returns.
    pub fn key(self) -> Option<Key> {
        let (word, object, offset) = match self {
            Expected::Error(_) => return None,
            Expected::Private {
                mm,
                address,
                offset,
            } => (address, KeyObject::Mm(mm), offset),
            Expected::MmShared {
                mm,
                address,
                offset,
            } => (address, KeyObject::Mm(mm), offset | FUT_OFF_MMSHARED),
            Expected::Inode {
                inode,
                pgoff,
                offset,
            } => (pgoff, KeyObject::Inode(inode), offset | FUT_OFF_INODE),
        };
        Some(Key {
            word,
            object,
            offset,
        })
    }

    pub fn is_error(self) -> bool {
        matches!(self, Expected::Error(_))
    }

    /// Whether a call that returned `code` (and, for 0, `key`) returned
    /// what this expectation means.
    pub fn is_result(self, code: i32, key: Key) -> bool {
        match self {
            Expected::Error(expected) => code == expected,
            _ => code == 0 && self.key() == Some(key),
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.key()) {
            (Expected::Error(code), _) => f.write_str(&crate::abi::errno_name(*code)),
            (_, Some(key)) => write!(f, "{key}"),
            (_, None) => unreachable!("only errors have no key"),
        }
    }
}

/// The reference result of `call` on `world` as it is now.
pub fn expected(world: &World, call: CallSpec) -> Expected {
    meaning(world, call).0
}

/// The reference result of `call` on `world` as it is now, and the node
/// its key names (6.16 on): `None` where the call fails before it has one,
/// or in an era whose keys name none. A FUTEX2_NUMA word that names a node
/// gives it; one that names none (`FUTEX_NO_NODE`) gives the vma policy's
/// node under FUTEX2_MPOL, else the calling CPU's, which the call writes
/// back. Without FUTEX2_NUMA the node is the policy's (FUTEX2_MPOL), else
/// none: `FUTEX_NO_NODE`.
pub fn meaning(world: &World, call: CallSpec) -> (Expected, Option<i32>) {
    let node = node_of(world, call);
    (
        result(world, call, Gup::WriteFirst, node),
        node.and_then(Result::ok),
    )
}

/// The node part of an aligned call, in an era whose keys name a node.
fn node_of(world: &World, call: CallSpec) -> Option<Result<i32, i32>> {
    (world.era.rules().key.node && call.uaddr % call.size() == 0).then(|| node_path(world, call))
}

/// The node part of `get_futex_key()` (6.16 on): the node, or the error
/// that stops the call there.
fn node_path(world: &World, call: CallSpec) -> Result<i32, i32> {
    let address = call.uaddr & !(PAGE_SIZE - 1);
    let mut node = FUTEX_NO_NODE;
    if call.numa {
        node = world.peek_user_word(call.mm, call.node_addr())? as i32;
        if node != FUTEX_NO_NODE && !world.node_possible(i64::from(node)) {
            return Err(-EINVAL);
        }
    }
    let mut updated = false;
    if node == FUTEX_NO_NODE && call.mpol {
        node = world
            .policy_node(call.mm, address)
            .map_or(FUTEX_NO_NODE, |n| n as i32);
        updated = true;
    }
    if call.numa {
        if node == FUTEX_NO_NODE {
            node = call.node as i32;
            updated = true;
        }
        if updated && !world.user_word_writable(call.mm, call.node_addr()) {
            return Err(-EFAULT);
        }
    }
    Ok(node)
}

/// Whether the first GUP of a shared call, for write wherever the vma
/// allows it, fails on `world` as it is now, whose meaning for the call is
/// `now`: always on a read-only vma (rule 5), on a writable one exactly
/// when the state means `-EFAULT`.
pub fn write_request_fails(world: &World, call: CallSpec, now: Expected) -> bool {
    now == Expected::Error(-EFAULT)
        || world
            .find_vma(call.mm, call.uaddr)
            .is_some_and(|vma| !vma.prot.write)
}

/// What the read-only retry of a `VERIFY_READ` call finds on `world` as it
/// is now: after a write request failed with `-EFAULT`, every revision asks
/// GUP again without write (docs/model.md §2, rule 5). On a writable
/// private file mapping the write may fail beyond the end of the file and
/// the read succeed once the file grew, so a call that spans both states
/// keys on the page cache page, as the kernel does.
pub fn read_only_retry(world: &World, call: CallSpec) -> Expected {
    debug_assert!(!call.write, "only VERIFY_READ retries read-only");
    result(world, call, Gup::ReadOnly, node_of(world, call))
}

/// The GUP request a result stands for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gup {
    /// The first request, for write wherever the vma allows it.
    WriteFirst,
    /// The read-only retry.
    ReadOnly,
}

/// The result under request `gup`, given the call's node part (`node_of`).
fn result(world: &World, call: CallSpec, gup: Gup, node: Option<Result<i32, i32>>) -> Expected {
    let offset = (call.uaddr % PAGE_SIZE) as i32;
    let address = call.uaddr - offset as u64;
    // 1. The word must be naturally aligned (a FUTEX2_NUMA futex is two).
    if call.uaddr % call.size() != 0 {
        return Expected::Error(-EINVAL);
    }
    let in_range = call
        .uaddr
        .checked_add(call.size())
        .is_some_and(|end| end <= TASK_SIZE);
    // 6.16 on: the node word is read (and written back) before anything else.
    if world.era.rules().key.node {
        if !in_range {
            return Expected::Error(-EFAULT);
        }
        if let Some(Err(e)) = node {
            return Expected::Error(e);
        }
    }
    // 2. A private futex needs a user address and nothing else.
    if !call.shared {
        return if in_range {
            Expected::Private {
                mm: call.mm,
                address,
                offset,
            }
        } else {
            Expected::Error(-EFAULT)
        };
    }
    // 3. No vma, PROT_NONE, a special mapping: nothing to key on.
    let Some(vma) = world.find_vma(call.mm, address) else {
        return Expected::Error(-EFAULT);
    };
    if !vma.prot.read || matches!(vma.backing, Backing::Special(_)) {
        return Expected::Error(-EFAULT);
    }
    let mm_key = Expected::MmShared {
        mm: call.mm,
        address,
        offset,
    };
    // A page already mapped here is found by GUP's page-table walk, which
    // does not look at i_size: a truncation between its size update and
    // its unmapping still yields the page. Only a fault checks the size.
    let cache_mapped = |inode| {
        world
            .pte(call.mm, address)
            .is_some_and(|pte| world.page_mapping_slot(world.head_of(pte.page)) == Some(inode))
    };
    let inode_key = |inode| {
        let pgoff = vma.pgoff_of(address);
        let faultable =
            world.inode_state(inode) == InodeState::Live && pgoff < world.inode_size_pages(inode);
        if faultable || cache_mapped(inode) {
            Expected::Inode {
                inode: world.inode_ref(inode),
                pgoff,
                offset,
            }
        } else {
            // Beyond the end of the file the fault is a SIGBUS; an inode
            // being evicted (relaxed mode) has no page cache left to fault.
            Expected::Error(-EFAULT)
        }
    };
    let anon_mapped = world
        .pte(call.mm, address)
        .is_some_and(|pte| world.page_is_anon(pte.page));
    let writable = vma.prot.write && gup == Gup::WriteFirst;
    match (writable, vma.backing, vma.shared) {
        // 4. Writable: the first GUP asks for write and gets it.
        (true, Backing::Anon { .. }, _) => mm_key,
        // A private file page is copied on the first write; the copy
        // needs the file page, so past the end of the file the fault
        // fails, unless an earlier write made the copy already.
        (true, Backing::File(_), false) if anon_mapped => mm_key,
        (true, Backing::File(inode), false) => match inode_key(inode) {
            Expected::Error(e) => Expected::Error(e),
            _ => mm_key,
        },
        (true, Backing::File(inode), true) => inode_key(inode),
        // 5. Read-only: a write request fails; a read fault keys on what
        // it finds. Anonymous memory read-only (the zero page or an
        // anonymous page) can never hold a live futex.
        (false, _, _) if call.write => Expected::Error(-EFAULT),
        (false, Backing::Anon { .. }, _) => Expected::Error(-EFAULT),
        (false, Backing::File(_), false) if anon_mapped => Expected::Error(-EFAULT),
        (false, Backing::File(inode), _) => inode_key(inode),
        (_, Backing::Special(_), _) => Expected::Error(-EFAULT),
    }
}
