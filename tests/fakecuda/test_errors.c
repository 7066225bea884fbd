// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: error semantics of the simulated driver, the device it
 * shows, contexts, copies, and the exact out-of-memory boundary.
 */
#include <fcntl.h>
#include <pthread.h>

#include "fc_test.h"

static void test_before_init(void)
{
	const char *s;
	CUdeviceptr p;
	CUcontext c;
	int n, v;

	CU(cuDeviceGetCount(&n), CUDA_ERROR_NOT_INITIALIZED);
	CU(cuMemAlloc(&p, 16), CUDA_ERROR_NOT_INITIALIZED);
	CU(cuCtxGetCurrent(&c), CUDA_ERROR_NOT_INITIALIZED);
	/* these work before cuInit, as in the driver */
	OK(cuDriverGetVersion(&v));
	CHECK_EQ(v, 13000);
	CU(cuDriverGetVersion(NULL), CUDA_ERROR_INVALID_VALUE);
	OK(cuGetErrorName(CUDA_ERROR_OUT_OF_MEMORY, &s));
	CHECK(!strcmp(s, "CUDA_ERROR_OUT_OF_MEMORY"));
	OK(cuGetErrorString(CUDA_ERROR_OUT_OF_MEMORY, &s));
	CHECK(!strcmp(s, "out of memory"));
	CU(cuGetErrorName((CUresult)12345, &s), CUDA_ERROR_INVALID_VALUE);
	CHECK(s == NULL);
	CU(cuInit(1), CUDA_ERROR_INVALID_VALUE);
	OK(cuInit(0));
	OK(cuInit(0));
}

static void test_device(void)
{
	char name[64], bus[32];
	CUdevice dev, d2;
	CUuuid u1, u2;
	size_t total;
	int n, v;

	OK(cuDeviceGetCount(&n));
	CHECK_EQ(n, 1);
	CU(cuDeviceGet(&dev, 1), CUDA_ERROR_INVALID_DEVICE);
	CU(cuDeviceGet(NULL, 0), CUDA_ERROR_INVALID_VALUE);
	OK(cuDeviceGet(&dev, 0));
	OK(cuDeviceGetName(name, sizeof(name), dev));
	CHECK(!strcmp(name, "vgpu fakecuda test double"));
	OK(cuDeviceGetName(name, 5, dev));
	CHECK(!strcmp(name, "vgpu"));
	CU(cuDeviceGetName(name, sizeof(name), 3), CUDA_ERROR_INVALID_DEVICE);
	OK(cuDeviceTotalMem(&total, dev));
	CHECK_EQ(total, 64 * MiB);
	OK(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev));
	CHECK_EQ(v, 132);
	OK(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
	CHECK_EQ(v, 9);
	OK(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
	CHECK_EQ(v, 0);
	OK(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_WARP_SIZE, dev));
	CHECK_EQ(v, 32);
	OK(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, dev));
	CHECK_EQ(v, 1024);
	OK(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_PCI_BUS_ID, dev));
	CHECK_EQ(v, 1);
	CU(cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_MAX, dev), CUDA_ERROR_INVALID_VALUE);
	CU(cuDeviceGetAttribute(NULL, CU_DEVICE_ATTRIBUTE_WARP_SIZE, dev),
	   CUDA_ERROR_INVALID_VALUE);
	OK(cuDeviceGetPCIBusId(bus, sizeof(bus), dev));
	CHECK(!strcmp(bus, "0000:01:00.0"));
	OK(cuDeviceGetByPCIBusId(&d2, bus));
	CHECK_EQ(d2, dev);
	OK(cuDeviceGetByPCIBusId(&d2, "01:00.0"));
	CU(cuDeviceGetByPCIBusId(&d2, "0000:02:00.0"), CUDA_ERROR_INVALID_DEVICE);
	CU(cuDeviceGetByPCIBusId(&d2, "bogus"), CUDA_ERROR_INVALID_VALUE);
	OK(cuDeviceGetUuid(&u1, dev));
	OK(cuDeviceGetUuid_v2(&u2, dev));
	CHECK(!memcmp(&u1, &u2, sizeof(u1)));
}

static void *no_context_thread(void *arg)
{
	CUdeviceptr p;
	CUcontext c;

	(void)arg;
	/* a new thread has no current context */
	OK(cuCtxGetCurrent(&c));
	CHECK(c == NULL);
	CU(cuMemAlloc(&p, 16), CUDA_ERROR_INVALID_CONTEXT);
	return NULL;
}

