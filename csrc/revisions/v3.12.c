// SPDX-License-Identifier: GPL-2.0
/*
 * v3.12 - get_futex_key() as Linux 3.12 shipped it, in our own words.
 * futex-diff: era=3
 *
 * The locked baseline: the head page is locked around every look at
 * page->mapping, so truncation, swap-out and inode eviction cannot change
 * the mapping while the key is being built.  THP tail pages are resolved to
 * their head with interrupts off, which holds off a split (it needs a TLB
 * flush IPI to complete).
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
 * Must be called from process context, with no locks held: it may fault and
 * sleep on the page lock.
 *
 * Return: 0 with @key filled in, or a negative error code.
 */
static int
get_futex_key(u32 __user *uaddr, int fshared, union futex_key *key, int rw)
{
	unsigned long address = (unsigned long)uaddr;
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
		 * until it is pinned.  The lookup asks for write access even
		 * when the first one settled for read (3.13 fixed that).
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

	lock_page(page_head);

	/*
	 * No mapping: not an anonymous page.  The zero page, the gate area
	 * and pages truncated or invalidated after GUP found them all end up
	 * here, and failing is fine for them.  A shmem page that reclaim has
	 * just moved into the swap cache also has no mapping, but it is still
	 * the same futex word: look it up again, which swaps it back in.
	 */
	if (!page_head->mapping) {
		int shmem_swizzled = PageSwapCache(page_head);

		unlock_page(page_head);
		put_page(page_head);
		if (shmem_swizzled)
			goto again;
		return -EFAULT;
	}

	/*
	 * An anonymous page belongs to this mm: key on (mm, address).  Any
	 * other page is key on (inode, index) so that every process mapping
	 * the object, even read-only, meets on the same key.
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
	} else {
		key->both.offset |= FUT_OFF_INODE;	/* pins the inode */
		key->shared.inode = page_head->mapping->host;
		key->shared.pgoff = basepage_index(page);
	}

	/* Still under the page lock: the mapping cannot have changed. */
	get_futex_key_refs(key);

out:
	unlock_page(page_head);
	put_page(page_head);
	return err;
}

static inline void put_futex_key(union futex_key *key)
{
	drop_futex_key_refs(key);
}
