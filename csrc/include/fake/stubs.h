/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stubs.h - the kernel API that get_futex_key() calls, stubbed onto the
 * harness.
 *
 * Every function-like name here is a yield point: it forwards to a host
 * operation (see custom.h), where the scheduler may run concurrent mm
 * events first.  Plain member reads such as page->mapping or mapping->host
 * are not yield points; they read the world's memory directly, and the
 * world keeps freed objects poisoned so such a read never faults.
 *
 * The names are macros rather than inline functions so that traces can show
 * the line of the revision that made the call.
 */
#ifndef _FAKE_STUBS_H
#define _FAKE_STUBS_H

#include "custom.h"

/* ---- include/linux/sched.h ---- */
#define current			(fd_host.current_task())

/* ---- include/linux/compiler.h: marked accesses yield ---- */
#define READ_ONCE(x)							\
	({								\
		fd_call_line = __LINE__;				\
		fd_host.read_once(&(x), #x);				\
		fd_check_abort();					\
		*(const volatile __typeof__(x) *)&(x);			\
	})
#define ACCESS_ONCE(x)							\
	(*({								\
		fd_call_line = __LINE__;				\
		fd_host.read_once(&(x), #x);				\
		fd_check_abort();					\
		(volatile __typeof__(x) *)&(x);				\
	}))

/* ---- include/asm-generic/bug.h ---- */
#define WARN_ON(condition)						\
	({								\
		int __fd_warn = !!(condition);				\
		if (unlikely(__fd_warn))				\
			fd_host.warn(__FILE__, __LINE__, #condition, false); \
		unlikely(__fd_warn);					\
	})
/*
 * The kernel warns once per boot; every execution here is a boot of its own,
 * so the "once" state is not kept between runs (that would make results
 * depend on what ran before).
 */
#define WARN_ON_ONCE(condition)						\
	({								\
		int __fd_warn = !!(condition);				\
		if (unlikely(__fd_warn))				\
			fd_host.warn(__FILE__, __LINE__, #condition, true); \
		unlikely(__fd_warn);					\
	})

/* ---- arch/x86/include/asm/uaccess.h ---- */
#define access_ok(type, addr, size)					\
	FD_HOST(access_ok, (type), (unsigned long)(addr), (unsigned long)(size))

/* ---- include/linux/fault-inject.h ---- */
#define should_fail(attr, size)	FD_HOST(should_fail, (attr), (size))
/* Boot-time parsing of fail_futex= is not modelled. */
static inline int setup_fault_attr(struct fault_attr *attr, char *str)
{
	(void)attr;
	(void)str;
	return 1;
}
#define __setup(str, fn)						\
	static int (*__fd_setup_##fn)(char *) __attribute__((unused)) = fn

/* ---- include/linux/mm.h: get_user_pages and friends ---- */
#define get_user_pages_fast(start, nr_pages, write, pages)		\
	FD_HOST(get_user_pages_fast, (start), (nr_pages), (write), (pages))
#define __get_user_pages_fast(start, nr_pages, write, pages)		\
	FD_HOST(__get_user_pages_fast, (start), (nr_pages), (write), (pages))

/* ---- include/linux/page-flags.h ---- */
#define PageTail(page)		FD_HOST(page_tail, (page))
#define PageAnon(page)		FD_HOST(page_anon, (page))
#define PageSwapCache(page)	FD_HOST(page_swap_cache, (page))
#define compound_head(page)	FD_HOST(compound_head, (page))

/* ---- include/linux/pagemap.h ---- */
#define basepage_index(page)	FD_HOST(basepage_index, (page))
#define lock_page(page)		FD_HOST_VOID(lock_page, (page))
#define unlock_page(page)	FD_HOST_VOID(unlock_page, (page))

/* ---- include/linux/mm.h: page references ---- */
#define get_page(page)		FD_HOST_VOID(get_page, (page))
#define put_page(page)		FD_HOST_VOID(put_page, (page))

/* ---- include/linux/fs.h ---- */
#define ihold(inode)		FD_HOST_VOID(ihold, (inode))
#define iput(inode)		FD_HOST_VOID(iput, (inode))

/* ---- include/linux/sched.h (3.x), include/linux/sched/mm.h (4.11+) ---- */
#define mmdrop(mm)		FD_HOST_VOID(mmdrop, (mm))

/* ---- arch/x86/include/asm/atomic.h ---- */
#define atomic_inc(v)		FD_HOST_VOID(atomic_inc, (v))
#define atomic_inc_not_zero(v)	FD_HOST(atomic_inc_not_zero, (v))

/* ---- include/linux/rcupdate.h ---- */
#define rcu_read_lock()		FD_HOST_VOID(rcu_read_lock)
#define rcu_read_unlock()	FD_HOST_VOID(rcu_read_unlock)

/* ---- include/linux/irqflags.h ---- */
#define local_irq_disable()	FD_HOST_VOID(local_irq_disable)
#define local_irq_enable()	FD_HOST_VOID(local_irq_enable)

/*
 * ---- arch/x86/include/asm/barrier.h, atomic.h ----
 * One thread runs the futex code and events run between its yield points,
 * so there is no reordering to prevent: barriers are compiler barriers.
 */
#define barrier()			__asm__ __volatile__("" ::: "memory")
#define smp_mb()			barrier()
#define smp_rmb()			barrier()
#define smp_wmb()			barrier()
#define smp_mb__after_atomic()		barrier()
#define smp_mb__before_atomic()		barrier()
#define smp_mb__after_atomic_inc()	barrier()

/* ---- include/linux/kernel.h, include/linux/export.h ---- */
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define late_initcall(fn)
#define __initcall(fn)

#endif /* _FAKE_STUBS_H */
