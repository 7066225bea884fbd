// SPDX-License-Identifier: GPL-2.0-only
/*
 * A program that finds the driver the way the CUDA runtime does: it does
 * not link libcuda; it dlopen()s libcuda.so.1 and asks dlsym() on that
 * handle for cuGetProcAddress_v2 and the functions it calls.  libvgpu's
 * dlsym must hand out its wrappers for the hooked ABI names on that handle
 * (and only there), so that allocations through those pointers are charged
 * and refused at the quota exactly like direct calls, and launches wait for
 * the lease; every other lookup gets glibc's answer, RTLD_NEXT relative to
 * its real caller included.
 *
 * Built three ways (lib.mk), one source:
 *   test_dlsym          links neither libcuda nor libvgpu; run under
 *                       LD_PRELOAD of libvgpu (active)
 *   test_dlsym_linked   links libvgpu before libcuda, no preload (active)
 *   test_dlsym_after    links libcuda before libvgpu, no preload: libvgpu is
 *                       only there for its API; its dlsym must pass every
 *                       lookup through (argument "inactive")
 *
 * Only lt.h's checks and process helpers are used: its CUDA helpers would
 * link libcuda.
 */
#include <dlfcn.h>

#include "lt.h"

#define Q (32 * MiB)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void *lib;
static CUresult (*p_errname)(CUresult, const char **);
static int (*p_fc_unlink)(void);
static unsigned long long (*p_fc_used)(pid_t);
static unsigned long long (*p_fc_busy)(pid_t);
/*
 * dlsym as programs built against glibc before 2.34 (the CUDA runtime in
 * most framework wheels) reference it: at the architecture's first version.
 */
#if defined(__x86_64__)
void *old_dlsym(void *handle, const char *name);
__asm__(".symver old_dlsym, dlsym@GLIBC_2.2.5");
#elif defined(__aarch64__)
void *old_dlsym(void *handle, const char *name);
__asm__(".symver old_dlsym, dlsym@GLIBC_2.17");
#else
#define old_dlsym dlsym
#endif

static void *(*glibc_dlsym)(void *, const char *);
static char vshm[96];
static pid_t owner;

#define DCU(call, want) do { \
	CUresult _r = (call); \
	if (_r != (want)) { \
		const char *_n = NULL; \
		if (p_errname) \
			p_errname(_r, &_n); \
		fprintf(stderr, "%s:%d: %s returned %d (%s), want %s\n", __FILE__, \
			__LINE__, #call, (int)_r, _n ? _n : "?", #want); \
		exit(1); \
	} \
} while (0)
#define DOK(call) DCU(call, CUDA_SUCCESS)
#define DOOM(call) DCU(call, CUDA_ERROR_OUT_OF_MEMORY)

/* @fn is @sym of the object whose file name contains @obj. */
static void expect(const char *what, void *fn, const char *obj, const char *sym)
{
	Dl_info di;

	if (!fn || !dladdr(fn, &di) || !di.dli_fname || !strstr(di.dli_fname, obj) ||
	    !di.dli_sname || strcmp(di.dli_sname, sym)) {
		fprintf(stderr, "%s: %p is %s in %s, want %s in %s\n", what, fn,
			fn && dladdr(fn, &di) && di.dli_sname ? di.dli_sname : "?",
			fn && dladdr(fn, &di) && di.dli_fname ? di.dli_fname : "?", sym, obj);
		exit(1);
	}
}

static void *must(void *h, const char *name)
{
	void *fn = dlsym(h, name);

	if (!fn) {
		fprintf(stderr, "dlsym(%s): %s\n", name, dlerror());
		exit(1);
	}
	return fn;
}

static void cleanup(void)
{
	if (getpid() != owner)
		return;
	if (p_fc_unlink)
		p_fc_unlink();
	shm_unlink(vshm);
}

