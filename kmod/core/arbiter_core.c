// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * vgpu arbiter core; see arbiter_core.h for the model.
 *
 * Invariants (vac_check() verifies them):
 *  - a slice is in the heap iff it is allocated, has waiting contexts and
 *    is not throttled;
 *  - st->holder is VAC_NONE or the one context in state HOLDING;
 *  - each slice's FIFO holds exactly its WAITING contexts, oldest first.
 */
#include "arbiter_core.h"

#define VAC_MIN_LEASE_NS	100000ULL	/* 100 us */

static u64 vac_min64(u64 x, u64 y)
{
	return x < y ? x : y;
}

static u64 vac_max64(u64 x, u64 y)
{
	return x > y ? x : y;
}

/* The slice's budget per period, if it has one. */
static bool vac_budget(const struct vac *a, const struct vac_slice *sl,
		       u64 *budget)
{
	u32 share = a->st->policy == VAC_FIXED_SHARE ? sl->weight : sl->cap;

	if (!share || share >= VAC_WEIGHT_MAX)
		return false;
	*budget = vac_div64(a->st->period_ns * share, VAC_WEIGHT_MAX);
	return true;
}

/* Heap of runnable slices: higher priority first, then lower vtime. */

static bool vac_before(const struct vac *a, u32 x, u32 y)
{
	const struct vac_slice *sx = &a->slices[x], *sy = &a->slices[y];

	if (sx->priority != sy->priority)
		return sx->priority > sy->priority;
	if (sx->vtime != sy->vtime)
		return sx->vtime < sy->vtime;
	return x < y;
}

static void vac_heap_set(struct vac *a, u32 i, u32 s)
{
	a->heap[i] = s;
	a->slices[s].heap_pos = i;
}

static void vac_sift_up(struct vac *a, u32 i)
{
	u32 s = a->heap[i];

	while (i > 0) {
		u32 parent = (i - 1) / 2;

		if (!vac_before(a, s, a->heap[parent]))
			break;
		vac_heap_set(a, i, a->heap[parent]);
		i = parent;
	}
	vac_heap_set(a, i, s);
}

static void vac_sift_down(struct vac *a, u32 i)
{
	u32 n = a->st->heap_len, s = a->heap[i];

	for (;;) {
		u32 l = 2 * i + 1, r = l + 1, best = l;

		if (l >= n)
			break;
		if (r < n && vac_before(a, a->heap[r], a->heap[l]))
			best = r;
		if (!vac_before(a, a->heap[best], s))
			break;
		vac_heap_set(a, i, a->heap[best]);
		i = best;
	}
	vac_heap_set(a, i, s);
}

static void vac_heap_remove(struct vac *a, u32 s)
{
	u32 i = a->slices[s].heap_pos;
	u32 last = --a->st->heap_len;

	u32 moved;

	a->slices[s].heap_pos = VAC_NONE;
	if (i == last)
		return;
	moved = a->heap[last];
	vac_heap_set(a, i, moved);
	vac_sift_up(a, i);
	vac_sift_down(a, a->slices[moved].heap_pos);
}

/* Bring the slice's heap membership and position up to date. */
static void vac_requeue(struct vac *a, u32 s)
{
	struct vac_slice *sl = &a->slices[s];
	bool want = sl->used && sl->nr_waiting && !sl->throttled;

	if (want && sl->heap_pos == VAC_NONE) {
		u32 i = a->st->heap_len++;

		vac_heap_set(a, i, s);
		vac_sift_up(a, i);
	} else if (!want && sl->heap_pos != VAC_NONE) {
		vac_heap_remove(a, s);
	} else if (want) {
		vac_sift_up(a, sl->heap_pos);
		vac_sift_down(a, sl->heap_pos);
	}
}

static void vac_update_throttle(struct vac *a, u32 s)
{
	struct vac_slice *sl = &a->slices[s];
	u64 budget;

	u32 was = sl->throttled;

	sl->throttled = vac_budget(a, sl, &budget) && sl->period_used >= budget;
	a->st->nr_throttled += sl->throttled - was;
	vac_requeue(a, s);
}

/* FIFO of a slice's waiting contexts */

