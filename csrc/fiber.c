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
 *
 * On x86-64 a switch saves the callee-saved registers and the floating
 * point control words and moves the stack pointer, and nothing else: the
 * harness switches at every yield point of the second task, and
 * swapcontext() makes a system call each time to save and restore the
 * signal mask, which the fibers never change.  Elsewhere, ucontext.
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

#if defined(__x86_64__)

/*
 * fd_fiber_switch(from, to): pushes the callee-saved registers, the MXCSR and
 * the x87 control word on the current stack, stores the stack pointer in
 * *from, and pops the same from the stack at to.  A stack never switched
 * away from starts at fd_fiber_boot (see fd_fiber_start).
 */
void fd_fiber_switch(void **from, void *to);
void fd_fiber_boot(void);

__asm__(
	"	.text\n"
	"	.p2align 4\n"
	"	.globl fd_fiber_switch\n"
	"	.hidden fd_fiber_switch\n"
	"	.type fd_fiber_switch, @function\n"
	"fd_fiber_switch:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size fd_fiber_switch, .-fd_fiber_switch\n"
	/*
	 * A new stack's first switch returns here, with the fiber in %rbx
	 * and the stack as a call would leave it.  Nothing is above this
	 * frame: unwinders stop here.
	 */
	"	.p2align 4\n"
	"	.globl fd_fiber_boot\n"
	"	.hidden fd_fiber_boot\n"
	"	.type fd_fiber_boot, @function\n"
	"fd_fiber_boot:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined rip\n"
	"	movq %rbx, %rdi\n"
	"	jmp fd_fiber_run\n"
	"	.cfi_endproc\n"
	"	.size fd_fiber_boot, .-fd_fiber_boot\n");

struct fd_context {
	void *sp;
};

/* The words fd_fiber_switch pops for a stack that starts at fd_fiber_boot. */
enum { FD_FIBER_BOOT_FRAME = 9 };

#else

struct fd_context {
	ucontext_t uc;
};

#endif

struct fd_fiber {
	struct fd_context context;
	/* Where resume() came from, and where the fiber goes back to. */
	struct fd_context caller;
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

/* Saves the running context in from and runs to. */
static int fd_context_switch(struct fd_context *from, struct fd_context *to)
{
#if defined(__x86_64__)
	fd_fiber_switch(&from->sp, to->sp);
	return 0;
#else
	return swapcontext(&from->uc, &to->uc);
#endif
}

/* The bottom of the fiber's stack: its entry, then back for good. */
void fd_fiber_run(struct fd_fiber *fiber);

void fd_fiber_run(struct fd_fiber *fiber)
{
	fd_fiber_note_finish(NULL, &fiber->caller_bottom, &fiber->caller_size);
	fiber->entry(fiber->arg);
	/* Going back for good: nothing of this stack is needed again. */
	fd_fiber_note_start(NULL, fiber->caller_bottom, fiber->caller_size);
#if defined(__x86_64__)
	fd_fiber_switch(&fiber->context.sp, fiber->caller.sp);
	__builtin_unreachable();
#endif
	/* Elsewhere uc_link takes the fiber back to its last resumer. */
}

#if !defined(__x86_64__)
/* makecontext() passes ints: the fiber's address comes in two halves. */
static void fd_fiber_trampoline(unsigned int lo, unsigned int hi)
{
	fd_fiber_run((struct fd_fiber *)(((uintptr_t)hi << 32) | (uintptr_t)lo));
}
#endif

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
	fiber->entry = entry;
	fiber->arg = arg;
#if defined(__x86_64__)
	{
		/*
		 * The top, 16-byte aligned: the last word below it is
		 * fd_fiber_boot's return address, so that it starts as a
		 * called function does (%rsp + 8 aligned).
		 */
		uintptr_t top = ((uintptr_t)fiber->stack + fiber->stack_size) &
				~(uintptr_t)15;
		uint64_t *sp = (uint64_t *)top - FD_FIBER_BOOT_FRAME;

		/* MXCSR and x87 control word: the ABI's initial values. */
		sp[0] = 0x1f80 | ((uint64_t)0x037f << 32);
		sp[1] = 0;			/* %r15 */
		sp[2] = 0;			/* %r14 */
		sp[3] = 0;			/* %r13 */
		sp[4] = 0;			/* %r12 */
		sp[5] = (uintptr_t)fiber;	/* %rbx: fd_fiber_boot's argument */
		sp[6] = 0;			/* %rbp */
		sp[7] = (uintptr_t)fd_fiber_boot; /* the first switch returns here */
		sp[8] = 0;			/* fd_fiber_boot's own return address */
		fiber->context.sp = sp;
	}
	return 0;
#else
	uintptr_t self = (uintptr_t)fiber;

	if (getcontext(&fiber->context.uc))
		return -1;
	fiber->context.uc.uc_stack.ss_sp = fiber->stack;
	fiber->context.uc.uc_stack.ss_size = fiber->stack_size;
	fiber->context.uc.uc_link = &fiber->caller.uc;
	makecontext(&fiber->context.uc, (void (*)(void))fd_fiber_trampoline, 2,
		    (unsigned int)(self & 0xffffffffu),
		    (unsigned int)(self >> 32));
	return 0;
#endif
}

/* Runs the fiber until it suspends or its entry returns. */
int fd_fiber_resume(struct fd_fiber *fiber)
{
	void *save = NULL;
	int ret;

	fd_fiber_note_start(&save, fiber->stack, fiber->stack_size);
	ret = fd_context_switch(&fiber->caller, &fiber->context);
	fd_fiber_note_finish(save, NULL, NULL);
	return ret;
}

/* From inside the fiber: back to whoever resumed it. */
int fd_fiber_suspend(struct fd_fiber *fiber)
{
	void *save = NULL;
	int ret;

	fd_fiber_note_start(&save, fiber->caller_bottom, fiber->caller_size);
	ret = fd_context_switch(&fiber->context, &fiber->caller);
	fd_fiber_note_finish(save, &fiber->caller_bottom, &fiber->caller_size);
	return ret;
}
