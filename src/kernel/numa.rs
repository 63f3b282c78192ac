//! The kernel API of 6.16 on that `get_futex_key()` calls for FUTEX2_NUMA
//! and FUTEX2_MPOL: the node word in user memory, the calling CPU's node,
//! the mmap lock (speculation and read side) and the vmas' memory
//! policies. Each yields as the other kernel APIs do; the reads of a
//! policy's fields are plain, checked for a freed policy as KASAN would.

use super::ptr::{MempolicyPtr, MmPtr, VmaPtr};
use super::{Abort, Kernel};
use crate::finding::FindingClass;
use crate::op::Op;
use crate::trace::Arg;
use crate::world::memory::{Resolved, Slot};
use crate::world::page::Wait;
use crate::world::ObjectName;

impl Kernel {
    /// `get_user()` of the 32-bit word at `addr`: its value, or `-EFAULT`
    /// when the access faults for good. The fault waits as GUP's does. The
    /// page it reads (the futex's own: a FUTEX2_NUMA futex is naturally
    /// aligned, so its node word shares the value's page) counts among
    /// those the call found, for `truncated-page-may-fail`.
    pub fn get_user(&mut self, addr: u64) -> Result<Result<u32, i32>, Abort> {
        self.enter(Op::GetUser, Arg::Addr(addr))?;
        let mm = self.world.thread().mm.expect("a call is in progress");
        loop {
            match self.world.get_user_word(mm, addr, self.world.actor()) {
                Ok(Ok((value, page))) => {
                    self.observe_found(page);
                    return Ok(Ok(value));
                }
                Ok(Err(e)) => return Ok(Err(e)),
                Err(blocker) => self.wait_for(blocker)?,
            }
        }
    }

    /// `put_user()` of `value` to the 32-bit word at `addr`: 0, or
    /// `-EFAULT` when the access faults for good.
    pub fn put_user(&mut self, addr: u64, value: u32) -> Result<Result<(), i32>, Abort> {
        self.enter(Op::PutUser, Arg::Store { addr, value })?;
        let mm = self.world.thread().mm.expect("a call is in progress");
        loop {
            match self
                .world
                .put_user_word(mm, addr, value, self.world.actor())
            {
                Ok(result) => {
                    self.note_node_written(addr, result.is_ok());
                    return Ok(result.map(|_| ()));
                }
                Err(blocker) => self.wait_for(blocker)?,
            }
        }
    }

    /// A store of the running task to `addr`: when it is its observed
    /// call's node word, the call has made its choice of node.
    fn note_node_written(&mut self, addr: u64, stored: bool) {
        let task = &mut self.tasks[self.world.running];
        if let Some(call) = task.observing {
            if stored && call.numa && addr == call.node_addr() {
                task.observation.node_written = true;
            }
        }
    }

    /// `numa_node_id()`: the node of the CPU the running task's call runs
    /// on. A per-cpu read, not a yield point.
    pub fn numa_node_id(&self) -> i32 {
        self.tasks[self.world.running].node as i32
    }

    /// `node_possible(node)`: a read of the boot-time node map, not a
    /// yield point.
    pub fn node_possible(&self, node: i32) -> bool {
        self.world.node_possible(i64::from(node))
    }

    /// `mmap_lock_speculate_try_begin(mm, &seq)`: the lock's sequence, and
    /// whether no writer holds the lock (the sequence is even).
    pub fn mmap_lock_speculate_try_begin(&mut self, mm: MmPtr) -> Result<(bool, u32), Abort> {
        let id = self.mm_id(mm)?;
        self.enter(
            Op::MmapLockSpeculateTryBegin,
            Arg::Object(ObjectName::Mm(id)),
        )?;
        let seq = self.world.mmap_seq(id);
        Ok((seq % 2 == 0, seq))
    }

    /// `mmap_lock_speculate_retry(mm, seq)`: whether a writer took the lock
    /// since `seq` was read.
    pub fn mmap_lock_speculate_retry(&mut self, mm: MmPtr, seq: u32) -> Result<bool, Abort> {
        let id = self.mm_id(mm)?;
        self.enter(Op::MmapLockSpeculateRetry, Arg::Object(ObjectName::Mm(id)))?;
        Ok(self.world.mmap_seq(id) != seq)
    }

    /// `mmap_read_lock()`: sleeps while an event holds the lock for
    /// writing, which lets that event run until it lets go.
    pub fn mmap_read_lock(&mut self, mm: MmPtr) -> Result<(), Abort> {
        let id = self.mm_id(mm)?;
        self.enter(Op::MmapReadLock, Arg::Object(ObjectName::Mm(id)))?;
        let task = self.world.running;
        loop {
            match self.world.mmap_read_lock(id, task) {
                Wait::Blocked(blocker) => self.wait_for(blocker)?,
                _ => return Ok(()),
            }
        }
    }

    pub fn mmap_read_unlock(&mut self, mm: MmPtr) -> Result<(), Abort> {
        let id = self.mm_id(mm)?;
        self.enter(Op::MmapReadUnlock, Arg::Object(ObjectName::Mm(id)))?;
        if !self.world.mmap_read_unlock(id, self.world.running) {
            self.world.report(
                FindingClass::LockImbalance,
                format!("mmap_read_unlock(mm#{}) without holding it", id.0),
            );
        }
        Ok(())
    }

    /// `vma_lookup(mm, addr)`: the vma holding `addr`, or NULL.
    pub fn vma_lookup(&mut self, mm: MmPtr, addr: u64) -> Result<VmaPtr, Abort> {
        let id = self.mm_id(mm)?;
        self.enter(Op::VmaLookup, Arg::Addr(addr))?;
        Ok(match self.world.vma_slot_at(id, addr) {
            Some(slot) => VmaPtr(self.world.vma_ptr(slot) as usize),
            None => VmaPtr(0),
        })
    }

    /// `vma_policy(vma)` (6.16 to 6.19): a plain load of `vma->vm_policy`,
    /// then the yield point that follows every load of it.
    pub fn vma_policy(&mut self, vma: VmaPtr) -> Result<MempolicyPtr, Abort> {
        let policy = self.vma_policy_word(vma);
        self.vma_policy_loaded(vma)?;
        Ok(policy)
    }

    /// The yield point after a load of `vma->vm_policy`, plain
    /// (`vma_policy()`) or marked (`READ_ONCE()`, 7.0 on). The policy's
    /// fields are read plainly right after, with no yield point of their
    /// own: another CPU may replace and free the policy between the load
    /// and those reads, and this is where the model lets it.
    pub fn vma_policy_loaded(&mut self, vma: VmaPtr) -> Result<(), Abort> {
        let slot = self.vma_slot(vma)?;
        self.enter(Op::VmaPolicy, Arg::Object(ObjectName::Vma(slot)))
    }

    /// After a marked read of the word at `addr`: the yield point after a
    /// load of `vma->vm_policy`, nothing otherwise.
    pub fn read_once_done(&mut self, addr: usize) -> Result<(), Abort> {
        match self.world.resolve(addr) {
            Some(Resolved {
                slot: Slot::Vma(_),
                field: "vm_policy",
                offset,
                ..
            }) => {
                let vma = addr - offset;
                self.vma_policy_loaded(VmaPtr(vma))
            }
            _ => Ok(()),
        }
    }

    /// A plain access by C code to the memory the kernel watches (the
    /// policies'): a use-after-free when it is a freed policy's.
    pub fn watched_access(&mut self, addr: usize, write: bool) {
        self.world.check_policy_access(addr, write);
    }
}
