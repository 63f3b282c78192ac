//! NUMA: the machine's possible nodes, and the memory policies of vmas
//! (`vma->vm_policy`), which FUTEX2_MPOL reads (6.16 on).
//!
//! A policy is a C object in the world's memory, as the kernel's
//! `struct mempolicy`: the futex code reads its fields plainly, so a freed
//! policy must look freed (poisoned) to it. Each vma holds its own policy
//! (`vma_dup_policy()` copies on split and fork), and the last reference
//! frees it as the era does: at once before 7.0, after an RCU grace period
//! from 7.0 (`kfree_rcu()` in `__mpol_put()`). A freed slot is not handed
//! out again at once (as KASAN's quarantine does not), so a late read finds
//! it freed rather than reused.

use super::memory::MPOL_SLOTS;
use super::{Vma, World, WorldError, TASKS};
use crate::abi::{raw, MAX_NUMNODES};
use crate::era::PolicyFree;

/// A memory policy slot (1-based; slot 0 is the poison sentinel).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MpolId(pub usize);

/// The modes of a memory policy, as `set_mempolicy(2)` and `mbind(2)` name
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyMode {
    /// No policy of the vma's own (`vma->vm_policy == NULL`).
    Default,
    Preferred,
    Bind,
    Interleave,
    Local,
    PreferredMany,
    WeightedInterleave,
}

impl PolicyMode {
    /// Every mode, in a fixed order (the binary form numbers them by it).
    pub const ALL: [PolicyMode; 7] = [
        PolicyMode::Default,
        PolicyMode::Preferred,
        PolicyMode::Bind,
        PolicyMode::Interleave,
        PolicyMode::Local,
        PolicyMode::PreferredMany,
        PolicyMode::WeightedInterleave,
    ];

    /// The mode's name in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            PolicyMode::Default => "default",
            PolicyMode::Preferred => "preferred",
            PolicyMode::Bind => "bind",
            PolicyMode::Interleave => "interleave",
            PolicyMode::Local => "local",
            PolicyMode::PreferredMany => "preferred-many",
            PolicyMode::WeightedInterleave => "weighted-interleave",
        }
    }

    pub fn from_name(word: &str) -> Option<PolicyMode> {
        PolicyMode::ALL.into_iter().find(|m| m.name() == word)
    }

    /// `MPOL_*` of the kernel's uapi.
    fn mpol(self) -> u16 {
        (match self {
            PolicyMode::Default => raw::MPOL_DEFAULT,
            PolicyMode::Preferred => raw::MPOL_PREFERRED,
            PolicyMode::Bind => raw::MPOL_BIND,
            PolicyMode::Interleave => raw::MPOL_INTERLEAVE,
            PolicyMode::Local => raw::MPOL_LOCAL,
            PolicyMode::PreferredMany => raw::MPOL_PREFERRED_MANY,
            PolicyMode::WeightedInterleave => raw::MPOL_WEIGHTED_INTERLEAVE,
        }) as u16
    }

    /// Whether the mode takes a node mask.
    pub fn takes_nodes(self) -> bool {
        !matches!(self, PolicyMode::Default | PolicyMode::Local)
    }

    /// Whether the mode may have a home node (`set_mempolicy_home_node(2)`
    /// refuses the others with -EOPNOTSUPP).
    pub fn takes_home(self) -> bool {
        matches!(self, PolicyMode::Bind | PolicyMode::PreferredMany)
    }
}

/// A policy as a scenario gives it: its mode, its nodes (a bit per node)
/// and its home node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    pub mode: PolicyMode,
    pub nodes: u64,
    pub home: Option<u32>,
}

impl Policy {
    pub const DEFAULT: Policy = Policy {
        mode: PolicyMode::Default,
        nodes: 0,
        home: None,
    };

    /// What no machine takes: a mask where the mode takes none or an empty
    /// one where it needs one, a home node where the mode has none.
    pub fn check(&self) -> Result<(), String> {
        let mode = self.mode.name();
        if self.mode.takes_nodes() && self.nodes == 0 {
            return Err(format!("a {mode} policy names its nodes (nodes=N,M)"));
        }
        if !self.mode.takes_nodes() && self.nodes != 0 {
            return Err(format!("a {mode} policy names no nodes"));
        }
        if self.home.is_some() && !self.mode.takes_home() {
            return Err(format!(
                "a {mode} policy has no home node (bind and preferred-many have)"
            ));
        }
        if self.home.is_some_and(|h| h >= MAX_NUMNODES) {
            return Err(format!("a home node is below {MAX_NUMNODES}"));
        }
        Ok(())
    }

