// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: the GPU runs one kernel at a time across processes.
 * Two processes each queue kernels totalling T at the same moment; the
 * last one's work cannot complete before 2T after the first start, and
 * each process is charged exactly its own kernel time.
 */
#include "fc_test.h"

#define KERNELS 5
#define KERNEL_NS (20 * MS)
#define T (KERNELS * KERNEL_NS)

static pid_t spawn_worker(int *go, int *result)
{
	int down[2], up[2];
	pid_t pid;

	CHECK(pipe(down) == 0 && pipe(up) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CUfunction fn;
		uint64_t t0, t1, t2;
		CUresult q;

		fct_context(&fn);
		fct_put(up[1], 0);		/* ready */
		fct_get(down[0]);		/* go */
		t0 = fct_now();
		for (int i = 0; i < KERNELS; i++)
			if (fct_launch(fn, NULL, KERNEL_NS) != CUDA_SUCCESS)
				_exit(2);
		t1 = fct_now();
		q = cuStreamQuery(NULL);
		if (cuCtxSynchronize() != CUDA_SUCCESS)
			_exit(3);
		t2 = fct_now();
		fct_put(up[1], t0);
		fct_put(up[1], t1);
		fct_put(up[1], t2);
		fct_put(up[1], (uint64_t)q);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	*go = down[1];
	*result = up[0];
	CHECK_EQ(fct_get(up[0]), 0);
	return pid;
}

static void test_two_processes(void)
{
	uint64_t t0[2], t1[2], t2[2], q[2], first, last;
	int go[2], res[2];
	pid_t pid[2];

	for (int i = 0; i < 2; i++)
		pid[i] = spawn_worker(&go[i], &res[i]);
	for (int i = 0; i < 2; i++)
		fct_put(go[i], 1);
	for (int i = 0; i < 2; i++) {
		t0[i] = fct_get(res[i]);
		t1[i] = fct_get(res[i]);
		t2[i] = fct_get(res[i]);
		q[i] = fct_get(res[i]);
		fct_reap_ok(pid[i]);
	}
	first = t0[0] < t0[1] ? t0[0] : t0[1];
	last = t2[0] > t2[1] ? t2[0] : t2[1];
	for (int i = 0; i < 2; i++) {
		/* launches are asynchronous: queueing took far less than the work */
		CHECK(t1[i] - t0[i] < T / 2);
		CHECK_EQ(q[i], CUDA_ERROR_NOT_READY);
		CHECK(t2[i] - t0[i] >= T);
		/* each is charged exactly its own kernels */
		CHECK_EQ(fakecuda_busy_ns(pid[i]), T);
		CHECK_EQ(fakecuda_launches(pid[i]), KERNELS);
	}
	/* one GPU: the work of both ran one piece after the other */
	if (last - first < 2 * T) {
		fprintf(stderr, "both finished %llu ns after the first start, want >= %llu\n",
			(unsigned long long)(last - first), (unsigned long long)(2 * T));
		exit(1);
	}
	CHECK_EQ(fakecuda_busy_ns(0), 2 * T);
	CHECK_EQ(fakecuda_launches(0), 2 * KERNELS);
}

static void test_in_process(void)
{
	CUfunction fn;
	CUstream s;
	uint64_t t0;
	unsigned long long busy0 = fakecuda_busy_ns(getpid());
	unsigned long long n0 = fakecuda_launches(getpid());

	fct_context(&fn);
	OK(cuStreamCreate(&s, 0));
	t0 = fct_now();
	OK(fct_launch(fn, s, 30 * MS));
	CU(cuStreamQuery(s), CUDA_ERROR_NOT_READY);
	OK(cuStreamQuery(NULL));	/* the NULL stream has nothing queued */
	OK(cuStreamSynchronize(s));
	CHECK(fct_now() - t0 >= 30 * MS);
	OK(cuStreamQuery(s));

	/* no parameters: a kernel of no time, still a launch */
	OK(cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, s, NULL, NULL));
	CHECK_EQ(fakecuda_busy_ns(getpid()), busy0 + 30 * MS);
	CHECK_EQ(fakecuda_launches(getpid()), n0 + 2);

	/* a synchronous copy waits for the work queued before it */
	{
		CUdeviceptr d;
		char c = 0;

		OK(cuMemAlloc(&d, 1));
		t0 = fct_now();
		OK(fct_launch(fn, NULL, 20 * MS));
		OK(cuMemcpyDtoH(&c, d, 1));
		CHECK(fct_now() - t0 >= 20 * MS);
		OK(cuMemFree(d));
	}

	/* launch checks */
	CU(cuLaunchKernel(fn, 0, 1, 1, 1, 1, 1, 0, s, NULL, NULL), CUDA_ERROR_INVALID_VALUE);
	CU(cuLaunchKernel(fn, 1, 1, 1, 1025, 1, 1, 0, s, NULL, NULL), CUDA_ERROR_INVALID_VALUE);
	CU(cuLaunchKernel(fn, 1, 1, 1, 32, 32, 2, 0, s, NULL, NULL), CUDA_ERROR_INVALID_VALUE);
	CU(cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, (CUstream)&t0, NULL, NULL),
	   CUDA_ERROR_INVALID_HANDLE);
	{
		uint64_t ns = 0;
		void *params[] = { &ns };
		CUlaunchConfig cfg = { .gridDimX = 132 * 2 + 1, .gridDimY = 1, .gridDimZ = 1,
				       .blockDimX = 1024, .blockDimY = 1, .blockDimZ = 1,
				       .hStream = s };
		CUlaunchAttribute coop = { .id = CU_LAUNCH_ATTRIBUTE_COOPERATIVE };

		/* cooperative: every block resident at once (2 of 1024 threads per SM) */
		CU(cuLaunchCooperativeKernel(fn, 132 * 2 + 1, 1, 1, 1024, 1, 1, 0, s, params),
		   CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE);
		OK(cuLaunchCooperativeKernel(fn, 132 * 2, 1, 1, 1024, 1, 1, 0, s, params));
		OK(cuLaunchKernelEx(&cfg, fn, params, NULL));
		coop.value.cooperative = 1;
		cfg.attrs = &coop;
		cfg.numAttrs = 1;
		CU(cuLaunchKernelEx(&cfg, fn, params, NULL), CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE);
		CU(cuLaunchKernelEx(NULL, fn, params, NULL), CUDA_ERROR_INVALID_VALUE);
	}
	OK(cuStreamDestroy(s));
}

int main(void)
{
	fct_setup("timeline", NULL, NULL);
	OK(cuInit(0));
	test_two_processes();
	test_in_process();
	return 0;
}
