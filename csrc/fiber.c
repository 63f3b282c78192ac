// SPDX-License-Identifier: GPL-2.0
/*
 * fiber.c - a second C stack on the same OS thread, for the second futex
 * caller.
 *
 * The second task runs get_futex_key() on a stack of its own, so that it
 * can stop at any of its yield points and the first task can go on.  Both
 * run on one OS thread and switch only where the harness says, which keeps
 * every execution deterministic (real threads would not be, and cost about
 * forty times more).  The stack has a guard page below it, so an overflow
 * faults instead of writing over the heap.
 *
 * Built with a sanitizer that tracks stacks (AddressSanitizer), each switch
 * announces itself through the sanitizer's fiber interface when it is
 * linked in.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* AddressSanitizer's fiber switch notes, when its runtime is linked. */
void __sanitizer_start_switch_fiber(void **fake_stack_save,
				    const void *bottom, size_t size)
	__attribute__((weak));
void __sanitizer_finish_switch_fiber(void *fake_stack_save,
				     const void **bottom_old, size_t *size_old)
	__attribute__((weak));

struct fd_fiber {
	ucontext_t context;
	/* Where resume() came from, and where the fiber goes back to. */
	ucontext_t caller;
	void *mapping;
	size_t mapping_size;
	void *stack;
	size_t stack_size;
	void (*entry)(void *);
	void *arg;
	/* The resumer's stack, for the sanitizer's notes. */
	const void *caller_bottom;
	size_t caller_size;
};

static void fd_fiber_note_start(void **save, const void *bottom, size_t size)
{
	if (__sanitizer_start_switch_fiber)
		__sanitizer_start_switch_fiber(save, bottom, size);
}

static void fd_fiber_note_finish(void *save, const void **bottom,
				 size_t *size)
{
	if (__sanitizer_finish_switch_fiber)
		__sanitizer_finish_switch_fiber(save, bottom, size);
}

/* makecontext() passes ints: the fiber's address comes in two halves. */
static void fd_fiber_trampoline(unsigned int lo, unsigned int hi)
{
	struct fd_fiber *fiber =
		(struct fd_fiber *)(((uintptr_t)hi << 32) | (uintptr_t)lo);

	fd_fiber_note_finish(NULL, &fiber->caller_bottom, &fiber->caller_size);
	fiber->entry(fiber->arg);
	/* Going back for good: nothing of this stack is needed again. */
	fd_fiber_note_start(NULL, fiber->caller_bottom, fiber->caller_size);
	/* uc_link takes the fiber back to its last resumer. */
}

/* A fiber with a stack of at least stack_size bytes; NULL when out of memory. */
struct fd_fiber *fd_fiber_new(size_t stack_size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (stack_size + page - 1) / page * page + page;
	struct fd_fiber *fiber = calloc(1, sizeof(*fiber));

	if (!fiber)
		return NULL;
	fiber->mapping = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fiber->mapping == MAP_FAILED) {
		free(fiber);
		return NULL;
	}
	/* The stack grows down: the lowest page is the guard. */
	if (mprotect(fiber->mapping, page, PROT_NONE)) {
		munmap(fiber->mapping, size);
		free(fiber);
		return NULL;
	}
	fiber->mapping_size = size;
	fiber->stack = (char *)fiber->mapping + page;
	fiber->stack_size = size - page;
	return fiber;
}

void fd_fiber_free(struct fd_fiber *fiber)
{
	if (!fiber)
		return;
	munmap(fiber->mapping, fiber->mapping_size);
	free(fiber);
}

/* Makes the next resume() start entry(arg) afresh on the fiber's stack. */
int fd_fiber_start(struct fd_fiber *fiber, void (*entry)(void *), void *arg)
{
	uintptr_t self = (uintptr_t)fiber;

	if (getcontext(&fiber->context))
		return -1;
	fiber->context.uc_stack.ss_sp = fiber->stack;
	fiber->context.uc_stack.ss_size = fiber->stack_size;
	fiber->context.uc_link = &fiber->caller;
	fiber->entry = entry;
	fiber->arg = arg;
	makecontext(&fiber->context, (void (*)(void))fd_fiber_trampoline, 2,
		    (unsigned int)(self & 0xffffffffu),
		    (unsigned int)(self >> 32));
	return 0;
}

/* Runs the fiber until it suspends or its entry returns. */
int fd_fiber_resume(struct fd_fiber *fiber)
{
	void *save = NULL;
	int ret;

	fd_fiber_note_start(&save, fiber->stack, fiber->stack_size);
	ret = swapcontext(&fiber->caller, &fiber->context);
	fd_fiber_note_finish(save, NULL, NULL);
	return ret;
}

/* From inside the fiber: back to whoever resumed it. */
int fd_fiber_suspend(struct fd_fiber *fiber)
{
	void *save = NULL;
	int ret;

	fd_fiber_note_start(&save, fiber->caller_bottom, fiber->caller_size);
	ret = swapcontext(&fiber->context, &fiber->caller);
	fd_fiber_note_finish(save, &fiber->caller_bottom, &fiber->caller_size);
	return ret;
}
