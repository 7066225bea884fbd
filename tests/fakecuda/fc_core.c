// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda (vgpu's CUDA driver test double): initialisation, the device,
 * contexts, and the fakecuda_* extension functions.
 */
#include "fc_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define FC_CTX_STACK 128

struct fc_global fc_g = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.self = -1,
};

/* The calling thread's context stack; its top is the current context. */
static __thread struct fc_ctx *t_stack[FC_CTX_STACK];
static __thread int t_depth;

void fc_lock(void)
{
	pthread_mutex_lock(&fc_g.lock);
}

void fc_unlock(void)
{
	pthread_mutex_unlock(&fc_g.lock);
}

CUresult fc_shm_lock_cu(void)
{
	return fc_shm_lock(fc_g.shm) ? CUDA_ERROR_OPERATING_SYSTEM : CUDA_SUCCESS;
}

void fc_shm_unlock_cu(void)
{
	fc_shm_unlock(fc_g.shm);
}

void fc_list_add(struct fc_obj *o, enum fc_type t, struct fc_ctx *ctx)
{
	struct fc_obj *head = &fc_g.lists[t];

	o->type = t;
	o->ctx = ctx;
	o->next = head;
	o->prev = head->prev;
	head->prev->next = o;
	head->prev = o;
}

void fc_list_del(struct fc_obj *o)
{
	o->prev->next = o->next;
	o->next->prev = o->prev;
	o->next = o->prev = o;
}

void *fc_find(enum fc_type t, const void *handle)
{
	struct fc_obj *o;

	if (!handle)
		return NULL;
	for (o = fc_g.lists[t].next; o != &fc_g.lists[t]; o = o->next)
		if ((const void *)o == handle)
			return o;
	return NULL;
}

static void fc_lists_init(void)
{
	for (int t = 0; t < FC_T_COUNT; t++)
		fc_g.lists[t].next = fc_g.lists[t].prev = &fc_g.lists[t];
}

CUresult fc_check_init(void)
{
	return fc_g.initialized ? CUDA_SUCCESS : CUDA_ERROR_NOT_INITIALIZED;
}

CUresult fc_check_device(CUdevice dev)
{
	return dev == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

CUresult fc_current(struct fc_ctx **out)
{
	struct fc_ctx *c;

	if (t_depth == 0 || !t_stack[t_depth - 1])
		return CUDA_ERROR_INVALID_CONTEXT;
	c = t_stack[t_depth - 1];
	if (!c->alive)
		return c->primary ? CUDA_ERROR_INVALID_CONTEXT : CUDA_ERROR_CONTEXT_IS_DESTROYED;
	*out = c;
	return CUDA_SUCCESS;
}

CUresult fc_charge(uint64_t bytes, bool ctx)
{
	CUresult r = fc_shm_lock_cu();
	int e;

	if (r)
		return r;
	e = fc_charge_locked(fc_g.shm, fc_g.self, bytes, ctx);
	fc_shm_unlock_cu();
	return e ? CUDA_ERROR_OUT_OF_MEMORY : CUDA_SUCCESS;
}

void fc_uncharge(uint64_t bytes, bool ctx)
{
	if (!bytes || fc_shm_lock_cu())
		return;
	fc_uncharge_locked(fc_g.shm, fc_g.self, bytes, ctx);
	fc_shm_unlock_cu();
}

void fc_wait_until(uint64_t t_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t_ns / 1000000000ULL),
		.tv_nsec = (long)(t_ns % 1000000000ULL),
	};

	/* the simulation of waiting for the GPU */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* ---- fork: the child starts with no CUDA state and must call cuInit ---- */

static void fc_atfork_prepare(void)
{
	fc_lock();
}

static void fc_atfork_parent(void)
{
	fc_unlock();
}

static void fc_forget_contexts(void)
{
	struct fc_obj *o, *n;

	fc_foreach_safe(o, n, FC_T_CTX) {
		fc_list_del(o);
		free(o);
	}
	fc_g.primary = NULL;
	fc_g.primary_refs = 0;
}

