// SPDX-License-Identifier: GPL-2.0
/*
 * v3.12-in-expressions - test-only: v3.12's get_futex_key(), the same calls
 * in the same order, with the kernel functions only 3.12 uses (the THP
 * tail dance with irqs off) in expressions and through pointers.  It must
 * run in lockstep with v3.12's port.
 * futex-diff: era=3
 */
#include <linux/mm.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/pagemap.h>
#include <linux/hugetlb.h>

static int (*const tail_op)(struct page *) = PageTail;
static void (*const irq_off)(void) = local_irq_disable;
static void (*const irq_on)(void) = &local_irq_enable;
static int (*const gup_fast_op)(unsigned long, int, int, struct page **) =
	__get_user_pages_fast;
static void (*const get_page_op)(struct page *) = get_page;

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

static void drop_futex_key_refs(union futex_key *key)
{
	if (!key->both.ptr) {
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

static int
get_futex_key(u32 __user *uaddr, int fshared, union futex_key *key, int rw)
{
	unsigned long address = (unsigned long)uaddr;
	struct mm_struct *mm = current->mm;
	struct page *page, *page_head;
	int err, ro = 0;

	key->both.offset = address % PAGE_SIZE;
	if (unlikely((address % sizeof(u32)) != 0))
		return -EINVAL;
	address -= key->both.offset;

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
	if (err == -EFAULT && rw == VERIFY_READ) {
		err = get_user_pages_fast(address, 1, 0, &page);
		ro = 1;
	}
	if (err < 0)
		return err;
	else
		err = 0;

	page_head = page;
	if (unlikely(tail_op(page))) {
		put_page(page);
		if ((irq_off(), gup_fast_op(address, 1, 1, &page)) == 1) {
			page_head = compound_head(page);
			if (page != page_head)
				(get_page_op(page_head), put_page(page));
			irq_on();
		} else {
			(void)(irq_on(), 0);
			goto again;
		}
	}

	lock_page(page_head);

	if (!page_head->mapping) {
		int shmem_swizzled = PageSwapCache(page_head);

		(unlock_page(page_head), put_page(page_head));
		if (shmem_swizzled)
			goto again;
		return -EFAULT;
	}

	if (PageAnon(page_head)) {
		if (ro) {
			err = -EFAULT;
			goto out;
		}

		key->both.offset |= FUT_OFF_MMSHARED;
		key->private.mm = mm;
		key->private.address = address;
	} else {
		key->both.offset |= FUT_OFF_INODE;
		key->shared.inode = page_head->mapping->host;
		key->shared.pgoff = basepage_index(page);
	}

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
