// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cost of choosing the next holder, from 16 to 1024 contexts, each in a
 * slice of its own and all waiting: one hand-over is the holder's release
 * (its time charged, the next holder chosen from the heap) and its asking
 * again (queued).  Figures only; nothing is asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../kmod/core/arbiter_core.h"

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static double handover_ns(u32 n, u32 rounds)
{
	struct vac_state st = { .nr_slices = n, .nr_ctxs = n };
	struct vac_slice *slices = calloc(n, sizeof(*slices));
	struct vac_ctx *ctxs = calloc(n, sizeof(*ctxs));
	u32 *heap = calloc(n, sizeof(*heap));
	struct vac a = { &st, slices, ctxs, heap };
	struct vac_change chg;
	u64 t = 0, t0, t1;
	u32 i;

	vac_init(&a, VAC_BEST_EFFORT, 1000000, 100000000, 0);
	srand(1);
	for (i = 0; i < n; i++) {
		vac_slice_add(&a, 1 + (u32)rand() % 1000 / (n / 16 + 1), 0, 0, 0);
		vac_ctx_attach(&a, i);
		vac_acquire(&a, i, false, t, &chg);
	}
	t0 = now_ns();
	for (i = 0; i < rounds; i++) {
		u32 h = st.holder;
		u64 gen, dl;

		gen = vac_ctx_lease(&a, h, &dl);
		t += 1000 + (u64)(rand() % 1000000);
		vac_release(&a, h, gen, t - ctxs[h].lease_start, false, t, &chg);
		vac_acquire(&a, h, false, t, &chg);
	}
	t1 = now_ns();
	if (vac_check(&a))
		fprintf(stderr, "bench_arbiter: invariants broken\n");
	free(slices);
	free(ctxs);
	free(heap);
	return (double)(t1 - t0) / rounds;
}

int main(void)
{
	static const u32 sizes[] = { 16, 64, 256, 1024 };
	double first = 0;
	size_t i;

	printf("arbiter core: choosing the next holder (release + ask again)\n");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double ns = handover_ns(sizes[i], 2000000);

		if (!i)
			first = ns;
		printf("  %5u contexts  %7.1f ns per hand-over  (x%.2f of 16)\n",
		       sizes[i], ns, ns / first);
	}
	return 0;
}
