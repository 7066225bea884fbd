// SPDX-License-Identifier: GPL-2.0-only
/*
 * gpu_check: the CUDA driver API side of the real-GPU suite
 * (tests/gpu/run.sh).  Linked against libcuda.so.1 (the toolkit's stub at
 * build time: the driver's at run time; the simulated GPU with --sim),
 * run with or without LD_PRELOAD of libvgpu.  Every CUDA call is checked:
 * CK() prints file:line, the call and the driver's error string and exits.
 * Each subcommand prints one line of key=value results that run.sh parses,
 * starting with its name in capitals.
 *
 *   gpu_check info                      device, driver, which libcuda, memory
 *   gpu_check hold                      keep the driver up (a context) until killed
 *   gpu_check calibrate US              iterations of work() for a US-long kernel
 *   gpu_check boundary MIB              every allocation API at a MIB quota
 *                                       (under libvgpu, VGPU_MEMORY_LIMIT=MIBm)
 *   gpu_check shares OPTIONS            N tenants at once, work done in a window
 *   gpu_check overhead ITERS            ns per launch / allocation / info call
 *   gpu_check tenant ...                (one tenant; started by shares)
 *
 * GPU_MODULE names the module to load (the fat binary of kernels.cu; with
 * the simulated GPU a file holding "fakecuda-module").
 */
#include <cuda.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MiB (1ULL << 20)
#define MS 1000000ULL
#define SEC 1000000000ULL
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- checks ---- */

static void fail_cu(CUresult r, const char *call, const char *file, int line)
{
	const char *name = NULL, *str = NULL;

	cuGetErrorName(r, &name);
	cuGetErrorString(r, &str);
	fprintf(stderr, "%s:%d: %s: %s (%s, %d)\n", file, line, call, str ? str : "unknown error",
		name ? name : "?", (int)r);
	exit(1);
}

#define CK(call) do { \
	CUresult _r = (call); \
	if (_r != CUDA_SUCCESS) \
		fail_cu(_r, #call, __FILE__, __LINE__); \
} while (0)

/* @call must fail with @want (nothing else, not success). */
#define CK_WANT(call, want) do { \
	CUresult _r = (call); \
	if (_r != (want)) { \
		const char *_n = NULL; \
		cuGetErrorName(_r, &_n); \
		fprintf(stderr, "%s:%d: %s returned %s (%d), want %s\n", __FILE__, __LINE__, \
			#call, _n ? _n : "?", (int)_r, #want); \
		exit(1); \
	} \
} while (0)

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		exit(1); \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
	if (_a != _b) { \
		fprintf(stderr, "%s:%d: %s == %llu, want %s == %llu\n", __FILE__, __LINE__, \
			#a, _a, #b, _b); \
		exit(1); \
	} \
} while (0)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / SEC), .tv_nsec = (long)(t % SEC) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static unsigned long long arg_ull(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end) {
		fprintf(stderr, "gpu_check: %s: '%s' is not a number\n", what, s);
		exit(2);
	}
	return v;
}

/* ---- the driver behind libvgpu (glibc's own dlsym: libvgpu's would wrap) ---- */

static void *real_sym(const char *name)
{
	static void *(*glibc_dlsym)(void *, const char *);
	static void *cuda;
	void *fn;

	if (!glibc_dlsym) {
		void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

		CHECK(libc);
		*(void **)&glibc_dlsym = dlvsym(libc, "dlsym", "GLIBC_2.34");
		if (!glibc_dlsym)
			*(void **)&glibc_dlsym = dlvsym(libc, "dlsym", "GLIBC_2.2.5");
		cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
		CHECK(glibc_dlsym && cuda);
	}
	fn = glibc_dlsym(cuda, name);
	if (!fn) {
		fprintf(stderr, "gpu_check: the driver has no %s\n", name);
		exit(1);
	}
	return fn;
}

/* What the driver itself says is used on the GPU (all processes). */
static uint64_t real_used(void)
{
	CUresult (*info)(size_t *, size_t *);
	size_t fr, total;

	*(void **)&info = real_sym("cuMemGetInfo_v2");
	CK(info(&fr, &total));
	return total - fr;
}

