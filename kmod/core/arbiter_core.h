/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * vgpu arbiter core: who holds a GPU next, for how long, and how the time
 * used is charged.
 *
 * Pure decision logic: no locking, no allocation, no clock, no kernel or
 * libc calls.  vgpu.ko wraps it with a spinlock, an hrtimer and wait queues;
 * libvgpu's shm backend wraps the same code with a robust mutex and futexes,
 * with the state in shared memory.  The state therefore holds no pointers:
 * slices, contexts and the run queue are arrays addressed by index, and
 * struct vac is a per-user view binding the arrays to addresses.
 *
 * Model
 *  - A context (one process's CUDA context) belongs to a slice.  At most one
 *    context on the GPU holds the lease; others wait in their slice's FIFO.
 *  - Slices with waiting contexts that may run are in a binary heap keyed
 *    by (priority desc, virtual time asc): O(log n) choice of the next one.
 *  - Virtual time advances by the GPU time a slice is charged divided by its
 *    weight (best effort, fixed share) or equally (equal share).  A slice
 *    that wakes from idle starts at the virtual clock of the last grant, so
 *    idle time is not banked: best effort is work-conserving.
 *  - A budget per period limits a slice to weight/1000 (fixed share) or
 *    cap/1000 (any policy, when a cap is set) of every period; a slice over
 *    budget is throttled until the period ends, even if the GPU is idle.
 *  - A lease lasts the slice's time slice (or the GPU's), shortened to the
 *    remaining budget.  At its deadline it is extended in place (same
 *    generation) unless the holder's slice is over budget, another context
 *    of its slice waits, or a waiting slice comes before it; then it is
 *    revoked and passed on.
 *  - Charge of a lease = the larger of the time it was held and the busy
 *    time its holder reports (bounded by the time since the lease began).
 *    Reports for a lease that already ended (work that spilled past the
 *    deadline) are still charged.
 */
#ifndef VGPU_ARBITER_CORE_H
#define VGPU_ARBITER_CORE_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/types.h>
#define vac_div64(a, b) div64_u64((a), (b))
#else
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
/* The very types of uint32_t and uint64_t, in kernel spelling. */
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
#define vac_div64(a, b) ((a) / (b))
#endif

#define VAC_NONE	((u32)~0U)
#define VAC_NEVER	((u64)~0ULL)
#define VAC_WEIGHT_MAX	1000

/* Same values as enum vgpu_policy in the uapi header. */
enum vac_policy {
	VAC_BEST_EFFORT = 1,
	VAC_EQUAL_SHARE = 2,
	VAC_FIXED_SHARE = 3,
};

enum vac_ctx_state {
	VAC_CTX_FREE,
	VAC_CTX_IDLE,
	VAC_CTX_WAITING,
	VAC_CTX_HOLDING,
};

struct vac_slice {
	u32 used;			/* slot allocated */
	u32 weight;		/* 1..1000 */
	u32 cap;			/* 0 (none) or weight..1000 */
	u32 priority;		/* higher runs first */
	u64 timeslice_ns;		/* 0: the GPU's */
	u64 vtime;
	u64 period_used;		/* charged in the current period */
	u32 nr_ctx;
	u32 nr_waiting;
	u32 wait_head;		/* FIFO of waiting contexts */
	u32 wait_tail;
	u32 heap_pos;		/* VAC_NONE when not in the heap */
	u32 throttled;		/* over budget until the period ends */
	u64 last_active;		/* when its last lease ended */
	/* statistics */
	u64 busy_ns;		/* charged */
	u64 wait_ns;
	u64 leases;
	u64 overruns;		/* leases whose work ran past the deadline */
	u64 spill_ns;		/* reported busy past a deadline */
};

struct vac_ctx {
	u32 slice;
	u32 state;			/* enum vac_ctx_state */
	u32 next;			/* FIFO link */
	u32 spilled;			/* lease gen ran past its deadline */
	u64 wait_since;
	u64 gen;			/* of the lease held or last held */
	u64 lease_start;
	u64 lease_len;		/* deadline - lease_start */
	u64 charged;		/* charged for lease gen so far */
};

