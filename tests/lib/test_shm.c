// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shm backend, white box: the ledger to the byte, handles and
 * processes racing, settings that conflict, leases between processes
 * (timeouts, yield, reports of revoked leases), and robustness: a process
 * killed holding the region's lock mid-update, mid-publish, holding the
 * lease, holding the quota; an initialiser that died.  After each, the
 * arbiter core's invariants hold (vac_check) and the ledgers equal the
 * records.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm_region.h"

#define MiB (1ULL << 20)
#define MS 1000000ULL

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__,	\
			__LINE__, __func__, #cond);			\
		exit(1);						\
	}								\
} while (0)

static char region[96];
static pid_t owner;

static void cleanup(void)
{
	if (getpid() == owner)
		shm_unlink(region);
}

static struct vgpu_slice *open_slice(const char *name, uint64_t limit, uint32_t weight,
				     uint32_t timeslice_ms, int *err)
{
	struct vgpu_slice_policy p = { .sz = sizeof(p) };
	char msg[512];
	VGPU_OPTS(vgpu_open_opts, o, .policy = &p, .gpu_memory = 1ULL << 30, .errbuf = msg,
		  .errlen = sizeof(msg));
	struct vgpu_slice *s = NULL;
	int e;

	vgpu_policy_init(&p);
	p.backend = VGPU_BACKEND_SHM;
	snprintf(p.slice, sizeof(p.slice), "%s", name);
	snprintf(p.shm_name, sizeof(p.shm_name), "%s", region);
	p.set = VGPU_SET_SLICE | VGPU_SET_SHM | VGPU_SET_BACKEND;
	if (limit) {
		p.mem_limit = limit;
		p.set |= VGPU_SET_MEM_LIMIT;
	}
	if (weight) {
		p.weight = weight;
		p.set |= VGPU_SET_WEIGHT;
	}
	if (timeslice_ms) {
		p.timeslice_us = timeslice_ms * 1000;
		p.set |= VGPU_SET_TIMESLICE;
	}
	e = vgpu_slice_open(NULL, &o, &s);
	if (err)
		*err = e;
	else if (e) {
		fprintf(stderr, "open %s: %s\n", name, msg);
		exit(1);
	}
	return s;
}

/* Our own view of the region, to check it. */
static struct vshm_region *map_region(void)
{
	int fd = shm_open(region, O_RDWR, 0);
	void *m;

