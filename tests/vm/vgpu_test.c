// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu-test: exercises a slice device (/dev/vgpu/<uuid>) from inside the
 * test VM.  Each subcommand asserts what it checks and exits non-zero with
 * a message on the first failure; figures go to stdout.
 *
 *   vgpu-test shares SECONDS DEV[,DEV...]     busy tenants, one per device,
 *                                              print each one's share
 *   vgpu-test boundary DEV                    exact quota boundary
 *   vgpu-test race DEV PROCS                   racing charges never exceed
 *   vgpu-test hold DEV                         charge 4 MiB, hold the lease
 *   vgpu-test wait DEV TIMEOUT_MS              acquire within the timeout
 *   vgpu-test storm DEV PROCS ROUNDS SEED      kill -9 storm, then checks
 *   vgpu-test idle DEV                         nothing held or charged
 *   vgpu-test badioctl DEV                     bad arguments, exact errnos
 *   vgpu-test open DEV                         open and INFO (for perms)
 *   vgpu-test bench DEV DEV                    hand-off and charge figures
 *   vgpu-test overrun DEV DEV                 work reported past a revoked
 *                                              lease is charged as an overrun
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uapi/linux/vgpu.h>

#define ULL(x) ((unsigned long long)(x))

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "vgpu-test: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct dev {
	const char *path;
	int fd;
	volatile struct vgpu_status_page *page;
};

static void dev_open(struct dev *d, const char *path, bool attach)
{
	struct vgpu_attach at = { .argsz = sizeof(at) };
	void *p;

	d->path = path;
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		die("open %s: %s", path, strerror(errno));
	if (!attach)
		return;
	if (ioctl(d->fd, VGPU_IOC_ATTACH, &at))
		die("ATTACH %s: %s", path, strerror(errno));
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, d->fd, 0);
	if (p == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	d->page = p;
	if (d->page->version != VGPU_STATUS_VERSION)
		die("status page version %u", d->page->version);
}

