/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-GPU arbiter: the shared core (core/arbiter_core.c) with a spinlock,
 * an hrtimer for deadlines and period ends, and wake-ups of the contexts
 * (open slice files) it grants leases to.
 */
#ifndef VGPU_ARBITER_H
#define VGPU_ARBITER_H

#include <linux/types.h>
#include <linux/wait.h>
#include <uapi/linux/vgpu.h>

struct vgpu_arbiter;

/* A context as the arbiter sees it; embedded in the open file. */
struct vgpu_arb_ctx {
	wait_queue_head_t wq;		/* woken when a lease is granted */
	struct vgpu_status_page *page;	/* the file's status page */
	int idx;			/* in the arbiter, -1: detached */
};

/* Capacity of one GPU's arbiter: slices (weight >= 1) and contexts. */
#define VGPU_ARB_SLICES		VGPU_WEIGHT_MAX
#define VGPU_ARB_CTXS		4096

struct vgpu_arb_stats {
	u64 busy_ns;
	u64 wait_ns;
	u64 leases;
	u64 overruns;
	u64 overrun_ns;
	u32 contexts;
};

struct vgpu_lease_info {
	u64 generation;
	u64 deadline_ns;
	u32 kept;
};

struct vgpu_arbiter *vgpu_arbiter_create(u32 policy, u32 timeslice_us,
					 u32 period_us);
void vgpu_arbiter_destroy(struct vgpu_arbiter *arb);
void vgpu_arbiter_configure(struct vgpu_arbiter *arb, u32 policy,
			    u32 timeslice_us, u32 period_us);

int vgpu_arbiter_slice_add(struct vgpu_arbiter *arb, u32 weight, u32 cap,
			   u32 timeslice_us, u32 priority);
void vgpu_arbiter_slice_set(struct vgpu_arbiter *arb, int idx, u32 weight,
			    u32 cap, u32 timeslice_us, u32 priority);
void vgpu_arbiter_slice_del(struct vgpu_arbiter *arb, int idx);
void vgpu_arbiter_slice_stats(struct vgpu_arbiter *arb, int idx,
			      struct vgpu_arb_stats *s);

int vgpu_arbiter_attach(struct vgpu_arbiter *arb, int slice_idx,
			struct vgpu_arb_ctx *ctx);
void vgpu_arbiter_detach(struct vgpu_arbiter *arb, struct vgpu_arb_ctx *ctx);
int vgpu_arbiter_acquire(struct vgpu_arbiter *arb, struct vgpu_arb_ctx *ctx,
			 bool nonblock, u32 timeout_us,
			 struct vgpu_lease_info *out);
int vgpu_arbiter_release(struct vgpu_arbiter *arb, struct vgpu_arb_ctx *ctx,
			 u64 gen, u64 busy_ns, bool yield,
			 struct vgpu_lease_info *out, u64 *overrun_ns);
int vgpu_arbiter_report(struct vgpu_arbiter *arb, struct vgpu_arb_ctx *ctx,
			u64 gen, u64 busy_ns, u64 *overrun_ns);

#endif /* VGPU_ARBITER_H */
