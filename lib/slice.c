// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The public API: slice handles over either backend, and the policy that
 * sits above the mechanism (a memory limit of our own tighter than the
 * kernel slice's, what counts as memory, the lease bookkeeping).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Copy @src (full size) to a caller's structure of size user->sz. */
#define COPY_OUT(user, src) do {					\
	size_t _n = (user)->sz < sizeof(src) ? (user)->sz : sizeof(src);	\
	size_t _sz = (user)->sz;					\
	memcpy((user), &(src), _n);					\
	(user)->sz = _sz;						\
} while (0)

VGPU_EXPORT const char *vgpu_version(void)
{
	return "1.0";
}

VGPU_EXPORT const char *vgpu_backend_name(uint32_t backend)
{
	switch (backend) {
	case VGPU_BACKEND_KERNEL: return "kernel";
	case VGPU_BACKEND_SHM: return "shm";
	case VGPU_BACKEND_AUTO: return "auto";
	default: return "?";
	}
}

static bool is_kernel_name(const char *n)
{
	return !strncmp(n, "/dev/", 5) || vgpu_looks_like_uuid(n);
}

static bool kernel_node_exists(const char *n)
{
	char path[VGPU_SLICE_NAME_MAX + 16];

	if (n[0] == '/')
		return access(n, F_OK) == 0;
	snprintf(path, sizeof(path), "/dev/vgpu/%s", n);
	return access(path, F_OK) == 0;
}

