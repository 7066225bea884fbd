// SPDX-License-Identifier: GPL-2.0-only
/*
 * GPU time shares: 2, 3 and 4 processes, each in its own slice with its own
 * weight, launch fixed-duration kernels back to back (asynchronously, never
 * synchronising: libvgpu must bound what they queue; in the last case they
 * wait for their work every 2, 8 and 18 kernels) on the simulated GPU, which
 * runs one kernel at a time.  Over a measurement window, each
 * process's share of the GPU time (its busy nanoseconds in the simulated
 * GPU's records over the total) must be within 2 points of its weight over
 * the sum of weights, under best effort and under fixed share.
 *
 * Slices: on the shm backend each child names its own (VGPU_SLICE, with
 * VGPU_SHARE); on the kernel backend LT_SLICES lists the UUIDs of slices the
 * harness created (their weights are read back through the API).
 */
#include <dlfcn.h>
#include <sys/mman.h>

#include "lt.h"

#define KERNEL_NS	(1 * MS)
#define WARMUP_NS	(300 * MS)
#define WINDOW_NS	(2 * SEC)
#define TOLERANCE	2.0	/* points */

struct scase {
	const char *policy;
	int n;
	unsigned int weight[4];	/* thousandths */
	int sync_every;		/* launches between synchronisations, 0: never */
};

static const struct scase cases[] = {
	{ "best-effort", 2, { 300, 700 }, 0 },
	{ "best-effort", 3, { 200, 300, 500 }, 0 },
	{ "best-effort", 4, { 100, 200, 300, 400 }, 0 },
	{ "fixed-share", 2, { 200, 500 }, 0 },
	{ "fixed-share", 3, { 100, 200, 300 }, 0 },
	{ "fixed-share", 4, { 100, 150, 200, 250 }, 0 },
	/* tenants that wait for their work every 2, 8 and 18 kernels */
	{ "best-effort", 3, { 250, 250, 500 }, 2 },
};

static volatile int *stop_flag;

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / SEC), .tv_nsec = (long)(ns % SEC) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void child(const struct scase *c, int i, int ready_fd, int go_fd)
{
	char v[32];
	CUfunction fn;
	uint64_t launches = 0;

	if (!getenv("LT_SLICES")) {
		snprintf(v, sizeof(v), "share-%d", i);
		setenv("VGPU_SLICE", v, 1);
		snprintf(v, sizeof(v), "%u.%u", c->weight[i] / 10, c->weight[i] % 10);
		setenv("VGPU_SHARE", v, 1);
		setenv("VGPU_POLICY", c->policy, 1);
	} else {
		char list[1024], *tok, *save = NULL;
		int k = 0;

		snprintf(list, sizeof(list), "%s", getenv("LT_SLICES"));
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (k++ == i)
				setenv("VGPU_SLICE", tok, 1);
	}
	lt_context(&fn);
	lt_put(ready_fd, (uint64_t)getpid());
	lt_get(go_fd);
	while (!*stop_flag) {
		OK(lt_launch(fn, NULL, KERNEL_NS));
		launches++;
		if (c->sync_every && launches % (uint64_t)(c->sync_every * (i + 1) * (i + 1)) == 0)
			OK(cuStreamSynchronize(NULL));
	}
	OK(cuCtxSynchronize());
	exit(launches ? 0 : 1);
}

