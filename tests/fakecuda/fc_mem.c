// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda (vgpu's CUDA driver test double): device memory.
 *
 * Device pointers are addresses of this process, backed by anonymous
 * MAP_NORESERVE mappings (no RAM until touched), so copies and sets work on
 * them; the bytes are charged against the one device budget in the shared
 * state.  Copies and sets are synchronous and take no GPU time.
 */
#include "fc_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ROUND_UP(x, a) ((((x) + (a) - 1) / (a)) * (a))

static void *fc_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return n > SIZE_MAX - pg ? 0 : ROUND_UP(n, pg);
}

/* A mapped allocation of @size usable bytes charging @charge device bytes. */
static CUresult fc_alloc_new(struct fc_ctx *ctx, enum fc_alloc_kind kind, size_t size,
			     size_t charge, struct fc_alloc **out)
{
	struct fc_alloc *a;
	size_t len = page_round(size);
	CUresult r;
	void *p;

	if (!len)
		return CUDA_ERROR_OUT_OF_MEMORY;
	if (charge && (r = fc_charge(charge, false)))
		return r;
	a = calloc(1, sizeof(*a));
	p = a ? fc_map(len) : NULL;
	if (!p) {
		free(a);
		fc_uncharge(charge, false);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	a->kind = kind;
	a->base = (uintptr_t)p;
	a->size = size;
	a->charged = charge;
	a->maplen = len;
	fc_list_add(&a->o, FC_T_ALLOC, ctx);
	*out = a;
	return CUDA_SUCCESS;
}

static void fc_alloc_destroy(struct fc_alloc *a, bool uncharge)
{
	fc_list_del(&a->o);
	munmap((void *)a->base, a->maplen);
	if (uncharge)
		fc_uncharge(a->charged, false);
	free(a);
}

/* The allocation (not a cached pool block) that starts at @p. */
static struct fc_alloc *fc_alloc_at(uintptr_t p, bool host)
{
	struct fc_obj *o;

	for (o = fc_g.lists[FC_T_ALLOC].next; o != &fc_g.lists[FC_T_ALLOC]; o = o->next) {
		struct fc_alloc *a = (struct fc_alloc *)o;

		if (a->base == p && !a->cached && (a->kind == FC_A_HOST) == host)
			return a;
	}
	return NULL;
}

/*
 * Where device-accessible memory holding @p ends, and whether it may be
 * written: allocations (pinned host memory too: unified addressing), and
 * VMM mappings with their access.  0 if @p is in none.
 */
static uintptr_t fc_dev_extent(uintptr_t p, int *prot)
{
	struct fc_obj *o;

	for (o = fc_g.lists[FC_T_ALLOC].next; o != &fc_g.lists[FC_T_ALLOC]; o = o->next) {
		struct fc_alloc *a = (struct fc_alloc *)o;

		if (!a->cached && p >= a->base && p - a->base < a->size) {
			*prot = PROT_READ | PROT_WRITE;
			return a->base + a->size;
		}
	}
	for (o = fc_g.lists[FC_T_VMM_MAP].next; o != &fc_g.lists[FC_T_VMM_MAP]; o = o->next) {
		struct fc_vmm_map *m = (struct fc_vmm_map *)o;

		if (p >= m->base && p - m->base < m->size) {
			/* contiguous mappings with the same access extend it */
			uintptr_t end = m->base + m->size;
			int pr = m->prot;

			for (struct fc_obj *q = fc_g.lists[FC_T_VMM_MAP].next;
			     q != &fc_g.lists[FC_T_VMM_MAP];) {
				struct fc_vmm_map *n = (struct fc_vmm_map *)q;

				if (n->base == end && n->prot == pr) {
					end += n->size;
					q = fc_g.lists[FC_T_VMM_MAP].next;
					continue;
				}
				q = q->next;
			}
			*prot = pr;
			return end;
		}
	}
	return 0;
}

/* Is [p, p+n) device memory accessible for reading (and writing)? */
static bool fc_dev_range_ok(CUdeviceptr p, size_t n, bool write)
{
	int prot = 0;
	uintptr_t end = fc_dev_extent((uintptr_t)p, &prot);

	if (!end || n > end - (uintptr_t)p)
		return false;
	return write ? (prot & PROT_WRITE) : (prot & PROT_READ);
}

/* For unified copies: device memory must fit; anything else is host memory. */
static bool fc_any_range_ok(uintptr_t p, size_t n, bool write)
{
	int prot = 0;
	uintptr_t end = fc_dev_extent(p, &prot);

	if (!end)
		return p != 0;
	if (n > end - p)
		return false;
	return write ? (prot & PROT_WRITE) : (prot & PROT_READ);
}

/* ---- information ---- */

FC_API CUresult CUDAAPI cuMemGetInfo_v2(size_t *free_bytes, size_t *total)
{
	FC_CTX_BEGIN(c);
	(void)c;
	if (!free_bytes || !total) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if ((r = fc_shm_lock_cu()))
		goto out;
	/* the driver has freed what dead processes held */
	fc_reclaim_locked(fc_g.shm);
	*total = fc_g.shm->params.memory;
	*free_bytes = fc_g.shm->mem_used < *total ? *total - fc_g.shm->mem_used : 0;
	fc_shm_unlock_cu();
out:
	fc_unlock();
	return r;
}

/* ---- linear device memory ---- */

FC_API CUresult CUDAAPI cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
	struct fc_alloc *a;

	FC_CTX_BEGIN(c);
	if (!dptr || !bytesize) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	r = fc_alloc_new(c, FC_A_DEVICE, bytesize, bytesize, &a);
	if (!r)
		*dptr = a->base;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes,
					   size_t Height, unsigned int ElementSizeBytes)
{
	struct fc_alloc *a;
	size_t pitch;

	FC_CTX_BEGIN(c);
	if (!dptr || !pPitch || !WidthInBytes || !Height ||
	    (ElementSizeBytes != 4 && ElementSizeBytes != 8 && ElementSizeBytes != 16) ||
	    WidthInBytes > SIZE_MAX - FC_PITCH_ALIGN) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	pitch = ROUND_UP(WidthInBytes, FC_PITCH_ALIGN);
	if (Height > SIZE_MAX / pitch) {
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	r = fc_alloc_new(c, FC_A_DEVICE, pitch * Height, pitch * Height, &a);
	if (!r) {
		*dptr = a->base;
		*pPitch = pitch;
	}
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags)
{
	struct fc_alloc *a;

	FC_CTX_BEGIN(c);
	if (!dptr || !bytesize || (flags != CU_MEM_ATTACH_GLOBAL && flags != CU_MEM_ATTACH_HOST)) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	/* charged at once, as if it all lived on the device */
	r = fc_alloc_new(c, FC_A_MANAGED, bytesize, bytesize, &a);
	if (!r)
		*dptr = a->base;
out:
	fc_unlock();
	return r;
}

static void fc_pool_block_free(struct fc_alloc *a);

FC_API CUresult CUDAAPI cuMemFree_v2(CUdeviceptr dptr)
{
	struct fc_alloc *a;

	FC_CTX_BEGIN(c);
	(void)c;
	if (!dptr)
		goto out;	/* freeing NULL does nothing */
	a = fc_alloc_at(dptr, false);
	if (!a)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (a->kind == FC_A_POOL)
		fc_pool_block_free(a);
	else
		fc_alloc_destroy(a, true);
out:
	fc_unlock();
	return r;
}

/* ---- page-locked host memory: not device memory ---- */

static CUresult fc_host_alloc(void **pp, size_t bytesize, unsigned int flags)
{
	struct fc_alloc *a;

	FC_CTX_BEGIN(c);
	if (!pp || !bytesize ||
	    (flags & ~(unsigned int)(CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP |
				     CU_MEMHOSTALLOC_WRITECOMBINED))) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	r = fc_alloc_new(c, FC_A_HOST, bytesize, 0, &a);
	if (!r)
		*pp = (void *)a->base;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemAllocHost_v2(void **pp, size_t bytesize)
{
	return fc_host_alloc(pp, bytesize, 0);
}

FC_API CUresult CUDAAPI cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags)
{
	return fc_host_alloc(pp, bytesize, Flags);
}

FC_API CUresult CUDAAPI cuMemFreeHost(void *p)
{
	struct fc_alloc *a;

	FC_CTX_BEGIN(c);
	(void)c;
	a = fc_alloc_at((uintptr_t)p, true);
	if (!a)
		r = CUDA_ERROR_INVALID_VALUE;
	else
		fc_alloc_destroy(a, false);
out:
	fc_unlock();
	return r;
}

/* ---- stream-ordered allocator and memory pools ---- */

static struct fc_pool *fc_pool_new(bool is_default, int location_type)
{
	struct fc_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->is_default = is_default;
	p->location_type = location_type;
	p->reuse[0] = p->reuse[1] = p->reuse[2] = 1;
	fc_list_add(&p->o, FC_T_POOL, NULL);
	return p;
}

CUresult fc_default_pool_get(struct fc_pool **out)
{
	if (!fc_g.default_pool) {
		fc_g.default_pool = fc_pool_new(true, CU_MEM_LOCATION_TYPE_DEVICE);
		if (!fc_g.default_pool)
			return CUDA_ERROR_OUT_OF_MEMORY;
	}
	if (!fc_g.current_pool)
		fc_g.current_pool = fc_g.default_pool;
	*out = fc_g.default_pool;
	return CUDA_SUCCESS;
}

static bool fc_pool_live(struct fc_pool *p)
{
	return p && fc_find(FC_T_POOL, p) == p;
}

static void fc_pool_release_block(struct fc_alloc *a)
{
	struct fc_pool *p = a->pool;

	p->reserved -= a->charged;
	fc_alloc_destroy(a, true);
}

/*
 * Give back cached blocks, the largest first, until at most @keep bytes stay
 * reserved (or nothing cached is left).
 */
static void fc_pool_trim(struct fc_pool *p, uint64_t keep)
{
	while (p->reserved > keep) {
		struct fc_alloc *big = NULL;
		struct fc_obj *o;

		for (o = fc_g.lists[FC_T_ALLOC].next; o != &fc_g.lists[FC_T_ALLOC]; o = o->next) {
			struct fc_alloc *a = (struct fc_alloc *)o;

			if (a->kind == FC_A_POOL && a->pool == p && a->cached &&
			    (!big || a->charged > big->charged))
				big = a;
		}
		if (!big)
			break;
		fc_pool_release_block(big);
	}
}

void fc_pools_release_to_threshold(void)
{
	struct fc_obj *o;

	for (o = fc_g.lists[FC_T_POOL].next; o != &fc_g.lists[FC_T_POOL]; o = o->next) {
		struct fc_pool *p = (struct fc_pool *)o;

		if (p->reserved > p->threshold)
			fc_pool_trim(p, p->threshold);
	}
}

/*
 * A block of the pool for @size bytes: a cached block that fits (the
 * smallest), else a new one of @size rounded up to the granularity, which
 * is what gets charged ("reserved").
 */
static CUresult fc_pool_alloc(struct fc_pool *p, struct fc_ctx *ctx, size_t size,
			      CUdeviceptr *out)
{
	size_t block = size > SIZE_MAX - FC_GRANULARITY ? 0 : ROUND_UP(size, FC_GRANULARITY);
	struct fc_alloc *best = NULL, *a;
	struct fc_obj *o;
	CUresult r;

	if (!block)
		return CUDA_ERROR_OUT_OF_MEMORY;
	for (o = fc_g.lists[FC_T_ALLOC].next; o != &fc_g.lists[FC_T_ALLOC]; o = o->next) {
		a = (struct fc_alloc *)o;
		if (a->kind == FC_A_POOL && a->pool == p && a->cached && a->charged >= block &&
		    (!best || a->charged < best->charged))
			best = a;
	}
	if (best) {
		a = best;
	} else {
		r = fc_alloc_new(ctx, FC_A_POOL, block, block, &a);
		if (r == CUDA_ERROR_OUT_OF_MEMORY) {
			/* what the pool caches goes back first, then try again */
			fc_pool_trim(p, 0);
			r = fc_alloc_new(ctx, FC_A_POOL, block, block, &a);
		}
		if (r)
			return r;
		a->pool = p;
		p->reserved += block;
		if (p->reserved > p->reserved_high)
			p->reserved_high = p->reserved;
	}
	a->cached = false;
	a->size = size;
	p->used += size;
	if (p->used > p->used_high)
		p->used_high = p->used;
	*out = a->base;
	return CUDA_SUCCESS;
}

static void fc_pool_block_free(struct fc_alloc *a)
{
	struct fc_pool *p = a->pool;

	p->used -= a->size;
	a->cached = true;
	if (!fc_pool_live(p)) {
		/* its pool was destroyed while this was in use */
		fc_pool_release_block(a);
		if (!p->reserved)
			free(p);
	}
}

static CUresult fc_alloc_async(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool,
			       bool use_pool, CUstream hStream, bool ptds)
{
	struct fc_stream *s;
	struct fc_pool *p;

	FC_CTX_BEGIN(c);
	if (!dptr || !bytesize) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if ((r = fc_stream_get(c, hStream, ptds, &s)))
		goto out;
	if (use_pool) {
		p = (struct fc_pool *)pool;
		if (!fc_pool_live(p)) {
			r = CUDA_ERROR_INVALID_VALUE;
			goto out;
		}
	} else {
		if ((r = fc_default_pool_get(&p)))
			goto out;
		p = fc_g.current_pool;
	}
	r = fc_pool_alloc(p, c, bytesize, dptr);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)
{
	return fc_alloc_async(dptr, bytesize, NULL, false, hStream, false);
}

FC_API CUresult CUDAAPI cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream hStream)
{
	return fc_alloc_async(dptr, bytesize, NULL, false, hStream, true);
}

