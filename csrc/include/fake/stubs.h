/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stubs.h - the kernel API that get_futex_key() calls, stubbed onto the
 * harness.
 *
 * Every kernel function here is a static inline function of the kernel's
 * name and signature, as in the kernel: it can be called in any expression,
 * its address taken, its arguments are evaluated once.  Each one is a yield
 * point: it forwards to a host operation (see custom.h), where the scheduler
 * may run concurrent mm events first.
 *
 * A macro of the same name wraps each call so that traces can show the line
 * that made it: it evaluates the arguments, records __LINE__, then calls the
 * function (the macro does not expand inside itself, and a name not followed
 * by '(' is the function).  A call through a function pointer has no line.
 *
 * Plain member reads such as page->mapping or mapping->host are not yield
 * points; they read the world's memory directly, and the world keeps freed
 * objects poisoned so such a read never faults.
 */
#ifndef _FAKE_STUBS_H
#define _FAKE_STUBS_H

#include "custom.h"

/*
 * FD_LINE_CALLn(fn, args) - call fn with the call site's line recorded for
 * the trace.  The arguments are evaluated first, once each, so that a yield
 * point inside an argument records its own line and not ours.
 */
#define FD_LINE_CALL0(fn)						\
	({ fd_call_line = __LINE__; fn(); })
#define FD_LINE_CALL1(fn, a)						\
	({ __auto_type __fd_a = (a);					\
	   fd_call_line = __LINE__; fn(__fd_a); })
#define FD_LINE_CALL2(fn, a, b)						\
	({ __auto_type __fd_a = (a); __auto_type __fd_b = (b);		\
	   fd_call_line = __LINE__; fn(__fd_a, __fd_b); })
#define FD_LINE_CALL3(fn, a, b, c)					\
	({ __auto_type __fd_a = (a); __auto_type __fd_b = (b);		\
	   __auto_type __fd_c = (c);					\
	   fd_call_line = __LINE__; fn(__fd_a, __fd_b, __fd_c); })
#define FD_LINE_CALL4(fn, a, b, c, d)					\
	({ __auto_type __fd_a = (a); __auto_type __fd_b = (b);		\
	   __auto_type __fd_c = (c); __auto_type __fd_d = (d);		\
	   fd_call_line = __LINE__; fn(__fd_a, __fd_b, __fd_c, __fd_d); })

/* ---- include/linux/sched.h, arch/x86/include/asm/current.h ---- */
/*
 * Not a yield point.  A host that cannot name the task aborts the call
 * here, before anyone dereferences what it returned.
 */
static inline struct task_struct *get_current(void)
{
	struct task_struct *task = fd_host.current_task();

	fd_check_abort();
	return task;
}
#define current			get_current()

/* ---- include/linux/compiler.h: marked accesses yield ---- */
/*
 * Both evaluate x once: its address is taken, the host yields, and the
 * value is read through a volatile pointer, as the kernel's own macros do.
 * ACCESS_ONCE() stays an lvalue.  After the load READ_ONCE() tells the
 * host, which yields again only after a load of vma->vm_policy (see
 * vma_policy() below).
 */
