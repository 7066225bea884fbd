/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libvgpu tests: checks and per-test names.
 *
 * The CUDA tests are backend-agnostic: they run under LD_PRELOAD of libvgpu
 * (tests/lib/run.sh) and take the backend from the environment.  By default
 * (VGPU_BACKEND unset or shm) each test uses its own shm region and its own
 * simulated GPU (FAKECUDA_SHM); with VGPU_BACKEND=kernel the slices come
 * from VGPU_SLICE / LT_SLICES (the VM harness creates them).
 */
#ifndef LT_H
#define LT_H

#include <cuda.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vgpu/vgpu.h>

#include "fakecuda.h"
#include "../include/check.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define MS 1000000ULL
#define SEC 1000000000ULL

#define OOM(call) CU(call, CUDA_ERROR_OUT_OF_MEMORY)

/* The per-thread-stream entry points cuda.h declares only for such builds. */
CUresult CUDAAPI cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream hStream);
CUresult CUDAAPI cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream);
CUresult CUDAAPI cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize,
					      CUmemoryPool pool, CUstream hStream);
CUresult CUDAAPI cuLaunchKernel_ptsz(CUfunction f, unsigned int gx, unsigned int gy,
				     unsigned int gz, unsigned int bx, unsigned int by,
				     unsigned int bz, unsigned int shmem, CUstream hStream,
				     void **kernelParams, void **extra);
CUresult CUDAAPI cuStreamSynchronize_ptsz(CUstream hStream);

static pid_t lt_owner;
static char lt_vshm[128];

static inline bool lt_kernel(void)
{
	const char *b = getenv("VGPU_BACKEND");

	return b && !strcmp(b, "kernel");
}

static inline void lt_cleanup(void)
{
	if (getpid() != lt_owner)
		return;
	fakecuda_shm_unlink();
	if (lt_vshm[0]) {
		shm_unlink(lt_vshm);
		for (int d = 1; d < 4; d++) {
			char n[160];

			snprintf(n, sizeof(n), "%s-%d", lt_vshm, d);
			shm_unlink(n);
		}
	}
}

/*
 * A simulated GPU and a shm region of this test and process; the GPU has
 * @memory (FAKECUDA_MEMORY syntax) and each context costs @ctx_overhead.
 */
static inline void lt_setup(const char *test, const char *memory, const char *ctx_overhead)
{
	char name[128];

	snprintf(name, sizeof(name), "/lt-fc-%s-%d", test, (int)getpid());
	setenv("FAKECUDA_SHM", name, 1);
	setenv("FAKECUDA_MEMORY", memory ? memory : "16g", 1);
	if (ctx_overhead)
		setenv("FAKECUDA_CTX_OVERHEAD", ctx_overhead, 1);
	else
		unsetenv("FAKECUDA_CTX_OVERHEAD");
	if (!lt_kernel()) {
		snprintf(lt_vshm, sizeof(lt_vshm), "/lt-vg-%s-%d", test, (int)getpid());
		setenv("VGPU_SHM", lt_vshm, 1);
		shm_unlink(lt_vshm);
	}
	lt_owner = getpid();
	fakecuda_shm_unlink();
	atexit(lt_cleanup);
}

static inline uint64_t lt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

/* cuInit, a context, a kernel of the simulated GPU's module. */
static inline CUcontext lt_context(CUfunction *fn)
{
	CUcontext ctx;
	CUmodule mod;

	OK(cuInit(0));
	OK(cuCtxCreate(&ctx, NULL, 0, 0));
	if (fn) {
		OK(cuModuleLoadData(&mod, "fakecuda-module"));
		OK(cuModuleGetFunction(fn, mod, "spin"));
	}
	return ctx;
}

/* A kernel of @ns nanoseconds on @s. */
static inline CUresult lt_launch(CUfunction fn, CUstream s, uint64_t ns)
{
	void *params[] = { &ns };

	return cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, s, params, NULL);
}

static inline void lt_meminfo(size_t *fr, size_t *total)
{
	OK(cuMemGetInfo(fr, total));
}

/* Pipes as barriers between processes. */
static inline void lt_put(int fd, uint64_t v)
{
	CHECK(write(fd, &v, sizeof(v)) == (ssize_t)sizeof(v));
}

static inline uint64_t lt_get(int fd)
{
	uint64_t v = 0;
	ssize_t n;

	do {
		n = read(fd, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	CHECK(n == (ssize_t)sizeof(v));
	return v;
}

/* fork; the child dies with us (a failed check must not leave workers). */
static inline pid_t lt_fork(void)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
	}
	return pid;
}

static inline int lt_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		CHECK(errno == EINTR);
	return st;
}

static inline void lt_reap_ok(pid_t pid)
{
	int st = lt_wait(pid);

	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "child %d failed (status %#x)\n", (int)pid, st);
		exit(1);
	}
}

/* Open the slice this process's environment names, through the API. */
static inline struct vgpu_slice *lt_slice(uint64_t gpu_memory)
{
	char err[512];
	struct vgpu_slice *s = NULL;
	VGPU_OPTS(vgpu_open_opts, o, .device = 0, .gpu_memory = gpu_memory,
		  .errbuf = err, .errlen = sizeof(err));
	int e = vgpu_slice_open(NULL, &o, &s);

	if (e) {
		fprintf(stderr, "vgpu_slice_open: %s (%d)\n", err, e);
		exit(1);
	}
	return s;
}

#endif
