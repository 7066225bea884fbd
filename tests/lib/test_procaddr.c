// SPDX-License-Identifier: GPL-2.0-only
/*
 * A program that finds the driver the way the CUDA 12/13 runtime does:
 * cuGetProcAddress_v2 with a CUDA version and flags, for every function.
 * libvgpu must hand out its wrapper of exactly the variant the driver
 * would (the version's ABI symbol, the _ptsz one with
 * CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM), the real function for
 * what it does not hook, and the driver's answers for what does not exist;
 * and enforcement must hold through those pointers.
 */
#include <dlfcn.h>

#include "lt.h"

#define Q (32 * MiB)

typedef CUresult (*gpa_v2_fn)(const char *, void **, int, cuuint64_t,
			      CUdriverProcAddressQueryResult *);
typedef CUresult (*gpa_v1_fn)(const char *, void **, int, cuuint64_t);

static gpa_v2_fn gpa;

static void *get(const char *name, int version, cuuint64_t flags)
{
	CUdriverProcAddressQueryResult st = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
	void *fn = NULL;

	OK(gpa(name, &fn, version, flags, &st));
	CHECK_EQ(st, CU_GET_PROC_ADDRESS_SUCCESS);
	CHECK(fn);
	return fn;
}

/* @fn is @lib's (a substring of its file name) symbol @sym. */
static void expect(void *fn, const char *lib, const char *sym)
{
	Dl_info di;

	CHECK(dladdr(fn, &di));
	if (!di.dli_fname || !strstr(di.dli_fname, lib) || !di.dli_sname ||
	    strcmp(di.dli_sname, sym)) {
		fprintf(stderr, "address %p is %s in %s, want %s in %s\n", fn,
			di.dli_sname ? di.dli_sname : "?", di.dli_fname ? di.dli_fname : "?",
			sym, lib);
		exit(1);
	}
}

#define WRAP(name, ver, flags, sym) expect(get(name, ver, flags), "libvgpu", sym)
#define REALFN(name, ver, flags, sym) expect(get(name, ver, flags), "libcuda", sym)
#define PT CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM

