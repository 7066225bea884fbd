// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Device memory: every allocation path is charged to the slice BEFORE the
 * driver allocates (atomically against the quota: two processes cannot both
 * pass a check and then both allocate), uncharged if the driver fails, and
 * uncharged when freed.  A refused charge returns CUDA_ERROR_OUT_OF_MEMORY
 * and the driver is never called: no trace.
 *
 * What is charged:
 *  - cuMemAlloc, cuMemAllocManaged: the size asked (managed memory as if
 *    resident: it can be);
 *  - cuMemAllocPitch: round_up(width, 512) x height first, corrected to
 *    pitch x height once the driver has chosen the pitch;
 *  - stream-ordered allocation (cuMemAllocAsync, cuMemAllocFromPoolAsync):
 *    the pool's RESERVED memory, not the requests: a new block is charged
 *    at the granularity first, then the charge follows the pool's
 *    CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT (after allocations, frees, trims,
 *    synchronisations, cuMemGetInfo).  A refused charge first trims the
 *    pool's cached blocks, as the driver does when it cannot grow a pool;
 *  - cuMemCreate on the device: the size rounded up to the granularity;
 *    uncharged when the handle is released AND no longer mapped; host
 *    allocations are not device memory;
 *  - arrays and mipmapped arrays: their geometry (all levels), corrected to
 *    cuArrayGetMemoryRequirements where the driver has it;
 *  - a CUDA context: measured (the drop of free memory across its
 *    creation), reported separately, charged only with VGPU_COUNT_CONTEXT=1.
 *    The only thing charged after the fact: its size is not known before.
 * Not charged: pinned host memory, memory opened through IPC (the exporter
 * holds it), graph memory nodes (see docs/libvgpu.md).
 *
 * A context's allocations die with it: destroying a context (or releasing
 * or resetting the primary one) uncharges them.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "interpose.h"

#define PITCH_ALIGN 512

enum akind {
	A_PTR = 1,	/* device pointer: cuMemAlloc, pitch, managed, pool blocks */
	A_ARRAY,
	A_MIPMAP,
	A_VMM,		/* cuMemCreate handle */
	A_VMAP,		/* a mapping of a VMM handle */
};

enum asub { S_DEV, S_POOL };

struct aent {
	u64 key;
	u8 kind;	/* enum akind, 0: empty slot */
	u8 sub;		/* enum asub for A_PTR */
	u8 dev;
	u8 released;	/* A_VMM: cuMemRelease done, still mapped */
	u32 maps;	/* A_VMM */
	u64 bytes;	/* charged (pool blocks: the estimate, see pool_destroyed) */
	CUcontext ctx;
	u64 aux;	/* pool (pool blocks), handle (A_VMAP) */
};

static struct {
	pthread_mutex_t lock;
	struct aent *tab;
	size_t cap;	/* power of two */
	size_t n;
} mt = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct pool_rec {
	CUmemoryPool pool;
	int dev;
	bool destroyed;
	u64 charged;
	u32 live;	/* blocks handed out and not freed */
};

static struct {
	pthread_mutex_t lock;	/* before mt.lock; held across pool allocations */
	struct pool_rec *v;
	size_t n, cap;
} pl = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Contexts and the memory they cost. */
struct ctx_rec {
	CUcontext ctx;
	int dev;
	u64 bytes;
};

static struct {
	pthread_mutex_t lock;
	struct ctx_rec v[64];
	int n;
} cx = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Primary contexts' reference counts (before cx.lock). */
static pthread_mutex_t prim_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- the allocation table (open addressing, linear probing) ---- */

static size_t h_slot(u64 key, u8 kind, size_t cap)
{
	u64 h = (key ^ ((u64)kind << 59)) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 17) & (cap - 1);
}

static int t_grow(void)
{
	size_t ncap = mt.cap ? mt.cap * 2 : 1024;
	struct aent *nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (size_t i = 0; i < mt.cap; i++) {
		struct aent *e = &mt.tab[i];
		size_t j;

		if (!e->kind)
			continue;
		for (j = h_slot(e->key, e->kind, ncap); nt[j].kind; j = (j + 1) & (ncap - 1))
			;
		nt[j] = *e;
	}
	free(mt.tab);
	mt.tab = nt;
	mt.cap = ncap;
	return 0;
}

static struct aent *t_find(u8 kind, u64 key)
{
	if (!mt.cap)
		return NULL;
	for (size_t j = h_slot(key, kind, mt.cap); mt.tab[j].kind; j = (j + 1) & (mt.cap - 1))
		if (mt.tab[j].kind == kind && mt.tab[j].key == key)
			return &mt.tab[j];
	return NULL;
}

static int t_insert(const struct aent *e)
{
	size_t j;

	if ((mt.n + 1) * 2 > mt.cap && t_grow())
		return -ENOMEM;
	for (j = h_slot(e->key, e->kind, mt.cap); mt.tab[j].kind; j = (j + 1) & (mt.cap - 1))
		;
	mt.tab[j] = *e;
	mt.n++;
	return 0;
}

/* Remove the entry at @e (a pointer into the table), keeping probe chains. */
static void t_remove(struct aent *e)
{
	size_t i = (size_t)(e - mt.tab), j = i;

	mt.tab[i].kind = 0;
	mt.n--;
	for (;;) {
		size_t k;

		j = (j + 1) & (mt.cap - 1);
		if (!mt.tab[j].kind)
			return;
		k = h_slot(mt.tab[j].key, mt.tab[j].kind, mt.cap);
		/* can entry j move to the hole at i? (k not cyclically in (i, j]) */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			mt.tab[i] = mt.tab[j];
			mt.tab[j].kind = 0;
			i = j;
		}
	}
}

