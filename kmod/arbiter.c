// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-GPU arbiter: locking, timers and wake-ups around the shared core.
 *
 * arb->lock (irq-safe: the hrtimer runs in hard interrupt context) guards
 * the core state, the context table and the status pages' contents.  After
 * every change the lock holder publishes what changed (status pages, a
 * wake-up for the one context granted a lease: waiters are woken in the
 * order the core grants, never all at once) and re-arms the timer for the
 * core's next event.  The timer is never waited for under the lock.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "arbiter.h"
#include "core/arbiter_core.h"

struct vgpu_arbiter {
	spinlock_t lock;		/* see the top of this file */
	struct hrtimer timer;
	struct vac a;
	struct vac_state st;
	struct vgpu_arb_ctx **owners;	/* context index -> its owner */
};

static u64 vgpu_now(void)
{
	return ktime_get_ns();
}

static void vgpu_arb_publish(struct vgpu_arbiter *arb, u32 c)
{
	struct vgpu_status_page *p = arb->owners[c]->page;
	u64 gen, deadline;

	lockdep_assert_held(&arb->lock);
	gen = vac_ctx_lease(&arb->a, c, &deadline);
	/*
	 * A seqcount for readers in userspace (see the uapi header): seq odd
	 * before the fields change, even after; the barriers order the seq
	 * writes against the field writes, pairing with the reader's loads.
	 */
	WRITE_ONCE(p->seq, p->seq + 1);
	smp_wmb();	/* odd seq before the fields */
	WRITE_ONCE(p->generation, gen);
	WRITE_ONCE(p->deadline_ns, deadline);
	WRITE_ONCE(p->waiters, vac_nr_waiting(&arb->a));
	smp_wmb();	/* fields before the closing seq */
	WRITE_ONCE(p->seq, p->seq + 1);
}

static void vgpu_arb_apply(struct vgpu_arbiter *arb,
			   const struct vac_change *chg)
{
	u64 next;

	lockdep_assert_held(&arb->lock);
	if (chg->ended != VAC_NONE)
		vgpu_arb_publish(arb, chg->ended);
	if (chg->granted != VAC_NONE) {
		struct vgpu_arb_ctx *ctx = arb->owners[chg->granted];

		vgpu_arb_publish(arb, chg->granted);
		wake_up(&ctx->wq);
	}
	/* The holder learns of new waiters and of extensions. */
	if (arb->st.holder != VAC_NONE && arb->st.holder != chg->granted)
		vgpu_arb_publish(arb, arb->st.holder);

	next = vac_next_event(&arb->a);
	if (next == VAC_NEVER)
		hrtimer_try_to_cancel(&arb->timer);
	else
		hrtimer_start(&arb->timer, ns_to_ktime(next), HRTIMER_MODE_ABS);
}

static enum hrtimer_restart vgpu_arb_timer(struct hrtimer *t)
{
	struct vgpu_arbiter *arb = container_of(t, struct vgpu_arbiter, timer);
	struct vac_change chg;
	unsigned long flags;

	spin_lock_irqsave(&arb->lock, flags);
	vac_tick(&arb->a, vgpu_now(), &chg);
	vgpu_arb_apply(arb, &chg);	/* re-arms through hrtimer_start() */
	spin_unlock_irqrestore(&arb->lock, flags);
	return HRTIMER_NORESTART;
}

