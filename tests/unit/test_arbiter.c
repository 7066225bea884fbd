// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the arbiter core on a simulated clock: deterministic, no
 * threads, no sleeping.  Each tenant is a context that always has work: it
 * holds the GPU busy for its whole lease and asks again as soon as a lease
 * ends, unless the scenario makes it idle.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kmod/core/arbiter_core.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define NSL 16
#define NCTX 64

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL %s:%d: ", __func__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

struct arb {
	struct vac_state st;
	struct vac_slice slices[NSL];
	struct vac_ctx ctxs[NCTX];
	uint32_t heap[NSL];
	struct vac a;
};

static void arb_init(struct arb *x, uint32_t policy, uint64_t ts, uint64_t period)
{
	memset(x, 0, sizeof(*x));
	x->st.nr_slices = NSL;
	x->st.nr_ctxs = NCTX;
	x->a = (struct vac){ &x->st, x->slices, x->ctxs, x->heap };
	vac_init(&x->a, policy, ts, period, 0);
}

static void must_check(struct arb *x, const char *where)
{
	int r = vac_check(&x->a);

	if (r) {
		printf("FAIL invariant broken at line %d after %s\n", -r, where);
		failures++;
		exit(1);
	}
}

/*
 * Run busy tenants for `duration` of simulated time.  busy[c] says whether
 * context c always wants the GPU.  The holder's GPU use equals its lease
 * wall time (it is revoked at the deadline when contended).
 */
static void run_busy(struct arb *x, const int *ctx, int n, const bool *busy,
		     uint64_t start, uint64_t duration)
{
	struct vac_change chg;
	uint64_t now = start, end = start + duration;
	int i;

	for (i = 0; i < n; i++)
		if (busy[i])
			vac_acquire(&x->a, ctx[i], false, now, &chg);
	must_check(x, "initial acquires");
	while (now < end) {
		uint64_t next = vac_next_event(&x->a);

		if (next == VAC_NEVER || next > end)
			break;
		now = next;
		vac_tick(&x->a, now, &chg);
		must_check(x, "tick");
		if (chg.ended != VAC_NONE) {
			/* The revoked tenant asks again at once. */
			for (i = 0; i < n; i++)
				if ((uint32_t)ctx[i] == chg.ended && busy[i])
					vac_acquire(&x->a, ctx[i], false, now, &chg);
			must_check(x, "re-acquire");
		}
	}
}

static double share(struct arb *x, int s, uint64_t total)
{
	return 100.0 * (double)x->slices[s].busy_ns / (double)total;
}

static void test_weights_1_2_7(uint32_t policy, const char *name)
{
	struct arb x;
	int s[3], c[3], i;
	bool busy[3] = { true, true, true };
	uint32_t w[3] = { 100, 200, 700 };
	uint64_t total = 0;

	arb_init(&x, policy, 10 * MS, 100 * MS);
	for (i = 0; i < 3; i++) {
		s[i] = vac_slice_add(&x.a, w[i], 0, 0, 0);
		c[i] = vac_ctx_attach(&x.a, s[i]);
	}
	run_busy(&x, c, 3, busy, 0, 10 * SEC);
	for (i = 0; i < 3; i++)
		total += x.slices[s[i]].busy_ns;
	for (i = 0; i < 3; i++) {
		double want = policy == VAC_EQUAL_SHARE ? 100.0 / 3 : w[i] / 10.0;
		double got = share(&x, s[i], total);

		CHECK(got > want - 1.0 && got < want + 1.0,
		      "%s: slice %d got %.2f%%, want %.2f%%", name, i, got, want);
	}
	/* Busy tenants keep the GPU busy: no time is lost between leases. */
	CHECK(total >= 10 * SEC - 20 * MS, "%s: GPU busy %" PRIu64 " ns of 10 s",
	      name, total);
}