static int track(u8 kind, u8 sub, u64 key, struct vgpu_dev *d, u64 bytes, CUcontext ctx,
		 u64 aux)
{
	struct aent e = {
		.key = key, .kind = kind, .sub = sub, .dev = (u8)d->ordinal, .bytes = bytes,
		.ctx = ctx, .aux = aux,
	};
	int r;

	pthread_mutex_lock(&mt.lock);
	r = t_insert(&e);
	pthread_mutex_unlock(&mt.lock);
	return r;
}

/* Take the entry out (before the driver frees: its address may come back). */
static bool untrack(u8 kind, u64 key, struct aent *out)
{
	struct aent *e;

	pthread_mutex_lock(&mt.lock);
	e = t_find(kind, key);
	if (e) {
		*out = *e;
		t_remove(e);
	}
	pthread_mutex_unlock(&mt.lock);
	return e != NULL;
}

static void retrack(const struct aent *e)
{
	pthread_mutex_lock(&mt.lock);
	if (t_insert(e))
		vg_err("out of memory tracking an allocation: its charge stays");
	pthread_mutex_unlock(&mt.lock);
}

/* ---- charging ---- */

CUresult vgpu_mem_err(int e)
{
	if (e == -ENOSPC)
		return CUDA_ERROR_OUT_OF_MEMORY;
	vg_err("the slice's ledger refused a charge: %s", strerror(-e));
	return e == -ENOMEM ? CUDA_ERROR_OUT_OF_MEMORY : CUDA_ERROR_OPERATING_SYSTEM;
}

static CUresult charge(struct vgpu_dev *d, u64 bytes)
{
	int e = vgpu_charge_internal(d->slice, bytes);

	if (e) {
		vg_dbg("charge of %" PRIu64 " bytes refused: %s", bytes, strerror(-e));
		return vgpu_mem_err(e);
	}
	return CUDA_SUCCESS;
}

static void uncharge(struct vgpu_dev *d, u64 bytes)
{
	int e;

	if (!bytes || !d || !d->slice)
		return;
	e = vgpu_mem_uncharge(d->slice, bytes);
	if (e)
		vg_err("uncharge of %" PRIu64 " bytes failed: %s", bytes, strerror(-e));
}

static CUcontext cur_ctx(void)
{
	CUcontext c = NULL;

	if (USE(cuCtxGetCurrent))
		USE(cuCtxGetCurrent)(&c);
	return c;
}

static inline bool active(void)
{
	return __atomic_load_n(&vg.ready, __ATOMIC_ACQUIRE) && !vg.closed;
}

/*
 * Exiting: straight to the driver.  Not initialised through us: initialise
 * now if the driver was, else what the driver itself would say.
 */
#define ENFORCE_OR(call)						\
	do {								\
		if (unlikely(!active())) {				\
			CUresult _r;					\
									\
			if (vg.closed)					\
				return (call);				\
			_r = vgpu_late_init();				\
			if (_r)						\
				return _r;				\
		}							\
	} while (0)

static u64 round_up(u64 x, u64 a)
{
	return x > UINT64_MAX - (a - 1) ? UINT64_MAX : (x + a - 1) / a * a;
}

/* ---- linear memory ---- */

static CUresult alloc_simple(CUdeviceptr *dptr, size_t size, unsigned int flags, bool managed)
{
	struct vgpu_dev *d = vgpu_cur_dev();
	CUresult r;

	if (!d || !dptr || !size)
		return managed ? REAL(cuMemAllocManaged)(dptr, size, flags) :
				 REAL(cuMemAlloc_v2)(dptr, size);
	r = charge(d, size);
	if (r)
		return r;
	r = managed ? REAL(cuMemAllocManaged)(dptr, size, flags) : REAL(cuMemAlloc_v2)(dptr, size);
	if (r) {
		uncharge(d, size);
		return r;
	}
	if (track(A_PTR, S_DEV, *dptr, d, size, cur_ctx(), 0)) {
		REAL(cuMemFree_v2)(*dptr);
		uncharge(d, size);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	return CUDA_SUCCESS;
}

CUresult vh_cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
	ENFORCE_OR(REAL(cuMemAlloc_v2)(dptr, bytesize));
	return alloc_simple(dptr, bytesize, 0, false);
}

CUresult vh_cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags)
{
	ENFORCE_OR(REAL(cuMemAllocManaged)(dptr, bytesize, flags));
	return alloc_simple(dptr, bytesize, flags, true);
}

/* Bring a charge from @have to @want bytes after the driver decided. */
static CUresult settle(struct vgpu_dev *d, u64 have, u64 want)
{
	if (want > have)
		return charge(d, want - have);
	uncharge(d, have - want);
	return CUDA_SUCCESS;
}

