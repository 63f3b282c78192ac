//! Files apart from their inodes: a disk file outlives the inode that
//! caches it, so an evicted file that is looked up again is the same file
//! in a new inode (`iget()` reads it back from disk). Every inode object
//! records the file it holds; the `reread` event opens and maps an evicted
//! file again. From 5.6 a key names the inode's sequence number, and the
//! new inode gets a new one: two calls on one word of the file may then get
//! different keys, which the kernel accepts (a waiter on the old key is not
//! woken; two different words never share a key).

use super::page::Blocker;
use super::WorldError;
use super::{Backing, InodeId, InodeKind, InodeRef, InodeState, MmId, Prot, Vma, World};

/// A file's identity: 1 and up, in the order files were created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// What outlives a file's inode: its kind and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMeta {
    pub kind: InodeKind,
    pub size_pages: u64,
}

impl World {
    /// A new file of `kind` and `size_pages`, for a new inode to hold.
    pub(super) fn new_file(&mut self, kind: InodeKind, size_pages: u64) -> FileId {
        self.files.push(FileMeta { kind, size_pages });
        FileId(self.files.len() as u32)
    }

    /// Records that the inode object `inode` holds `file`.
    pub(super) fn note_file(&mut self, inode: InodeRef, file: FileId) {
        self.inode_files.push((inode, file));
    }

    /// The file the inode in `inode`'s slot holds, or last held.
    pub fn file_of(&self, inode: InodeId) -> FileId {
        self.inodes[inode.0].file
    }

    /// Every inode object with its file, once some file was read back into
    /// a second inode; else nothing (no two inodes share a file).
    pub fn reread_inode_files(&self) -> Vec<(InodeRef, FileId)> {
        let rereads = self.inode_files.len() > self.files.len();
        if rereads {
            self.inode_files.clone()
        } else {
            Vec::new()
        }
    }

    /// A truncate changes the file, not only its inode.
    pub(super) fn resize_file(&mut self, inode: InodeId, size_pages: u64) {
        let file = self.inodes[inode.0].file;
        if let Some(meta) = file
            .0
            .checked_sub(1)
            .and_then(|i| self.files.get_mut(i as usize))
        {
            meta.size_pages = size_pages;
        }
    }

    /// The inode not yet freed that holds `file`, if any.
    fn inode_holding(&self, file: FileId) -> Option<InodeId> {
        (1..self.inodes.len())
            .map(InodeId)
            .find(|&i| self.inodes[i.0].state != InodeState::Free && self.inodes[i.0].file == file)
    }

    /// Opens `file` again and maps it shared and writable over
    /// `[start, end)` of `mm` from its start: the inode that still holds it
    /// if there is one (an inode cache hit), else, once an inode being
    /// evicted is freed (`iget()` waits for it), a new inode read from
    /// disk, with no sequence number yet. Only a disk file outlives its
    /// inode: a tmpfs or hugetlbfs file goes with it.
    pub fn reread(
        &mut self,
        file: FileId,
        mm: MmId,
        start: u64,
        end: u64,
        actor: super::Actor,
    ) -> Result<Result<InodeId, String>, Blocker> {
        // mmap() takes the mmap lock for writing.
        if let Some(b) = self.mmap_write_section(mm, actor) {
            return Err(b);
        }
        let Some(meta) = file
            .0
            .checked_sub(1)
            .and_then(|i| self.files.get(i as usize))
            .copied()
        else {
            return Ok(Err("no such file".into()));
        };
        let inode = match self.inode_holding(file) {
            Some(i) if self.inodes[i.0].state == InodeState::Live => i,
            Some(dying) => return Err(Blocker::SlotBusy(dying)),
            None if meta.kind != InodeKind::File => {
                return Ok(Err(
                    "a tmpfs or hugetlbfs file does not outlive its inode".into()
                ))
            }
            None => match self.add_inode_of(meta.kind, meta.size_pages, 1, None, Some(file)) {
                Ok(i) => i,
                Err(e) => return Ok(Err(e.to_string())),
            },
        };
        let vma = Vma {
            start,
            end,
            pgoff: 0,
            prot: Prot::READ_WRITE,
            shared: true,
            backing: Backing::File(inode),
            slot: 0,
        };
        Ok(match self.add_vma(mm, vma) {
            Ok(()) => Ok(inode),
            Err(WorldError::Invalid(why)) => Err(why),
            Err(e) => Err(e.to_string()),
        })
    }
}