static void test_idle_slice(uint32_t policy)
{
	struct arb x;
	int s[3], c[3], i;
	bool busy[3] = { false, true, true };	/* the 10 % slice is idle */
	uint32_t w[3] = { 100, 200, 700 };
	uint64_t total = 10 * SEC;

	arb_init(&x, policy, 10 * MS, 100 * MS);
	for (i = 0; i < 3; i++) {
		s[i] = vac_slice_add(&x.a, w[i], 0, 0, 0);
		c[i] = vac_ctx_attach(&x.a, s[i]);
	}
	run_busy(&x, c, 3, busy, 0, total);
	CHECK(x.slices[s[0]].busy_ns == 0, "idle slice was charged");
	if (policy == VAC_BEST_EFFORT) {
		/* Work-conserving: 2:7 of the whole GPU. */
		CHECK(share(&x, s[1], total) > 21.2 && share(&x, s[1], total) < 23.2,
		      "best effort: 20%% slice got %.2f%%, want 22.2%%",
		      share(&x, s[1], total));
		CHECK(share(&x, s[2], total) > 76.8 && share(&x, s[2], total) < 78.8,
		      "best effort: 70%% slice got %.2f%%, want 77.8%%",
		      share(&x, s[2], total));
	} else {
		/* Fixed share: never more than the share; 10 % left unused. */
		CHECK(share(&x, s[1], total) > 19.0 && share(&x, s[1], total) <= 20.2,
		      "fixed share: 20%% slice got %.2f%%", share(&x, s[1], total));
		CHECK(share(&x, s[2], total) > 69.0 && share(&x, s[2], total) <= 70.2,
		      "fixed share: 70%% slice got %.2f%%", share(&x, s[2], total));
	}
}

static void test_cap(void)
{
	struct arb x;
	int s[2], c[2];
	bool busy[2] = { true, true };
	uint64_t total = 5 * SEC;

	arb_init(&x, VAC_BEST_EFFORT, 5 * MS, 100 * MS);
	s[0] = vac_slice_add(&x.a, 100, 0, 0, 0);
	s[1] = vac_slice_add(&x.a, 700, 500, 0, 0);	/* capped at 50 % */
	c[0] = vac_ctx_attach(&x.a, s[0]);
	c[1] = vac_ctx_attach(&x.a, s[1]);
	run_busy(&x, c, 2, busy, 0, total);
	CHECK(share(&x, s[1], total) <= 50.2 && share(&x, s[1], total) > 48.0,
	      "capped slice got %.2f%%, cap 50%%", share(&x, s[1], total));
	CHECK(share(&x, s[0], total) > 48.0,
	      "uncapped slice got %.2f%%, want the rest", share(&x, s[0], total));
}

static void test_priority_and_fifo(void)
{
	struct arb x;
	struct vac_change chg;
	int lo, hi, c0, c1, c2, h;
	uint64_t now = 0, gen, dl;

	arb_init(&x, VAC_BEST_EFFORT, 10 * MS, 100 * MS);
	lo = vac_slice_add(&x.a, 500, 0, 0, 0);
	hi = vac_slice_add(&x.a, 100, 0, 0, 3);
	c0 = vac_ctx_attach(&x.a, lo);
	c1 = vac_ctx_attach(&x.a, lo);
	c2 = vac_ctx_attach(&x.a, hi);
	h = vac_ctx_attach(&x.a, lo);

	CHECK(vac_acquire(&x.a, h, false, now, &chg) == 0 && chg.granted == (uint32_t)h,
	      "first acquire on an idle GPU is granted at once");
	CHECK(vac_acquire(&x.a, c0, true, now, &chg) == -EAGAIN,
	      "non-blocking acquire while held gives EAGAIN");
	CHECK(vac_nr_waiting(&x.a) == 0, "EAGAIN leaves nothing queued");
	CHECK(vac_acquire(&x.a, c0, false, now + 1, &chg) == 1, "c0 waits");
	CHECK(vac_acquire(&x.a, c1, false, now + 2, &chg) == 1, "c1 waits");
	CHECK(vac_acquire(&x.a, c2, false, now + 3, &chg) == 1, "c2 waits");
	gen = vac_ctx_lease(&x.a, h, &dl);
	CHECK(gen && dl == 10 * MS, "lease deadline is the time slice");

	/* Higher priority gets the next lease although it has less weight. */
	vac_release(&x.a, h, gen, 1 * MS, false, 2 * MS, &chg);
	CHECK(chg.ended == (uint32_t)h && chg.granted == (uint32_t)c2,
	      "high-priority slice gets the next lease (granted %u)", chg.granted);
	gen = vac_ctx_lease(&x.a, c2, &dl);
	vac_release(&x.a, c2, gen, 0, false, 3 * MS, &chg);
	/* Then the low slice's waiters, in arrival order. */
	CHECK(chg.granted == (uint32_t)c0, "FIFO within a slice: c0 first");
	gen = vac_ctx_lease(&x.a, c0, &dl);
	vac_release(&x.a, c0, gen, 0, false, 4 * MS, &chg);
	CHECK(chg.granted == (uint32_t)c1, "FIFO within a slice: then c1");
	must_check(&x, "priority");
}

