
/* Two keys name the same futex when all three words agree. */
static inline int match_futex(union futex_key *key1, union futex_key *key2)
{
	return (key1 && key2
		&& key1->both.word == key2->both.word
		&& key1->both.ptr == key2->both.ptr
		&& key1->both.offset == key2->both.offset);
}

/* Wake up to nr_wake waiters on the futex at uaddr. */
static int futex_wake(u32 __user *uaddr, unsigned int flags, int nr_wake, u32 bitset)
{
	struct futex_hash_bucket *hb;
	union futex_key key = FUTEX_KEY_INIT;
	int ret;

	ret = get_futex_key(uaddr, flags & FLAGS_SHARED, &key, VERIFY_READ);
	if (unlikely(ret != 0))
		goto out;
	hb = hash_futex(&key);
	spin_lock(&hb->lock);
	ret = wake_futex_waiters(hb, &key, nr_wake, bitset);
	spin_unlock(&hb->lock);
	put_futex_key(&key);
out:
	return ret;
}

SYSCALL_DEFINE6(futex, u32 __user *, uaddr, int, op, u32, val,
		struct timespec __user *, utime, u32 __user *, uaddr2, u32, val3)
{
	return do_futex(uaddr, op, val, NULL, uaddr2, 0, val3);
}

static int __init futex_init(void)
{
	futex_hashsize = roundup_pow_of_two(256 * num_possible_cpus());
	futex_queues = alloc_large_system_hash("futex", sizeof(*futex_queues),
					       futex_hashsize, 0, 0, NULL, NULL,
					       futex_hashsize, futex_hashsize);
	return 0;
}
__initcall(futex_init);