static void setup(void)
{
	char name[96];

	snprintf(name, sizeof(name), "/lt-fc-dlsym-%d", (int)getpid());
	setenv("FAKECUDA_SHM", name, 1);
	setenv("FAKECUDA_MEMORY", "1g", 1);
	unsetenv("FAKECUDA_CTX_OVERHEAD");
	snprintf(vshm, sizeof(vshm), "/lt-vg-dlsym-%d", (int)getpid());
	setenv("VGPU_SHM", vshm, 1);
	shm_unlink(vshm);
	setenv("VGPU_MEMORY_LIMIT", "32m", 1);
	owner = getpid();
	atexit(cleanup);
}

/* Lookups that are not libcuda's hooked names: glibc's answers. */
static void t_untouched(bool active)
{
	void *(*next_dlsym)(void *, const char *);
	void *fn;

	/* not hooked, on the driver's handle: the driver's own */
	expect("cuDeviceGetName", dlsym(lib, "cuDeviceGetName"), "libcuda", "cuDeviceGetName");
	expect("cuModuleLoadData", dlsym(lib, "cuModuleLoadData"), "libcuda",
	       "cuModuleLoadData");
	expect("cuMemcpyHtoD_v2", dlsym(lib, "cuMemcpyHtoD_v2"), "libcuda", "cuMemcpyHtoD_v2");
	/* the 32-bit first version is not hooked (the driver's, or missing) */
	fn = dlsym(lib, "cuMemAlloc");
	if (fn)
		expect("cuMemAlloc", fn, "libcuda", "cuMemAlloc");
	/* missing: NULL and a message, as glibc says it */
	dlerror();
	CHECK(!dlsym(lib, "cuNoSuchFunction"));
	fn = dlerror();
	CHECK(fn && strstr((const char *)fn, "cuNoSuchFunction"));
	CHECK(!dlsym(RTLD_DEFAULT, "lt_no_such_symbol"));
	CHECK(dlerror() != NULL);
	/*
	 * Unrelated symbols through the special handles and others: the same
	 * answers as glibc's own dlsym gives this program (called from here
	 * too, so RTLD_NEXT is relative to the same caller).
	 */
	{
		void *self = dlopen(NULL, RTLD_NOW);
		void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
		const struct {
			void *h;
			const char *name;
		} q[] = {
			{ RTLD_DEFAULT, "getpid" }, { RTLD_NEXT, "getpid" },
			{ RTLD_DEFAULT, "malloc" }, { RTLD_NEXT, "malloc" },
			{ RTLD_DEFAULT, "vgpu_version" }, { RTLD_NEXT, "vgpu_version" },
			{ RTLD_DEFAULT, "cuInit" }, { RTLD_NEXT, "cuInit" },
			{ RTLD_DEFAULT, "cuMemAlloc_v2" }, { RTLD_NEXT, "cuLaunchKernel" },
			{ RTLD_DEFAULT, "dlsym" }, { RTLD_NEXT, "dlsym" },
			{ self, "getpid" }, { self, "cuMemAlloc_v2" }, { self, "main" },
			{ libc, "getpid" }, { libc, "dlsym" }, { libc, "cuInit" },
			{ lib, "fakecuda_busy_ns" }, { lib, "cuDeviceGetName" },
		};

		CHECK(self && libc);
		for (size_t i = 0; i < ARRAY_SIZE(q); i++) {
			void *a = dlsym(q[i].h, q[i].name), *b = glibc_dlsym(q[i].h, q[i].name);

			if (a != b) {
				fprintf(stderr, "dlsym(%p, %s) = %p, glibc's: %p\n", q[i].h,
					q[i].name, a, b);
				exit(1);
			}
		}
		CHECK(dlsym(RTLD_DEFAULT, "getpid") && dlsym(RTLD_NEXT, "malloc"));
		CHECK(dlsym(RTLD_DEFAULT, "vgpu_version"));
		dlclose(libc);
		dlclose(self);
	}
	CHECK(dlvsym(RTLD_DEFAULT, "getpid", "GLIBC_2.2.5") == glibc_dlsym(RTLD_DEFAULT, "getpid"));
	/*
	 * Our dlsym is the one that binds (so these lookups went through it);
	 * glibc's is still there, and passes by libvgpu.  dlvsym is not
	 * interposed, and finds nothing in the driver (its symbols have no
	 * version; glibc's dlvsym then never matches).
	 */
	*(void **)&next_dlsym = dlvsym(RTLD_DEFAULT, "dlsym", "GLIBC_2.34");
	expect("dlsym in scope", (void *)next_dlsym, "libvgpu", "dlsym");
	*(void **)&next_dlsym = dlvsym(RTLD_DEFAULT, "dlsym", "GLIBC_2.2.5");
	expect("dlsym@GLIBC_2.2.5 in scope", (void *)next_dlsym, "libvgpu", "dlsym");
	expect("glibc's dlsym", (void *)glibc_dlsym, "libc.so", "dlsym");
	expect("glibc's dlsym on libcuda", glibc_dlsym(lib, "cuMemAlloc_v2"), "libcuda",
	       "cuMemAlloc_v2");
	CHECK(!dlvsym(lib, "cuMemAlloc_v2", "GLIBC_2.2.5"));
	/*
	 * RTLD_NEXT stays relative to its caller, this program: the next
	 * cuInit after it is libvgpu's (when libcuda came first, the driver's).
	 * Were it relative to libvgpu, there would be none (libcuda is not in
	 * the global scope of this program) or the driver's.
	 */
	expect("RTLD_NEXT cuInit", dlsym(RTLD_NEXT, "cuInit"),
	       active ? "libvgpu" : "libcuda", "cuInit");
	expect("RTLD_DEFAULT cuMemAlloc_v2", dlsym(RTLD_DEFAULT, "cuMemAlloc_v2"),
	       active ? "libvgpu" : "libcuda", "cuMemAlloc_v2");
}

