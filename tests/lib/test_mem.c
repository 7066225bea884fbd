// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every device allocation API is charged before it happens and uncharged
 * when freed, to the byte at the quota: the quota succeeds, one byte more
 * fails with CUDA_ERROR_OUT_OF_MEMORY and leaves the driver untouched.
 * cuMemGetInfo and cuDeviceTotalMem report the slice.  A context's memory
 * is measured, reported apart, and counted only when asked.
 */
#include "lt.h"

#define Q (64 * MiB)

static uint64_t base;	/* the simulated GPU's usage by us, nothing allocated */

static uint64_t gpu_used(void)
{
	return fakecuda_mem_used(getpid()) - base;
}

static void expect_free(uint64_t want)
{
	size_t fr, total;

	lt_meminfo(&fr, &total);
	CHECK_EQ(total, Q);
	CHECK_EQ(fr, want);
}

/* A refusal that leaves no trace. */
#define REFUSED(call) do { \
	uint64_t _u = gpu_used(); \
	OOM(call); \
	CHECK_EQ(gpu_used(), _u); \
} while (0)

static void t_linear(void)
{
	CUdeviceptr p, q;
	size_t pitch;

	/* cuMemAlloc: the quota exactly, then one byte more */
	OK(cuMemAlloc(&p, Q));
	CHECK_EQ(gpu_used(), Q);
	expect_free(0);
	REFUSED(cuMemAlloc(&q, 1));
	OK(cuMemFree(p));
	CHECK_EQ(gpu_used(), 0);
	expect_free(Q);
	REFUSED(cuMemAlloc(&q, Q + 1));
	OK(cuMemAlloc(&p, Q - 1));
	REFUSED(cuMemAlloc(&q, 2));
	OK(cuMemAlloc(&q, 1));
	expect_free(0);
	OK(cuMemFree(q));
	OK(cuMemFree(p));

	/* pitched: pitch x height, pitch a multiple of 512 */
	OK(cuMemAllocPitch(&p, &pitch, 4096, Q / 4096, 4));
	CHECK_EQ(pitch, 4096);
	CHECK_EQ(gpu_used(), Q);
	REFUSED(cuMemAllocPitch(&q, &pitch, 1, 1, 4));
	OK(cuMemFree(p));
	expect_free(Q);
	REFUSED(cuMemAllocPitch(&p, &pitch, 4097, Q / 4608 + 1, 4));
	OK(cuMemAllocPitch(&p, &pitch, 3000, 1000, 4));	/* 3072 x 1000 */
	CHECK_EQ(pitch, 3072);
	expect_free(Q - 3072 * 1000);
	OK(cuMemAlloc(&q, Q - 3072 * 1000));
	REFUSED(cuMemAlloc(&p, 1));
	OK(cuMemFree(q));
	OK(cuMemFree(p));
	expect_free(Q);

	/* managed: the whole size */
	OK(cuMemAllocManaged(&p, Q, CU_MEM_ATTACH_GLOBAL));
	CHECK_EQ(gpu_used(), Q);
	REFUSED(cuMemAllocManaged(&q, 1, CU_MEM_ATTACH_GLOBAL));
	REFUSED(cuMemAlloc(&q, 1));
	OK(cuMemFree(p));
	expect_free(Q);

	/* errors of the driver are the driver's, with nothing charged */
	CU(cuMemAlloc(&p, 0), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemAllocPitch(&p, &pitch, 64, 64, 3), CUDA_ERROR_INVALID_VALUE);
	expect_free(Q);
	CHECK_EQ(gpu_used(), 0);
	/* host memory is not device memory */
	{
		void *h;

		OK(cuMemAllocHost(&h, 2 * Q));
		expect_free(Q);
		OK(cuMemFreeHost(h));
	}
}