struct vac_state {
	u32 policy;
	u32 nr_slices;		/* capacity of the slice array */
	u32 nr_ctxs;		/* capacity of the context array */
	u32 holder;		/* context index or VAC_NONE */
	u32 heap_len;
	u32 nr_waiting;		/* contexts waiting, all slices */
	u32 nr_throttled;		/* slices over budget */
	u32 reserved;
	u64 timeslice_ns;
	u64 period_ns;
	u64 generation;		/* of the last lease granted */
	u64 deadline;		/* of the holder's lease */
	u64 period_end;
	u64 vclock;		/* virtual time of the last grant */
};

/* A user's view of one arbiter: the arrays may live anywhere. */
struct vac {
	struct vac_state *st;
	struct vac_slice *slices;	/* st->nr_slices entries */
	struct vac_ctx *ctxs;		/* st->nr_ctxs entries */
	u32 *heap;			/* st->nr_slices entries */
};

/* What a call changed, for the wrapper to wake and publish. */
struct vac_change {
	u32 granted;	/* context that now holds a new lease */
	u32 ended;		/* context whose lease ended (released, revoked) */
	u32 extended;	/* holder whose deadline moved */
};

/* The arrays must be zeroed and st->nr_slices, st->nr_ctxs set. */
void vac_init(struct vac *a, u32 policy, u64 timeslice_ns,
	      u64 period_ns, u64 now);
void vac_configure(struct vac *a, u32 policy, u64 timeslice_ns,
		   u64 period_ns, u64 now, struct vac_change *chg);

int vac_slice_add(struct vac *a, u32 weight, u32 cap,
		  u64 timeslice_ns, u32 priority);
void vac_slice_set(struct vac *a, u32 s, u32 weight, u32 cap,
		   u64 timeslice_ns, u32 priority, u64 now,
		   struct vac_change *chg);
int vac_slice_del(struct vac *a, u32 s);

int vac_ctx_attach(struct vac *a, u32 s);
void vac_ctx_detach(struct vac *a, u32 c, u64 now,
		    struct vac_change *chg);

/*
 * Ask for the lease.  Returns 0 when c holds a lease (granted now or
 * already), 1 when c now waits, -EAGAIN when nonblock and it would wait.
 */
int vac_acquire(struct vac *a, u32 c, bool nonblock, u64 now,
		struct vac_change *chg);
/* A waiting context gives up (timeout, signal). */
void vac_cancel(struct vac *a, u32 c, u64 now,
		struct vac_change *chg);
/*
 * End the lease gen, first charging busy_ns.  With yield the lease is kept
 * when no other context may run (returns 1).  -ESTALE when gen is not the
 * lease c holds (busy_ns is still charged to c's last lease if it is gen).
 */
int vac_release(struct vac *a, u32 c, u64 gen, u64 busy_ns,
		bool yield, u64 now, struct vac_change *chg);
/* Charge busy_ns (cumulative for lease gen) without releasing. */
int vac_report(struct vac *a, u32 c, u64 gen, u64 busy_ns,
	       u64 now, struct vac_change *chg);
/* Time has passed: deadlines, period ends. */
void vac_tick(struct vac *a, u64 now, struct vac_change *chg);
/* When vac_tick() next has something to do (VAC_NEVER: nothing). */
u64 vac_next_event(const struct vac *a);

/* For status pages: the lease c holds (0 when none) and its deadline. */
u64 vac_ctx_lease(const struct vac *a, u32 c, u64 *deadline);
u32 vac_nr_waiting(const struct vac *a);

/* Consistency check for tests and recovery: 0 or a negative line number. */
int vac_check(const struct vac *a);
/* Rebuild queues and heap from the contexts' states (after a crash). */
void vac_rebuild(struct vac *a, u64 now, struct vac_change *chg);

#endif /* VGPU_ARBITER_CORE_H */
