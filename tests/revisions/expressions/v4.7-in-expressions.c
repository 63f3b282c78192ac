// SPDX-License-Identifier: GPL-2.0
/*
 * v4.7-in-expressions - test-only: v4.7's get_futex_key(), the same calls
 * in the same order, but every kernel function used as C allows a function
 * to be used: inside expressions (comma, conditional, assignment), through
 * function pointers, by address.  It must run in lockstep with v4.7's port.
 */
#include <linux/mm.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/pagemap.h>
#include <linux/hugetlb.h>
#include <linux/fault-inject.h>

static struct fault_attr fail_attr = FAULT_ATTR_INITIALIZER;

/* Every API through a pointer, as a table of operations would hold it. */
static bool (*const fail_op)(struct fault_attr *, ssize_t) = should_fail;
static int (*const gup_op)(unsigned long, int, int, struct page **) =
	get_user_pages_fast;
static struct page *(*const head_op)(struct page *) = compound_head;
static int (*const anon_op)(struct page *) = &PageAnon;
static void (*const lock_op)(struct page *) = lock_page;
static void (*const unlock_op)(struct page *) = unlock_page;
static int (*const swapcache_op)(struct page *) = PageSwapCache;
static void (*const put_op)(struct page *) = put_page;
static void (*const rcu_lock_op)(void) = rcu_read_lock;
static void (*const rcu_unlock_op)(void) = &rcu_read_unlock;
static void (*const inc_op)(atomic_t *) = atomic_inc;
static void (*const ihold_op)(struct inode *) = ihold;
static void (*const iput_op)(struct inode *) = iput;
static void (*const mmdrop_op)(struct mm_struct *) = mmdrop;
static pgoff_t (*const index_op)(struct page *) = basepage_index;

static bool should_fail_futex(bool fshared)
{
	return fail_op(&fail_attr, 1);
}

static void get_futex_key_refs(union futex_key *key)
{
	if (!key->both.ptr)
		return;

	switch (key->both.offset & (FUT_OFF_INODE | FUT_OFF_MMSHARED)) {
	case FUT_OFF_INODE:
		(void)(ihold_op(key->shared.inode), 0);
		break;
	case FUT_OFF_MMSHARED:
		if ((inc_op(&key->private.mm->mm_count), 0))
			return;
		smp_mb__after_atomic();
		break;
	default:
		smp_mb();
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
		key->shared.inode ? (iput_op(key->shared.inode), 1) : 0;
		break;
	case FUT_OFF_MMSHARED:
		(void)((mmdrop_op)(key->private.mm), 0);
		break;
	}
}

static int
get_futex_key(u32 __user *uaddr, int fshared, union futex_key *key, int rw)
{
	unsigned long address = (unsigned long)uaddr;
	struct mm_struct *mm = current->mm;
	struct page *page, *tail;
	struct address_space *mapping;
	int err, ro = 0;

	key->both.offset = address % PAGE_SIZE;
	if (unlikely((address % sizeof(u32)) != 0))
		return -EINVAL;
	address -= key->both.offset;

	if (unlikely(!access_ok(rw, uaddr, sizeof(u32))))
		return -EFAULT;

	if (unlikely(should_fail_futex(fshared)))
		return -EFAULT;

	if (!fshared) {
		key->private.mm = mm;
		key->private.address = address;
		get_futex_key_refs(key);
		return 0;
	}

again:
	if (unlikely(should_fail_futex(fshared)))
		return -EFAULT;

	/* The retry for read access, inside the condition that asks for it. */
	if ((err = gup_op(address, 1, 1, &page)) == -EFAULT && rw == VERIFY_READ &&
	    ((err = get_user_pages_fast(address, 1, 0, &page)), (ro = 1)))
		;
	if (err < 0)
		return err;
	err = 0;

	page = head_op(tail = page);
	mapping = READ_ONCE(page->mapping);

	if (unlikely(!mapping)) {
		int shmem_swizzled;

		shmem_swizzled = (lock_op(page), swapcache_op(page)) ||
				 page->mapping;
		(unlock_op(page), put_op(page));

		if (shmem_swizzled)
			goto again;

		return -EFAULT;
	}

	if (anon_op(page)) {
		if (unlikely(should_fail_futex(fshared)) || ro) {
			err = -EFAULT;
			goto out;
		}

		key->both.offset |= FUT_OFF_MMSHARED;
		key->private.mm = mm;
		key->private.address = address;

		get_futex_key_refs(key);

	} else {
		struct inode *inode;

		rcu_lock_op();

		if (READ_ONCE(page->mapping) != mapping) {
			(rcu_unlock_op(), put_page(page));
			goto again;
		}

		inode = READ_ONCE(mapping->host);
		if (!inode) {
			rcu_unlock_op();
			put_op(page);
			goto again;
		}

		/* Spelt as v4.7 spells it: a WARN names its condition's text. */
		if (WARN_ON_ONCE(!atomic_inc_not_zero(&inode->i_count))) {
			rcu_read_unlock();
			put_page(page);
			goto again;
		}

		if (WARN_ON_ONCE(inode->i_mapping != mapping)) {
			err = (rcu_read_unlock(), iput(inode), -EFAULT);
			goto out;
		}

		key->both.offset |= FUT_OFF_INODE;
		key->shared.inode = inode;
		key->shared.pgoff = index_op(tail);
		rcu_unlock_op();
	}

out:
	put_op(page);
	return err;
}

static inline void put_futex_key(union futex_key *key)
{
	drop_futex_key_refs(key);
}
