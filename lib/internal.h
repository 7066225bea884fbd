/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libvgpu internals shared by the API (slice.c), the backends and the
 * interposer.  Everything here is hidden (-fvisibility=hidden); only what
 * libvgpu.map names is exported.
 */
#ifndef VGPU_LIB_INTERNAL_H
#define VGPU_LIB_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <uapi/linux/vgpu.h>	/* struct vgpu_status_page, the kernel ABI */
#include <vgpu/vgpu.h>

#define VGPU_EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;

#define NSEC_PER_USEC ((u64)1000)
#define NSEC_PER_MSEC ((u64)1000000)
#define NSEC_PER_SEC ((u64)1000000000)

/* CLOCK_MONOTONIC through the vDSO: no system call. */
static inline u64 vgpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

/*
 * The same clock at tick resolution: lags CLOCK_MONOTONIC by at most a
 * tick, and costs a fraction where the precise clock is not in the vDSO.
 */
static inline u64 vgpu_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

/* ---- logging: stderr only, at the level VGPU_LOG_LEVEL asks (default 1) */

enum { VLOG_NONE, VLOG_ERR, VLOG_WARN, VLOG_INFO, VLOG_DEBUG };

extern int vgpu_log_level;
void vgpu_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define vg_err(...) vgpu_log(VLOG_ERR, __VA_ARGS__)
#define vg_warn(...) vgpu_log(VLOG_WARN, __VA_ARGS__)
#define vg_info(...) vgpu_log(VLOG_INFO, __VA_ARGS__)
#define vg_dbg(...) do { if (unlikely(vgpu_log_level >= VLOG_DEBUG)) \
	vgpu_log(VLOG_DEBUG, __VA_ARGS__); } while (0)

/* snprintf into an optional error buffer */
void vgpu_errf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- a slice handle and its backends ---- */

struct vgpu_slice;

struct vgpu_backend_ops {
	uint32_t id;		/* VGPU_BACKEND_* */
	int (*charge)(struct vgpu_slice *s, u64 bytes, u64 *used);
	int (*uncharge)(struct vgpu_slice *s, u64 bytes);
	int (*set_ctx_mem)(struct vgpu_slice *s, u64 bytes, bool charge);
	int (*acquire)(struct vgpu_slice *s, u32 timeout_us, bool nonblock,
		       u64 *gen, u64 *deadline);
	int (*release)(struct vgpu_slice *s, u64 gen, u64 busy_ns, bool yield,
		       bool *kept);
	int (*report)(struct vgpu_slice *s, u64 gen, u64 busy_ns);
	int (*stats)(struct vgpu_slice *s, struct vgpu_slice_stats *st);
	/* bytes charged to the slice now, as cheaply as the backend can */
	int (*used)(struct vgpu_slice *s, u64 *used);
	/* memory the backend knows others on the GPU hold (best effort) */
	u64 (*gpu_known_used)(struct vgpu_slice *s);
	void (*close)(struct vgpu_slice *s);
	/* the process exits: leave the slice, keep descriptors (optional) */
	void (*exit)(struct vgpu_slice *s);
	/* after fork, in the child: forget without touching shared state */
	void (*abandon)(struct vgpu_slice *s);
};

struct vgpu_slice {
	/* read on every launch: keep together */
	const volatile struct vgpu_status_page *status;
	u64 gen;			/* lease held, 0: none (atomic) */
	const struct vgpu_backend_ops *ops;
	void *priv;
	struct vgpu_info info;
	struct vgpu_slice_policy pol;
	u64 lib_limit;			/* our own limit, tighter than the slice's */
	u64 self;			/* charged through this handle (atomic) */
	u64 ctx_mem;
	u64 ctx_charged;
};

/*
 * Read the status page as its seqcount requires.  False (and a lease of 0)
 * when it stays mid-write: a shm publisher may have died there; the slow
 * path's lock repairs it.
 */
static inline bool vgpu_status_read(const volatile struct vgpu_status_page *p,
				    u64 *gen, u64 *deadline, u32 *waiters)
{
	for (int i = 0; i < 256; i++) {
		u32 s1 = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE), s2;

		*gen = __atomic_load_n(&p->generation, __ATOMIC_RELAXED);
		*deadline = __atomic_load_n(&p->deadline_ns, __ATOMIC_RELAXED);
		*waiters = __atomic_load_n(&p->waiters, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&p->seq, __ATOMIC_RELAXED);
		if (!(s1 & 1) && s1 == s2)
			return true;
	}
	*gen = 0;
	*deadline = 0;
	return false;
}

int vgpu_kernel_open(struct vgpu_slice *s, const char *path, char *err, size_t errlen);
int vgpu_shm_open(struct vgpu_slice *s, const char *name, int device, u64 gpu_memory,
		  u32 gpu_sms, char *err, size_t errlen);
/* The uuid of a /dev/vgpu path or a bare UUID, else NULL */
bool vgpu_looks_like_uuid(const char *s);
/* The cgroup path of this process, for the default slice name */
int vgpu_default_slice_name(char *buf, size_t len);

/* Internal charge against the effective quota (policy's and slice's). */
int vgpu_charge_internal(struct vgpu_slice *s, u64 bytes);

/* ---- the interposer ---- */

void vgpu_interposer_fork_child(void);

#endif /* VGPU_LIB_INTERNAL_H */
