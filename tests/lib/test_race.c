// SPDX-License-Identifier: GPL-2.0-only
/*
 * Racing processes never exceed the quota in sum.  Processes of one slice
 * allocate and free in a loop (plain, managed and stream-ordered memory, of
 * random sizes) while the parent samples, on the simulated GPU, what they
 * hold together: never above the quota.  Charging first and atomically is
 * what makes this hold; a check-then-allocate would let two pass at once.
 * At the end the slice's ledger is back to exactly zero.
 */
#include <sys/mman.h>

#include "lt.h"

#define Q (64 * MiB)
#define NPROC 4
#define RUN_NS (1500 * MS)
#define KEEP 8

static volatile int *stop_flag;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void worker(int id, int ready_fd)
{
	CUdeviceptr held[KEEP] = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(id + 1), ok = 0, refused = 0;
	char line[96];

	lt_context(NULL);
	lt_put(ready_fd, 1);
	while (!*stop_flag) {
		int k = (int)(rnd(&seed) % KEEP);
		size_t size = (size_t)(rnd(&seed) % (12 * MiB)) + 1;
		CUresult r;

		if (held[k]) {
			OK(cuMemFree(held[k]));
			held[k] = 0;
			continue;
		}
		switch (rnd(&seed) % 3) {
		case 0: r = cuMemAlloc(&held[k], size); break;
		case 1: r = cuMemAllocManaged(&held[k], size, CU_MEM_ATTACH_GLOBAL); break;
		default:
			r = cuMemAllocAsync(&held[k], size, NULL);
			break;
		}
		if (r == CUDA_SUCCESS) {
			ok++;
		} else {
			CU(r, CUDA_ERROR_OUT_OF_MEMORY);
			held[k] = 0;
			refused++;
			/* cached pool blocks go back at synchronisation */
			OK(cuStreamSynchronize(NULL));
		}
	}
	for (int k = 0; k < KEEP; k++)
		if (held[k])
			OK(cuMemFree(held[k]));
	OK(cuCtxSynchronize());
	snprintf(line, sizeof(line), "    worker %d: %llu allocations, %llu refused\n", id,
		 (unsigned long long)ok, (unsigned long long)refused);
	CHECK(write(1, line, strlen(line)) > 0);
	exit(ok && refused ? 0 : 2);
}

int main(void)
{
	pid_t pid[NPROC];
	int ready[2];
	uint64_t samples = 0, peak = 0, end;
	struct vgpu_slice *s;
	VGPU_OPTS(vgpu_slice_stats, st);

	lt_setup("race", "1g", NULL);
	setenv("VGPU_MEMORY_LIMIT", "64m", 1);
	stop_flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(stop_flag != MAP_FAILED);
	CHECK(pipe(ready) == 0);
	/* our handle keeps the slice (and its counters) while workers come and go */
	s = lt_slice(1 * GiB);
	fflush(stdout);
	for (int i = 0; i < NPROC; i++) {
		pid[i] = lt_fork();
		CHECK(pid[i] >= 0);
		if (pid[i] == 0) {
			close(ready[0]);
			worker(i, ready[1]);
		}
	}
	close(ready[1]);
	for (int i = 0; i < NPROC; i++)
		lt_get(ready[0]);
	/*
	 * What the workers hold on the GPU, together (one snapshot of the
	 * simulated GPU's records: pid 0), as often as we can look.
	 */
	end = lt_now() + RUN_NS;
	while (lt_now() < end) {
		uint64_t used = fakecuda_mem_used(0);

		if (used > peak)
			peak = used;
		samples++;
		CHECK(used <= Q);
	}
	*stop_flag = 1;
	for (int i = 0; i < NPROC; i++)
		lt_reap_ok(pid[i]);
	printf("test_race: %d processes, %llu samples, peak %.1f MiB of a %llu MiB quota\n",
	       NPROC, (unsigned long long)samples, (double)peak / MiB, Q / MiB);
	CHECK(peak > Q / 2);
	/* nothing left charged */
	CHECK(vgpu_slice_stats(s, &st) == 0);
	CHECK_EQ(st.mem_used, 0);
	CHECK(st.mem_peak <= Q);
	CHECK(st.charge_refused > 0);
	vgpu_slice_close(s);
	return 0;
}
