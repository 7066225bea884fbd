// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The kernel backend: a slice device /dev/vgpu/<uuid> of vgpu.ko.  One open
 * file is one context of the slice (include/uapi/linux/vgpu.h): INFO gives
 * the operator's parameters, ATTACH joins the GPU's arbiter, the read-only
 * status page mapped at offset 0 carries the lease for the fast path, and
 * CHARGE/UNCHARGE/ACQUIRE/RELEASE/REPORT/STATS are ioctls with the
 * argsz/flags header.  Closing the file gives back its charges and lease,
 * so a process that dies leaves nothing behind.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct kern_priv {
	int fd;
	void *page;
	size_t pagelen;
	char path[VGPU_SLICE_NAME_MAX + 16];
};

static struct kern_priv *K(struct vgpu_slice *s)
{
	return s->priv;
}

static int kioctl(int fd, unsigned long cmd, void *arg)
{
	int r;

	do {
		r = ioctl(fd, cmd, arg);
	} while (r < 0 && errno == EINTR && cmd != VGPU_IOC_ACQUIRE);
	return r < 0 ? -errno : 0;
}

static int k_charge(struct vgpu_slice *s, u64 bytes, u64 *used)
{
	struct vgpu_charge c = { .argsz = sizeof(c), .bytes = bytes };
	int e = kioctl(K(s)->fd, VGPU_IOC_CHARGE, &c);

	if (!e && used)
		*used = c.mem_used;
	return e;
}

static int k_uncharge(struct vgpu_slice *s, u64 bytes)
{
	struct vgpu_charge c = { .argsz = sizeof(c), .bytes = bytes };

	return kioctl(K(s)->fd, VGPU_IOC_UNCHARGE, &c);
}

/* The module has no notion of context memory: charge it as memory. */
static int k_set_ctx_mem(struct vgpu_slice *s, u64 bytes, bool charge)
{
	u64 want = charge ? bytes : 0;
	int e = 0;

	if (want > s->ctx_charged)
		e = k_charge(s, want - s->ctx_charged, NULL);
	else if (want < s->ctx_charged)
		e = k_uncharge(s, s->ctx_charged - want);
	if (e)
		return e;
	s->ctx_charged = want;
	s->ctx_mem = bytes;
	return 0;
}

static int k_acquire(struct vgpu_slice *s, u32 timeout_us, bool nonblock, u64 *gen,
		     u64 *deadline)
{
	struct vgpu_lease l = {
		.argsz = sizeof(l),
		.flags = nonblock ? VGPU_ACQUIRE_NONBLOCK : 0,
		.timeout_us = timeout_us,
	};
	u64 start = vgpu_now_ns();
	int e;

	for (;;) {
		e = kioctl(K(s)->fd, VGPU_IOC_ACQUIRE, &l);
		if (e != -EINTR)
			break;
		/* a signal: wait for what is left of the timeout */
		if (timeout_us) {
			u64 spent = (vgpu_now_ns() - start) / NSEC_PER_USEC;

			if (spent >= timeout_us)
				return -ETIMEDOUT;
			l.timeout_us = timeout_us - (u32)spent;
		}
	}
	if (e)
		return e;
	*gen = l.generation;
	*deadline = l.deadline_ns;
	return 0;
}

static int k_release(struct vgpu_slice *s, u64 gen, u64 busy_ns, bool yield, bool *kept)
{
	struct vgpu_lease l = {
		.argsz = sizeof(l),
		.flags = yield ? VGPU_RELEASE_YIELD : 0,
		.generation = gen,
		.busy_ns = busy_ns,
	};
	int e = kioctl(K(s)->fd, VGPU_IOC_RELEASE, &l);

	if (kept)
		*kept = !e && l.kept;
	return e;
}

static int k_report(struct vgpu_slice *s, u64 gen, u64 busy_ns)
{
	struct vgpu_lease l = {
		.argsz = sizeof(l),
		.generation = gen,
		.busy_ns = busy_ns,
	};

	return kioctl(K(s)->fd, VGPU_IOC_REPORT, &l);
}

static int k_stats(struct vgpu_slice *s, struct vgpu_slice_stats *st)
{
	struct vgpu_stats k = { .argsz = sizeof(k) };
	u64 gen, dl;
	u32 w;
	int e = kioctl(K(s)->fd, VGPU_IOC_STATS, &k);

	if (e)
		return e;
	st->mem_used = k.mem_used;
	st->mem_peak = k.mem_peak;
	st->charge_refused = k.charge_refused;
	st->busy_ns = k.busy_ns;
	st->wait_ns = k.wait_ns;
	st->leases = k.leases;
	st->overruns = k.overruns;
	st->overrun_ns = k.overrun_ns;
	st->contexts = k.contexts;
	/* the module tells only whether this file holds */
	vgpu_status_read(s->status, &gen, &dl, &w);
	st->holding = gen != 0;
	st->ctx_mem = s->ctx_mem;
	st->over_quota = 0;
	return 0;
}