static void vac_fifo_push(struct vac *a, u32 s, u32 c)
{
	struct vac_slice *sl = &a->slices[s];

	a->ctxs[c].next = VAC_NONE;
	if (sl->wait_tail == VAC_NONE)
		sl->wait_head = c;
	else
		a->ctxs[sl->wait_tail].next = c;
	sl->wait_tail = c;
	sl->nr_waiting++;
	a->st->nr_waiting++;
}

static void vac_fifo_remove(struct vac *a, u32 s, u32 c)
{
	struct vac_slice *sl = &a->slices[s];
	u32 prev = VAC_NONE, i;

	for (i = sl->wait_head; i != VAC_NONE; prev = i, i = a->ctxs[i].next) {
		if (i != c)
			continue;
		if (prev == VAC_NONE)
			sl->wait_head = a->ctxs[c].next;
		else
			a->ctxs[prev].next = a->ctxs[c].next;
		if (sl->wait_tail == c)
			sl->wait_tail = prev;
		a->ctxs[c].next = VAC_NONE;
		sl->nr_waiting--;
		a->st->nr_waiting--;
		return;
	}
}

/* Charging */

static void vac_charge(struct vac *a, u32 s, u64 ns)
{
	struct vac_slice *sl = &a->slices[s];
	u32 w = a->st->policy == VAC_EQUAL_SHARE ? VAC_WEIGHT_MAX
						      : sl->weight;

	sl->busy_ns += ns;
	sl->period_used += ns;
	sl->vtime += vac_div64(ns * VAC_WEIGHT_MAX, w ? w : 1);
	vac_update_throttle(a, s);
}

/*
 * Bring what c's lease was charged up to date at now: the time held (when
 * still held) or the busy time reported (bounded by the time since the
 * lease began), whichever is larger.
 */
static void vac_account(struct vac *a, u32 c, u64 now,
			u64 busy, bool held)
{
	struct vac_ctx *ctx = &a->ctxs[c];
	struct vac_slice *sl = &a->slices[ctx->slice];
	u64 elapsed = now > ctx->lease_start ? now - ctx->lease_start : 0;
	u64 owed = held ? elapsed : 0;

	busy = vac_min64(busy, elapsed);
	if (busy > ctx->lease_len) {
		u64 before = vac_max64(ctx->charged, ctx->lease_len);

		if (busy > before) {
			/* One overrun per lease, however often reported. */
			if (!ctx->spilled)
				sl->overruns++;
			ctx->spilled = 1;
			sl->spill_ns += busy - before;
		}
	}
	owed = vac_max64(owed, busy);
	if (owed <= ctx->charged)
		return;
	vac_charge(a, ctx->slice, owed - ctx->charged);
	ctx->charged = owed;
}

static u64 vac_lease_len(const struct vac *a, u32 s)
{
	const struct vac_slice *sl = &a->slices[s];
	u64 len = sl->timeslice_ns ? sl->timeslice_ns : a->st->timeslice_ns;
	u64 budget;

	if (vac_budget(a, sl, &budget) && budget > sl->period_used)
		len = vac_min64(len, budget - sl->period_used);
	return vac_max64(len, VAC_MIN_LEASE_NS);
}

static void vac_grant(struct vac *a, u32 c, u64 now,
		      struct vac_change *chg)
{
	struct vac_ctx *ctx = &a->ctxs[c];
	u32 s = ctx->slice;
	struct vac_slice *sl = &a->slices[s];

	vac_fifo_remove(a, s, c);
	sl->wait_ns += now > ctx->wait_since ? now - ctx->wait_since : 0;
	sl->leases++;
	ctx->gen = ++a->st->generation;
	ctx->state = VAC_CTX_HOLDING;
	ctx->lease_start = now;
	ctx->lease_len = vac_lease_len(a, s);
	ctx->charged = 0;
	ctx->spilled = 0;
	a->st->holder = c;
	a->st->deadline = now + ctx->lease_len;
	a->st->vclock = vac_max64(a->st->vclock, sl->vtime);
	vac_requeue(a, s);
	chg->granted = c;
}

