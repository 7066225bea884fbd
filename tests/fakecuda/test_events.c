// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: events and elapsed time; the per-thread default stream.
 *
 * Elapsed time between an event recorded on an idle stream and one
 * recorded after kernels of durations d1..dn equals sum(d) plus the host
 * time between recording the start event and queueing the first kernel
 * (the GPU sits idle then).  That gap is bounded by the host clock read
 * around those two calls, so the check is
 *	sum(d) <= elapsed <= sum(d) + gap + rounding,
 * rounding being the float milliseconds' resolution (2^-24 relative, under
 * 0.01 us here) plus 1 us for safety.
 */
#include <dlfcn.h>

#include "fc_test.h"

static void test_elapsed(CUfunction fn)
{
	static const uint64_t d[] = { 10 * MS, 15 * MS, 5 * MS };
	uint64_t sum = 0, before, after, ns;
	CUevent start, end, notime, never;
	CUstream s;
	float ms, ms1;
	CUresult (*elapsed_v1)(float *, CUevent, CUevent);
	void *lib;

	OK(cuStreamCreate(&s, 0));
	OK(cuEventCreate(&start, CU_EVENT_DEFAULT));
	OK(cuEventCreate(&end, CU_EVENT_BLOCKING_SYNC));
	OK(cuEventCreate(&notime, CU_EVENT_DISABLE_TIMING));
	OK(cuEventCreate(&never, 0));

	before = fct_now();
	OK(cuEventRecord(start, s));
	OK(fct_launch(fn, s, d[0]));
	after = fct_now();
	for (size_t i = 1; i < 3; i++)
		OK(fct_launch(fn, s, d[i]));
	for (size_t i = 0; i < 3; i++)
		sum += d[i];
	OK(cuEventRecord(end, s));
	OK(cuEventRecord(notime, s));

	CU(cuEventQuery(end), CUDA_ERROR_NOT_READY);
	CU(cuEventElapsedTime(&ms, start, end), CUDA_ERROR_NOT_READY);
	OK(cuEventQuery(never));	/* never recorded: complete */
	CU(cuEventElapsedTime(&ms, start, never), CUDA_ERROR_INVALID_HANDLE);
	OK(cuEventSynchronize(end));
	OK(cuEventQuery(end));
	CHECK(fct_now() - before >= sum);
	OK(cuEventElapsedTime(&ms, start, end));
	ns = (uint64_t)((double)ms * 1e6);
	if (ns + 1000 < sum || ns > sum + (after - before) + 1000) {
		fprintf(stderr, "elapsed %.6f ms, want within [%llu, %llu] ns\n", ms,
			(unsigned long long)sum, (unsigned long long)(sum + after - before));
		exit(1);
	}
	/* the plain (v1) entry point agrees with _v2 */
	lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
	CHECK(lib);
	*(void **)&elapsed_v1 = dlsym(lib, "cuEventElapsedTime");
	CHECK(elapsed_v1);
	OK(elapsed_v1(&ms1, start, end));
	CHECK(ms1 == ms);
	dlclose(lib);

	CU(cuEventElapsedTime(&ms, start, notime), CUDA_ERROR_INVALID_HANDLE);
	CU(cuEventElapsedTime(NULL, start, end), CUDA_ERROR_INVALID_VALUE);
	CU(cuEventRecordWithFlags(start, s, 0x8), CUDA_ERROR_INVALID_VALUE);
	OK(cuEventRecordWithFlags(start, s, CU_EVENT_RECORD_DEFAULT));

	/* a stream waiting on an event recorded after queued work */
	{
		CUstream s2;

		OK(cuStreamCreate(&s2, CU_STREAM_NON_BLOCKING));
		before = fct_now();
		OK(fct_launch(fn, s, 20 * MS));
		OK(cuEventRecord(end, s));
		OK(cuStreamWaitEvent(s2, end, 0));
		CU(cuStreamWaitEvent(s2, end, 0x4), CUDA_ERROR_INVALID_VALUE);
		CU(cuStreamQuery(s2), CUDA_ERROR_NOT_READY);
		OK(cuStreamSynchronize(s2));
		CHECK(fct_now() - before >= 20 * MS);
		OK(cuStreamDestroy(s2));
	}
	OK(cuEventDestroy(start));
	OK(cuEventDestroy(end));
	OK(cuEventDestroy(notime));
	OK(cuEventDestroy(never));
	OK(cuStreamDestroy(s));
}

/* The _ptsz forms treat the NULL stream as the calling thread's stream. */
static void test_per_thread(CUfunction fn)
{
	CUresult (*launch_ptsz)(CUfunction, unsigned int, unsigned int, unsigned int,
				unsigned int, unsigned int, unsigned int, unsigned int,
				CUstream, void **, void **);
	CUresult (*query_ptsz)(CUstream);
	CUresult (*sync_ptsz)(CUstream);
	uint64_t ns = 20 * MS;
	void *params[] = { &ns };
	CUdriverProcAddressQueryResult st;

	OK(cuGetProcAddress("cuLaunchKernel", (void **)&launch_ptsz, 13000,
			    CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st));
	OK(cuGetProcAddress("cuStreamQuery", (void **)&query_ptsz, 13000,
			    CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st));
	OK(cuGetProcAddress("cuStreamSynchronize", (void **)&sync_ptsz, 13000,
			    CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st));
	OK(launch_ptsz(fn, 1, 1, 1, 1, 1, 1, 0, NULL, params, NULL));
	CU(query_ptsz(NULL), CUDA_ERROR_NOT_READY);
	CU(cuStreamQuery(CU_STREAM_PER_THREAD), CUDA_ERROR_NOT_READY);
	OK(cuStreamQuery(NULL));		/* the legacy NULL stream is idle */
	OK(cuStreamQuery(CU_STREAM_LEGACY));
	CU(query_ptsz(CU_STREAM_PER_THREAD), CUDA_ERROR_NOT_READY);
	OK(sync_ptsz(NULL));
	OK(query_ptsz(NULL));
}

int main(void)
{
	CUfunction fn;

	fct_setup("events", NULL, NULL);
	fct_context(&fn);
	test_elapsed(fn);
	test_per_thread(fn);
	return 0;
}
