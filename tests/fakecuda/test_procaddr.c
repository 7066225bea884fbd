// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: cuGetProcAddress and cuGetProcAddress_v2.
 *
 * Every row of fc_proctable.h is checked at compile time against CUDA's
 * cudaTypedefs.h (the PFN_<name>_v<version> typedef exists and the entry
 * point has its signature) and at run time (that version gives that entry
 * point, per-thread rows only with the per-thread flag).
 */
#define __CUDA_API_VERSION_INTERNAL 1	/* every ABI name declared, no renaming */
#include <cuda.h>
#include <cudaTypedefs.h>
#include <dlfcn.h>

#include "fc_test.h"

enum { K_PLAIN, K_PTSZ, K_PTDS, K_MISSING, K_INFERRED };

struct row {
	const char *name, *abi;
	int version, kind;
	void *addr;
};

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
/* compile-time: the typedef of that version exists and fits the entry point */
#define SIG_PLAIN(n, v, abi) static PFN_##n##_v##v CAT(sig_, __LINE__) __attribute__((unused)) = &abi;
#define SIG_PTSZ(n, v, abi) static PFN_##n##_v##v##_ptsz CAT(sig_, __LINE__) __attribute__((unused)) = &abi;
#define SIG_PTDS(n, v, abi) static PFN_##n##_v##v##_ptds CAT(sig_, __LINE__) __attribute__((unused)) = &abi;
#define SIG_MISSING(n, v, abi) static PFN_##n##_v##v CAT(sig_, __LINE__) __attribute__((unused));
#define SIG_INFERRED(n, v, abi)
#define FC_PROC(n, v, abi, kind) SIG_##kind(n, v, abi)
#include "fc_proctable.h"
#undef FC_PROC

#define ADDR_PLAIN(abi) ((void *)&abi)
#define ADDR_PTSZ(abi) ((void *)&abi)
#define ADDR_PTDS(abi) ((void *)&abi)
#define ADDR_INFERRED(abi) ((void *)&abi)
#define ADDR_MISSING(abi) NULL
static const struct row rows[] = {
#define FC_PROC(n, v, abi, kind) { #n, #abi, v, K_##kind, ADDR_##kind(abi) },
#include "fc_proctable.h"
#undef FC_PROC
};

static void *lib;

static void *get(const char *name, int version, cuuint64_t flags, CUresult want,
		 CUdriverProcAddressQueryResult want_status)
{
	CUdriverProcAddressQueryResult st = (CUdriverProcAddressQueryResult)-1;
	void *p = (void *)&st;
	CUresult r = cuGetProcAddress_v2(name, &p, version, flags, &st);

	if (r != want || st != want_status) {
		fprintf(stderr, "cuGetProcAddress_v2(%s, %d, %#llx): %d status %d, want %d "
			"status %d\n", name, version, (unsigned long long)flags, (int)r,
			(int)st, (int)want, (int)want_status);
		exit(1);
	}
	if (r)
		CHECK(p == NULL);
	return p;
}

#define PT CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM
#define FOUND CUDA_SUCCESS, CU_GET_PROC_ADDRESS_SUCCESS
#define TOO_OLD CUDA_ERROR_NOT_FOUND, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT
#define UNKNOWN CUDA_ERROR_NOT_FOUND, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND

static void test_rows(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		void *p;

		switch (r->kind) {
		case K_PLAIN:
		case K_INFERRED:
			CHECK(dlsym(lib, r->abi) == r->addr);
			p = get(r->name, r->version, 0, FOUND);
			if (p != r->addr) {
				fprintf(stderr, "%s at %d: not %s\n", r->name, r->version, r->abi);
				exit(1);
			}
			/* the legacy-stream flag means the same */
			CHECK(get(r->name, r->version, CU_GET_PROC_ADDRESS_LEGACY_STREAM,
				  FOUND) == r->addr);
			/* one version earlier it is something older, or nothing */
			CUresult e = cuGetProcAddress_v2(r->name, &p, r->version - 1, 0, NULL);
			CHECK(e == CUDA_ERROR_NOT_FOUND || p != r->addr);
			break;
		case K_PTSZ:
		case K_PTDS:
			CHECK(dlsym(lib, r->abi) == r->addr);
			if (get(r->name, r->version, PT, FOUND) != r->addr) {
				fprintf(stderr, "%s at %d per-thread: not %s\n", r->name,
					r->version, r->abi);
				exit(1);
			}
			CHECK(get(r->name, 13000, PT, FOUND) == r->addr);
			CHECK(get(r->name, r->version, 0, FOUND) != r->addr);
			break;
		case K_MISSING:
			CHECK(dlsym(lib, r->abi) == NULL);
			get(r->name, r->version, 0, TOO_OLD);
			break;
		}
	}
}