/* The hooked names on the driver's handle: our wrappers, if active. */
static void t_lookups(bool active)
{
	static const char *const hooked[] = {
		"cuGetProcAddress_v2", "cuGetProcAddress", "cuInit", "cuMemAlloc_v2",
		"cuMemGetInfo_v2", "cuLaunchKernel", "cuLaunchKernel_ptsz", "cuMemFree_v2",
		"cuMemAllocAsync", "cuMemCreate", "cuCtxCreate_v4", "cuCtxSynchronize",
		"cuDeviceTotalMem_v2", "cuGraphLaunch",
	};

	for (size_t i = 0; i < ARRAY_SIZE(hooked); i++)
		expect(hooked[i], dlsym(lib, hooked[i]), active ? "libvgpu" : "libcuda",
		       hooked[i]);
	/* the old version of dlsym is ours too */
	expect("dlsym@GLIBC_2.2.5", old_dlsym(lib, "cuGetProcAddress_v2"),
	       active ? "libvgpu" : "libcuda", "cuGetProcAddress_v2");
	expect("dlsym@GLIBC_2.2.5", old_dlsym(lib, "cuDeviceGetName"), "libcuda",
	       "cuDeviceGetName");
	CHECK(old_dlsym(RTLD_NEXT, "cuInit") == glibc_dlsym(RTLD_NEXT, "cuInit"));
	/* a second handle of the driver, by another name, is the same object */
	{
		void *h = dlopen("libcuda.so", RTLD_NOW | RTLD_NOLOAD);

		if (h) {
			expect("cuMemAlloc_v2 (libcuda.so)", dlsym(h, "cuMemAlloc_v2"),
			       active ? "libvgpu" : "libcuda", "cuMemAlloc_v2");
			dlclose(h);
		}
	}
}

typedef CUresult (*gpa_v2_fn)(const char *, void **, int, cuuint64_t,
			      CUdriverProcAddressQueryResult *);

/*
 * Enforcement through the pointers: the quota to the byte, refusals from
 * both ways in (dlsym and cuGetProcAddress_v2 found with dlsym), the same
 * as the program's direct calls (RTLD_DEFAULT: what its calls would bind
 * to), the driver holding exactly what was charged; launches wait for the
 * lease.  Inactive: the driver's own functions, nothing enforced.
 */