static void test_extend_and_yield(void)
{
	struct arb x;
	struct vac_change chg;
	int s, c, d;
	uint64_t gen, dl, dl2;

	arb_init(&x, VAC_BEST_EFFORT, 10 * MS, 100 * MS);
	s = vac_slice_add(&x.a, 500, 0, 0, 0);
	c = vac_ctx_attach(&x.a, s);
	d = vac_ctx_attach(&x.a, s);
	vac_acquire(&x.a, c, false, 0, &chg);
	gen = vac_ctx_lease(&x.a, c, &dl);

	/* Uncontended: extended in place, same generation. */
	vac_tick(&x.a, dl, &chg);
	CHECK(chg.extended == (uint32_t)c && chg.ended == VAC_NONE,
	      "uncontended lease is extended");
	CHECK(vac_ctx_lease(&x.a, c, &dl2) == gen && dl2 == dl + 10 * MS,
	      "extension keeps the generation, moves the deadline");
	CHECK(x.slices[s].busy_ns == 10 * MS, "held time is charged at extension");
	CHECK(vac_release(&x.a, c, gen, 0, true, dl + MS, &chg) == 1,
	      "yield without waiters keeps the lease");

	/* Contended: revoked at the deadline, passed on. */
	vac_acquire(&x.a, d, false, dl + 2 * MS, &chg);
	vac_tick(&x.a, dl2, &chg);
	CHECK(chg.ended == (uint32_t)c && chg.granted == (uint32_t)d,
	      "contended lease is revoked at its deadline");
	CHECK(vac_release(&x.a, c, gen, 0, false, dl2 + 1, &chg) == -ESTALE,
	      "release of a revoked lease is ESTALE");
	must_check(&x, "extend");
}

static void test_spill_charged(void)
{
	struct arb x;
	struct vac_change chg;
	int s, c, d;
	uint64_t gen, dl, before;

	arb_init(&x, VAC_BEST_EFFORT, 10 * MS, 100 * MS);
	s = vac_slice_add(&x.a, 500, 0, 0, 0);
	c = vac_ctx_attach(&x.a, s);
	d = vac_ctx_attach(&x.a, vac_slice_add(&x.a, 500, 0, 0, 0));
	vac_acquire(&x.a, c, false, 0, &chg);
	vac_acquire(&x.a, d, false, 0, &chg);
	gen = vac_ctx_lease(&x.a, c, &dl);
	vac_tick(&x.a, dl, &chg);
	before = x.slices[s].busy_ns;
	CHECK(before == 10 * MS, "revoked lease charged its wall time");
	/* Its work ran on 3 ms past the deadline: reported late, charged. */
	CHECK(vac_report(&x.a, c, gen, 13 * MS, dl + 5 * MS, &chg) == -ESTALE,
	      "late report is ESTALE");
	CHECK(x.slices[s].busy_ns == before + 3 * MS, "spill is charged");
	CHECK(x.slices[s].overruns == 1 && x.slices[s].spill_ns == 3 * MS,
	      "overrun counted once with its spill");
	/* A report cannot claim more than the time since the lease began. */
	vac_report(&x.a, c, gen, 1 * SEC, dl + 6 * MS, &chg);
	CHECK(x.slices[s].busy_ns == 16 * MS, "report bounded by elapsed time");
	CHECK(x.slices[s].overruns == 1, "still one overrun for the lease");
	must_check(&x, "spill");
}

