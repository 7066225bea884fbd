/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libvgpu: the userspace side of vgpu slices.
 *
 * A slice is a tenant's share of one GPU: a memory quota, a compute share
 * (weight, optional cap, priority, time slice).  libvgpu enforces it inside
 * every process of the tenant, through one of two backends with one
 * contract:
 *
 *   kernel  /dev/vgpu/<uuid> of vgpu.ko: the module keeps the ledger and
 *           arbitrates leases; the slice's parameters are the operator's.
 *   shm     a POSIX shared-memory region per GPU, for hosts where no module
 *           can be loaded: the same arbiter core as the module, a ledger and
 *           per-process records, robust against a process dying anywhere.
 *
 * The library is also an interposer of the CUDA driver API (LD_PRELOAD it,
 * or link it before libcuda): every device allocation is charged to the
 * slice before it happens, memory information is the slice's, and kernel
 * launches run under a time-slice lease.  See docs/libvgpu.md.
 *
 * Conventions (libbpf style): opaque handles; int-returning calls give 0 (or
 * a documented positive value) on success and a negative errno on failure;
 * structures passed in or out begin with their size (`sz`, set it with
 * VGPU_OPTS() or to sizeof), so that they can grow; every symbol carries the
 * version node VGPU_1.0.
 *
 * Lease protocol: vgpu_lease_acquire() waits for the right to submit work to
 * the GPU and returns its generation; vgpu_lease_valid() tells without a
 * system call whether it still holds (generation unchanged, CLOCK_MONOTONIC
 * before the deadline); vgpu_lease_release() gives it back with the GPU time
 * used under it; vgpu_lease_report() reports GPU time without releasing,
 * also for a lease that already ended (work that ran past its deadline is
 * charged to the slice).
 */
#ifndef VGPU_VGPU_H
#define VGPU_VGPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef VGPU_API
#define VGPU_API __attribute__((visibility("default")))
#endif

#define VGPU_VERSION_MAJOR 1
#define VGPU_VERSION_MINOR 0

/* Declare and initialise an options or output structure. */
#define VGPU_OPTS(TYPE, NAME, ...)					\
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

struct vgpu_slice;

enum vgpu_backend {
	VGPU_BACKEND_AUTO = 0,	/* kernel if /dev/vgpu/<slice> exists, else shm */
	VGPU_BACKEND_KERNEL = 1,
	VGPU_BACKEND_SHM = 2,
};

enum vgpu_mem_mode {
	VGPU_MEM_HARD = 0,	/* a charge past the quota is refused */
	VGPU_MEM_SOFT = 1,	/* allowed while the GPU has memory; counted */
};

/* The GPU's scheduling policy; values as the kernel's enum vgpu_policy. */
enum vgpu_sched {
	VGPU_SCHED_UNSET = 0,
	VGPU_SCHED_BEST_EFFORT = 1,	/* work-conserving, by weight */
	VGPU_SCHED_EQUAL_SHARE = 2,	/* work-conserving, weights ignored */
	VGPU_SCHED_FIXED_SHARE = 3,	/* weight/1000 of every period, no more */
};

/* Which fields of struct vgpu_slice_policy were given explicitly. */
#define VGPU_SET_BACKEND	(1u << 0)
#define VGPU_SET_SLICE		(1u << 1)
#define VGPU_SET_MEM_LIMIT	(1u << 2)
#define VGPU_SET_MEM_MODE	(1u << 3)
#define VGPU_SET_COUNT_CONTEXT	(1u << 4)
#define VGPU_SET_WEIGHT		(1u << 5)
#define VGPU_SET_CAP		(1u << 6)
#define VGPU_SET_PRIORITY	(1u << 7)
#define VGPU_SET_TIMESLICE	(1u << 8)
#define VGPU_SET_SCHED		(1u << 9)
#define VGPU_SET_PERIOD		(1u << 10)
#define VGPU_SET_SHM		(1u << 11)
#define VGPU_SET_SHM_MODE	(1u << 12)
#define VGPU_SET_SHM_GROUP	(1u << 13)
#define VGPU_SET_LOG_LEVEL	(1u << 14)