static void t_enforced(bool active)
{
	gpa_v2_fn gpa = (gpa_v2_fn)must(lib, "cuGetProcAddress_v2");
	CUresult (*init)(unsigned int) = must(lib, "cuInit");
	CUresult (*ctx_create)(CUcontext *, CUctxCreateParams *, unsigned int, CUdevice) =
		must(lib, "cuCtxCreate_v4");
	CUresult (*alloc)(CUdeviceptr *, size_t) = must(lib, "cuMemAlloc_v2");
	CUresult (*mfree)(CUdeviceptr) = must(lib, "cuMemFree_v2");
	CUresult (*info)(size_t *, size_t *) = must(lib, "cuMemGetInfo_v2");
	CUresult (*direct_alloc)(CUdeviceptr *, size_t) = must(RTLD_DEFAULT, "cuMemAlloc_v2");
	CUresult (*gpa_alloc)(CUdeviceptr *, size_t) = NULL;
	CUresult (*launch)(CUfunction, unsigned int, unsigned int, unsigned int, unsigned int,
			   unsigned int, unsigned int, unsigned int, CUstream, void **, void **) =
		must(lib, "cuLaunchKernel");
	CUresult (*csync)(void) = must(lib, "cuCtxSynchronize");
	CUresult (*load)(CUmodule *, const void *) = must(lib, "cuModuleLoadData");
	CUresult (*getfn)(CUfunction *, CUmodule, const char *) =
		must(lib, "cuModuleGetFunction");
	CUdriverProcAddressQueryResult st;
	uint64_t ns = 2 * MS, busy0;
	void *params[] = { &ns };
	CUdeviceptr p, q, r;
	CUcontext ctx;
	CUmodule mod;
	CUfunction fn;
	size_t fr, total;

	DOK(init(0));
	DOK(ctx_create(&ctx, NULL, 0, 0));
	DOK(gpa("cuMemAlloc", (void **)&gpa_alloc, 13000, 0, &st));
	expect("cuGetProcAddress_v2(cuMemAlloc)", (void *)gpa_alloc,
	       active ? "libvgpu" : "libcuda", "cuMemAlloc_v2");
	DOK(info(&fr, &total));
	if (!active) {
		/* the driver's view, the whole simulated GPU */
		CHECK_EQ(total, 1 * GiB);
		DOK(alloc(&p, Q + MiB));
		DOK(mfree(p));
		return;
	}
	CHECK_EQ(total, Q);
	CHECK_EQ(fr, Q);
	/* to the byte, whichever pointer charges */
	DOK(alloc(&p, Q - MiB));
	DOK(direct_alloc(&q, MiB - 1));
	DOK(gpa_alloc(&r, 1));
	DOOM(alloc(&r, 1));
	DOOM(gpa_alloc(&r, 1));
	DOOM(direct_alloc(&r, 1));
	CHECK_EQ(p_fc_used(getpid()), Q);
	DOK(info(&fr, &total));
	CHECK_EQ(fr, 0);
	DOK(mfree(q));
	DOK(info(&fr, &total));
	CHECK_EQ(fr, MiB - 1);
	DOOM(gpa_alloc(&q, MiB));
	DOK(gpa_alloc(&q, MiB - 1));
	DOK(mfree(p));
	DOK(mfree(q));
	DOK(mfree(r));
	DOK(info(&fr, &total));
	CHECK_EQ(fr, Q);
	CHECK_EQ(p_fc_used(getpid()), 0);
	/* launches through the pointer run on the GPU ... */
	DOK(load(&mod, "fakecuda-module"));
	DOK(getfn(&fn, mod, "spin"));
	busy0 = p_fc_busy(getpid());
	for (int i = 0; i < 5; i++)
		DOK(launch(fn, 1, 1, 1, 32, 1, 1, 0, NULL, params, NULL));
	DOK(csync());
	CHECK_EQ(p_fc_busy(getpid()) - busy0, 5 * ns);
	/*
	 * ... under the lease: another slice holds it for 100 ms; we wait.
	 * (shm backend: the holder names its own slice; the kernel backend's
	 * leases are tested by test_share with slices the harness made.)
	 */
	if (!lt_kernel()) {
		struct vgpu_slice *s = NULL;
		int (*sopen)(const char *, const struct vgpu_open_opts *, struct vgpu_slice **) =
			must(RTLD_DEFAULT, "vgpu_slice_open");
		int (*acquire)(struct vgpu_slice *, uint32_t, unsigned int, uint64_t *) =
			must(RTLD_DEFAULT, "vgpu_lease_acquire");
		CUresult (*real_launch)(CUfunction, unsigned int, unsigned int, unsigned int,
					unsigned int, unsigned int, unsigned int, unsigned int,
					CUstream, void **, void **);
		int ready[2], done[2];
		uint64_t gen, t0, t_real, t_gated;
		pid_t pid;

		/* glibc's own dlsym, from libc's handle: the way around libvgpu */
		*(void **)&real_launch = glibc_dlsym(lib, "cuLaunchKernel");
		expect("glibc's dlsym cuLaunchKernel", (void *)real_launch, "libcuda",
		       "cuLaunchKernel");
		CHECK(pipe(ready) == 0 && pipe(done) == 0);
		pid = lt_fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			VGPU_OPTS(vgpu_open_opts, o, .gpu_memory = 1 * GiB);

			setenv("VGPU_SLICE", "holder", 1);
			setenv("VGPU_TIMESLICE_MS", "100", 1);
			CHECK(sopen(NULL, &o, &s) == 0);
			CHECK(acquire(s, 0, 0, &gen) == 0);
			lt_put(ready[1], 1);
			lt_get(done[0]);
			_exit(0);
		}
		lt_get(ready[0]);
		ns = 0;
		t0 = lt_now();
		DOK(real_launch(fn, 1, 1, 1, 32, 1, 1, 0, NULL, params, NULL));
		t_real = lt_now() - t0;
		t0 = lt_now();
		DOK(launch(fn, 1, 1, 1, 32, 1, 1, 0, NULL, params, NULL));
		t_gated = lt_now() - t0;
		lt_put(done[1], 1);
		lt_reap_ok(pid);
		printf("  a launch while another slice holds the lease (100 ms time slice): "
		       "%.1f ms through dlsym's pointer, %.3f ms through the driver's own\n",
		       (double)t_gated / MS, (double)t_real / MS);
		CHECK(t_real < 20 * MS);
		CHECK(t_gated > 40 * MS);
	}
	DOK(csync());
}

