// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: graphs of kernel nodes run their kernels one after the
 * other on the GPU, each counted as a launch; kernel parameters are copied
 * when a node is added; library kernels (cuLibrary*) launch too.
 */
#include <dlfcn.h>

#include "fc_test.h"

static CUDA_KERNEL_NODE_PARAMS kparams(CUfunction fn, void **params)
{
	return (CUDA_KERNEL_NODE_PARAMS){
		.func = fn, .gridDimX = 4, .gridDimY = 1, .gridDimZ = 1,
		.blockDimX = 128, .blockDimY = 1, .blockDimZ = 1,
		.kernelParams = params,
	};
}

int main(void)
{
	uint64_t ns, t0;
	void *params[] = { &ns };
	CUgraphNode a, b, c, e, other;
	CUgraph g, g2;
	CUgraphExec x;
	CUDA_KERNEL_NODE_PARAMS p;
	CUfunction fn;
	CUstream s;
	pid_t me = getpid();

	fct_setup("graph", NULL, NULL);
	fct_context(&fn);
	OK(cuStreamCreate(&s, 0));
	CU(cuGraphCreate(&g, 1), CUDA_ERROR_INVALID_VALUE);
	OK(cuGraphCreate(&g, 0));
	OK(cuGraphCreate(&g2, 0));

	ns = 10 * MS;
	p = kparams(fn, params);
	OK(cuGraphAddKernelNode(&a, g, NULL, 0, &p));
	ns = 20 * MS;
	OK(cuGraphAddKernelNode(&b, g, &a, 1, &p));
	OK(cuGraphAddEmptyNode(&e, g, &b, 1));
	ns = 30 * MS;
	OK(cuGraphAddKernelNode(&c, g, &e, 1, &p));
	ns = 1000 * MS;		/* copied at add time: changes nothing */

	/* dependencies must be nodes of the same graph */
	OK(cuGraphAddEmptyNode(&other, g2, NULL, 0));
	CU(cuGraphAddKernelNode(&c, g, &other, 1, &p), CUDA_ERROR_INVALID_VALUE);
	CU(cuGraphAddKernelNode(&c, g, NULL, 1, &p), CUDA_ERROR_INVALID_VALUE);
	CU(cuGraphAddKernelNode(&c, g, NULL, 0, NULL), CUDA_ERROR_INVALID_VALUE);
	p.func = (CUfunction)&ns;
	CU(cuGraphAddKernelNode(&c, g, NULL, 0, &p), CUDA_ERROR_INVALID_HANDLE);
	p = kparams(fn, params);
	p.blockDimX = 2048;
	CU(cuGraphAddKernelNode(&c, g, NULL, 0, &p), CUDA_ERROR_INVALID_VALUE);

	CU(cuGraphInstantiateWithFlags(&x, g, 1ULL << 40), CUDA_ERROR_INVALID_VALUE);
	OK(cuGraphInstantiateWithFlags(&x, g, 0));
	t0 = fct_now();
	OK(cuGraphLaunch(x, s));
	OK(cuGraphLaunch(x, s));
	/* queued, not run: it takes 2 x (10 + 20 + 30) ms */
	CU(cuStreamQuery(s), CUDA_ERROR_NOT_READY);
	CHECK_EQ(fakecuda_busy_ns(me), 2 * 60 * MS);
	CHECK_EQ(fakecuda_launches(me), 6);
	OK(cuStreamSynchronize(s));
	CHECK(fct_now() - t0 >= 120 * MS);
	OK(cuGraphExecDestroy(x));
	CU(cuGraphExecDestroy(x), CUDA_ERROR_INVALID_VALUE);
	CU(cuGraphLaunch(x, s), CUDA_ERROR_INVALID_VALUE);

	/* the 10.0 form of cuGraphAddKernelNode and of cuGraphInstantiate */
	{
		CUresult (*add_v1)(CUgraphNode *, CUgraph, const CUgraphNode *, size_t,
				   const CUDA_KERNEL_NODE_PARAMS_v1 *);
		CUresult (*inst_v1)(CUgraphExec *, CUgraph, CUgraphNode *, char *, size_t);
		CUDA_KERNEL_NODE_PARAMS_v1 p1 = { .func = fn, .gridDimX = 1, .gridDimY = 1,
						  .gridDimZ = 1, .blockDimX = 1, .blockDimY = 1,
						  .blockDimZ = 1, .kernelParams = params };
		CUgraphNode err = (CUgraphNode)&ns;
		char log[16] = "x";

		OK(cuGetProcAddress("cuGraphAddKernelNode", (void **)&add_v1, 11000, 0, NULL));
		OK(cuGetProcAddress("cuGraphInstantiate", (void **)&inst_v1, 11000, 0, NULL));
		ns = 5 * MS;
		OK(add_v1(&a, g2, &other, 1, &p1));
		OK(inst_v1(&x, g2, &err, log, sizeof(log)));
		CHECK(err == NULL && log[0] == '\0');
		OK(cuGraphLaunch(x, NULL));
		CHECK_EQ(fakecuda_busy_ns(me), 125 * MS);
		CHECK_EQ(fakecuda_launches(me), 7);
		OK(cuGraphExecDestroy(x));
	}
	OK(cuGraphDestroy(g));
	OK(cuGraphDestroy(g2));
	CU(cuGraphDestroy(g), CUDA_ERROR_INVALID_VALUE);

	/* libraries: context-independent kernels, launched directly or in graphs */
	{
		CUlibrary lib;
		CUkernel k, k2;
		CUfunction f;

		CU(cuLibraryLoadData(&lib, "nope", NULL, NULL, 0, NULL, NULL, 0),
		   CUDA_ERROR_INVALID_IMAGE);
		OK(cuLibraryLoadData(&lib, "fakecuda-module", NULL, NULL, 0, NULL, NULL, 0));
		OK(cuLibraryGetKernel(&k, lib, "saxpy"));
		OK(cuLibraryGetKernel(&k2, lib, "saxpy"));
		CHECK(k == k2);
		OK(cuKernelGetFunction(&f, k));
		ns = 3 * MS;
		OK(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, NULL, params, NULL));
		OK(cuLaunchKernel((CUfunction)k, 1, 1, 1, 1, 1, 1, 0, NULL, params, NULL));
		CHECK_EQ(fakecuda_busy_ns(me), 131 * MS);
		OK(cuGraphCreate(&g, 0));
		p = kparams(NULL, params);
		p.kern = k;
		OK(cuGraphAddKernelNode(&a, g, NULL, 0, &p));
		OK(cuGraphInstantiate(&x, g, 0));
		OK(cuGraphLaunch(x, NULL));
		CHECK_EQ(fakecuda_busy_ns(me), 134 * MS);
		CHECK_EQ(fakecuda_launches(me), 10);
		OK(cuLibraryUnload(lib));
		CU(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, NULL, params, NULL),
		   CUDA_ERROR_INVALID_HANDLE);
		CU(cuLibraryGetKernel(&k, lib, "saxpy"), CUDA_ERROR_INVALID_HANDLE);
		OK(cuCtxSynchronize());
		OK(cuGraphExecDestroy(x));
		OK(cuGraphDestroy(g));
	}
	OK(cuStreamDestroy(s));
	return 0;
}