static inline void fd_read_once_done(const volatile void *addr, int line)
{
	/* Only a vma's field can be vm_policy: nothing to tell otherwise. */
	if ((unsigned long)addr - fd_vmas_lo >= fd_vmas_len)
		return;
	fd_call_line = line;
	fd_host.read_once_done(addr);
	fd_check_abort();
}
#define READ_ONCE(x)							\
	({								\
		__auto_type __fd_p = &(x);				\
		fd_read_once(__fd_p, #x, __LINE__);			\
		__auto_type __fd_v =					\
			*(const volatile __typeof__(*__fd_p) *)__fd_p;	\
		fd_read_once_done(__fd_p, __LINE__);			\
		__fd_v;							\
	})
#define ACCESS_ONCE(x)							\
	(*({								\
		__auto_type __fd_p = &(x);				\
		fd_read_once(__fd_p, #x, __LINE__);			\
		(volatile __typeof__(*__fd_p) *)__fd_p;			\
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

/* ---- arch/x86/include/asm/uaccess.h (before 5.0: with a type) ---- */
static inline bool __fd_access_ok(int type, unsigned long addr,
				  unsigned long size)
{
	bool ok = fd_host.access_ok(type, addr, size);

	fd_check_abort();
	return ok;
}
/*
 * A macro in the kernel too: addr may be any pointer or integer.  5.0
 * dropped the type argument; both forms are taken by their argument count.
 */
#define __fd_access_ok_typed(type, addr, size)				\
	FD_LINE_CALL3(__fd_access_ok, (type), (unsigned long)(addr),	\
		      (unsigned long)(size))
#define __fd_access_ok_untyped(addr, size)				\
	FD_LINE_CALL3(__fd_access_ok, VERIFY_READ, (unsigned long)(addr), \
		      (unsigned long)(size))
#define __fd_access_ok_pick(_1, _2, _3, form, ...)	form
#define access_ok(...)							\
	__fd_access_ok_pick(__VA_ARGS__, __fd_access_ok_typed,		\
			    __fd_access_ok_untyped, )(__VA_ARGS__)

/* ---- include/linux/fault-inject.h ---- */
static inline bool should_fail(struct fault_attr *attr, ssize_t size)
{
	bool fail = fd_host.should_fail(attr, size);

	fd_check_abort();
	return fail;
}
#define should_fail(attr, size)	FD_LINE_CALL2(should_fail, attr, size)

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
static inline int get_user_pages_fast(unsigned long start, int nr_pages,
				      int write, struct page **pages)
{
	int ret = fd_host.get_user_pages_fast(start, nr_pages, write, pages);

	fd_check_abort();
	return ret;
}
#define get_user_pages_fast(start, nr_pages, write, pages)		\
	FD_LINE_CALL4(get_user_pages_fast, start, nr_pages, write, pages)

static inline int __get_user_pages_fast(unsigned long start, int nr_pages,
					int write, struct page **pages)
{
	int ret = fd_host.__get_user_pages_fast(start, nr_pages, write, pages);

	fd_check_abort();
	return ret;
}
#define __get_user_pages_fast(start, nr_pages, write, pages)		\
	FD_LINE_CALL4(__get_user_pages_fast, start, nr_pages, write, pages)

/* ---- include/linux/page-flags.h ---- */
static inline int PageTail(struct page *page)
{
	bool tail = fd_host.page_tail(page);

	fd_check_abort();
	return tail;
}
#define PageTail(page)		FD_LINE_CALL1(PageTail, page)

static inline int PageAnon(struct page *page)
{
	bool anon = fd_host.page_anon(page);

	fd_check_abort();
	return anon;
}
#define PageAnon(page)		FD_LINE_CALL1(PageAnon, page)

static inline int PageSwapCache(struct page *page)
{
	bool swapcache = fd_host.page_swap_cache(page);

	fd_check_abort();
	return swapcache;
}
#define PageSwapCache(page)	FD_LINE_CALL1(PageSwapCache, page)

static inline struct page *compound_head(struct page *page)
{
	struct page *head = fd_host.compound_head(page);

	fd_check_abort();
	return head;
}
#define compound_head(page)	FD_LINE_CALL1(compound_head, page)

/* ---- include/linux/pagemap.h ---- */
static inline pgoff_t basepage_index(struct page *page)
{
	pgoff_t index = fd_host.basepage_index(page);

	fd_check_abort();
	return index;
}
#define basepage_index(page)	FD_LINE_CALL1(basepage_index, page)

/* The page's offset in its file in base pages, wherever its index lives. */
static inline pgoff_t page_to_pgoff(struct page *page)
{
	pgoff_t index = fd_host.page_to_pgoff(page);

	fd_check_abort();
	return index;
}
#define page_to_pgoff(page)	FD_LINE_CALL1(page_to_pgoff, page)

/*
 * A hugetlbfs page's offset in base pages (5.13 on; page_to_pgoff() takes
 * this branch for PageHuge pages). For those it is basepage_index(), which
 * it is here, yield point and all.
 */
#define hugetlb_basepage_index(page)	basepage_index(page)

/* ---- include/linux/mm.h, pagemap.h: folios (6.x) ---- */
static inline struct folio *page_folio(struct page *page)
{
	struct page *head = fd_host.page_folio(page);

	fd_check_abort();
	return (struct folio *)head;
}
#define page_folio(page)	FD_LINE_CALL1(page_folio, page)

static inline void folio_lock(struct folio *folio)
{
	fd_host.folio_lock(&folio->page);
	fd_check_abort();
}
#define folio_lock(folio)	FD_LINE_CALL1(folio_lock, folio)

static inline void folio_unlock(struct folio *folio)
{
	fd_host.folio_unlock(&folio->page);
	fd_check_abort();
}
#define folio_unlock(folio)	FD_LINE_CALL1(folio_unlock, folio)

static inline void folio_put(struct folio *folio)
{
	fd_host.folio_put(&folio->page);
	fd_check_abort();
}
#define folio_put(folio)	FD_LINE_CALL1(folio_put, folio)

static inline bool folio_test_anon(struct folio *folio)
{
	bool anon = fd_host.folio_test_anon(&folio->page);

	fd_check_abort();
	return anon;
}
#define folio_test_anon(folio)	FD_LINE_CALL1(folio_test_anon, folio)

static inline bool folio_test_swapcache(struct folio *folio)
{
	bool swapcache = fd_host.folio_test_swapcache(&folio->page);

	fd_check_abort();
	return swapcache;
}
#define folio_test_swapcache(folio) FD_LINE_CALL1(folio_test_swapcache, folio)

/* Plain arithmetic in the kernel too: a folio's pages are contiguous. */
#define folio_page_idx(folio, p)	((unsigned long)((p) - &(folio)->page))

/* The page's offset in its file (6.13 on): its folio's index and its place. */
static inline pgoff_t page_pgoff(const struct folio *folio,
				 const struct page *page)
{
	return folio->index + folio_page_idx(folio, page);
}

static inline void lock_page(struct page *page)
{
	fd_host.lock_page(page);
	fd_check_abort();
}
#define lock_page(page)		FD_LINE_CALL1(lock_page, page)

static inline void unlock_page(struct page *page)
{
	fd_host.unlock_page(page);
	fd_check_abort();
}
#define unlock_page(page)	FD_LINE_CALL1(unlock_page, page)

/* ---- include/linux/mm.h: page references ---- */
static inline void get_page(struct page *page)
{
	fd_host.get_page(page);
	fd_check_abort();
}
#define get_page(page)		FD_LINE_CALL1(get_page, page)

static inline void put_page(struct page *page)
{
	fd_host.put_page(page);
	fd_check_abort();
}
#define put_page(page)		FD_LINE_CALL1(put_page, page)

/* ---- include/linux/fs.h ---- */
static inline void ihold(struct inode *inode)
{
	fd_host.ihold(inode);
	fd_check_abort();
}
#define ihold(inode)		FD_LINE_CALL1(ihold, inode)

static inline void iput(struct inode *inode)
{
	fd_host.iput(inode);
	fd_check_abort();
}
#define iput(inode)		FD_LINE_CALL1(iput, inode)

/* ---- include/linux/sched.h (3.x), include/linux/sched/mm.h (4.11+) ---- */
static inline void mmdrop(struct mm_struct *mm)
{
	fd_host.mmdrop(mm);
	fd_check_abort();
}
#define mmdrop(mm)		FD_LINE_CALL1(mmdrop, mm)

/* ---- include/linux/sched/mm.h (4.11+): a reference on mm_count ---- */
static inline void mmgrab(struct mm_struct *mm)
{
	fd_host.mmgrab(mm);
	fd_check_abort();
}
#define mmgrab(mm)		FD_LINE_CALL1(mmgrab, mm)

/* ---- arch/x86/include/asm/atomic.h ---- */
static inline void atomic_inc(atomic_t *v)
{
	fd_host.atomic_inc(v);
	fd_check_abort();
}
#define atomic_inc(v)		FD_LINE_CALL1(atomic_inc, v)

static inline int atomic_inc_not_zero(atomic_t *v)
{
	bool done = fd_host.atomic_inc_not_zero(v);

	fd_check_abort();
	return done;
}
#define atomic_inc_not_zero(v)	FD_LINE_CALL1(atomic_inc_not_zero, v)

/*
 * ---- include/linux/atomic-fallback.h, asm-generic/atomic64.h ----
 * On an inode's i_sequence, or on a counter of the revision's own (the
 * machine-wide sequence of get_inode_sequence_number()), which the host
 * keeps per execution so that runs do not depend on what ran before.
 */
static inline s64 atomic64_read(const atomic64_t *v)
{
	s64 value = fd_host.atomic64_read((atomic64_t *)v);

	fd_check_abort();
	return value;
}
#define atomic64_read(v)	FD_LINE_CALL1(atomic64_read, v)

static inline s64 atomic64_add_return(s64 i, atomic64_t *v)
{
	s64 value = fd_host.atomic64_add_return(i, v);

	fd_check_abort();
	return value;
}
#define atomic64_add_return(i, v)	FD_LINE_CALL2(atomic64_add_return, i, v)

static inline s64 atomic64_cmpxchg(atomic64_t *v, s64 old, s64 new_value)
{
	s64 value = fd_host.atomic64_cmpxchg(v, old, new_value);

	fd_check_abort();
	return value;
}
#define atomic64_cmpxchg(v, old, new_value)				\
	FD_LINE_CALL3(atomic64_cmpxchg, v, old, new_value)
/* One thread: no ordering to relax. */
#define atomic64_cmpxchg_relaxed(v, old, new_value)			\
	atomic64_cmpxchg(v, old, new_value)

/* 6.13 on: the same operations, spelt as the later atomic API spells them. */
#define atomic64_inc_return(v)	atomic64_add_return(1, v)

static inline bool fd_atomic64_try_cmpxchg(atomic64_t *v, s64 *old,
					   s64 new_value, int line)
{
	s64 seen;

	fd_call_line = line;
	seen = atomic64_cmpxchg(v, *old, new_value);
	if (seen == *old)
		return true;
	*old = seen;
	return false;
}
#define atomic64_try_cmpxchg_relaxed(v, old, new_value)			\
	fd_atomic64_try_cmpxchg(v, (s64 *)(old), new_value, __LINE__)

/* ---- include/linux/rcupdate.h ---- */
static inline void rcu_read_lock(void)
{
	fd_host.rcu_read_lock();
	fd_check_abort();
}
#define rcu_read_lock()		FD_LINE_CALL0(rcu_read_lock)

static inline void rcu_read_unlock(void)
{
	fd_host.rcu_read_unlock();
	fd_check_abort();
}
#define rcu_read_unlock()	FD_LINE_CALL0(rcu_read_unlock)

/* ---- include/linux/irqflags.h ---- */
static inline void local_irq_disable(void)
{
	fd_host.local_irq_disable();
	fd_check_abort();
}
#define local_irq_disable()	FD_LINE_CALL0(local_irq_disable)

static inline void local_irq_enable(void)
{
	fd_host.local_irq_enable();
	fd_check_abort();
}
#define local_irq_enable()	FD_LINE_CALL0(local_irq_enable)

/* ---- include/linux/topology.h, nodemask.h (6.16 on) ---- */
/*
 * The node of the CPU the calling task runs on: a per-cpu read, not a
 * yield point.  The scenario says which node each call runs on.
 */
static inline int numa_node_id(void)
{
	int node = fd_host.numa_node_id();

	fd_check_abort();
	return node;
}

/* The machine's possible-node map is fixed at boot: a plain read. */
static inline int node_possible(int node)
{
	bool possible = fd_host.node_possible(node);

	fd_check_abort();
	return possible;
}

static inline unsigned int __first_node(const nodemask_t *srcp)
{
	unsigned int node;

	for (node = 0; node < MAX_NUMNODES; node++)
		if (srcp->bits[node / (8 * sizeof(long))] &
		    (1UL << (node % (8 * sizeof(long)))))
			return node;
	return MAX_NUMNODES;
}
#define first_node(src)		__first_node(&(src))

/* ---- include/linux/uaccess.h: the user words beside the futex (6.16 on) ---- */
/*
 * Reading or writing a user word may fault (the host resolves the fault
 * as the mm does, or fails it) and is a yield point: other tasks may store
 * to the word meanwhile.  Only 32-bit words exist here, as only 32-bit
 * futexes are implemented.
 */
static inline int fd_get_user_u32(const volatile void __user *uaddr,
				  u32 *val, int line)
{
	int err;

	fd_call_line = line;
	err = fd_host.get_user((unsigned long)uaddr, val);
	fd_check_abort();
	return err;
}

static inline int fd_put_user_u32(volatile void __user *uaddr, u32 val,
				  int line)
{
	int err;

	fd_call_line = line;
	err = fd_host.put_user((unsigned long)uaddr, val);
	fd_check_abort();
	return err;
}

/* 6.19 on: 0, or -EFAULT when the access faults for good. */
#define get_user_inline(val, usrc)					\
	({								\
		__auto_type __fd_src = (usrc);				\
		u32 __fd_val;						\
		int __fd_err;						\
		_Static_assert(sizeof(*__fd_src) == sizeof(u32),	\
			       "only 32-bit user words are modelled");	\
		__fd_err = fd_get_user_u32(__fd_src, &__fd_val, __LINE__); \
		if (!__fd_err)						\
			(val) = (__typeof__(val))__fd_val;		\
		__fd_err;						\
	})
#define put_user_inline(val, udst)					\
	({								\
		__auto_type __fd_dst = (udst);				\
		_Static_assert(sizeof(*__fd_dst) == sizeof(u32),	\
			       "only 32-bit user words are modelled");	\
		fd_put_user_u32(__fd_dst, (u32)(val), __LINE__);	\
	})

/*
 * 6.16 to 6.18: futex.h's futex_get_value()/futex_put_value() open-code
 * the access with these.  x86-64 masks the address (one past the user
 * range faults), so the access_ok() branch is never taken.
 */
#define can_do_masked_user_access()		1
#define masked_user_access_begin(uaddr)		(uaddr)
#define masked_user_read_access_begin(uaddr)	(uaddr)
#define masked_user_write_access_begin(uaddr)	(uaddr)
#define user_read_access_begin(uaddr, len)	access_ok(uaddr, len)
#define user_write_access_begin(uaddr, len)	access_ok(uaddr, len)
#define user_access_begin(uaddr, len)		access_ok(uaddr, len)
#define user_read_access_end()			do { } while (0)
#define user_write_access_end()			do { } while (0)
#define user_access_end()			do { } while (0)
#define unsafe_get_user(x, uaddr, label)				\
	do {								\
		u32 __fd_val;						\
		if (fd_get_user_u32((uaddr), &__fd_val, __LINE__))	\
			goto label;					\
		(x) = (__typeof__(x))__fd_val;				\
	} while (0)
#define unsafe_put_user(x, uaddr, label)				\
	do {								\
		if (fd_put_user_u32((uaddr), (u32)(x), __LINE__))	\
			goto label;					\
	} while (0)

/* ---- include/linux/mmap_lock.h (6.16 on) ---- */
/*
 * The speculative read side of the mmap lock: the lock's sequence count,
 * odd while a writer holds it.  Kernels declare the sequence unsigned and
 * futex passes an int: the cast keeps a warning-free build.
 */
static inline bool fd_mmap_lock_speculate_try_begin(struct mm_struct *mm,
						    unsigned int *seq)
{
	bool begun = fd_host.mmap_lock_speculate_try_begin(mm, seq);

	fd_check_abort();
	return begun;
}
#define mmap_lock_speculate_try_begin(mm, seq)				\
	FD_LINE_CALL2(fd_mmap_lock_speculate_try_begin, mm,		\
		      (unsigned int *)(seq))

static inline bool fd_mmap_lock_speculate_retry(struct mm_struct *mm,
						unsigned int seq)
{
	bool retry = fd_host.mmap_lock_speculate_retry(mm, seq);

	fd_check_abort();
	return retry;
}
#define mmap_lock_speculate_retry(mm, seq)				\
	FD_LINE_CALL2(fd_mmap_lock_speculate_retry, mm, (unsigned int)(seq))

static inline void mmap_read_lock(struct mm_struct *mm)
{
	fd_host.mmap_read_lock(mm);
	fd_check_abort();
}
#define mmap_read_lock(mm)	FD_LINE_CALL1(mmap_read_lock, mm)

static inline void mmap_read_unlock(struct mm_struct *mm)
{
	fd_host.mmap_read_unlock(mm);
	fd_check_abort();
}
#define mmap_read_unlock(mm)	FD_LINE_CALL1(mmap_read_unlock, mm)

/* ---- include/linux/mm.h, mm_types.h: vmas and their policies ---- */
static inline struct vm_area_struct *vma_lookup(struct mm_struct *mm,
						unsigned long addr)
{
	struct vm_area_struct *vma = fd_host.vma_lookup(mm, addr);

	fd_check_abort();
	return vma;
}
#define vma_lookup(mm, addr)	FD_LINE_CALL2(vma_lookup, mm, addr)

/*
 * A plain load in the kernel (6.16 to 6.19).  The policy's fields are read
 * plainly right after it, with no yield point between: another CPU may
 * replace and free the policy there.  So the yield point comes after the
 * load, where a READ_ONCE() of the same field has one too.
 */
static inline struct mempolicy *fd_vma_policy(struct vm_area_struct *vma,
					      int line)
{
	struct mempolicy *pol = vma->vm_policy;

	fd_call_line = line;
	fd_host.vma_policy_loaded(vma);
	fd_check_abort();
	return pol;
}
#define vma_policy(vma)		fd_vma_policy(vma, __LINE__)

/*
 * ---- include/linux/cleanup.h (6.5 on) ----
 * A guard is a variable whose destructor runs when it goes out of scope,
 * at every return: the same scope-bound classes as the kernel's.
 */
/* A guard is never named again: clang would call it unused. */
#define __cleanup(fn)		__attribute__((__unused__, __cleanup__(fn)))
#define __FD_PASTE(a, b)	a##b
#define __FD_UNIQUE(prefix, n)	__FD_PASTE(prefix, n)
#define __UNIQUE_ID(prefix)	__FD_UNIQUE(__UNIQUE_ID_##prefix, __COUNTER__)

#define DEFINE_CLASS(_name, _type, _exit, _init, _init_args...)	\
typedef _type class_##_name##_t;					\
static inline void class_##_name##_destructor(_type *p)		\
{ _type _T = *p; _exit; }						\
static inline _type class_##_name##_constructor(_init_args)		\
{ _type t = _init; return t; }

/*
 * The constructor is called through a comma expression that first records
 * the guard's line, for the trace of the lock it takes.  The destructor runs
 * at the end of the scope, which has no line of its own.
 */
#define CLASS(_name, var)						\
	class_##_name##_t var __cleanup(class_##_name##_destructor) =	\
		(fd_call_line = __LINE__, class_##_name##_constructor)

#define DEFINE_GUARD(_name, _type, _lock, _unlock)			\
	DEFINE_CLASS(_name, _type, if (_T) { _unlock; }, ({ _lock; _T; }), _type _T)

#define DEFINE_LOCK_GUARD_0(_name, _lock, _unlock)			\
typedef struct { void *lock; } class_##_name##_t;			\
static inline void class_##_name##_destructor(class_##_name##_t *_T)	\
{ if (_T->lock) { _unlock; } }						\
static inline class_##_name##_t class_##_name##_constructor(void)	\
{ class_##_name##_t _t = { .lock = (void *)1 }; _lock; return _t; }

#define guard(_name)	CLASS(_name, __UNIQUE_ID(guard))

#define __scoped_guard(_name, _label, args...)				\
	for (CLASS(_name, scope)(args);	; ({ goto _label; }))		\
		if (0) {						\
_label:									\
			break;						\
		} else
#define scoped_guard(_name, args...)					\
	__scoped_guard(_name, __UNIQUE_ID(label), args)

/* The functions, not their line-recording macros: the guard has the line. */
DEFINE_LOCK_GUARD_0(rcu, (rcu_read_lock)(), (rcu_read_unlock)())
DEFINE_GUARD(mmap_read_lock, struct mm_struct *, (mmap_read_lock)(_T),
	     (mmap_read_unlock)(_T))

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