static void t_pools(void)
{
	CUmemoryPool pool;
	CUmemPoolProps props = {
		.allocType = CU_MEM_ALLOCATION_TYPE_PINNED,
		.location = { .type = CU_MEM_LOCATION_TYPE_DEVICE, .id = 0 },
	};
	CUdeviceptr p, q;
	cuuint64_t v;

	/* the default pool: charged by reservation (2 MiB blocks) */
	OK(cuMemAllocAsync(&p, Q - 2 * MiB + 1, NULL));
	CHECK_EQ(gpu_used(), Q);
	REFUSED(cuMemAllocAsync(&q, 1, NULL));
	REFUSED(cuMemAlloc(&q, 1));
	OK(cuMemFreeAsync(p, NULL));
	/* freed, but the pool keeps the block: still reserved, still charged */
	CHECK_EQ(gpu_used(), Q);
	expect_free(0);
	/* a new request at the quota: the cached block goes back first */
	OK(cuMemAllocAsync(&p, Q, NULL));
	CHECK_EQ(gpu_used(), Q);
	OK(cuMemFreeAsync(p, NULL));
	/* synchronisation releases above the threshold (0): uncharged */
	OK(cuStreamSynchronize(NULL));
	CHECK_EQ(gpu_used(), 0);
	expect_free(Q);
	/* the _ptsz forms */
	OK(cuMemAllocAsync_ptsz(&p, Q, NULL));
	REFUSED(cuMemAllocAsync_ptsz(&q, 1, NULL));
	OK(cuMemFreeAsync_ptsz(p, NULL));
	OK(cuCtxSynchronize());
	expect_free(Q);

	/* an explicit pool; a trim returns memory */
	OK(cuMemPoolCreate(&pool, &props));
	OK(cuMemAllocFromPoolAsync(&p, Q / 2, pool, NULL));
	OK(cuMemAllocFromPoolAsync(&q, Q / 2, pool, NULL));
	CHECK_EQ(gpu_used(), Q);
	REFUSED(cuMemAllocFromPoolAsync_ptsz(&p, 1, pool, NULL));
	OK(cuMemFreeAsync(q, NULL));
	OK(cuMemPoolGetAttribute(pool, CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT, &v));
	CHECK_EQ(v, Q);
	expect_free(0);
	OK(cuMemPoolTrimTo(pool, 0));
	expect_free(Q / 2);
	CHECK_EQ(gpu_used(), Q / 2);
	/* a block still in use keeps its memory after the pool is destroyed */
	OK(cuMemPoolDestroy(pool));
	expect_free(Q / 2);
	OK(cuMemFree(p));
	expect_free(Q);
	CHECK_EQ(gpu_used(), 0);
}

static void t_vmm(void)
{
	CUmemAllocationProp prop = {
		.type = CU_MEM_ALLOCATION_TYPE_PINNED,
		.location = { .type = CU_MEM_LOCATION_TYPE_DEVICE, .id = 0 },
	};
	CUmemAccessDesc acc = {
		.location = prop.location, .flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE,
	};
	CUmemGenericAllocationHandle h, h2;
	CUdeviceptr va;
	size_t gran;

	OK(cuMemGetAllocationGranularity(&gran, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM));
	CHECK_EQ(gran, 2 * MiB);
	OK(cuMemCreate(&h, Q, &prop, 0));
	CHECK_EQ(gpu_used(), Q);
	REFUSED(cuMemCreate(&h2, gran, &prop, 0));
	/* not a multiple of the granularity: the driver's error, nothing kept */
	CU(cuMemCreate(&h2, gran + 1, &prop, 0), CUDA_ERROR_INVALID_VALUE);
	/* released while mapped: still charged until unmapped */
	OK(cuMemAddressReserve(&va, Q, 0, 0, 0));
	OK(cuMemMap(va, Q, 0, h, 0));
	OK(cuMemSetAccess(va, Q, &acc, 1));
	OK(cuMemsetD8(va, 7, 4096));
	OK(cuMemRelease(h));
	CHECK_EQ(gpu_used(), Q);
	expect_free(0);
	OK(cuMemUnmap(va, Q));
	CHECK_EQ(gpu_used(), 0);
	expect_free(Q);
	OK(cuMemAddressFree(va, Q));
	/* released when not mapped: uncharged at once */
	OK(cuMemCreate(&h, Q, &prop, 0));
	OK(cuMemRelease(h));
	expect_free(Q);
	/* host-located: not device memory */
	prop.location.type = CU_MEM_LOCATION_TYPE_HOST;
	prop.location.id = 0;
	OK(cuMemCreate(&h, 2 * Q, &prop, 0));
	expect_free(Q);
	OK(cuMemRelease(h));
}