/* Revoked late (charged past its deadline): a spill reported later is
 * still counted as one overrun. */
static void test_spill_after_late_revoke(void)
{
	struct arb x;
	struct vac_change chg;
	int s, c, d;
	uint64_t gen, dl;

	arb_init(&x, VAC_BEST_EFFORT, 10 * MS, 100 * MS);
	s = vac_slice_add(&x.a, 500, 0, 0, 0);
	c = vac_ctx_attach(&x.a, s);
	d = vac_ctx_attach(&x.a, s);
	vac_acquire(&x.a, c, false, 0, &chg);
	vac_acquire(&x.a, d, false, 0, &chg);	/* same slice: FIFO */
	gen = vac_ctx_lease(&x.a, c, &dl);
	vac_tick(&x.a, dl + 2 * MS, &chg);
	CHECK(chg.ended == (uint32_t)c, "c revoked 2 ms late");
	CHECK(x.slices[s].busy_ns == 12 * MS, "charged the 12 ms it held");
	vac_report(&x.a, c, gen, 15 * MS, dl + 8 * MS, &chg);
	CHECK(x.slices[s].overruns == 1 && x.slices[s].spill_ns == 3 * MS,
	      "late revocation: overruns %llu spill %llu",
	      (unsigned long long)x.slices[s].overruns,
	      (unsigned long long)x.slices[s].spill_ns);
	must_check(&x, "late revoke");
	must_check(&x, "spill");
}

/* A tenant alone for a long time does not leave a newcomer far behind. */
static void test_newcomer_after_long_run(void)
{
	struct arb x;
	struct vac_change chg;
	int s[2], c[2];
	bool busy[2] = { true, true };
	uint64_t a0, b0;

	arb_init(&x, VAC_BEST_EFFORT, 10 * MS, 100 * MS);
	s[0] = vac_slice_add(&x.a, 500, 0, 0, 0);
	s[1] = vac_slice_add(&x.a, 500, 0, 0, 0);
	c[0] = vac_ctx_attach(&x.a, s[0]);
	c[1] = vac_ctx_attach(&x.a, s[1]);
	run_busy(&x, c, 1, busy, 0, 10 * SEC);		/* A alone */
	a0 = x.slices[s[0]].busy_ns;
	b0 = x.slices[s[1]].busy_ns;
	CHECK(b0 == 0, "B never ran");
	/* B arrives; both busy for 2 s: equal weights share equally now. */
	vac_acquire(&x.a, c[1], false, 10 * SEC, &chg);
	run_busy(&x, c, 2, busy, 10 * SEC, 2 * SEC);
	CHECK(x.slices[s[0]].busy_ns - a0 > 900 * MS &&
	      x.slices[s[1]].busy_ns - b0 > 900 * MS,
	      "after B arrives: A %.1f ms, B %.1f ms of 2 s",
	      (double)(x.slices[s[0]].busy_ns - a0) / MS,
	      (double)(x.slices[s[1]].busy_ns - b0) / MS);
	(void)chg;
}

static void test_detach_holder(void)
{
	struct arb x;
	struct vac_change chg;
	int s, c, d;

	arb_init(&x, VAC_FIXED_SHARE, 10 * MS, 100 * MS);
	s = vac_slice_add(&x.a, 500, 0, 0, 0);
	c = vac_ctx_attach(&x.a, s);
	d = vac_ctx_attach(&x.a, s);
	vac_acquire(&x.a, c, false, 0, &chg);
	vac_acquire(&x.a, d, false, 0, &chg);
	vac_ctx_detach(&x.a, c, 4 * MS, &chg);
	CHECK(chg.ended == (uint32_t)c && chg.granted == (uint32_t)d,
	      "detaching the holder passes the lease on at once");
	CHECK(x.slices[s].busy_ns == 4 * MS, "held time charged on detach");
	CHECK(vac_slice_del(&x.a, s) == -EBUSY, "slice with contexts stays");
	vac_ctx_detach(&x.a, d, 5 * MS, &chg);
	CHECK(x.st.holder == VAC_NONE, "no holder left");
	CHECK(vac_slice_del(&x.a, s) == 0, "empty slice deleted");
	must_check(&x, "detach");
}