/* What the caller sees (libvgpu's view under it). */
static uint64_t seen_free(void)
{
	size_t fr, total;

	CK(cuMemGetInfo(&fr, &total));
	return fr;
}

/* ---- the context and the kernels ---- */

static CUdevice g_dev;
static CUcontext g_ctx;
static CUfunction g_work, g_empty;
static CUdeviceptr g_out;
static unsigned int g_blocks = 1, g_threads = 256;

static void gpu_init(bool kernels)
{
	int sms = 0;

	CK(cuInit(0));
	CK(cuDeviceGet(&g_dev, 0));
	/* the primary context, as the CUDA runtime uses */
	CK(cuDevicePrimaryCtxRetain(&g_ctx, g_dev));
	CK(cuCtxSetCurrent(g_ctx));
	if (!kernels)
		return;
	{
		const char *path = getenv("GPU_MODULE");
		CUmodule mod;

		if (!path) {
			fprintf(stderr, "gpu_check: GPU_MODULE is not set (the kernels' fat binary)\n");
			exit(2);
		}
		CK(cuModuleLoad(&mod, path));
		CK(cuModuleGetFunction(&g_work, mod, "work"));
		CK(cuModuleGetFunction(&g_empty, mod, "empty"));
	}
	CK(cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, g_dev));
	/* four blocks of 256 threads per SM: the whole GPU, fully occupied */
	g_blocks = (unsigned int)(sms > 0 ? sms : 1) * 4;
	CK(cuMemAlloc(&g_out, (size_t)g_blocks * sizeof(float)));
}

static void launch_work(unsigned long long iters, CUstream s)
{
	void *params[] = { &iters, &g_out };

	CK(cuLaunchKernel(g_work, g_blocks, 1, 1, g_threads, 1, 1, 0, s, params, NULL));
}

static double event_ms(CUevent a, CUevent b)
{
	float ms = 0;

	CK(cuEventElapsedTime(&ms, a, b));
	return ms;
}

/* ---- info ---- */

static int cmd_info(void)
{
	char name[256] = "", path[PATH_MAX] = "?";
	size_t total_seen = 0, total_real = 0;
	CUresult (*real_total)(size_t *, CUdevice);
	int drv = 0, sms = 0, major = 0, minor = 0;
	Dl_info di;
	void *vgpu;

	gpu_init(false);
	CK(cuDriverGetVersion(&drv));
	CK(cuDeviceGetName(name, sizeof(name), g_dev));
	CK(cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, g_dev));
	CK(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, g_dev));
	CK(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, g_dev));
	CK(cuDeviceTotalMem(&total_seen, g_dev));
	*(void **)&real_total = real_sym("cuDeviceTotalMem_v2");
	CK(real_total(&total_real, g_dev));
	if (dladdr(real_sym("cuDriverGetVersion"), &di) && di.dli_fname &&
	    !realpath(di.dli_fname, path))
		snprintf(path, sizeof(path), "%s", di.dli_fname);
	vgpu = dlsym(RTLD_DEFAULT, "vgpu_version");
	printf("INFO device=\"%s\" cc=%d.%d sms=%d driver=%d libcuda=%s total_mib=%llu "
	       "seen_total_mib=%llu libvgpu=%s\n", name, major, minor, sms, drv, path,
	       (unsigned long long)(total_real / MiB), (unsigned long long)(total_seen / MiB),
	       vgpu ? ((const char *(*)(void))vgpu)() : "none");
	return 0;
}

/*
 * hold: keep a context open (and so the driver initialised: without
 * persistence mode every new process would bring the GPU up again) until
 * killed, or 15 minutes.  Idle: it takes no time slice, holds no memory
 * but its context.
 */
static int cmd_hold(void)
{
	gpu_init(false);
	printf("HOLD pid=%d\n", (int)getpid());
	alarm(900);
	for (;;)
		pause();
	return 0;
}

/* ---- calibrate: iterations of work() for a kernel of the given length ---- */

