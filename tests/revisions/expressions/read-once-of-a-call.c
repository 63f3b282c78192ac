// SPDX-License-Identifier: GPL-2.0
/*
 * read-once-of-a-call - test-only: a marked read whose argument makes a
 * kernel call (compound_head()).  READ_ONCE() evaluates its argument once,
 * as the kernel's does: the call is one yield point, the read another.
 */
#include <linux/mm.h>
#include <linux/futex.h>

static int
get_futex_key(u32 __user *uaddr, int fshared, union futex_key *key, int rw)
{
	unsigned long address = (unsigned long)uaddr;
	struct page *page;
	struct address_space *mapping;
	int err;

	key->both.offset = address % PAGE_SIZE;
	address -= key->both.offset;
	err = get_user_pages_fast(address, 1, 1, &page);
	if (err < 0)
		return err;
	mapping = READ_ONCE(compound_head(page)->mapping);
	mapping = ACCESS_ONCE(compound_head(page)->mapping);
	put_page(page);
	key->private.mm = current->mm;
	key->private.address = address;
	return mapping ? 0 : -EFAULT;
}

static inline void put_futex_key(union futex_key *key)
{
}