static int run_case(const struct scase *c, int idx)
{
	int ready[2], go[2], bad = 0;
	pid_t pid[4];
	uint64_t b0[4], b1[4], total = 0, wsum = 0;
	char name[160];

	if (!lt_kernel()) {
		snprintf(name, sizeof(name), "%s-%d", lt_vshm, idx);
		setenv("VGPU_SHM", name, 1);
		shm_unlink(name);
	}
	*stop_flag = 0;
	fflush(stdout);
	CHECK(pipe(ready) == 0 && pipe(go) == 0);
	for (int i = 0; i < c->n; i++) {
		pid[i] = lt_fork();
		CHECK(pid[i] >= 0);
		if (pid[i] == 0) {
			close(ready[0]);
			close(go[1]);
			child(c, i, ready[1], go[0]);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int i = 0; i < c->n; i++)
		lt_get(ready[0]);
	for (int i = 0; i < c->n; i++)
		lt_put(go[1], 1);
	/* let every child get going, then measure over the window */
	sleep_ns(WARMUP_NS);
	for (int i = 0; i < c->n; i++)
		b0[i] = fakecuda_busy_ns(pid[i]);
	sleep_ns(WINDOW_NS);
	for (int i = 0; i < c->n; i++)
		b1[i] = fakecuda_busy_ns(pid[i]);
	*stop_flag = 1;
	for (int i = 0; i < c->n; i++)
		lt_reap_ok(pid[i]);
	close(ready[0]);
	close(go[1]);
	for (int i = 0; i < c->n; i++) {
		total += b1[i] - b0[i];
		wsum += c->weight[i];
	}
	printf("  %-11s %d processes%s, GPU busy %5.1f%% of the window:", c->policy, c->n,
	       c->sync_every ? " (synchronising)" : "",
	       100.0 * (double)total / (double)WINDOW_NS);
	for (int i = 0; i < c->n; i++) {
		double want = 100.0 * c->weight[i] / (double)wsum;
		double got = 100.0 * (double)(b1[i] - b0[i]) / (double)total;

		printf("  %.1f%% (want %.1f%%)", got, want);
		if (got < want - TOLERANCE || got > want + TOLERANCE)
			bad = 1;
	}
	printf("%s\n", bad ? "  FAIL" : "");
	if (!lt_kernel())
		shm_unlink(name);
	return bad;
}

/*
 * Kernel backend: the slices the harness made (LT_SLICES, UUIDs), with the
 * operator's weights and the GPU's policy, read back through libvgpu's API
 * (preloaded, so found with dlsym).
 */
static int kernel_case(void)
{
	static const char *const pol[] = { "?", "best-effort", "equal-share", "fixed-share" };
	int (*open_fn)(const char *, const struct vgpu_open_opts *, struct vgpu_slice **);
	int (*info_fn)(const struct vgpu_slice *, struct vgpu_info *);
	void (*close_fn)(struct vgpu_slice *);
	char list[1024], *tok, *save = NULL;
	struct scase c = { .n = 0 };

	*(void **)&open_fn = dlsym(RTLD_DEFAULT, "vgpu_slice_open");
	*(void **)&info_fn = dlsym(RTLD_DEFAULT, "vgpu_slice_info");
	*(void **)&close_fn = dlsym(RTLD_DEFAULT, "vgpu_slice_close");
	CHECK(open_fn && info_fn && close_fn);
	snprintf(list, sizeof(list), "%s", getenv("LT_SLICES"));
	for (tok = strtok_r(list, ",", &save); tok && c.n < 4; tok = strtok_r(NULL, ",", &save)) {
		struct vgpu_slice *s = NULL;
		VGPU_OPTS(vgpu_info, in);
		VGPU_OPTS(vgpu_open_opts, o, .device = 0);

		CHECK(open_fn(tok, &o, &s) == 0 && info_fn(s, &in) == 0);
		c.weight[c.n++] = in.weight;
		c.policy = pol[in.sched < 4 ? in.sched : 0];
		close_fn(s);
	}
	CHECK(c.n >= 2);
	return run_case(&c, 0);
}

int main(int argc, char **argv)
{
	int failed = 0;

	lt_setup("share", "16g", NULL);
	unsetenv("VGPU_MEMORY_LIMIT");
	stop_flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(stop_flag != MAP_FAILED);
	printf("test_share: %llu ms kernels, %.1f s windows\n", KERNEL_NS / MS,
	       (double)WINDOW_NS / SEC);
	if (getenv("LT_SLICES"))
		return kernel_case();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (argc > 1 && atoi(argv[1]) != (int)i)
			continue;
		failed |= run_case(&cases[i], (int)i);
	}
	return failed;
}
