/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kernel/futex/futex.h of a futex-diff test tree (the 5.16 layout): a
 * prototype the revision needs, among declarations the fake kernel layer
 * cannot compile.
 */
#ifndef _FUTEX_H
#define _FUTEX_H

#include <linux/futex.h>
#include <linux/sched/wake_q.h>

/* A waiter on a futex: its place in the bucket's chain and its task. */
struct futex_q {
	struct plist_node list;
	struct task_struct *task;
	spinlock_t *lock_ptr;
	union futex_key key;
	u32 bitset;
} __randomize_layout;

extern struct futex_hash_bucket *futex_hash(union futex_key *key);

/* Takes the reference a key stands for (defined in core.c). */
static void get_futex_key_refs(union futex_key *key);

#endif /* _FUTEX_H */
