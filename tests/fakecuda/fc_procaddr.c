// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda (vgpu's CUDA driver test double): cuGetProcAddress.
 *
 * The addresses returned are the double's own functions, never whatever an
 * LD_PRELOAD interposer defines under the same names (the library is linked
 * with -Bsymbolic-functions): an interposer that wraps cuGetProcAddress gets
 * the real entry points to forward to, as from NVIDIA's driver.
 */
#include "fc_internal.h"

#include <string.h>

enum fc_proc_kind { FC_K_PLAIN, FC_K_PTSZ, FC_K_PTDS, FC_K_MISSING, FC_K_INFERRED };

struct fc_proc_row {
	const char *name;
	int version;
	enum fc_proc_kind kind;
	void *fn;
};

#define FC_FN_PLAIN(abi) ((void *)&abi)
#define FC_FN_PTSZ(abi) ((void *)&abi)
#define FC_FN_PTDS(abi) ((void *)&abi)
#define FC_FN_INFERRED(abi) ((void *)&abi)
#define FC_FN_MISSING(abi) NULL

static const struct fc_proc_row fc_proc_rows[] = {
#define FC_PROC(name, version, abi, kind) { #name, version, FC_K_##kind, FC_FN_##kind(abi) },
#include "fc_proctable.h"
#undef FC_PROC
};

static CUresult fc_get_proc(const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags,
			    CUdriverProcAddressQueryResult *status)
{
	const struct fc_proc_row *plain = NULL, *pt = NULL, *best;
	bool found = false;

	if (status)
		*status = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
	if (!symbol || !pfn ||
	    (flags & ~(cuuint64_t)(CU_GET_PROC_ADDRESS_LEGACY_STREAM |
				   CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM)))
		return CUDA_ERROR_INVALID_VALUE;
	*pfn = NULL;
	for (size_t i = 0; i < sizeof(fc_proc_rows) / sizeof(fc_proc_rows[0]); i++) {
		const struct fc_proc_row *r = &fc_proc_rows[i];
		bool per_thread = r->kind == FC_K_PTSZ || r->kind == FC_K_PTDS;

		if (strcmp(r->name, symbol))
			continue;
		found = true;
		if (r->version > cudaVersion)
			continue;
		if (per_thread) {
			if (!pt || r->version > pt->version)
				pt = r;
		} else if (!plain || r->version > plain->version) {
			plain = r;
		}
	}
	if (!found)
		return CUDA_ERROR_NOT_FOUND;
	best = plain;
	if ((flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) && pt &&
	    (!plain || pt->version >= plain->version))
		best = pt;
	if (!best || !best->fn) {
		if (status)
			*status = CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT;
		return CUDA_ERROR_NOT_FOUND;
	}
	*pfn = best->fn;
	if (status)
		*status = CU_GET_PROC_ADDRESS_SUCCESS;
	return CUDA_SUCCESS;
}

FC_API CUresult CUDAAPI cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion,
					 cuuint64_t flags)
{
	return fc_get_proc(symbol, pfn, cudaVersion, flags, NULL);
}

FC_API CUresult CUDAAPI cuGetProcAddress_v2(const char *symbol, void **pfn, int cudaVersion,
					    cuuint64_t flags,
					    CUdriverProcAddressQueryResult *symbolStatus)
{
	return fc_get_proc(symbol, pfn, cudaVersion, flags, symbolStatus);
}
