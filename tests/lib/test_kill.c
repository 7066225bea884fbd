// SPDX-License-Identifier: GPL-2.0-only
/*
 * kill -9 at random moments leaves nothing behind.  Rounds of processes of
 * one slice (CUDA allocators, CUDA lease holders launching kernels, API
 * users charging and taking leases directly) are killed at random times,
 * wherever they are: in a charge, holding the lease, holding the region's
 * lock, initialising.  Then the slice's ledger must be exactly zero, only
 * our own context attached, no lease held by anyone (we get it at once),
 * and a new process can allocate the whole quota.
 */
#include "lt.h"

#define Q (64 * MiB)
#define ROUNDS 30
#define PER_ROUND 4

static uint64_t seed = 88172645463325252ULL;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static void sleep_us(uint64_t us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void cuda_allocator(uint64_t s)
{
	CUdeviceptr held[4] = { 0 };

	lt_context(NULL);
	for (;;) {
		int k = (int)(s % 4);

		s = s * 6364136223846793005ULL + 1;
		if (held[k]) {
			cuMemFree(held[k]);
			held[k] = 0;
		} else if (s & 1) {
			if (cuMemAlloc(&held[k], (s >> 8) % (16 * MiB) + 1))
				held[k] = 0;
		} else {
			if (cuMemAllocAsync(&held[k], (s >> 8) % (16 * MiB) + 1, NULL))
				held[k] = 0;
		}
	}
}

static void cuda_holder(uint64_t s)
{
	CUfunction fn;
	CUdeviceptr p;

	lt_context(&fn);
	if (cuMemAlloc(&p, (s % 8 + 1) * MiB))
		p = 0;
	for (;;)
		lt_launch(fn, NULL, 300 * 1000);
}

static void api_user(uint64_t s)
{
	struct vgpu_slice *sl = lt_slice(1 * GiB);
	uint64_t held = 0, gen;

	for (;;) {
		uint64_t n = (s >> 8) % (8 * MiB) + 1;

		s = s * 6364136223846793005ULL + 1;
		switch (s % 4) {
		case 0:
			if (!vgpu_mem_charge(sl, n))
				held += n;
			break;
		case 1:
			if (held) {
				vgpu_mem_uncharge(sl, held);
				held = 0;
			}
			break;
		case 2:
			vgpu_lease_acquire(sl, 2000, 0, &gen);
			break;
		default:
			vgpu_lease_release(sl, 100000, s & 8 ? VGPU_LEASE_YIELD : 0);
			break;
		}
	}
}

int main(void)
{
	struct vgpu_slice *s;
	VGPU_OPTS(vgpu_slice_stats, st);
	uint64_t gen, kills = 0;
	pid_t pid;

	lt_setup("kill", "1g", NULL);
	setenv("VGPU_MEMORY_LIMIT", "64m", 1);
	setenv("VGPU_TIMESLICE_MS", "2", 1);
	/* our handle keeps the slice while the others come and go */
	s = lt_slice(1 * GiB);
	for (int round = 0; round < ROUNDS; round++) {
		pid_t p[PER_ROUND];

		for (int i = 0; i < PER_ROUND; i++) {
			uint64_t r = rnd();

			p[i] = lt_fork();
			CHECK(p[i] >= 0);
			if (p[i] == 0) {
				switch ((round + i) % 3) {
				case 0: cuda_allocator(r); break;
				case 1: cuda_holder(r); break;
				default: api_user(r); break;
				}
				_exit(0);
			}
		}
		for (int i = 0; i < PER_ROUND; i++) {
			sleep_us(rnd() % 15000);
			CHECK(kill(p[i], SIGKILL) == 0);
		}
		for (int i = 0; i < PER_ROUND; i++) {
			int status = lt_wait(p[i]);

			CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
			kills++;
		}
	}
	/* nothing left: ledger zero, only us, nobody holding */
	CHECK(vgpu_slice_stats(s, &st) == 0);
	printf("test_kill: %llu processes killed at random; slice: %llu bytes charged, %u "
	       "contexts, %llu leases granted, holding %u\n", (unsigned long long)kills,
	       (unsigned long long)st.mem_used, st.contexts, (unsigned long long)st.leases,
	       st.holding);
	CHECK_EQ(st.mem_used, 0);
	CHECK_EQ(st.contexts, 1);
	CHECK_EQ(st.holding, 0);
	CHECK(st.leases > 0);
	CHECK(vgpu_lease_acquire(s, 0, VGPU_LEASE_NONBLOCK, &gen) == 0);
	CHECK(vgpu_lease_valid(s));
	CHECK(vgpu_lease_release(s, 0, 0) == 0);
	CHECK(vgpu_mem_charge(s, Q) == 0);
	CHECK(vgpu_mem_charge(s, 1) == -ENOSPC);
	CHECK(vgpu_mem_uncharge(s, Q) == 0);
	/* and a new CUDA process gets the whole quota */
	fflush(stdout);
	pid = lt_fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CUdeviceptr a, b;

		lt_context(NULL);
		OK(cuMemAlloc(&a, Q));
		OOM(cuMemAlloc(&b, 1));
		OK(cuMemFree(a));
		exit(0);
	}
	lt_reap_ok(pid);
	vgpu_slice_close(s);
	return 0;
}