CUresult vh_cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes,
			       size_t Height, unsigned int ElementSizeBytes)
{
	struct vgpu_dev *d;
	u64 est, real;
	CUresult r;

	ENFORCE_OR(REAL(cuMemAllocPitch_v2)(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes));
	d = vgpu_cur_dev();
	if (!d || !dptr || !pPitch || !WidthInBytes || !Height)
		return REAL(cuMemAllocPitch_v2)(dptr, pPitch, WidthInBytes, Height,
						ElementSizeBytes);
	est = round_up(WidthInBytes, PITCH_ALIGN);
	est = Height > UINT64_MAX / est ? UINT64_MAX : est * Height;
	r = charge(d, est);
	if (r)
		return r;
	r = REAL(cuMemAllocPitch_v2)(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
	if (r) {
		uncharge(d, est);
		return r;
	}
	real = (u64)*pPitch * Height;
	if (settle(d, est, real) != CUDA_SUCCESS) {
		REAL(cuMemFree_v2)(*dptr);
		uncharge(d, est);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	if (track(A_PTR, S_DEV, *dptr, d, real, cur_ctx(), 0)) {
		REAL(cuMemFree_v2)(*dptr);
		uncharge(d, real);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	return CUDA_SUCCESS;
}

/* ---- pools ---- */

static struct pool_rec *pool_find(CUmemoryPool pool)
{
	for (size_t i = 0; i < pl.n; i++)
		if (pl.v[i].pool == pool && !pl.v[i].destroyed)
			return &pl.v[i];
	return NULL;
}

static void pool_forget(struct pool_rec *pr)
{
	*pr = pl.v[--pl.n];
}

static bool pool_reserved(CUmemoryPool pool, u64 *v)
{
	cuuint64_t x = 0;

	if (!USE(cuMemPoolGetAttribute) ||
	    USE(cuMemPoolGetAttribute)(pool, CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT, &x))
		return false;
	*v = x;
	return true;
}

/* Make the charge follow the pool's reservation (pl.lock held). */
static void pool_sync(struct pool_rec *pr)
{
	struct vgpu_dev *d = vgpu_dev_of(pr->dev);
	u64 cur;

	if (!d || pr->destroyed || !pool_reserved(pr->pool, &cur) || cur == pr->charged)
		return;
	if (cur < pr->charged) {
		uncharge(d, pr->charged - cur);
		pr->charged = cur;
	} else if (charge(d, cur - pr->charged) == CUDA_SUCCESS) {
		pr->charged = cur;
	} else {
		vg_warn("a memory pool grew by %" PRIu64 " bytes outside an allocation; past the "
			"quota, not charged", cur - pr->charged);
	}
}

void vgpu_pools_reconcile(void)
{
	if (!__atomic_load_n(&pl.n, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&pl.lock);
	for (size_t i = 0; i < pl.n; i++)
		pool_sync(&pl.v[i]);
	pthread_mutex_unlock(&pl.lock);
}

static struct pool_rec *pool_get(CUmemoryPool pool, struct vgpu_dev *d)
{
	struct pool_rec *pr = pool_find(pool);

	if (pr)
		return pr;
	if (pl.n == pl.cap) {
		size_t ncap = pl.cap ? pl.cap * 2 : 8;
		struct pool_rec *nv = realloc(pl.v, ncap * sizeof(*nv));

		if (!nv)
			return NULL;
		pl.v = nv;
		pl.cap = ncap;
	}
	pr = &pl.v[pl.n];
	*pr = (struct pool_rec){ .pool = pool, .dev = d->ordinal };
	__atomic_store_n(&pl.n, pl.n + 1, __ATOMIC_RELAXED);
	return pr;
}

enum pa_call { PA_ASYNC, PA_ASYNC_PTSZ, PA_POOL, PA_POOL_PTSZ };

static CUresult pool_real(enum pa_call which, CUdeviceptr *dptr, size_t size, CUmemoryPool pool,
			  CUstream s)
{
	switch (which) {
	case PA_ASYNC: return REAL(cuMemAllocAsync)(dptr, size, s);
	case PA_ASYNC_PTSZ: return REAL(cuMemAllocAsync_ptsz)(dptr, size, s);
	case PA_POOL: return REAL(cuMemAllocFromPoolAsync)(dptr, size, pool, s);
	default: return REAL(cuMemAllocFromPoolAsync_ptsz)(dptr, size, pool, s);
	}
}

static CUresult pool_alloc(enum pa_call which, CUdeviceptr *dptr, size_t size, CUmemoryPool pool,
			   CUstream s)
{
	struct vgpu_dev *d = vgpu_cur_dev();
	struct pool_rec *pr;
	u64 est, cur;
	CUresult r;

	if (!d || !dptr || !size)
		return pool_real(which, dptr, size, pool, s);
	if (which == PA_ASYNC || which == PA_ASYNC_PTSZ) {
		/* the device's current pool serves it */
		if (!USE(cuDeviceGetMemPool) ||
		    USE(cuDeviceGetMemPool)(&pool, d->ordinal) != CUDA_SUCCESS)
			pool = NULL;
	}
	if (!pool)
		return pool_real(which, dptr, size, pool, s);	/* the driver's error */
	pthread_mutex_lock(&pl.lock);
	pr = pool_get(pool, d);
	if (!pr) {
		pthread_mutex_unlock(&pl.lock);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	pool_sync(pr);
	est = round_up(size, d->granularity);
	r = charge(d, est);
	if (r == CUDA_ERROR_OUT_OF_MEMORY && pr->charged) {
		/* what the pool caches goes back first, as the driver would */
		REAL(cuMemPoolTrimTo)(pool, 0);
		pool_sync(pr);
		r = charge(d, est);
	}
	if (r)
		goto out;
	r = pool_real(which, dptr, size, pool, s);
	if (r) {
		uncharge(d, est);
		pool_sync(pr);
		goto out;
	}
	pr->charged += est;
	if (pool_reserved(pool, &cur) && cur != pr->charged) {
		if (settle(d, pr->charged, cur) != CUDA_SUCCESS) {
			/* the driver reserved more than the quota allows: give it back */
			REAL(cuMemFreeAsync)(*dptr, s);
			REAL(cuMemPoolTrimTo)(pool, 0);
			pool_sync(pr);
			r = CUDA_ERROR_OUT_OF_MEMORY;
			goto out;
		}
		pr->charged = cur;
	}
	if (track(A_PTR, S_POOL, *dptr, d, est, cur_ctx(), (u64)(uintptr_t)pool)) {
		REAL(cuMemFreeAsync)(*dptr, s);
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	pr->live++;
out:
	pthread_mutex_unlock(&pl.lock);
	return r;
}

CUresult vh_cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)
{
	ENFORCE_OR(REAL(cuMemAllocAsync)(dptr, bytesize, hStream));
	return pool_alloc(PA_ASYNC, dptr, bytesize, NULL, hStream);
}

CUresult vh_cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)
{
	ENFORCE_OR(REAL(cuMemAllocAsync_ptsz)(dptr, bytesize, hStream));
	return pool_alloc(PA_ASYNC_PTSZ, dptr, bytesize, NULL, hStream);
}

CUresult vh_cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
				    CUstream hStream)
{
	ENFORCE_OR(REAL(cuMemAllocFromPoolAsync)(dptr, bytesize, pool, hStream));
	return pool_alloc(PA_POOL, dptr, bytesize, pool, hStream);
}

CUresult vh_cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
					 CUstream hStream)
{
	ENFORCE_OR(REAL(cuMemAllocFromPoolAsync_ptsz)(dptr, bytesize, pool, hStream));
	return pool_alloc(PA_POOL_PTSZ, dptr, bytesize, pool, hStream);
}

/* A pool block was freed (pl.lock held). */
static void pool_block_freed(const struct aent *e)
{
	CUmemoryPool pool = (CUmemoryPool)(uintptr_t)e->aux;
	struct vgpu_dev *d = vgpu_dev_of(e->dev);

	for (size_t i = 0; i < pl.n; i++) {
		struct pool_rec *pr = &pl.v[i];

		if (pr->pool != pool)
			continue;
		if (pr->live)
			pr->live--;
		if (!pr->destroyed) {
			pool_sync(pr);
			return;
		}
		/* its pool is gone: the block's reservation goes with it */
		{
			u64 give = pr->live ? (e->bytes < pr->charged ? e->bytes : pr->charged) :
					      pr->charged;

			uncharge(d, give);
			pr->charged -= give;
		}
		if (!pr->live)
			pool_forget(pr);
		return;
	}
}

static CUresult mem_free(CUdeviceptr dptr, int how, CUstream s)
{
	struct aent e;
	CUresult r;
	bool had;

	if (!dptr)
		goto call;
	pthread_mutex_lock(&pl.lock);
	had = untrack(A_PTR, dptr, &e);
	switch (how) {
	case 0: r = REAL(cuMemFree_v2)(dptr); break;
	case 1: r = REAL(cuMemFreeAsync)(dptr, s); break;
	default: r = REAL(cuMemFreeAsync_ptsz)(dptr, s); break;
	}
	if (had) {
		if (r)
			retrack(&e);
		else if (e.sub == S_POOL)
			pool_block_freed(&e);
		else
			uncharge(vgpu_dev_of(e.dev), e.bytes);
	}
	pthread_mutex_unlock(&pl.lock);
	return r;
call:
	switch (how) {
	case 0: return REAL(cuMemFree_v2)(dptr);
	case 1: return REAL(cuMemFreeAsync)(dptr, s);
	default: return REAL(cuMemFreeAsync_ptsz)(dptr, s);
	}
}

CUresult vh_cuMemFree_v2(CUdeviceptr dptr)
{
	ENFORCE_OR(REAL(cuMemFree_v2)(dptr));
	return mem_free(dptr, 0, NULL);
}

CUresult vh_cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream)
{
	ENFORCE_OR(REAL(cuMemFreeAsync)(dptr, hStream));
	return mem_free(dptr, 1, hStream);
}

CUresult vh_cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream)
{
	ENFORCE_OR(REAL(cuMemFreeAsync_ptsz)(dptr, hStream));
	return mem_free(dptr, 2, hStream);
}