static double time_work(unsigned long long iters, int n)
{
	CUevent a, b;
	double ms;

	CK(cuEventCreate(&a, CU_EVENT_DEFAULT));
	CK(cuEventCreate(&b, CU_EVENT_DEFAULT));
	launch_work(iters, NULL);	/* warm */
	CK(cuEventRecord(a, NULL));
	for (int i = 0; i < n; i++)
		launch_work(iters, NULL);
	CK(cuEventRecord(b, NULL));
	CK(cuEventSynchronize(b));
	ms = event_ms(a, b) / n;
	CK(cuEventDestroy(a));
	CK(cuEventDestroy(b));
	return ms * 1000.0;	/* us */
}

static int cmd_calibrate(unsigned long long target_us)
{
	unsigned long long iters = 16384;
	double us = 0;

	gpu_init(true);
	for (int round = 0; round < 3; round++) {
		us = time_work(iters, 5);
		CHECK(us > 0);
		iters = (unsigned long long)((double)iters * (double)target_us / us);
		if (iters < 1)
			iters = 1;
	}
	us = time_work(iters, 10);
	printf("CALIBRATE iters=%llu kernel_us=%.1f blocks=%u threads=%u\n", iters, us, g_blocks,
	       g_threads);
	return 0;
}

/* ---- boundary: every allocation API at the exact quota ---- */

enum asize { PROBE, MINIMAL, BEYOND };

struct obj {
	CUdeviceptr p;
	CUarray a;
	CUmipmappedArray m;
	CUmemGenericAllocationHandle h;
};

static CUstream b_stream;
static CUmemoryPool b_pool, b_default_pool;
static size_t b_gran = 2 * MiB;
static uint64_t b_beyond;	/* pools: more than their whole reservation */

static CUresult a_mem(struct obj *o, enum asize sz)
{
	return cuMemAlloc(&o->p, sz == PROBE ? 8 * MiB : 1);
}

static CUresult a_pitch(struct obj *o, enum asize sz)
{
	size_t pitch = 0;

	return sz == PROBE ? cuMemAllocPitch(&o->p, &pitch, 4096, 2048, 4) :
			     cuMemAllocPitch(&o->p, &pitch, 4, 1, 4);
}

static CUresult a_managed(struct obj *o, enum asize sz)
{
	return cuMemAllocManaged(&o->p, sz == PROBE ? 8 * MiB : 1, CU_MEM_ATTACH_GLOBAL);
}

static void f_ptr(struct obj *o)
{
	CK(cuMemFree(o->p));
}

static CUresult a_async(struct obj *o, enum asize sz)
{
	return cuMemAllocAsync(&o->p, sz == PROBE ? 8 * MiB : sz == BEYOND ? b_beyond : 1,
			       b_stream);
}

static CUresult a_frompool(struct obj *o, enum asize sz)
{
	return cuMemAllocFromPoolAsync(&o->p, sz == PROBE ? 8 * MiB : sz == BEYOND ? b_beyond : 1,
				       b_pool, b_stream);
}

static void f_pooled(struct obj *o)
{
	CK(cuMemFreeAsync(o->p, b_stream));
	CK(cuStreamSynchronize(b_stream));
	CK(cuMemPoolTrimTo(b_pool, 0));
	CK(cuMemPoolTrimTo(b_default_pool, 0));
}

static CUresult a_vmm(struct obj *o, enum asize sz)
{
	CUmemAllocationProp prop = {
		.type = CU_MEM_ALLOCATION_TYPE_PINNED,
		.location = { .type = CU_MEM_LOCATION_TYPE_DEVICE, .id = 0 },
	};

	return cuMemCreate(&o->h, sz == PROBE ? 4 * b_gran : b_gran, &prop, 0);
}

static void f_vmm(struct obj *o)
{
	CK(cuMemRelease(o->h));
}

static CUresult a_array(struct obj *o, enum asize sz)
{
	CUDA_ARRAY_DESCRIPTOR d = {
		.Width = sz == PROBE ? 1024 : 1, .Height = sz == PROBE ? 512 : 1,
		.Format = CU_AD_FORMAT_FLOAT, .NumChannels = sz == PROBE ? 4 : 1,
	};

	return cuArrayCreate(&o->a, &d);
}