static void vac_end_lease(struct vac *a, u32 c, u64 now,
			  struct vac_change *chg)
{
	vac_account(a, c, now, 0, true);
	a->ctxs[c].state = VAC_CTX_IDLE;
	a->slices[a->ctxs[c].slice].last_active = now;
	a->st->holder = VAC_NONE;
	chg->ended = c;
}

static void vac_schedule(struct vac *a, u64 now, struct vac_change *chg)
{
	if (a->st->holder != VAC_NONE || !a->st->heap_len)
		return;
	vac_grant(a, a->slices[a->heap[0]].wait_head, now, chg);
}

static void vac_roll_period(struct vac *a, u64 now)
{
	struct vac_state *st = a->st;
	u32 s;

	if (now < st->period_end)
		return;
	/* The holder's time up to the boundary belongs to the old period. */
	if (st->holder != VAC_NONE)
		vac_account(a, st->holder, st->period_end, 0, true);
	st->period_end += (vac_div64(now - st->period_end, st->period_ns) + 1) *
			  st->period_ns;
	for (s = 0; s < st->nr_slices; s++) {
		if (!a->slices[s].used)
			continue;
		a->slices[s].period_used = 0;
		vac_update_throttle(a, s);
	}
}

static void vac_change_init(struct vac_change *chg)
{
	chg->granted = VAC_NONE;
	chg->ended = VAC_NONE;
	chg->extended = VAC_NONE;
}

void vac_init(struct vac *a, u32 policy, u64 timeslice_ns,
	      u64 period_ns, u64 now)
{
	struct vac_state *st = a->st;
	u32 i;

	st->policy = policy;
	st->timeslice_ns = timeslice_ns;
	st->period_ns = period_ns;
	st->holder = VAC_NONE;
	st->heap_len = 0;
	st->nr_waiting = 0;
	st->nr_throttled = 0;
	st->generation = 0;
	st->deadline = 0;
	st->period_end = now + period_ns;
	st->vclock = 0;
	for (i = 0; i < st->nr_slices; i++) {
		a->slices[i].used = 0;
		a->slices[i].heap_pos = VAC_NONE;
		a->slices[i].wait_head = VAC_NONE;
		a->slices[i].wait_tail = VAC_NONE;
	}
	for (i = 0; i < st->nr_ctxs; i++) {
		a->ctxs[i].state = VAC_CTX_FREE;
		a->ctxs[i].next = VAC_NONE;
	}
}

void vac_configure(struct vac *a, u32 policy, u64 timeslice_ns,
		   u64 period_ns, u64 now, struct vac_change *chg)
{
	struct vac_state *st = a->st;
	u32 s;

	vac_change_init(chg);
	st->policy = policy;
	st->timeslice_ns = timeslice_ns;
	if (st->period_ns != period_ns) {
		st->period_ns = period_ns;
		st->period_end = now + period_ns;
		for (s = 0; s < st->nr_slices; s++)
			a->slices[s].period_used = 0;
	}
	for (s = 0; s < st->nr_slices; s++)
		if (a->slices[s].used)
			vac_update_throttle(a, s);
	vac_schedule(a, now, chg);
}

int vac_slice_add(struct vac *a, u32 weight, u32 cap,
		  u64 timeslice_ns, u32 priority)
{
	u32 s;

	for (s = 0; s < a->st->nr_slices; s++) {
		struct vac_slice *sl = &a->slices[s];

		if (sl->used)
			continue;
		*sl = (struct vac_slice){
			.used = 1,
			.weight = weight,
			.cap = cap,
			.priority = priority,
			.timeslice_ns = timeslice_ns,
			.vtime = a->st->vclock,
			.wait_head = VAC_NONE,
			.wait_tail = VAC_NONE,
			.heap_pos = VAC_NONE,
		};
		return (int)s;
	}
	return -ENOSPC;
}

void vac_slice_set(struct vac *a, u32 s, u32 weight, u32 cap,
		   u64 timeslice_ns, u32 priority, u64 now,
		   struct vac_change *chg)
{
	struct vac_slice *sl = &a->slices[s];

	vac_change_init(chg);
	vac_roll_period(a, now);
	sl->weight = weight;
	sl->cap = cap;
	sl->timeslice_ns = timeslice_ns;
	sl->priority = priority;
	vac_update_throttle(a, s);
	vac_schedule(a, now, chg);
}