CUresult vh_cuMemPoolTrimTo(CUmemoryPool pool, size_t minBytesToKeep)
{
	CUresult r;

	ENFORCE_OR(REAL(cuMemPoolTrimTo)(pool, minBytesToKeep));
	pthread_mutex_lock(&pl.lock);
	r = REAL(cuMemPoolTrimTo)(pool, minBytesToKeep);
	if (!r) {
		struct pool_rec *pr = pool_find(pool);

		if (pr)
			pool_sync(pr);
	}
	pthread_mutex_unlock(&pl.lock);
	return r;
}

CUresult vh_cuMemPoolDestroy(CUmemoryPool pool)
{
	struct pool_rec *pr;
	CUresult r;

	ENFORCE_OR(REAL(cuMemPoolDestroy)(pool));
	pthread_mutex_lock(&pl.lock);
	pr = pool_find(pool);
	if (pr)
		pool_sync(pr);
	r = REAL(cuMemPoolDestroy)(pool);
	if (!r && pr) {
		u64 keep = 0;

		/* blocks still in use keep their reservation until freed */
		pthread_mutex_lock(&mt.lock);
		for (size_t i = 0; i < mt.cap; i++) {
			const struct aent *e = &mt.tab[i];

			if (e->kind == A_PTR && e->sub == S_POOL && e->aux == (u64)(uintptr_t)pool)
				keep += e->bytes;
		}
		pthread_mutex_unlock(&mt.lock);
		pr->destroyed = true;
		if (keep < pr->charged) {
			uncharge(vgpu_dev_of(pr->dev), pr->charged - keep);
			pr->charged = keep;
		}
		if (!pr->live) {
			uncharge(vgpu_dev_of(pr->dev), pr->charged);
			pool_forget(pr);
		}
	}
	pthread_mutex_unlock(&pl.lock);
	return r;
}

/* ---- virtual memory management ---- */

