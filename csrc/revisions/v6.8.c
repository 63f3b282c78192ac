// SPDX-License-Identifier: GPL-2.0
/*
 * v6.8 - get_futex_key() as Linux 6.8 shipped it (kernel/futex/core.c),
 * in our own words.
 * futex-diff: era=6.8
 *
 * v5.13 on folios, with the futex flags of 6.7: the caller passes its
 * FLAGS_* word and a shared futex is FLAGS_SHARED.  The page GUP returns
 * belongs to a folio, whose mapping and lock the lookup uses; the inode
 * key's index is the folio's index plus the page's place in the folio
 * (for hugetlb too: from 6.7 a hugetlb folio's index counts base pages).
 * Keys hold no reference; there is no put_futex_key().
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

/* The futex flags of kernel/futex/futex.h this function reads. */
#ifdef CONFIG_MMU
# define FLAGS_SHARED		0x0010
#else
/* Without an MMU every futex is private. */
# define FLAGS_SHARED		0x0000
#endif

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
 * @flags:	FLAGS_*: FLAGS_SHARED for a futex other processes may share
 * @key:	filled in with the key
 * @rw:		FUTEX_READ when read access is enough, else FUTEX_WRITE
 *
 * Key layout:
 *  - private futex:    ( mm, address & PAGE_MASK, offset )
 *  - anonymous page:   ( mm, address & PAGE_MASK, offset | FUT_OFF_MMSHARED )
 *  - page cache page:  ( inode->i_sequence, base page index,
 *                        offset | FUT_OFF_INODE )
 * No key holds a reference.
 *
 * Must be called from process context, with no locks held: it may fault,
 * and sleeps on the page lock only when the page has no mapping.
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
	int err, ro = 0;
	bool fshared;

	fshared = flags & FLAGS_SHARED;

	/* The word must be aligned on its own size. */
	key->both.offset = address % PAGE_SIZE;
	if (unlikely((address % sizeof(u32)) != 0))
		return -EINVAL;
	address -= key->both.offset;

	if (unlikely(!access_ok(uaddr, sizeof(u32))))
		return -EFAULT;

	if (unlikely(should_fail_futex(fshared)))
		return -EFAULT;

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
		key->shared.pgoff = folio->index + folio_page_idx(folio, page);
		rcu_read_unlock();
	}

out:
	folio_put(folio);
	return err;
}