static void test_contexts(void)
{
	CUcontext a, b, cur, prim, prim2;
	CUfunction fn;
	CUdeviceptr p;
	CUmodule mod;
	size_t fr, tot;
	unsigned int flags;
	pthread_t t;
	int active;

	CU(cuMemAlloc(&p, 16), CUDA_ERROR_INVALID_CONTEXT);
	CU(cuMemGetInfo(&fr, &tot), CUDA_ERROR_INVALID_CONTEXT);
	CU(cuModuleLoadData(&mod, "fakecuda-module"), CUDA_ERROR_INVALID_CONTEXT);
	CU(cuCtxPopCurrent(&cur), CUDA_ERROR_INVALID_CONTEXT);
	CU(cuCtxCreate(&a, NULL, 0x100, 0), CUDA_ERROR_INVALID_VALUE);
	CU(cuCtxCreate(&a, NULL, 0, 1), CUDA_ERROR_INVALID_DEVICE);
	CU(cuCtxCreate(NULL, NULL, 0, 0), CUDA_ERROR_INVALID_VALUE);

	OK(cuCtxCreate(&a, NULL, 0, 0));
	OK(cuCtxGetCurrent(&cur));
	CHECK(cur == a);
	OK(cuCtxCreate(&b, NULL, CU_CTX_SCHED_BLOCKING_SYNC, 0));
	OK(cuCtxGetCurrent(&cur));
	CHECK(cur == b);
	OK(cuCtxPopCurrent(&cur));
	CHECK(cur == b);
	OK(cuCtxGetCurrent(&cur));
	CHECK(cur == a);
	OK(cuCtxPushCurrent(b));
	OK(pthread_create(&t, NULL, no_context_thread, NULL) == 0 ? CUDA_SUCCESS : CUDA_ERROR_UNKNOWN);
	pthread_join(t, NULL);

	/* destroying the current context pops it; its handle is dead */
	OK(cuCtxDestroy(b));
	OK(cuCtxGetCurrent(&cur));
	CHECK(cur == a);
	CU(cuCtxPushCurrent(b), CUDA_ERROR_INVALID_CONTEXT);
	CU(cuCtxSetCurrent(b), CUDA_ERROR_INVALID_CONTEXT);
	CU(cuCtxDestroy(b), CUDA_ERROR_INVALID_CONTEXT);
	/* a context destroyed while current elsewhere: CONTEXT_IS_DESTROYED */
	OK(cuCtxCreate(&b, NULL, 0, 0));
	OK(cuCtxPushCurrent(a));
	OK(cuCtxDestroy(b));	/* b is below a on the stack */
	OK(cuCtxPopCurrent(&cur));
	CHECK(cur == a);
	CU(cuMemAlloc(&p, 16), CUDA_ERROR_CONTEXT_IS_DESTROYED);
	OK(cuCtxSetCurrent(a));

	/* handles of a destroyed context's objects die with it */
	OK(cuCtxCreate(&b, NULL, 0, 0));
	OK(cuModuleLoadData(&mod, "fakecuda-module"));
	OK(cuModuleGetFunction(&fn, mod, "k"));
	OK(cuCtxDestroy(b));
	OK(cuCtxGetCurrent(&cur));
	CHECK(cur == a);
	CU(cuModuleGetFunction(&fn, mod, "k"), CUDA_ERROR_INVALID_HANDLE);

	/* the primary context: one per device, reference counted */
	OK(cuDevicePrimaryCtxGetState(0, &flags, &active));
	CHECK(!active);
	OK(cuDevicePrimaryCtxSetFlags(0, CU_CTX_SCHED_YIELD));
	OK(cuDevicePrimaryCtxRetain(&prim, 0));
	OK(cuDevicePrimaryCtxRetain(&prim2, 0));
	CHECK(prim == prim2);
	OK(cuDevicePrimaryCtxGetState(0, &flags, &active));
	CHECK(active);
	CHECK_EQ(flags, CU_CTX_SCHED_YIELD);
	CU(cuCtxDestroy(prim), CUDA_ERROR_INVALID_CONTEXT);
	OK(cuCtxPushCurrent(prim));
	OK(cuMemAlloc(&p, 16));
	OK(cuDevicePrimaryCtxRelease(0));
	OK(cuMemFree(p));
	OK(cuDevicePrimaryCtxRelease(0));
	OK(cuDevicePrimaryCtxGetState(0, &flags, &active));
	CHECK(!active);
	CU(cuDevicePrimaryCtxRelease(0), CUDA_ERROR_INVALID_CONTEXT);
	CU(cuMemAlloc(&p, 16), CUDA_ERROR_INVALID_CONTEXT);
	OK(cuCtxPopCurrent(NULL));
	OK(cuDevicePrimaryCtxRetain(&prim, 0));
	OK(cuDevicePrimaryCtxReset(0));
	OK(cuDevicePrimaryCtxGetState(0, &flags, &active));
	CHECK(!active);
	OK(cuCtxGetCurrent(&cur));
	CHECK(cur == a);
}

