// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The CUDA driver API interposer: LD_PRELOAD=libvgpu.so.1, or link libvgpu
 * before libcuda.  Every hook is generated here from the one list in
 * hooks.h: the exported wrapper (real ABI name), the table of real
 * functions and their names.
 *
 * Initialisation, in two stages:
 *  1. once per process (pthread_once, from whichever entry point comes
 *     first): read the environment (the only getenv calls libvgpu makes),
 *     dlopen the real libcuda.so.1 and resolve every function it needs.
 *     A malformed variable prints what is wrong and makes every hook return
 *     CUDA_ERROR_INVALID_VALUE for the life of the process.
 *  2. in cuInit, after the real one: open each device's slice.  A failure
 *     (no such slice, another user's region, conflicting settings) is
 *     sticky too: the process never runs unenforced.
 *
 * Each wrapper: init check (one acquire load), a thread-local re-entry
 * guard (a driver that calls its own exported entry points would otherwise
 * come back through us), then the hook.  The real functions come from
 * dlopen("libcuda.so.1") + dlsym on that handle (the next dlsym, not our
 * own hook of it: dlsym.c), never RTLD_NEXT: that works the same preloaded
 * and linked in.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interpose.h"

struct vgpu_state vg = {
	.init_lock = PTHREAD_MUTEX_INITIALIZER,
};

void *vgpu_real[VH_COUNT];
void *vgpu_used[VU_COUNT];

const char *const vgpu_hook_names[VH_COUNT] = {
#define X(name, flags, params, args) #name,
	VGPU_HOOKS(X)
#undef X
};

static const char *const vgpu_use_names[VU_COUNT] = {
#define X(name) #name,
	VGPU_USES(X)
#undef X
};

static pthread_once_t vgpu_once = PTHREAD_ONCE_INIT;
static int vgpu_stage1_done;
static __thread int t_depth __attribute__((tls_model("initial-exec")));
static void *libcuda;

static void vgpu_atfork_child(void);

static void vgpu_stage1(void)
{
	const char *lvl = getenv("VGPU_LOG_LEVEL");
	char err[512];
	int d;

	if (lvl && lvl[0] >= '0' && lvl[0] <= '4' && !lvl[1])
		vgpu_log_level = lvl[0] - '0';
	for (d = 0; d < VGPU_MAX_DEVICES; d++) {
		vg.env[d].sz = sizeof(vg.env[d]);
		if (vgpu_policy_from_env(&vg.env[d], d, err, sizeof(err))) {
			vg_err("%s; CUDA is disabled in this process (cuInit fails with "
			       "CUDA_ERROR_INVALID_VALUE)", err);
			vg.init_err = CUDA_ERROR_INVALID_VALUE;
			break;
		}
	}
	if (!vg.init_err)
		vgpu_log_level = vg.env[0].log_level;

	libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!libcuda) {
		vg_err("cannot load the CUDA driver libcuda.so.1: %s", dlerror());
		if (!vg.init_err)
			vg.init_err = CUDA_ERROR_NOT_INITIALIZED;
	} else {
		for (int i = 0; i < VH_COUNT; i++) {
			vgpu_real[i] = vgpu_dlsym_real(libcuda, vgpu_hook_names[i]);
			if (vgpu_real[i] && vgpu_real[i] == vgpu_wrappers[i]) {
				/* "libcuda.so.1" is libvgpu itself: no driver behind us */
				vg_err("libcuda.so.1 resolves to libvgpu itself; the real driver "
				       "must come after it");
				vgpu_real[i] = NULL;
				if (!vg.init_err)
					vg.init_err = CUDA_ERROR_NOT_INITIALIZED;
			}
		}
		for (int i = 0; i < VU_COUNT; i++)
			vgpu_used[i] = vgpu_dlsym_real(libcuda, vgpu_use_names[i]);
		if (!vgpu_real[VH_cuInit] && !vg.init_err) {
			vg_err("libcuda.so.1 has no cuInit");
			vg.init_err = CUDA_ERROR_NOT_INITIALIZED;
		}
	}
	pthread_atfork(NULL, NULL, vgpu_atfork_child);
	__atomic_store_n(&vgpu_stage1_done, 1, __ATOMIC_RELEASE);
}