/* A consistent read of the status page, without a system call. */
static void page_read(struct dev *d, uint64_t *gen, uint64_t *deadline)
{
	uint32_t seq;

	do {
		seq = __atomic_load_n(&d->page->seq, __ATOMIC_ACQUIRE);
		*gen = d->page->generation;
		*deadline = d->page->deadline_ns;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((seq & 1) || seq != __atomic_load_n(&d->page->seq,
						      __ATOMIC_RELAXED));
}

static int lease_acquire(struct dev *d, uint32_t flags, uint32_t timeout_us,
			 uint64_t *gen)
{
	*gen = 0;
	struct vgpu_lease ls = {
		.argsz = sizeof(ls), .flags = flags, .timeout_us = timeout_us,
	};

	if (ioctl(d->fd, VGPU_IOC_ACQUIRE, &ls))
		return -errno;
	*gen = ls.generation;
	return 0;
}

static int lease_release(struct dev *d, uint64_t gen, uint64_t busy)
{
	struct vgpu_lease ls = {
		.argsz = sizeof(ls), .generation = gen, .busy_ns = busy,
	};

	return ioctl(d->fd, VGPU_IOC_RELEASE, &ls) ? -errno : 0;
}

static int charge(struct dev *d, unsigned long cmd, uint64_t bytes,
		  uint64_t *used)
{
	struct vgpu_charge ch = { .argsz = sizeof(ch), .bytes = bytes };

	if (ioctl(d->fd, cmd, &ch))
		return -errno;
	if (used)
		*used = ch.mem_used;
	return 0;
}

static void stats(struct dev *d, struct vgpu_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->argsz = sizeof(*st);
	if (ioctl(d->fd, VGPU_IOC_STATS, st))
		die("STATS %s: %s", d->path, strerror(errno));
}

static void info(struct dev *d, struct vgpu_slice_info *in)
{
	memset(in, 0, sizeof(*in));
	in->argsz = sizeof(*in);
	if (ioctl(d->fd, VGPU_IOC_INFO, in))
		die("INFO %s: %s", d->path, strerror(errno));
}

/*
 * A tenant that always has work: it holds its lease busy until the lease
 * ends (the status page says so), then asks again.  work counts loop
 * iterations done while holding: the share of the "GPU" it really got.
 */
struct tenant_result {
	uint64_t work;		/* loop iterations done holding the lease */
	uint64_t held_ns;	/* time it saw itself holding the lease */
};

static struct tenant_result busy_tenant(const char *path, uint64_t end)
{
	struct tenant_result r = { 0, 0 };
	uint64_t gen = 0, pgen, deadline, t, since;
	struct dev d;

	dev_open(&d, path, true);
	if (lease_acquire(&d, 0, 0, &gen))
		die("acquire: %s", strerror(errno));
	since = now_ns();
	while ((t = now_ns()) < end) {
		page_read(&d, &pgen, &deadline);
		if (pgen == gen && t < deadline) {
			r.work++;
			continue;
		}
		/* Due or revoked: renew, or wait for the next lease. */
		r.held_ns += t - since;
		if (lease_acquire(&d, 0, 0, &gen))
			die("acquire: %s", strerror(errno));
		since = now_ns();
	}
	page_read(&d, &pgen, &deadline);
	if (pgen == gen) {
		r.held_ns += end - since;
		lease_release(&d, gen, 0);
	}
	return r;
}

static int cmd_shares(int argc, char **argv)
{
	char *list, *tok, *paths[16];
	uint64_t end, window, total = 0, held = 0;
	struct tenant_result res[16];
	int n = 0, i, pipes[16][2];
	double secs;

	if (argc != 2)
		die("usage: shares SECONDS DEV[,DEV...]");
	secs = atof(argv[0]);
	list = strdup(argv[1]);
	for (tok = strtok(list, ","); tok && n < 16; tok = strtok(NULL, ","))
		paths[n++] = tok;
	window = (uint64_t)(secs * 1e9);
	end = now_ns() + window;
	for (i = 0; i < n; i++) {
		if (pipe(pipes[i]))
			die("pipe: %s", strerror(errno));
		if (fork() == 0) {
			struct tenant_result r = busy_tenant(paths[i], end);

			if (write(pipes[i][1], &r, sizeof(r)) != sizeof(r))
				_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < n; i++) {
		int status;

		if (read(pipes[i][0], &res[i], sizeof(res[i])) != sizeof(res[i]))
			die("tenant %d died", i);
		wait(&status);
		total += res[i].work;
		held += res[i].held_ns;
	}
	for (i = 0; i < n; i++) {
		struct vgpu_stats st;
		struct dev d;

		dev_open(&d, paths[i], false);
		stats(&d, &st);
		/*
		 * share PATH HELD% CHARGED_NS WINDOW_NS HELD_NS WORK% LEASES:
		 * HELD% is this tenant's part of the time the tenants held
		 * leases, as they saw it; WORK% its part of the loop
		 * iterations, which the host's own scheduling blurs.
		 */
		printf("share %s %.2f %llu %llu %llu %.2f %llu\n", paths[i],
		       100.0 * (double)res[i].held_ns / (double)(held ? held : 1),
		       ULL(st.busy_ns), ULL(window), ULL(res[i].held_ns),
		       100.0 * (double)res[i].work / (double)(total ? total : 1),
		       ULL(st.leases));
		close(d.fd);
	}
	return 0;
}

static int cmd_boundary(int argc, char **argv)
{
	struct vgpu_slice_info in;
	struct vgpu_stats st;
	struct dev d;
	uint64_t used = 0;
	int r;

	if (argc != 1)
		die("usage: boundary DEV");
	dev_open(&d, argv[0], false);
	info(&d, &in);
	if (charge(&d, VGPU_IOC_CHARGE, in.mem_quota - 1, &used) || used != in.mem_quota - 1)
		die("charging quota - 1 failed");
	if (charge(&d, VGPU_IOC_CHARGE, 1, &used) || used != in.mem_quota)
		die("charging the last byte failed");
	r = charge(&d, VGPU_IOC_CHARGE, 1, &used);
	if (r != -ENOSPC)
		die("one byte past the quota: got %d, want ENOSPC", r);
	stats(&d, &st);
	if (st.mem_used != in.mem_quota || st.charge_refused < 1)
		die("after refusal: used %llu refused %llu",
		    st.mem_used, st.charge_refused);
	r = charge(&d, VGPU_IOC_UNCHARGE, in.mem_quota + 1, &used);
	if (r != -EINVAL)
		die("uncharging more than charged: got %d, want EINVAL", r);
	if (charge(&d, VGPU_IOC_UNCHARGE, in.mem_quota, &used) || used)
		die("uncharging everything failed");
	printf("boundary: quota %llu exact\n", ULL(in.mem_quota));
	return 0;
}

static int cmd_race(int argc, char **argv)
{
	struct vgpu_slice_info in;
	int procs, i, bad = 0;
	struct dev d;
	int pipefd[2];
	pid_t *pids;

	if (argc != 2)
		die("usage: race DEV PROCS");
	procs = atoi(argv[1]);
	dev_open(&d, argv[0], false);
	info(&d, &in);
	if (pipe(pipefd))
		die("pipe");
	pids = calloc(procs, sizeof(*pids));
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct dev c;
			uint64_t mine = 0, used = 0, chunk;
			unsigned int seed = getpid();

			dev_open(&c, argv[0], false);
			/* Charge random chunks until refused many times. */
			for (int k = 0, refused = 0; refused < 200 && k < 100000; k++) {
				chunk = 1 + rand_r(&seed) % (in.mem_quota / 16);
				if (charge(&c, VGPU_IOC_CHARGE, chunk, &used) == 0) {
					mine += chunk;
					if (used > in.mem_quota)
						_exit(2);
				} else {
					refused++;
				}
			}
			if (write(pipefd[1], &mine, sizeof(mine)) != sizeof(mine))
				_exit(1);
			/* Hold the charges until the parent has checked. */
			pause();
			_exit(0);
		}
	}
	{
		uint64_t sum = 0, mine;
		struct vgpu_stats st;

		for (i = 0; i < procs; i++) {
			if (read(pipefd[0], &mine, sizeof(mine)) != sizeof(mine))
				die("a racer died");
			sum += mine;
		}
		stats(&d, &st);
		if (st.mem_used != sum || sum > in.mem_quota)
			die("race: ledger %llu, charged %llu, quota %llu",
			    st.mem_used, sum, in.mem_quota);
		printf("race: %d processes charged %llu of %llu\n",
		       procs, ULL(sum), ULL(in.mem_quota));
		for (i = 0; i < procs; i++)
			kill(pids[i], SIGTERM);
	}
	for (i = 0; i < procs; i++) {
		int status;

		waitpid(pids[i], &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
			bad++;
	}
	if (bad)
		die("race: %d racers saw usage above the quota", bad);
	return 0;
}

static int cmd_hold(int argc, char **argv)
{
	struct dev d;
	uint64_t gen = 0;

	if (argc != 1)
		die("usage: hold DEV");
	dev_open(&d, argv[0], true);
	if (charge(&d, VGPU_IOC_CHARGE, 4 << 20, NULL))
		die("charge: %s", strerror(errno));
	if (lease_acquire(&d, 0, 0, &gen))
		die("acquire: %s", strerror(errno));
	printf("holding %llu\n", ULL(gen));
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

static int cmd_wait(int argc, char **argv)
{
	struct dev d;
	uint64_t gen, t0;
	int r;

	if (argc != 2)
		die("usage: wait DEV TIMEOUT_MS");
	dev_open(&d, argv[0], true);
	t0 = now_ns();
	r = lease_acquire(&d, 0, atoi(argv[1]) * 1000, &gen);
	if (r)
		die("acquire: %s", strerror(-r));
	printf("acquired after %.1f ms\n", (double)(now_ns() - t0) / 1e6);
	return 0;
}

static int cmd_idle(int argc, char **argv)
{
	struct vgpu_stats st;
	struct dev d;
	uint64_t gen;
	int r;

	if (argc != 1)
		die("usage: idle DEV");
	dev_open(&d, argv[0], true);
	stats(&d, &st);
	if (st.mem_used)
		die("idle: %llu bytes still charged", ULL(st.mem_used));
	if (st.contexts != 1)
		die("idle: %u contexts attached besides this one", st.contexts - 1);
	r = lease_acquire(&d, VGPU_ACQUIRE_NONBLOCK, 0, &gen);
	if (r)
		die("idle: the lease is held elsewhere (%s)", strerror(-r));
	printf("idle: nothing charged, no lease held\n");
	return 0;
}

static int cmd_storm(int argc, char **argv)
{
	int procs, rounds, r, i;
	unsigned int seed;
	pid_t *pids;

	if (argc != 4)
		die("usage: storm DEV PROCS ROUNDS SEED");
	procs = atoi(argv[1]);
	rounds = atoi(argv[2]);
	seed = atoi(argv[3]);
	pids = calloc(procs, sizeof(*pids));
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < procs; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				struct dev d;
				uint64_t gen = 0;
				unsigned int s = getpid();

				dev_open(&d, argv[0], true);
				for (;;) {
					switch (rand_r(&s) % 4) {
					case 0:
						charge(&d, VGPU_IOC_CHARGE, 1 + rand_r(&s) % 4096, NULL);
						break;
					case 1:
						lease_acquire(&d, 0, 1000, &gen);
						break;
					case 2:
						lease_release(&d, gen, rand_r(&s) % 100000);
						break;
					default:
						charge(&d, VGPU_IOC_UNCHARGE, 1, NULL);
						break;
					}
				}
			}
		}
		/* Kill them in a random order at random moments. */
		for (i = 0; i < procs; i++) {
			int k = rand_r(&seed) % procs, status;

			while (!pids[k])
				k = (k + 1) % procs;
			usleep(rand_r(&seed) % 3000);
			kill(pids[k], SIGKILL);
			waitpid(pids[k], &status, 0);
			pids[k] = 0;
		}
	}
	printf("storm: %d rounds of %d processes killed\n", rounds, procs);
	return 0;
}