static void fc_atfork_child(void)
{
	pthread_mutex_init(&fc_g.lock, NULL);
	t_depth = 0;
	fc_exec_forget_all();
	fc_mem_forget_all();
	fc_forget_contexts();
	fc_shm_unmap(fc_g.shm);
	fc_g.shm = NULL;
	fc_g.self = -1;
	fc_g.initialized = false;
	fc_g.init_error = CUDA_SUCCESS;
	fc_g.primary_flags = 0;
	fc_g.default_pool = NULL;
	fc_g.current_pool = NULL;
}

__attribute__((constructor)) static void fc_constructor(void)
{
	fc_lists_init();
	pthread_atfork(fc_atfork_prepare, fc_atfork_parent, fc_atfork_child);
}

/* ---- initialisation ---- */

static void warn_param(unsigned int set, unsigned int bit, const char *var,
		       uint64_t want, uint64_t have)
{
	if ((set & bit) && want != have)
		fc_msg("%s=%s ignored: %s was created with %" PRIu64 "\n", var,
		       getenv(var), fc_g.shm_name, have);
}

static CUresult fc_do_init(void)
{
	struct fc_params p;
	unsigned int set;
	bool created;
	int idx, e;

	if (fc_shm_name(fc_g.shm_name, sizeof(fc_g.shm_name)) < 0 ||
	    fc_env_params(&p, &set) < 0)
		return CUDA_ERROR_INVALID_VALUE;
	e = fc_shm_map(fc_g.shm_name, &p, &fc_g.shm, &created);
	if (e < 0)
		return CUDA_ERROR_OPERATING_SYSTEM;
	if (!created) {
		const struct fc_params *h = &fc_g.shm->params;

		warn_param(set, FC_ENV_MEMORY, "FAKECUDA_MEMORY", p.memory, h->memory);
		warn_param(set, FC_ENV_CTX_OVERHEAD, "FAKECUDA_CTX_OVERHEAD",
			   p.ctx_overhead, h->ctx_overhead);
		warn_param(set, FC_ENV_SMS, "FAKECUDA_SMS", p.sms, h->sms);
		warn_param(set, FC_ENV_CLOCK, "FAKECUDA_CLOCK_RATE", p.clock_khz, h->clock_khz);
		warn_param(set, FC_ENV_MEM_CLOCK, "FAKECUDA_MEMORY_CLOCK_RATE",
			   p.mem_clock_khz, h->mem_clock_khz);
		warn_param(set, FC_ENV_PCI, "FAKECUDA_PCI_BUS_ID",
			   ((uint64_t)p.pci_domain << 16) | (p.pci_bus << 8) | p.pci_device,
			   ((uint64_t)h->pci_domain << 16) | (h->pci_bus << 8) | h->pci_device);
	}
	if (fc_shm_lock(fc_g.shm) < 0)
		goto fail;
	idx = fc_proc_attach_locked(fc_g.shm, getpid(), fc_proc_starttime(getpid()));
	fc_shm_unlock(fc_g.shm);
	if (idx < 0)
		goto fail;
	fc_g.self = idx;
	fc_g.initialized = true;
	return CUDA_SUCCESS;
fail:
	fc_shm_unmap(fc_g.shm);
	fc_g.shm = NULL;
	return CUDA_ERROR_OPERATING_SYSTEM;
}

