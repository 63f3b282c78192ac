/* SPDX-License-Identifier: GPL-2.0 */
/*
 * custom.h - what exists only for the harness.
 *
 * The fake kernel is driven from Rust: every kernel function that
 * get_futex_key() calls, and every READ_ONCE()/ACCESS_ONCE(), goes through
 * one table of host operations.  Each operation is a yield point, where the
 * scheduler may run steps of concurrent mm events before the operation
 * takes effect on the world.
 *
 * When the host decides the call cannot go on (a deadlock, a livelock past
 * the retry bound, a panic in the host), it raises the abort flag and the
 * trampoline that made the host call longjmp()s back to the revision's
 * entry point.  Only C frames are unwound that way; the host call itself has
 * already returned.  Each futex task has a jmp_buf of its own, which the
 * host keeps: a second task runs on a stack of its own, and its calls
 * interleave with the futex thread's.
 */
#ifndef _FAKE_CUSTOM_H
#define _FAKE_CUSTOM_H

#include <setjmp.h>
#include "dup.h"

/* Returned by a revision entry point whose call the host aborted. */
#define FD_ABORTED	(-4096)

/* The operations the fake kernel asks of the host, one per kernel API. */
struct fd_host_ops {
	/* Non-yielding: the harness's view of "current". */
	struct task_struct *(*current_task)(void);
	/* Non-yielding: the running task's jmp_buf, for the abort path. */
	void *(*abort_jump)(void);
	/* printk-like: WARN_ON and friends, with the condition's text. */
	void (*warn)(const char *file, int line, const char *cond, bool once);

	/* Yielding operations. */
	void (*read_once)(const volatile void *addr, const char *expr);
	bool (*access_ok)(int type, unsigned long addr, unsigned long size);
	bool (*should_fail)(struct fault_attr *attr, unsigned long size);
	int (*get_user_pages_fast)(unsigned long start, int nr_pages,
				   int write, struct page **pages);
	int (*__get_user_pages_fast)(unsigned long start, int nr_pages,
				     int write, struct page **pages);
	bool (*page_tail)(struct page *page);
	bool (*page_anon)(struct page *page);
	bool (*page_swap_cache)(struct page *page);
	struct page *(*compound_head)(struct page *page);
	pgoff_t (*basepage_index)(struct page *page);
	void (*get_page)(struct page *page);
	void (*put_page)(struct page *page);
	void (*lock_page)(struct page *page);
	void (*unlock_page)(struct page *page);
	void (*ihold)(struct inode *inode);
	void (*iput)(struct inode *inode);
	void (*mmdrop)(struct mm_struct *mm);
	void (*atomic_inc)(atomic_t *v);
	bool (*atomic_inc_not_zero)(atomic_t *v);
	void (*rcu_read_lock)(void);
	void (*rcu_read_unlock)(void);
	void (*local_irq_disable)(void);
	void (*local_irq_enable)(void);

	/* 5.x */
	void (*mmgrab)(struct mm_struct *mm);
	pgoff_t (*page_to_pgoff)(struct page *page);
	s64 (*atomic64_read)(atomic64_t *v);
	s64 (*atomic64_add_return)(s64 i, atomic64_t *v);
	s64 (*atomic64_cmpxchg)(atomic64_t *v, s64 old, s64 new_value);

	/* 6.x: folios, each given as its head page. */
	struct page *(*page_folio)(struct page *page);
	void (*folio_lock)(struct page *head);
	void (*folio_unlock)(struct page *head);
	void (*folio_put)(struct page *head);
	bool (*folio_test_anon)(struct page *head);
	bool (*folio_test_swapcache)(struct page *head);

	/*
	 * 6.16 on: the node word in user memory, the calling CPU's node, the
	 * mmap lock's sequence and read side, vmas and their memory policies.
	 */
	int (*get_user)(unsigned long addr, u32 *val);
	int (*put_user)(unsigned long addr, u32 val);
	int (*numa_node_id)(void);			/* non-yielding */
	bool (*node_possible)(int node);		/* non-yielding */
	bool (*mmap_lock_speculate_try_begin)(struct mm_struct *mm,
					      unsigned int *seq);
	bool (*mmap_lock_speculate_retry)(struct mm_struct *mm,
					  unsigned int seq);
	void (*mmap_read_lock)(struct mm_struct *mm);
	void (*mmap_read_unlock)(struct mm_struct *mm);
	struct vm_area_struct *(*vma_lookup)(struct mm_struct *mm,
					     unsigned long addr);
	/* The yield point after a load of vma->vm_policy, plain or marked. */
	void (*vma_policy_loaded)(struct vm_area_struct *vma);
	/* After every marked read: a yield point after vma->vm_policy only. */
	void (*read_once_done)(const volatile void *addr);
	/* Non-yielding: a plain access to memory the host watches (KASAN). */
	void (*watched_access)(const volatile void *addr, unsigned long size,
			       bool write);
};

