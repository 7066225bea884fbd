/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fakecuda tests: checks and a private simulated GPU per test.
 *
 * fct_setup() names a shared-memory object of this test and process
 * (FAKECUDA_SHM), sets the device parameters and removes the object when
 * the test process exits (forked children leave it alone).
 */
#ifndef FC_TEST_H
#define FC_TEST_H

#include <cuda.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fakecuda.h"
#include "../include/check.h"

#define MiB (1ULL << 20)
#define MS (1000000ULL)

static pid_t fct_owner;

static inline void fct_cleanup(void)
{
	if (getpid() == fct_owner)
		fakecuda_shm_unlink();
}

static inline void fct_setup(const char *test, const char *memory, const char *ctx_overhead)
{
	char name[96];

	snprintf(name, sizeof(name), "/fakecuda-test-%s-%d", test, (int)getpid());
	setenv("FAKECUDA_SHM", name, 1);
	if (memory)
		setenv("FAKECUDA_MEMORY", memory, 1);
	else
		unsetenv("FAKECUDA_MEMORY");
	if (ctx_overhead)
		setenv("FAKECUDA_CTX_OVERHEAD", ctx_overhead, 1);
	else
		unsetenv("FAKECUDA_CTX_OVERHEAD");
	unsetenv("FAKECUDA_SMS");
	unsetenv("FAKECUDA_CLOCK_RATE");
	unsetenv("FAKECUDA_MEMORY_CLOCK_RATE");
	unsetenv("FAKECUDA_PCI_BUS_ID");
	fct_owner = getpid();
	fakecuda_shm_unlink();	/* a leftover of a crashed run with our pid */
	atexit(fct_cleanup);
}

static inline uint64_t fct_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* cuInit, a new context and a function of a fakecuda module. */
static inline CUcontext fct_context(CUfunction *fn)
{
	CUcontext ctx;
	CUmodule mod;
	CUdevice dev;

	OK(cuInit(0));
	OK(cuDeviceGet(&dev, 0));
	OK(cuCtxCreate_v4(&ctx, NULL, 0, dev));
	if (fn) {
		OK(cuModuleLoadData(&mod, "fakecuda-module"));
		OK(cuModuleGetFunction(fn, mod, "spin"));
	}
	return ctx;
}

/* Launch @fn for @ns nanoseconds on @s. */
static inline CUresult fct_launch(CUfunction fn, CUstream s, uint64_t ns)
{
	void *params[] = { &ns };

	return cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, s, params, NULL);
}

/* Pipes as barriers between processes: write and read one value. */
static inline void fct_put(int fd, uint64_t v)
{
	CHECK(write(fd, &v, sizeof(v)) == (ssize_t)sizeof(v));
}

static inline uint64_t fct_get(int fd)
{
	uint64_t v;

	CHECK(read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v));
	return v;
}

/* Wait for @pid and check that it exited with status 0. */
static inline void fct_reap_ok(pid_t pid)
{
	int st;

	CHECK(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "child %d failed (status %#x)\n", (int)pid, st);
		exit(1);
	}
}

#endif