#define VGPU_SLICE_NAME_MAX	256
#define VGPU_SHM_NAME_MAX	256

/*
 * An operator's intent for one device of a process: what the environment
 * says (vgpu_policy_from_env()) or what a runtime fills in.  Fields not
 * flagged in `set` hold their defaults.
 */
struct vgpu_slice_policy {
	size_t sz;
	uint32_t set;			/* VGPU_SET_* */
	uint32_t backend;		/* enum vgpu_backend */
	char slice[VGPU_SLICE_NAME_MAX];/* UUID, /dev/vgpu/ path or shm name */
	uint64_t mem_limit;		/* bytes; 0: no limit of our own */
	uint32_t mem_mode;		/* enum vgpu_mem_mode */
	uint32_t count_context;		/* 1: context memory counts */
	uint32_t weight;		/* thousandths of the GPU, 1..1000 */
	uint32_t cap;			/* thousandths, 0 (none) or weight..1000 */
	uint32_t priority;		/* 0..7, higher runs first */
	uint32_t timeslice_us;		/* 0: the GPU's */
	uint32_t sched;			/* enum vgpu_sched (shm region) */
	uint32_t period_us;		/* fixed-share budget period (shm) */
	char shm_name[VGPU_SHM_NAME_MAX];/* shm region; "": per uid and GPU */
	uint32_t shm_mode;		/* permission bits of a new region */
	int32_t shm_gid;		/* group of a new region, -1: ours */
	int32_t log_level;		/* 0 none, 1 errors .. 4 debug */
};

/*
 * Fill @p from the environment (VGPU_*, and HAMi-core's
 * CUDA_DEVICE_MEMORY_LIMIT[_<i>], CUDA_DEVICE_SM_LIMIT[_<i>]) for CUDA device
 * @device (-1: ignore per-device variables).  -EINVAL on a malformed or
 * unknown VGPU_ variable, with a message naming it in @errbuf.
 */
VGPU_API int vgpu_policy_from_env(struct vgpu_slice_policy *p, int device,
				  char *errbuf, size_t errlen);
/* Defaults only. */
VGPU_API void vgpu_policy_init(struct vgpu_slice_policy *p);
/* Parse a size ("512m", "4G", "1048576"): 0 or -EINVAL / -ERANGE. */
VGPU_API int vgpu_parse_size(const char *s, uint64_t *bytes);

struct vgpu_open_opts {
	size_t sz;
	const struct vgpu_slice_policy *policy;	/* NULL: from the environment */
	int device;			/* CUDA ordinal: env suffix, shm region */
	uint64_t gpu_memory;		/* shm: the GPU's memory (0: unknown) */
	uint32_t gpu_sms;
	char *errbuf;			/* why the open failed, if not NULL */
	size_t errlen;
};

/*
 * Open (and attach to) slice @slice: a UUID or /dev/vgpu/<uuid> path
 * (kernel), a name (shm), or NULL for the policy's.  -ENOENT no such slice,
 * -EACCES not ours to open, -EINVAL bad policy, -EEXIST the shm slice exists
 * with other settings, -ENOSPC region full, -EPROTO a region of another
 * layout.  The message in opts->errbuf says which.
 */
VGPU_API int vgpu_slice_open(const char *slice,
			     const struct vgpu_open_opts *opts,
			     struct vgpu_slice **out);
/* Detach: the handle's charges and lease are given back. */
VGPU_API void vgpu_slice_close(struct vgpu_slice *s);

struct vgpu_info {
	size_t sz;
	uint32_t backend;		/* VGPU_BACKEND_KERNEL or _SHM */
	uint32_t sched;			/* enum vgpu_sched of the GPU */
	char slice[VGPU_SLICE_NAME_MAX];/* UUID (kernel) or name (shm) */
	char where[VGPU_SHM_NAME_MAX];	/* device path or shm region */
	uint64_t mem_quota;		/* effective: the tighter of ours and the slice's */
	uint64_t slice_quota;		/* the slice's own */
	uint32_t mem_mode;
	uint32_t count_context;
	uint32_t weight;
	uint32_t cap;
	uint32_t priority;
	uint32_t timeslice_us;		/* effective */
	uint32_t period_us;
	uint32_t gpu_sms;
	uint64_t gpu_memory;
	char tenant[64];
};