static CUresult a_array3d(struct obj *o, enum asize sz)
{
	CUDA_ARRAY3D_DESCRIPTOR d = {
		.Width = sz == PROBE ? 256 : 1, .Height = sz == PROBE ? 256 : 1,
		.Depth = sz == PROBE ? 8 : 1, .Format = CU_AD_FORMAT_FLOAT,
		.NumChannels = sz == PROBE ? 4 : 1,
	};

	return cuArray3DCreate(&o->a, &d);
}

static void f_array(struct obj *o)
{
	CK(cuArrayDestroy(o->a));
}

static CUresult a_mipmap(struct obj *o, enum asize sz)
{
	CUDA_ARRAY3D_DESCRIPTOR d = {
		.Width = sz == PROBE ? 1024 : 1, .Height = sz == PROBE ? 1024 : 1,
		.Format = CU_AD_FORMAT_FLOAT, .NumChannels = 1,
	};

	return cuMipmappedArrayCreate(&o->m, &d, sz == PROBE ? 4 : 1);
}

static void f_mipmap(struct obj *o)
{
	CK(cuMipmappedArrayDestroy(o->m));
}

static const struct api {
	const char *name;
	CUresult (*alloc)(struct obj *, enum asize);
	void (*release)(struct obj *);
	bool pooled;
} apis[] = {
	{ "cuMemAlloc", a_mem, f_ptr, false },
	{ "cuMemAllocPitch", a_pitch, f_ptr, false },
	{ "cuMemAllocManaged", a_managed, f_ptr, false },
	{ "cuMemAllocAsync", a_async, f_pooled, true },
	{ "cuMemAllocFromPoolAsync", a_frompool, f_pooled, true },
	{ "cuMemCreate", a_vmm, f_vmm, false },
	{ "cuArrayCreate", a_array, f_array, false },
	{ "cuArray3DCreate", a_array3d, f_array, false },
	{ "cuMipmappedArrayCreate", a_mipmap, f_mipmap, false },
};

/*
 * For each API: what libvgpu charges for an object (the drop of the free
 * memory it reports); fill the quota with cuMemAlloc but exactly that much;
 * the object must fit, leaving 0 free; one more (the smallest, or for pools
 * more than their whole reservation) and one more byte of cuMemAlloc must
 * be refused with CUDA_ERROR_OUT_OF_MEMORY, the driver untouched; and the
 * driver's own usage (its cuMemGetInfo, behind libvgpu) may exceed the
 * quota by at most one granule (its rounding).
 */
