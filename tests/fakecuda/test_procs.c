// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: one device memory budget shared by processes; what a
 * process that dies holds is given back (exit without freeing, SIGKILL,
 * zombie not yet reaped, and on an allocation that finds no room); the
 * shared lock survives a holder killed while holding it; a forked child
 * starts without CUDA state.
 */
#include <signal.h>

#include "fc_test.h"

#define OVERHEAD (4 * MiB)

struct child {
	pid_t pid;
	int to, from;	/* pipes: to the child, from the child */
};

/*
 * A child that initialises, makes a context, allocates @bytes, reports,
 * then waits for a word: 1 exits without freeing, anything else frees first.
 */
static struct child spawn_allocator(uint64_t bytes)
{
	int down[2], up[2];
	struct child c;

	CHECK(pipe(down) == 0 && pipe(up) == 0);
	c.pid = fork();
	CHECK(c.pid >= 0);
	if (c.pid == 0) {
		CUdeviceptr p;

		close(down[1]);
		close(up[0]);
		fct_context(NULL);
		if (cuMemAlloc(&p, bytes) != CUDA_SUCCESS)
			_exit(2);
		fct_put(up[1], 1);
		if (fct_get(down[0]) != 1)
			cuMemFree(p);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	c.to = down[1];
	c.from = up[0];
	CHECK_EQ(fct_get(c.from), 1);
	return c;
}

static size_t free_mem(void)
{
	size_t fr, tot;

	OK(cuMemGetInfo(&fr, &tot));
	return fr;
}

int main(void)
{
	size_t free0;
	struct child c;
	siginfo_t si;
	CUdeviceptr p;
	int st;

	fct_setup("procs", "256m", "4m");
	fct_context(NULL);
	/* the context's own cost is charged, and reported per process */
	CHECK_EQ(fakecuda_mem_used(getpid()), OVERHEAD);
	free0 = free_mem();
	CHECK_EQ(free0, 256 * MiB - OVERHEAD);

	/* another process's allocation shows in our free memory */
	c = spawn_allocator(32 * MiB);
	CHECK_EQ(free_mem(), free0 - 32 * MiB - OVERHEAD);
	CHECK_EQ(fakecuda_mem_used(c.pid), 32 * MiB + OVERHEAD);
	CHECK_EQ(fakecuda_mem_used(0), 2 * OVERHEAD + 32 * MiB);
	/* ... and freeing it gives it back */
	fct_put(c.to, 0);
	fct_reap_ok(c.pid);
	CHECK_EQ(free_mem(), free0);

	/* exit without freeing: reclaimed, even before the zombie is reaped */
	c = spawn_allocator(48 * MiB);
	CHECK_EQ(free_mem(), free0 - 48 * MiB - OVERHEAD);
	fct_put(c.to, 1);
	CHECK(waitid(P_PID, (id_t)c.pid, &si, WEXITED | WNOWAIT) == 0);
	CHECK_EQ(free_mem(), free0);
	CHECK_EQ(fakecuda_mem_used(c.pid), 0);
	fct_reap_ok(c.pid);

	/* SIGKILL: reclaimed */
	c = spawn_allocator(64 * MiB);
	CHECK_EQ(free_mem(), free0 - 64 * MiB - OVERHEAD);
	kill(c.pid, SIGKILL);
	CHECK(waitpid(c.pid, &st, 0) == c.pid && WIFSIGNALED(st));
	CHECK_EQ(free_mem(), free0);

	/* an allocation that finds no room reclaims the dead first */
	c = spawn_allocator(free0 - OVERHEAD);
	CU(cuMemAlloc(&p, 1), CUDA_ERROR_OUT_OF_MEMORY);
	kill(c.pid, SIGKILL);
	CHECK(waitpid(c.pid, &st, 0) == c.pid);
	OK(cuMemAlloc(&p, free0));
	OK(cuMemFree(p));

	/* a holder of the shared lock is killed: the others carry on */
	{
		int up[2];
		pid_t pid;

		CHECK(pipe(up) == 0);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			fct_context(NULL);
			if (cuMemAlloc(&p, 16 * MiB) != CUDA_SUCCESS || fakecuda_lock_hold() != 0)
				_exit(2);
			fct_put(up[1], 1);
			pause();
			_exit(0);
		}
		CHECK_EQ(fct_get(up[0]), 1);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st));
		OK(cuMemAlloc(&p, 8 * MiB));	/* would hang with a non-robust lock */
		CHECK_EQ(free_mem(), free0 - 8 * MiB);
		OK(cuMemFree(p));
	}

	/* a forked child has no CUDA state until it calls cuInit itself */
	{
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0) {
			CUcontext cur = (CUcontext)1;
			int n;

			if (cuDeviceGetCount(&n) != CUDA_ERROR_NOT_INITIALIZED ||
			    cuInit(0) != CUDA_SUCCESS || cuCtxGetCurrent(&cur) != CUDA_SUCCESS ||
			    cur != NULL || cuMemAlloc(&p, 1) != CUDA_ERROR_INVALID_CONTEXT)
				_exit(2);
			_exit(0);
		}
		fct_reap_ok(pid);
		CHECK_EQ(free_mem(), free0);
		CHECK_EQ(fakecuda_mem_used(getpid()), OVERHEAD);
	}
	return 0;
}
