// SPDX-License-Identifier: GPL-2.0
/*
 * no-recheck - a test-only user revision: v4.7 without the re-check of
 * page->mapping inside the RCU read section.  It stands for a patch a
 * kernel developer would bring with FUTEX_DIFF_REVISIONS; the tests build
 * it that way and check it is listed and runs.
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

/* Pin the mm of an anonymous shared key; the increment orders like smp_mb(). */
static inline void futex_get_mm(union futex_key *key)
{
	atomic_inc(&key->private.mm->mm_count);
	smp_mb__after_atomic();
}

/*
 * Take the reference a key stands for.  Every path also acts as a full
 * barrier, which the waiter/waker accounting of futex_wake() relies on.
 */
static void get_futex_key_refs(union futex_key *key)
{
	if (!key->both.ptr)
		return;

	switch (key->both.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED)) {
	case FUT_OFF_INODE:
		ihold(key->shared.inode);
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

	switch (key->both.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED)) {
	case FUT_OFF_INODE:
		iput(key->shared.inode);
		break;
	case FUT_OFF_MMSHARED:
		mmdrop(key->private.mm);
		break;
	}
}

/**
 * get_futex_key() - compute the key that identifies a futex word
 * @uaddr:	user address of the futex word
 * @fshared:	0 for a process-private futex, 1 for a shared one
 * @key:	filled in with the key
 * @rw:		VERIFY_READ when read access is enough, else VERIFY_WRITE
 *
 * Key layout:
 *  - private futex:    ( mm, address & PAGE_MASK, offset )
 *  - anonymous page:   ( mm, address & PAGE_MASK, offset | FUT_OFF_MMSHARED )
 *  - page cache page:  ( inode, base page index, offset | FUT_OFF_INODE )
 * A shared key holds a reference on its mm or inode until put_futex_key().
 *
 * Must be called from process context, with no locks held: it may fault,
 * and sleeps on the page lock only when the page has no mapping.
 *
 * Return: 0 with @key filled in, or a negative error code.
 */
static int
get_futex_key(u32 __user *uaddr, int fshared, union futex_key *key, int rw)
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

	if (unlikely(!access_ok(rw, uaddr, sizeof(u32))))
		return -EFAULT;

	if (unlikely(should_fail_futex(fshared)))
		return -EFAULT;

	/*
	 * A private futex is named by (mm, address) alone: no page, no vma.
	 * The call still has to act as a barrier, which the refs helper does.
	 */
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

	err = get_user_pages_fast(address, 1, 1, &page);
	/* FUTEX_WAIT only reads the word: a read-only mapping will do. */
	if (err == -EFAULT && rw == VERIFY_READ) {
		err = get_user_pages_fast(address, 1, 0, &page);
		ro = 1;
	}
	if (err < 0)
		return err;
	else
		err = 0;

	/*
	 * From here on the mapping is read without the page lock.  It may
	 * change under us at any point, so every use below either needs no
	 * stable mapping (anonymous pages) or re-validates it first.  A
	 * pinned compound page cannot be split, so its head stays its head.
	 */
	tail = page;
	page = compound_head(page);
	mapping = READ_ONCE(page->mapping);

	/*
	 * No mapping: the zero page, the gate area, or a page truncated or
	 * invalidated since GUP found it, all of which may fail.  Our page
	 * reference keeps drop_caches from clearing the mapping.  A shmem page
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

		key->both.offset |= FUT_OFF_MMSHARED;	/* pins the mm */
		key->private.mm = mm;
		key->private.address = address;

		get_futex_key_refs(key);	/* also the barrier */

	} else {
		struct inode *inode;

		/*
		 * The inode is reached through the mapping read above, without
		 * the page lock.  Inodes are freed after an RCU grace period,
		 * so inside the read section it stays valid provided the page
		 * still has that mapping.
		 */
		rcu_read_lock();

		inode = READ_ONCE(mapping->host);
		if (!inode) {
			rcu_read_unlock();
			put_page(page);

			goto again;
		}

		/*
		 * The inode may be on its way out: only take a reference if
		 * someone else still holds one.  Failing means a truncation
		 * raced with us, which is worth a warning; look again.  Success
		 * is a full barrier too, as get_futex_key_refs() would have been.
		 */
		if (WARN_ON_ONCE(!atomic_inc_not_zero(&inode->i_count))) {
			rcu_read_unlock();
			put_page(page);

			goto again;
		}

		/* The inode must still own the mapping we came through. */
		if (WARN_ON_ONCE(inode->i_mapping != mapping)) {
			err = -EFAULT;
			rcu_read_unlock();
			iput(inode);

			goto out;
		}

		key->both.offset |= FUT_OFF_INODE;	/* pins the inode */
		key->shared.inode = inode;
		/* The index of the base page the address maps, not of the head. */
		key->shared.pgoff = basepage_index(tail);
		rcu_read_unlock();
	}

out:
	put_page(page);
	return err;
}

static inline void put_futex_key(union futex_key *key)
{
	drop_futex_key_refs(key);
}