FC_API CUresult CUDAAPI cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize,
						CUmemoryPool pool, CUstream hStream)
{
	return fc_alloc_async(dptr, bytesize, pool, true, hStream, false);
}

FC_API CUresult CUDAAPI cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize,
						     CUmemoryPool pool, CUstream hStream)
{
	return fc_alloc_async(dptr, bytesize, pool, true, hStream, true);
}

static CUresult fc_free_async(CUdeviceptr dptr, CUstream hStream, bool ptds)
{
	struct fc_stream *s;
	struct fc_alloc *a;

	FC_CTX_BEGIN(c);
	if ((r = fc_stream_get(c, hStream, ptds, &s)))
		goto out;
	a = fc_alloc_at(dptr, false);
	if (!a) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	/* the double frees at once rather than in stream order */
	if (a->kind == FC_A_POOL)
		fc_pool_block_free(a);
	else
		fc_alloc_destroy(a, true);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream)
{
	return fc_free_async(dptr, hStream, false);
}

FC_API CUresult CUDAAPI cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream)
{
	return fc_free_async(dptr, hStream, true);
}

FC_API CUresult CUDAAPI cuDeviceGetDefaultMemPool(CUmemoryPool *pool_out, CUdevice dev)
{
	struct fc_pool *p;

	FC_BEGIN();
	if (!pool_out)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!(r = fc_check_device(dev)) && !(r = fc_default_pool_get(&p)))
		*pool_out = (CUmemoryPool)p;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDeviceGetMemPool(CUmemoryPool *pool, CUdevice dev)
{
	struct fc_pool *p;

	FC_BEGIN();
	if (!pool)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!(r = fc_check_device(dev)) && !(r = fc_default_pool_get(&p)))
		*pool = (CUmemoryPool)fc_g.current_pool;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuDeviceSetMemPool(CUdevice dev, CUmemoryPool pool)
{
	struct fc_pool *p;

	FC_BEGIN();
	if ((r = fc_check_device(dev)) || (r = fc_default_pool_get(&p)))
		goto out;
	p = (struct fc_pool *)pool;
	if (!fc_pool_live(p) || p->location_type != CU_MEM_LOCATION_TYPE_DEVICE)
		r = CUDA_ERROR_INVALID_VALUE;
	else
		fc_g.current_pool = p;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemPoolCreate(CUmemoryPool *pool, const CUmemPoolProps *poolProps)
{
	struct fc_pool *p;

	FC_BEGIN();
	if (!pool || !poolProps || poolProps->allocType != CU_MEM_ALLOCATION_TYPE_PINNED) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (poolProps->location.type != CU_MEM_LOCATION_TYPE_DEVICE) {
		r = poolProps->location.type == CU_MEM_LOCATION_TYPE_HOST ||
		    poolProps->location.type == CU_MEM_LOCATION_TYPE_HOST_NUMA ?
			CUDA_ERROR_NOT_SUPPORTED : CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (poolProps->location.id != 0) {
		r = CUDA_ERROR_INVALID_DEVICE;
		goto out;
	}
	p = fc_pool_new(false, CU_MEM_LOCATION_TYPE_DEVICE);
	if (!p)
		r = CUDA_ERROR_OUT_OF_MEMORY;
	else
		*pool = (CUmemoryPool)p;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemPoolDestroy(CUmemoryPool pool)
{
	struct fc_pool *p = (struct fc_pool *)pool;

	FC_BEGIN();
	if (!fc_pool_live(p) || p->is_default) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (fc_g.current_pool == p)
		fc_g.current_pool = fc_g.default_pool;
	fc_pool_trim(p, 0);
	fc_list_del(&p->o);
	/* blocks still in use keep it until they are freed */
	if (!p->reserved)
		free(p);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemPoolTrimTo(CUmemoryPool pool, size_t minBytesToKeep)
{
	struct fc_pool *p = (struct fc_pool *)pool;

	FC_BEGIN();
	if (!fc_pool_live(p))
		r = CUDA_ERROR_INVALID_VALUE;
	else
		fc_pool_trim(p, minBytesToKeep);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemPoolSetAttribute(CUmemoryPool pool, CUmemPool_attribute attr, void *value)
{
	struct fc_pool *p = (struct fc_pool *)pool;

	FC_BEGIN();
	if (!fc_pool_live(p) || !value) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	switch (attr) {
	case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
	case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
	case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES:
		p->reuse[attr - CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES] = *(int *)value != 0;
		break;
	case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD:
		p->threshold = *(cuuint64_t *)value;
		break;
	case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH:
		/* only a reset (to 0: to the current value) is allowed */
		if (*(cuuint64_t *)value)
			r = CUDA_ERROR_INVALID_VALUE;
		else
			p->reserved_high = p->reserved;
		break;
	case CU_MEMPOOL_ATTR_USED_MEM_HIGH:
		if (*(cuuint64_t *)value)
			r = CUDA_ERROR_INVALID_VALUE;
		else
			p->used_high = p->used;
		break;
	default:
		r = CUDA_ERROR_INVALID_VALUE;	/* read-only or unknown */
	}
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemPoolGetAttribute(CUmemoryPool pool, CUmemPool_attribute attr, void *value)
{
	struct fc_pool *p = (struct fc_pool *)pool;

	FC_BEGIN();
	if (!fc_pool_live(p) || !value) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	switch (attr) {
	case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
	case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
	case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES:
		*(int *)value = p->reuse[attr - CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES];
		break;
	case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD: *(cuuint64_t *)value = p->threshold; break;
	case CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT: *(cuuint64_t *)value = p->reserved; break;
	case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH: *(cuuint64_t *)value = p->reserved_high; break;
	case CU_MEMPOOL_ATTR_USED_MEM_CURRENT: *(cuuint64_t *)value = p->used; break;
	case CU_MEMPOOL_ATTR_USED_MEM_HIGH: *(cuuint64_t *)value = p->used_high; break;
	default:
		r = CUDA_ERROR_INVALID_VALUE;
	}
out:
	fc_unlock();
	return r;
}

/* ---- virtual memory management ---- */

/* Location of a VMM property: 1 device, 0 host, <0 an error to return. */
static int fc_vmm_location(const CUmemLocation *l, CUresult *err)
{
	switch (l->type) {
	case CU_MEM_LOCATION_TYPE_DEVICE:
		if (l->id != 0) {
			*err = CUDA_ERROR_INVALID_DEVICE;
			return -1;
		}
		return 1;
	case CU_MEM_LOCATION_TYPE_HOST:
	case CU_MEM_LOCATION_TYPE_HOST_NUMA:
	case CU_MEM_LOCATION_TYPE_HOST_NUMA_CURRENT:
		return 0;
	default:
		*err = CUDA_ERROR_INVALID_VALUE;
		return -1;
	}
}

FC_API CUresult CUDAAPI cuMemGetAllocationGranularity(size_t *granularity,
						      const CUmemAllocationProp *prop,
						      CUmemAllocationGranularity_flags option)
{
	FC_BEGIN();
	if (!granularity || !prop || prop->type != CU_MEM_ALLOCATION_TYPE_PINNED ||
	    (option != CU_MEM_ALLOC_GRANULARITY_MINIMUM &&
	     option != CU_MEM_ALLOC_GRANULARITY_RECOMMENDED)) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (fc_vmm_location(&prop->location, &r) >= 0)
		*granularity = FC_GRANULARITY;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
				    const CUmemAllocationProp *prop, unsigned long long flags)
{
	struct fc_vmm_handle *h;
	int dev;

	FC_BEGIN();
	if (!handle || !prop || flags || prop->type != CU_MEM_ALLOCATION_TYPE_PINNED ||
	    !size || size % FC_GRANULARITY) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	dev = fc_vmm_location(&prop->location, &r);
	if (dev < 0)
		goto out;
	/* host-located memory is not device memory: nothing to charge */
	if (dev && (r = fc_charge(size, false)))
		goto out;
	h = calloc(1, sizeof(*h));
	if (h)
		h->fd = memfd_create("fakecuda-vmm", MFD_CLOEXEC);
	if (!h || h->fd < 0 || ftruncate(h->fd, (off_t)size) < 0) {
		if (h && h->fd >= 0)
			close(h->fd);
		free(h);
		if (dev)
			fc_uncharge(size, false);
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	h->size = size;
	h->device = dev;
	fc_list_add(&h->o, FC_T_VMM_HANDLE, NULL);
	*handle = (CUmemGenericAllocationHandle)(uintptr_t)h;
out:
	fc_unlock();
	return r;
}

static void fc_vmm_handle_destroy(struct fc_vmm_handle *h, bool uncharge)
{
	fc_list_del(&h->o);
	close(h->fd);
	if (uncharge && h->device)
		fc_uncharge(h->size, false);
	free(h);
}

static struct fc_vmm_handle *fc_vmm_handle_find(CUmemGenericAllocationHandle handle)
{
	struct fc_vmm_handle *h = fc_find(FC_T_VMM_HANDLE, (void *)(uintptr_t)handle);

	return h && !h->released ? h : NULL;
}

FC_API CUresult CUDAAPI cuMemRelease(CUmemGenericAllocationHandle handle)
{
	struct fc_vmm_handle *h;

	FC_BEGIN();
	h = fc_vmm_handle_find(handle);
	if (!h) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	/* the memory lives on while it is mapped */
	h->released = true;
	if (!h->maps)
		fc_vmm_handle_destroy(h, true);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment,
					    CUdeviceptr addr, unsigned long long flags)
{
	struct fc_vmm_reserve *v;
	uintptr_t base, start;
	size_t len;
	void *p;

	FC_BEGIN();
	if (!alignment)
		alignment = FC_GRANULARITY;
	if (!ptr || !size || size % FC_GRANULARITY || flags ||
	    (alignment & (alignment - 1)) || size > SIZE_MAX - alignment) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (alignment < FC_GRANULARITY)
		alignment = FC_GRANULARITY;
	len = size + alignment;
	p = mmap((void *)(uintptr_t)addr, len, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	v = p == MAP_FAILED ? NULL : calloc(1, sizeof(*v));
	if (!v) {
		if (p != MAP_FAILED)
			munmap(p, len);
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	base = (uintptr_t)p;
	start = ROUND_UP(base, alignment);
	if (start > base)
		munmap(p, start - base);
	if (base + len > start + size)
		munmap((void *)(start + size), base + len - (start + size));
	v->base = start;
	v->size = size;
	fc_list_add(&v->o, FC_T_VMM_RESERVE, NULL);
	*ptr = start;
out:
	fc_unlock();
	return r;
}

static bool fc_overlaps(uintptr_t a, size_t an, uintptr_t b, size_t bn)
{
	return a < b + bn && b < a + an;
}

FC_API CUresult CUDAAPI cuMemAddressFree(CUdeviceptr ptr, size_t size)
{
	struct fc_vmm_reserve *v = NULL;
	struct fc_obj *o;

	FC_BEGIN();
	for (o = fc_g.lists[FC_T_VMM_RESERVE].next; o != &fc_g.lists[FC_T_VMM_RESERVE]; o = o->next)
		if (((struct fc_vmm_reserve *)o)->base == ptr &&
		    ((struct fc_vmm_reserve *)o)->size == size)
			v = (struct fc_vmm_reserve *)o;
	if (!v) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	for (o = fc_g.lists[FC_T_VMM_MAP].next; o != &fc_g.lists[FC_T_VMM_MAP]; o = o->next)
		if (fc_overlaps(((struct fc_vmm_map *)o)->base, ((struct fc_vmm_map *)o)->size,
				v->base, v->size)) {
			r = CUDA_ERROR_INVALID_VALUE;	/* still mapped */
			goto out;
		}
	munmap((void *)v->base, v->size);
	fc_list_del(&v->o);
	free(v);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemMap(CUdeviceptr ptr, size_t size, size_t offset,
				 CUmemGenericAllocationHandle handle, unsigned long long flags)
{
	struct fc_vmm_handle *h;
	struct fc_vmm_map *m;
	struct fc_obj *o;
	bool inside = false;
	void *p;

	FC_BEGIN();
	h = fc_vmm_handle_find(handle);
	if (!h || flags || !size || size % FC_GRANULARITY || offset % FC_GRANULARITY ||
	    offset > h->size || size > h->size - offset || ptr % FC_GRANULARITY) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	for (o = fc_g.lists[FC_T_VMM_RESERVE].next; o != &fc_g.lists[FC_T_VMM_RESERVE]; o = o->next) {
		struct fc_vmm_reserve *v = (struct fc_vmm_reserve *)o;

		if (ptr >= v->base && ptr - v->base <= v->size && size <= v->size - (ptr - v->base))
			inside = true;
	}
	for (o = fc_g.lists[FC_T_VMM_MAP].next; o != &fc_g.lists[FC_T_VMM_MAP]; o = o->next)
		if (fc_overlaps(((struct fc_vmm_map *)o)->base, ((struct fc_vmm_map *)o)->size,
				ptr, size))
			inside = false;
	if (!inside) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	/* no access until cuMemSetAccess, as on the device */
	p = mmap((void *)(uintptr_t)ptr, size, PROT_NONE, MAP_SHARED | MAP_FIXED, h->fd,
		 (off_t)offset);
	if (p == MAP_FAILED) {
		free(m);
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	m->base = ptr;
	m->size = size;
	m->h = h;
	m->prot = PROT_NONE;
	h->maps++;
	fc_list_add(&m->o, FC_T_VMM_MAP, NULL);
out:
	fc_unlock();
	return r;
}

static void fc_vmm_map_destroy(struct fc_vmm_map *m, bool uncharge)
{
	struct fc_vmm_handle *h = m->h;

	/* back to a bare reservation */
	mmap((void *)m->base, m->size, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	fc_list_del(&m->o);
	free(m);
	if (--h->maps == 0 && h->released)
		fc_vmm_handle_destroy(h, uncharge);
}

/*
 * Every mapping that [@ptr, @ptr + @size) overlaps must lie wholly inside it
 * (CUDA_ERROR_INVALID_VALUE otherwise); *@covered: their bytes.
 */
static CUresult fc_vmm_whole_maps(uintptr_t ptr, size_t size, size_t *covered)
{
	struct fc_obj *o;

	*covered = 0;
	for (o = fc_g.lists[FC_T_VMM_MAP].next; o != &fc_g.lists[FC_T_VMM_MAP]; o = o->next) {
		struct fc_vmm_map *m = (struct fc_vmm_map *)o;

		if (!fc_overlaps(m->base, m->size, ptr, size))
			continue;
		if (m->base < ptr || m->base + m->size > ptr + size)
			return CUDA_ERROR_INVALID_VALUE;
		*covered += m->size;	/* never 0: cuMemMap refuses size 0 */
	}
	return CUDA_SUCCESS;
}

FC_API CUresult CUDAAPI cuMemUnmap(CUdeviceptr ptr, size_t size)
{
	struct fc_obj *o, *n;
	size_t covered;

	FC_BEGIN();
	/* whole mappings only */
	if ((r = fc_vmm_whole_maps(ptr, size, &covered)))
		goto out;
	if (!covered || !size) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	fc_foreach_safe(o, n, FC_T_VMM_MAP) {
		struct fc_vmm_map *m = (struct fc_vmm_map *)o;

		if (fc_overlaps(m->base, m->size, ptr, size))
			fc_vmm_map_destroy(m, true);
	}
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemSetAccess(CUdeviceptr ptr, size_t size, const CUmemAccessDesc *desc,
				       size_t count)
{
	struct fc_obj *o;
	size_t covered;
	int prot = -1;

	FC_BEGIN();
	if (!desc || !count || !size) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		int loc = fc_vmm_location(&desc[i].location, &r);

		if (loc < 0)
			goto out;
		if (loc == 0)
			continue;
		switch (desc[i].flags) {
		case CU_MEM_ACCESS_FLAGS_PROT_NONE: prot = PROT_NONE; break;
		case CU_MEM_ACCESS_FLAGS_PROT_READ: prot = PROT_READ; break;
		case CU_MEM_ACCESS_FLAGS_PROT_READWRITE: prot = PROT_READ | PROT_WRITE; break;
		default:
			r = CUDA_ERROR_INVALID_VALUE;
			goto out;
		}
	}
	/* the range must be mapped all through, by whole mappings */
	if ((r = fc_vmm_whole_maps(ptr, size, &covered)))
		goto out;
	if (covered != size) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (prot < 0)
		goto out;	/* only host entries: nothing the double tracks */
	for (o = fc_g.lists[FC_T_VMM_MAP].next; o != &fc_g.lists[FC_T_VMM_MAP]; o = o->next) {
		struct fc_vmm_map *m = (struct fc_vmm_map *)o;

		if (fc_overlaps(m->base, m->size, ptr, size)) {
			mprotect((void *)m->base, m->size, prot);
			m->prot = prot;
		}
	}
out:
	fc_unlock();
	return r;
}

/* ---- arrays: charged, no backing store ---- */

static size_t fc_format_bytes(CUarray_format f)
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
		return 0;	/* others (video, block-compressed): not simulated */
	}
}

#define FC_ARRAY3D_FLAGS (CUDA_ARRAY3D_LAYERED | CUDA_ARRAY3D_SURFACE_LDST | \
			  CUDA_ARRAY3D_CUBEMAP | CUDA_ARRAY3D_TEXTURE_GATHER | \
			  CUDA_ARRAY3D_DEPTH_TEXTURE | CUDA_ARRAY3D_COLOR_ATTACHMENT)

static size_t mul_sat(size_t a, size_t b)
{
	return a && b > SIZE_MAX / a ? SIZE_MAX : a * b;
}

/*
 * Bytes of an array of (w, h, d) with @levels mipmap levels; 0 if the
 * descriptor is not valid.  Layers (LAYERED, cubemap faces) are not halved.
 */
static size_t fc_array_bytes(const CUDA_ARRAY3D_DESCRIPTOR *d, unsigned int levels)
{
	size_t elem = fc_format_bytes(d->Format), w = d->Width, h = d->Height, z = d->Depth;
	size_t total = 0, layers = 1;
	bool layered = d->Flags & CUDA_ARRAY3D_LAYERED;

	if (!elem || !w || (d->NumChannels != 1 && d->NumChannels != 2 && d->NumChannels != 4) ||
	    (d->Flags & ~(unsigned int)FC_ARRAY3D_FLAGS) || (z && !h && !layered))
		return 0;
	elem *= d->NumChannels;
	if (d->Flags & CUDA_ARRAY3D_CUBEMAP) {
		if (w != h || (!layered && z != 6) || (layered && (!z || z % 6)))
			return 0;
	}
	if (layered || (d->Flags & CUDA_ARRAY3D_CUBEMAP)) {
		if (!z)
			return 0;
		layers = z;
		z = 1;
	}
	for (unsigned int l = 0; l < levels; l++) {
		size_t lw = w >> l ? w >> l : 1, lh = h ? (h >> l ? h >> l : 1) : 1;
		size_t lz = z ? (z >> l ? z >> l : 1) : 1;
		size_t b = mul_sat(mul_sat(mul_sat(mul_sat(lw, lh), lz), layers), elem);

		total = b > SIZE_MAX - total ? SIZE_MAX : total + b;
	}
	return total;
}

static CUresult fc_array_create(void **out, const CUDA_ARRAY3D_DESCRIPTOR *d,
				unsigned int levels, bool mipmapped)
{
	struct fc_array *a;
	size_t bytes;

	FC_CTX_BEGIN(c);
	if (!out || !d) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (mipmapped) {
		size_t m = d->Width > d->Height ? d->Width : d->Height;
		unsigned int max_levels = 1;

		if (!(d->Flags & CUDA_ARRAY3D_LAYERED) && d->Depth > m)
			m = d->Depth;
		while (m >>= 1)
			max_levels++;
		if (!levels || levels > max_levels) {
			r = CUDA_ERROR_INVALID_VALUE;
			goto out;
		}
	}
	bytes = fc_array_bytes(d, levels);
	if (!bytes) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	if ((r = fc_charge(bytes, false))) {
		free(a);
		goto out;
	}
	a->bytes = bytes;
	a->mipmapped = mipmapped;
	fc_list_add(&a->o, FC_T_ARRAY, c);
	*out = a;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuArrayCreate_v2(CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR *pAllocateArray)
{
	CUDA_ARRAY3D_DESCRIPTOR d;

	if (!pAllocateArray)
		return fc_array_create((void **)pHandle, NULL, 1, false);
	d = (CUDA_ARRAY3D_DESCRIPTOR){
		.Width = pAllocateArray->Width,
		.Height = pAllocateArray->Height,
		.Format = pAllocateArray->Format,
		.NumChannels = pAllocateArray->NumChannels,
	};
	return fc_array_create((void **)pHandle, &d, 1, false);
}

FC_API CUresult CUDAAPI cuArray3DCreate_v2(CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *pAllocateArray)
{
	return fc_array_create((void **)pHandle, pAllocateArray, 1, false);
}

FC_API CUresult CUDAAPI cuMipmappedArrayCreate(CUmipmappedArray *pHandle,
					       const CUDA_ARRAY3D_DESCRIPTOR *pMipmappedArrayDesc,
					       unsigned int numMipmapLevels)
{
	return fc_array_create((void **)pHandle, pMipmappedArrayDesc, numMipmapLevels, true);
}

static void fc_array_destroy(struct fc_array *a, bool uncharge)
{
	fc_list_del(&a->o);
	if (uncharge)
		fc_uncharge(a->bytes, false);
	free(a);
}

static CUresult fc_array_free(void *h, bool mipmapped)
{
	struct fc_array *a;

	FC_BEGIN();
	a = fc_find(FC_T_ARRAY, h);
	if (!a || a->mipmapped != mipmapped)
		r = CUDA_ERROR_INVALID_HANDLE;
	else
		fc_array_destroy(a, true);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuArrayDestroy(CUarray hArray)
{
	return fc_array_free(hArray, false);
}

FC_API CUresult CUDAAPI cuMipmappedArrayDestroy(CUmipmappedArray hMipmappedArray)
{
	return fc_array_free(hMipmappedArray, true);
}

/* ---- copies and sets: synchronous, no GPU time ---- */

enum fc_copy_kind { FC_HTOD, FC_DTOH, FC_DTOD, FC_ANY };

/*
 * The start of a copy or memset, fc_lock held: a synchronous one first
 * waits, like the driver's, for the work queued on the default stream
 * (fc_lock dropped meanwhile, *@c the current context again after it); an
 * asynchronous one finds its stream (@hStream valid), *@s.
 */
static CUresult fc_copy_start(struct fc_ctx **c, bool async, CUstream hStream,
			      bool per_thread, struct fc_stream **s)
{
	uint64_t until;

	if (async)
		return fc_stream_get(*c, hStream, per_thread, s);
	until = fc_sync_copy_deadline(*c, per_thread);
	fc_unlock();
	fc_wait_until(until);
	fc_lock();
	return fc_current(c);
}

static CUresult fc_copy(uintptr_t dst, uintptr_t src, size_t n, enum fc_copy_kind k,
			bool async, CUstream hStream, bool per_thread)
{
	struct fc_stream *s;

	FC_CTX_BEGIN(c);
	if ((r = fc_copy_start(&c, async, hStream, per_thread, &s)))
		goto out;
	if (!n)
		goto out;
	switch (k) {
	case FC_HTOD:
		if (!src || !fc_dev_range_ok(dst, n, true))
			r = CUDA_ERROR_INVALID_VALUE;
		break;
	case FC_DTOH:
		if (!dst || !fc_dev_range_ok(src, n, false))
			r = CUDA_ERROR_INVALID_VALUE;
		break;
	case FC_DTOD:
		if (!fc_dev_range_ok(dst, n, true) || !fc_dev_range_ok(src, n, false))
			r = CUDA_ERROR_INVALID_VALUE;
		break;
	case FC_ANY:
		if (!fc_any_range_ok(dst, n, true) || !fc_any_range_ok(src, n, false))
			r = CUDA_ERROR_INVALID_VALUE;
		break;
	}
	if (!r)
		memmove((void *)dst, (const void *)src, n);
out:
	fc_unlock();
	return r;
}

#define H(p) ((uintptr_t)(p))

FC_API CUresult CUDAAPI cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)
{
	return fc_copy(dstDevice, H(srcHost), ByteCount, FC_HTOD, false, NULL, false);
}

FC_API CUresult CUDAAPI cuMemcpyHtoD_v2_ptds(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)
{
	return fc_copy(dstDevice, H(srcHost), ByteCount, FC_HTOD, false, NULL, true);
}

FC_API CUresult CUDAAPI cuMemcpyDtoH_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount)
{
	return fc_copy(H(dstHost), srcDevice, ByteCount, FC_DTOH, false, NULL, false);
}

FC_API CUresult CUDAAPI cuMemcpyDtoH_v2_ptds(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount)
{
	return fc_copy(H(dstHost), srcDevice, ByteCount, FC_DTOH, false, NULL, true);
}

FC_API CUresult CUDAAPI cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount)
{
	return fc_copy(dstDevice, srcDevice, ByteCount, FC_DTOD, false, NULL, false);
}

FC_API CUresult CUDAAPI cuMemcpyDtoD_v2_ptds(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount)
{
	return fc_copy(dstDevice, srcDevice, ByteCount, FC_DTOD, false, NULL, true);
}

FC_API CUresult CUDAAPI cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount)
{
	return fc_copy(dst, src, ByteCount, FC_ANY, false, NULL, false);
}

FC_API CUresult CUDAAPI cuMemcpy_ptds(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount)
{
	return fc_copy(dst, src, ByteCount, FC_ANY, false, NULL, true);
}

FC_API CUresult CUDAAPI cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost,
					     size_t ByteCount, CUstream hStream)
{
	return fc_copy(dstDevice, H(srcHost), ByteCount, FC_HTOD, true, hStream, false);
}

FC_API CUresult CUDAAPI cuMemcpyHtoDAsync_v2_ptsz(CUdeviceptr dstDevice, const void *srcHost,
						  size_t ByteCount, CUstream hStream)
{
	return fc_copy(dstDevice, H(srcHost), ByteCount, FC_HTOD, true, hStream, true);
}

FC_API CUresult CUDAAPI cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount,
					     CUstream hStream)
{
	return fc_copy(H(dstHost), srcDevice, ByteCount, FC_DTOH, true, hStream, false);
}

FC_API CUresult CUDAAPI cuMemcpyDtoHAsync_v2_ptsz(void *dstHost, CUdeviceptr srcDevice,
						  size_t ByteCount, CUstream hStream)
{
	return fc_copy(H(dstHost), srcDevice, ByteCount, FC_DTOH, true, hStream, true);
}

FC_API CUresult CUDAAPI cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice,
					     size_t ByteCount, CUstream hStream)
{
	return fc_copy(dstDevice, srcDevice, ByteCount, FC_DTOD, true, hStream, false);
}

FC_API CUresult CUDAAPI cuMemcpyDtoDAsync_v2_ptsz(CUdeviceptr dstDevice, CUdeviceptr srcDevice,
						  size_t ByteCount, CUstream hStream)
{
	return fc_copy(dstDevice, srcDevice, ByteCount, FC_DTOD, true, hStream, true);
}

FC_API CUresult CUDAAPI cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount,
				      CUstream hStream)
{
	return fc_copy(dst, src, ByteCount, FC_ANY, true, hStream, false);
}

FC_API CUresult CUDAAPI cuMemcpyAsync_ptsz(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount,
					   CUstream hStream)
{
	return fc_copy(dst, src, ByteCount, FC_ANY, true, hStream, true);
}

static CUresult fc_set(CUdeviceptr dst, uint32_t v, unsigned int width, size_t n, bool async,
		       CUstream hStream, bool per_thread)
{
	struct fc_stream *s;

	FC_CTX_BEGIN(c);
	if ((r = fc_copy_start(&c, async, hStream, per_thread, &s)))
		goto out;
	if (dst % width) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (!n)
		goto out;
	if (n > SIZE_MAX / width || !fc_dev_range_ok(dst, n * width, true)) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (width == 1) {
		memset((void *)(uintptr_t)dst, (int)v, n);
	} else if (width == 2) {
		uint16_t *p = (uint16_t *)(uintptr_t)dst;

		for (size_t i = 0; i < n; i++)
			p[i] = (uint16_t)v;
	} else {
		uint32_t *p = (uint32_t *)(uintptr_t)dst;

		for (size_t i = 0; i < n; i++)
			p[i] = v;
	}
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, size_t N)
{
	return fc_set(dstDevice, uc, 1, N, false, NULL, false);
}

FC_API CUresult CUDAAPI cuMemsetD8_v2_ptds(CUdeviceptr dstDevice, unsigned char uc, size_t N)
{
	return fc_set(dstDevice, uc, 1, N, false, NULL, true);
}

FC_API CUresult CUDAAPI cuMemsetD16_v2(CUdeviceptr dstDevice, unsigned short us, size_t N)
{
	return fc_set(dstDevice, us, 2, N, false, NULL, false);
}

FC_API CUresult CUDAAPI cuMemsetD16_v2_ptds(CUdeviceptr dstDevice, unsigned short us, size_t N)
{
	return fc_set(dstDevice, us, 2, N, false, NULL, true);
}

FC_API CUresult CUDAAPI cuMemsetD32_v2(CUdeviceptr dstDevice, unsigned int ui, size_t N)
{
	return fc_set(dstDevice, ui, 4, N, false, NULL, false);
}

FC_API CUresult CUDAAPI cuMemsetD32_v2_ptds(CUdeviceptr dstDevice, unsigned int ui, size_t N)
{
	return fc_set(dstDevice, ui, 4, N, false, NULL, true);
}

FC_API CUresult CUDAAPI cuMemsetD8Async(CUdeviceptr dstDevice, unsigned char uc, size_t N,
					CUstream hStream)
{
	return fc_set(dstDevice, uc, 1, N, true, hStream, false);
}

FC_API CUresult CUDAAPI cuMemsetD8Async_ptsz(CUdeviceptr dstDevice, unsigned char uc, size_t N,
					     CUstream hStream)
{
	return fc_set(dstDevice, uc, 1, N, true, hStream, true);
}

FC_API CUresult CUDAAPI cuMemsetD16Async(CUdeviceptr dstDevice, unsigned short us, size_t N,
					 CUstream hStream)
{
	return fc_set(dstDevice, us, 2, N, true, hStream, false);
}

FC_API CUresult CUDAAPI cuMemsetD16Async_ptsz(CUdeviceptr dstDevice, unsigned short us, size_t N,
					      CUstream hStream)
{
	return fc_set(dstDevice, us, 2, N, true, hStream, true);
}

FC_API CUresult CUDAAPI cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N,
					 CUstream hStream)
{
	return fc_set(dstDevice, ui, 4, N, true, hStream, false);
}

FC_API CUresult CUDAAPI cuMemsetD32Async_ptsz(CUdeviceptr dstDevice, unsigned int ui, size_t N,
					      CUstream hStream)
{
	return fc_set(dstDevice, ui, 4, N, true, hStream, true);
}

/* ---- teardown ---- */

void fc_mem_ctx_cleanup(struct fc_ctx *ctx)
{
	struct fc_obj *o, *n;

	/* a context's allocations die with it; pool blocks belong to their pool */
	fc_foreach_safe(o, n, FC_T_ALLOC) {
		struct fc_alloc *a = (struct fc_alloc *)o;

		if (o->ctx == ctx && a->kind != FC_A_POOL)
			fc_alloc_destroy(a, true);
	}
	fc_foreach_safe(o, n, FC_T_ARRAY)
		if (o->ctx == ctx)
			fc_array_destroy((struct fc_array *)o, true);
}

void fc_mem_forget_all(void)
{
	struct fc_obj *o, *n;

	fc_foreach_safe(o, n, FC_T_ALLOC)
		fc_alloc_destroy((struct fc_alloc *)o, false);
	fc_foreach_safe(o, n, FC_T_ARRAY)
		fc_array_destroy((struct fc_array *)o, false);
	fc_foreach_safe(o, n, FC_T_VMM_MAP) {
		struct fc_vmm_map *m = (struct fc_vmm_map *)o;

		m->h->released = true;
		fc_vmm_map_destroy(m, false);
	}
	fc_foreach_safe(o, n, FC_T_VMM_HANDLE)
		fc_vmm_handle_destroy((struct fc_vmm_handle *)o, false);
	fc_foreach_safe(o, n, FC_T_VMM_RESERVE) {
		struct fc_vmm_reserve *v = (struct fc_vmm_reserve *)o;

		munmap((void *)v->base, v->size);
		fc_list_del(o);
		free(v);
	}
	fc_foreach_safe(o, n, FC_T_POOL) {
		fc_list_del(o);
		free(o);
	}
}
