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
