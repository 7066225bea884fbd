// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: virtual memory management.  Physical allocations are
 * charged at cuMemCreate, in multiples of the 2 MiB granularity; a
 * released handle lives on while mapped; mappings have no access until
 * cuMemSetAccess; two mappings of one handle share its memory.
 */
#include "fc_test.h"

#define G (2 * MiB)

static size_t free_mem(void)
{
	size_t fr, tot;

	OK(cuMemGetInfo(&fr, &tot));
	return fr;
}

int main(void)
{
	CUmemAllocationProp prop = {
		.type = CU_MEM_ALLOCATION_TYPE_PINNED,
		.location = { .type = CU_MEM_LOCATION_TYPE_DEVICE, .id = 0 },
	};
	CUmemAccessDesc rw = { .location = prop.location,
			       .flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE };
	CUmemGenericAllocationHandle h, hh;
	char in[64] = "fakecuda vmm", out[64];
	CUdeviceptr va, va2;
	size_t gran, free0;

	fct_setup("vmm", "64m", NULL);
	fct_context(NULL);
	free0 = free_mem();
	OK(cuMemGetAllocationGranularity(&gran, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM));
	CHECK_EQ(gran, G);
	OK(cuMemGetAllocationGranularity(&gran, &prop, CU_MEM_ALLOC_GRANULARITY_RECOMMENDED));
	CHECK_EQ(gran, G);
	CU(cuMemGetAllocationGranularity(&gran, &prop, (CUmemAllocationGranularity_flags)7),
	   CUDA_ERROR_INVALID_VALUE);

	/* sizes must be multiples of the granularity */
	CU(cuMemCreate(&h, 3 * MiB, &prop, 0), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemCreate(&h, 0, &prop, 0), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemCreate(&h, G, &prop, 1), CUDA_ERROR_INVALID_VALUE);
	prop.location.id = 1;
	CU(cuMemCreate(&h, G, &prop, 0), CUDA_ERROR_INVALID_DEVICE);
	prop.location.id = 0;
	CU(cuMemCreate(&h, 128 * MiB, &prop, 0), CUDA_ERROR_OUT_OF_MEMORY);
	OK(cuMemCreate(&h, 2 * G, &prop, 0));
	CHECK_EQ(free_mem(), free0 - 2 * G);

	CU(cuMemAddressReserve(&va, G + 1, 0, 0, 0), CUDA_ERROR_INVALID_VALUE);
	OK(cuMemAddressReserve(&va, 4 * G, 0, 0, 0));
	CHECK_EQ(va % G, 0);
	CHECK_EQ(free_mem(), free0 - 2 * G);	/* address space costs nothing */
	CU(cuMemMap(va, 3 * MiB, 0, h, 0), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemMap(va, 2 * G, G / 2, h, 0), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemMap(va, 4 * G, 0, h, 0), CUDA_ERROR_INVALID_VALUE);	/* beyond h */
	CU(cuMemMap(va + 4 * G, G, 0, h, 0), CUDA_ERROR_INVALID_VALUE);	/* outside */
	OK(cuMemMap(va, 2 * G, 0, h, 0));
	CU(cuMemMap(va + G, G, 0, h, 0), CUDA_ERROR_INVALID_VALUE);	/* overlaps */
	/* no access before cuMemSetAccess */
	CU(cuMemcpyHtoD(va, in, sizeof(in)), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemSetAccess(va, 3 * G, &rw, 1), CUDA_ERROR_INVALID_VALUE);	/* unmapped part */
	OK(cuMemSetAccess(va, 2 * G, &rw, 1));
	OK(cuMemsetD8(va, 1, 2 * G));	/* the whole mapping is usable */
	OK(cuMemcpyHtoD(va + G + 5, in, sizeof(in)));
	OK(cuMemcpyDtoH(out, va + G + 5, sizeof(out)));
	CHECK(!memcmp(in, out, sizeof(in)));

	/* a second mapping of the same memory sees the same bytes */
	OK(cuMemMap(va + 2 * G, G, G, h, 0));
	OK(cuMemSetAccess(va + 2 * G, G, &rw, 1));
	OK(cuMemcpyHtoD(va + G + 100, "alias", 6));
	OK(cuMemcpyDtoH(out, va + 2 * G + 100, 6));
	CHECK(!strcmp(out, "alias"));

	/* released while mapped: still there, still charged */
	OK(cuMemRelease(h));
	CU(cuMemRelease(h), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemMap(va + 3 * G, G, 0, h, 0), CUDA_ERROR_INVALID_VALUE);
	CHECK_EQ(free_mem(), free0 - 2 * G);
	OK(cuMemcpyDtoH(out, va + G + 5, sizeof(out)));
	CHECK(!memcmp(in, out, sizeof(in)));
	/* whole mappings only; the memory goes with the last mapping */
	CU(cuMemUnmap(va, G), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemAddressFree(va, 4 * G), CUDA_ERROR_INVALID_VALUE);	/* still mapped */
	OK(cuMemUnmap(va, 2 * G));
	CHECK_EQ(free_mem(), free0 - 2 * G);
	CU(cuMemcpyHtoD(va, in, 1), CUDA_ERROR_INVALID_VALUE);
	OK(cuMemUnmap(va + 2 * G, G));
	CHECK_EQ(free_mem(), free0);
	CU(cuMemAddressFree(va, 2 * G), CUDA_ERROR_INVALID_VALUE);	/* not the reservation */
	OK(cuMemAddressFree(va, 4 * G));

	/* memory located on the host is not device memory */
	prop.location.type = CU_MEM_LOCATION_TYPE_HOST;
	OK(cuMemCreate(&hh, 8 * G, &prop, 0));
	CHECK_EQ(free_mem(), free0);
	OK(cuMemRelease(hh));

	/* an aligned reservation */
	OK(cuMemAddressReserve(&va2, G, 16 * MiB, 0, 0));
	CHECK_EQ(va2 % (16 * MiB), 0);
	OK(cuMemAddressFree(va2, G));
	CU(cuMemAddressReserve(&va2, G, 3 * MiB, 0, 0), CUDA_ERROR_INVALID_VALUE);
	return 0;
}