static int cmd_boundary(unsigned long long quota_mib)
{
	const uint64_t q = quota_mib * MiB;
	CUmemAllocationProp prop = {
		.type = CU_MEM_ALLOCATION_TYPE_PINNED,
		.location = { .type = CU_MEM_LOCATION_TYPE_DEVICE, .id = 0 },
	};
	CUmemPoolProps pp = {
		.allocType = CU_MEM_ALLOCATION_TYPE_PINNED,
		.location = { .type = CU_MEM_LOCATION_TYPE_DEVICE, .id = 0 },
	};
	size_t fr = 0, total = 0, dtotal = 0;
	int64_t worst_excess = INT64_MIN;
	uint64_t over = 0, ctx_real;
	int passed = 0;

	gpu_init(false);
	CK(cuMemGetInfo(&fr, &total));
	CK(cuDeviceTotalMem(&dtotal, g_dev));
	printf("  memory info under the slice: total %llu MiB, free %llu MiB, "
	       "cuDeviceTotalMem %llu MiB; the driver says %llu MiB used on the GPU\n",
	       (unsigned long long)(total / MiB), (unsigned long long)(fr / MiB),
	       (unsigned long long)(dtotal / MiB), (unsigned long long)(real_used() / MiB));
	CHECK_EQ(total, q);
	CHECK_EQ(dtotal, q);
	CHECK_EQ(fr, q);		/* the context is not charged (VGPU_COUNT_CONTEXT=0) */
	ctx_real = real_used();
	CK(cuMemGetAllocationGranularity(&b_gran, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM));
	CK(cuStreamCreate(&b_stream, CU_STREAM_NON_BLOCKING));
	CK(cuMemPoolCreate(&b_pool, &pp));
	CK(cuDeviceGetDefaultMemPool(&b_default_pool, g_dev));
	for (size_t i = 0; i < ARRAY_SIZE(apis); i++) {
		const struct api *a = &apis[i];
		struct obj o = { 0 }, x = { 0 };
		CUdeviceptr fill = 0, one;
		uint64_t c, used0, used_full, used_after;
		int64_t excess;

		printf("  %s ...\n", a->name);
		CHECK_EQ(seen_free(), q);
		used0 = real_used();
		/* what libvgpu charges for one object */
		CK(a->alloc(&o, PROBE));
		c = q - seen_free();
		a->release(&o);
		CHECK_EQ(seen_free(), q);
		CHECK(c > 0 && c <= q);
		b_beyond = c + b_gran;
		/* everything but that, then the object: exactly at the quota */
		if (q > c)
			CK(cuMemAlloc(&fill, q - c));
		CHECK_EQ(seen_free(), c);
		CK(a->alloc(&o, PROBE));
		CHECK_EQ(seen_free(), 0);
		used_full = real_used();
		excess = (int64_t)(used_full - used0) - (int64_t)q;
		/* past it: refused, nothing charged, nothing more on the GPU */
		CK_WANT(a->alloc(&x, a->pooled ? BEYOND : MINIMAL), CUDA_ERROR_OUT_OF_MEMORY);
		CK_WANT(cuMemAlloc(&one, 1), CUDA_ERROR_OUT_OF_MEMORY);
		CHECK_EQ(seen_free(), 0);
		used_after = real_used();
		CHECK(used_after <= used_full);
		a->release(&o);
		if (fill)
			CK(cuMemFree(fill));
		CK(cuStreamSynchronize(b_stream));
		CHECK_EQ(seen_free(), q);
		if (excess > worst_excess)
			worst_excess = excess;
		if (excess > (int64_t)b_gran)
			over += (uint64_t)excess - b_gran;
		printf("  %-24s charged %9llu bytes per object; at the quota the driver holds "
		       "%+.2f MiB beyond it (granule %llu MiB)%s\n", a->name,
		       (unsigned long long)c, (double)excess / MiB,
		       (unsigned long long)(b_gran / MiB),
		       excess > (int64_t)b_gran ? "  OVER" : "");
		if (excess <= (int64_t)b_gran)
			passed++;
	}
	CK(cuMemPoolDestroy(b_pool));
	CK(cuStreamDestroy(b_stream));
	printf("BOUNDARY apis=%zu passed=%d quota_mib=%llu seen_total_mib=%llu "
	       "worst_excess_bytes=%lld over_bytes=%llu granule=%zu ctx_real_mib=%llu\n",
	       ARRAY_SIZE(apis), passed, quota_mib, (unsigned long long)(total / MiB),
	       (long long)worst_excess, (unsigned long long)over, b_gran,
	       (unsigned long long)(ctx_real / MiB));
	return passed == (int)ARRAY_SIZE(apis) ? 0 : 1;
}

/* ---- tenants: fixed work, completions within a common window ---- */

#define RING 64			/* launches in flight per tenant, at most */
#define MAX_LAUNCHES (1u << 20)

/*
 * One tenant: launch work() back to back from the common start until the
 * window's end, an event after each launch; the completion time of each
 * launch (in CLOCK_MONOTONIC, through a reference event taken while the
 * GPU was idle) says whether it was done inside the window.  Events are
 * polled with cuEventQuery (never waited for), so the tenant queues as a
 * greedy program does, up to RING launches; libvgpu bounds it further.
 */
