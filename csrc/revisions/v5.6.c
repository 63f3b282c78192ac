// SPDX-License-Identifier: GPL-2.0
/*
 * v5.6 - get_futex_key() as Linux 5.6 shipped it, in our own words.
 * futex-diff: era=5.6
 *
 * v4.7's lockless lookup, with the inode key reworked by "futex: Fix inode
 * life-time issue" (5.6): the key no longer pins the inode.  It names the
 * inode by a machine-wide sequence number instead, handed out the first
 * time a futex names the inode and never reused, so a key cannot match an
 * inode that took a freed one's place.  The WARN around
 * atomic_inc_not_zero() (gone in 4.8) and the i_mapping check go with the
 * reference.  Anonymous shared keys still pin the mm.  The access argument
 * is an enum, and access_ok() lost its type argument (5.0).
 *
 * The price, which the kernel accepts: an inode evicted while nobody maps
 * it and read back in gets a new number, so a waiter on the old key is
 * not matched by a waker on the new one.  A well-formed program keeps the
 * file mapped while it waits, which keeps the inode.
 */
#include <linux/mm.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/pagemap.h>
#include <linux/hugetlb.h>
#include <linux/fault-inject.h>

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

/* Pin the mm of an anonymous shared key; the grab orders like smp_mb(). */
static inline void futex_get_mm(union futex_key *key)
{
	mmgrab(key->private.mm);
	smp_mb__after_atomic();
}

/*
 * Take the reference a key stands for: only an anonymous shared key has
 * one.  Every path is also the full barrier futex_wake() relies on.
 */
static void get_futex_key_refs(union futex_key *key)
{
	if (!key->both.ptr)
		return;

	/* Without an MMU every futex is private; the barrier remains. */
	if (!IS_ENABLED(CONFIG_MMU)) {
		smp_mb();
		return;
	}

	switch (key->both.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED)) {
	case FUT_OFF_INODE:
		/* The sequence number needs no reference. */
		smp_mb();
		break;
	case FUT_OFF_MMSHARED:
		futex_get_mm(key);
		break;
	default:
		/* A private key pins nothing but still needs the barrier. */
		smp_mb();
	}
}

/* Undo get_futex_key_refs(). */
static void drop_futex_key_refs(union futex_key *key)
{
	if (!key->both.ptr) {
		/* A key that was never filled in: a caller bug. */
		WARN_ON_ONCE(1);
		return;
	}

	if (!IS_ENABLED(CONFIG_MMU))
		return;

	switch (key->both.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED)) {
	case FUT_OFF_INODE:
		break;
	case FUT_OFF_MMSHARED:
		mmdrop(key->private.mm);
		break;
	}
}

/* What the caller does with the word: FUTEX_WAIT only reads it. */
enum futex_access {
	FUTEX_READ,
	FUTEX_WRITE
};

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
		u64 new = atomic64_add_return(1, &i_seq);
		/* Zero means "no number": never hand it out. */
		if (WARN_ON_ONCE(!new))
			continue;

		old = atomic64_cmpxchg_relaxed(&inode->i_sequence, 0, new);
		if (old)
			return old;
		return new;
	}
}

/**
 * get_futex_key() - compute the key that identifies a futex word
 * @uaddr:	user address of the futex word
 * @fshared:	0 for a process-private futex, 1 for a shared one
 * @key:	filled in with the key
 * @rw:		FUTEX_READ when read access is enough, else FUTEX_WRITE
 *
 * Key layout:
 *  - private futex:    ( mm, address & PAGE_MASK, offset )
 *  - anonymous page:   ( mm, address & PAGE_MASK, offset | FUT_OFF_MMSHARED )
 *  - page cache page:  ( inode->i_sequence, base page index,
 *                        offset | FUT_OFF_INODE )
 * A shared anonymous key holds a reference on its mm until put_futex_key();
 * an inode key holds none.
 *
 * Must be called from process context, with no locks held: it may fault,
 * and sleeps on the page lock only when the page has no mapping.
 *
 * Return: 0 with @key filled in, or a negative error code.
 */
static int
get_futex_key(u32 __user *uaddr, int fshared, union futex_key *key,
	      enum futex_access rw)
{
	unsigned long address = (unsigned long)uaddr;
	struct mm_struct *mm = current->mm;
	struct page *page, *tail;
	struct address_space *mapping;
	int err, ro = 0;

	/* The word must be aligned on its own size. */
	key->both.offset = address % PAGE_SIZE;
	if (unlikely((address % sizeof(u32)) != 0))
		return -EINVAL;
	address -= key->both.offset;

	if (unlikely(!access_ok(uaddr, sizeof(u32))))
		return -EFAULT;

	if (unlikely(should_fail_futex(fshared)))
		return -EFAULT;

	/* A private futex is named by (mm, address) alone: no page, no vma. */
	if (!fshared) {
		key->private.mm = mm;
		key->private.address = address;
		get_futex_key_refs(key);
		return 0;
	}

again:
	/* Injected failures may also hit the shared path on every retry. */
	if (unlikely(should_fail_futex(fshared)))
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
	 * From here on the mapping is read without the page lock, so every
	 * use below either needs no stable mapping (anonymous pages) or
	 * re-validates it first.  The head carries the mapping; the tail the
	 * address maps gives the index.
	 */
	tail = page;
	page = compound_head(page);
	mapping = READ_ONCE(page->mapping);

	/*
	 * No mapping: the zero page, the gate area, or a page truncated or
	 * invalidated since GUP found it, all of which may fail.  A shmem page
	 * that reclaim moved into the swap cache has no mapping either and must
	 * be looked up again; so must one that got its mapping back meanwhile.
	 */
	if (unlikely(!mapping)) {
		int shmem_swizzled;

		/* Under the page lock the shmem page cannot change state. */
		lock_page(page);
		shmem_swizzled = PageSwapCache(page) || page->mapping;
		unlock_page(page);
		put_page(page);

		if (shmem_swizzled)
			goto again;

		return -EFAULT;
	}

	/*
	 * An anonymous page keys on the mm, which our own task keeps alive.
	 * Any other page keys on its inode, so that every process mapping the
	 * object, even read-only, meets on the same key.
	 */
	if (PageAnon(page)) {
		/* A read-only anonymous page can never hold a live futex. */
		if (unlikely(should_fail_futex(fshared)) || ro) {
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
		 * the page lock.  Inodes are freed after an RCU grace period,
		 * so inside the read section it stays valid provided the page
		 * still has that mapping.  Only its number is taken.
		 */
		rcu_read_lock();

		if (READ_ONCE(page->mapping) != mapping) {
			rcu_read_unlock();
			put_page(page);

			goto again;
		}

		inode = READ_ONCE(mapping->host);
		if (!inode) {
			rcu_read_unlock();
			put_page(page);

			goto again;
		}

		key->both.offset |= FUT_OFF_INODE;
		key->shared.i_seq = get_inode_sequence_number(inode);
		/* The index of the base page the address maps, not of the head. */
		key->shared.pgoff = basepage_index(tail);
		rcu_read_unlock();
	}

		get_futex_key_refs(key);	/* also the barrier */

out:
	put_page(page);
	return err;
}

static inline void put_futex_key(union futex_key *key)
{
	drop_futex_key_refs(key);
}
