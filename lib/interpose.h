/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Interposer internals: the real driver's functions, per-device state, and
 * the hooks' declarations (generated from hooks.h).
 *
 * cuda.h is included with __CUDA_API_VERSION_INTERNAL so that its
 * name-to-version macros do not apply: the wrappers are defined under the
 * ABI names (cuMemAlloc_v2, cuLaunchKernel_ptsz, ...) and cuda.h's own
 * declarations of those names check every signature.
 */
#ifndef VGPU_LIB_INTERPOSE_H
#define VGPU_LIB_INTERPOSE_H

#define __CUDA_API_VERSION_INTERNAL 1
#include <cuda.h>

#include "hooks.h"
#include "internal.h"

#define H_ALWAYS 1u

enum vgpu_hook_id {
#define X(name, flags, params, args) VH_##name,
	VGPU_HOOKS(X)
#undef X
	VH_COUNT
};

enum vgpu_use_id {
#define X(name) VU_##name,
	VGPU_USES(X)
#undef X
	VU_COUNT
};

/* The real driver: resolved once (pthread_once), read-only afterwards. */
extern void *vgpu_real[VH_COUNT];
extern void *vgpu_used[VU_COUNT];
extern void *const vgpu_wrappers[VH_COUNT];
extern const char *const vgpu_hook_names[VH_COUNT];

#define X(name, flags, params, args) typedef CUresult (CUDAAPI *vh_##name##_fn) params;
VGPU_HOOKS(X)
#undef X
#define X(name) typedef __typeof__(&name) vu_##name##_fn;
VGPU_USES(X)
#undef X

#define REAL(name) ((vh_##name##_fn)vgpu_real[VH_##name])
#define USE(name) ((vu_##name##_fn)vgpu_used[VU_##name])

/* Each hook's behaviour. */
#define X(name, flags, params, args) CUresult vh_##name params;
VGPU_HOOKS(X)
#undef X

#define VGPU_MAX_DEVICES 16
#define VGPU_MARKERS 8

/* An event recorded after launches: when the GPU reached that point. */
struct vgpu_marker {
	CUevent ev;
	u64 t_submit;		/* CLOCK_MONOTONIC when recorded (contended), or 0 */
	u32 launches;		/* launches it covers (since the previous marker) */
	bool b2b;		/* recorded while the previous was still pending */
	bool done;
};

struct vgpu_dev {
	/* the launch fast path reads these */
	struct vgpu_slice *slice;
	bool contended;		/* others waited when we last looked */
	u32 pace_every;		/* launches per marker when uncontended */

	int ordinal;
	u64 total_mem;		/* the GPU's */
	u64 granularity;	/* VMM / pool */
	u32 sms;
	struct vgpu_slice_policy pol;

	/* launches and leases, under xlock */
	pthread_mutex_t xlock;
	u64 grant_ns;
	u64 kept_deadline;	/* released with yield and kept at this deadline */
	u64 d_est;		/* GPU ns per launch, measured */
	u64 pace_ns;		/* uncontended queue bound per marker */
	CUcontext xctx;		/* context of the markers */
	bool xbroken;		/* markers unusable in xctx */
	struct vgpu_marker ring[VGPU_MARKERS];
	u32 head;		/* oldest outstanding */
	u32 count;		/* outstanding */
	u32 last;		/* most recent recorded, for b2b */
	bool have_last;

	/* contexts */
	CUcontext primary;
	u32 primary_refs;
	u64 ctx_mem;
};

struct vgpu_state {
	bool ready;		/* cuInit went through and the slices are open */
	bool closed;		/* exiting: hooks pass through */
	CUresult init_err;	/* sticky: every hook returns it */
	int ndev;
	struct vgpu_dev dev[VGPU_MAX_DEVICES];
	struct vgpu_slice_policy env[VGPU_MAX_DEVICES];	/* read once */
	pthread_mutex_t init_lock;
};

extern struct vgpu_state vg;

/* Initialise now if the driver was initialised behind our back. */
CUresult vgpu_late_init(void);

/* The device of the calling thread's context (NULL: none). */
struct vgpu_dev *vgpu_cur_dev(void);
struct vgpu_dev *vgpu_dev_of(CUdevice d);

/*
 * dlsym.c: the next dlsym's answer (never our own hook: libvgpu must not
 * call dlsym by name, which would come back through the hook).
 */
void *vgpu_dlsym_real(void *handle, const char *name);

/* mem.c */
CUresult vgpu_mem_err(int e);
void vgpu_mem_ctx_gone(CUcontext ctx);
void vgpu_pools_reconcile(void);
void vgpu_mem_fork_child(void);
CUresult vgpu_ctx_created(struct vgpu_dev *d, CUcontext ctx, bool was_current, u64 free_before,
			  bool primary);

/* exec.c */
void vgpu_exec_ctx_gone(struct vgpu_dev *d, CUcontext ctx);
void vgpu_exec_exit(void);
void vgpu_exec_fork_child(void);

#endif /* VGPU_LIB_INTERPOSE_H */
