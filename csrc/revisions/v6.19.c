// SPDX-License-Identifier: GPL-2.0
/*
 * v6.19 - get_futex_key() as Linux 6.19 shipped it (kernel/futex/core.c),
 * in our own words.
 * futex-diff: era=6.16
 *
 * v6.13's lookup behind the NUMA node of futex2: a FUTEX2_NUMA futex is
 * two words, the value and the node whose hash table holds it; a node word
 * of FUTEX_NO_NODE is filled in, from the vma's memory policy under
 * FUTEX2_MPOL, else with the calling CPU's node.  The policy is looked up
 * without the mmap lock first (RCU and the lock's sequence count), then
 * under it.  6.19 reads and writes the node word with get_user_inline()
 * and put_user_inline() (6.16 to 6.18 open-code the same accesses).  A
 * replaced policy is freed at once in this release: 7.0 frees it after a
 * grace period and reads vma->vm_policy with READ_ONCE().
 */
#include <linux/mm.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/pagemap.h>
#include <linux/fault-inject.h>
#include <linux/mempolicy.h>
#include <linux/mmap_lock.h>
#include <linux/uaccess.h>
#include <linux/cleanup.h>

#ifdef CONFIG_FAIL_FUTEX

static struct {
	struct fault_attr attr;

	bool ignore_private;
} fail_futex = {
	.attr = FAULT_ATTR_INITIALIZER,
	.ignore_private = false,
};

static int __init setup_fail_futex(char *str)
{
	return setup_fault_attr(&fail_futex.attr, str);
}
__setup("fail_futex=", setup_fail_futex);

/* Fault injection point; private futexes may be exempted. */
static bool should_fail_futex(bool fshared)
{
	if (fail_futex.ignore_private && !fshared)
		return false;

	return should_fail(&fail_futex.attr, 1);
}

#else

static inline bool should_fail_futex(bool fshared)
{
	return false;
}

#endif /* CONFIG_FAIL_FUTEX */

/* The futex flags of kernel/futex/futex.h this function reads. */
#define FLAGS_SIZE_8		0x0000
#define FLAGS_SIZE_16		0x0001
#define FLAGS_SIZE_32		0x0002
#define FLAGS_SIZE_64		0x0003
#define FLAGS_SIZE_MASK		0x0003
#ifdef CONFIG_MMU
# define FLAGS_SHARED		0x0010
#else
/* Without an MMU every futex is private. */
# define FLAGS_SHARED		0x0000
#endif
#define FLAGS_NUMA		0x0080
#define FLAGS_MPOL		0x0200

/* The size of one futex word, from the size bits of the flags. */
static inline unsigned int futex_size(unsigned int flags)
{
	return 1 << (flags & FLAGS_SIZE_MASK);
}

/* What the caller does with the word: FUTEX_WAIT only reads it. */
enum futex_access {
	FUTEX_READ,
	FUTEX_WRITE
};

#ifdef CONFIG_FUTEX_MPOL

/*
 * The node a vma's own memory policy puts the futex on: a preferred
 * policy's node, or the home node of a bind or preferred-many one.
 * Anything else, or no vma, names no node.
 */
static int __futex_key_to_node(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	struct mempolicy *mpol;
	int node = FUTEX_NO_NODE;

	if (!vma)
		return FUTEX_NO_NODE;

	mpol = vma_policy(vma);
	if (!mpol)
		return FUTEX_NO_NODE;

	switch (mpol->mode) {
	case MPOL_PREFERRED:
		node = first_node(mpol->nodes);
		break;
	case MPOL_PREFERRED_MANY:
	case MPOL_BIND:
		if (mpol->home_node != NUMA_NO_NODE)
			node = mpol->home_node;
		break;
	default:
		break;
	}

	return node;
}

/*
 * The lookup above without the mmap lock: under RCU, and only if no
 * writer held or took the lock meanwhile (its sequence count is even and
 * unchanged).  -EBUSY and -EAGAIN, both below FUTEX_NO_NODE, send the
 * caller to the locked lookup.
 */