/* Brute force: the context that should be granted next. */
static uint32_t brute_next(struct arb *x)
{
	uint32_t best = VAC_NONE, s;

	for (s = 0; s < NSL; s++) {
		struct vac_slice *sl = &x->slices[s];

		if (!sl->used || !sl->nr_waiting || sl->throttled)
			continue;
		if (best == VAC_NONE || sl->priority > x->slices[best].priority ||
		    (sl->priority == x->slices[best].priority &&
		     (sl->vtime < x->slices[best].vtime ||
		      (sl->vtime == x->slices[best].vtime && s < best))))
			best = s;
	}
	return best == VAC_NONE ? VAC_NONE : x->slices[best].wait_head;
}

static void test_random_ops(uint32_t policy, unsigned int seed)
{
	struct arb x;
	struct vac_change chg;
	uint64_t now = 0;
	int i;

	srand(seed);
	arb_init(&x, policy, 2 * MS, 20 * MS);
	for (i = 0; i < 50000; i++) {
		int op = rand() % 9;
		uint32_t c = rand() % NCTX, s = rand() % NSL;
		uint64_t gen, dl;

		now += rand() % (3 * MS);
		switch (op) {
		case 0:
			if (vac_slice_add(&x.a, 1 + rand() % 1000,
					  rand() % 2 ? 0 : 500 + rand() % 501,
					  rand() % 2 ? 0 : MS, rand() % 3) < 0)
				vac_slice_del(&x.a, s);
			break;
		case 1:
			if (x.slices[s].used)
				vac_ctx_attach(&x.a, s);
			break;
		case 2:
			vac_ctx_detach(&x.a, c, now, &chg);
			break;
		case 3: case 4:
			if (x.ctxs[c].state != VAC_CTX_FREE)
				vac_acquire(&x.a, c, rand() % 4 == 0, now, &chg);
			break;
		case 5:
			if (x.ctxs[c].state != VAC_CTX_FREE)
				vac_cancel(&x.a, c, now, &chg);
			break;
		case 6:
			if (x.st.holder != VAC_NONE) {
				uint32_t h = x.st.holder, want;

				gen = vac_ctx_lease(&x.a, h, &dl);
				vac_release(&x.a, h, gen, rand() % (4 * MS),
					    rand() % 2, now, &chg);
				if (chg.ended == h) {
					/* Whoever was granted is the best. */
					want = chg.granted;
					CHECK(x.st.holder == want, "holder is the granted one");
				}
			}
			break;
		case 7:
			if (x.ctxs[c].state != VAC_CTX_FREE && x.ctxs[c].gen)
				vac_report(&x.a, c, x.ctxs[c].gen,
					   rand() % (10 * MS), now, &chg);
			break;
		case 8: {
			uint32_t predicted;

			vac_tick(&x.a, now, &chg);
			must_check(&x, "random tick");
			if (x.st.holder == VAC_NONE) {
				predicted = brute_next(&x);
				CHECK(predicted == VAC_NONE,
				      "GPU idle while ctx %u could run", predicted);
			}
			break;
		}
		}
		must_check(&x, "random op");
		if (x.st.holder == VAC_NONE)
			CHECK(brute_next(&x) == VAC_NONE,
			      "op %d left the GPU idle with runnable waiters", op);
		if (failures > 10)
			return;
	}
}