FC_API CUresult CUDAAPI cuInit(unsigned int Flags)
{
	CUresult r;

	if (Flags)
		return CUDA_ERROR_INVALID_VALUE;
	fc_lock();
	if (fc_g.initialized)
		r = CUDA_SUCCESS;
	else if (fc_g.init_error)
		r = fc_g.init_error;
	else
		r = fc_g.init_error = fc_do_init();
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDriverGetVersion(int *driverVersion)
{
	if (!driverVersion)
		return CUDA_ERROR_INVALID_VALUE;
	*driverVersion = FC_DRIVER_VERSION;
	return CUDA_SUCCESS;
}

/* ---- the device ---- */

FC_API CUresult CUDAAPI cuDeviceGet(CUdevice *device, int ordinal)
{
	FC_BEGIN();
	if (!device)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (ordinal != 0)
		r = CUDA_ERROR_INVALID_DEVICE;
	else
		*device = 0;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDeviceGetCount(int *count)
{
	FC_BEGIN();
	if (!count)
		r = CUDA_ERROR_INVALID_VALUE;
	else
		*count = 1;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDeviceGetName(char *name, int len, CUdevice dev)
{
	FC_BEGIN();
	if (!name || len <= 0)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!(r = fc_check_device(dev)))
		snprintf(name, (size_t)len, "%s", FC_DEVICE_NAME);
out:
	fc_unlock();
	return r;
}

static CUresult fc_device_uuid(CUuuid *uuid, CUdevice dev)
{
	static const char base[16] = "fakecuda-vgpu-\0";
	FC_BEGIN();
	if (!uuid)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!(r = fc_check_device(dev))) {
		memcpy(uuid->bytes, base, sizeof(uuid->bytes));
		uuid->bytes[14] = (char)fc_g.shm->params.pci_bus;
		uuid->bytes[15] = (char)fc_g.shm->params.pci_device;
	}
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDeviceGetUuid(CUuuid *uuid, CUdevice dev)
{
	return fc_device_uuid(uuid, dev);
}

FC_API CUresult CUDAAPI cuDeviceGetUuid_v2(CUuuid *uuid, CUdevice dev)
{
	return fc_device_uuid(uuid, dev);
}

FC_API CUresult CUDAAPI cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
{
	FC_BEGIN();
	if (!bytes)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!(r = fc_check_device(dev)))
		*bytes = fc_g.shm->params.memory;
out:
	fc_unlock();
	return r;
}

static int fc_attribute(CUdevice_attribute a, const struct fc_params *p, int *v)
{
	switch (a) {
	case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = 1024; break;
	case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: *v = 1024; break;
	case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: *v = 1024; break;
	case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: *v = 64; break;
	case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: *v = 2147483647; break;
	case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: *v = 65535; break;
	case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: *v = 65535; break;
	case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *v = 49152; break;
	case CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY: *v = 65536; break;
	case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *v = 32; break;
	case CU_DEVICE_ATTRIBUTE_MAX_PITCH: *v = 2147483647; break;
	case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK: *v = 65536; break;
	case CU_DEVICE_ATTRIBUTE_CLOCK_RATE: *v = (int)p->clock_khz; break;
	case CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT: *v = 512; break;
	case CU_DEVICE_ATTRIBUTE_GPU_OVERLAP: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = (int)p->sms; break;
	case CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_COMPUTE_MODE: *v = CU_COMPUTEMODE_DEFAULT; break;
	case CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE1D_WIDTH: *v = 131072; break;
	case CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_WIDTH: *v = 131072; break;
	case CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE2D_HEIGHT: *v = 65536; break;
	case CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_WIDTH: *v = 16384; break;
	case CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_HEIGHT: *v = 16384; break;
	case CU_DEVICE_ATTRIBUTE_MAXIMUM_TEXTURE3D_DEPTH: *v = 16384; break;
	case CU_DEVICE_ATTRIBUTE_SURFACE_ALIGNMENT: *v = 512; break;
	case CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_ECC_ENABLED: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_PCI_BUS_ID: *v = (int)p->pci_bus; break;
	case CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID: *v = (int)p->pci_device; break;
	case CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID: *v = (int)p->pci_domain; break;
	case CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE: *v = (int)p->mem_clock_khz; break;
	case CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH: *v = 5120; break;
	case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE: *v = 50 << 20; break;
	case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR: *v = 2048; break;
	case CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT: *v = 3; break;
	case CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_TEXTURE_PITCH_ALIGNMENT: *v = 32; break;
	case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 9; break;
	case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 0; break;
	case CU_DEVICE_ATTRIBUTE_STREAM_PRIORITIES_SUPPORTED: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_GLOBAL_L1_CACHE_SUPPORTED: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_LOCAL_L1_CACHE_SUPPORTED: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: *v = 233472; break;
	case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR: *v = 65536; break;
	case CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO: *v = 2; break;
	case CU_DEVICE_ATTRIBUTE_CONCURRENT_MANAGED_ACCESS: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_COMPUTE_PREEMPTION_SUPPORTED: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *v = 232448; break;
	case CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR_SUPPORTED: *v = 0; break;
	case CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR: *v = 32; break;
	case CU_DEVICE_ATTRIBUTE_MAX_PERSISTING_L2_CACHE_SIZE: *v = 50 << 20; break;
	case CU_DEVICE_ATTRIBUTE_RESERVED_SHARED_MEMORY_PER_BLOCK: *v = 1024; break;
	case CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_CLUSTER_LAUNCH: *v = 1; break;
	case CU_DEVICE_ATTRIBUTE_MEM_SYNC_DOMAIN_COUNT: *v = 4; break;
	case CU_DEVICE_ATTRIBUTE_NUMA_ID: *v = -1; break;
	case CU_DEVICE_ATTRIBUTE_HOST_NUMA_ID: *v = -1; break;
	case CU_DEVICE_ATTRIBUTE_GPU_PCI_DEVICE_ID: *v = 0x233010de; break;
	default:
		if (a < 1 || a >= CU_DEVICE_ATTRIBUTE_MAX)
			return -1;
		*v = 0;	/* everything else: not supported */
	}
	return 0;
}

FC_API CUresult CUDAAPI cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)
{
	FC_BEGIN();
	if (!pi)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!(r = fc_check_device(dev)) && fc_attribute(attrib, &fc_g.shm->params, pi))
		r = CUDA_ERROR_INVALID_VALUE;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDeviceGetPCIBusId(char *pciBusId, int len, CUdevice dev)
{
	FC_BEGIN();
	if (!pciBusId || len <= 0)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!(r = fc_check_device(dev))) {
		const struct fc_params *p = &fc_g.shm->params;

		snprintf(pciBusId, (size_t)len, "%04x:%02x:%02x.0", p->pci_domain,
			 p->pci_bus, p->pci_device);
	}
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDeviceGetByPCIBusId(CUdevice *dev, const char *pciBusId)
{
	unsigned int dom = 0, bus, d, fn = 0;
	int n = -1;

	FC_BEGIN();
	if (!dev || !pciBusId) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	/* domain:bus:device.function, domain:bus:device or bus:device.function */
	if (!(sscanf(pciBusId, "%x:%x:%x.%x%n", &dom, &bus, &d, &fn, &n) == 4 && !pciBusId[n])) {
		n = -1;
		fn = 0;
		if (!(sscanf(pciBusId, "%x:%x:%x%n", &dom, &bus, &d, &n) == 3 && !pciBusId[n])) {
			n = -1;
			dom = 0;
			if (!(sscanf(pciBusId, "%x:%x.%x%n", &bus, &d, &fn, &n) == 3 &&
			      !pciBusId[n])) {
				r = CUDA_ERROR_INVALID_VALUE;
				goto out;
			}
		}
	}
	if (dom != fc_g.shm->params.pci_domain || bus != fc_g.shm->params.pci_bus ||
	    d != fc_g.shm->params.pci_device || fn != 0)
		r = CUDA_ERROR_INVALID_DEVICE;
	else
		*dev = 0;
out:
	fc_unlock();
	return r;
}