static int futex_key_to_node_opt(struct mm_struct *mm, unsigned long addr)
{
	int seq, node;

	guard(rcu)();

	if (!mmap_lock_speculate_try_begin(mm, &seq))
		return -EBUSY;

	node = __futex_key_to_node(mm, addr);

	if (mmap_lock_speculate_retry(mm, seq))
		return -EAGAIN;

	return node;
}

static int futex_mpol(struct mm_struct *mm, unsigned long addr)
{
	int node;

	node = futex_key_to_node_opt(mm, addr);
	if (node >= FUTEX_NO_NODE)
		return node;

	/* A writer was there: ask again with the lock held. */
	guard(mmap_read_lock)(mm);
	return __futex_key_to_node(mm, addr);
}

#else /* !CONFIG_FUTEX_MPOL */

static int futex_mpol(struct mm_struct *mm, unsigned long addr)
{
	return FUTEX_NO_NODE;
}

#endif /* CONFIG_FUTEX_MPOL */

/*
 * The inode's number for futex keys, unique for the life of the machine
 * (a u64 counting at any realistic rate does not wrap).  It is assigned
 * on first use; two racing callers agree through the cmpxchg, and the
 * loser returns the winner's number.
 */
static u64 get_inode_sequence_number(struct inode *inode)
{
	static atomic64_t i_seq;
	u64 old;

	/* Numbered already: the common case. */
	old = atomic64_read(&inode->i_sequence);
	if (likely(old))
		return old;

	for (;;) {
		u64 new = atomic64_inc_return(&i_seq);
		/* Zero means "no number": never hand it out. */
		if (WARN_ON_ONCE(!new))
			continue;

		/* A racing caller numbered it first: take its number. */
		old = 0;
		if (!atomic64_try_cmpxchg_relaxed(&inode->i_sequence, &old, new))
			return old;
		return new;
	}
}

/**
 * get_futex_key() - compute the key that identifies a futex word
 * @uaddr:	user address of the futex word
 * @flags:	FLAGS_*: the word's size, FLAGS_SHARED for a futex other
 *		processes may share, FLAGS_NUMA and FLAGS_MPOL for the node
 * @key:	filled in with the key
 * @rw:		FUTEX_READ when read access is enough, else FUTEX_WRITE
 *
 * Key layout:
 *  - private futex:    ( mm, address & PAGE_MASK, offset )
 *  - anonymous page:   ( mm, address & PAGE_MASK, offset | FUT_OFF_MMSHARED )
 *  - page cache page:  ( inode->i_sequence, base page index,
 *                        offset | FUT_OFF_INODE )
 * and in every case key->both.node: the node whose hash table the futex
 * lives in, or FUTEX_NO_NODE to let the key's hash pick one.  No key holds
 * a reference.
 *
 * Must be called from process context, with no locks held: it may fault,
 * take the mmap lock, and sleep on the folio lock.
 *
 * Return: 0 with @key filled in, or a negative error code.
 */
static int get_futex_key(u32 __user *uaddr, unsigned int flags,
			 union futex_key *key, enum futex_access rw)
{
	unsigned long address = (unsigned long)uaddr;
	struct mm_struct *mm = current->mm;
	struct page *page;
	struct folio *folio;
	struct address_space *mapping;
	int node, err, size, ro = 0;
	bool node_updated = false;
	bool fshared;

	fshared = flags & FLAGS_SHARED;
	/* A NUMA futex is two words: the value, then its node. */
	size = futex_size(flags);
	if (flags & FLAGS_NUMA)
		size *= 2;

	/* The futex must be aligned on its whole size. */
	key->both.offset = address % PAGE_SIZE;
	if (unlikely((address % size) != 0))
		return -EINVAL;
	address -= key->both.offset;

	if (unlikely(!access_ok(uaddr, size)))
		return -EFAULT;

	if (unlikely(should_fail_futex(fshared)))
		return -EFAULT;

	node = FUTEX_NO_NODE;

	if (flags & FLAGS_NUMA) {
		u32 __user *naddr = (void *)uaddr + size / 2;

		if (get_user_inline(node, naddr))
			return -EFAULT;

		/* A node the user names must be one the machine can have. */
		if ((node != FUTEX_NO_NODE) &&
		    ((unsigned int)node >= MAX_NUMNODES || !node_possible(node)))
			return -EINVAL;
	}

