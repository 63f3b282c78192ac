// SPDX-License-Identifier: GPL-2.0
/*
 * kernel/futex.c of a futex-diff test tree: unrelated futex code around a
 * bundled revision.  Nothing here compiles against the fake kernel layer;
 * extraction must leave all of it out.
 */
#include <linux/slab.h>
#include <linux/poll.h>
#include <linux/syscalls.h>

/* Waiters hash to a bucket by their key; the lock guards the chain. */
struct futex_hash_bucket {
	atomic_t waiters;
	spinlock_t lock;
	struct plist_head chain;
} ____cacheline_aligned_in_smp;

static unsigned long __read_mostly futex_hashsize;

static struct futex_hash_bucket *futex_queues;

/* A key's hash picks its bucket; the key's three words all take part. */
static struct futex_hash_bucket *hash_futex(union futex_key *key)
{
	u32 hash = jhash2((u32 *)&key->both.word,
			  (sizeof(key->both.word) + sizeof(key->both.ptr)) / 4,
			  key->both.offset);
	return &futex_queues[hash & (futex_hashsize - 1)];
}