static void t_variants(void)
{
	CUdriverProcAddressQueryResult st;
	void *fn;

	WRAP("cuGetProcAddress", 11030, 0, "cuGetProcAddress");
	WRAP("cuGetProcAddress", 13000, 0, "cuGetProcAddress_v2");
	WRAP("cuInit", 13000, 0, "cuInit");
	WRAP("cuMemAlloc", 3020, 0, "cuMemAlloc_v2");
	WRAP("cuMemAlloc", 13000, PT, "cuMemAlloc_v2");
	WRAP("cuMemGetInfo", 13000, 0, "cuMemGetInfo_v2");
	WRAP("cuDeviceTotalMem", 13000, 0, "cuDeviceTotalMem_v2");
	WRAP("cuCtxCreate", 3020, 0, "cuCtxCreate_v2");
	WRAP("cuCtxCreate", 11040, 0, "cuCtxCreate_v3");
	WRAP("cuCtxCreate", 12050, 0, "cuCtxCreate_v4");
	WRAP("cuCtxDestroy", 2000, 0, "cuCtxDestroy");
	WRAP("cuCtxDestroy", 13000, 0, "cuCtxDestroy_v2");
	WRAP("cuDevicePrimaryCtxRelease", 7000, 0, "cuDevicePrimaryCtxRelease");
	WRAP("cuDevicePrimaryCtxRelease", 13000, 0, "cuDevicePrimaryCtxRelease_v2");
	WRAP("cuCtxSynchronize", 12000, 0, "cuCtxSynchronize");
	WRAP("cuCtxSynchronize", 13000, 0, "cuCtxSynchronize_v2");
	WRAP("cuLaunchKernel", 13000, 0, "cuLaunchKernel");
	WRAP("cuLaunchKernel", 13000, CU_GET_PROC_ADDRESS_LEGACY_STREAM, "cuLaunchKernel");
	WRAP("cuLaunchKernel", 13000, PT, "cuLaunchKernel_ptsz");
	WRAP("cuLaunchKernel", 4000, PT, "cuLaunchKernel");	/* ptsz came in 7.0 */
	WRAP("cuLaunchKernelEx", 13000, PT, "cuLaunchKernelEx_ptsz");
	WRAP("cuLaunchCooperativeKernel", 13000, PT, "cuLaunchCooperativeKernel_ptsz");
	WRAP("cuGraphLaunch", 13000, 0, "cuGraphLaunch");
	WRAP("cuGraphLaunch", 13000, PT, "cuGraphLaunch_ptsz");
	WRAP("cuMemAllocAsync", 13000, PT, "cuMemAllocAsync_ptsz");
	WRAP("cuMemAllocFromPoolAsync", 13000, 0, "cuMemAllocFromPoolAsync");
	WRAP("cuMemFreeAsync", 13000, PT, "cuMemFreeAsync_ptsz");
	WRAP("cuStreamSynchronize", 13000, PT, "cuStreamSynchronize_ptsz");
	WRAP("cuMemCreate", 13000, 0, "cuMemCreate");
	WRAP("cuArrayCreate", 13000, 0, "cuArrayCreate_v2");
	WRAP("cuMipmappedArrayCreate", 13000, 0, "cuMipmappedArrayCreate");
	/* not hooked: the driver's own */
	REALFN("cuModuleLoadData", 13000, 0, "cuModuleLoadData");
	REALFN("cuMemcpyHtoD", 13000, 0, "cuMemcpyHtoD_v2");
	REALFN("cuMemcpyHtoD", 13000, PT, "cuMemcpyHtoD_v2_ptds");
	REALFN("cuEventRecord", 13000, PT, "cuEventRecord_ptsz");
	REALFN("cuDriverGetVersion", 13000, 0, "cuDriverGetVersion");
	/* what the driver does not have: its answer, untouched */
	fn = (void *)1;
	st = CU_GET_PROC_ADDRESS_SUCCESS;
	CU(gpa("cuNoSuchFunction", &fn, 13000, 0, &st), CUDA_ERROR_NOT_FOUND);
	CHECK_EQ(st, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
	CU(gpa("cuMemAlloc", &fn, 2000, 0, &st), CUDA_ERROR_NOT_FOUND);
	CHECK_EQ(st, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
	CU(gpa("cuMemAllocAsync", &fn, 11000, 0, &st), CUDA_ERROR_NOT_FOUND);
	CHECK_EQ(st, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
	CU(gpa("cuMemAlloc_v2", &fn, 13000, 0, &st), CUDA_ERROR_NOT_FOUND);
}

/* Enforcement through the pointers the runtime would use. */
static void t_enforced(cuuint64_t flags)
{
	CUresult (*init)(unsigned int) = get("cuInit", 13000, flags);
	CUresult (*ctx_create)(CUcontext *, CUctxCreateParams *, unsigned int, CUdevice) =
		get("cuCtxCreate", 13000, flags);
	CUresult (*ctx_destroy)(CUcontext) = get("cuCtxDestroy", 13000, flags);
	CUresult (*alloc)(CUdeviceptr *, size_t) = get("cuMemAlloc", 13000, flags);
	CUresult (*mfree)(CUdeviceptr) = get("cuMemFree", 13000, flags);
	CUresult (*info)(size_t *, size_t *) = get("cuMemGetInfo", 13000, flags);
	CUresult (*total_mem)(size_t *, CUdevice) = get("cuDeviceTotalMem", 13000, flags);
	CUresult (*alloc_async)(CUdeviceptr *, size_t, CUstream) =
		get("cuMemAllocAsync", 13000, flags);
	CUresult (*free_async)(CUdeviceptr, CUstream) = get("cuMemFreeAsync", 13000, flags);
	CUresult (*ssync)(CUstream) = get("cuStreamSynchronize", 13000, flags);
	CUresult (*load)(CUmodule *, const void *) = get("cuModuleLoadData", 13000, flags);
	CUresult (*getfn)(CUfunction *, CUmodule, const char *) =
		get("cuModuleGetFunction", 13000, flags);
	CUresult (*launch)(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int,
			   unsigned int, unsigned int, unsigned int, CUstream, void **, void **) =
		get("cuLaunchKernel", 13000, flags);
	uint64_t ns = 2 * MS, busy0;
	void *params[] = { &ns };
	CUcontext ctx;
	CUmodule mod;
	CUfunction fn;
	CUdeviceptr p, q;
	size_t fr, total;

	OK(init(0));
	OK(ctx_create(&ctx, NULL, 0, 0));
	OK(info(&fr, &total));
	CHECK_EQ(total, Q);
	CHECK_EQ(fr, Q);
	OK(total_mem(&total, 0));
	CHECK_EQ(total, Q);
	OK(alloc(&p, Q));
	OOM(alloc(&q, 1));
	OOM(alloc_async(&q, 1, NULL));
	OK(mfree(p));
	OK(alloc_async(&p, Q, NULL));
	OOM(alloc(&q, 1));
	OK(free_async(p, NULL));
	OK(ssync(NULL));
	OK(info(&fr, &total));
	CHECK_EQ(fr, Q);
	/* launches through the pointer run under the lease and on the GPU */
	OK(load(&mod, "fakecuda-module"));
	OK(getfn(&fn, mod, "spin"));
	busy0 = fakecuda_busy_ns(getpid());
	for (int i = 0; i < 5; i++)
		OK(launch(fn, 1, 1, 1, 32, 1, 1, 0, NULL, params, NULL));
	OK(ssync(NULL));
	CHECK_EQ(fakecuda_busy_ns(getpid()) - busy0, 5 * ns);
	OK(ctx_destroy(ctx));
}

/*
 * The driver initialised behind libvgpu's back (cuInit found with glibc's
 * own dlsym, taken from libc's handle, on the driver's handle: libvgpu's
 * dlsym would hand out its wrapper): the calls that do come through
 * libvgpu are still enforced.
 */
static void t_bypassed_init(void)
{
	pid_t pid = lt_fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
		void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
		void *(*glibc_dlsym)(void *, const char *);
		CUresult (*real_init)(unsigned int);
		CUdeviceptr p, q;
		CUcontext ctx;
		size_t fr, total;

		CHECK(lib && libc);
		CHECK(dlsym(lib, "cuInit") == (void *)&cuInit);
		*(void **)&glibc_dlsym = dlvsym(libc, "dlsym", "GLIBC_2.34");
		CHECK(glibc_dlsym && (void *)glibc_dlsym != (void *)&dlsym);
		*(void **)&real_init = glibc_dlsym(lib, "cuInit");
		CHECK(real_init && (void *)real_init != (void *)&cuInit);
		OK(real_init(0));
		OK(cuCtxCreate(&ctx, NULL, 0, 0));
		lt_meminfo(&fr, &total);
		CHECK_EQ(total, Q);
		OK(cuMemAlloc(&p, Q));
		OOM(cuMemAlloc(&q, 1));
		exit(0);
	}
	lt_reap_ok(pid);
}

int main(void)
{
	gpa_v1_fn v1;

	lt_setup("procaddr", "1g", NULL);
	setenv("VGPU_MEMORY_LIMIT", "32m", 1);
	t_bypassed_init();
	/* the way in: cuGetProcAddress itself, then everything through it */
	OK(cuGetProcAddress("cuGetProcAddress", (void **)&gpa, 12000, 0, NULL));
	expect((void *)gpa, "libvgpu", "cuGetProcAddress_v2");
	OK(gpa("cuGetProcAddress", (void **)&v1, 11030, 0, NULL));
	expect((void *)v1, "libvgpu", "cuGetProcAddress");
	t_variants();
	t_enforced(0);
	t_enforced(PT);
	printf("test_procaddr: every variant resolved to the matching wrapper or the driver\n");
	return 0;
}