int vac_slice_del(struct vac *a, u32 s)
{
	struct vac_slice *sl = &a->slices[s];

	if (sl->nr_ctx)
		return -EBUSY;
	if (sl->heap_pos != VAC_NONE)
		vac_heap_remove(a, s);
	a->st->nr_throttled -= sl->throttled;
	sl->throttled = 0;
	sl->used = 0;
	return 0;
}

int vac_ctx_attach(struct vac *a, u32 s)
{
	u32 c;

	for (c = 0; c < a->st->nr_ctxs; c++) {
		struct vac_ctx *ctx = &a->ctxs[c];

		if (ctx->state != VAC_CTX_FREE)
			continue;
		*ctx = (struct vac_ctx){
			.slice = s,
			.state = VAC_CTX_IDLE,
			.next = VAC_NONE,
		};
		a->slices[s].nr_ctx++;
		return (int)c;
	}
	return -ENOSPC;
}

void vac_cancel(struct vac *a, u32 c, u64 now,
		struct vac_change *chg)
{
	struct vac_ctx *ctx = &a->ctxs[c];
	struct vac_slice *sl = &a->slices[ctx->slice];

	vac_change_init(chg);
	if (ctx->state != VAC_CTX_WAITING)
		return;
	vac_fifo_remove(a, ctx->slice, c);
	sl->wait_ns += now > ctx->wait_since ? now - ctx->wait_since : 0;
	ctx->state = VAC_CTX_IDLE;
	vac_requeue(a, ctx->slice);
}

void vac_ctx_detach(struct vac *a, u32 c, u64 now,
		    struct vac_change *chg)
{
	struct vac_ctx *ctx = &a->ctxs[c];

	vac_change_init(chg);
	if (ctx->state == VAC_CTX_FREE)
		return;
	if (ctx->state == VAC_CTX_WAITING)
		vac_cancel(a, c, now, chg);
	if (ctx->state == VAC_CTX_HOLDING)
		vac_end_lease(a, c, now, chg);
	a->slices[ctx->slice].nr_ctx--;
	ctx->state = VAC_CTX_FREE;
	vac_schedule(a, now, chg);
}

/*
 * Should the holder, from slice s, give way now?  Yes when its slice is over
 * budget, or a waiting slice comes before it (priority, then virtual time),
 * or another context of its own slice waits (FIFO within a slice).
 */
static bool vac_should_yield(const struct vac *a, u32 s)
{
	u32 top;

	if (a->slices[s].throttled)
		return true;
	if (!a->st->heap_len)
		return false;
	top = a->heap[0];
	return top == s || vac_before(a, top, s);
}

void vac_tick(struct vac *a, u64 now, struct vac_change *chg)
{
	struct vac_state *st = a->st;

	vac_change_init(chg);
	vac_roll_period(a, now);
	if (st->holder != VAC_NONE && now >= st->deadline) {
		u32 c = st->holder;
		struct vac_ctx *ctx = &a->ctxs[c];

		vac_account(a, c, now, 0, true);
		if (!vac_should_yield(a, ctx->slice)) {
			/*
			 * The holder is the least advanced runnable slice:
			 * the virtual clock follows it, or a slice that wakes
			 * later would start far behind and monopolise.
			 */
			st->vclock = vac_max64(st->vclock,
					       a->slices[ctx->slice].vtime);
			st->deadline = now + vac_lease_len(a, ctx->slice);
			ctx->lease_len = st->deadline - ctx->lease_start;
			chg->extended = c;
		} else {
			vac_end_lease(a, c, now, chg);
		}
	}
	vac_schedule(a, now, chg);
}

int vac_acquire(struct vac *a, u32 c, bool nonblock, u64 now,
		struct vac_change *chg)
{
	struct vac_ctx *ctx = &a->ctxs[c];
	u32 s = ctx->slice;
	struct vac_slice *sl = &a->slices[s];
	bool idle;

	vac_tick(a, now, chg);
	if (ctx->state == VAC_CTX_HOLDING)
		return 0;
	if (ctx->state == VAC_CTX_WAITING)
		return 1;
	if (ctx->state != VAC_CTX_IDLE)
		return -EINVAL;
	if (nonblock && a->st->holder != VAC_NONE)
		return -EAGAIN;