	CHECK(fd >= 0);
	m = mmap(NULL, sizeof(struct vshm_region), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(m != MAP_FAILED);
	return m;
}

static void check_region(void)
{
	struct vshm_region *r = map_region();
	struct vac a = { &r->st, r->vslices, r->vctxs, r->heap };
	uint64_t used[VSHM_SLICES] = { 0 };

	CHECK(pthread_mutex_lock(&r->lock) == 0);
	CHECK(vac_check(&a) == 0);
	for (int i = 0; i < VSHM_CLIENTS; i++)
		if (r->clients[i].state == VSHM_LIVE)
			used[r->clients[i].slice] += r->clients[i].charged;
	for (int s = 0; s < VSHM_SLICES; s++) {
		if (r->slices[s].used)
			CHECK(r->slices[s].mem_used == used[s]);
		CHECK(!(r->clients[0].status.seq & 1));
	}
	pthread_mutex_unlock(&r->lock);
	munmap(r, sizeof(*r));
}

static void t_ledger(void)
{
	struct vgpu_slice *a = open_slice("ledger", 10 * MiB, 0, 0, NULL);
	struct vgpu_slice *b = open_slice("ledger", 0, 0, 0, NULL);
	VGPU_OPTS(vgpu_mem_usage, u);

	CHECK(vgpu_mem_charge(a, 10 * MiB) == 0);
	CHECK(vgpu_mem_charge(a, 1) == -ENOSPC);
	CHECK(vgpu_mem_charge(b, 1) == -ENOSPC);
	CHECK(vgpu_mem_uncharge(a, 10 * MiB + 1) == -EINVAL);
	CHECK(vgpu_mem_uncharge(b, 1) == -EINVAL);	/* b charged nothing */
	CHECK(vgpu_mem_uncharge(a, 4 * MiB) == 0);
	CHECK(vgpu_mem_charge(b, 4 * MiB) == 0);
	CHECK(vgpu_mem_usage(a, &u) == 0);
	CHECK(u.used == 10 * MiB && u.quota == 10 * MiB && u.peak == 10 * MiB &&
	      u.self == 6 * MiB && u.refused == 2);
	/* closing a handle gives back what it charged */
	vgpu_slice_close(b);
	CHECK(vgpu_mem_usage(a, &u) == 0 && u.used == 6 * MiB);
	CHECK(vgpu_mem_uncharge(a, 6 * MiB) == 0);
	check_region();
	vgpu_slice_close(a);
}

/* Soft: past the quota while the GPU has memory, counted. */
static void t_soft(void)
{
	struct vgpu_slice_policy p = { .sz = sizeof(p) };
	char msg[512];
	VGPU_OPTS(vgpu_open_opts, o, .policy = &p, .gpu_memory = 8 * MiB, .errbuf = msg,
		  .errlen = sizeof(msg));
	VGPU_OPTS(vgpu_slice_stats, st);
	struct vgpu_slice *s = NULL;

	vgpu_policy_init(&p);
	p.backend = VGPU_BACKEND_SHM;
	snprintf(p.slice, sizeof(p.slice), "soft");
	snprintf(p.shm_name, sizeof(p.shm_name), "%s", region);
	p.mem_limit = 2 * MiB;
	p.mem_mode = VGPU_MEM_SOFT;
	p.set = VGPU_SET_SLICE | VGPU_SET_SHM | VGPU_SET_BACKEND | VGPU_SET_MEM_LIMIT |
		VGPU_SET_MEM_MODE;
	CHECK(vgpu_slice_open(NULL, &o, &s) == 0);
	CHECK(vgpu_mem_charge(s, 2 * MiB) == 0);
	CHECK(vgpu_mem_charge(s, 3 * MiB) == 0);	/* past the quota: allowed */
	CHECK(vgpu_slice_stats(s, &st) == 0 && st.over_quota == 1 && st.mem_used == 5 * MiB);
	/* the GPU's memory is the hard limit (the region says 1 GiB: the first opener's) */
	CHECK(vgpu_mem_charge(s, 2ULL << 30) == -ENOSPC);
	CHECK(vgpu_mem_uncharge(s, 5 * MiB) == 0);
	vgpu_slice_close(s);
}

static void t_conflicts(void)
{
	struct vgpu_slice *a = open_slice("conf", 10 * MiB, 300, 0, NULL), *b;
	struct vgpu_slice_policy p = { .sz = sizeof(p) };
	char msg[512];
	VGPU_OPTS(vgpu_open_opts, o, .policy = &p, .gpu_memory = 1ULL << 30, .errbuf = msg,
		  .errlen = sizeof(msg));
	int e;

	b = open_slice("conf", 10 * MiB, 500, 0, &e);
	CHECK(!b && e == -EEXIST);
	b = open_slice("conf", 20 * MiB, 0, 0, &e);
	CHECK(!b && e == -EEXIST);
	b = open_slice("conf", 0, 0, 0, &e);	/* unset: the slice's */
	CHECK(b && !e);
	vgpu_slice_close(b);
	/* the region's policy is the GPU's */
	vgpu_policy_init(&p);
	p.backend = VGPU_BACKEND_SHM;
	snprintf(p.slice, sizeof(p.slice), "other");
	snprintf(p.shm_name, sizeof(p.shm_name), "%s", region);
	p.sched = VGPU_SCHED_FIXED_SHARE;
	p.set = VGPU_SET_SLICE | VGPU_SET_SHM | VGPU_SET_BACKEND | VGPU_SET_SCHED;
	CHECK(vgpu_slice_open(NULL, &o, &b) == -EEXIST && strstr(msg, "policy"));
	vgpu_slice_close(a);
}

static void t_race(void)
{
	struct vgpu_slice *s = open_slice("race", 16 * MiB, 0, 0, NULL);
	VGPU_OPTS(vgpu_slice_stats, st);
	pid_t pid[4];

	for (int i = 0; i < 4; i++) {
		pid[i] = fork();
		CHECK(pid[i] >= 0);
		if (pid[i] == 0) {
			struct vgpu_slice *c = open_slice("race", 16 * MiB, 0, 0, NULL);
			uint64_t held = 0, x = (uint64_t)i + 1;

			for (int k = 0; k < 20000; k++) {
				uint64_t n;

				x = x * 6364136223846793005ULL + 1442695040888963407ULL;
				n = (x >> 33) % (3 * MiB) + 1;
				if (!vgpu_mem_charge(c, n))
					held += n;
				if ((x & 15) == 0 && held) {
					CHECK(vgpu_mem_uncharge(c, held) == 0);
					held = 0;
				}
			}
			vgpu_slice_close(c);
			_exit(0);
		}
	}
	for (int i = 0; i < 4; i++) {
		int st2;

		CHECK(waitpid(pid[i], &st2, 0) == pid[i] && WIFEXITED(st2) && !WEXITSTATUS(st2));
	}
	CHECK(vgpu_slice_stats(s, &st) == 0);
	CHECK(st.mem_used == 0 && st.mem_peak <= 16 * MiB && st.mem_peak > 8 * MiB &&
	      st.charge_refused > 0 && st.contexts == 1);
	check_region();
	vgpu_slice_close(s);
}

static void t_leases(void)
{
	struct vgpu_slice *a = open_slice("la", 0, 0, 20, NULL);
	struct vgpu_slice *b = open_slice("lb", 0, 0, 0, NULL);
	VGPU_OPTS(vgpu_lease_state, ls);
	VGPU_OPTS(vgpu_slice_stats, st);
	uint64_t g1, g2, t0, busy0;
	int fds[2];
	pid_t pid;

	CHECK(!vgpu_lease_valid(a));
	CHECK(vgpu_lease_release(a, 0, 0) == -ENOLCK);
	CHECK(vgpu_lease_acquire(a, 0, 0, &g1) == 0 && g1);
	CHECK(vgpu_lease_valid(a));
	CHECK(vgpu_lease_state(a, &ls) == 0 && ls.valid && ls.generation == g1 && !ls.waiters);
	/* alone: yield keeps it */
	CHECK(vgpu_lease_release(a, 1000, VGPU_LEASE_YIELD) == 1);
	CHECK(vgpu_lease_valid(a));
	CHECK(vgpu_lease_acquire(b, 0, VGPU_LEASE_NONBLOCK, &g2) == -EAGAIN);
	CHECK(vgpu_lease_acquire(b, 2000, 0, &g2) == -ETIMEDOUT);
	CHECK(vgpu_lease_release(a, 0, 0) == 0);
	CHECK(!vgpu_lease_valid(a));
	CHECK(vgpu_lease_acquire(b, 0, VGPU_LEASE_NONBLOCK, &g2) == 0 && g2 > g1);

	/* another process waits; at our deadline the lease passes to it */
	CHECK(pipe(fds) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct vgpu_slice *c = open_slice("la", 0, 0, 0, NULL);
		uint64_t g;
		char x = 1;

		CHECK(write(fds[1], &x, 1) == 1);
		CHECK(vgpu_lease_acquire(c, 0, 0, &g) == 0 && g > g2);
		CHECK(vgpu_lease_release(c, 0, 0) == 0);
		vgpu_slice_close(c);
		_exit(0);
	}
	{
		char x;

		CHECK(read(fds[0], &x, 1) == 1);
	}
	t0 = vgpu_now_ns();
	for (;;) {	/* until the child waits */
		CHECK(vgpu_lease_state(b, &ls) == 0);
		if (ls.waiters)
			break;
		CHECK(vgpu_now_ns() - t0 < 2000 * MS);
		sched_yield();
	}
	CHECK(vgpu_slice_stats(b, &st) == 0);
	busy0 = st.busy_ns;
	{
		int status;

		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status));
	}
	/* revoked under us: release says so, a late report is still charged */
	CHECK(!vgpu_lease_valid(b));
	CHECK(vgpu_lease_report(b, g2, 500 * MS) == -ESTALE);
	CHECK(vgpu_slice_stats(b, &st) == 0);
	CHECK(st.busy_ns > busy0 && st.busy_ns >= 10 * MS && st.overrun_ns > 0);
	CHECK(vgpu_lease_release(b, 0, 0) == -ESTALE);
	check_region();
	vgpu_slice_close(a);
	vgpu_slice_close(b);
	close(fds[0]);
	close(fds[1]);
}

