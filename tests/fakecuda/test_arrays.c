// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: arrays, mipmapped arrays, pitched and managed memory are
 * device memory; each is charged its element bytes (no padding in the
 * double) and given back when destroyed.
 */
#include "fc_test.h"

static size_t used(void)
{
	return (size_t)fakecuda_mem_used(getpid());
}

int main(void)
{
	CUDA_ARRAY_DESCRIPTOR d2 = { .Width = 1024, .Height = 1024,
				     .Format = CU_AD_FORMAT_FLOAT, .NumChannels = 4 };
	CUDA_ARRAY3D_DESCRIPTOR d3 = { .Width = 64, .Height = 64, .Depth = 64,
				       .Format = CU_AD_FORMAT_UNSIGNED_INT8, .NumChannels = 2 };
	CUarray a, b;
	CUmipmappedArray m;
	CUdeviceptr p;
	size_t pitch;

	fct_setup("arrays", "256m", NULL);
	fct_context(NULL);
	CHECK_EQ(used(), 0);

	OK(cuArrayCreate(&a, &d2));
	CHECK_EQ(used(), 1024 * 1024 * 16);
	OK(cuArray3DCreate(&b, &d3));
	CHECK_EQ(used(), 1024 * 1024 * 16 + 64 * 64 * 64 * 2);
	OK(cuArrayDestroy(a));
	CU(cuArrayDestroy(a), CUDA_ERROR_INVALID_HANDLE);
	OK(cuArrayDestroy(b));
	CHECK_EQ(used(), 0);

	/* 1D (height 0), layered, cubemap */
	d2.Height = 0;
	OK(cuArrayCreate(&a, &d2));
	CHECK_EQ(used(), 1024 * 16);
	OK(cuArrayDestroy(a));
	d3.Flags = CUDA_ARRAY3D_LAYERED;
	d3.Depth = 3;
	OK(cuArray3DCreate(&a, &d3));
	CHECK_EQ(used(), 64 * 64 * 3 * 2);
	OK(cuArrayDestroy(a));
	d3.Flags = CUDA_ARRAY3D_CUBEMAP;
	d3.Depth = 6;
	OK(cuArray3DCreate(&a, &d3));
	CHECK_EQ(used(), 64 * 64 * 6 * 2);
	OK(cuArrayDestroy(a));
	d3.Depth = 5;
	CU(cuArray3DCreate(&a, &d3), CUDA_ERROR_INVALID_VALUE);
	d3.Depth = 6;
	d3.Height = 32;
	CU(cuArray3DCreate(&a, &d3), CUDA_ERROR_INVALID_VALUE);
	d3.Flags = 0;
	d3.Height = 64;

	/* invalid descriptors */
	d2.Height = 16;
	d2.NumChannels = 3;
	CU(cuArrayCreate(&a, &d2), CUDA_ERROR_INVALID_VALUE);
	d2.NumChannels = 1;
	d2.Format = (CUarray_format)0x77;
	CU(cuArrayCreate(&a, &d2), CUDA_ERROR_INVALID_VALUE);
	d2.Format = CU_AD_FORMAT_HALF;
	d2.Width = 0;
	CU(cuArrayCreate(&a, &d2), CUDA_ERROR_INVALID_VALUE);
	CU(cuArrayCreate(&a, NULL), CUDA_ERROR_INVALID_VALUE);
	d2.Width = 16 * 1024 * 1024;
	d2.Height = 16 * 1024;
	CU(cuArrayCreate(&a, &d2), CUDA_ERROR_OUT_OF_MEMORY);

	/* mipmaps: every level, halving down to 1 */
	d3 = (CUDA_ARRAY3D_DESCRIPTOR){ .Width = 256, .Height = 64, .Format = CU_AD_FORMAT_FLOAT,
					.NumChannels = 1 };
	CU(cuMipmappedArrayCreate(&m, &d3, 10), CUDA_ERROR_INVALID_VALUE);
	CU(cuMipmappedArrayCreate(&m, &d3, 0), CUDA_ERROR_INVALID_VALUE);
	OK(cuMipmappedArrayCreate(&m, &d3, 9));
	CHECK_EQ(used(), 4 * (256 * 64 + 128 * 32 + 64 * 16 + 32 * 8 + 16 * 4 + 8 * 2 + 4 + 2 + 1));
	CU(cuArrayDestroy((CUarray)m), CUDA_ERROR_INVALID_HANDLE);
	OK(cuMipmappedArrayDestroy(m));
	CHECK_EQ(used(), 0);

	/* pitched rows: 512-byte aligned pitch, pitch x height charged */
	CU(cuMemAllocPitch(&p, &pitch, 100, 10, 3), CUDA_ERROR_INVALID_VALUE);
	OK(cuMemAllocPitch(&p, &pitch, 1000, 10, 4));
	CHECK_EQ(pitch, 1024);
	CHECK_EQ(used(), 10240);
	OK(cuMemsetD8(p + 10239, 1, 1));
	OK(cuMemFree(p));

	/* managed memory is charged in full at once */
	CU(cuMemAllocManaged(&p, 4096, 0), CUDA_ERROR_INVALID_VALUE);
	OK(cuMemAllocManaged(&p, 3 * MiB, CU_MEM_ATTACH_GLOBAL));
	CHECK_EQ(used(), 3 * MiB);
	((volatile char *)(uintptr_t)p)[3 * MiB - 1] = 1;	/* the host can touch it */
	OK(cuMemFree(p));
	CHECK_EQ(used(), 0);

	/* a context's arrays and allocations go with it */
	{
		CUcontext c, cur;

		OK(cuCtxGetCurrent(&cur));
		OK(cuCtxCreate(&c, NULL, 0, 0));
		OK(cuArray3DCreate(&a, &d3));
		OK(cuMemAlloc(&p, 1 * MiB));
		CHECK(used() > 1 * MiB);
		OK(cuCtxDestroy(c));
		CHECK_EQ(used(), 0);
		OK(cuCtxSetCurrent(cur));
		CU(cuArrayDestroy(a), CUDA_ERROR_INVALID_HANDLE);
	}
	return 0;
}