static void t_arrays(void)
{
	CUDA_ARRAY_DESCRIPTOR a2 = {
		.Width = 4096, .Height = Q / (4096 * 16), .Format = CU_AD_FORMAT_FLOAT,
		.NumChannels = 4,
	};
	CUDA_ARRAY3D_DESCRIPTOR a3 = {
		.Width = 256, .Height = 256, .Depth = Q / (256 * 256 * 4),
		.Format = CU_AD_FORMAT_UNSIGNED_INT8, .NumChannels = 4,
	};
	CUDA_ARRAY3D_DESCRIPTOR mip = {
		.Width = 2048, .Height = 2048, .Format = CU_AD_FORMAT_FLOAT, .NumChannels = 1,
	};
	CUDA_ARRAY_DESCRIPTOR one = {
		.Width = 1, .Height = 1, .Format = CU_AD_FORMAT_UNSIGNED_INT8, .NumChannels = 1,
	};
	CUarray a, b;
	CUmipmappedArray m;
	CUdeviceptr p, q;
	uint64_t mbytes = 0;

	OK(cuArrayCreate(&a, &a2));
	CHECK_EQ(gpu_used(), Q);
	REFUSED(cuArrayCreate(&b, &one));
	OK(cuArrayDestroy(a));
	expect_free(Q);
	OK(cuArray3DCreate(&a, &a3));
	CHECK_EQ(gpu_used(), Q);
	REFUSED(cuArrayCreate(&b, &one));
	OK(cuArrayDestroy(a));
	expect_free(Q);
	/* mipmapped: every level */
	for (uint64_t l = 0, w = 2048; l < 12; l++, w /= 2)
		mbytes += w * w * 4;
	OK(cuMipmappedArrayCreate(&m, &mip, 12));
	CHECK_EQ(gpu_used(), mbytes);
	expect_free(Q - mbytes);
	OK(cuMemAlloc(&p, Q - mbytes));
	REFUSED(cuMemAlloc(&q, 1));
	REFUSED(cuMipmappedArrayCreate(&m, &mip, 1));
	OK(cuMipmappedArrayDestroy(m));
	OK(cuMemFree(p));
	expect_free(Q);
	CHECK_EQ(gpu_used(), 0);
}

/* Destroying a context frees (and uncharges) its allocations. */
static void t_context_gone(void)
{
	CUcontext c2, cur;
	CUdeviceptr p;
	CUarray a;
	CUDA_ARRAY_DESCRIPTOR one = {
		.Width = 1024, .Height = 1024, .Format = CU_AD_FORMAT_UNSIGNED_INT8,
		.NumChannels = 1,
	};

	OK(cuCtxGetCurrent(&cur));
	OK(cuCtxCreate(&c2, NULL, 0, 0));
	OK(cuMemAlloc(&p, Q / 2));
	OK(cuArrayCreate(&a, &one));
	expect_free(Q / 2 - MiB);
	OK(cuCtxDestroy(c2));
	OK(cuCtxSetCurrent(cur));
	expect_free(Q);
	CHECK_EQ(gpu_used(), 0);
}