static int k_used(struct vgpu_slice *s, u64 *used)
{
	struct vgpu_stats k = { .argsz = sizeof(k) };
	int e = kioctl(K(s)->fd, VGPU_IOC_STATS, &k);

	if (!e)
		*used = k.mem_used;
	return e;
}

/* Only this slice is visible from here. */
static u64 k_gpu_known_used(struct vgpu_slice *s)
{
	u64 used = 0;

	k_used(s, &used);
	return used;
}

static void k_free(struct kern_priv *k)
{
	if (k->page)
		munmap(k->page, k->pagelen);
	if (k->fd >= 0)
		close(k->fd);
	free(k);
}

static void k_close(struct vgpu_slice *s)
{
	if (s->priv)
		k_free(K(s));	/* the module gives back charges and lease */
	s->priv = NULL;
}

/*
 * After fork the child shares the open file (the same context): closing the
 * child's descriptor leaves the parent's context alone.
 */
static void k_abandon(struct vgpu_slice *s)
{
	k_close(s);
}

static const struct vgpu_backend_ops kernel_ops = {
	.id = VGPU_BACKEND_KERNEL,
	.charge = k_charge,
	.uncharge = k_uncharge,
	.set_ctx_mem = k_set_ctx_mem,
	.acquire = k_acquire,
	.release = k_release,
	.report = k_report,
	.stats = k_stats,
	.used = k_used,
	.gpu_known_used = k_gpu_known_used,
	.close = k_close,
	.abandon = k_abandon,
};

static void uuid_str(const __u8 *u, char *buf, size_t len)
{
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
		 u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

int vgpu_kernel_open(struct vgpu_slice *s, const char *slice, char *err, size_t len)
{
	struct vgpu_slice_info info = { .argsz = sizeof(info) };
	struct vgpu_attach at = { .argsz = sizeof(at) };
	const struct vgpu_status_page *page;
	struct kern_priv *k;
	struct vgpu_info *in = &s->info;
	long pg = sysconf(_SC_PAGESIZE);
	int e;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->fd = -1;
	if (slice[0] == '/')
		snprintf(k->path, sizeof(k->path), "%.*s", VGPU_SLICE_NAME_MAX - 1, slice);
	else
		snprintf(k->path, sizeof(k->path), "/dev/vgpu/%.*s", VGPU_SLICE_NAME_MAX - 1, slice);
	k->fd = open(k->path, O_RDWR | O_CLOEXEC);
	if (k->fd < 0) {
		e = -errno;
		if (e == -ENOENT)
			vgpu_errf(err, len, "slice device %s does not exist (no such slice, or "
				  "vgpu.ko is not loaded; VGPU_BACKEND=shm for the userspace backend)",
				  k->path);
		else
			vgpu_errf(err, len, "slice device %s: %s", k->path, strerror(-e));
		goto fail;
	}
	e = kioctl(k->fd, VGPU_IOC_INFO, &info);
	if (e) {
		vgpu_errf(err, len, "slice device %s: VGPU_IOC_INFO: %s", k->path, strerror(-e));
		goto fail;
	}
	e = kioctl(k->fd, VGPU_IOC_ATTACH, &at);
	if (e) {
		vgpu_errf(err, len, "slice device %s: VGPU_IOC_ATTACH: %s%s", k->path, strerror(-e),
			  e == -EUSERS ? " (the GPU's context table is full)" : "");
		goto fail;
	}
	k->pagelen = (size_t)(pg > 0 ? pg : 4096);
	k->page = mmap(NULL, k->pagelen, PROT_READ, MAP_SHARED, k->fd, 0);
	if (k->page == MAP_FAILED) {
		e = -errno;
		k->page = NULL;
		vgpu_errf(err, len, "slice device %s: mmap of the status page: %s", k->path,
			  strerror(-e));
		goto fail;
	}
	page = k->page;
	if (page->version != VGPU_STATUS_VERSION) {
		e = -EPROTO;
		vgpu_errf(err, len, "slice device %s: status page version %u, this libvgpu knows %u",
			  k->path, page->version, VGPU_STATUS_VERSION);
		goto fail;
	}
	in->backend = VGPU_BACKEND_KERNEL;
	in->sched = info.policy;
	uuid_str(info.uuid, in->slice, sizeof(in->slice));
	snprintf(in->where, sizeof(in->where), "%.*s", (int)sizeof(in->where) - 1, k->path);
	in->slice_quota = info.mem_quota;
	in->mem_quota = info.mem_quota;
	in->mem_mode = VGPU_MEM_HARD;
	in->weight = info.weight;
	in->cap = info.cap;
	in->priority = info.priority;
	in->timeslice_us = info.timeslice_us;
	in->period_us = 0;
	in->gpu_memory = info.gpu_memory;
	in->gpu_sms = info.gpu_sms;
	snprintf(in->tenant, sizeof(in->tenant), "%.*s", (int)sizeof(info.tenant), info.tenant);
	s->status = page;
	s->priv = k;
	s->ops = &kernel_ops;
	return 0;
fail:
	k_free(k);
	return e;
}