static void test_oom_boundary(void)
{
	CUdeviceptr p, q;
	size_t fr, tot, fr2;

	OK(cuMemGetInfo(&fr, &tot));
	CHECK_EQ(tot, 64 * MiB);
	CHECK_EQ(fr, 64 * MiB);
	CU(cuMemAlloc(NULL, 16), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemAlloc(&p, 0), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemGetInfo(NULL, &tot), CUDA_ERROR_INVALID_VALUE);

	/* one byte more than free fails; exactly free succeeds */
	CU(cuMemAlloc(&p, fr + 1), CUDA_ERROR_OUT_OF_MEMORY);
	OK(cuMemAlloc(&p, fr));
	OK(cuMemGetInfo(&fr2, &tot));
	CHECK_EQ(fr2, 0);
	CU(cuMemAlloc(&q, 1), CUDA_ERROR_OUT_OF_MEMORY);
	/* the mapping is real: both ends are writable */
	OK(cuMemsetD8(p, 0xab, 1));
	OK(cuMemsetD8(p + fr - 1, 0xcd, 1));
	OK(cuMemFree(p));
	OK(cuMemGetInfo(&fr2, &tot));
	CHECK_EQ(fr2, fr);
	CHECK_EQ(fakecuda_mem_used(getpid()), 0);

	/* host memory is not device memory */
	{
		void *h;

		OK(cuMemAllocHost(&h, 32 * MiB));
		OK(cuMemHostAlloc(&h, 1 * MiB, CU_MEMHOSTALLOC_PORTABLE));
		CU(cuMemHostAlloc(&h, 1 * MiB, 0x80), CUDA_ERROR_INVALID_VALUE);
		OK(cuMemGetInfo(&fr2, &tot));
		CHECK_EQ(fr2, fr);
		OK(cuMemFreeHost(h));
		CU(cuMemFreeHost(h), CUDA_ERROR_INVALID_VALUE);
	}
}

static void test_copies(void)
{
	unsigned char in[256], out[256];
	CUdeviceptr a, b;
	uint32_t w[4];

	for (int i = 0; i < 256; i++)
		in[i] = (unsigned char)i;
	OK(cuMemAlloc(&a, 256));
	OK(cuMemAlloc(&b, 256));
	OK(cuMemcpyHtoD(a, in, 256));
	OK(cuMemcpyDtoD(b, a, 256));
	memset(out, 0, sizeof(out));
	OK(cuMemcpyDtoH(out, b, 256));
	CHECK(!memcmp(in, out, 256));
	OK(cuMemsetD32(b, 0xdeadbeef, 4));
	OK(cuMemcpy((CUdeviceptr)(uintptr_t)w, b, sizeof(w)));
	CHECK_EQ(w[0], 0xdeadbeef);
	CHECK_EQ(w[3], 0xdeadbeef);
	CU(cuMemsetD32(b + 1, 0, 1), CUDA_ERROR_INVALID_VALUE);
	/* beyond the allocation, or not device memory at all */
	CU(cuMemcpyHtoD(a + 128, in, 129), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemcpyDtoH(out, (CUdeviceptr)(uintptr_t)in, 16), CUDA_ERROR_INVALID_VALUE);
	OK(cuMemcpyHtoD(a, in, 0));
	OK(cuMemFree(a));
	CU(cuMemFree(a), CUDA_ERROR_INVALID_VALUE);
	CU(cuMemcpyHtoD(a, in, 1), CUDA_ERROR_INVALID_VALUE);
	OK(cuMemFree(b));
	OK(cuMemFree(0));
}

