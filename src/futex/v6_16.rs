//! The Rust port of `v6.19` and `v7.1`: the node of futex2 in front of
//! the 6.x folio lookup ([`super::v5`]). A FUTEX2_NUMA futex is two words,
//! its value and its node; a node word of `FUTEX_NO_NODE` is filled in, from
//! the vma's memory policy under FUTEX2_MPOL (`futex_mpol()`: a lookup under
//! RCU and the mmap lock's sequence, then one under the lock), else with the
//! calling CPU's node, and written back. The two kernels differ only in how
//! the policy pointer is read: plainly (`vma_policy()`, 6.16 to 6.19) or
//! with `READ_ONCE()` (7.0 on, when policies became RCU-freed).

use super::v5::{check_address, lookup};
use super::v6::V6;
use super::Port;
use crate::abi::{raw, CallFlags, EAGAIN, EBUSY, EFAULT, EINVAL, FUTEX_NO_NODE, MAX_NUMNODES};
use crate::kernel::{Abort, Kernel, MmPtr};
use crate::key::RawKey;

/// How a kernel reads `vma->vm_policy`.
pub enum PolicyRead {
    /// `vma_policy(vma)`: a plain load (6.16 to 6.19).
    Plain,
    /// `READ_ONCE(vma->vm_policy)` (7.0 on).
    Marked,
}

/// A port of one of the kernels with FUTEX2_NUMA and FUTEX2_MPOL.
pub struct NodeKeys {
    pub policy_read: PolicyRead,
}

/// 6.19: `vma_policy()`.
pub static V6_19: NodeKeys = NodeKeys {
    policy_read: PolicyRead::Plain,
};

/// 7.1: `READ_ONCE(vma->vm_policy)`.
pub static V7_1: NodeKeys = NodeKeys {
    policy_read: PolicyRead::Marked,
};

impl NodeKeys {
    /// `__futex_key_to_node()`: the node the vma's own policy names.
    fn key_to_node(&self, k: &mut Kernel, mm: MmPtr, addr: u64) -> Result<i32, Abort> {
        let vma = k.vma_lookup(mm, addr)?;
        if vma.is_null() {
            return Ok(FUTEX_NO_NODE);
        }
        let mpol = match self.policy_read {
            PolicyRead::Plain => k.vma_policy(vma)?,
            PolicyRead::Marked => {
                k.read_once(vma.vm_policy_field(), "vma->vm_policy")?;
                let mpol = k.vma_policy_word(vma);
                k.vma_policy_loaded(vma)?;
                mpol
            }
        };
        if mpol.is_null() {
            return Ok(FUTEX_NO_NODE);
        }
        let mode = u32::from(k.mpol_mode(mpol));
        Ok(if mode == raw::MPOL_PREFERRED {
            k.mpol_first_node(mpol) as i32
        } else if mode == raw::MPOL_PREFERRED_MANY || mode == raw::MPOL_BIND {
            let home = k.mpol_home_node(mpol);
            if home != raw::NUMA_NO_NODE {
                home
            } else {
                FUTEX_NO_NODE
            }
        } else {
            FUTEX_NO_NODE
        })
    }

    /// `futex_key_to_node_opt()`: the lookup under RCU while no writer
    /// holds or takes the mmap lock; -EBUSY or -EAGAIN otherwise. The
    /// RCU guard ends as the function returns, after its value is made.
    fn key_to_node_opt(&self, k: &mut Kernel, mm: MmPtr, addr: u64) -> Result<i32, Abort> {
        k.rcu_read_lock()?;
        let node = (|| {
            let (begun, seq) = k.mmap_lock_speculate_try_begin(mm)?;
            if !begun {
                return Ok(-EBUSY);
            }
            let node = self.key_to_node(k, mm, addr)?;
            if k.mmap_lock_speculate_retry(mm, seq)? {
                return Ok(-EAGAIN);
            }
            Ok(node)
        })()?;
        k.rcu_read_unlock()?;
        Ok(node)
    }

    /// `futex_mpol()`: the lockless lookup, else the one under the mmap
    /// read lock (a guard, let go once the value is made).
    fn mpol(&self, k: &mut Kernel, mm: MmPtr, addr: u64) -> Result<i32, Abort> {
        let node = self.key_to_node_opt(k, mm, addr)?;
        if node >= FUTEX_NO_NODE {
            return Ok(node);
        }
        k.mmap_read_lock(mm)?;
        let node = self.key_to_node(k, mm, addr)?;
        k.mmap_read_unlock(mm)?;
        Ok(node)
    }
}

impl Port for NodeKeys {
    fn get(
        &self,
        k: &mut Kernel,
        uaddr: u64,
        flags: CallFlags,
        key: &mut RawKey,
        rw: i32,
    ) -> Result<i32, Abort> {
        let mm = k.current_mm();
        let size = if flags.numa { 8 } else { 4 };
        let address = match check_address(k, uaddr, size, key)? {
            Ok(address) => address,
            Err(code) => return Ok(code),
        };
        let naddr = uaddr + size / 2;
        let mut node = FUTEX_NO_NODE;
        let mut node_updated = false;
        if flags.numa {
            match k.get_user(naddr)? {
                Ok(value) => node = value as i32,
                Err(_) => return Ok(-EFAULT),
            }
            if node != FUTEX_NO_NODE && (node as u32 >= MAX_NUMNODES || !k.node_possible(node)) {
                return Ok(-EINVAL);
            }
        }
        if node == FUTEX_NO_NODE && flags.mpol {
            node = self.mpol(k, mm, address)?;
            node_updated = true;
        }
        if flags.numa {
            if node == FUTEX_NO_NODE {
                node = k.numa_node_id();
                node_updated = true;
            }
            if node_updated && k.put_user(naddr, node as u32)?.is_err() {
                return Ok(-EFAULT);
            }
        }
        key.node = node;
        lookup(k, flags.shared, key, rw, address, &V6.flavour)
    }

    /// Keys hold nothing: there is no `put_futex_key()`.
    fn put(&self, _k: &mut Kernel, _key: &RawKey) -> Result<(), Abort> {
        Ok(())
    }

    fn defines_put(&self) -> bool {
        false
    }
}
