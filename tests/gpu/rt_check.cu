// SPDX-License-Identifier: GPL-2.0-only
/*
 * rt_check: a program of the CUDA runtime, built by nvcc as such programs
 * are (libcudart linked statically): it never calls the driver by name; the
 * runtime dlopen()s libcuda.so.1, finds cuGetProcAddress_v2 with dlsym and
 * everything else through it.  Under libvgpu that must all be libvgpu's.
 *
 *   rt_check vgpu QUOTA_MIB   (LD_PRELOAD=libvgpu, VGPU_MEMORY_LIMIT=QUOTA_MIBm)
 *       cudaMemGetInfo reports the slice; the driver entry points the
 *       runtime hands out are libvgpu's; cudaMalloc of all that is free
 *       succeeds, one more byte fails with cudaErrorMemoryAllocation and
 *       the program carries on; a kernel computes the right result.
 *   rt_check plain            (no libvgpu) the whole GPU, the driver's own
 *
 * Every runtime call is checked: RT() prints file:line, the call and the
 * error string and exits.
 */
#include <cuda.h>
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB ((size_t)1 << 20)

#define RT(call) do { \
	cudaError_t _e = (call); \
	if (_e != cudaSuccess) { \
		fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call, \
			cudaGetErrorString(_e), cudaGetErrorName(_e)); \
		exit(1); \
	} \
} while (0)

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		exit(1); \
	} \
} while (0)

__global__ void saxpy(int n, float a, const float *x, float *y)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;

	if (i < n)
		y[i] = a * x[i] + y[i];
}

/* y = 2x + y on the GPU, checked on the host. */
static void compute(void)
{
	const int n = 1 << 20;
	float *hx = (float *)malloc(n * sizeof(float)), *hy = (float *)malloc(n * sizeof(float));
	float *dx, *dy;

	CHECK(hx && hy);
	for (int i = 0; i < n; i++) {
		hx[i] = (float)i;
		hy[i] = 1.0f;
	}
	RT(cudaMalloc(&dx, n * sizeof(float)));
	RT(cudaMalloc(&dy, n * sizeof(float)));
	RT(cudaMemcpy(dx, hx, n * sizeof(float), cudaMemcpyHostToDevice));
	RT(cudaMemcpy(dy, hy, n * sizeof(float), cudaMemcpyHostToDevice));
	saxpy<<<(n + 255) / 256, 256>>>(n, 2.0f, dx, dy);
	RT(cudaGetLastError());
	RT(cudaMemcpy(hy, dy, n * sizeof(float), cudaMemcpyDeviceToHost));
	for (int i = 0; i < n; i++) {
		if (hy[i] != 2.0f * (float)i + 1.0f) {
			fprintf(stderr, "saxpy: y[%d] = %f, want %f\n", i, hy[i], 2.0f * i + 1.0f);
			exit(1);
		}
	}
	RT(cudaFree(dx));
	RT(cudaFree(dy));
	free(hx);
	free(hy);
}

/* The object (file name) a function pointer lies in. */
static const char *object_of(void *fn)
{
	Dl_info di;

	return fn && dladdr(fn, &di) && di.dli_fname ? di.dli_fname : "?";
}

int main(int argc, char **argv)
{
	bool vgpu = argc == 3 && !strcmp(argv[1], "vgpu");
	size_t quota = vgpu ? (size_t)strtoull(argv[2], NULL, 10) * MiB : 0;
	cudaDriverEntryPointQueryResult st;
	size_t fr = 0, total = 0;
	void *alloc_fn = NULL, *launch_fn = NULL;
	const char *where;
	void *p = NULL, *q = NULL;
	cudaError_t e;

	if (!vgpu && !(argc == 2 && !strcmp(argv[1], "plain"))) {
		fprintf(stderr, "usage: rt_check vgpu QUOTA_MIB | rt_check plain\n");
		return 2;
	}
	RT(cudaSetDevice(0));
	RT(cudaFree(0));	/* the context */
	/* what the runtime resolved the driver to */
	RT(cudaGetDriverEntryPointByVersion("cuMemAlloc", &alloc_fn, 13000, cudaEnableDefault,
					    &st));
	CHECK(st == cudaDriverEntryPointSuccess);
	RT(cudaGetDriverEntryPointByVersion("cuLaunchKernel", &launch_fn, 13000,
					    cudaEnableDefault, &st));
	CHECK(st == cudaDriverEntryPointSuccess);
	where = object_of(alloc_fn);
	printf("  the runtime's cuMemAlloc is in %s, cuLaunchKernel in %s\n", where,
	       object_of(launch_fn));
	CHECK(strstr(where, vgpu ? "libvgpu" : "libcuda"));
	CHECK(strstr(object_of(launch_fn), vgpu ? "libvgpu" : "libcuda"));
	compute();
	RT(cudaMemGetInfo(&fr, &total));
	printf("  cudaMemGetInfo: free %zu MiB of %zu MiB\n", fr / MiB, total / MiB);
	if (!vgpu) {
		printf("RUNTIME mode=plain total_mib=%zu entry=libcuda kernel=ok\n", total / MiB);
		return 0;
	}
	CHECK(total == quota);
	CHECK(fr <= total);
	/* all that is free, then one more byte: refused, and we carry on */
	RT(cudaMalloc(&p, fr));
	e = cudaMalloc(&q, 1);
	if (e != cudaErrorMemoryAllocation) {
		fprintf(stderr, "cudaMalloc of one byte past the quota: %s, want "
			"cudaErrorMemoryAllocation\n", cudaGetErrorName(e));
		return 1;
	}
	CHECK(cudaGetLastError() == cudaErrorMemoryAllocation);
	RT(cudaGetLastError());
	RT(cudaMemGetInfo(&fr, &total));
	CHECK(fr == 0);
	RT(cudaFree(p));
	compute();
	printf("RUNTIME mode=vgpu total_mib=%zu entry=libvgpu oom=1 kernel=ok\n", total / MiB);
	return 0;
}
