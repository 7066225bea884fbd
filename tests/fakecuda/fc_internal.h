/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fakecuda (vgpu's CUDA driver test double): internals of libcuda.so.1.
 *
 * cuda.h is included with __CUDA_API_VERSION_INTERNAL so that none of its
 * name-to-version macros apply: every function here is defined under the
 * ABI name the real libcuda.so.1 exports (cuMemAlloc_v2, cuLaunchKernel_ptsz,
 * plain cuCtxCreate for the old version...), and cuda.h declares each of
 * them, so the compiler checks every signature.
 *
 * Exported functions (FC_API) never call each other: an interposer loaded
 * with LD_PRELOAD must see exactly the calls the application makes.  They
 * call the static/hidden fc_* functions instead.
 */
#ifndef FC_INTERNAL_H
#define FC_INTERNAL_H

#define __CUDA_API_VERSION_INTERNAL 1
#include <cuda.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fc_shm.h"
#include "fakecuda.h"

#define FC_API __attribute__((visibility("default")))
#define FC_HIDDEN __attribute__((visibility("hidden")))

#define FC_DEVICE_NAME "vgpu fakecuda test double"
#define FC_DRIVER_VERSION 13000
#define FC_GRANULARITY (2ULL << 20)	/* VMM and pool granularity */
#define FC_PITCH_ALIGN 512

enum fc_type {
	FC_T_CTX,
	FC_T_STREAM,
	FC_T_EVENT,
	FC_T_MODULE,
	FC_T_FUNC,
	FC_T_LIBRARY,
	FC_T_KERNEL,
	FC_T_ALLOC,	/* device, managed, pitched, pool and host allocations */
	FC_T_POOL,
	FC_T_VMM_HANDLE,
	FC_T_VMM_RESERVE,
	FC_T_VMM_MAP,
	FC_T_ARRAY,
	FC_T_GRAPH,
	FC_T_NODE,
	FC_T_EXEC,
	FC_T_COUNT
};

/* Every handle is one of these, on its type's list; handles are found by
 * walking the list, never by dereferencing what the caller passed. */
struct fc_obj {
	struct fc_obj *next, *prev;
	enum fc_type type;
	struct fc_ctx *ctx;	/* owning context, or NULL */
};

struct fc_stream;

struct fc_ctx {
	struct fc_obj o;
	unsigned int flags;
	bool primary;
	bool alive;
	unsigned long long id;
	uint64_t charged;		/* FAKECUDA_CTX_OVERHEAD taken */
	struct fc_stream *legacy;	/* the NULL stream */
	uint64_t last_end;		/* end of all queued work */
	uint64_t blocking_end;		/* of work on blocking streams */
};

struct fc_stream {
	struct fc_obj o;
	unsigned int flags;
	int priority;
	bool legacy;		/* the context's NULL stream */
	bool per_thread;	/* a thread's default stream */
	pthread_t owner;
	uint64_t last_end;
};

struct fc_event {
	struct fc_obj o;
	unsigned int flags;
	bool recorded;
	uint64_t t;
};

struct fc_module {
	struct fc_obj o;
};

struct fc_library {
	struct fc_obj o;
};

struct fc_kernel {
	struct fc_obj o;
	struct fc_library *lib;
	char *name;
};

struct fc_func {
	struct fc_obj o;
	struct fc_module *mod;		/* or NULL: from a kernel */
	struct fc_kernel *kern;		/* or NULL: from a module */
	char *name;
};

enum fc_alloc_kind {
	FC_A_DEVICE,
	FC_A_MANAGED,
	FC_A_POOL,
	FC_A_HOST,
};

struct fc_pool;

struct fc_alloc {
	struct fc_obj o;
	enum fc_alloc_kind kind;
	uintptr_t base;
	size_t size;		/* usable bytes */
	size_t charged;		/* device bytes charged (pool: block size) */
	size_t maplen;
	struct fc_pool *pool;
	bool cached;		/* pool block not in use */
};

struct fc_pool {
	struct fc_obj o;
	bool is_default;
	int location_type;
	uint64_t threshold;
	uint64_t reserved, reserved_high;
	uint64_t used, used_high;
	int reuse[3];
};

struct fc_vmm_handle {
	struct fc_obj o;
	size_t size;
	int fd;
	bool device;		/* charged as device memory */
	bool released;
	unsigned int maps;
};

struct fc_vmm_reserve {
	struct fc_obj o;
	uintptr_t base;
	size_t size;
};

struct fc_vmm_map {
	struct fc_obj o;
	uintptr_t base;
	size_t size;
	struct fc_vmm_handle *h;
	int prot;
};

struct fc_array {
	struct fc_obj o;
	bool mipmapped;
	uint64_t bytes;
};

struct fc_graph {
	struct fc_obj o;
	size_t n, cap;
	struct fc_node **nodes;
};

struct fc_node {
	struct fc_obj o;
	struct fc_graph *graph;
	bool kernel;
	uint64_t dur_ns;
};

struct fc_exec {
	struct fc_obj o;
	size_t n;		/* kernel nodes */
	uint64_t *dur_ns;
};

struct fc_global {
	pthread_mutex_t lock;		/* all of this process's state */
	bool initialized;
	CUresult init_error;		/* sticky cuInit failure */
	struct fc_shared *shm;
	int self;			/* our entry in shm->procs */
	char shm_name[NAME_MAX + 1];
	struct fc_obj lists[FC_T_COUNT];
	struct fc_ctx *primary;
	unsigned int primary_refs;
	unsigned int primary_flags;
	struct fc_pool *default_pool;
	struct fc_pool *current_pool;
	unsigned long long next_ctx_id;
};

extern struct fc_global fc_g FC_HIDDEN;

/* process state lock; the shared-state lock nests inside it */
void fc_lock(void) FC_HIDDEN;
void fc_unlock(void) FC_HIDDEN;
CUresult fc_shm_lock_cu(void) FC_HIDDEN;
void fc_shm_unlock_cu(void) FC_HIDDEN;

void fc_list_add(struct fc_obj *o, enum fc_type t, struct fc_ctx *ctx) FC_HIDDEN;
void fc_list_del(struct fc_obj *o) FC_HIDDEN;
void *fc_find(enum fc_type t, const void *handle) FC_HIDDEN;
#define fc_foreach_safe(o, n, t) \
	for ((o) = fc_g.lists[t].next, (n) = (o)->next; (o) != &fc_g.lists[t]; \
	     (o) = (n), (n) = (o)->next)

/* With fc_lock held: CUDA_ERROR_NOT_INITIALIZED unless cuInit succeeded. */
CUresult fc_check_init(void) FC_HIDDEN;
/* With fc_lock held: the calling thread's current, live context. */
CUresult fc_current(struct fc_ctx **out) FC_HIDDEN;

/*
 * The start of an entry point after its declarations: declares the result
 * r and takes fc_lock; a failure (here: no cuInit) goes to the function's
 * "out:" label, which unlocks and returns r.
 */
#define FC_BEGIN() \
	CUresult r; \
	fc_lock(); \
	if ((r = fc_check_init())) \
		goto out

/* FC_BEGIN(), then c, the calling thread's current context. */
#define FC_CTX_BEGIN(c) \
	struct fc_ctx *c; \
	FC_BEGIN(); \
	if ((r = fc_current(&c))) \
		goto out
CUresult fc_check_device(CUdevice dev) FC_HIDDEN;

/* device memory accounting (fc_lock held) */
CUresult fc_charge(uint64_t bytes, bool ctx) FC_HIDDEN;
void fc_uncharge(uint64_t bytes, bool ctx) FC_HIDDEN;

/* streams and the timeline (fc_lock held) */
CUresult fc_stream_get(struct fc_ctx *ctx, CUstream h, bool ptds, struct fc_stream **out) FC_HIDDEN;
CUresult fc_queue_kernels(struct fc_ctx *ctx, struct fc_stream *s, const uint64_t *dur,
			  size_t n) FC_HIDDEN;
/* when work a synchronous copy must wait for ends */
uint64_t fc_sync_copy_deadline(struct fc_ctx *ctx, bool ptds) FC_HIDDEN;
void fc_wait_until(uint64_t t_ns) FC_HIDDEN;
void fc_pools_release_to_threshold(void) FC_HIDDEN;

/* release everything a context owns (fc_lock held) */
void fc_exec_ctx_cleanup(struct fc_ctx *ctx) FC_HIDDEN;
void fc_mem_ctx_cleanup(struct fc_ctx *ctx) FC_HIDDEN;
/* forget all state inherited over fork, charging nothing back */
void fc_mem_forget_all(void) FC_HIDDEN;
void fc_exec_forget_all(void) FC_HIDDEN;

CUresult fc_default_pool_get(struct fc_pool **out) FC_HIDDEN;

/* messages: "fakecuda: <what>" once per call site kind */
#define fc_msg(...) fprintf(stderr, "fakecuda: " __VA_ARGS__)

#endif
