// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel backend against a stand-in slice device: open, ioctl and mmap
 * of "/dev/vgpu/<uuid>" are answered here, by the same arbiter core the
 * module runs and a ledger, with the module's argument checks (argsz at
 * least the known size, no unknown flags).  What it checks is libvgpu's
 * side of the uapi contract: the calls made, their arguments, the status
 * page read, the policy on top (a memory limit of ours tighter than the
 * slice's; the operator's share wins).  The module itself is tested in the
 * VM, with the same CUDA tests (VGPU_BACKEND=kernel).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../kmod/core/arbiter_core.h"
#include "internal.h"

#define MiB (1ULL << 20)
#define FAKE_FD 999
#define UUID "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__,	\
			__LINE__, __func__, #cond);			\
		exit(1);						\
	}								\
} while (0)

/* ---- the stand-in device ---- */

static struct {
	bool open, attached;
	int ioctls[16];
	u64 quota, used, charged;
	struct vac_state st;
	struct vac_slice slices[2];
	struct vac_ctx ctxs[2];
	u32 heap[2];
	struct vac a;
	int slice, ctx;
	struct vgpu_status_page *page;
} dev;

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static void publish(void)
{
	u64 dl, gen = vac_ctx_lease(&dev.a, (u32)dev.ctx, &dl);

	dev.page->seq++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	dev.page->generation = gen;
	dev.page->deadline_ns = dl;
	dev.page->waiters = vac_nr_waiting(&dev.a);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	dev.page->seq++;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	if (strcmp(path, "/dev/vgpu/" UUID))
		return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
	CHECK(!dev.open && (flags & O_RDWR) && (flags & O_CLOEXEC));
	dev.open = true;
	return FAKE_FD;
}

int close(int fd)
{
	if (fd != FAKE_FD)
		return (int)syscall(SYS_close, fd);
	CHECK(dev.open);
	/* the module gives everything back when the file closes */
	dev.used -= dev.charged;
	dev.charged = 0;
	if (dev.attached) {
		struct vac_change chg;

		vac_ctx_detach(&dev.a, (u32)dev.ctx, now_ns(), &chg);
	}
	dev.open = dev.attached = false;
	return 0;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fd != FAKE_FD)
		return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
	CHECK(prot == PROT_READ && (flags & MAP_SHARED) && off == 0 && len >= 4096);
	return dev.page;
}

int munmap(void *addr, size_t len)
{
	if (addr == dev.page)
		return 0;
	return (int)syscall(SYS_munmap, addr, len);
}

