/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dup.h - definitions that mirror kernel headers of 3.12 to 7.1.
 *
 * Only what get_futex_key() and its futex.c-local helpers touch is here.
 * Structures keep the kernel's member names but carry just the members
 * those functions (and the harness model behind them) use.  Each block
 * names the header it mirrors.  Nothing in this file yields or calls the
 * harness: it is types and constants only, so bindgen can share it with
 * the Rust side.
 */
#ifndef _FAKE_DUP_H
#define _FAKE_DUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- include/linux/compiler.h ---- */
#define __user
#define __init
#define __read_mostly
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* ---- include/asm-generic/int-ll64.h, include/linux/types.h ---- */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
typedef int64_t loff_t;
typedef long ssize_t;
typedef unsigned long pgoff_t;

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	s64 counter;
} atomic64_t;

/* ---- include/linux/kconfig.h ---- */
/*
 * IS_ENABLED(CONFIG_FOO) is 1 when CONFIG_FOO is defined to 1 and 0 when it
 * is not defined at all; the placeholder turns "1" into an extra argument.
 */
#define __FD_ARG_PLACEHOLDER_1 0,
#define __fd_take_second_arg(__ignored, val, ...) val
#define __fd_is_defined(x) ___fd_is_defined(x)
#define ___fd_is_defined(val) ____fd_is_defined(__FD_ARG_PLACEHOLDER_##val)
#define ____fd_is_defined(arg1_or_junk) __fd_take_second_arg(arg1_or_junk 1, 0)
#define IS_ENABLED(option) __fd_is_defined(option)

/* The configuration the bundled eras were built with. */
#define CONFIG_MMU 1
#define CONFIG_SMP 1
#define CONFIG_TRANSPARENT_HUGEPAGE 1
#define CONFIG_HUGETLB_PAGE 1
#define CONFIG_FAIL_FUTEX 1
/* 6.16 on: FUTEX2_NUMA and FUTEX2_MPOL, on a NUMA machine with per-vma locks. */
#define CONFIG_NUMA 1
#define CONFIG_FUTEX_MPOL 1
#define CONFIG_PER_VMA_LOCK 1
#define CONFIG_NODES_SHIFT 6

/* ---- arch/x86/include/asm/page_types.h ---- */
#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

/* ---- arch/x86/include/asm/processor.h (x86_64 user range) ---- */
#define TASK_SIZE	((1UL << 47) - PAGE_SIZE)

/* ---- include/uapi/asm-generic/errno-base.h ---- */
#define EAGAIN		11
#define EFAULT		14
#define EBUSY		16
#define EINVAL		22

/* ---- arch/x86/include/asm/uaccess.h (before 5.0) ---- */
#define VERIFY_READ	0
#define VERIFY_WRITE	1

/* ---- include/linux/mm.h (gup_flags, 5.2 on) ---- */
#define FOLL_WRITE	0x01	/* the value of the older "int write" */

/* ---- include/linux/mm_types.h ---- */
struct address_space;

struct page {
	unsigned long flags;		/* PG_* bits, owned by the model */
	struct address_space *mapping;	/* low bit set: anon_vma */
	pgoff_t index;
	struct page *first_page;	/* tail pages: the head page */
	atomic_t _count;
	atomic_t _mapcount;
	unsigned int compound_order;	/* head pages only */
};

/*
 * A folio is laid over its head page: the fields the futex code reads
 * (flags, mapping, index) sit where the page keeps them, and &folio->page
 * is the head.
 */
struct folio {
	union {
		struct {
			unsigned long flags;
			struct address_space *mapping;
			pgoff_t index;
		};
		struct page page;
	};
};

struct mm_struct {
	atomic_t mm_users;
	atomic_t mm_count;
};

/* ---- include/linux/nodemask_types.h ---- */
#define NODES_SHIFT	CONFIG_NODES_SHIFT
#define MAX_NUMNODES	(1 << NODES_SHIFT)
#define NUMA_NO_NODE	(-1)