/* Installed once by the host before any revision runs. */
extern struct fd_host_ops fd_host;
void fd_install_host(const struct fd_host_ops *ops);

/*
 * Plain loads and stores of the revision land in the shim's access hooks
 * (a revision that reads memory policies is built with -fsanitize=thread,
 * whose callbacks the shim defines, as KASAN's are the kernel's): those in
 * [policies, policies + policies_len), the world's memory policies, are
 * reported to the host, which tells a freed one.  Marked reads in
 * [vmas, vmas + vmas_len) tell the host they are done (see READ_ONCE()).
 * The host sets the ranges before every call into a revision.
 */
void fd_watch(unsigned long policies, unsigned long policies_len,
	      unsigned long vmas, unsigned long vmas_len);
extern _Thread_local unsigned long fd_vmas_lo, fd_vmas_len;

/*
 * Per-thread harness state: test runners call revisions from several
 * threads at once, each with a world of its own.
 */
/*
 * The source line of the kernel-API call being made, for traces: set by the
 * call macros of stubs.h; 0 for a call through a function pointer.
 */
extern _Thread_local int fd_call_line;
int fd_take_line(void);

/* Abort plumbing, owned by futex_shim.c. */
extern _Thread_local int fd_abort_requested;
void fd_request_abort(void);

/* The running task's jmp_buf, which its revision entry point set. */
static inline jmp_buf *fd_abort_target(void)
{
	return (jmp_buf *)fd_host.abort_jump();
}

/*
 * The flag is set by the host call that just returned, for this task: it is
 * cleared before the jump, so the other task never sees it.
 */
static inline void fd_check_abort(void)
{
	if (unlikely(fd_abort_requested)) {
		fd_abort_requested = 0;
		longjmp(*fd_abort_target(), 1);
	}
}

/* A marked read of the word at addr, spelt expr at line: a yield point. */
static inline void fd_read_once(const volatile void *addr, const char *expr,
				int line)
{
	fd_call_line = line;
	fd_host.read_once(addr, expr);
	fd_check_abort();
}

/* What the harness asks of a call, whatever the era's signature. */
#define FD_CALL_SHARED	0x1
#define FD_CALL_NUMA	0x2
#define FD_CALL_MPOL	0x4

/*
 * The entry points of one revision.  The build wraps each revision file in
 * a translation unit that includes it and then expands these macros, so the
 * revision's static get_futex_key()/put_futex_key() get unique, exported
 * names.  From 5.9 there is no put_futex_key() (keys hold nothing): such a
 * unit expands FD_REVISION_ENTRY alone.  The access argument is an int in
 * every era (VERIFY_*, then enum futex_access of the same values), and
 * shared converts to the bool of 5.9 on.
 */
#define FD_REVISION_ENTRY(sym)						\
int fd_rev_##sym##_get(u32 __user *uaddr, int fd_flags,			\
		       union futex_key *key, int rw)			\
{									\
	fd_abort_requested = 0;						\
	if (setjmp(*fd_abort_target()))					\
		return FD_ABORTED;					\
	return get_futex_key(uaddr, fd_flags & FD_CALL_SHARED, key, rw); \
}
/*
 * From 6.7 get_futex_key() takes futex flags, shared being FLAGS_SHARED,
 * which the revision's futex.h (or the revision itself) defines; from 6.16
 * the word's size (FLAGS_SIZE_32) and FLAGS_NUMA, FLAGS_MPOL.  The unit
 * defines those a revision lacks as 0 before it expands this.
 */
#define fd_futex_flags(fd_flags)					\
	(FLAGS_SIZE_32 |						\
	 ((fd_flags) & FD_CALL_SHARED ? FLAGS_SHARED : 0) |		\
	 ((fd_flags) & FD_CALL_NUMA ? FLAGS_NUMA : 0) |			\
	 ((fd_flags) & FD_CALL_MPOL ? FLAGS_MPOL : 0))
#define FD_REVISION_FLAGS_ENTRY(sym)					\
int fd_rev_##sym##_get(u32 __user *uaddr, int fd_flags,			\
		       union futex_key *key, int rw)			\
{									\
	fd_abort_requested = 0;						\
	if (setjmp(*fd_abort_target()))					\
		return FD_ABORTED;					\
	return get_futex_key(uaddr, fd_futex_flags(fd_flags), key, rw);	\
}
#define FD_REVISION_PUT_ENTRY(sym)					\
int fd_rev_##sym##_put(union futex_key *key)				\
{									\
	fd_abort_requested = 0;						\
	if (setjmp(*fd_abort_target()))					\
		return FD_ABORTED;					\
	put_futex_key(key);						\
	return 0;							\
}

#endif /* _FAKE_CUSTOM_H */
