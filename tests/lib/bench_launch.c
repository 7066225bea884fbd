// SPDX-License-Identifier: GPL-2.0-only
/*
 * What libvgpu adds to a kernel launch and to an allocation, on the
 * simulated GPU: the same program run without and with the interposer, in
 * the same run, alternately, best of several rounds.  Prints figures and
 * ratios; asserts nothing.
 *
 *   bench_launch            (under tests/lib/run.sh: LD_PRELOAD=libvgpu)
 */
#include <dlfcn.h>
#include <sys/wait.h>

#include "lt.h"

#define BATCHES 40
#define LAUNCHES 5000		/* per batch */
#define ALLOCS 500
#define VALID_CHECKS 200000
#define ROUNDS 5

struct result {
	double launch_ns, alloc_ns, info_ns, valid_ns;
};

static CUfunction g_fn;
static struct vgpu_slice *g_slice;
static bool (*g_valid)(const struct vgpu_slice *);

static void do_launches(void)
{
	for (int i = 0; i < LAUNCHES; i++)
		cuLaunchKernel(g_fn, 1, 1, 1, 32, 1, 1, 0, NULL, NULL, NULL);
}

static void do_allocs(void)
{
	CUdeviceptr p;

	for (int i = 0; i < ALLOCS; i++) {
		cuMemAlloc(&p, 4096);
		cuMemFree(p);
	}
}

static void do_info(void)
{
	size_t fr, total;

	for (int i = 0; i < ALLOCS; i++)
		cuMemGetInfo(&fr, &total);
}

static volatile unsigned long sink;

static void do_valid(void)
{
	unsigned long n = 0;

	for (int i = 0; i < VALID_CHECKS; i++)
		n += g_valid(g_slice);
	sink = n;
}

/* The fastest of BATCHES batches, per operation: what is left once the
 * machine's other work is out of the picture. */
static double best(void (*fn)(void), int per_batch)
{
	double b = 1e18;

	for (int k = 0; k < BATCHES; k++) {
		uint64_t t0 = lt_now();
		double x;

		fn();
		x = (double)(lt_now() - t0) / per_batch;
		if (x < b)
			b = x;
		if (fn == do_launches)
			OK(cuCtxSynchronize());
	}
	return b;
}

static void child(int fd)
{
	struct result res = { 0 };
	int (*open_fn)(const char *, const struct vgpu_open_opts *, struct vgpu_slice **);
	int (*acq)(struct vgpu_slice *, uint32_t, unsigned int, uint64_t *);

	lt_context(&g_fn);
	do_launches();
	OK(cuCtxSynchronize());
	res.launch_ns = best(do_launches, LAUNCHES);
	res.alloc_ns = best(do_allocs, ALLOCS);
	res.info_ns = best(do_info, ALLOCS);
	/* the lease check alone, through the API, when libvgpu is there */
	*(void **)&open_fn = dlsym(RTLD_DEFAULT, "vgpu_slice_open");
	*(void **)&acq = dlsym(RTLD_DEFAULT, "vgpu_lease_acquire");
	*(void **)&g_valid = dlsym(RTLD_DEFAULT, "vgpu_lease_valid");
	if (open_fn && acq && g_valid) {
		VGPU_OPTS(vgpu_open_opts, o, .gpu_memory = 1ULL << 34);
		uint64_t g;

		if (!open_fn(NULL, &o, &g_slice) && !acq(g_slice, 0, 0, &g))
			res.valid_ns = best(do_valid, VALID_CHECKS);
	}
	CHECK(write(fd, &res, sizeof(res)) == sizeof(res));
	exit(0);
}

static struct result run(const char *preload, int round)
{
	struct result res;
	int fds[2];
	pid_t pid;

	CHECK(pipe(fds) == 0);
	fflush(stdout);
	pid = lt_fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char name[96];

