// SPDX-License-Identifier: GPL-2.0
/*
 * futex_shim.c - state the fake kernel shares between all revisions: the
 * host operation table, the call-site line for traces and the abort path.
 *
 * Revisions are compiled as translation units of their own (see build.rs);
 * each reaches the host only through fd_host, defined here once.
 */
#include "futex_shim.h"

struct fd_host_ops fd_host;
_Thread_local int fd_call_line;
_Thread_local int fd_abort_requested;

/* The host keeps a jmp_buf of 64 words for each task. */
_Static_assert(sizeof(jmp_buf) <= 64 * sizeof(unsigned long long),
	       "jmp_buf is larger than the host's storage for it");

void fd_install_host(const struct fd_host_ops *ops)
{
	fd_host = *ops;
}

/*
 * The line of the call the host is serving, which it takes: a later call
 * that sets none (through a function pointer) then reads as line 0.
 */
int fd_take_line(void)
{
	int line = fd_call_line;

	fd_call_line = 0;
	return line;
}

/*
 * The host cannot longjmp itself: that would unwind its own frames.  It sets
 * the flag instead, and the trampoline that called it leaves through
 * fd_check_abort() once the host call has returned.
 */
void fd_request_abort(void)
{
	fd_abort_requested = 1;
}

void fd_clear_abort(void)
{
	fd_abort_requested = 0;
}

/*
 * Plain accesses of the revision to watched memory.
 *
 * Revisions are built with -fsanitize=thread, which makes the compiler call
 * __tsan_readN()/__tsan_writeN() before every load and store, as KASAN's
 * instrumentation calls __asan_loadN() in the kernel.  No sanitizer runtime
 * is linked: these definitions are the whole of it.  An access inside the
 * watched range (the world's memory policies, whose fields the futex code
 * reads without a marked access) goes to the host, which tells whether the
 * object was freed.  Everything else costs a compare.  The hooks themselves
 * are not instrumented.
 */
#define FD_NO_SANITIZE __attribute__((no_sanitize("thread")))

static _Thread_local unsigned long fd_watch_lo, fd_watch_len;
_Thread_local unsigned long fd_vmas_lo, fd_vmas_len;

FD_NO_SANITIZE void fd_watch(unsigned long policies, unsigned long policies_len,
			     unsigned long vmas, unsigned long vmas_len)
{
	fd_watch_lo = policies;
	fd_watch_len = policies_len;
	fd_vmas_lo = vmas;
	fd_vmas_len = vmas_len;
}

FD_NO_SANITIZE static inline void fd_access(const volatile void *addr,
					    unsigned long size, bool write)
{
	if ((unsigned long)addr - fd_watch_lo < fd_watch_len)
		fd_host.watched_access(addr, size, write);
}

#define FD_ACCESS_HOOKS(n)						\
FD_NO_SANITIZE void __tsan_read##n(void *addr)				\
{ fd_access(addr, n, false); }						\
FD_NO_SANITIZE void __tsan_write##n(void *addr)				\
{ fd_access(addr, n, true); }						\
FD_NO_SANITIZE void __tsan_unaligned_read##n(void *addr)		\
{ fd_access(addr, n, false); }						\
FD_NO_SANITIZE void __tsan_unaligned_write##n(void *addr)		\
{ fd_access(addr, n, true); }						\
FD_NO_SANITIZE void __tsan_volatile_read##n(void *addr)			\
{ fd_access(addr, n, false); }						\
FD_NO_SANITIZE void __tsan_volatile_write##n(void *addr)		\
{ fd_access(addr, n, true); }

FD_ACCESS_HOOKS(1)
FD_ACCESS_HOOKS(2)
FD_ACCESS_HOOKS(4)
FD_ACCESS_HOOKS(8)
FD_ACCESS_HOOKS(16)

FD_NO_SANITIZE void __tsan_read_range(void *addr, long size)
{
	fd_access(addr, (unsigned long)size, false);
}

FD_NO_SANITIZE void __tsan_write_range(void *addr, long size)
{
	fd_access(addr, (unsigned long)size, true);
}

FD_NO_SANITIZE void *__tsan_memcpy(void *dst, const void *src,
				   unsigned long size)
{
	fd_access(src, size, false);
	fd_access(dst, size, true);
	return __builtin_memcpy(dst, src, size);
}

FD_NO_SANITIZE void *__tsan_memmove(void *dst, const void *src,
				    unsigned long size)
{
	fd_access(src, size, false);
	fd_access(dst, size, true);
	return __builtin_memmove(dst, src, size);
}

FD_NO_SANITIZE void *__tsan_memset(void *dst, int c, unsigned long size)
{
	fd_access(dst, size, true);
	return __builtin_memset(dst, c, size);
}

/* Nothing to set up, and no function entries or exits to track. */
FD_NO_SANITIZE void __tsan_init(void)
{
}

FD_NO_SANITIZE void __tsan_func_entry(void *call_pc)
{
	(void)call_pc;
}

FD_NO_SANITIZE void __tsan_func_exit(void *unused)
{
	(void)unused;
}