typedef struct {
	unsigned long bits[(MAX_NUMNODES + 8 * sizeof(long) - 1) /
			   (8 * sizeof(long))];
} nodemask_t;

/* ---- include/uapi/linux/mempolicy.h ---- */
enum {
	MPOL_DEFAULT,
	MPOL_PREFERRED,
	MPOL_BIND,
	MPOL_INTERLEAVE,
	MPOL_LOCAL,
	MPOL_PREFERRED_MANY,
	MPOL_WEIGHTED_INTERLEAVE,
	MPOL_MAX,
};

/* ---- include/linux/mempolicy.h ---- */
struct mempolicy {
	atomic_t refcnt;
	unsigned short mode;		/* MPOL_* */
	unsigned short flags;
	nodemask_t nodes;
	int home_node;			/* MPOL_BIND, MPOL_PREFERRED_MANY */
};

/* ---- include/linux/mm_types.h ---- */
struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	struct mm_struct *vm_mm;
	struct mempolicy *vm_policy;	/* NULL: the default policy */
};

/* ---- include/linux/fs.h ---- */
struct address_space {
	struct inode *host;
	unsigned long nrpages;
};

struct inode {
	atomic_t i_count;
	struct address_space *i_mapping;
	struct address_space i_data;
	loff_t i_size;
	unsigned long i_ino;
	atomic64_t i_sequence;		/* 5.6 on: 0 until a futex names it */
};

/* ---- include/linux/rmap.h ---- */
struct anon_vma {
	struct anon_vma *root;
	atomic_t refcount;
};

/* ---- include/linux/sched.h ---- */
struct task_struct {
	struct mm_struct *mm;
};

/* ---- include/linux/mm.h ---- */
#define PAGE_MAPPING_ANON	1

/* ---- include/linux/futex.h ---- */
/*
 * A futex key is one of three views of the same three words: word (pgoff or
 * address), ptr (inode, mm, or from 5.6 the inode's sequence number) and
 * offset (the in-page offset, with the FUT_OFF_* bits telling the kind).
 * Code names the members, never their places, so one layout serves every
 * era: 5.6 put ptr first and made it a u64, which only its key
 * comparison, not get_futex_key(), could tell.
 */
union futex_key {
	struct {
		unsigned long pgoff;
		union {
			struct inode *inode;	/* 3.x-5.5 */
			u64 i_seq;		/* 5.6 on */
		};
		int offset;
	} shared;
	struct {
		unsigned long address;
		union {
			struct mm_struct *mm;
			u64 __tmp;
		};
		int offset;
	} private;
	struct {
		unsigned long word;
		void *ptr;
		int offset;
		unsigned int node;	/* 6.16 on: the node's hash table */
	} both;
};

#define FUT_OFF_INODE		1	/* the key pins an inode */
#define FUT_OFF_MMSHARED	2	/* the key pins an mm */

#define FUTEX_KEY_INIT (union futex_key) { .both = { .ptr = NULL } }

/* ---- include/uapi/linux/futex.h (6.16 on) ---- */
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX2_SIZE_U8		0x00
#define FUTEX2_SIZE_U16		0x01
#define FUTEX2_SIZE_U32		0x02
#define FUTEX2_SIZE_U64		0x03
#define FUTEX2_NUMA		0x04
#define FUTEX2_MPOL		0x08
#define FUTEX2_PRIVATE		FUTEX_PRIVATE_FLAG
#define FUTEX2_SIZE_MASK	0x03
/* The node word of a FUTEX2_NUMA futex that names no node yet. */
#define FUTEX_NO_NODE		(-1)

/* ---- include/linux/fault-inject.h ---- */
struct fault_attr {
	unsigned long probability;
	unsigned long interval;
	atomic_t times;
};

#define FAULT_ATTR_INITIALIZER {		\
		.interval = 1,			\
		.times = { 1 },			\
	}

#endif /* _FAKE_DUP_H */
