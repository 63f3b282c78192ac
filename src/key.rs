//! Futex keys as the harness compares them: the three words of
//! `union futex_key` with the pointer replaced by the identity of the
//! object it names, so keys from different runs (and from C and Rust)
//! compare equal when they name the same thing.

use std::fmt;

use crate::era::InodeKeyName;
use crate::world::memory::Slot;
use crate::world::{InodeId, InodeRef, MmId, World};

pub use crate::abi::{FUT_OFF_INODE, FUT_OFF_MMSHARED};

/// The words of a key as a revision left them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawKey {
    pub word: u64,
    pub ptr: usize,
    pub offset: i32,
    /// `key->both.node` (6.16 on): the node whose hash table the futex is
    /// in, `FUTEX_NO_NODE` for the one the key's hash picks.
    pub node: i32,
}

/// What a key's pointer names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyObject {
    Null,
    Mm(MmId),
    Inode(InodeRef),
    /// A freed object's poison, or an object that is no longer there.
    Poison,
    /// Not an object of the world at all.
    Wild,
    /// An inode sequence number (5.6 on) that no inode was given.
    Sequence(u64),
}

/// A key with its pointer normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub word: u64,
    pub object: KeyObject,
    pub offset: i32,
}

impl Key {
    /// Normalises `raw` against the world as it is now. From 5.6 an inode
    /// key names the inode by its sequence number, which names the same
    /// inode after it is gone too.
    pub fn normalise(raw: RawKey, world: &World) -> Key {
        let by_sequence = world.era.rules().key.inode_named_by == InodeKeyName::Sequence;
        if by_sequence && raw.offset & FUT_OFF_INODE != 0 {
            let sequence = raw.ptr as u64;
            return Key {
                word: raw.word,
                object: world
                    .inode_of_sequence(sequence)
                    .map_or(KeyObject::Sequence(sequence), KeyObject::Inode),
                offset: raw.offset,
            };
        }
        let object = match world.resolve(raw.ptr) {
            None if raw.ptr == 0 => KeyObject::Null,
            None => KeyObject::Wild,
            Some(r) if r.offset != 0 => KeyObject::Wild,
            Some(r) => match r.slot {
                Slot::Mm(0) | Slot::Inode(0) => KeyObject::Poison,
                Slot::Mm(m) if world.mm_live(MmId(m)) => KeyObject::Mm(MmId(m)),
                Slot::Inode(i) if world.inode_live(InodeId(i)) => {
                    KeyObject::Inode(world.inode_ref(InodeId(i)))
                }
                Slot::Mm(_) | Slot::Inode(_) => KeyObject::Poison,
                _ => KeyObject::Wild,
            },
        };
        Key {
            word: raw.word,
            object,
            offset: raw.offset,
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED) {
            FUT_OFF_INODE => "inode",
            FUT_OFF_MMSHARED => "mm-shared",
            0 => "private",
            _ => "both-bits",
        };
        let object = match self.object {
            KeyObject::Null => "NULL".to_string(),
            KeyObject::Mm(m) => format!("mm#{}", m.0),
            KeyObject::Inode(i) => format!("inode#{} (allocation {})", i.slot.0, i.generation),
            KeyObject::Poison => "POISON (freed object)".to_string(),
            KeyObject::Wild => "a wild pointer".to_string(),
            KeyObject::Sequence(s) => format!("i_seq {s}, which no inode was given"),
        };
        let word = if kind == "inode" { "pgoff" } else { "address" };
        write!(
            f,
            "{kind} key: {object}, {word} {:#x}, offset {:#x}",
            self.word,
            self.offset & !(FUT_OFF_INODE | FUT_OFF_MMSHARED)
        )
    }
}