/* ---- contexts ---- */

static bool fc_ctx_flags_ok(unsigned int flags)
{
	unsigned int sched = flags & CU_CTX_SCHED_MASK;

	return !(flags & ~(unsigned int)CU_CTX_FLAGS_MASK) &&
	       (sched == 0 || sched == CU_CTX_SCHED_SPIN || sched == CU_CTX_SCHED_YIELD ||
		sched == CU_CTX_SCHED_BLOCKING_SYNC);
}

/* Bring @c to life: charge its overhead, give it its NULL stream. */
static CUresult fc_ctx_activate(struct fc_ctx *c, unsigned int flags)
{
	uint64_t cost = fc_g.shm->params.ctx_overhead;
	struct fc_stream *s;
	CUresult r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return CUDA_ERROR_OUT_OF_MEMORY;
	r = fc_charge(cost, true);
	if (r) {
		free(s);
		return r;
	}
	c->charged = cost;
	c->flags = flags;
	c->alive = true;
	c->last_end = c->blocking_end = 0;
	c->id = ++fc_g.next_ctx_id;
	s->legacy = true;
	fc_list_add(&s->o, FC_T_STREAM, c);
	c->legacy = s;
	return CUDA_SUCCESS;
}

static void fc_ctx_deactivate(struct fc_ctx *c)
{
	fc_exec_ctx_cleanup(c);		/* streams (the NULL one too), events, modules */
	fc_mem_ctx_cleanup(c);
	c->legacy = NULL;
	fc_uncharge(c->charged, true);
	c->charged = 0;
	c->alive = false;
}

