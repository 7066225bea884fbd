/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The one list of hooked CUDA driver entry points.  From it interpose.c
 * generates the table of real functions, their names, the exported wrappers
 * (under the real ABI names: cuMemAlloc_v2, cuLaunchKernel_ptsz, ...) and
 * the wrapper addresses cuGetProcAddress hands out; every name here must
 * also be in libvgpu.map (the build checks).  Each entry's behaviour is
 * vh_<name>() in mem.c, exec.c or procaddr.c.
 *
 * VGPU_HOOK(name, flags, (parameters), (arguments))
 *   flags: H_ALWAYS  works even after a failed initialisation (the lookup
 *                    functions: the runtime must be able to find cuInit to
 *                    be told it failed).
 */
#define VGPU_HOOKS(X) \
	X(cuInit, 0, (unsigned int Flags), (Flags)) \
	X(cuGetProcAddress, H_ALWAYS, \
	  (const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags), \
	  (symbol, pfn, cudaVersion, flags)) \
	X(cuGetProcAddress_v2, H_ALWAYS, \
	  (const char *symbol, void **pfn, int cudaVersion, cuuint64_t flags, \
	   CUdriverProcAddressQueryResult *symbolStatus), \
	  (symbol, pfn, cudaVersion, flags, symbolStatus)) \
	X(cuDeviceTotalMem_v2, 0, (size_t *bytes, CUdevice dev), (bytes, dev)) \
	X(cuMemGetInfo_v2, 0, (size_t *free, size_t *total), (free, total)) \
	X(cuCtxCreate, 0, (CUcontext *pctx, unsigned int flags, CUdevice dev), \
	  (pctx, flags, dev)) \
	X(cuCtxCreate_v2, 0, (CUcontext *pctx, unsigned int flags, CUdevice dev), \
	  (pctx, flags, dev)) \
	X(cuCtxCreate_v3, 0, \
	  (CUcontext *pctx, CUexecAffinityParam *paramsArray, int numParams, \
	   unsigned int flags, CUdevice dev), \
	  (pctx, paramsArray, numParams, flags, dev)) \
	X(cuCtxCreate_v4, 0, \
	  (CUcontext *pctx, CUctxCreateParams *ctxCreateParams, unsigned int flags, \
	   CUdevice dev), \
	  (pctx, ctxCreateParams, flags, dev)) \
	X(cuCtxDestroy, 0, (CUcontext ctx), (ctx)) \
	X(cuCtxDestroy_v2, 0, (CUcontext ctx), (ctx)) \
	X(cuDevicePrimaryCtxRetain, 0, (CUcontext *pctx, CUdevice dev), (pctx, dev)) \
	X(cuDevicePrimaryCtxRelease, 0, (CUdevice dev), (dev)) \
	X(cuDevicePrimaryCtxRelease_v2, 0, (CUdevice dev), (dev)) \
	X(cuDevicePrimaryCtxReset, 0, (CUdevice dev), (dev)) \
	X(cuDevicePrimaryCtxReset_v2, 0, (CUdevice dev), (dev)) \
	X(cuMemAlloc_v2, 0, (CUdeviceptr *dptr, size_t bytesize), (dptr, bytesize)) \
	X(cuMemAllocPitch_v2, 0, \
	  (CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes, size_t Height, \
	   unsigned int ElementSizeBytes), \
	  (dptr, pPitch, WidthInBytes, Height, ElementSizeBytes)) \
	X(cuMemAllocManaged, 0, (CUdeviceptr *dptr, size_t bytesize, unsigned int flags), \
	  (dptr, bytesize, flags)) \
	X(cuMemFree_v2, 0, (CUdeviceptr dptr), (dptr)) \
	X(cuMemAllocAsync, 0, (CUdeviceptr *dptr, size_t bytesize, CUstream hStream), \
	  (dptr, bytesize, hStream)) \
	X(cuMemAllocAsync_ptsz, 0, (CUdeviceptr *dptr, size_t bytesize, CUstream hStream), \
	  (dptr, bytesize, hStream)) \
	X(cuMemAllocFromPoolAsync, 0, \
	  (CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool, CUstream hStream), \
	  (dptr, bytesize, pool, hStream)) \
	X(cuMemAllocFromPoolAsync_ptsz, 0, \
	  (CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool, CUstream hStream), \
	  (dptr, bytesize, pool, hStream)) \
	X(cuMemFreeAsync, 0, (CUdeviceptr dptr, CUstream hStream), (dptr, hStream)) \
	X(cuMemFreeAsync_ptsz, 0, (CUdeviceptr dptr, CUstream hStream), (dptr, hStream)) \
	X(cuMemPoolTrimTo, 0, (CUmemoryPool pool, size_t minBytesToKeep), \
	  (pool, minBytesToKeep)) \
	X(cuMemPoolDestroy, 0, (CUmemoryPool pool), (pool)) \
	X(cuMemCreate, 0, \
	  (CUmemGenericAllocationHandle *handle, size_t size, \
	   const CUmemAllocationProp *prop, unsigned long long flags), \
	  (handle, size, prop, flags)) \
	X(cuMemRelease, 0, (CUmemGenericAllocationHandle handle), (handle)) \
	X(cuMemMap, 0, \
	  (CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle, \
	   unsigned long long flags), \
	  (ptr, size, offset, handle, flags)) \
	X(cuMemUnmap, 0, (CUdeviceptr ptr, size_t size), (ptr, size)) \
	X(cuArrayCreate_v2, 0, \
	  (CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR *pAllocateArray), \
	  (pHandle, pAllocateArray)) \
	X(cuArray3DCreate_v2, 0, \
	  (CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *pAllocateArray), \
	  (pHandle, pAllocateArray)) \
	X(cuArrayDestroy, 0, (CUarray hArray), (hArray)) \
	X(cuMipmappedArrayCreate, 0, \
	  (CUmipmappedArray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *pMipmappedArrayDesc, \
	   unsigned int numMipmapLevels), \
	  (pHandle, pMipmappedArrayDesc, numMipmapLevels)) \
	X(cuMipmappedArrayDestroy, 0, (CUmipmappedArray hMipmappedArray), (hMipmappedArray)) \
	X(cuLaunchKernel, 0, \
	  (CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, \
	   unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, \
	   unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra), \
	  (f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, \
	   hStream, kernelParams, extra)) \
	X(cuLaunchKernel_ptsz, 0, \
	  (CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, \
	   unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, \
	   unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra), \
	  (f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, \
	   hStream, kernelParams, extra)) \
	X(cuLaunchKernelEx, 0, \
	  (const CUlaunchConfig *config, CUfunction f, void **kernelParams, void **extra), \
	  (config, f, kernelParams, extra)) \
	X(cuLaunchKernelEx_ptsz, 0, \
	  (const CUlaunchConfig *config, CUfunction f, void **kernelParams, void **extra), \
	  (config, f, kernelParams, extra)) \
	X(cuLaunchCooperativeKernel, 0, \
	  (CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, \
	   unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, \
	   unsigned int sharedMemBytes, CUstream hStream, void **kernelParams), \
	  (f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, \
	   hStream, kernelParams)) \
	X(cuLaunchCooperativeKernel_ptsz, 0, \
	  (CUfunction f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ, \
	   unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, \
	   unsigned int sharedMemBytes, CUstream hStream, void **kernelParams), \
	  (f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes, \
	   hStream, kernelParams)) \
	X(cuGraphLaunch, 0, (CUgraphExec hGraphExec, CUstream hStream), (hGraphExec, hStream)) \
	X(cuGraphLaunch_ptsz, 0, (CUgraphExec hGraphExec, CUstream hStream), \
	  (hGraphExec, hStream)) \
	X(cuLaunch, 0, (CUfunction f), (f)) \
	X(cuLaunchGrid, 0, (CUfunction f, int grid_width, int grid_height), \
	  (f, grid_width, grid_height)) \
	X(cuLaunchGridAsync, 0, (CUfunction f, int grid_width, int grid_height, CUstream hStream), \
	  (f, grid_width, grid_height, hStream)) \
	X(cuCtxSynchronize, 0, (void), ()) \
	X(cuCtxSynchronize_v2, 0, (CUcontext ctx), (ctx)) \
	X(cuStreamSynchronize, 0, (CUstream hStream), (hStream)) \
	X(cuStreamSynchronize_ptsz, 0, (CUstream hStream), (hStream)) \
	X(cuEventSynchronize, 0, (CUevent hEvent), (hEvent))

/*
 * Driver functions libvgpu calls but does not hook: resolved once with the
 * others; a missing one leaves its feature off.
 * VGPU_USES(name)
 */
#define VGPU_USES(X) \
	X(cuDeviceGetCount) \
	X(cuDeviceGetAttribute) \
	X(cuCtxGetCurrent) \
	X(cuCtxGetDevice) \
	X(cuCtxPushCurrent_v2) \
	X(cuCtxPopCurrent_v2) \
	X(cuEventCreate) \
	X(cuEventRecord) \
	X(cuEventQuery) \
	X(cuEventElapsedTime) \
	X(cuEventDestroy_v2) \
	X(cuDeviceGetMemPool) \
	X(cuMemPoolGetAttribute) \
	X(cuMemGetAllocationGranularity) \
	X(cuArrayGetMemoryRequirements) \
	X(cuMipmappedArrayGetMemoryRequirements)