	/*
	 * Waking from idle: no credit for time nobody here wanted the GPU.
	 * A context asking again right after its lease ended (within one
	 * time slice) keeps its place.
	 */
	idle = !sl->nr_waiting && (a->st->holder == VAC_NONE ||
				   a->ctxs[a->st->holder].slice != s) &&
	       now - sl->last_active > a->st->timeslice_ns;
	if (idle)
		sl->vtime = vac_max64(sl->vtime, a->st->vclock);
	ctx->state = VAC_CTX_WAITING;
	ctx->wait_since = now;
	vac_fifo_push(a, s, c);
	vac_requeue(a, s);
	vac_schedule(a, now, chg);
	if (ctx->state == VAC_CTX_HOLDING)
		return 0;
	if (nonblock) {
		struct vac_change ignored;

		vac_cancel(a, c, now, &ignored);
		return -EAGAIN;
	}
	return 1;
}

int vac_release(struct vac *a, u32 c, u64 gen, u64 busy_ns,
		bool yield, u64 now, struct vac_change *chg)
{
	struct vac_ctx *ctx = &a->ctxs[c];

	vac_change_init(chg);
	if (!gen || ctx->gen != gen)
		return -ESTALE;
	if (ctx->state != VAC_CTX_HOLDING) {
		vac_account(a, c, now, busy_ns, false);
		return -ESTALE;
	}
	vac_roll_period(a, now);
	vac_account(a, c, now, busy_ns, true);
	if (yield && !vac_should_yield(a, ctx->slice))
		return 1;
	vac_end_lease(a, c, now, chg);
	vac_schedule(a, now, chg);
	return 0;
}

int vac_report(struct vac *a, u32 c, u64 gen, u64 busy_ns,
	       u64 now, struct vac_change *chg)
{
	struct vac_ctx *ctx = &a->ctxs[c];
	bool held = ctx->state == VAC_CTX_HOLDING;

	vac_change_init(chg);
	if (!gen || ctx->gen != gen)
		return -ESTALE;
	vac_roll_period(a, now);
	vac_account(a, c, now, busy_ns, held);
	vac_schedule(a, now, chg);
	return held ? 0 : -ESTALE;
}

u64 vac_next_event(const struct vac *a)
{
	const struct vac_state *st = a->st;
	u64 next = VAC_NEVER;

	if (st->holder != VAC_NONE)
		next = st->deadline;
	/* A throttled slice may run again when the period ends. */
	if (st->nr_throttled)
		next = vac_min64(next, st->period_end);
	return next;
}

u64 vac_ctx_lease(const struct vac *a, u32 c, u64 *deadline)
{
	const struct vac_ctx *ctx = &a->ctxs[c];

	if (ctx->state != VAC_CTX_HOLDING) {
		*deadline = 0;
		return 0;
	}
	*deadline = a->st->deadline;
	return ctx->gen;
}

u32 vac_nr_waiting(const struct vac *a)
{
	return a->st->nr_waiting;
}