/* A child that does @what holding the region's lock, then dies. */
static void die_holding(void (*what)(struct vshm_region *, struct vgpu_slice *), uint64_t charge)
{
	pid_t pid = fork();
	int status;

	CHECK(pid >= 0);
	if (pid == 0) {
		struct vgpu_slice *c = open_slice("robust", 0, 0, 0, NULL);
		struct vshm_region *r = map_region();
		uint64_t g;

		if (charge)
			CHECK(vgpu_mem_charge(c, charge) == 0);
		CHECK(vgpu_lease_acquire(c, 0, 0, &g) == 0);
		CHECK(pthread_mutex_lock(&r->lock) == 0);
		what(r, c);
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
}

/* Half a charge: the record has it, the slice's ledger not yet. */
static void half_charge(struct vshm_region *r, struct vgpu_slice *c)
{
	(void)c;
	for (int i = 0; i < VSHM_CLIENTS; i++)
		if (r->clients[i].state == VSHM_LIVE && r->clients[i].pid == getpid())
			r->clients[i].charged += 3 * MiB;
}

/* Mid-publish: a status page left with an odd sequence. */
static void half_publish(struct vshm_region *r, struct vgpu_slice *c)
{
	(void)c;
	for (int i = 0; i < VSHM_CLIENTS; i++)
		if (r->clients[i].state == VSHM_LIVE && r->clients[i].pid != getpid())
			r->clients[i].status.seq |= 1;
}

/* Mid-grant: the heap taken apart. */
static void half_heap(struct vshm_region *r, struct vgpu_slice *c)
{
	(void)c;
	r->st.heap_len = VSHM_SLICES;
	r->st.nr_waiting = 77;
}

static void t_robust(void)
{
	struct vgpu_slice *s = open_slice("robust", 32 * MiB, 0, 5, NULL);
	VGPU_OPTS(vgpu_slice_stats, st);
	uint64_t g, t0;

	die_holding(half_charge, 5 * MiB);
	/* the next user repairs: the dead one's charges and lease are gone */
	CHECK(vgpu_mem_charge(s, 32 * MiB) == 0);
	CHECK(vgpu_mem_uncharge(s, 32 * MiB) == 0);
	check_region();
	die_holding(half_heap, 0);
	CHECK(vgpu_slice_stats(s, &st) == 0 && st.mem_used == 0 && st.contexts == 1 &&
	      !st.holding);
	check_region();
	die_holding(half_publish, 0);
	/* our fast check does not hang on the odd page; the next locker fixes it */
	CHECK(!vgpu_lease_valid(s));
	t0 = vgpu_now_ns();
	CHECK(vgpu_lease_acquire(s, 0, 0, &g) == 0);
	CHECK(vgpu_now_ns() - t0 < 200 * MS);
	CHECK(vgpu_lease_valid(s));
	CHECK(vgpu_lease_release(s, 0, 0) == 0);
	check_region();

	/* killed (not holding the lock) with the lease and the whole quota */
	{
		pid_t pid = fork();
		int status;

		CHECK(pid >= 0);
		if (pid == 0) {
			struct vgpu_slice *c = open_slice("robust", 0, 0, 0, NULL);

			CHECK(vgpu_mem_charge(c, 32 * MiB) == 0);
			CHECK(vgpu_lease_acquire(c, 0, 0, &g) == 0);
			kill(getpid(), SIGKILL);
			_exit(1);
		}
		CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status));
	}
	t0 = vgpu_now_ns();
	CHECK(vgpu_mem_charge(s, 32 * MiB) == 0);	/* reaped on refusal */
	CHECK(vgpu_lease_acquire(s, 0, 0, &g) == 0);
	CHECK(vgpu_now_ns() - t0 < 200 * MS);
	CHECK(vgpu_lease_release(s, 0, 0) == 0);
	CHECK(vgpu_mem_uncharge(s, 32 * MiB) == 0);
	check_region();
	vgpu_slice_close(s);
}