/* The module's header check: argsz covers what it knows, no unknown flags. */
static int head(void *arg, size_t minsz, u32 allowed)
{
	u32 *h = arg;

	if (h[0] < minsz || (h[1] & ~allowed)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int fail(int e)
{
	errno = e;
	return -1;
}

int ioctl(int fd, unsigned long cmd, ...)
{
	struct vac_change chg;
	va_list ap;
	void *arg;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != FAKE_FD)
		return (int)syscall(SYS_ioctl, fd, cmd, arg);
	if (_IOC_TYPE(cmd) != VGPU_IOC_MAGIC || _IOC_NR(cmd) > 8)
		return fail(ENOTTY);
	dev.ioctls[_IOC_NR(cmd)]++;
	switch (cmd) {
	case VGPU_IOC_INFO: {
		struct vgpu_slice_info *in = arg;
		static const __u8 u[16] = { 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
					    0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0 };

		if (head(arg, offsetof(struct vgpu_slice_info, tenant) + VGPU_NAME_MAX, 0))
			return -1;
		memcpy(in->uuid, u, 16);
		in->policy = VGPU_POLICY_BEST_EFFORT;
		in->mem_quota = dev.quota;
		in->weight = 300;
		in->cap = 0;
		in->timeslice_us = 10000;
		in->priority = 1;
		in->gpu_memory = 1ULL << 30;
		in->gpu_sms = 132;
		snprintf(in->tenant, sizeof(in->tenant), "team-a");
		return 0;
	}
	case VGPU_IOC_ATTACH: {
		struct vgpu_attach *at = arg;

		if (head(arg, sizeof(*at), 0))
			return -1;
		if (dev.attached)
			return fail(EALREADY);
		dev.ctx = vac_ctx_attach(&dev.a, (u32)dev.slice);
		dev.attached = true;
		at->ctx_id = (u32)dev.ctx;
		return 0;
	}
	case VGPU_IOC_CHARGE:
	case VGPU_IOC_UNCHARGE: {
		struct vgpu_charge *c = arg;

		if (head(arg, sizeof(*c), 0))
			return -1;
		if (!c->bytes || c->bytes > VGPU_GPU_MEM_MAX)
			return fail(EINVAL);
		if (cmd == VGPU_IOC_CHARGE) {
			if (c->bytes > dev.quota - dev.used)
				return fail(ENOSPC);
			dev.used += c->bytes;
			dev.charged += c->bytes;
		} else {
			if (c->bytes > dev.charged)
				return fail(EINVAL);
			dev.used -= c->bytes;
			dev.charged -= c->bytes;
		}
		c->mem_used = dev.used;
		return 0;
	}
	case VGPU_IOC_ACQUIRE:
	case VGPU_IOC_RELEASE:
	case VGPU_IOC_REPORT: {
		struct vgpu_lease *l = arg;
		u32 allowed = cmd == VGPU_IOC_ACQUIRE ? VGPU_ACQUIRE_ALL :
			      cmd == VGPU_IOC_RELEASE ? VGPU_RELEASE_ALL : 0;

		if (head(arg, sizeof(*l), allowed))
			return -1;
		if (!dev.attached)
			return fail(EINVAL);
		if (cmd == VGPU_IOC_ACQUIRE) {
			r = vac_acquire(&dev.a, (u32)dev.ctx, l->flags & VGPU_ACQUIRE_NONBLOCK,
					now_ns(), &chg);
			if (r)
				return fail(r < 0 ? -r : EAGAIN);	/* one context: never waits */
			{
				u64 dl;

				l->generation = vac_ctx_lease(&dev.a, (u32)dev.ctx, &dl);
				l->deadline_ns = dl;
			}
		} else if (cmd == VGPU_IOC_RELEASE) {
			r = vac_release(&dev.a, (u32)dev.ctx, l->generation, l->busy_ns,
					l->flags & VGPU_RELEASE_YIELD, now_ns(), &chg);
			if (r < 0)
				return fail(-r);
			l->kept = r == 1;
		} else {
			r = vac_report(&dev.a, (u32)dev.ctx, l->generation, l->busy_ns, now_ns(),
				       &chg);
			if (r < 0)
				return fail(-r);
		}
		publish();
		return 0;
	}
	case VGPU_IOC_STATS: {
		struct vgpu_stats *s = arg;

		if (head(arg, sizeof(*s), 0))
			return -1;
		s->mem_used = dev.used;
		s->mem_peak = dev.used;
		s->busy_ns = dev.slices[dev.slice].busy_ns;
		s->leases = dev.slices[dev.slice].leases;
		s->contexts = dev.slices[dev.slice].nr_ctx;
		return 0;
	}
	default:
		return fail(ENOTTY);
	}
}

/* ---- the test ---- */

int main(void)
{
	struct vgpu_slice_policy p = { .sz = sizeof(p) };
	char err[512];
	VGPU_OPTS(vgpu_open_opts, o, .policy = &p, .errbuf = err, .errlen = sizeof(err));
	VGPU_OPTS(vgpu_info, in);
	VGPU_OPTS(vgpu_mem_usage, u);
	VGPU_OPTS(vgpu_slice_stats, st);
	VGPU_OPTS(vgpu_lease_state, ls);
	struct vgpu_slice *s;
	uint64_t gen;

	dev.page = aligned_alloc(4096, 4096);
	CHECK(dev.page);
	memset(dev.page, 0, 4096);
	dev.page->version = VGPU_STATUS_VERSION;
	dev.quota = 64 * MiB;
	dev.st.nr_slices = 2;
	dev.st.nr_ctxs = 2;
	dev.a = (struct vac){ &dev.st, dev.slices, dev.ctxs, dev.heap };
	vac_init(&dev.a, VAC_BEST_EFFORT, 10 * 1000000ULL, 100 * 1000000ULL, now_ns());
	dev.slice = vac_slice_add(&dev.a, 300, 0, 0, 1);

	/* the environment may only tighten: 32 MiB of 64; its share is ignored */
	vgpu_policy_init(&p);
	p.backend = VGPU_BACKEND_KERNEL;
	snprintf(p.slice, sizeof(p.slice), "%s", UUID);
	p.mem_limit = 32 * MiB;
	p.weight = 500;
	p.set = VGPU_SET_BACKEND | VGPU_SET_SLICE | VGPU_SET_MEM_LIMIT | VGPU_SET_WEIGHT;
	CHECK(vgpu_slice_open(NULL, &o, &s) == 0);
	CHECK(dev.open && dev.attached && dev.ioctls[0] == 1 && dev.ioctls[1] == 1);
	CHECK(vgpu_slice_info(s, &in) == 0);
	CHECK(in.backend == VGPU_BACKEND_KERNEL && !strcmp(in.slice, UUID) &&
	      !strcmp(in.where, "/dev/vgpu/" UUID) && in.mem_quota == 32 * MiB &&
	      in.slice_quota == 64 * MiB && in.weight == 300 && in.priority == 1 &&
	      in.timeslice_us == 10000 && in.gpu_sms == 132 && !strcmp(in.tenant, "team-a"));

	/* memory: our limit on top of the module's ledger */
	CHECK(vgpu_mem_charge(s, 32 * MiB) == 0 && dev.used == 32 * MiB);
	CHECK(vgpu_mem_charge(s, 1) == -ENOSPC && dev.used == 32 * MiB);
	CHECK(vgpu_mem_charge(s, 1ULL << 51) == -ENOSPC);	/* never sent: too large */
	CHECK(vgpu_mem_usage(s, &u) == 0 && u.used == 32 * MiB && u.quota == 32 * MiB &&
	      u.self == 32 * MiB);
	CHECK(vgpu_mem_uncharge(s, 32 * MiB + 1) == -EINVAL);
	CHECK(vgpu_mem_uncharge(s, 16 * MiB) == 0 && dev.used == 16 * MiB);
	/* context memory is charged as memory when it counts */
	p.count_context = 1;
	CHECK(vgpu_mem_set_context(s, 8 * MiB) == 0);	/* handle's policy: not counted */
	CHECK(dev.used == 16 * MiB);

	/* leases: the status page is the fast path */
	CHECK(!vgpu_lease_valid(s));
	CHECK(vgpu_lease_acquire(s, 0, 0, &gen) == 0 && gen);
	CHECK(vgpu_lease_valid(s));
	CHECK(vgpu_lease_state(s, &ls) == 0 && ls.generation == gen && ls.valid);
	CHECK(vgpu_lease_report(s, gen, 1000) == 0);
	CHECK(vgpu_lease_release(s, 2000, VGPU_LEASE_YIELD) == 1);	/* alone: kept */
	CHECK(vgpu_lease_valid(s));
	CHECK(vgpu_lease_release(s, 3000, 0) == 0);
	CHECK(!vgpu_lease_valid(s));
	CHECK(vgpu_lease_release(s, 0, 0) == -ENOLCK);
	CHECK(vgpu_lease_report(s, gen, 5000) == -ESTALE);
	CHECK(vgpu_slice_stats(s, &st) == 0 && st.mem_used == 16 * MiB && st.leases == 1 &&
	      st.contexts == 1 && st.ctx_mem == 8 * MiB && !st.holding);

	/* close: the module gives everything back */
	vgpu_slice_close(s);
	CHECK(!dev.open && dev.used == 0);
	CHECK(vac_check(&dev.a) == 0);

	/* no such slice: a clear message */
	snprintf(p.slice, sizeof(p.slice), "/dev/vgpu/00000000-0000-0000-0000-000000000000");
	CHECK(vgpu_slice_open(NULL, &o, &s) == -ENOENT && strstr(err, "does not exist"));
	free(dev.page);
	printf("test_kernel: the slice device's calls, arguments and status page\n");
	return 0;
}