/* Returns 0, or the negated line of the first invariant found broken. */
int vac_check(const struct vac *a)
{
	const struct vac_state *st = a->st;
	u32 s, c, i, holders = 0, waiting = 0;

	if (st->heap_len > st->nr_slices)
		return -__LINE__;
	for (i = 0; i < st->heap_len; i++) {
		s = a->heap[i];
		if (s >= st->nr_slices || a->slices[s].heap_pos != i)
			return -__LINE__;
		if (i && vac_before(a, s, a->heap[(i - 1) / 2]))
			return -__LINE__;
	}
	for (s = 0, i = 0; s < st->nr_slices; s++)
		i += a->slices[s].used && a->slices[s].throttled;
	if (i != st->nr_throttled)
		return -__LINE__;
	for (s = 0; s < st->nr_slices; s++) {
		const struct vac_slice *sl = &a->slices[s];
		u32 n = 0, ctxs = 0, last = VAC_NONE;
		bool want = sl->used && sl->nr_waiting && !sl->throttled;
		bool queued = sl->heap_pos != VAC_NONE;

		if (want != queued)
			return -__LINE__;
		if (!sl->used)
			continue;
		for (c = sl->wait_head; c != VAC_NONE; c = a->ctxs[c].next) {
			if (c >= st->nr_ctxs || n >= st->nr_ctxs)
				return -__LINE__;
			if (a->ctxs[c].state != VAC_CTX_WAITING ||
			    a->ctxs[c].slice != s)
				return -__LINE__;
			last = c;
			n++;
		}
		if (last != sl->wait_tail || n != sl->nr_waiting)
			return -__LINE__;
		waiting += n;
		for (c = 0; c < st->nr_ctxs; c++)
			if (a->ctxs[c].state != VAC_CTX_FREE &&
			    a->ctxs[c].slice == s)
				ctxs++;
		if (ctxs != sl->nr_ctx)
			return -__LINE__;
	}
	for (c = 0; c < st->nr_ctxs; c++) {
		const struct vac_ctx *ctx = &a->ctxs[c];

		if (ctx->state == VAC_CTX_FREE)
			continue;
		if (ctx->slice >= st->nr_slices || !a->slices[ctx->slice].used)
			return -__LINE__;
		if (ctx->state == VAC_CTX_HOLDING) {
			holders++;
			if (st->holder != c)
				return -__LINE__;
		}
	}
	if (holders != (u32)(st->holder == VAC_NONE ? 0 : 1) ||
	    waiting != st->nr_waiting)
		return -__LINE__;
	return 0;
}

static bool vac_ctx_after(const struct vac *a, u32 x, u32 y)
{
	if (a->ctxs[x].wait_since != a->ctxs[y].wait_since)
		return a->ctxs[x].wait_since > a->ctxs[y].wait_since;
	return x > y;
}

void vac_rebuild(struct vac *a, u64 now, struct vac_change *chg)
{
	struct vac_state *st = a->st;
	u32 s, c, prev;

	for (s = 0; s < st->nr_slices; s++) {
		struct vac_slice *sl = &a->slices[s];

		sl->nr_ctx = 0;
		sl->nr_waiting = 0;
		sl->wait_head = VAC_NONE;
		sl->wait_tail = VAC_NONE;
		sl->heap_pos = VAC_NONE;
	}
	st->heap_len = 0;
	st->nr_waiting = 0;
	st->nr_throttled = 0;
	for (s = 0; s < st->nr_slices; s++)
		a->slices[s].throttled = 0;
	if (st->holder >= st->nr_ctxs)
		st->holder = VAC_NONE;
	for (c = 0; c < st->nr_ctxs; c++) {
		struct vac_ctx *ctx = &a->ctxs[c];

		if (ctx->state == VAC_CTX_FREE)
			continue;
		if (ctx->slice >= st->nr_slices || !a->slices[ctx->slice].used ||
		    ctx->state > VAC_CTX_HOLDING) {
			ctx->state = VAC_CTX_FREE;
			continue;
		}
		a->slices[ctx->slice].nr_ctx++;
		if (ctx->state == VAC_CTX_HOLDING && st->holder != c)
			ctx->state = VAC_CTX_IDLE;
	}
	if (st->holder != VAC_NONE &&
	    a->ctxs[st->holder].state != VAC_CTX_HOLDING)
		st->holder = VAC_NONE;
	/* Re-queue the waiters in (wait_since, index) order. */
	for (prev = VAC_NONE;;) {
		u32 next = VAC_NONE;

		for (c = 0; c < st->nr_ctxs; c++) {
			if (a->ctxs[c].state != VAC_CTX_WAITING)
				continue;
			if (prev != VAC_NONE && !vac_ctx_after(a, c, prev))
				continue;
			if (next == VAC_NONE || vac_ctx_after(a, next, c))
				next = c;
		}
		if (next == VAC_NONE)
			break;
		vac_fifo_push(a, a->ctxs[next].slice, next);
		prev = next;
	}
	for (s = 0; s < st->nr_slices; s++)
		if (a->slices[s].used)
			vac_update_throttle(a, s);
	vac_change_init(chg);
	vac_schedule(a, now, chg);
}