struct vgpu_arbiter *vgpu_arbiter_create(u32 policy, u32 timeslice_us,
					 u32 period_us)
{
	struct vgpu_arbiter *arb;

	arb = kzalloc(sizeof(*arb), GFP_KERNEL);
	if (!arb)
		return NULL;
	arb->st.nr_slices = VGPU_ARB_SLICES;
	arb->st.nr_ctxs = VGPU_ARB_CTXS;
	arb->a.st = &arb->st;
	arb->a.slices = kvcalloc(VGPU_ARB_SLICES, sizeof(*arb->a.slices),
				 GFP_KERNEL);
	arb->a.heap = kvcalloc(VGPU_ARB_SLICES, sizeof(*arb->a.heap),
			       GFP_KERNEL);
	arb->a.ctxs = kvcalloc(VGPU_ARB_CTXS, sizeof(*arb->a.ctxs), GFP_KERNEL);
	arb->owners = kvcalloc(VGPU_ARB_CTXS, sizeof(*arb->owners), GFP_KERNEL);
	if (!arb->a.slices || !arb->a.heap || !arb->a.ctxs || !arb->owners) {
		vgpu_arbiter_destroy(arb);
		return NULL;
	}
	spin_lock_init(&arb->lock);
	hrtimer_init(&arb->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	arb->timer.function = vgpu_arb_timer;
	vac_init(&arb->a, policy, (u64)timeslice_us * NSEC_PER_USEC,
		 (u64)period_us * NSEC_PER_USEC, vgpu_now());
	return arb;
}

void vgpu_arbiter_destroy(struct vgpu_arbiter *arb)
{
	if (!arb)
		return;
	if (arb->timer.function)
		hrtimer_cancel(&arb->timer);
	kvfree(arb->owners);
	kvfree(arb->a.ctxs);
	kvfree(arb->a.heap);
	kvfree(arb->a.slices);
	kfree(arb);
}

void vgpu_arbiter_configure(struct vgpu_arbiter *arb, u32 policy,
			    u32 timeslice_us, u32 period_us)
{
	struct vac_change chg;
	unsigned long flags;

	spin_lock_irqsave(&arb->lock, flags);
	vac_configure(&arb->a, policy, (u64)timeslice_us * NSEC_PER_USEC,
		      (u64)period_us * NSEC_PER_USEC, vgpu_now(), &chg);
	vgpu_arb_apply(arb, &chg);
	spin_unlock_irqrestore(&arb->lock, flags);
}

int vgpu_arbiter_slice_add(struct vgpu_arbiter *arb, u32 weight, u32 cap,
			   u32 timeslice_us, u32 priority)
{
	unsigned long flags;
	int idx;

	spin_lock_irqsave(&arb->lock, flags);
	idx = vac_slice_add(&arb->a, weight, cap,
			    (u64)timeslice_us * NSEC_PER_USEC, priority);
	spin_unlock_irqrestore(&arb->lock, flags);
	return idx;
}

void vgpu_arbiter_slice_set(struct vgpu_arbiter *arb, int idx, u32 weight,
			    u32 cap, u32 timeslice_us, u32 priority)
{
	struct vac_change chg;
	unsigned long flags;

	spin_lock_irqsave(&arb->lock, flags);
	vac_slice_set(&arb->a, idx, weight, cap,
		      (u64)timeslice_us * NSEC_PER_USEC, priority, vgpu_now(),
		      &chg);
	vgpu_arb_apply(arb, &chg);
	spin_unlock_irqrestore(&arb->lock, flags);
}

void vgpu_arbiter_slice_del(struct vgpu_arbiter *arb, int idx)
{
	unsigned long flags;

	spin_lock_irqsave(&arb->lock, flags);
	/* Every context was detached when the slice's files were revoked. */
	WARN_ON(vac_slice_del(&arb->a, idx));
	spin_unlock_irqrestore(&arb->lock, flags);
}

void vgpu_arbiter_slice_stats(struct vgpu_arbiter *arb, int idx,
			      struct vgpu_arb_stats *s)
{
	const struct vac_slice *sl = &arb->a.slices[idx];
	unsigned long flags;

	spin_lock_irqsave(&arb->lock, flags);
	s->busy_ns = sl->busy_ns;
	s->wait_ns = sl->wait_ns;
	s->leases = sl->leases;
	s->overruns = sl->overruns;
	s->overrun_ns = sl->spill_ns;
	s->contexts = sl->nr_ctx;
	spin_unlock_irqrestore(&arb->lock, flags);
}

int vgpu_arbiter_attach(struct vgpu_arbiter *arb, int slice_idx,
			struct vgpu_arb_ctx *ctx)
{
	unsigned long flags;
	int idx;

	spin_lock_irqsave(&arb->lock, flags);
	if (ctx->idx >= 0) {
		idx = -EALREADY;
	} else {
		idx = vac_ctx_attach(&arb->a, slice_idx);
		if (idx >= 0) {
			arb->owners[idx] = ctx;
			ctx->idx = idx;
		}
	}
	spin_unlock_irqrestore(&arb->lock, flags);
	return idx;
}

void vgpu_arbiter_detach(struct vgpu_arbiter *arb, struct vgpu_arb_ctx *ctx)
{
	struct vac_change chg;
	unsigned long flags;
	int idx;

	spin_lock_irqsave(&arb->lock, flags);
	idx = ctx->idx;
	if (idx >= 0) {
		vac_ctx_detach(&arb->a, idx, vgpu_now(), &chg);
		if (chg.ended == idx) {
			vgpu_arb_publish(arb, idx);
			chg.ended = VAC_NONE;
		}
		arb->owners[idx] = NULL;
		ctx->idx = -1;
		vgpu_arb_apply(arb, &chg);
	}
	spin_unlock_irqrestore(&arb->lock, flags);
	/* A thread of this file waiting for the lease sees it detached. */
	wake_up_all(&ctx->wq);
}

static void vgpu_arb_lease(struct vgpu_arbiter *arb, int idx,
			   struct vgpu_lease_info *out)
{
	out->generation = vac_ctx_lease(&arb->a, idx, &out->deadline_ns);
}

/* Woken: granted, or detached under us. */
static bool vgpu_arb_settled(struct vgpu_arbiter *arb,
			     struct vgpu_arb_ctx *ctx)
{
	unsigned long flags;
	bool settled;
	int idx;

	spin_lock_irqsave(&arb->lock, flags);
	idx = ctx->idx;
	settled = idx < 0 || arb->a.ctxs[idx].state != VAC_CTX_WAITING;
	spin_unlock_irqrestore(&arb->lock, flags);
	return settled;
}

int vgpu_arbiter_acquire(struct vgpu_arbiter *arb, struct vgpu_arb_ctx *ctx,
			 bool nonblock, u32 timeout_us,
			 struct vgpu_lease_info *out)
{
	long left = timeout_us ? usecs_to_jiffies(timeout_us)
			       : MAX_SCHEDULE_TIMEOUT;
	struct vac_change chg;
	unsigned long flags;
	int ret, gone = -EINVAL;	/* not attached */

	for (;; gone = -ENODEV) {	/* detached while waiting */
		spin_lock_irqsave(&arb->lock, flags);
		if (ctx->idx < 0) {
			spin_unlock_irqrestore(&arb->lock, flags);
			return gone;
		}
		ret = vac_acquire(&arb->a, ctx->idx, nonblock, vgpu_now(), &chg);
		vgpu_arb_apply(arb, &chg);
		if (!ret)
			vgpu_arb_lease(arb, ctx->idx, out);
		spin_unlock_irqrestore(&arb->lock, flags);
		if (ret <= 0)
			return ret;

		left = wait_event_interruptible_timeout(ctx->wq,
							vgpu_arb_settled(arb, ctx),
							left);
		spin_lock_irqsave(&arb->lock, flags);
		if (ctx->idx < 0) {
			ret = -ENODEV;
		} else if (arb->a.ctxs[ctx->idx].state == VAC_CTX_HOLDING) {
			vgpu_arb_lease(arb, ctx->idx, out);
			ret = 0;
		} else if (arb->a.ctxs[ctx->idx].state == VAC_CTX_WAITING) {
			vac_cancel(&arb->a, ctx->idx, vgpu_now(), &chg);
			vgpu_arb_apply(arb, &chg);
			ret = left < 0 ? -EINTR : -ETIMEDOUT;
		} else {
			/*
			 * Granted, then revoked at its deadline before this
			 * thread ran: ask again while time is left.
			 */
			ret = left < 0 ? -EINTR : left == 0 ? -ETIMEDOUT : 1;
		}
		spin_unlock_irqrestore(&arb->lock, flags);
		if (ret <= 0)
			return ret;
	}
}

static u64 vgpu_arb_spill(struct vgpu_arbiter *arb, int idx)
{
	return arb->a.slices[arb->a.ctxs[idx].slice].spill_ns;
}

/*
 * Charge busy_ns to lease gen, and end it when release: the part of the
 * charge that ran past the deadline comes back in *overrun_ns.
 */
static int vgpu_arb_account(struct vgpu_arbiter *arb, struct vgpu_arb_ctx *ctx,
			    u64 gen, u64 busy_ns, bool release, bool yield,
			    struct vgpu_lease_info *out, u64 *overrun_ns)
{
	struct vac_change chg;
	unsigned long flags;
	u64 spill;
	int ret;

	spin_lock_irqsave(&arb->lock, flags);
	if (ctx->idx < 0) {
		spin_unlock_irqrestore(&arb->lock, flags);
		return -EINVAL;
	}
	spill = vgpu_arb_spill(arb, ctx->idx);
	if (release)
		ret = vac_release(&arb->a, ctx->idx, gen, busy_ns, yield,
				  vgpu_now(), &chg);
	else
		ret = vac_report(&arb->a, ctx->idx, gen, busy_ns, vgpu_now(),
				 &chg);
	*overrun_ns = vgpu_arb_spill(arb, ctx->idx) - spill;
	vgpu_arb_apply(arb, &chg);
	if (out) {
		out->kept = ret == 1;
		vgpu_arb_lease(arb, ctx->idx, out);
	}
	spin_unlock_irqrestore(&arb->lock, flags);
	return ret < 0 ? ret : 0;
}

int vgpu_arbiter_release(struct vgpu_arbiter *arb, struct vgpu_arb_ctx *ctx,
			 u64 gen, u64 busy_ns, bool yield,
			 struct vgpu_lease_info *out, u64 *overrun_ns)
{
	return vgpu_arb_account(arb, ctx, gen, busy_ns, true, yield, out,
				overrun_ns);
}

int vgpu_arbiter_report(struct vgpu_arbiter *arb, struct vgpu_arb_ctx *ctx,
			u64 gen, u64 busy_ns, u64 *overrun_ns)
{
	return vgpu_arb_account(arb, ctx, gen, busy_ns, false, false, NULL,
				overrun_ns);
}