/* Wrappers: the exported symbols. */
#define X(name, flags, params, args)						\
VGPU_EXPORT CUresult CUDAAPI name params					\
{										\
	CUresult r;								\
										\
	if (unlikely(!__atomic_load_n(&vgpu_stage1_done, __ATOMIC_ACQUIRE)))	\
		pthread_once(&vgpu_once, vgpu_stage1);				\
	if (unlikely(!vgpu_real[VH_##name]))					\
		return vg.init_err ? vg.init_err : CUDA_ERROR_NOT_FOUND;	\
	if (unlikely(t_depth))							\
		return REAL(name) args;						\
	if (unlikely(vg.init_err) && !((flags) & H_ALWAYS))			\
		return vg.init_err;						\
	t_depth++;								\
	r = vh_##name args;							\
	t_depth--;								\
	return r;								\
}
VGPU_HOOKS(X)
#undef X

void *const vgpu_wrappers[VH_COUNT] = {
#define X(name, flags, params, args) (void *)&name,
	VGPU_HOOKS(X)
#undef X
};

struct vgpu_dev *vgpu_dev_of(CUdevice d)
{
	return d >= 0 && d < vg.ndev ? &vg.dev[d] : NULL;
}

struct vgpu_dev *vgpu_cur_dev(void)
{
	CUdevice d;

	if (likely(vg.ndev == 1))
		return &vg.dev[0];
	if (!USE(cuCtxGetDevice) || USE(cuCtxGetDevice)(&d) != CUDA_SUCCESS)
		return NULL;
	return vgpu_dev_of(d);
}

static u64 vmm_granularity(int d)
{
	CUmemAllocationProp prop = {
		.type = CU_MEM_ALLOCATION_TYPE_PINNED,
		.location = { .type = CU_MEM_LOCATION_TYPE_DEVICE, .id = d },
	};
	size_t g = 0;

	if (USE(cuMemGetAllocationGranularity) &&
	    USE(cuMemGetAllocationGranularity)(&g, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM) ==
	    CUDA_SUCCESS && g)
		return g;
	return 2ULL << 20;
}

static CUresult vgpu_stage2(void)
{
	int count = 0, d;

	if (!USE(cuDeviceGetCount) || USE(cuDeviceGetCount)(&count) != CUDA_SUCCESS)
		count = 0;
	if (count > VGPU_MAX_DEVICES) {
		vg_warn("%d devices; libvgpu manages the first %d, the others are not usable",
			count, VGPU_MAX_DEVICES);
		count = VGPU_MAX_DEVICES;
	}
	for (d = 0; d < count; d++) {
		struct vgpu_dev *dv = &vg.dev[d];
		char err[768];
		VGPU_OPTS(vgpu_open_opts, o, .policy = &vg.env[d], .device = d,
			  .errbuf = err, .errlen = sizeof(err));
		size_t total = 0;
		int sms = 0, e;

		REAL(cuDeviceTotalMem_v2)(&total, d);
		if (USE(cuDeviceGetAttribute))
			USE(cuDeviceGetAttribute)(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, d);
		o.gpu_memory = total;
		o.gpu_sms = sms > 0 ? (u32)sms : 0;
		e = vgpu_slice_open(NULL, &o, &dv->slice);
		if (e) {
			vg_err("device %d: %s; CUDA is disabled in this process", d, err);
			while (--d >= 0) {
				vgpu_slice_close(vg.dev[d].slice);
				vg.dev[d].slice = NULL;
			}
			return e == -EINVAL || e == -EEXIST ? CUDA_ERROR_INVALID_VALUE :
			       CUDA_ERROR_OPERATING_SYSTEM;
		}
		dv->ordinal = d;
		dv->total_mem = total;
		dv->sms = o.gpu_sms;
		dv->granularity = vmm_granularity(d);
		dv->pol = vg.env[d];
		pthread_mutex_init(&dv->xlock, NULL);
		dv->pace_every = 1;
		dv->pace_ns = (u64)dv->slice->info.timeslice_us * NSEC_PER_USEC / 4;
		if (!dv->pace_ns)
			dv->pace_ns = 2500 * NSEC_PER_USEC;
		vg_info("device %d: slice '%s' (%s %s), quota %" PRIu64 " bytes, share %u.%u%%, "
			"cap %u.%u%%, priority %u, time slice %u us", d, dv->slice->info.slice,
			vgpu_backend_name(dv->slice->info.backend), dv->slice->info.where,
			dv->slice->info.mem_quota, dv->slice->info.weight / 10,
			dv->slice->info.weight % 10, dv->slice->info.cap / 10,
			dv->slice->info.cap % 10, dv->slice->info.priority,
			dv->slice->info.timeslice_us);
	}
	vg.ndev = count;
	return CUDA_SUCCESS;
}

static CUresult vgpu_stage2_once(void)
{
	CUresult r;

	pthread_mutex_lock(&vg.init_lock);
	if (vg.init_err) {
		r = vg.init_err;
	} else if (vg.ready) {
		r = CUDA_SUCCESS;
	} else {
		r = vgpu_stage2();
		if (r)
			vg.init_err = r;
		else
			__atomic_store_n(&vg.ready, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vg.init_lock);
	return r;
}

CUresult vh_cuInit(unsigned int Flags)
{
	CUresult r = REAL(cuInit)(Flags);

	return r ? r : vgpu_stage2_once();
}

/*
 * A hook called before our cuInit: if the driver was initialised behind our
 * back (cuInit found some other way than through us), finish our own
 * initialisation now rather than fail or let the call through unenforced;
 * if it was not, say what the driver would.
 */
CUresult vgpu_late_init(void)
{
	int n;

	if (__atomic_load_n(&vg.ready, __ATOMIC_ACQUIRE))
		return CUDA_SUCCESS;
	if (vg.init_err)
		return vg.init_err;
	if (!USE(cuDeviceGetCount) || USE(cuDeviceGetCount)(&n) != CUDA_SUCCESS)
		return CUDA_ERROR_NOT_INITIALIZED;
	vg_info("the driver was initialised without our cuInit: initialising now");
	return vgpu_stage2_once();
}

/*
 * fork: the child has no CUDA state (it must call cuInit) and must not
 * touch the parent's records: forget them, close our descriptors (the
 * parent's liveness locks stay with the parent).
 */
static void vgpu_atfork_child(void)
{
	t_depth = 0;
	pthread_mutex_init(&vg.init_lock, NULL);
	if (!vg.ready)
		return;
	vg.ready = false;
	for (int d = 0; d < vg.ndev; d++) {
		struct vgpu_dev *dv = &vg.dev[d];

		if (dv->slice) {
			dv->slice->ops->abandon(dv->slice);
			free(dv->slice);
		}
		memset(dv, 0, sizeof(*dv));
	}
	vg.ndev = 0;
	vgpu_mem_fork_child();
	vgpu_exec_fork_child();
}

/*
 * Exit: give the lease back and leave the slice now rather than when the
 * others notice we died.  Descriptors and mappings stay (other threads may
 * still be in a hook); the kernel backend needs nothing (the file closes).
 */
__attribute__((destructor)) static void vgpu_fini(void)
{
	if (!__atomic_load_n(&vg.ready, __ATOMIC_ACQUIRE))
		return;
	vgpu_exec_exit();
}