static CUresult fc_push(struct fc_ctx *c)
{
	if (t_depth == FC_CTX_STACK) {
		fc_msg("context stack deeper than %d\n", FC_CTX_STACK);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	t_stack[t_depth++] = c;
	return CUDA_SUCCESS;
}

static CUresult fc_ctx_create(CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	struct fc_ctx *c;

	FC_BEGIN();
	if (!pctx || !fc_ctx_flags_ok(flags)) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if ((r = fc_check_device(dev)))
		goto out;
	c = calloc(1, sizeof(*c));
	if (!c) {
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	fc_list_add(&c->o, FC_T_CTX, NULL);
	r = fc_ctx_activate(c, flags);
	if (!r)
		r = fc_push(c);
	if (r) {
		if (c->alive)
			fc_ctx_deactivate(c);
		fc_list_del(&c->o);
		free(c);
		goto out;
	}
	*pctx = (CUcontext)c;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuCtxCreate(CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	return fc_ctx_create(pctx, flags, dev);
}

FC_API CUresult CUDAAPI cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	return fc_ctx_create(pctx, flags, dev);
}

FC_API CUresult CUDAAPI cuCtxCreate_v3(CUcontext *pctx, CUexecAffinityParam *paramsArray,
				       int numParams, unsigned int flags, CUdevice dev)
{
	if (numParams < 0 || (numParams > 0 && !paramsArray))
		return CUDA_ERROR_INVALID_VALUE;
	return fc_ctx_create(pctx, flags, dev);
}

FC_API CUresult CUDAAPI cuCtxCreate_v4(CUcontext *pctx, CUctxCreateParams *ctxCreateParams,
				       unsigned int flags, CUdevice dev)
{
	if (ctxCreateParams) {
		if (ctxCreateParams->numExecAffinityParams < 0 ||
		    (ctxCreateParams->numExecAffinityParams > 0 &&
		     !ctxCreateParams->execAffinityParams))
			return CUDA_ERROR_INVALID_VALUE;
		if (ctxCreateParams->cigParams)
			return CUDA_ERROR_NOT_SUPPORTED;
	}
	return fc_ctx_create(pctx, flags, dev);
}

static struct fc_ctx *fc_ctx_find(CUcontext h)
{
	struct fc_ctx *c = fc_find(FC_T_CTX, h);

	return c && c->alive ? c : NULL;
}

static CUresult fc_ctx_destroy(CUcontext ctx)
{
	struct fc_ctx *c;

	FC_BEGIN();
	c = fc_ctx_find(ctx);
	if (!c || c->primary) {
		r = CUDA_ERROR_INVALID_CONTEXT;
		goto out;
	}
	/* it is drained first, as the driver does */
	fc_unlock();
	fc_wait_until(c->last_end);
	fc_lock();
	if (c->alive)
		fc_ctx_deactivate(c);
	/* popped if current here; other threads get CONTEXT_IS_DESTROYED */
	if (t_depth && t_stack[t_depth - 1] == c)
		t_depth--;
	/* kept (dead) on the list so that stale handles are recognised */
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuCtxDestroy(CUcontext ctx)
{
	return fc_ctx_destroy(ctx);
}

FC_API CUresult CUDAAPI cuCtxDestroy_v2(CUcontext ctx)
{
	return fc_ctx_destroy(ctx);
}

FC_API CUresult CUDAAPI cuCtxSetCurrent(CUcontext ctx)
{
	struct fc_ctx *c = NULL;

	FC_BEGIN();
	if (ctx && !(c = fc_ctx_find(ctx))) {
		r = CUDA_ERROR_INVALID_CONTEXT;
		goto out;
	}
	if (!c) {
		if (t_depth)
			t_depth--;
	} else if (t_depth) {
		t_stack[t_depth - 1] = c;
	} else {
		r = fc_push(c);
	}
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuCtxGetCurrent(CUcontext *pctx)
{
	FC_BEGIN();
	if (!pctx)
		r = CUDA_ERROR_INVALID_VALUE;
	else
		*pctx = t_depth ? (CUcontext)t_stack[t_depth - 1] : NULL;
out:
	fc_unlock();
	return r;
}

static CUresult fc_ctx_push(CUcontext ctx)
{
	struct fc_ctx *c;

	FC_BEGIN();
	if (!(c = fc_ctx_find(ctx)))
		r = CUDA_ERROR_INVALID_CONTEXT;
	else
		r = fc_push(c);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuCtxPushCurrent(CUcontext ctx)
{
	return fc_ctx_push(ctx);
}

FC_API CUresult CUDAAPI cuCtxPushCurrent_v2(CUcontext ctx)
{
	return fc_ctx_push(ctx);
}

static CUresult fc_ctx_pop(CUcontext *pctx)
{
	FC_BEGIN();
	if (!t_depth) {
		r = CUDA_ERROR_INVALID_CONTEXT;
		goto out;
	}
	t_depth--;
	if (pctx)
		*pctx = (CUcontext)t_stack[t_depth];
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuCtxPopCurrent(CUcontext *pctx)
{
	return fc_ctx_pop(pctx);
}

FC_API CUresult CUDAAPI cuCtxPopCurrent_v2(CUcontext *pctx)
{
	return fc_ctx_pop(pctx);
}

static CUresult fc_ctx_get_device(CUdevice *device, CUcontext ctx)
{
	struct fc_ctx *c;

	FC_BEGIN();
	if (!device) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (ctx) {
		if (!fc_ctx_find(ctx))
			r = CUDA_ERROR_INVALID_CONTEXT;
	} else {
		r = fc_current(&c);
	}
	if (!r)
		*device = 0;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuCtxGetDevice(CUdevice *device)
{
	return fc_ctx_get_device(device, NULL);
}

FC_API CUresult CUDAAPI cuCtxGetDevice_v2(CUdevice *device, CUcontext ctx)
{
	return fc_ctx_get_device(device, ctx);
}

static CUresult fc_ctx_sync(CUcontext ctx)
{
	struct fc_ctx *c;
	uint64_t until = 0;

	FC_BEGIN();
	if (ctx) {
		if (!(c = fc_ctx_find(ctx)))
			r = CUDA_ERROR_INVALID_CONTEXT;
	} else {
		r = fc_current(&c);
	}
	if (!r)
		until = c->last_end;
out:
	fc_unlock();
	if (r)
		return r;
	fc_wait_until(until);
	fc_lock();
	fc_pools_release_to_threshold();
	fc_unlock();
	return CUDA_SUCCESS;
}

FC_API CUresult CUDAAPI cuCtxSynchronize(void)
{
	return fc_ctx_sync(NULL);
}

FC_API CUresult CUDAAPI cuCtxSynchronize_v2(CUcontext ctx)
{
	return fc_ctx_sync(ctx);
}

/* ---- primary context ---- */

FC_API CUresult CUDAAPI cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
{
	FC_BEGIN();
	if (!pctx) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if ((r = fc_check_device(dev)))
		goto out;
	if (!fc_g.primary) {
		fc_g.primary = calloc(1, sizeof(*fc_g.primary));
		if (!fc_g.primary) {
			r = CUDA_ERROR_OUT_OF_MEMORY;
			goto out;
		}
		fc_g.primary->primary = true;
		fc_list_add(&fc_g.primary->o, FC_T_CTX, NULL);
	}
	if (!fc_g.primary->alive && (r = fc_ctx_activate(fc_g.primary, fc_g.primary_flags)))
		goto out;
	fc_g.primary_refs++;
	*pctx = (CUcontext)fc_g.primary;
out:
	fc_unlock();
	return r;
}

static CUresult fc_primary_release(CUdevice dev)
{
	FC_BEGIN();
	if ((r = fc_check_device(dev)))
		goto out;
	if (!fc_g.primary_refs) {
		r = CUDA_ERROR_INVALID_CONTEXT;
		goto out;
	}
	if (--fc_g.primary_refs == 0)
		fc_ctx_deactivate(fc_g.primary);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDevicePrimaryCtxRelease(CUdevice dev)
{
	return fc_primary_release(dev);
}

FC_API CUresult CUDAAPI cuDevicePrimaryCtxRelease_v2(CUdevice dev)
{
	return fc_primary_release(dev);
}

static CUresult fc_primary_reset(CUdevice dev)
{
	FC_BEGIN();
	if ((r = fc_check_device(dev)))
		goto out;
	if (fc_g.primary && fc_g.primary->alive)
		fc_ctx_deactivate(fc_g.primary);
	fc_g.primary_refs = 0;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDevicePrimaryCtxReset(CUdevice dev)
{
	return fc_primary_reset(dev);
}

FC_API CUresult CUDAAPI cuDevicePrimaryCtxReset_v2(CUdevice dev)
{
	return fc_primary_reset(dev);
}

FC_API CUresult CUDAAPI cuDevicePrimaryCtxGetState(CUdevice dev, unsigned int *flags, int *active)
{
	FC_BEGIN();
	if (!flags || !active)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!(r = fc_check_device(dev))) {
		*flags = fc_g.primary_flags;
		*active = fc_g.primary && fc_g.primary->alive;
	}
out:
	fc_unlock();
	return r;
}

static CUresult fc_primary_set_flags(CUdevice dev, unsigned int flags, bool v2)
{
	FC_BEGIN();
	if ((r = fc_check_device(dev)))
		goto out;
	if (!fc_ctx_flags_ok(flags)) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (!v2 && fc_g.primary && fc_g.primary->alive) {
		r = CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE;
		goto out;
	}
	fc_g.primary_flags = flags;
	if (fc_g.primary && fc_g.primary->alive)
		fc_g.primary->flags = flags;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDevicePrimaryCtxSetFlags(CUdevice dev, unsigned int flags)
{
	return fc_primary_set_flags(dev, flags, false);
}

FC_API CUresult CUDAAPI cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned int flags)
{
	return fc_primary_set_flags(dev, flags, true);
}

/* ---- private tables of the real driver: not simulated ---- */

FC_API CUresult CUDAAPI cuGetExportTable(const void **ppExportTable, const CUuuid *pExportTableId)
{
	static int told;

	if (!ppExportTable || !pExportTableId)
		return CUDA_ERROR_INVALID_VALUE;
	*ppExportTable = NULL;
	if (!__atomic_exchange_n(&told, 1, __ATOMIC_RELAXED))
		fc_msg("cuGetExportTable: the driver's private tables are not simulated "
		       "(the CUDA runtime needs them; use the driver API)\n");
	return CUDA_ERROR_NOT_SUPPORTED;
}

/* ---- extension functions ---- */

/* The state FAKECUDA_SHM names now; *tmp: map made for this call. */
static int fc_ext_map(struct fc_shared **s, bool *tmp)
{
	char name[NAME_MAX + 1];
	int e;

	*tmp = false;
	e = fc_shm_name(name, sizeof(name));
	if (e < 0)
		return e;
	if (fc_g.shm && !strcmp(name, fc_g.shm_name)) {
		*s = fc_g.shm;
		return 0;
	}
	e = fc_shm_map(name, NULL, s, NULL);
	if (e == 0)
		*tmp = true;
	return e;
}

static unsigned long long fc_ext_total(pid_t pid, int which)
{
	struct fc_shared *s;
	struct fc_totals t = { 0 };
	bool tmp;

	fc_lock();
	if (fc_ext_map(&s, &tmp) == 0) {
		if (fc_shm_lock(s) == 0) {
			if (which == 2)
				fc_reclaim_locked(s);
			fc_totals_locked(s, pid, &t);
			fc_shm_unlock(s);
		}
		if (tmp)
			fc_shm_unmap(s);
	}
	fc_unlock();
	return which == 0 ? t.busy_ns : which == 1 ? t.launches : t.mem_used;
}

FC_API unsigned long long fakecuda_busy_ns(pid_t pid)
{
	return fc_ext_total(pid, 0);
}

FC_API unsigned long long fakecuda_launches(pid_t pid)
{
	return fc_ext_total(pid, 1);
}

FC_API unsigned long long fakecuda_mem_used(pid_t pid)
{
	return fc_ext_total(pid, 2);
}

FC_API int fakecuda_shm_unlink(void)
{
	char name[NAME_MAX + 1];
	int e = fc_shm_name(name, sizeof(name));

	if (e < 0)
		return e;
	return shm_unlink(name) < 0 ? -errno : 0;
}

FC_API int fakecuda_lock_hold(void)
{
	struct fc_shared *s;
	bool tmp;
	int e;

	fc_lock();
	e = fc_ext_map(&s, &tmp);
	if (e == 0)
		e = fc_shm_lock(s);	/* and never unlocked: the test kills us */
	fc_unlock();
	return e;
}