#define EXPECT(call, want) do {						\
	errno = 0;							\
	long __r = (call);						\
	int __e = __r < 0 ? errno : 0;					\
	if (__e != (want))						\
		die("%s: got %s, want %s", #call, strerror(__e),	\
		    strerror(want));					\
	checks++;							\
} while (0)

static int cmd_badioctl(int argc, char **argv)
{
	struct vgpu_stats before, after;
	struct vgpu_lease ls;
	struct vgpu_charge ch;
	struct vgpu_attach at;
	struct dev d, e;
	int checks = 0;
	void *p;

	if (argc != 1)
		die("usage: badioctl DEV");
	dev_open(&d, argv[0], false);
	stats(&d, &before);

	EXPECT(ioctl(d.fd, _IO(VGPU_IOC_MAGIC, 0x7f), &ch), ENOTTY);
	EXPECT(ioctl(d.fd, _IO('x', 1), &ch), ENOTTY);
	EXPECT(ioctl(d.fd, VGPU_IOC_CHARGE, (void *)8), EFAULT);
	ch = (struct vgpu_charge){ .argsz = 8, .bytes = 1 };
	EXPECT(ioctl(d.fd, VGPU_IOC_CHARGE, &ch), EINVAL);
	ch = (struct vgpu_charge){ .argsz = sizeof(ch), .flags = 1, .bytes = 1 };
	EXPECT(ioctl(d.fd, VGPU_IOC_CHARGE, &ch), EINVAL);
	ch = (struct vgpu_charge){ .argsz = sizeof(ch), .bytes = 0 };
	EXPECT(ioctl(d.fd, VGPU_IOC_CHARGE, &ch), EINVAL);
	ch = (struct vgpu_charge){ .argsz = sizeof(ch), .bytes = ~0ULL };
	EXPECT(ioctl(d.fd, VGPU_IOC_CHARGE, &ch), EINVAL);
	ch = (struct vgpu_charge){ .argsz = sizeof(ch), .bytes = 1 };
	EXPECT(ioctl(d.fd, VGPU_IOC_UNCHARGE, &ch), EINVAL);
	/* A larger argsz from a newer userspace is fine. */
	{
		struct { struct vgpu_charge c; uint64_t more[4]; } big = {
			.c = { .argsz = sizeof(big), .bytes = 1 },
		};

		EXPECT(ioctl(d.fd, VGPU_IOC_CHARGE, &big), 0);
		EXPECT(ioctl(d.fd, VGPU_IOC_UNCHARGE, &big), 0);
	}
	ls = (struct vgpu_lease){ .argsz = sizeof(ls) };
	EXPECT(ioctl(d.fd, VGPU_IOC_ACQUIRE, &ls), EINVAL);	/* not attached */
	EXPECT(ioctl(d.fd, VGPU_IOC_RELEASE, &ls), EINVAL);
	EXPECT(ioctl(d.fd, VGPU_IOC_DETACH), EINVAL);
	at = (struct vgpu_attach){ .argsz = sizeof(at), .reserved = 5 };
	EXPECT(ioctl(d.fd, VGPU_IOC_ATTACH, &at), EINVAL);
	at = (struct vgpu_attach){ .argsz = sizeof(at), .flags = 2 };
	EXPECT(ioctl(d.fd, VGPU_IOC_ATTACH, &at), EINVAL);
	at = (struct vgpu_attach){ .argsz = 4 };
	EXPECT(ioctl(d.fd, VGPU_IOC_ATTACH, &at), EINVAL);
	at = (struct vgpu_attach){ .argsz = sizeof(at) };
	EXPECT(ioctl(d.fd, VGPU_IOC_ATTACH, &at), 0);
	EXPECT(ioctl(d.fd, VGPU_IOC_ATTACH, &at), EALREADY);
	d.page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, d.fd, 0);
	if (d.page == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	ls = (struct vgpu_lease){ .argsz = sizeof(ls), .flags = 0x80 };
	EXPECT(ioctl(d.fd, VGPU_IOC_ACQUIRE, &ls), EINVAL);
	ls = (struct vgpu_lease){ .argsz = sizeof(ls), .flags = VGPU_ACQUIRE_NONBLOCK };
	EXPECT(ioctl(d.fd, VGPU_IOC_ACQUIRE, &ls), 0);
	if (!ls.generation)
		die("ACQUIRE returned generation 0");
	{
		struct vgpu_lease stale = { .argsz = sizeof(stale),
					    .generation = ls.generation + 1000 };

		EXPECT(ioctl(d.fd, VGPU_IOC_RELEASE, &stale), ESTALE);
		stale.generation = ls.generation;
		stale.timeout_us = 5;	/* not an input of RELEASE */
		EXPECT(ioctl(d.fd, VGPU_IOC_RELEASE, &stale), EINVAL);
		stale.timeout_us = 0;
		stale.flags = 2;
		EXPECT(ioctl(d.fd, VGPU_IOC_RELEASE, &stale), EINVAL);
	}
	/* Another context cannot take a held lease without waiting. */
	dev_open(&e, argv[0], true);
	{
		struct vgpu_lease other = { .argsz = sizeof(other),
					    .flags = VGPU_ACQUIRE_NONBLOCK };

		uint64_t dgen, dl;

		EXPECT(ioctl(e.fd, VGPU_IOC_ACQUIRE, &other), EAGAIN);
		/*
		 * A short timed wait ends in ETIMEDOUT, or in the lease only
		 * once the holder's (possibly extended) deadline has come.
		 */
		page_read(&d, &dgen, &dl);
		other.flags = 0;
		other.timeout_us = 1;
		if (ioctl(e.fd, VGPU_IOC_ACQUIRE, &other) == 0) {
			if (now_ns() < dl)
				die("a held lease was granted to another context before its deadline");
			ls.generation = 0;	/* d's lease is gone */
		} else if (errno != ETIMEDOUT) {
			die("timed acquire: %s, want ETIMEDOUT", strerror(errno));
		}
		checks++;
	}
	ls.argsz = sizeof(ls);
	ls.flags = 0;
	if (ls.generation)
		EXPECT(ioctl(d.fd, VGPU_IOC_RELEASE, &ls), 0);
	EXPECT(ioctl(d.fd, VGPU_IOC_RELEASE, &ls), ESTALE);

#define MMAP(len, prot, off) \
	((p = mmap(NULL, len, prot, MAP_SHARED, d.fd, off)) == MAP_FAILED ? -1 : 0)
	EXPECT(MMAP(4096, PROT_READ | PROT_WRITE, 0), EACCES);
	EXPECT(MMAP(8192, PROT_READ, 0), EINVAL);
	EXPECT(MMAP(4096, PROT_READ, 4096), EINVAL);
	EXPECT(MMAP(4096, PROT_READ, 0), 0);
	EXPECT(mprotect(p, 4096, PROT_READ | PROT_WRITE), EACCES);
	EXPECT(ioctl(d.fd, VGPU_IOC_DETACH), 0);
	EXPECT(ioctl(d.fd, VGPU_IOC_DETACH), EINVAL);
	/* The file lives while its status page is mapped. */
	munmap((void *)e.page, 4096);
	close(e.fd);

	stats(&d, &after);
	if (after.mem_used != before.mem_used || after.contexts != before.contexts)
		die("bad arguments changed the slice: used %llu->%llu"
		    ", contexts %u->%u", ULL(before.mem_used), ULL(after.mem_used),
		    before.contexts, after.contexts);
	printf("badioctl: %d checks\n", checks);
	return 0;
}