/* The heap picks what brute force picks, whenever a lease is granted. */
static void test_choice_matches_brute_force(void)
{
	struct arb x;
	struct vac_change chg;
	uint64_t now = 0;
	int i, c;

	srand(7);
	arb_init(&x, VAC_BEST_EFFORT, MS, 50 * MS);
	for (i = 0; i < NSL; i++)
		vac_slice_add(&x.a, 1 + rand() % 1000, 0, 0, rand() % 2);
	for (c = 0; c < NCTX; c++)
		vac_ctx_attach(&x.a, c % NSL);
	for (c = 0; c < NCTX; c++)
		vac_acquire(&x.a, c, false, now, &chg);
	for (i = 0; i < 20000; i++) {
		uint32_t h = x.st.holder, want;
		uint64_t gen, dl;

		gen = vac_ctx_lease(&x.a, h, &dl);
		now = dl - rand() % MS;
		/* Release early; brute force predicts after the charge. */
		vac_report(&x.a, h, gen, now - x.ctxs[h].lease_start, now, &chg);
		x.ctxs[h].state = VAC_CTX_IDLE;	/* peek without ending */
		x.st.holder = VAC_NONE;
		want = brute_next(&x);
		x.ctxs[h].state = VAC_CTX_HOLDING;
		x.st.holder = h;
		vac_release(&x.a, h, gen, 0, false, now, &chg);
		CHECK(chg.granted == want, "heap chose %u, brute force %u",
		      chg.granted, want);
		vac_acquire(&x.a, h, false, now, &chg);
		if (failures > 10)
			return;
	}
	must_check(&x, "brute force");
}

static void test_rebuild(void)
{
	struct arb x;
	struct vac_change chg;
	int s0, s1, c[6], i;
	uint32_t holder;

	arb_init(&x, VAC_BEST_EFFORT, 10 * MS, 100 * MS);
	s0 = vac_slice_add(&x.a, 300, 0, 0, 0);
	s1 = vac_slice_add(&x.a, 300, 0, 0, 0);
	for (i = 0; i < 6; i++) {
		c[i] = vac_ctx_attach(&x.a, i % 2 ? s1 : s0);
		vac_acquire(&x.a, c[i], false, i * 1000, &chg);
	}
	holder = x.st.holder;
	/* A process died mid-update: derived state is garbage. */
	x.st.heap_len = 1;
	x.heap[0] = 9;
	x.slices[s0].wait_head = 4242;
	x.slices[s1].nr_waiting = 0;
	x.slices[s0].nr_ctx = 17;
	CHECK(vac_check(&x.a) != 0, "corruption detected");
	vac_rebuild(&x.a, 10000, &chg);
	CHECK(vac_check(&x.a) == 0, "rebuild restores the invariants");
	CHECK(x.st.holder == holder, "rebuild keeps the holder");
	CHECK(x.slices[s0].nr_waiting + x.slices[s1].nr_waiting == 5,
	      "rebuild keeps every waiter");
	CHECK(x.slices[s0].wait_head == (uint32_t)c[2],
	      "rebuild keeps arrival order (head %u)", x.slices[s0].wait_head);
}

int main(void)
{
	test_weights_1_2_7(VAC_BEST_EFFORT, "best effort");
	test_weights_1_2_7(VAC_FIXED_SHARE, "fixed share");
	test_weights_1_2_7(VAC_EQUAL_SHARE, "equal share");
	test_idle_slice(VAC_BEST_EFFORT);
	test_idle_slice(VAC_FIXED_SHARE);
	test_cap();
	test_priority_and_fifo();
	test_extend_and_yield();
	test_spill_charged();
	test_spill_after_late_revoke();
	test_newcomer_after_long_run();
	test_detach_holder();
	test_choice_matches_brute_force();
	test_random_ops(VAC_BEST_EFFORT, 1);
	test_random_ops(VAC_FIXED_SHARE, 2);
	test_random_ops(VAC_EQUAL_SHARE, 3);
	test_rebuild();
	if (failures) {
		printf("test_arbiter: %d failures\n", failures);
		return 1;
	}
	printf("test_arbiter: all passed\n");
	return 0;
}