CUresult vh_cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
			const CUmemAllocationProp *prop, unsigned long long flags)
{
	struct vgpu_dev *d;
	u64 bytes, gran = 0;
	CUresult r;

	ENFORCE_OR(REAL(cuMemCreate)(handle, size, prop, flags));
	if (!handle || !prop || !size || prop->location.type != CU_MEM_LOCATION_TYPE_DEVICE)
		return REAL(cuMemCreate)(handle, size, prop, flags);	/* host: not ours */
	d = vgpu_dev_of(prop->location.id);
	if (!d)
		return REAL(cuMemCreate)(handle, size, prop, flags);
	{
		size_t g = 0;

		if (USE(cuMemGetAllocationGranularity) &&
		    USE(cuMemGetAllocationGranularity)(&g, prop,
						       CU_MEM_ALLOC_GRANULARITY_MINIMUM) ==
		    CUDA_SUCCESS)
			gran = g;
	}
	if (!gran)
		gran = d->granularity;
	bytes = round_up(size, gran);
	if (size % gran) {
		/* the driver refuses it; one that would not is charged after */
		r = REAL(cuMemCreate)(handle, size, prop, flags);
		if (r)
			return r;
		if (charge(d, bytes)) {
			REAL(cuMemRelease)(*handle);
			return CUDA_ERROR_OUT_OF_MEMORY;
		}
	} else {
		r = charge(d, bytes);
		if (r)
			return r;
		r = REAL(cuMemCreate)(handle, size, prop, flags);
		if (r) {
			uncharge(d, bytes);
			return r;
		}
	}
	if (track(A_VMM, 0, (u64)*handle, d, bytes, NULL, 0)) {
		REAL(cuMemRelease)(*handle);
		uncharge(d, bytes);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	return CUDA_SUCCESS;
}

CUresult vh_cuMemRelease(CUmemGenericAllocationHandle handle)
{
	struct aent *e;
	u64 give = 0;
	int dev = -1;
	CUresult r;

	ENFORCE_OR(REAL(cuMemRelease)(handle));
	pthread_mutex_lock(&mt.lock);
	r = REAL(cuMemRelease)(handle);
	e = r ? NULL : t_find(A_VMM, (u64)handle);
	if (e) {
		if (e->maps) {
			e->released = 1;	/* the memory lives while mapped */
		} else {
			give = e->bytes;
			dev = e->dev;
			t_remove(e);
		}
	}
	pthread_mutex_unlock(&mt.lock);
	if (give)
		uncharge(vgpu_dev_of(dev), give);
	return r;
}

CUresult vh_cuMemMap(CUdeviceptr ptr, size_t size, size_t offset,
		     CUmemGenericAllocationHandle handle, unsigned long long flags)
{
	struct aent *h, m;
	CUresult r;

	ENFORCE_OR(REAL(cuMemMap)(ptr, size, offset, handle, flags));
	pthread_mutex_lock(&mt.lock);
	r = REAL(cuMemMap)(ptr, size, offset, handle, flags);
	h = r ? NULL : t_find(A_VMM, (u64)handle);
	if (h) {
		h->maps++;
		m = (struct aent){ .key = ptr, .kind = A_VMAP, .dev = h->dev, .bytes = size,
				   .aux = (u64)handle };
		if (t_insert(&m))
			vg_err("out of memory tracking a mapping");
	}
	pthread_mutex_unlock(&mt.lock);
	return r;
}

CUresult vh_cuMemUnmap(CUdeviceptr ptr, size_t size)
{
	u64 give[VGPU_MAX_DEVICES] = { 0 };
	CUresult r;

	ENFORCE_OR(REAL(cuMemUnmap)(ptr, size));
	pthread_mutex_lock(&mt.lock);
	r = REAL(cuMemUnmap)(ptr, size);
	if (!r) {
		bool again = true;

		while (again) {
			again = false;
			for (size_t i = 0; i < mt.cap; i++) {
				struct aent *e = &mt.tab[i], *h;
				u64 handle;

				if (e->kind != A_VMAP || e->key < ptr || e->key - ptr >= size)
					continue;
				handle = e->aux;
				t_remove(e);
				h = t_find(A_VMM, handle);
				if (h && h->maps && --h->maps == 0 && h->released) {
					give[h->dev] += h->bytes;
					t_remove(h);
				}
				again = true;	/* removal moved entries: scan again */
				break;
			}
		}
	}
	pthread_mutex_unlock(&mt.lock);
	for (int d = 0; d < VGPU_MAX_DEVICES; d++)
		uncharge(vgpu_dev_of(d), give[d]);
	return r;
}

/* ---- arrays ---- */

static u64 format_bytes(CUarray_format f)
{
	switch (f) {
	case CU_AD_FORMAT_UNSIGNED_INT8:
	case CU_AD_FORMAT_SIGNED_INT8:
	case CU_AD_FORMAT_UNORM_INT8X1:
	case CU_AD_FORMAT_SNORM_INT8X1:
		return 1;
	case CU_AD_FORMAT_UNSIGNED_INT16:
	case CU_AD_FORMAT_SIGNED_INT16:
	case CU_AD_FORMAT_HALF:
	case CU_AD_FORMAT_UNORM_INT8X2:
	case CU_AD_FORMAT_SNORM_INT8X2:
	case CU_AD_FORMAT_UNORM_INT16X1:
	case CU_AD_FORMAT_SNORM_INT16X1:
		return 2;
	case CU_AD_FORMAT_UNSIGNED_INT32:
	case CU_AD_FORMAT_SIGNED_INT32:
	case CU_AD_FORMAT_FLOAT:
	case CU_AD_FORMAT_UNORM_INT8X4:
	case CU_AD_FORMAT_SNORM_INT8X4:
	case CU_AD_FORMAT_UNORM_INT16X2:
	case CU_AD_FORMAT_SNORM_INT16X2:
	case CU_AD_FORMAT_UNORM_INT_101010_2:
		return 4;
	case CU_AD_FORMAT_UNORM_INT16X4:
	case CU_AD_FORMAT_SNORM_INT16X4:
		return 8;
	default:
		return 16;	/* others: the largest element, corrected afterwards */
	}
}

static u64 mul_sat(u64 a, u64 b)
{
	return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

/* Bytes of an array's levels: width x height x depth (or layers) x element. */
static u64 array_bytes(const CUDA_ARRAY3D_DESCRIPTOR *d, unsigned int levels)
{
	u64 elem = mul_sat(format_bytes(d->Format), d->NumChannels ? d->NumChannels : 1);
	u64 w = d->Width, h = d->Height, z = d->Depth, layers = 1, total = 0;

	if ((d->Flags & (CUDA_ARRAY3D_LAYERED | CUDA_ARRAY3D_CUBEMAP)) && z) {
		layers = z;
		z = 0;
	}
	if (!levels)
		levels = 1;
	for (unsigned int l = 0; l < levels && l < 64; l++) {
		u64 lw = w >> l ? w >> l : 1;
		u64 lh = h ? (h >> l ? h >> l : 1) : 1;
		u64 lz = z ? (z >> l ? z >> l : 1) : 1;
		u64 b = mul_sat(mul_sat(mul_sat(mul_sat(lw, lh), lz), layers), elem);

		total = b > UINT64_MAX - total ? UINT64_MAX : total + b;
	}
	return total;
}

static u64 array_requirement(struct vgpu_dev *d, void *h, bool mip, u64 est)
{
	CUDA_ARRAY_MEMORY_REQUIREMENTS req = { 0 };
	CUresult r = CUDA_ERROR_NOT_SUPPORTED;

	if (!mip && USE(cuArrayGetMemoryRequirements))
		r = USE(cuArrayGetMemoryRequirements)(&req, (CUarray)h, d->ordinal);
	else if (mip && USE(cuMipmappedArrayGetMemoryRequirements))
		r = USE(cuMipmappedArrayGetMemoryRequirements)(&req, (CUmipmappedArray)h,
							       d->ordinal);
	return r == CUDA_SUCCESS && req.size ? req.size : est;
}

static CUresult array_create(void **out, const CUDA_ARRAY3D_DESCRIPTOR *desc, unsigned int levels,
			     int which, const CUDA_ARRAY_DESCRIPTOR *d2)
{
	struct vgpu_dev *d = vgpu_cur_dev();
	u64 est, real;
	CUresult r;

#define CALL() (which == 0 ? REAL(cuArrayCreate_v2)((CUarray *)out, d2) :		\
		 which == 1 ? REAL(cuArray3DCreate_v2)((CUarray *)out, desc) :		\
		 REAL(cuMipmappedArrayCreate)((CUmipmappedArray *)out, desc, levels))
	if (!d || !out || !desc)
		return CALL();
	est = array_bytes(desc, levels);
	r = charge(d, est);
	if (r)
		return r;
	r = CALL();
	if (r) {
		uncharge(d, est);
		return r;
	}
	real = array_requirement(d, *out, which == 2, est);
	if (settle(d, est, real) != CUDA_SUCCESS) {
		if (which == 2)
			REAL(cuMipmappedArrayDestroy)((CUmipmappedArray)*out);
		else
			REAL(cuArrayDestroy)((CUarray)*out);
		uncharge(d, est);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	if (track(which == 2 ? A_MIPMAP : A_ARRAY, 0, (u64)(uintptr_t)*out, d, real, cur_ctx(),
		  0)) {
		if (which == 2)
			REAL(cuMipmappedArrayDestroy)((CUmipmappedArray)*out);
		else
			REAL(cuArrayDestroy)((CUarray)*out);
		uncharge(d, real);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	return CUDA_SUCCESS;
#undef CALL
}

CUresult vh_cuArrayCreate_v2(CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR *pAllocateArray)
{
	CUDA_ARRAY3D_DESCRIPTOR d;

	ENFORCE_OR(REAL(cuArrayCreate_v2)(pHandle, pAllocateArray));
	if (!pAllocateArray)
		return REAL(cuArrayCreate_v2)(pHandle, pAllocateArray);
	d = (CUDA_ARRAY3D_DESCRIPTOR){
		.Width = pAllocateArray->Width,
		.Height = pAllocateArray->Height,
		.Format = pAllocateArray->Format,
		.NumChannels = pAllocateArray->NumChannels,
	};
	return array_create((void **)pHandle, &d, 1, 0, pAllocateArray);
}

CUresult vh_cuArray3DCreate_v2(CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *pAllocateArray)
{
	ENFORCE_OR(REAL(cuArray3DCreate_v2)(pHandle, pAllocateArray));
	return array_create((void **)pHandle, pAllocateArray, 1, 1, NULL);
}

CUresult vh_cuMipmappedArrayCreate(CUmipmappedArray *pHandle,
				   const CUDA_ARRAY3D_DESCRIPTOR *pMipmappedArrayDesc,
				   unsigned int numMipmapLevels)
{
	ENFORCE_OR(REAL(cuMipmappedArrayCreate)(pHandle, pMipmappedArrayDesc, numMipmapLevels));
	return array_create((void **)pHandle, pMipmappedArrayDesc, numMipmapLevels, 2, NULL);
}

static CUresult array_destroy(void *h, bool mip)
{
	struct aent e;
	CUresult r;
	bool had = untrack(mip ? A_MIPMAP : A_ARRAY, (u64)(uintptr_t)h, &e);

	r = mip ? REAL(cuMipmappedArrayDestroy)((CUmipmappedArray)h) :
		  REAL(cuArrayDestroy)((CUarray)h);
	if (had) {
		if (r)
			retrack(&e);
		else
			uncharge(vgpu_dev_of(e.dev), e.bytes);
	}
	return r;
}

CUresult vh_cuArrayDestroy(CUarray hArray)
{
	ENFORCE_OR(REAL(cuArrayDestroy)(hArray));
	return array_destroy(hArray, false);
}

CUresult vh_cuMipmappedArrayDestroy(CUmipmappedArray hMipmappedArray)
{
	ENFORCE_OR(REAL(cuMipmappedArrayDestroy)(hMipmappedArray));
	return array_destroy(hMipmappedArray, true);
}

/* ---- memory information: the slice's ---- */

CUresult vh_cuMemGetInfo_v2(size_t *free_bytes, size_t *total)
{
	struct vgpu_dev *d;
	u64 quota, used = 0, fr;
	CUresult r;

	r = REAL(cuMemGetInfo_v2)(free_bytes, total);
	if (r || vg.closed || (!active() && vgpu_late_init()))
		return r;
	d = vgpu_cur_dev();
	if (!d)
		return r;
	vgpu_pools_reconcile();
	quota = d->slice->info.mem_quota;
	if (quota > *total)
		quota = *total;
	if (d->slice->ops->used(d->slice, &used))
		used = quota;
	/* never negative, never above what the GPU really has free */
	fr = used >= quota ? 0 : quota - used;
	if (fr > *free_bytes)
		fr = *free_bytes;
	*total = (size_t)quota;
	*free_bytes = (size_t)fr;
	return CUDA_SUCCESS;
}

CUresult vh_cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
{
	struct vgpu_dev *d;
	CUresult r = REAL(cuDeviceTotalMem_v2)(bytes, dev);

	if (r || vg.closed || (!active() && vgpu_late_init()))
		return r;
	d = vgpu_dev_of(dev);
	if (d && d->slice->info.mem_quota < *bytes)
		*bytes = (size_t)d->slice->info.mem_quota;
	return r;
}

/* ---- contexts ---- */

static void ctx_mem_update(struct vgpu_dev *d)
{
	int e = vgpu_mem_set_context(d->slice, d->ctx_mem);

	if (e)
		vg_warn("context memory of %" PRIu64 " bytes not recorded: %s", d->ctx_mem,
			strerror(-e));
}

/*
 * @ctx was just created on @d.  Its cost is the drop of free memory across
 * its creation when another context could measure before; else what the
 * GPU uses beyond what the backend knows others hold.
 */
CUresult vgpu_ctx_created(struct vgpu_dev *d, CUcontext ctx, bool have_before, u64 free_before,
			  bool primary)
{
	size_t fr = 0, tot = 0;
	u64 cost = 0;
	bool pushed = false;
	int e;

	if (primary && USE(cuCtxPushCurrent_v2) && USE(cuCtxPushCurrent_v2)(ctx) == CUDA_SUCCESS)
		pushed = true;
	if (REAL(cuMemGetInfo_v2)(&fr, &tot) == CUDA_SUCCESS) {
		if (have_before) {
			cost = free_before > fr ? free_before - fr : 0;
		} else {
			u64 used = tot > fr ? tot - fr : 0;
			u64 known = d->slice->ops->gpu_known_used(d->slice);

			cost = used > known ? used - known : 0;
		}
	}
	if (pushed) {
		CUcontext dummy;

		USE(cuCtxPopCurrent_v2)(&dummy);
	}
	pthread_mutex_lock(&cx.lock);
	d->ctx_mem += cost;
	e = vgpu_mem_set_context(d->slice, d->ctx_mem);
	if (e == -ENOSPC) {
		d->ctx_mem -= cost;
		pthread_mutex_unlock(&cx.lock);
		vg_info("a context costs %" PRIu64 " bytes: past the quota (VGPU_COUNT_CONTEXT=1)",
			cost);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	if (e)
		vg_warn("context memory not recorded: %s", strerror(-e));
	if (cx.n < (int)ARRAY_SIZE(cx.v))
		cx.v[cx.n++] = (struct ctx_rec){ .ctx = ctx, .dev = d->ordinal, .bytes = cost };
	pthread_mutex_unlock(&cx.lock);
	vg_dbg("context %p on device %d costs %" PRIu64 " bytes", (void *)ctx, d->ordinal, cost);
	return CUDA_SUCCESS;
}

/* Free memory now, if a context of device @d is current. */
static bool free_now(struct vgpu_dev *d, u64 *fr)
{
	CUdevice cd;
	size_t f, t;

	if (!cur_ctx() || !USE(cuCtxGetDevice) || USE(cuCtxGetDevice)(&cd) || cd != d->ordinal)
		return false;
	if (REAL(cuMemGetInfo_v2)(&f, &t))
		return false;
	*fr = f;
	return true;
}

/* The driver freed what @ctx held: uncharge it. */
void vgpu_mem_ctx_gone(CUcontext ctx)
{
	u64 give[VGPU_MAX_DEVICES] = { 0 };
	bool again = true;

	pthread_mutex_lock(&mt.lock);
	while (again) {
		again = false;
		for (size_t i = 0; i < mt.cap; i++) {
			struct aent *e = &mt.tab[i];

			if (!e->kind || e->ctx != ctx || (e->kind == A_PTR && e->sub == S_POOL) ||
			    e->kind == A_VMM || e->kind == A_VMAP)
				continue;
			give[e->dev] += e->bytes;
			t_remove(e);
			again = true;
			break;
		}
	}
	pthread_mutex_unlock(&mt.lock);
	for (int d = 0; d < VGPU_MAX_DEVICES; d++)
		uncharge(vgpu_dev_of(d), give[d]);

	pthread_mutex_lock(&cx.lock);
	for (int i = 0; i < cx.n; i++) {
		struct vgpu_dev *d;

		if (cx.v[i].ctx != ctx)
			continue;
		d = vgpu_dev_of(cx.v[i].dev);
		if (d) {
			d->ctx_mem -= d->ctx_mem > cx.v[i].bytes ? cx.v[i].bytes : d->ctx_mem;
			ctx_mem_update(d);
		}
		cx.v[i--] = cx.v[--cx.n];
	}
	pthread_mutex_unlock(&cx.lock);
	for (int d = 0; d < vg.ndev; d++)
		vgpu_exec_ctx_gone(&vg.dev[d], ctx);
}

static CUresult ctx_create(CUcontext *pctx, CUdevice dev, int which, unsigned int flags,
			   CUexecAffinityParam *aff, int naff, CUctxCreateParams *params)
{
	struct vgpu_dev *d = vgpu_dev_of(dev);
	u64 before = 0;
	bool have = false;
	CUresult r;

#define CALL() (which == 0 ? REAL(cuCtxCreate)(pctx, flags, dev) :			\
		 which == 1 ? REAL(cuCtxCreate_v2)(pctx, flags, dev) :			\
		 which == 2 ? REAL(cuCtxCreate_v3)(pctx, aff, naff, flags, dev) :	\
		 REAL(cuCtxCreate_v4)(pctx, params, flags, dev))
	if (!d || !pctx)
		return CALL();
	have = free_now(d, &before);
	r = CALL();
	if (r)
		return r;
	r = vgpu_ctx_created(d, *pctx, have, before, false);
	if (r) {
		REAL(cuCtxDestroy_v2)(*pctx);
		*pctx = NULL;
	}
	return r;
#undef CALL
}

CUresult vh_cuCtxCreate(CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	ENFORCE_OR(REAL(cuCtxCreate)(pctx, flags, dev));
	return ctx_create(pctx, dev, 0, flags, NULL, 0, NULL);
}

CUresult vh_cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	ENFORCE_OR(REAL(cuCtxCreate_v2)(pctx, flags, dev));
	return ctx_create(pctx, dev, 1, flags, NULL, 0, NULL);
}

CUresult vh_cuCtxCreate_v3(CUcontext *pctx, CUexecAffinityParam *paramsArray, int numParams,
			   unsigned int flags, CUdevice dev)
{
	ENFORCE_OR(REAL(cuCtxCreate_v3)(pctx, paramsArray, numParams, flags, dev));
	return ctx_create(pctx, dev, 2, flags, paramsArray, numParams, NULL);
}

CUresult vh_cuCtxCreate_v4(CUcontext *pctx, CUctxCreateParams *ctxCreateParams,
			   unsigned int flags, CUdevice dev)
{
	ENFORCE_OR(REAL(cuCtxCreate_v4)(pctx, ctxCreateParams, flags, dev));
	return ctx_create(pctx, dev, 3, flags, NULL, 0, ctxCreateParams);
}

static CUresult ctx_destroy(CUcontext ctx, bool v2)
{
	CUresult r = v2 ? REAL(cuCtxDestroy_v2)(ctx) : REAL(cuCtxDestroy)(ctx);

	if (!r)
		vgpu_mem_ctx_gone(ctx);
	return r;
}

CUresult vh_cuCtxDestroy(CUcontext ctx)
{
	ENFORCE_OR(REAL(cuCtxDestroy)(ctx));
	return ctx_destroy(ctx, false);
}

CUresult vh_cuCtxDestroy_v2(CUcontext ctx)
{
	ENFORCE_OR(REAL(cuCtxDestroy_v2)(ctx));
	return ctx_destroy(ctx, true);
}

CUresult vh_cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
{
	struct vgpu_dev *d;
	u64 before = 0;
	bool have, first;
	CUresult r;

	ENFORCE_OR(REAL(cuDevicePrimaryCtxRetain)(pctx, dev));
	d = vgpu_dev_of(dev);
	if (!d || !pctx)
		return REAL(cuDevicePrimaryCtxRetain)(pctx, dev);
	pthread_mutex_lock(&prim_lock);
	first = d->primary_refs == 0;
	have = first && free_now(d, &before);
	r = REAL(cuDevicePrimaryCtxRetain)(pctx, dev);
	if (!r) {
		d->primary = *pctx;
		d->primary_refs++;
		if (first) {
			r = vgpu_ctx_created(d, *pctx, have, before, true);
			if (r) {
				REAL(cuDevicePrimaryCtxRelease_v2)(dev);
				d->primary_refs--;
				*pctx = NULL;
			}
		}
	}
	pthread_mutex_unlock(&prim_lock);
	return r;
}

static CUresult primary_release(CUdevice dev, int which)
{
	struct vgpu_dev *d = vgpu_dev_of(dev);
	CUcontext gone = NULL;
	CUresult r;

	pthread_mutex_lock(&prim_lock);
	switch (which) {
	case 0: r = REAL(cuDevicePrimaryCtxRelease)(dev); break;
	case 1: r = REAL(cuDevicePrimaryCtxRelease_v2)(dev); break;
	case 2: r = REAL(cuDevicePrimaryCtxReset)(dev); break;
	default: r = REAL(cuDevicePrimaryCtxReset_v2)(dev); break;
	}
	if (d) {
		if (!r && d->primary_refs) {
			if (which >= 2)
				d->primary_refs = 0;
			else
				d->primary_refs--;
			if (!d->primary_refs)
				gone = d->primary;
		}
	}
	pthread_mutex_unlock(&prim_lock);
	if (gone)
		vgpu_mem_ctx_gone(gone);
	return r;
}

CUresult vh_cuDevicePrimaryCtxRelease(CUdevice dev)
{
	ENFORCE_OR(REAL(cuDevicePrimaryCtxRelease)(dev));
	return primary_release(dev, 0);
}

CUresult vh_cuDevicePrimaryCtxRelease_v2(CUdevice dev)
{
	ENFORCE_OR(REAL(cuDevicePrimaryCtxRelease_v2)(dev));
	return primary_release(dev, 1);
}

CUresult vh_cuDevicePrimaryCtxReset(CUdevice dev)
{
	ENFORCE_OR(REAL(cuDevicePrimaryCtxReset)(dev));
	return primary_release(dev, 2);
}

CUresult vh_cuDevicePrimaryCtxReset_v2(CUdevice dev)
{
	ENFORCE_OR(REAL(cuDevicePrimaryCtxReset_v2)(dev));
	return primary_release(dev, 3);
}

void vgpu_mem_fork_child(void)
{
	pthread_mutex_init(&mt.lock, NULL);
	pthread_mutex_init(&pl.lock, NULL);
	pthread_mutex_init(&cx.lock, NULL);
	pthread_mutex_init(&prim_lock, NULL);
	/* the parent's allocations are not the child's (its driver state is new) */
	free(mt.tab);
	mt.tab = NULL;
	mt.cap = mt.n = 0;
	free(pl.v);
	pl.v = NULL;
	pl.n = pl.cap = 0;
	cx.n = 0;
}