static int cmd_open(int argc, char **argv)
{
	struct vgpu_slice_info in;
	struct dev d;

	if (argc != 1)
		die("usage: open DEV");
	d.fd = open(argv[0], O_RDWR);
	if (d.fd < 0) {
		printf("open: %s\n", strerror(errno));
		return errno;
	}
	d.path = argv[0];
	info(&d, &in);
	printf("open: quota %llu weight %u tenant '%s'\n", ULL(in.mem_quota),
	       in.weight, in.tenant);
	return 0;
}

/*
 * A holder in DEV A whose lease is revoked at its deadline (a context of
 * DEV B waits), and whose work then runs on 20 ms: it reports that busy
 * time with the old generation, and the kernel charges the part past the
 * deadline as an overrun.
 */
static int cmd_overrun(int argc, char **argv)
{
	uint64_t gen, pgen, deadline, t0, revoked;
	struct vgpu_stats before, after;
	struct vgpu_lease ls;
	struct dev a;
	pid_t pid;
	int r;

	if (argc != 2)
		die("usage: overrun DEV DEV");
	dev_open(&a, argv[0], true);
	stats(&a, &before);
	if (lease_acquire(&a, 0, 0, &gen))
		die("acquire: %s", strerror(errno));
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		struct dev b;
		uint64_t g;

		dev_open(&b, argv[1], true);
		if (lease_acquire(&b, 0, 0, &g))
			_exit(1);
		lease_release(&b, g, 0);
		_exit(0);
	}
	/* The waiter shows on our status page; then the lease is revoked. */
	while (!__atomic_load_n(&a.page->waiters, __ATOMIC_ACQUIRE))
		;
	do {
		page_read(&a, &pgen, &deadline);
	} while (pgen == gen);
	revoked = now_ns();
	while (now_ns() < revoked + 20000000ULL)
		;	/* our work runs on past the deadline */
	ls = (struct vgpu_lease){ .argsz = sizeof(ls), .generation = gen,
				  .busy_ns = now_ns() - t0 };
	r = ioctl(a.fd, VGPU_IOC_RELEASE, &ls) ? errno : 0;
	if (r != ESTALE)
		die("release of the revoked lease: %s, want ESTALE", strerror(r));
	waitpid(pid, &r, 0);
	if (!WIFEXITED(r) || WEXITSTATUS(r))
		die("the waiting context did not get the lease");
	stats(&a, &after);
	if (after.overruns != before.overruns + 1 ||
	    after.overrun_ns <= before.overrun_ns)
		die("overruns %llu -> %llu, overrun_ns %llu -> %llu",
		    ULL(before.overruns), ULL(after.overruns),
		    ULL(before.overrun_ns), ULL(after.overrun_ns));
	printf("overrun: %.1f ms charged past the deadline\n",
	       (double)(after.overrun_ns - before.overrun_ns) / 1e6);
	return 0;
}