static void test_handles(void)
{
	char path[] = "/tmp/fakecuda-module-XXXXXX";
	CUfunction fn;
	CUmodule mod;
	CUstream s;
	CUevent e;
	const void *tbl;
	CUuuid id = { { 0 } };
	void *bogus = (void *)&id;
	int fd;

	CU(cuStreamDestroy((CUstream)bogus), CUDA_ERROR_INVALID_HANDLE);
	CU(cuStreamSynchronize((CUstream)bogus), CUDA_ERROR_INVALID_HANDLE);
	CU(cuEventQuery((CUevent)bogus), CUDA_ERROR_INVALID_HANDLE);
	CU(cuEventDestroy((CUevent)bogus), CUDA_ERROR_INVALID_HANDLE);
	CU(cuModuleGetFunction(&fn, (CUmodule)bogus, "k"), CUDA_ERROR_INVALID_HANDLE);
	CU(cuModuleUnload((CUmodule)bogus), CUDA_ERROR_INVALID_HANDLE);
	CU(fct_launch((CUfunction)bogus, NULL, 0), CUDA_ERROR_INVALID_HANDLE);
	CU(cuStreamCreate(&s, 0x10), CUDA_ERROR_INVALID_VALUE);
	OK(cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
	OK(cuStreamDestroy(s));
	CU(cuStreamDestroy(s), CUDA_ERROR_INVALID_HANDLE);
	CU(cuEventCreate(&e, CU_EVENT_INTERPROCESS), CUDA_ERROR_INVALID_VALUE);
	OK(cuEventCreate(&e, CU_EVENT_DISABLE_TIMING));
	OK(cuEventDestroy(e));

	CU(cuModuleLoadData(&mod, "not a module"), CUDA_ERROR_INVALID_IMAGE);
	CU(cuModuleLoadData(NULL, "fakecuda-module"), CUDA_ERROR_INVALID_VALUE);
	CU(cuModuleLoad(&mod, "/nonexistent/fakecuda.module"), CUDA_ERROR_FILE_NOT_FOUND);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, "fakecuda-module\n", 16) == 16);
	close(fd);
	OK(cuModuleLoad(&mod, path));
	unlink(path);
	CU(cuModuleGetFunction(&fn, mod, ""), CUDA_ERROR_NOT_FOUND);
	OK(cuModuleGetFunction(&fn, mod, "any_name_at_all"));
	OK(fct_launch(fn, NULL, 0));
	OK(cuModuleUnload(mod));
	CU(fct_launch(fn, NULL, 0), CUDA_ERROR_INVALID_HANDLE);

	CU(cuGetExportTable(&tbl, &id), CUDA_ERROR_NOT_SUPPORTED);
	CHECK(tbl == NULL);
}

/* A child with a malformed variable: cuInit fails, says why, and stays failed. */
static void test_bad_env(const char *var, const char *value, const char *want)
{
	char buf[512] = "";
	int pfd[2], st;
	ssize_t n, got = 0;
	pid_t pid;

	CHECK(pipe(pfd) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 2);
		setenv(var, value, 1);
		if (cuInit(0) != CUDA_ERROR_INVALID_VALUE || cuInit(0) != CUDA_ERROR_INVALID_VALUE)
			_exit(3);
		{
			int count;

			if (cuDeviceGetCount(&count) != CUDA_ERROR_NOT_INITIALIZED)
				_exit(4);
		}
		_exit(0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	close(pfd[0]);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!strstr(buf, want)) {
		fprintf(stderr, "stderr of cuInit with %s=%s: '%s', want '%s'\n", var, value,
			buf, want);
		exit(1);
	}
}

int main(void)
{
	fct_setup("errors", "64m", NULL);
	test_before_init();
	test_device();
	test_contexts();
	test_oom_boundary();
	test_copies();
	test_handles();
	test_bad_env("FAKECUDA_MEMORY", "12q", "fakecuda: FAKECUDA_MEMORY: '12q' is not a byte count");
	test_bad_env("FAKECUDA_MEMORY", "0", "fakecuda: FAKECUDA_MEMORY: '0' is out of range");
	test_bad_env("FAKECUDA_SMS", "-3", "fakecuda: FAKECUDA_SMS: '-3' is not a decimal number");
	test_bad_env("FAKECUDA_SHM", "no-slash", "fakecuda: FAKECUDA_SHM: 'no-slash'");
	test_bad_env("FAKECUDA_PCI_BUS_ID", "0000:01:00.1", "fakecuda: FAKECUDA_PCI_BUS_ID:");
	return 0;
}
