//! Superblocks: every inode lives on a mounted filesystem, one for each
//! kind of inode (a disk filesystem, tmpfs, hugetlbfs), and `umount` shuts
//! one down as `generic_shutdown_super()` does. Its dentries go, which
//! evicts every inode nobody else holds; then the superblock is freed even
//! when an inode is still held ("VFS: Busy inodes after unmount"). The last
//! `iput()` of such an inode uses the freed superblock (`iput_final()`
//! calls through `inode->i_sb`): before 5.6 a futex key's inode reference
//! is such a hold, and nothing keeps the filesystem mounted for it.

use super::{InodeId, InodeKind, InodeState, World};
use crate::finding::FindingClass;

/// A filesystem of the world: where inodes of one kind live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fs {
    Disk,
    Tmpfs,
    Hugetlbfs,
}

impl Fs {
    pub const ALL: [Fs; 3] = [Fs::Disk, Fs::Tmpfs, Fs::Hugetlbfs];

    /// The filesystem inodes of `kind` live on. A shmem inode stands for a
    /// tmpfs file (SysV shm and shared anonymous memory use an internal
    /// mount that is never unmounted; the model does not tell them apart).
    pub fn of(kind: InodeKind) -> Fs {
        match kind {
            InodeKind::File => Fs::Disk,
            InodeKind::Shmem => Fs::Tmpfs,
            InodeKind::Hugetlbfs { .. } => Fs::Hugetlbfs,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Fs::Disk => "the disk filesystem",
            Fs::Tmpfs => "tmpfs",
            Fs::Hugetlbfs => "hugetlbfs",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One filesystem's superblock: mounted or not, and which mount it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SuperBlock {
    pub mounted: bool,
    /// An umount is shutting it down: the mount is already detached, so
    /// another umount does not find it, and no new inode joins it.
    pub unmounting: bool,
    /// Counts mounts: an inode belongs to the mount it was created on.
    pub generation: u32,
}

/// What umount's first step found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Umount {
    /// The filesystem is not mounted.
    NotMounted,
    /// A mapping holds a file of it open: umount fails with -EBUSY.
    Busy,
    /// Shutting down: the inodes whose dentries go, with how many each.
    ShutsDown(Vec<(InodeId, i32)>),
}

impl World {
    /// The superblock new inodes of `kind` join, mounting the filesystem
    /// again if it was unmounted; gives the mount's generation.
    pub(super) fn mount_for(&mut self, kind: InodeKind) -> u32 {
        let sb = &mut self.sbs[Fs::of(kind).index()];
        if !sb.mounted {
            sb.mounted = true;
            sb.generation += 1;
        }
        sb.generation
    }

    pub fn superblock(&self, fs: Fs) -> SuperBlock {
        self.sbs[fs.index()]
    }

    /// Whether the superblock `inode` was created on is still mounted.
    pub fn sb_alive(&self, inode: InodeId) -> bool {
        let meta = &self.inodes[inode.0];
        meta.kind.is_some_and(|kind| {
            let sb = self.sbs[Fs::of(kind).index()];
            sb.mounted && sb.generation == meta.sb_generation
        })
    }

    /// The inodes not yet freed that live on `fs`'s current mount.
    fn inodes_on(&self, fs: Fs) -> impl Iterator<Item = InodeId> + '_ {
        let generation = self.sbs[fs.index()].generation;
        (1..self.inodes.len()).map(InodeId).filter(move |&i| {
            let meta = &self.inodes[i.0];
            meta.state != InodeState::Free
                && meta.kind.is_some_and(|k| Fs::of(k) == fs)
                && meta.sb_generation == generation
        })
    }

    /// umount's first step: refuses a busy filesystem, else detaches the
    /// mount and says whose dentries go (`shrink_dcache_for_umount()`). A
    /// mount another umount detached is not found (umount(2) fails with
    /// -EINVAL).
    pub fn begin_umount(&mut self, fs: Fs) -> Umount {
        let sb = self.sbs[fs.index()];
        if !sb.mounted || sb.unmounting {
            return Umount::NotMounted;
        }
        if self.inodes_on(fs).any(|i| self.inode_mapped(i)) {
            return Umount::Busy;
        }
        self.sbs[fs.index()].unmounting = true;
        Umount::ShutsDown(
            self.inodes_on(fs)
                .filter(|&i| self.held(i) && self.external_refs(i) > 0)
                .map(|i| (i, self.external_refs(i)))
                .collect(),
        )
    }

    /// Whether an umount is shutting `fs` down.
    pub fn unmounting(&self, fs: Fs) -> bool {
        self.sbs[fs.index()].unmounting
    }

    /// Whether someone still holds `inode` (it is not being evicted).
    fn held(&self, inode: InodeId) -> bool {
        self.inodes[inode.0].state == InodeState::Live
    }

    /// An inode of `fs` still being evicted, which the shutdown waits for
    /// (`evict_inodes()` is synchronous).
    pub fn evicting_on(&self, fs: Fs) -> Option<InodeId> {
        self.inodes_on(fs)
            .find(|i| self.inodes[i.0].state == InodeState::Evicting)
    }

    /// Frees `fs`'s superblock; gives the inodes still held, which now
    /// outlive it.
    pub fn kill_sb(&mut self, fs: Fs) -> Vec<InodeId> {
        let busy: Vec<InodeId> = self.inodes_on(fs).filter(|&i| self.held(i)).collect();
        self.sbs[fs.index()].mounted = false;
        self.sbs[fs.index()].unmounting = false;
        busy
    }

    /// The check of `iput_final()`: the last reference of an inode whose
    /// superblock is gone reaches into freed memory.
    pub(super) fn check_sb_on_last_iput(&mut self, inode: InodeId) {
        if !self.sb_alive(inode) {
            self.report(
                FindingClass::UseAfterFree,
                format!(
                    "iput() of inode#{}: its superblock was freed by umount, which found it busy",
                    inode.0
                ),
            );
        }
    }
}