VGPU_API int vgpu_slice_info(const struct vgpu_slice *s, struct vgpu_info *info);

/*
 * Charge @bytes to the slice's ledger, atomically against the quota:
 * -ENOSPC (nothing charged) when it would exceed it.  Uncharge returns bytes
 * this handle charged (-EINVAL if more).
 */
VGPU_API int vgpu_mem_charge(struct vgpu_slice *s, uint64_t bytes);
VGPU_API int vgpu_mem_uncharge(struct vgpu_slice *s, uint64_t bytes);
/*
 * The device memory this process's CUDA context(s) cost: recorded, reported
 * separately, and charged too when the policy counts it (-ENOSPC then).
 * Absolute: the new total replaces the previous one.
 */
VGPU_API int vgpu_mem_set_context(struct vgpu_slice *s, uint64_t bytes);

struct vgpu_mem_usage {
	size_t sz;
	uint64_t used;			/* the slice, all its processes */
	uint64_t quota;			/* effective */
	uint64_t peak;
	uint64_t self;			/* charged through this handle */
	uint64_t ctx_mem;		/* context overhead of this handle */
	uint64_t refused;		/* charges refused, slice */
};

VGPU_API int vgpu_mem_usage(struct vgpu_slice *s, struct vgpu_mem_usage *u);

#define VGPU_LEASE_NONBLOCK	(1u << 0)	/* acquire: -EAGAIN, no wait */
#define VGPU_LEASE_YIELD	(1u << 0)	/* release: keep if nobody may run */

/*
 * Wait for the lease (@timeout_us 0: for ever).  -ETIMEDOUT, -EAGAIN
 * (NONBLOCK), -ENODEV (slice removed).  Holding already is success.
 */
VGPU_API int vgpu_lease_acquire(struct vgpu_slice *s, uint32_t timeout_us,
				unsigned int flags, uint64_t *generation);
/* Whether the handle holds a lease now: no system call. */
VGPU_API bool vgpu_lease_valid(const struct vgpu_slice *s);
/*
 * Give the lease back, charging @busy_ns of GPU time used under it.
 * 0 released, 1 kept (YIELD and nobody else may run), -ESTALE it had been
 * revoked (busy_ns is still charged), -ENOLCK none held.
 */
VGPU_API int vgpu_lease_release(struct vgpu_slice *s, uint64_t busy_ns,
				unsigned int flags);
/* Busy time (cumulative) of lease @generation, held or ended. */
VGPU_API int vgpu_lease_report(struct vgpu_slice *s, uint64_t generation,
			       uint64_t busy_ns);

struct vgpu_lease_state {
	size_t sz;
	uint64_t generation;		/* 0: none held */
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC */
	uint32_t waiters;		/* contexts waiting on the GPU */
	uint32_t valid;			/* held and before the deadline */
};

VGPU_API int vgpu_lease_state(const struct vgpu_slice *s,
			      struct vgpu_lease_state *st);

struct vgpu_slice_stats {
	size_t sz;
	uint64_t mem_used;
	uint64_t mem_peak;
	uint64_t charge_refused;
	uint64_t busy_ns;		/* GPU time charged */
	uint64_t wait_ns;
	uint64_t leases;
	uint64_t overruns;
	uint64_t overrun_ns;
	uint32_t contexts;		/* attached now */
	uint32_t holding;		/* 1: a context of the slice holds the GPU */
	uint64_t ctx_mem;		/* context overhead measured (shm: slice) */
	uint64_t over_quota;		/* soft mode: charges that went past */
};

VGPU_API int vgpu_slice_stats(struct vgpu_slice *s, struct vgpu_slice_stats *st);

VGPU_API const char *vgpu_backend_name(uint32_t backend);
VGPU_API const char *vgpu_version(void);

#ifdef __cplusplus
}
#endif

#endif /* VGPU_VGPU_H */
