// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: an interposer in front of the double sees exactly the
 * application's calls.  The double never calls its own exported entry
 * points, and cuGetProcAddress gives its own functions, not the
 * interposer's: an interposer that wraps cuGetProcAddress can forward to
 * them without calling itself again.
 */
#include <dlfcn.h>

#include "fc_test.h"

extern unsigned int fc_shim_alloc_calls, fc_shim_launch_calls;

int main(void)
{
	CUresult (*alloc)(CUdeviceptr *, size_t);
	CUresult (*launch)(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int,
			   unsigned int, unsigned int, unsigned int, CUstream, void **, void **);
	CUdeviceptr p;
	CUfunction fn;
	CUgraph g;
	CUgraphExec x;
	CUgraphNode n;
	uint64_t ns = 1 * MS;
	void *params[] = { &ns };
	CUDA_KERNEL_NODE_PARAMS kp;
	void *lib;

	fct_setup("interpose", NULL, NULL);
	fct_context(&fn);
	lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
	CHECK(lib);

	/* the application's own call goes through the interposer */
	OK(cuMemAlloc(&p, 4096));
	CHECK_EQ(fc_shim_alloc_calls, 1);
	OK(cuMemFree(p));
	OK(cuLaunchKernel(fn, 1, 1, 1, 1, 1, 1, 0, NULL, params, NULL));
	CHECK_EQ(fc_shim_launch_calls, 1);

	/* cuGetProcAddress hands out the double's functions */
	OK(cuGetProcAddress("cuMemAlloc", (void **)&alloc, 13000, 0, NULL));
	CHECK((void *)alloc != (void *)&cuMemAlloc_v2);	/* that is the shim's */
	CHECK((void *)alloc == dlsym(lib, "cuMemAlloc_v2"));
	OK(alloc(&p, 4096));
	CHECK_EQ(fc_shim_alloc_calls, 1);
	CHECK_EQ(fakecuda_mem_used(getpid()), 4096);
	OK(cuMemFree(p));
	OK(cuGetProcAddress("cuLaunchKernel", (void **)&launch, 13000, 0, NULL));
	CHECK((void *)launch == dlsym(lib, "cuLaunchKernel"));
	OK(launch(fn, 1, 1, 1, 1, 1, 1, 0, NULL, params, NULL));
	CHECK_EQ(fc_shim_launch_calls, 1);

	/* other entry points do not call the exported ones behind its back */
	OK(cuMemAllocAsync(&p, 4096, NULL));
	OK(cuMemFreeAsync(p, NULL));
	OK(cuLaunchCooperativeKernel(fn, 1, 1, 1, 1, 1, 1, 0, NULL, params));
	OK(cuGraphCreate(&g, 0));
	kp = (CUDA_KERNEL_NODE_PARAMS){ .func = fn, .gridDimX = 1, .gridDimY = 1,
					.gridDimZ = 1, .blockDimX = 1, .blockDimY = 1,
					.blockDimZ = 1, .kernelParams = params };
	OK(cuGraphAddKernelNode(&n, g, NULL, 0, &kp));
	OK(cuGraphInstantiate(&x, g, 0));
	OK(cuGraphLaunch(x, NULL));
	OK(cuCtxSynchronize());
	CHECK_EQ(fc_shim_alloc_calls, 1);
	CHECK_EQ(fc_shim_launch_calls, 1);
	/* but the GPU saw every launch */
	CHECK_EQ(fakecuda_launches(getpid()), 4);
	CHECK_EQ(fakecuda_busy_ns(getpid()), 4 * MS);
	OK(cuGraphExecDestroy(x));
	OK(cuGraphDestroy(g));
	dlclose(lib);
	return 0;
}