static void t_init_crash(void)
{
	struct vgpu_slice *s;
	int fd, e;

	/* an initialiser that died: reinitialised */
	shm_unlink(region);
	fd = shm_open(region, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, sizeof(struct vshm_region)) == 0);
	{
		uint64_t magic = VSHM_MAGIC_INIT;

		CHECK(pwrite(fd, &magic, sizeof(magic), 0) == sizeof(magic));
	}
	close(fd);
	s = open_slice("init", 1 * MiB, 0, 0, NULL);
	CHECK(vgpu_mem_charge(s, MiB) == 0);
	vgpu_slice_close(s);
	check_region();
	/* a region of another layout: refused */
	{
		struct vshm_region *r = map_region();

		r->layout = VSHM_LAYOUT + 1;
		munmap(r, sizeof(*r));
	}
	s = open_slice("init", 1 * MiB, 0, 0, &e);
	CHECK(!s && e == -EPROTO);
	shm_unlink(region);
}

int main(void)
{
	snprintf(region, sizeof(region), "/lt-shm-unit-%d", (int)getpid());
	owner = getpid();
	shm_unlink(region);
	atexit(cleanup);
	t_ledger();
	t_soft();
	t_conflicts();
	t_race();
	t_leases();
	t_robust();
	t_init_crash();
	printf("test_shm: ledger, races, conflicts, leases, deaths anywhere, bad regions\n");
	return 0;
}