static int cmd_tenant(int ready_fd, int go_fd, int idx, unsigned long long iters,
		      unsigned long long warmup_ms, unsigned long long window_ms)
{
	CUevent ref, ring[RING];
	uint64_t t_ref, t_a, t_b, t_go = 0, w0, w1, stop, in_window = 0;
	unsigned long long launched = 0, harvested = 0, first_in = 0;
	double *done = calloc(MAX_LAUNCHES, sizeof(double));
	ssize_t n;

	CHECK(done);
	gpu_init(true);
	for (int i = 0; i < RING; i++)
		CK(cuEventCreate(&ring[i], CU_EVENT_DEFAULT));
	CK(cuEventCreate(&ref, CU_EVENT_DEFAULT));
	/* one launch to load everything, then the reference on an idle GPU */
	launch_work(1, NULL);
	CK(cuStreamSynchronize(NULL));
	t_a = now_ns();
	CK(cuEventRecord(ref, NULL));
	CK(cuEventSynchronize(ref));
	t_b = now_ns();
	t_ref = t_a + (t_b - t_a) / 2;
	CHECK(write(ready_fd, &idx, sizeof(idx)) == (ssize_t)sizeof(idx));
	do {
		n = read(go_fd, &t_go, sizeof(t_go));
	} while (n < 0 && errno == EINTR);
	CHECK(n == (ssize_t)sizeof(t_go));
	w0 = t_go + warmup_ms * MS;
	w1 = w0 + window_ms * MS;
	stop = w1 + 20 * MS;	/* keep the GPU busy past the window's end */
	sleep_until(t_go);
	while (harvested < launched || now_ns() < stop) {
		/* harvest what completed, oldest first */
		while (harvested < launched) {
			CUevent ev = ring[harvested % RING];
			CUresult r = cuEventQuery(ev);
			double t;

			if (r == CUDA_ERROR_NOT_READY)
				break;
			CK(r);
			t = (double)t_ref + event_ms(ref, ev) * 1e6;
			done[harvested++] = t;
		}
		if (now_ns() < stop && launched - harvested < RING && launched < MAX_LAUNCHES) {
			launch_work(iters, NULL);
			CK(cuEventRecord(ring[launched % RING], NULL));
			launched++;
		} else if (harvested < launched) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
		}
	}
	for (unsigned long long i = 0; i < harvested; i++) {
		if (done[i] >= (double)w0 && done[i] < (double)w1) {
			if (!in_window)
				first_in = i;
			in_window++;
		}
	}
	printf("TENANT idx=%d work=%llu launches=%llu first_in_window=%llu "
	       "ref_uncertainty_us=%.1f\n", idx, (unsigned long long)in_window, launched,
	       first_in, (double)(t_b - t_a) / 2000.0);
	fflush(stdout);
	free(done);
	return 0;
}

/*
 * N tenants of a case, each its own process (exec'd: LD_PRELOAD applies),
 * its own slice (shm region shared by the case): they start together on a
 * pipe barrier, and their work done within the same window is counted.
 */
