// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cuGetProcAddress and cuGetProcAddress_v2: how the CUDA 12/13 runtime finds
 * driver functions (a base name, a CUDA version, per-thread-stream flags).
 *
 * The real driver is asked first, with the caller's version and flags, so
 * that the variant chosen is exactly the driver's (cuMemAlloc at 3020 is
 * cuMemAlloc_v2, cuLaunchKernel with PER_THREAD_DEFAULT_STREAM is
 * cuLaunchKernel_ptsz, a version too old gets the driver's answer).  Then
 * the real function it returned is mapped to our wrapper of the same ABI
 * symbol.  If the driver hands out an address that is not its exported
 * symbol's, the variant is chosen by our own table of hooked names
 * (versions of cudaTypedefs.h) instead.  Everything else, including
 * functions newer than this library, passes through untouched.
 */
#include <string.h>

#include "interpose.h"

struct pa_row {
	const char *base;
	int version;
	bool per_thread;
	enum vgpu_hook_id id;
};

#define R(base, ver, abi) { #base, ver, false, VH_##abi }
#define PT(base, ver, abi) { #base, ver, true, VH_##abi }

static const struct pa_row pa_rows[] = {
	R(cuInit, 2000, cuInit),
	R(cuGetProcAddress, 11030, cuGetProcAddress),
	R(cuGetProcAddress, 12000, cuGetProcAddress_v2),
	R(cuDeviceTotalMem, 3020, cuDeviceTotalMem_v2),
	R(cuMemGetInfo, 3020, cuMemGetInfo_v2),
	R(cuCtxCreate, 2000, cuCtxCreate),
	R(cuCtxCreate, 3020, cuCtxCreate_v2),
	R(cuCtxCreate, 11040, cuCtxCreate_v3),
	R(cuCtxCreate, 12050, cuCtxCreate_v4),
	R(cuCtxDestroy, 2000, cuCtxDestroy),
	R(cuCtxDestroy, 4000, cuCtxDestroy_v2),
	R(cuDevicePrimaryCtxRetain, 7000, cuDevicePrimaryCtxRetain),
	R(cuDevicePrimaryCtxRelease, 7000, cuDevicePrimaryCtxRelease),
	R(cuDevicePrimaryCtxRelease, 11000, cuDevicePrimaryCtxRelease_v2),
	R(cuDevicePrimaryCtxReset, 7000, cuDevicePrimaryCtxReset),
	R(cuDevicePrimaryCtxReset, 11000, cuDevicePrimaryCtxReset_v2),
	R(cuMemAlloc, 3020, cuMemAlloc_v2),
	R(cuMemAllocPitch, 3020, cuMemAllocPitch_v2),
	R(cuMemAllocManaged, 6000, cuMemAllocManaged),
	R(cuMemFree, 3020, cuMemFree_v2),
	R(cuMemAllocAsync, 11020, cuMemAllocAsync),
	PT(cuMemAllocAsync, 11020, cuMemAllocAsync_ptsz),
	R(cuMemAllocFromPoolAsync, 11020, cuMemAllocFromPoolAsync),
	PT(cuMemAllocFromPoolAsync, 11020, cuMemAllocFromPoolAsync_ptsz),
	R(cuMemFreeAsync, 11020, cuMemFreeAsync),
	PT(cuMemFreeAsync, 11020, cuMemFreeAsync_ptsz),
	R(cuMemPoolTrimTo, 11020, cuMemPoolTrimTo),
	R(cuMemPoolDestroy, 11020, cuMemPoolDestroy),
	R(cuMemCreate, 10020, cuMemCreate),
	R(cuMemRelease, 10020, cuMemRelease),
	R(cuMemMap, 10020, cuMemMap),
	R(cuMemUnmap, 10020, cuMemUnmap),
	R(cuArrayCreate, 3020, cuArrayCreate_v2),
	R(cuArray3DCreate, 3020, cuArray3DCreate_v2),
	R(cuArrayDestroy, 2000, cuArrayDestroy),
	R(cuMipmappedArrayCreate, 5000, cuMipmappedArrayCreate),
	R(cuMipmappedArrayDestroy, 5000, cuMipmappedArrayDestroy),
	R(cuLaunchKernel, 4000, cuLaunchKernel),
	PT(cuLaunchKernel, 7000, cuLaunchKernel_ptsz),
	R(cuLaunchKernelEx, 11060, cuLaunchKernelEx),
	PT(cuLaunchKernelEx, 11060, cuLaunchKernelEx_ptsz),
	R(cuLaunchCooperativeKernel, 9000, cuLaunchCooperativeKernel),
	PT(cuLaunchCooperativeKernel, 9000, cuLaunchCooperativeKernel_ptsz),
	R(cuGraphLaunch, 10000, cuGraphLaunch),
	PT(cuGraphLaunch, 10000, cuGraphLaunch_ptsz),
	R(cuLaunch, 2000, cuLaunch),
	R(cuLaunchGrid, 2000, cuLaunchGrid),
	R(cuLaunchGridAsync, 2000, cuLaunchGridAsync),
	R(cuCtxSynchronize, 2000, cuCtxSynchronize),
	R(cuCtxSynchronize, 13000, cuCtxSynchronize_v2),
	R(cuStreamSynchronize, 2000, cuStreamSynchronize),
	PT(cuStreamSynchronize, 7000, cuStreamSynchronize_ptsz),
	R(cuEventSynchronize, 2000, cuEventSynchronize),
};

#undef R
#undef PT

/* Our table's choice, as the driver documents it. */
static const struct pa_row *pa_choose(const char *symbol, int version, cuuint64_t flags)
{
	const struct pa_row *plain = NULL, *pt = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(pa_rows); i++) {
		const struct pa_row *r = &pa_rows[i];

		if (r->version > version || strcmp(r->base, symbol))
			continue;
		if (r->per_thread) {
			if (!pt || r->version > pt->version)
				pt = r;
		} else if (!plain || r->version > plain->version) {
			plain = r;
		}
	}
	if ((flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) && pt &&
	    (!plain || pt->version >= plain->version))
		return pt;
	return plain;
}

static void *pa_map(const char *symbol, void *fn, int version, cuuint64_t flags)
{
	const struct pa_row *row;

	for (int i = 0; i < VH_COUNT; i++)
		if (vgpu_real[i] == fn)
			return vgpu_wrappers[i];
	row = pa_choose(symbol, version, flags);
	if (row && vgpu_real[row->id]) {
		vg_dbg("cuGetProcAddress(%s, %d, %#llx): the driver's address is not its export "
		       "of %s; using our wrapper of that", symbol, version,
		       (unsigned long long)flags, vgpu_hook_names[row->id]);
		return vgpu_wrappers[row->id];
	}
	return fn;
}

CUresult vh_cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion,
			     cuuint64_t flags)
{
	CUresult r = REAL(cuGetProcAddress)(symbol, pfn, cudaVersion, flags);

	if (r == CUDA_SUCCESS && symbol && pfn && *pfn)
		*pfn = pa_map(symbol, *pfn, cudaVersion, flags);
	return r;
}

CUresult vh_cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion,
				cuuint64_t flags, CUdriverProcAddressQueryResult *symbolStatus)
{
	CUresult r = REAL(cuGetProcAddress_v2)(symbol, pfn, cudaVersion, flags, symbolStatus);

	if (r == CUDA_SUCCESS && symbol && pfn && *pfn)
		*pfn = pa_map(symbol, *pfn, cudaVersion, flags);
	return r;
}