/* A context's memory: measured, reported apart, counted when asked. */
static void t_ctx_overhead(bool count)
{
	pid_t pid = lt_fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		char name[96];
		struct vgpu_slice *s;
		VGPU_OPTS(vgpu_mem_usage, u);
		VGPU_OPTS(vgpu_slice_stats, st);
		CUcontext ctx;
		CUdeviceptr p, q;
		size_t fr, total;
		uint64_t ovh = 48 * MiB, avail = count ? Q - ovh : Q;

		snprintf(name, sizeof(name), "/lt-fc-mem-ctx-%d", (int)getpid());
		setenv("FAKECUDA_SHM", name, 1);
		setenv("FAKECUDA_CTX_OVERHEAD", "48m", 1);
		fakecuda_shm_unlink();
		if (!lt_kernel()) {
			snprintf(name, sizeof(name), "/lt-vg-mem-ctx-%d", (int)getpid());
			setenv("VGPU_SHM", name, 1);
			shm_unlink(name);
		}
		setenv("VGPU_COUNT_CONTEXT", count ? "1" : "0", 1);
		OK(cuInit(0));
		/* the runtime's way (primary context) in one case, cuCtxCreate in the other */
		if (count) {
			OK(cuDevicePrimaryCtxRetain(&ctx, 0));
			OK(cuCtxSetCurrent(ctx));
		} else {
			OK(cuCtxCreate(&ctx, NULL, 0, 0));
		}
		lt_meminfo(&fr, &total);
		CHECK_EQ(total, Q);
		CHECK_EQ(fr, avail);
		OK(cuMemAlloc(&p, avail));
		OOM(cuMemAlloc(&q, 1));
		if (!lt_kernel()) {
			/* the slice reports the context's memory apart */
			s = lt_slice(16 * GiB);
			OK(vgpu_mem_usage(s, &u) ? CUDA_ERROR_UNKNOWN : CUDA_SUCCESS);
			CHECK_EQ(u.used, Q);
			OK(vgpu_slice_stats(s, &st) ? CUDA_ERROR_UNKNOWN : CUDA_SUCCESS);
			CHECK_EQ(st.ctx_mem, ovh);
			vgpu_slice_close(s);
		}
		OK(cuMemFree(p));
		if (count) {
			OK(cuDevicePrimaryCtxRelease(0));
		} else {
			OK(cuCtxDestroy(ctx));
		}
		if (!lt_kernel()) {
			/* the context is gone, and so is its memory */
			s = lt_slice(16 * GiB);
			OK(vgpu_slice_stats(s, &st) ? CUDA_ERROR_UNKNOWN : CUDA_SUCCESS);
			CHECK_EQ(st.ctx_mem, 0);
			CHECK_EQ(st.mem_used, 0);
			vgpu_slice_close(s);
		}
		fakecuda_shm_unlink();
		if (!lt_kernel())
			shm_unlink(name);
		exit(0);
	}
	lt_reap_ok(pid);
}

/* A child forked after cuInit starts over: its own record, not ours. */
static void t_fork(void)
{
	CUdeviceptr p;
	pid_t pid;

	OK(cuMemAlloc(&p, Q / 2));
	pid = lt_fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CUdeviceptr a, b;

		lt_context(NULL);
		expect_free(Q / 2);
		OK(cuMemAlloc(&a, Q / 2));
		OOM(cuMemAlloc(&b, 1));
		exit(0);	/* its memory goes with it */
	}
	lt_reap_ok(pid);
	expect_free(Q / 2);
	OK(cuMemFree(p));
	expect_free(Q);
}

int main(void)
{
	CUcontext ctx;
	size_t total;

	lt_setup("mem", "1g", NULL);
	setenv("VGPU_MEMORY_LIMIT", "64m", 1);
	t_ctx_overhead(false);
	t_ctx_overhead(true);

	ctx = lt_context(NULL);
	base = fakecuda_mem_used(getpid());
	expect_free(Q);
	OK(cuDeviceTotalMem(&total, 0));
	CHECK_EQ(total, Q);
	t_linear();
	t_pools();
	t_vmm();
	t_arrays();
	t_context_gone();
	t_fork();
	OK(cuCtxDestroy(ctx));
	printf("test_mem: every allocation API charged to the byte at a %llu MiB quota\n",
	       Q / MiB);
	return 0;
}