int main(int argc, char **argv)
{
	bool active = !(argc > 1 && !strcmp(argv[1], "inactive"));
	void *fn_libc;

	setup();
	lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "dlopen(libcuda.so.1): %s\n", dlerror());
		return 1;
	}
	/* the extension functions of the simulated GPU: not hooked names */
	*(void **)&p_errname = must(lib, "cuGetErrorName");
	*(void **)&p_fc_unlink = must(lib, "fakecuda_shm_unlink");
	*(void **)&p_fc_used = must(lib, "fakecuda_mem_used");
	*(void **)&p_fc_busy = must(lib, "fakecuda_busy_ns");
	p_fc_unlink();
	fn_libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	CHECK(fn_libc);
	*(void **)&glibc_dlsym = dlvsym(fn_libc, "dlsym", "GLIBC_2.34");
	/* before any CUDA call (the runtime looks up cuGetProcAddress first) */
	t_lookups(active);
	t_untouched(active);
	t_enforced(active);
	t_lookups(active);
	printf("test_dlsym: %s: libcuda's hooked names %s through dlsym; "
	       "every other lookup untouched\n",
	       active ? "interposer active" : "libcuda linked first (inactive)",
	       active ? "resolved to libvgpu's wrappers and enforced" : "left to the driver");
	return 0;
}