static long futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/* Round trips per second between two processes through a futex. */
static double futex_pingpong(int rounds)
{
	uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t t0;
	pid_t pid;
	int i;

	*w = 0;
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < rounds; i++) {
			while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != 1)
				futex(w, FUTEX_WAIT, 0);
			__atomic_store_n(w, 0, __ATOMIC_RELEASE);
			futex(w, FUTEX_WAKE, 1);
		}
		_exit(0);
	}
	t0 = now_ns();
	for (i = 0; i < rounds; i++) {
		__atomic_store_n(w, 1, __ATOMIC_RELEASE);
		futex(w, FUTEX_WAKE, 1);
		while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != 0)
			futex(w, FUTEX_WAIT, 1);
	}
	waitpid(pid, NULL, 0);
	return (double)(now_ns() - t0) / rounds;
}

/*
 * Lease hand-off: two contexts of two slices pass the lease back and
 * forth, each releasing as soon as it holds it.  One round trip is two
 * hand-offs, as in the futex ping-pong.
 */
static double lease_pingpong(const char *a, const char *b, int rounds)
{
	uint64_t t0, gen;
	pid_t pid;
	struct dev d;
	int i;

	pid = fork();
	if (pid == 0) {
		dev_open(&d, b, true);
		for (i = 0; i < rounds; i++) {
			if (lease_acquire(&d, 0, 0, &gen))
				_exit(1);
			lease_release(&d, gen, 0);
		}
		_exit(0);
	}
	dev_open(&d, a, true);
	t0 = now_ns();
	for (i = 0; i < rounds; i++) {
		if (lease_acquire(&d, 0, 0, &gen))
			die("acquire: %s", strerror(errno));
		lease_release(&d, gen, 0);
	}
	waitpid(pid, NULL, 0);
	close(d.fd);
	return (double)(now_ns() - t0) / rounds;
}