static int cmd_shares(int argc, char **argv)
{
	const char *policy = "none", *preload = "none", *label = "case";
	unsigned long long iters = 0, warmup_ms = 500, window_ms = 3000;
	unsigned int weight[8];
	int n = 0, ready[2], outp[8][2], gofd[8][2];
	unsigned long long work[8] = { 0 }, sum = 0;
	char region[96], self[PATH_MAX];
	pid_t pid[8];
	ssize_t len;
	int bad = 0;

	for (int i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--policy")) {
			policy = argv[i + 1];
		} else if (!strcmp(argv[i], "--preload")) {
			preload = argv[i + 1];
		} else if (!strcmp(argv[i], "--label")) {
			label = argv[i + 1];
		} else if (!strcmp(argv[i], "--iters")) {
			iters = arg_ull(argv[i + 1], "--iters");
		} else if (!strcmp(argv[i], "--warmup-ms")) {
			warmup_ms = arg_ull(argv[i + 1], "--warmup-ms");
		} else if (!strcmp(argv[i], "--window-ms")) {
			window_ms = arg_ull(argv[i + 1], "--window-ms");
		} else if (!strcmp(argv[i], "--weights")) {
			char list[128], *tok, *save = NULL;

			snprintf(list, sizeof(list), "%s", argv[i + 1]);
			for (tok = strtok_r(list, ",", &save); tok && n < 8;
			     tok = strtok_r(NULL, ",", &save))
				weight[n++] = (unsigned int)arg_ull(tok, "--weights");
		} else {
			fprintf(stderr, "gpu_check shares: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (!n || !iters) {
		fprintf(stderr, "gpu_check shares: --weights and --iters are needed\n");
		return 2;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(len > 0);
	self[len] = '\0';
	snprintf(region, sizeof(region), "/vgpu-gpusuite-%d-%s", (int)getpid(), label);
	shm_unlink(region);
	CHECK(pipe(ready) == 0);
	for (int i = 0; i < n; i++) {
		CHECK(pipe(outp[i]) == 0 && pipe(gofd[i]) == 0);
		fflush(stdout);
		pid[i] = fork();
		CHECK(pid[i] >= 0);
		if (pid[i] == 0) {
			char a[5][32], v[32];

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			dup2(outp[i][1], 1);
			setenv("VGPU_SHM", region, 1);
			snprintf(v, sizeof(v), "tenant-%d", i);
			setenv("VGPU_SLICE", v, 1);
			snprintf(v, sizeof(v), "%u", weight[i]);
			setenv("VGPU_SHARE", v, 1);
			if (strcmp(policy, "none"))
				setenv("VGPU_POLICY", policy, 1);
			if (strcmp(preload, "none"))
				setenv("LD_PRELOAD", preload, 1);
			else
				unsetenv("LD_PRELOAD");
			snprintf(a[0], sizeof(a[0]), "%d", ready[1]);
			snprintf(a[1], sizeof(a[1]), "%d", gofd[i][0]);
			snprintf(a[2], sizeof(a[2]), "%d", i);
			snprintf(a[3], sizeof(a[3]), "%llu", iters);
			snprintf(a[4], sizeof(a[4]), "%llu", warmup_ms);
			snprintf(v, sizeof(v), "%llu", window_ms);
			execl(self, "gpu_check", "tenant", a[0], a[1], a[2], a[3], a[4], v,
			      (char *)NULL);
			_exit(127);
		}
		close(outp[i][1]);
		close(gofd[i][0]);
	}
	close(ready[1]);
	/* the barrier: every tenant ready (context, module, reference event) */
	for (int got = 0, waited = 0; got < n && !bad;) {
		struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
		int who, st;

		if (poll(&pfd, 1, 200) == 1) {
			CHECK(read(ready[0], &who, sizeof(who)) == (ssize_t)sizeof(who));
			got++;
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (waitpid(pid[i], &st, WNOHANG) == pid[i]) {
				fprintf(stderr, "gpu_check shares: tenant %d exited before it was "
					"ready (status %#x)\n", i, st);
				pid[i] = 0;
				bad = 1;
			}
		}
		if (++waited > 5 * 60 * 2) {	/* 2 minutes */
			fprintf(stderr, "gpu_check shares: tenants not ready after 2 minutes\n");
			bad = 1;
		}
	}
	if (bad) {
		for (int i = 0; i < n; i++)
			if (pid[i] > 0)
				kill(pid[i], SIGKILL);
	}
	if (!bad) {
		uint64_t t_go = now_ns() + 100 * MS;

		for (int i = 0; i < n; i++)
			CHECK(write(gofd[i][1], &t_go, sizeof(t_go)) == (ssize_t)sizeof(t_go));
	}
	for (int i = 0; i < n; i++) {
		char buf[512] = "", *p;
		size_t got = 0;
		int st;

		close(gofd[i][1]);
		while (got < sizeof(buf) - 1) {
			len = read(outp[i][0], buf + got, sizeof(buf) - 1 - got);
			if (len < 0 && errno == EINTR)
				continue;
			if (len <= 0)
				break;
			got += (size_t)len;
		}
		buf[got] = '\0';
		close(outp[i][0]);
		st = 0x100;
		if (pid[i] > 0)
			waitpid(pid[i], &st, 0);
		p = strstr(buf, "TENANT ");
		if (!WIFEXITED(st) || WEXITSTATUS(st) || !p ||
		    !strstr(p, "work=") || sscanf(strstr(p, "work="), "work=%llu", &work[i]) != 1) {
			fprintf(stderr, "gpu_check shares: tenant %d failed (status %#x): %s\n", i,
				st, buf);
			bad = 1;
		} else {
			fprintf(stderr, "  %s", p);
		}
		sum += work[i];
	}
	close(ready[0]);
	shm_unlink(region);
	if (bad || !sum)
		return 1;
	printf("SHARES label=%s policy=%s libvgpu=%d n=%d weights=", label, policy,
	       strcmp(preload, "none") ? 1 : 0, n);
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", weight[i]);
	printf(" work=");
	for (int i = 0; i < n; i++)
		printf("%s%llu", i ? "," : "", work[i]);
	printf(" share=");
	for (int i = 0; i < n; i++)
		printf("%s%.1f", i ? "," : "", 100.0 * (double)work[i] / (double)sum);
	printf(" sum=%llu window_ms=%llu\n", sum, window_ms);
	return 0;
}

/* ---- overhead: the cost of calls, in the calling thread ---- */

#define BATCHES 20

static double best_of(double *v, int n)
{
	double b = v[0];

	for (int i = 1; i < n; i++)
		if (v[i] < b)
			b = v[i];
	return b;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_of(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static int cmd_overhead(unsigned long long short_iters)
{
	enum { LAUNCHES = 1000, ALLOCS = 200, KERNELS = 2000 };
	double launch[BATCHES], alloc[BATCHES], info[BATCHES], stream[5];
	double launch_best, launch_med;
	size_t fr, total;

	gpu_init(true);
	for (int i = 0; i < LAUNCHES; i++)	/* warm */
		CK(cuLaunchKernel(g_empty, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
	CK(cuStreamSynchronize(NULL));
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < LAUNCHES; i++)
			CK(cuLaunchKernel(g_empty, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL));
		launch[b] = (double)(now_ns() - t0) / LAUNCHES;
		CK(cuStreamSynchronize(NULL));
	}
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < ALLOCS; i++) {
			CUdeviceptr p;

			CK(cuMemAlloc(&p, MiB));
			CK(cuMemFree(p));
		}
		alloc[b] = (double)(now_ns() - t0) / ALLOCS;
	}
	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < ALLOCS; i++)
			CK(cuMemGetInfo(&fr, &total));
		info[b] = (double)(now_ns() - t0) / ALLOCS;
	}
	/* a stream of short kernels, end to end (wall time per kernel) */
	for (int b = 0; b < 5; b++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < KERNELS; i++)
			launch_work(short_iters, NULL);
		CK(cuStreamSynchronize(NULL));
		stream[b] = (double)(now_ns() - t0) / KERNELS;
	}
	launch_best = best_of(launch, BATCHES);
	launch_med = median_of(launch, BATCHES);
	printf("OVERHEAD libvgpu=%s launch_ns=%.1f launch_median_ns=%.1f alloc_free_ns=%.1f "
	       "alloc_free_median_ns=%.1f info_ns=%.1f short_kernel_ns=%.1f\n",
	       dlsym(RTLD_DEFAULT, "vgpu_version") ? "1" : "0", launch_best, launch_med,
	       best_of(alloc, BATCHES), median_of(alloc, BATCHES), best_of(info, BATCHES),
	       best_of(stream, 5));
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "info") && argc == 2)
		return cmd_info();
	if (!strcmp(cmd, "hold") && argc == 2)
		return cmd_hold();
	if (!strcmp(cmd, "calibrate") && argc == 3)
		return cmd_calibrate(arg_ull(argv[2], "microseconds"));
	if (!strcmp(cmd, "boundary") && argc == 3)
		return cmd_boundary(arg_ull(argv[2], "MiB"));
	if (!strcmp(cmd, "shares"))
		return cmd_shares(argc - 2, argv + 2);
	if (!strcmp(cmd, "overhead") && argc == 3)
		return cmd_overhead(arg_ull(argv[2], "iterations"));
	if (!strcmp(cmd, "tenant") && argc == 8)
		return cmd_tenant((int)arg_ull(argv[2], "fd"), (int)arg_ull(argv[3], "fd"),
				  (int)arg_ull(argv[4], "index"), arg_ull(argv[5], "iterations"),
				  arg_ull(argv[6], "ms"), arg_ull(argv[7], "ms"));
	fprintf(stderr, "usage: gpu_check info | hold | calibrate US | boundary MIB | overhead ITERS | "
		"shares --weights W,W[,W] --iters N [--policy P] [--preload LIB] [--label L] "
		"[--warmup-ms MS] [--window-ms MS]\n");
	return 2;
}
