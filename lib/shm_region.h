/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Layout of the shm backend's region (one per GPU).  Pointer-free: every
 * reference is an index, so each process maps it where it likes.  Any
 * change of this layout bumps VSHM_LAYOUT; a region of another layout is
 * refused, never reinterpreted.
 */
#ifndef VGPU_LIB_SHM_REGION_H
#define VGPU_LIB_SHM_REGION_H

#include <pthread.h>

#include "../kmod/core/arbiter_core.h"
#include "internal.h"

#define VSHM_MAGIC	0x4d48532d55504756ULL	/* "VGPU-SHM" */
#define VSHM_MAGIC_INIT	0x494e492d55504756ULL	/* "VGPU-INI": being initialised */
#define VSHM_LAYOUT	1
#define VSHM_SLICES	64
#define VSHM_CLIENTS	256
#define VSHM_KEY_MAX	VGPU_SLICE_NAME_MAX
/* OFD lock bytes: 0 initialisation, VSHM_LOCK_BASE + i record i's owner */
#define VSHM_LOCK_BASE	1

enum { VSHM_FREE = 0, VSHM_LIVE = 1 };

struct vshm_slice {
	char key[VSHM_KEY_MAX];		/* VGPU_SLICE, or the cgroup path */
	u32 used;			/* written last when registering */
	u32 vac;			/* index in the core's slices */
	u64 quota;
	u32 weight;
	u32 cap;
	u32 priority;
	u32 mem_mode;
	u64 timeslice_ns;
	u64 mem_used;			/* the ledger: sum of its records' charges */
	u64 mem_peak;
	u64 refused;
	u64 over_quota;
	u64 ctx_mem;
	u32 nr_clients;
	int32_t creator_pid;
};

struct vshm_client {
	u32 state;			/* VSHM_*, written last */
	u32 slice;
	u32 ctx;			/* index in the core's contexts */
	int32_t pid;			/* for messages only: liveness is the OFD lock */
	u64 charged;			/* bytes, context memory included when charged */
	u64 ctx_mem;
	u64 ctx_charged;
	u64 attached_ns;
	struct vgpu_status_page status;	/* seq is also the futex word */
	u64 pad[3];
};

struct vshm_region {
	u64 magic;
	u32 layout;
	u32 size;
	u32 mutex_size;
	u32 creator_uid;
	pthread_mutex_t lock;		/* robust, process-shared: everything below */
	u64 gpu_memory;
	u32 gpu_sms;
	u32 policy;			/* enum vac_policy */
	u64 timeslice_ns;
	u64 period_ns;
	u64 next_event;			/* vac_next_event(), for the waiters */
	u64 last_reap;
	struct vac_state st;
	u32 ctx_owner[VSHM_CLIENTS];	/* core context -> record */
	u32 heap[VSHM_SLICES];
	struct vac_slice vslices[VSHM_SLICES];
	struct vac_ctx vctxs[VSHM_CLIENTS];
	struct vshm_slice slices[VSHM_SLICES];
	struct vshm_client clients[VSHM_CLIENTS];
};

#endif /* VGPU_LIB_SHM_REGION_H */