VGPU_EXPORT int vgpu_slice_open(const char *slice, const struct vgpu_open_opts *uopts,
				struct vgpu_slice **out)
{
	struct vgpu_open_opts o = { .sz = sizeof(o) };
	char errtmp[512];
	char *err;
	size_t len;
	struct vgpu_slice *s;
	const char *name;
	bool kernel;
	int e;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (uopts) {
		if (!uopts->sz)
			return -EINVAL;
		memcpy(&o, uopts, uopts->sz < sizeof(o) ? uopts->sz : sizeof(o));
		o.sz = sizeof(o);
	}
	err = o.errbuf ? o.errbuf : errtmp;
	len = o.errbuf ? o.errlen : sizeof(errtmp);
	if (len)
		err[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pol.sz = sizeof(s->pol);
	if (o.policy) {
		vgpu_policy_init(&s->pol);
		memcpy(&s->pol, o.policy, o.policy->sz && o.policy->sz < sizeof(s->pol) ?
		       o.policy->sz : sizeof(s->pol));
		s->pol.sz = sizeof(s->pol);
	} else {
		e = vgpu_policy_from_env(&s->pol, o.device, err, len);
		if (e)
			goto fail;
	}
	name = slice ? slice : s->pol.slice;
	switch (s->pol.backend) {
	case VGPU_BACKEND_KERNEL:
		kernel = true;
		break;
	case VGPU_BACKEND_SHM:
		kernel = false;
		break;
	default:
		kernel = *name && is_kernel_name(name) &&
			 (kernel_node_exists(name) || !strncmp(name, "/dev/", 5));
		break;
	}
	if (kernel) {
		if (!*name) {
			vgpu_errf(err, len, "the kernel backend needs a slice: set VGPU_SLICE to its "
				  "UUID or /dev/vgpu/<uuid>");
			e = -EINVAL;
			goto fail;
		}
		e = vgpu_kernel_open(s, name, err, len);
		if (e)
			goto fail;
		/* the operator's parameters rule; ours may only tighten memory */
		if (s->pol.mem_limit && s->pol.mem_limit < s->info.slice_quota) {
			s->lib_limit = s->pol.mem_limit;
			s->info.mem_quota = s->pol.mem_limit;
			s->info.mem_mode = s->pol.mem_mode;
		}
		if (s->pol.set & (VGPU_SET_WEIGHT | VGPU_SET_CAP | VGPU_SET_PRIORITY |
				  VGPU_SET_TIMESLICE | VGPU_SET_SCHED | VGPU_SET_PERIOD))
			vg_warn("slice %s: share, cap, priority, time slice and policy come from the "
				"kernel (the operator's settings); those of the environment are "
				"ignored", s->info.slice);
		if (s->pol.mem_limit && s->pol.mem_limit > s->info.slice_quota)
			vg_warn("slice %s: memory limit %" PRIu64 " is above the slice's quota "
				"%" PRIu64 "; the quota applies", s->info.slice, s->pol.mem_limit,
				s->info.slice_quota);
	} else {
		e = vgpu_shm_open(s, name, o.device, o.gpu_memory, o.gpu_sms, err, len);
		if (e)
			goto fail;
	}
	s->info.sz = sizeof(s->info);
	s->info.count_context = s->pol.count_context;
	*out = s;
	return 0;
fail:
	if (!o.errbuf && errtmp[0])
		vg_err("%s", errtmp);
	free(s);
	return e;
}

VGPU_EXPORT void vgpu_slice_close(struct vgpu_slice *s)
{
	if (!s)
		return;
	if (s->ops)
		s->ops->close(s);
	free(s);
}

VGPU_EXPORT int vgpu_slice_info(const struct vgpu_slice *s, struct vgpu_info *info)
{
	if (!s || !info || !info->sz)
		return -EINVAL;
	COPY_OUT(info, s->info);
	return 0;
}

int vgpu_charge_internal(struct vgpu_slice *s, u64 bytes)
{
	bool hard = s->info.mem_mode == VGPU_MEM_HARD;
	u64 used = 0;
	int e;

	if (!bytes)
		return 0;
	if (s->lib_limit && hard && bytes > s->lib_limit)
		return -ENOSPC;
	if (bytes > VGPU_GPU_MEM_MAX)
		return -ENOSPC;
	e = s->ops->charge(s, bytes, &used);
	if (e)
		return e;
	if (s->lib_limit && hard && used > s->lib_limit) {
		/* over our own limit: not ours to keep (the slice's quota is larger) */
		s->ops->uncharge(s, bytes);
		return -ENOSPC;
	}
	__atomic_add_fetch(&s->self, bytes, __ATOMIC_RELAXED);
	return 0;
}

VGPU_EXPORT int vgpu_mem_charge(struct vgpu_slice *s, uint64_t bytes)
{
	if (!s)
		return -EINVAL;
	return vgpu_charge_internal(s, bytes);
}

VGPU_EXPORT int vgpu_mem_uncharge(struct vgpu_slice *s, uint64_t bytes)
{
	int e;

	if (!s)
		return -EINVAL;
	if (!bytes)
		return 0;
	if (bytes > __atomic_load_n(&s->self, __ATOMIC_RELAXED))
		return -EINVAL;
	e = s->ops->uncharge(s, bytes);
	if (!e)
		__atomic_sub_fetch(&s->self, bytes, __ATOMIC_RELAXED);
	return e;
}

VGPU_EXPORT int vgpu_mem_set_context(struct vgpu_slice *s, uint64_t bytes)
{
	int e;

	if (!s)
		return -EINVAL;
	e = s->ops->set_ctx_mem(s, bytes, s->pol.count_context);
	if (!e) {
		s->ctx_mem = bytes;
		s->ctx_charged = s->pol.count_context ? bytes : 0;
	}
	return e;
}

VGPU_EXPORT int vgpu_slice_stats(struct vgpu_slice *s, struct vgpu_slice_stats *ust)
{
	struct vgpu_slice_stats st = { .sz = sizeof(st) };
	int e;

	if (!s || !ust || !ust->sz)
		return -EINVAL;
	e = s->ops->stats(s, &st);
	if (e)
		return e;
	COPY_OUT(ust, st);
	return 0;
}

VGPU_EXPORT int vgpu_mem_usage(struct vgpu_slice *s, struct vgpu_mem_usage *uu)
{
	struct vgpu_slice_stats st = { .sz = sizeof(st) };
	struct vgpu_mem_usage u = { .sz = sizeof(u) };
	int e;

	if (!s || !uu || !uu->sz)
		return -EINVAL;
	e = s->ops->stats(s, &st);
	if (e)
		return e;
	u.used = st.mem_used;
	u.quota = s->info.mem_quota;
	u.peak = st.mem_peak;
	u.self = __atomic_load_n(&s->self, __ATOMIC_RELAXED) + s->ctx_charged;
	u.ctx_mem = s->ctx_mem;
	u.refused = st.charge_refused;
	COPY_OUT(uu, u);
	return 0;
}

VGPU_EXPORT int vgpu_lease_acquire(struct vgpu_slice *s, uint32_t timeout_us,
				   unsigned int flags, uint64_t *generation)
{
	u64 gen = 0, deadline = 0;
	int e;

	if (!s || (flags & ~VGPU_LEASE_NONBLOCK))
		return -EINVAL;
	e = s->ops->acquire(s, timeout_us, flags & VGPU_LEASE_NONBLOCK, &gen, &deadline);
	if (e)
		return e;
	__atomic_store_n(&s->gen, gen, __ATOMIC_RELEASE);
	if (generation)
		*generation = gen;
	return 0;
}

VGPU_EXPORT bool vgpu_lease_valid(const struct vgpu_slice *s)
{
	u64 gen, deadline, mine;
	u32 waiters;

	if (!s)
		return false;
	mine = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	if (!mine)
		return false;
	vgpu_status_read(s->status, &gen, &deadline, &waiters);
	return gen == mine && vgpu_now_ns() < deadline;
}

VGPU_EXPORT int vgpu_lease_release(struct vgpu_slice *s, uint64_t busy_ns, unsigned int flags)
{
	bool kept = false;
	u64 gen;
	int e;

	if (!s || (flags & ~VGPU_LEASE_YIELD))
		return -EINVAL;
	gen = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	if (!gen)
		return -ENOLCK;
	e = s->ops->release(s, gen, busy_ns, flags & VGPU_LEASE_YIELD, &kept);
	if (e == 0 && kept)
		return 1;
	__atomic_store_n(&s->gen, 0, __ATOMIC_RELEASE);
	return e;
}

VGPU_EXPORT int vgpu_lease_report(struct vgpu_slice *s, uint64_t generation, uint64_t busy_ns)
{
	if (!s || !generation)
		return -EINVAL;
	return s->ops->report(s, generation, busy_ns);
}

VGPU_EXPORT int vgpu_lease_state(const struct vgpu_slice *s, struct vgpu_lease_state *ust)
{
	struct vgpu_lease_state st = { .sz = sizeof(st) };
	u64 mine;

	if (!s || !ust || !ust->sz)
		return -EINVAL;
	vgpu_status_read(s->status, &st.generation, &st.deadline_ns, &st.waiters);
	mine = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
	st.valid = mine && st.generation == mine && vgpu_now_ns() < st.deadline_ns;
	COPY_OUT(ust, st);
	return 0;
}
