// SPDX-License-Identifier: GPL-2.0
/*
 * futex-diff: era=3
 * rfc-2013 - v3.12 with the October 2013 RFC "futex: Remove requirement for
 * lock_page in get_futex_key" applied, in our own words.
 *
 * The page lock is gone from the common path.  The mapping is read once
 * without it; anonymous pages need nothing more, and file pages pin their
 * inode under RCU after re-checking that the page still has the mapping
 * that was read, with atomic_inc_not_zero() refusing an inode whose last
 * reference is already gone.  Only a NULL mapping takes the page lock, to
 * tell a truncated page from a shmem page on its way to swap.
 */
#include <linux/mm.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/pagemap.h>
#include <linux/hugetlb.h>

/*
 * Take the reference a key stands for: the inode for a file-backed key, the
 * mm for an anonymous shared key, nothing for a private key.
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
		atomic_inc(&key->private.mm->mm_count);
		break;
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
	struct address_space *mapping;
	struct mm_struct *mm = current->mm;
	struct page *page, *page_head;
	int err, ro = 0;

	/* The word must be aligned on its own size. */
	key->both.offset = address % PAGE_SIZE;
	if (unlikely((address % sizeof(u32)) != 0))
		return -EINVAL;
	address -= key->both.offset;

	/*
	 * A private futex is named by (mm, address) alone; the mm cannot go
	 * away under its own task, so checking the range is all it takes.
	 */
	if (!fshared) {
		if (unlikely(!access_ok(VERIFY_WRITE, uaddr, sizeof(u32))))
			return -EFAULT;
		key->private.mm = mm;
		key->private.address = address;
		get_futex_key_refs(key);
		return 0;
	}

again:
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

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	page_head = page;
	if (unlikely(PageTail(page))) {
		put_page(page);
		/*
		 * With interrupts off a THP split cannot finish on another
		 * CPU, so the head found through the tail stays the head
		 * until it is pinned.
		 */
		local_irq_disable();
		if (likely(__get_user_pages_fast(address, 1, 1, &page) == 1)) {
			page_head = compound_head(page);
			/*
			 * Pin the head before interrupts come back on: once a
			 * split completes, the head may be freed, and its
			 * lock could not be taken safely.
			 */
			if (page != page_head) {
				get_page(page_head);
				put_page(page);
			}
			local_irq_enable();
		} else {
			local_irq_enable();
			goto again;
		}
	}
#else
	page_head = compound_head(page);
	if (page != page_head) {
		get_page(page_head);
		put_page(page);
	}
#endif

	/*
	 * From here on the mapping is read without the page lock.  It may
	 * change under us at any point, so every use below either needs no
	 * stable mapping (anonymous pages) or re-validates it first.
	 */
	mapping = ACCESS_ONCE(page_head->mapping);

	/*
	 * No mapping: the zero page, the gate area, or a page truncated or
	 * invalidated since GUP found it, all of which may fail.  A shmem page
	 * that reclaim moved into the swap cache has no mapping either and must
	 * be looked up again.  Only the page lock tells the cases apart.
	 */
	if (!mapping) {
		int shmem_swizzled;

		lock_page(page_head);
		mapping = page_head->mapping;
		shmem_swizzled = PageSwapCache(page_head);
		unlock_page(page_head);

		put_page(page_head);
		WARN_ON_ONCE(mapping);

		if (shmem_swizzled)
			goto again;
		return -EFAULT;
	}

	/*
	 * An anonymous page keys on the mm, which our own task keeps alive:
	 * no page lock is needed to trust it.
	 */
	if (PageAnon(page_head)) {
		/* A read-only anonymous page can never hold a live futex. */
		if (ro) {
			err = -EFAULT;
			goto out;
		}

		key->both.offset |= FUT_OFF_MMSHARED;	/* pins the mm */
		key->private.mm = mm;
		key->private.address = address;

		get_futex_key_refs(key);
	} else {
		struct inode *inode;

		/*
		 * A file page keys on its inode, reached through the mapping
		 * read above.  Inodes are freed after an RCU grace period, so
		 * inside the read section the inode stays valid provided the
		 * page still has that mapping.
		 */
		rcu_read_lock();
		if (page->mapping != mapping || !mapping->host) {
			rcu_read_unlock();
			put_page(page_head);
			goto again;
		}
		inode = mapping->host;

		/*
		 * Without the page lock the inode may be on its way out: only
		 * take a reference if someone else still holds one.  Failing
		 * means a truncation raced with us; warn and retry.
		 */
		if (WARN_ON(!atomic_inc_not_zero(&inode->i_count))) {
			rcu_read_unlock();
			put_page(page_head);
			goto again;
		}

		/* The inode must still own the mapping we came through. */
		if (WARN_ON(inode->i_mapping != mapping)) {
			rcu_read_unlock();
			iput(inode);
			put_page(page_head);
			goto again;
		}

		key->both.offset |= FUT_OFF_INODE;	/* pins the inode */
		key->shared.inode = inode;
		key->shared.pgoff = basepage_index(page);
		rcu_read_unlock();
	}

out:
	put_page(page_head);
	return err;
}

static inline void put_futex_key(union futex_key *key)
{
	drop_futex_key_refs(key);
}
