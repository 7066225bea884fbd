// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: stream-ordered allocation and memory pools.  A pool
 * reserves (and is charged) whole 2 MiB blocks; freed blocks stay reserved
 * until a trim, or until a synchronisation finds more than the release
 * threshold reserved.
 */
#include "fc_test.h"

static size_t free_mem(void)
{
	size_t fr, tot;

	OK(cuMemGetInfo(&fr, &tot));
	return fr;
}

static cuuint64_t attr(CUmemoryPool p, CUmemPool_attribute a)
{
	cuuint64_t v = 12345;

	OK(cuMemPoolGetAttribute(p, a, &v));
	return v;
}

#define RESERVED(p) attr(p, CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT)
#define USED(p) attr(p, CU_MEMPOOL_ATTR_USED_MEM_CURRENT)

int main(void)
{
	CUmemoryPool def, cur, pool;
	CUdeviceptr a, b;
	CUmemPoolProps props = { .allocType = CU_MEM_ALLOCATION_TYPE_PINNED,
				 .location = { .type = CU_MEM_LOCATION_TYPE_DEVICE, .id = 0 } };
	cuuint64_t v;
	size_t free0;
	CUstream s;

	fct_setup("pool", "64m", NULL);
	fct_context(NULL);
	OK(cuStreamCreate(&s, 0));
	free0 = free_mem();
	OK(cuDeviceGetDefaultMemPool(&def, 0));
	OK(cuDeviceGetMemPool(&cur, 0));
	CHECK(def == cur);
	CU(cuDeviceGetDefaultMemPool(&def, 1), CUDA_ERROR_INVALID_DEVICE);

	/* reserved is what is charged: 1 MiB asks for a 2 MiB block */
	OK(cuMemAllocAsync(&a, 1 * MiB, s));
	CHECK_EQ(USED(def), 1 * MiB);
	CHECK_EQ(RESERVED(def), 2 * MiB);
	CHECK_EQ(free_mem(), free0 - 2 * MiB);
	OK(cuMemsetD8Async(a, 7, 1 * MiB, s));
	OK(cuMemFreeAsync(a, s));
	CHECK_EQ(USED(def), 0);
	CHECK_EQ(RESERVED(def), 2 * MiB);
	CHECK_EQ(free_mem(), free0 - 2 * MiB);
	/* a freed block is used again */
	OK(cuMemAllocAsync(&b, 1536 * 1024, s));
	CHECK_EQ(RESERVED(def), 2 * MiB);
	CHECK_EQ(USED(def), 1536 * 1024);
	OK(cuMemFree(b));	/* the plain free works on it too */
	/* a synchronisation gives back what exceeds the threshold (default 0) */
	OK(cuStreamSynchronize(s));
	CHECK_EQ(RESERVED(def), 0);
	CHECK_EQ(free_mem(), free0);

	/* with a threshold, the pool keeps that much cached */
	v = 4 * MiB;
	OK(cuMemPoolSetAttribute(def, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &v));
	CHECK_EQ(attr(def, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD), 4 * MiB);
	OK(cuMemAllocAsync(&a, 2 * MiB, s));
	OK(cuMemAllocAsync(&b, 6 * MiB, s));
	CHECK_EQ(RESERVED(def), 8 * MiB);
	OK(cuMemFreeAsync(a, s));
	OK(cuMemFreeAsync(b, s));
	OK(cuCtxSynchronize());
	CHECK(RESERVED(def) <= 4 * MiB);
	CHECK_EQ(RESERVED(def), 2 * MiB);	/* the 6 MiB block went */
	CHECK_EQ(attr(def, CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH), 8 * MiB);
	CHECK_EQ(attr(def, CU_MEMPOOL_ATTR_USED_MEM_HIGH), 8 * MiB);
	/* trimming gives back the rest */
	OK(cuMemPoolTrimTo(def, 0));
	CHECK_EQ(RESERVED(def), 0);
	CHECK_EQ(free_mem(), free0);
	/* high watermarks reset to the current value, only by setting 0 */
	v = 1;
	CU(cuMemPoolSetAttribute(def, CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH, &v),
	   CUDA_ERROR_INVALID_VALUE);
	v = 0;
	OK(cuMemPoolSetAttribute(def, CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH, &v));
	OK(cuMemPoolSetAttribute(def, CU_MEMPOOL_ATTR_USED_MEM_HIGH, &v));
	CHECK_EQ(attr(def, CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH), 0);
	CU(cuMemPoolSetAttribute(def, CU_MEMPOOL_ATTR_USED_MEM_CURRENT, &v),
	   CUDA_ERROR_INVALID_VALUE);

	/* an explicit pool */
	props.location.type = CU_MEM_LOCATION_TYPE_HOST;
	CU(cuMemPoolCreate(&pool, &props), CUDA_ERROR_NOT_SUPPORTED);
	props.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
	props.allocType = CU_MEM_ALLOCATION_TYPE_INVALID;
	CU(cuMemPoolCreate(&pool, &props), CUDA_ERROR_INVALID_VALUE);
	props.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
	OK(cuMemPoolCreate(&pool, &props));
	v = UINT64_MAX;
	OK(cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &v));
	OK(cuMemAllocFromPoolAsync(&a, 32 * MiB, pool, s));
	CHECK_EQ(free_mem(), free0 - 32 * MiB);
	OK(cuMemFreeAsync(a, s));
	OK(cuStreamSynchronize(s));
	CHECK_EQ(RESERVED(pool), 32 * MiB);	/* kept: under the threshold */
	/* no room for 40 MiB beside the cached 32: the cache goes first */
	OK(cuMemAllocFromPoolAsync(&a, 40 * MiB, pool, s));
	CHECK_EQ(RESERVED(pool), 40 * MiB);
	CHECK_EQ(free_mem(), free0 - 40 * MiB);
	CU(cuMemAllocFromPoolAsync(&b, 30 * MiB, pool, s), CUDA_ERROR_OUT_OF_MEMORY);
	CU(cuMemAllocAsync(&b, 0, s), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemAllocFromPoolAsync(&b, 1, (CUmemoryPool)&v, s), CUDA_ERROR_INVALID_VALUE);
	/* the current pool of the device can be changed */
	OK(cuDeviceSetMemPool(0, pool));
	OK(cuDeviceGetMemPool(&cur, 0));
	CHECK(cur == pool);
	OK(cuMemAllocAsync(&b, 2 * MiB, s));
	CHECK_EQ(RESERVED(pool), 42 * MiB);
	OK(cuMemFreeAsync(b, s));
	/* destroyed with a block in use: that block stays charged until freed */
	OK(cuMemPoolDestroy(pool));
	OK(cuDeviceGetMemPool(&cur, 0));
	CHECK(cur == def);
	CU(cuMemPoolDestroy(pool), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemPoolDestroy(def), CUDA_ERROR_INVALID_VALUE);
	CHECK_EQ(free_mem(), free0 - 40 * MiB);
	OK(cuMemFreeAsync(a, s));
	CHECK_EQ(free_mem(), free0);

	/* the per-thread-stream forms */
	{
		CUresult (*alloc_ptsz)(CUdeviceptr *, size_t, CUstream);
		CUresult (*free_ptsz)(CUdeviceptr, CUstream);

		OK(cuGetProcAddress("cuMemAllocAsync", (void **)&alloc_ptsz, 12000,
				    CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, NULL));
		OK(cuGetProcAddress("cuMemFreeAsync", (void **)&free_ptsz, 12000,
				    CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, NULL));
		OK(alloc_ptsz(&a, 4 * MiB, NULL));
		CHECK_EQ(free_mem(), free0 - 4 * MiB);
		OK(free_ptsz(a, NULL));
		OK(cuMemPoolTrimTo(def, 0));
		CHECK_EQ(free_mem(), free0);
	}
	OK(cuStreamDestroy(s));
	return 0;
}