		close(fds[0]);
		dup2(fds[1], 1);
		snprintf(name, sizeof(name), "/lt-fc-bench-%d-%d", (int)getpid(), round);
		setenv("FAKECUDA_SHM", name, 1);
		snprintf(name, sizeof(name), "/lt-vg-bench-%d-%d", (int)getpid(), round);
		setenv("VGPU_SHM", name, 1);
		if (preload && *preload)
			setenv("LD_PRELOAD", preload, 1);
		else
			unsetenv("LD_PRELOAD");
		setenv("LT_BENCH_CHILD", "1", 1);
		execl("/proc/self/exe", "bench_launch", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	CHECK(read(fds[0], &res, sizeof(res)) == sizeof(res));
	close(fds[0]);
	lt_reap_ok(pid);
	return res;
}

static double min2(double a, double b)
{
	return a < b ? a : b;
}

int main(void)
{
	const char *with = getenv("LD_PRELOAD");
	char without[1024] = "";
	struct result a = { 1e18, 1e18, 1e18, 0 }, b = { 1e18, 1e18, 1e18, 1e18 };

	if (getenv("LT_BENCH_CHILD")) {
		int fd = dup(1);

		lt_setup("bench", "16g", NULL);
		lt_owner = getpid();
		child(fd);
	}
	if (!with || !strstr(with, "libvgpu")) {
		fprintf(stderr, "bench_launch: run it with libvgpu in LD_PRELOAD (tests/lib/run.sh)\n");
		return 2;
	}
	/* the same preload list without libvgpu (a sanitizer runtime stays) */
	{
		char copy[1024], *tok, *save = NULL;

		snprintf(copy, sizeof(copy), "%s", with);
		for (tok = strtok_r(copy, " :", &save); tok; tok = strtok_r(NULL, " :", &save)) {
			if (strstr(tok, "libvgpu"))
				continue;
			if (*without)
				strncat(without, " ", sizeof(without) - strlen(without) - 1);
			strncat(without, tok, sizeof(without) - strlen(without) - 1);
		}
	}
	unsetenv("VGPU_MEMORY_LIMIT");
	for (int r = 0; r < ROUNDS; r++) {
		struct result x = run(without, 2 * r), y = run(with, 2 * r + 1);

		a.launch_ns = min2(a.launch_ns, x.launch_ns);
		a.alloc_ns = min2(a.alloc_ns, x.alloc_ns);
		a.info_ns = min2(a.info_ns, x.info_ns);
		b.launch_ns = min2(b.launch_ns, y.launch_ns);
		b.alloc_ns = min2(b.alloc_ns, y.alloc_ns);
		b.info_ns = min2(b.info_ns, y.info_ns);
		if (y.valid_ns)
			b.valid_ns = min2(b.valid_ns, y.valid_ns);
	}
	printf("libvgpu overhead on the simulated GPU (fastest batch of %d, best of %d "
	       "alternating runs):\n", BATCHES, ROUNDS);
	printf("  %-28s %9s %9s %9s %8s\n", "", "without", "with", "added", "ratio");
	printf("  %-28s %7.1f ns %7.1f ns %7.1f ns %8.3f\n", "kernel launch (uncontended)",
	       a.launch_ns, b.launch_ns, b.launch_ns - a.launch_ns, b.launch_ns / a.launch_ns);
	printf("  %-28s %7.1f ns %7.1f ns %7.1f ns %8.3f\n", "cuMemAlloc + cuMemFree",
	       a.alloc_ns, b.alloc_ns, b.alloc_ns - a.alloc_ns, b.alloc_ns / a.alloc_ns);
	printf("  %-28s %7.1f ns %7.1f ns %7.1f ns %8.3f\n", "cuMemGetInfo", a.info_ns,
	       b.info_ns, b.info_ns - a.info_ns, b.info_ns / a.info_ns);
	printf("  %-28s %9s %7.1f ns\n", "lease check (fast path)", "", b.valid_ns);
	printf("  added per launch: %.1f%% of a simulated launch; %.2f%% of a 4 us real one\n",
	       100.0 * (b.launch_ns - a.launch_ns) / a.launch_ns,
	       100.0 * (b.launch_ns - a.launch_ns) / 4000.0);
	return 0;
}