static int cmd_bench(int argc, char **argv)
{
	double f, l, per;
	struct dev d;
	uint64_t t0;
	int i, n = 200000;

	if (argc != 2)
		die("usage: bench DEV DEV");
	f = futex_pingpong(20000);
	l = lease_pingpong(argv[0], argv[1], 20000);
	printf("bench: futex round trip %.0f ns, lease round trip %.0f ns, ratio %.2f\n",
	       f, l, l / f);
	dev_open(&d, argv[0], false);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		charge(&d, VGPU_IOC_CHARGE, 4096, NULL);
		charge(&d, VGPU_IOC_UNCHARGE, 4096, NULL);
	}
	per = (double)(now_ns() - t0) / (2.0 * n);
	printf("bench: charge or uncharge %.0f ns each, %.0f per second\n", per,
	       1e9 / per);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "shares", cmd_shares }, { "boundary", cmd_boundary },
		{ "race", cmd_race }, { "hold", cmd_hold },
		{ "wait", cmd_wait }, { "storm", cmd_storm },
		{ "idle", cmd_idle }, { "badioctl", cmd_badioctl },
		{ "open", cmd_open }, { "bench", cmd_bench },
		{ "overrun", cmd_overrun },
	};
	size_t i;

	if (argc < 2)
		die("usage: vgpu-test COMMAND ARGS... (see the source)");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 2, argv + 2);
	die("unknown command %s", argv[1]);
	return 2;
}