    /// The node a futex with FUTEX2_MPOL takes from a vma with this policy
    /// (`__futex_key_to_node()`): a preferred policy's node, else the home
    /// node of a bind or preferred-many one; none otherwise.
    pub fn futex_node(&self) -> Option<u32> {
        match self.mode {
            PolicyMode::Preferred => Some(self.nodes.trailing_zeros()),
            PolicyMode::Bind | PolicyMode::PreferredMany => self.home,
            _ => None,
        }
    }
}

/// What a policy slot holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MpolState {
    #[default]
    Free,
    Live,
    /// Its last reference went; the free waits for a grace period that
    /// began with these read sections open.
    Freeing([Option<u64>; TASKS]),
}

/// Per-slot metadata of the policies.
#[derive(Clone, Copy, Debug, Default)]
pub struct MpolMeta {
    pub state: MpolState,
    pub generation: u32,
    /// A read of it after it was freed was reported already.
    pub read_after_free: bool,
}

/// Nodes 0 and 1: the machine a scenario has unless it says otherwise.
pub const DEFAULT_NODES: u64 = 0b11;

impl World {
    /// Whether node `node` is in the machine's possible-node map.
    pub fn node_possible(&self, node: i64) -> bool {
        (0..i64::from(MAX_NUMNODES)).contains(&node) && self.possible_nodes & (1 << node) != 0
    }

    /// Sets the machine's possible nodes (a bit per node).
    pub fn set_possible_nodes(&mut self, nodes: u64) -> Result<(), WorldError> {
        if nodes == 0 {
            return Err(WorldError::Invalid(
                "a machine has at least one node".into(),
            ));
        }
        self.possible_nodes = nodes;
        Ok(())
    }

    /// Whether the machine has every node `policy` names.
    pub fn policy_fits(&self, policy: &Policy) -> bool {
        policy.nodes & !self.possible_nodes == 0
            && policy.home.is_none_or(|h| self.node_possible(i64::from(h)))
    }

    /// A new policy (`mpol_new()`), `None` for the default one.
    pub fn new_policy(&mut self, policy: Policy) -> Result<Option<MpolId>, WorldError> {
        if policy.mode == PolicyMode::Default {
            return Ok(None);
        }
        policy.check().map_err(WorldError::Invalid)?;
        if !self.policy_fits(&policy) {
            return Err(WorldError::Invalid(
                "a policy names a node the machine does not have".into(),
            ));
        }
        let id = self.alloc_policy_slot()?;
        let raw = &mut self.mem.mempolicies[id.0];
        raw.refcnt.counter = 1;
        raw.mode = policy.mode.mpol();
        raw.flags = 0;
        raw.nodes.bits = [policy.nodes as _];
        raw.home_node = policy.home.map_or(-1, |h| h as i32);
        Ok(Some(id))
    }

    /// A free slot, the one after the last handed out first: a freed policy
    /// is not reused before the others.
    fn alloc_policy_slot(&mut self) -> Result<MpolId, WorldError> {
        let n = MPOL_SLOTS - 1;
        let found = (0..n)
            .map(|i| 1 + (self.last_policy_slot + i) % n)
            .find(|&s| self.mpols[s].state == MpolState::Free)
            .ok_or(WorldError::Capacity("memory policies", n))?;
        self.last_policy_slot = found;
        let meta = &mut self.mpols[found];
        meta.state = MpolState::Live;
        meta.generation += 1;
        meta.read_after_free = false;
        Ok(MpolId(found))
    }

    /// What a live policy says, read back from its C object.
    pub fn policy(&self, id: MpolId) -> Policy {
        let raw = &self.mem.mempolicies[id.0];
        let mode = PolicyMode::ALL
            .into_iter()
            .find(|m| m.mpol() == raw.mode)
            .unwrap_or(PolicyMode::Default);
        Policy {
            mode,
            nodes: raw.nodes.bits[0] as u64,
            home: u32::try_from(raw.home_node).ok(),
        }
    }

    /// `mpol_dup()`: a vma's own copy of a policy.
    pub fn dup_policy(&mut self, id: Option<MpolId>) -> Result<Option<MpolId>, WorldError> {
        match id {
            None => Ok(None),
            Some(id) => {
                let policy = self.policy(id);
                self.new_policy(policy)
            }
        }
    }