static void test_selection(void)
{
	CHECK(get("cuMemAlloc", 3020, 0, FOUND) == (void *)&cuMemAlloc_v2);
	CHECK(get("cuMemAlloc", 13000, PT, FOUND) == (void *)&cuMemAlloc_v2);
	get("cuMemAlloc", 3010, 0, TOO_OLD);
	CHECK(get("cuCtxCreate", 13000, 0, FOUND) == (void *)&cuCtxCreate_v4);
	CHECK(get("cuCtxCreate", 12040, 0, FOUND) == (void *)&cuCtxCreate_v3);
	CHECK(get("cuCtxCreate", 11000, 0, FOUND) == (void *)&cuCtxCreate_v2);
	CHECK(get("cuCtxCreate", 3010, 0, FOUND) == (void *)&cuCtxCreate);
	CHECK(get("cuCtxSynchronize", 12090, 0, FOUND) == (void *)&cuCtxSynchronize);
	CHECK(get("cuCtxSynchronize", 13000, 0, FOUND) == (void *)&cuCtxSynchronize_v2);
	CHECK(get("cuEventElapsedTime", 12080, 0, FOUND) == (void *)&cuEventElapsedTime_v2);
	CHECK(get("cuEventElapsedTime", 12060, 0, FOUND) == (void *)&cuEventElapsedTime);
	CHECK(get("cuDeviceGetUuid", 11040, 0, FOUND) == (void *)&cuDeviceGetUuid_v2);
	CHECK(get("cuGraphInstantiate", 12000, 0, FOUND) == (void *)&cuGraphInstantiateWithFlags);
	CHECK(get("cuGraphInstantiate", 11040, 0, FOUND) == (void *)&cuGraphInstantiate_v2);
	CHECK(get("cuGetProcAddress", 12000, 0, FOUND) == (void *)&cuGetProcAddress_v2);
	/* per-thread variants exist from 7.0 on */
	CHECK(get("cuLaunchKernel", 13000, PT, FOUND) == (void *)&cuLaunchKernel_ptsz);
	CHECK(get("cuLaunchKernel", 6050, PT, FOUND) == (void *)&cuLaunchKernel);
	CHECK(get("cuLaunchKernel", 13000, 0, FOUND) == (void *)&cuLaunchKernel);
	CHECK(get("cuMemcpyHtoD", 12000, PT, FOUND) == (void *)&cuMemcpyHtoD_v2_ptds);
	CHECK(get("cuMemcpyHtoD", 12000, 0, FOUND) == (void *)&cuMemcpyHtoD_v2);
	CHECK(get("cuMemcpyHtoD", 6000, PT, FOUND) == (void *)&cuMemcpyHtoD_v2);
	CHECK(get("cuGraphLaunch", 12000, PT, FOUND) == (void *)&cuGraphLaunch_ptsz);
	get("cuMemAllocAsync", 11010, 0, TOO_OLD);
	get("cuMemAllocAsync", 11010, PT, TOO_OLD);
	/* base names only */
	get("cuMemAlloc_v2", 13000, 0, UNKNOWN);
	get("cuLaunchKernel_ptsz", 13000, 0, UNKNOWN);
	get("cuNoSuchFunction", 13000, 0, UNKNOWN);
	get("fakecuda_busy_ns", 13000, 0, UNKNOWN);
	{
		CUdriverProcAddressQueryResult st;
		void *p;

		CU(cuGetProcAddress_v2(NULL, &p, 13000, 0, &st), CUDA_ERROR_INVALID_VALUE);
		CU(cuGetProcAddress_v2("cuInit", NULL, 13000, 0, &st), CUDA_ERROR_INVALID_VALUE);
		CU(cuGetProcAddress_v2("cuInit", &p, 13000, 4, &st), CUDA_ERROR_INVALID_VALUE);
		/* the status is optional */
		OK(cuGetProcAddress_v2("cuInit", &p, 13000, 0, NULL));
		CHECK(p == (void *)&cuInit);
		/* the CUDA 11.3 form, without a status */
		OK(cuGetProcAddress("cuMemFree", &p, 11030, 0));
		CHECK(p == (void *)&cuMemFree_v2);
		CU(cuGetProcAddress("cuMemFree_v2", &p, 11030, 0), CUDA_ERROR_NOT_FOUND);
	}
}

int main(void)
{
	fct_setup("procaddr", NULL, NULL);
	lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
	CHECK(lib);
	/* all before cuInit, as the CUDA runtime does */
	test_rows();
	test_selection();
	OK(cuInit(0));
	test_rows();
	dlclose(lib);
	return 0;
}
