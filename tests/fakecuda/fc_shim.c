// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test shim: a minimal interposer in front of the double (linked
 * before libcuda.so.1, as LD_PRELOAD would put it).  It counts the calls it
 * sees of two entry points and forwards them to the next definition.
 */
#include <cuda.h>
#include <dlfcn.h>

unsigned int fc_shim_alloc_calls, fc_shim_launch_calls;

CUresult CUDAAPI cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize);
CUresult CUDAAPI cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
	CUresult (*next)(CUdeviceptr *, size_t);

	fc_shim_alloc_calls++;
	*(void **)&next = dlsym(RTLD_NEXT, "cuMemAlloc_v2");
	return next ? next(dptr, bytesize) : CUDA_ERROR_NOT_FOUND;
}

CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
				unsigned int bx, unsigned int by, unsigned int bz,
				unsigned int shmem, CUstream s, void **params, void **extra)
{
	CUresult (*next)(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int,
			 unsigned int, unsigned int, unsigned int, CUstream, void **, void **);

	fc_shim_launch_calls++;
	*(void **)&next = dlsym(RTLD_NEXT, "cuLaunchKernel");
	return next ? next(f, gx, gy, gz, bx, by, bz, shmem, s, params, extra) :
		      CUDA_ERROR_NOT_FOUND;
}