    /// `mpol_put()`: the last reference frees the policy, at once or after
    /// a grace period, as the era does.
    pub fn put_policy(&mut self, id: Option<MpolId>) {
        let Some(id) = id else { return };
        if self.mpols[id.0].state != MpolState::Live {
            return;
        }
        let refcnt = &mut self.mem.mempolicies[id.0].refcnt.counter;
        *refcnt -= 1;
        if *refcnt > 0 {
            return;
        }
        match self.era.rules().policy_free {
            PolicyFree::AtOnce => self.free_policy(id),
            PolicyFree::AfterGracePeriod => {
                self.mpols[id.0].state = MpolState::Freeing(self.open_sections());
                self.policies_freeing += 1;
            }
        }
    }

    fn free_policy(&mut self, id: MpolId) {
        self.mpols[id.0].state = MpolState::Free;
        self.mem.poison_mempolicy(id.0);
    }

    /// RCU callbacks whose grace period is over: the policies `kfree_rcu()`
    /// was waiting to free. The kernel may run them at any time after;
    /// the model runs them as soon as it can.
    pub fn run_rcu_callbacks(&mut self) {
        if self.policies_freeing == 0 {
            return;
        }
        for slot in 1..MPOL_SLOTS {
            if let MpolState::Freeing(sections) = self.mpols[slot].state {
                if self.grace_period_waits(&sections).is_none() {
                    self.free_policy(MpolId(slot));
                    self.policies_freeing -= 1;
                }
            }
        }
    }

    /// The policy a pointer names, if it names one (not the sentinel).
    pub fn policy_at(&self, addr: usize) -> Option<MpolId> {
        match self.mem.resolve(addr)? {
            super::memory::Resolved {
                slot: super::memory::Slot::Mempolicy(s),
                offset: 0,
                ..
            } if s > 0 => Some(MpolId(s)),
            _ => None,
        }
    }

    /// Whether a policy slot holds a policy a reader may still use: live,
    /// or freed but waiting for a grace period.
    pub fn policy_readable(&self, id: MpolId) -> bool {
        id.0 > 0 && self.mpols[id.0].state != MpolState::Free
    }

    /// A plain access to `addr` in the policies' memory: a use after free
    /// when its policy is freed, reported once per policy.
    pub fn check_policy_access(&mut self, addr: usize, write: bool) {
        let Some(super::memory::Resolved {
            slot: super::memory::Slot::Mempolicy(slot),
            field,
            ..
        }) = self.mem.resolve(addr)
        else {
            return;
        };
        if self.policy_readable(MpolId(slot)) || self.mpols[slot].read_after_free {
            return;
        }
        self.mpols[slot].read_after_free = true;
        let access = if write { "write to" } else { "read of" };
        let what = if slot == 0 {
            "a poisoned mempolicy pointer".to_string()
        } else {
            format!("freed mempolicy#{slot}")
        };
        self.report(
            crate::finding::FindingClass::UseAfterFree,
            format!("{access} {what} ({field})"),
        );
    }

    /// The policies of the vmas of `[start, end)` of `mm`.
    pub fn policies_in(&self, mm: super::MmId, start: u64, end: u64) -> Vec<MpolId> {
        self.vmas(mm)
            .iter()
            .filter(|v| v.start < end && start < v.end)
            .filter_map(|v| self.vma_policy(v))
            .collect()
    }

    /// What became of `policies` since they were listed, in words: those
    /// freed, and those waiting for a grace period to be.
    pub fn policies_gone(&self, policies: &[MpolId]) -> String {
        let mut out = String::new();
        for id in policies {
            match self.mpols[id.0].state {
                MpolState::Free => out.push_str(&format!("; mempolicy#{} freed", id.0)),
                MpolState::Freeing(_) => out.push_str(&format!(
                    "; mempolicy#{} put, to be freed after a grace period",
                    id.0
                )),
                MpolState::Live => {}
            }
        }
        out
    }

    /// The policy of a vma, as its `vm_policy` holds it.
    pub fn vma_policy(&self, vma: &Vma) -> Option<MpolId> {
        self.policy_at(self.mem.vmas[vma.slot].vm_policy as usize)
    }

    /// Sets the policy pointer of a vma's C object.
    pub(super) fn set_vma_policy(&mut self, vma: &Vma, id: Option<MpolId>) {
        let ptr = match id {
            Some(id) => self.mem.mempolicy_ptr(id.0),
            None => std::ptr::null_mut(),
        };
        self.mem.vmas[vma.slot].vm_policy = ptr;
    }

    /// The node a FUTEX2_MPOL futex at `addr` of `mm` takes from its vma's
    /// policy (`__futex_key_to_node()` on the world as it is).
    pub fn policy_node(&self, mm: super::MmId, addr: u64) -> Option<u32> {
        let vma = self.find_vma(mm, addr)?;
        let id = self.vma_policy(&vma)?;
        self.policy(id).futex_node()
    }
}