	if (node == FUTEX_NO_NODE && (flags & FLAGS_MPOL)) {
		node = futex_mpol(mm, address);
		node_updated = true;
	}

	if (flags & FLAGS_NUMA) {
		u32 __user *naddr = (void *)uaddr + size / 2;

		/*
		 * No node yet: this CPU's.  Whatever was chosen here goes back
		 * to the word, so that the next caller finds it there.
		 */
		if (node == FUTEX_NO_NODE) {
			node = numa_node_id();
			node_updated = true;
		}
		if (node_updated && put_user_inline(node, naddr))
			return -EFAULT;
	}

	key->both.node = node;

	/*
	 * A private futex is named by (mm, address) alone: no page, no vma.
	 * Without an MMU there is one address space, and no mm to name.
	 */
	if (!fshared) {
		if (IS_ENABLED(CONFIG_MMU))
			key->private.mm = mm;
		else
			key->private.mm = NULL;

		key->private.address = address;
		return 0;
	}

again:
	/* Injected failures may also hit the shared path on every retry. */
	if (unlikely(should_fail_futex(true)))
		return -EFAULT;

	err = get_user_pages_fast(address, 1, FOLL_WRITE, &page);
	/* FUTEX_WAIT only reads the word: a read-only mapping will do. */
	if (err == -EFAULT && rw == FUTEX_READ) {
		err = get_user_pages_fast(address, 1, 0, &page);
		ro = 1;
	}
	if (err < 0)
		return err;
	else
		err = 0;

	/*
	 * From here on the mapping is read without the folio lock, so every
	 * use below either needs no stable mapping (anonymous folios) or
	 * re-validates it first.  The folio carries the mapping; the page the
	 * address maps gives its place in the folio.
	 */
	folio = page_folio(page);
	mapping = READ_ONCE(folio->mapping);

	/*
	 * No mapping: the zero page, the gate area, or a page truncated or
	 * invalidated since GUP found it, all of which may fail.  A shmem page
	 * that reclaim moved into the swap cache has no mapping either and must
	 * be looked up again; so must one that got its mapping back meanwhile.
	 */
	if (unlikely(!mapping)) {
		int shmem_swizzled;

		/* Under the folio lock the shmem folio cannot change state. */
		folio_lock(folio);
		shmem_swizzled = folio_test_swapcache(folio) || folio->mapping;
		folio_unlock(folio);
		folio_put(folio);

		if (shmem_swizzled)
			goto again;

		return -EFAULT;
	}

	/*
	 * An anonymous page keys on the mm, which our own task keeps alive.
	 * Any other page keys on its inode, so that every process mapping the
	 * object, even read-only, meets on the same key.
	 */
	if (folio_test_anon(folio)) {
		/* A read-only anonymous page can never hold a live futex. */
		if (unlikely(should_fail_futex(true)) || ro) {
			err = -EFAULT;
			goto out;
		}

		key->both.offset |= FUT_OFF_MMSHARED;
		key->private.mm = mm;
		key->private.address = address;

	} else {
		struct inode *inode;

		/*
		 * The inode is reached through the mapping read above, without
		 * the folio lock.  Inodes are freed after an RCU grace period,
		 * so inside the read section it stays valid provided the folio
		 * still has that mapping.  Only its number is taken.
		 */
		rcu_read_lock();

		if (READ_ONCE(folio->mapping) != mapping) {
			rcu_read_unlock();
			folio_put(folio);

			goto again;
		}

		inode = READ_ONCE(mapping->host);
		if (!inode) {
			rcu_read_unlock();
			folio_put(folio);

			goto again;
		}

		key->both.offset |= FUT_OFF_INODE;
		key->shared.i_seq = get_inode_sequence_number(inode);
		/* The page's offset in the file: its folio's, plus its place. */
		key->shared.pgoff = page_pgoff(folio, page);
		rcu_read_unlock();
	}

out:
	folio_put(folio);
	return err;
}
