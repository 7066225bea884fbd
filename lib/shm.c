// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The shm backend: a userspace arbiter and memory ledger for hosts where
 * vgpu.ko cannot be loaded.  One POSIX shared-memory region per GPU holds
 * the arbiter core's state (kmod/core/arbiter_core.c, the very code of the
 * module, compiled into the library: its state is pointer-free), the slice
 * table with each slice's ledger, and one record per attached handle.
 *
 * Locking: one process-shared ROBUST mutex guards the whole region.  A
 * process killed while holding it leaves it EOWNERDEAD to the next locker,
 * which repairs before going on (region_repair(): the core's queues are
 * rebuilt from the contexts' states, ledgers recomputed from the records,
 * half-made records dropped, status pages re-published, the dead reaped).
 * Every multi-word update is ordered so that what the repair trusts (a
 * record's state, a context's state) is written last.
 *
 * Liveness: each record is owned by an open file description of the region,
 * which holds an OFD lock (F_OFD_SETLK) on the record's byte for as long as
 * it is open.  The kernel drops that lock when the last descriptor of the
 * description goes, i.e. when the process dies however it dies; F_OFD_GETLK
 * by anyone else then finds it unlocked.  Unlike kill(pid, 0) this is immune
 * to pid reuse and works across pid namespaces; unlike a robust mutex it is
 * not tied to the thread that took it.  A forked child closes its copy of
 * the descriptor (see vgpu_shm_abandon) so it cannot keep a dead parent's
 * record alive.
 *
 * Time: there is no kernel timer.  Waiters drive time: a waiter sleeps on a
 * futex in its own status page until the core's next event (a deadline or a
 * period end), then takes the lock and calls vac_tick().  Whoever changes
 * the state publishes the status pages that changed (seqcount) and wakes
 * only the context granted a lease, as the module does.  A holder checks its
 * lease in its status page without the lock; an uncontended holder whose
 * deadline passed extends it itself (vac_acquire ticks first), with a lock
 * but no system call.
 *
 * Creation is race-free and crash-safe: an OFD write lock on byte 0
 * serialises initialisation; the magic is written last, and a region whose
 * initialiser died (magic still VSHM_MAGIC_INIT) is initialised again.
 */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "shm_region.h"

#define REAP_INTERVAL_NS (50 * NSEC_PER_MSEC)
#define WAIT_POLL_NS (500 * NSEC_PER_MSEC)	/* waiters look around at least this often */

struct shm_priv {
	int fd;
	struct vshm_region *r;
	struct vac a;
	u32 client;
	u32 slice;
	u32 ctx;
	char name[NAME_MAX + 2];
};

static struct shm_priv *P(struct vgpu_slice *s)
{
	return s->priv;
}

/* ---- OFD locks and futexes ---- */

static int ofd_lock(int fd, off_t off, short type, bool wait)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = off,
		.l_len = 1,
	};
	int r;

	do {
		r = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static bool client_alive(struct shm_priv *p, u32 i)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = VSHM_LOCK_BASE + i,
		.l_len = 1,
	};

	if (i == p->client)
		return true;
	if (fcntl(p->fd, F_OFD_GETLK, &fl) < 0)
		return true;	/* cannot tell: keep it */
	return fl.l_type != F_UNLCK;
}

static void futex_wait_abs(u32 *addr, u32 val, u64 abs_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(abs_ns / NSEC_PER_SEC),
		.tv_nsec = (long)(abs_ns % NSEC_PER_SEC),
	};

	syscall(SYS_futex, addr, FUTEX_WAIT_BITSET, val, &ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

static void futex_wake(u32 *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* ---- publishing (region lock held) ---- */

static void publish(struct shm_priv *p, u32 c, bool wake)
{
	struct vshm_region *r = p->r;
	u32 k = r->ctx_owner[c];
	struct vgpu_status_page *sp;
	u64 gen, deadline;
	u32 seq;

	if (k >= VSHM_CLIENTS)
		return;
	sp = &r->clients[k].status;
	gen = vac_ctx_lease(&p->a, c, &deadline);
	seq = __atomic_load_n(&sp->seq, __ATOMIC_RELAXED);
	__atomic_store_n(&sp->seq, seq | 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* odd seq before the fields */
	__atomic_store_n(&sp->generation, gen, __ATOMIC_RELAXED);
	__atomic_store_n(&sp->deadline_ns, deadline, __ATOMIC_RELAXED);
	__atomic_store_n(&sp->waiters, vac_nr_waiting(&p->a), __ATOMIC_RELAXED);
	__atomic_store_n(&sp->seq, (seq | 1) + 1, __ATOMIC_RELEASE);
	if (wake)
		futex_wake(&sp->seq);
}

static void apply(struct shm_priv *p, const struct vac_change *chg)
{
	struct vshm_region *r = p->r;
	u64 next, old;

	if (chg->ended != VAC_NONE)
		publish(p, chg->ended, false);
	if (chg->granted != VAC_NONE)
		publish(p, chg->granted, true);
	if (r->st.holder != VAC_NONE && r->st.holder != chg->granted)
		publish(p, r->st.holder, false);
	next = vac_next_event(&p->a);
	old = __atomic_exchange_n(&r->next_event, next, __ATOMIC_RELEASE);
	if (next < old) {
		/* waiters sleep until the old event: tell them about the new one */
		for (u32 c = 0; c < VSHM_CLIENTS; c++)
			if (r->vctxs[c].state == VAC_CTX_WAITING)
				publish(p, c, true);
	}
}

static void publish_all(struct shm_priv *p)
{
	for (u32 c = 0; c < VSHM_CLIENTS; c++)
		if (p->r->vctxs[c].state != VAC_CTX_FREE)
			publish(p, c, true);
}

/* ---- records ---- */

static void slice_free_locked(struct shm_priv *p, u32 s)
{
	struct vshm_slice *sl = &p->r->slices[s];

	if (!sl->used || sl->nr_clients)
		return;
	sl->used = 0;
	if (sl->vac < VSHM_SLICES)
		vac_slice_del(&p->a, sl->vac);
	memset(sl, 0, sizeof(*sl));
}

/* Take client @i out: its lease, its charges; the slice goes with the last. */
static void client_detach_locked(struct shm_priv *p, u32 i, u64 now)
{
	struct vshm_region *r = p->r;
	struct vshm_client *cl = &r->clients[i];
	struct vac_change chg = { VAC_NONE, VAC_NONE, VAC_NONE };
	struct vshm_slice *sl;

	if (cl->state != VSHM_LIVE)
		return;
	if (cl->ctx < VSHM_CLIENTS && r->vctxs[cl->ctx].state != VAC_CTX_FREE) {
		vac_ctx_detach(&p->a, cl->ctx, now, &chg);
		r->ctx_owner[cl->ctx] = VAC_NONE;
	}
	sl = cl->slice < VSHM_SLICES ? &r->slices[cl->slice] : NULL;
	if (sl && sl->used) {
		sl->mem_used = sl->mem_used > cl->charged ? sl->mem_used - cl->charged : 0;
		sl->ctx_mem = sl->ctx_mem > cl->ctx_mem ? sl->ctx_mem - cl->ctx_mem : 0;
		if (sl->nr_clients)
			sl->nr_clients--;
	}
	cl->charged = 0;
	cl->ctx_mem = 0;
	cl->ctx_charged = 0;
	__atomic_store_n(&cl->state, VSHM_FREE, __ATOMIC_RELEASE);
	if (sl)
		slice_free_locked(p, cl->slice);
	apply(p, &chg);
}

/* Detach every record whose owner has died.  Returns how many. */
static int reap_locked(struct shm_priv *p, u64 now)
{
	int n = 0;

	for (u32 i = 0; i < VSHM_CLIENTS; i++) {
		struct vshm_client *cl = &p->r->clients[i];

		if (cl->state != VSHM_LIVE || client_alive(p, i))
			continue;
		vg_info("shm %s: process %d died; its %" PRIu64 " bytes and its lease are "
			"given back", p->name, (int)cl->pid, cl->charged);
		client_detach_locked(p, i, now);
		n++;
	}
	p->r->last_reap = now;
	return n;
}

/*
 * After a process died holding the lock, anywhere.  What is trusted: record
 * and context states (written last), each record's own charge.  What is
 * recomputed: the core's queues and heap, slice ledgers, the owner map.
 */
static void region_repair(struct shm_priv *p)
{
	struct vshm_region *r = p->r;
	struct vac_change chg;
	u64 now = vgpu_now_ns();
	bool vac_ref[VSHM_SLICES] = { false };

	/* records that point nowhere are dropped */
	for (u32 i = 0; i < VSHM_CLIENTS; i++) {
		struct vshm_client *cl = &r->clients[i];

		if (cl->state != VSHM_LIVE) {
			cl->state = VSHM_FREE;
			continue;
		}
		if (cl->slice >= VSHM_SLICES || !r->slices[cl->slice].used ||
		    cl->ctx >= VSHM_CLIENTS)
			cl->state = VSHM_FREE;
	}
	for (u32 s = 0; s < VSHM_SLICES; s++) {
		struct vshm_slice *sl = &r->slices[s];

		if (sl->used && (sl->vac >= VSHM_SLICES || !r->vslices[sl->vac].used))
			sl->used = 0;
		if (sl->used)
			vac_ref[sl->vac] = true;
	}
	/* a core slice no record refers to: its registration was cut short */
	for (u32 v = 0; v < VSHM_SLICES; v++)
		if (r->vslices[v].used && !vac_ref[v])
			r->vslices[v].used = 0;
	for (u32 c = 0; c < VSHM_CLIENTS; c++)
		r->ctx_owner[c] = VAC_NONE;
	for (u32 i = 0; i < VSHM_CLIENTS; i++)
		if (r->clients[i].state == VSHM_LIVE)
			r->ctx_owner[r->clients[i].ctx] = i;
	vac_rebuild(&p->a, now, &chg);
	/* contexts attached by a record that was never completed */
	for (u32 c = 0; c < VSHM_CLIENTS; c++) {
		struct vac_change ignored;

		if (r->vctxs[c].state != VAC_CTX_FREE && r->ctx_owner[c] == VAC_NONE)
			vac_ctx_detach(&p->a, c, now, &ignored);
	}
	/* ledgers from the records */
	for (u32 s = 0; s < VSHM_SLICES; s++) {
		r->slices[s].mem_used = 0;
		r->slices[s].ctx_mem = 0;
		r->slices[s].nr_clients = 0;
	}
	for (u32 i = 0; i < VSHM_CLIENTS; i++) {
		struct vshm_client *cl = &r->clients[i];
		struct vshm_slice *sl;

		if (cl->state != VSHM_LIVE)
			continue;
		sl = &r->slices[cl->slice];
		sl->mem_used += cl->charged;
		sl->ctx_mem += cl->ctx_mem;
		sl->nr_clients++;
		if (sl->mem_used > sl->mem_peak)
			sl->mem_peak = sl->mem_used;
	}
	for (u32 s = 0; s < VSHM_SLICES; s++)
		if (r->slices[s].used && !r->slices[s].nr_clients)
			slice_free_locked(p, s);
	/* status pages may have been left mid-write (odd seq) */
	for (u32 i = 0; i < VSHM_CLIENTS; i++) {
		u32 *seq = &r->clients[i].status.seq;

		if (__atomic_load_n(seq, __ATOMIC_RELAXED) & 1)
			__atomic_store_n(seq, *seq + 1, __ATOMIC_RELEASE);
	}
	vac_tick(&p->a, now, &chg);
	__atomic_store_n(&r->next_event, VAC_NEVER, __ATOMIC_RELAXED);
	apply(p, &chg);
	publish_all(p);
	reap_locked(p, now);
	if (vac_check(&p->a))
		vg_err("shm %s: arbiter state inconsistent after repair (line %d)", p->name,
		       -vac_check(&p->a));
}

static int region_lock(struct shm_priv *p)
{
	int e = pthread_mutex_lock(&p->r->lock);

	if (e == EOWNERDEAD) {
		vg_warn("shm %s: a process died holding the region's lock; repairing", p->name);
		region_repair(p);
		pthread_mutex_consistent(&p->r->lock);
		return 0;
	}
	if (e) {
		vg_err("shm %s: cannot lock the region: %s", p->name, strerror(e));
		return -e;
	}
	return 0;
}

static void region_unlock(struct shm_priv *p)
{
	pthread_mutex_unlock(&p->r->lock);
}

/* ---- creation ---- */

static void describe_owner(const char *name, char *err, size_t len, int e)
{
	char path[NAME_MAX + 16], who[96] = "unknown owner";
	struct stat st;

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	if (stat(path, &st) == 0) {
		struct passwd pw, *res = NULL;
		char buf[1024];

		if (!getpwuid_r(st.st_uid, &pw, buf, sizeof(buf), &res) && res)
			snprintf(who, sizeof(who), "owner %s (uid %u), mode %04o", res->pw_name,
				 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		else
			snprintf(who, sizeof(who), "owner uid %u, mode %04o",
				 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
	}
	vgpu_errf(err, len, "shm region %s (%s) cannot be opened by uid %u: %s; use a region "
		  "of your own (VGPU_SHM) or have its owner create it for a shared group "
		  "(VGPU_SHM_MODE=0660, VGPU_SHM_GROUP)", name, who, (unsigned int)getuid(),
		  strerror(e));
}

static int init_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int e;

	e = pthread_mutexattr_init(&a);
	if (!e)
		e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!e)
		e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (!e)
		e = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return -e;
}

static void bind_view(struct shm_priv *p)
{
	struct vshm_region *r = p->r;

	p->a.st = &r->st;
	p->a.slices = r->vslices;
	p->a.ctxs = r->vctxs;
	p->a.heap = r->heap;
}

static int region_init(struct shm_priv *p, const struct vgpu_slice_policy *pol,
		       u64 gpu_memory, u32 gpu_sms)
{
	struct vshm_region *r = p->r;
	int e;

	memset(r, 0, sizeof(*r));
	r->magic = VSHM_MAGIC_INIT;
	r->layout = VSHM_LAYOUT;
	r->size = sizeof(*r);
	r->mutex_size = sizeof(pthread_mutex_t);
	r->creator_uid = (u32)getuid();
	e = init_mutex(&r->lock);
	if (e)
		return e;
	r->gpu_memory = gpu_memory;
	r->gpu_sms = gpu_sms;
	r->policy = pol->sched ? pol->sched : VGPU_SCHED_BEST_EFFORT;
	r->timeslice_ns = (u64)VGPU_TIMESLICE_DEFAULT_US * NSEC_PER_USEC;
	r->period_ns = (u64)(pol->period_us ? pol->period_us : VGPU_PERIOD_DEFAULT_US) *
		       NSEC_PER_USEC;
	r->next_event = VAC_NEVER;
	r->st.nr_slices = VSHM_SLICES;
	r->st.nr_ctxs = VSHM_CLIENTS;
	bind_view(p);
	vac_init(&p->a, r->policy, r->timeslice_ns, r->period_ns, vgpu_now_ns());
	for (u32 c = 0; c < VSHM_CLIENTS; c++)
		r->ctx_owner[c] = VAC_NONE;
	for (u32 i = 0; i < VSHM_CLIENTS; i++)
		r->clients[i].status.version = VGPU_STATUS_VERSION;
	__atomic_store_n(&r->magic, VSHM_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

static int region_map(struct shm_priv *p, const struct vgpu_slice_policy *pol, u64 gpu_memory,
		      u32 gpu_sms, char *err, size_t len)
{
	mode_t mode = (mode_t)(pol->shm_mode ? pol->shm_mode : 0600);
	bool created = false;
	struct stat st;
	void *m;
	int fd, e;

	fd = shm_open(p->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd >= 0) {
		created = true;
		/* exactly the mode asked, whatever the umask */
		if (fchmod(fd, mode) < 0 ||
		    (pol->shm_gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)pol->shm_gid) < 0)) {
			e = -errno;
			vgpu_errf(err, len, "shm region %s: cannot set its mode %04o / group %d: %s",
				  p->name, (unsigned int)mode, (int)pol->shm_gid, strerror(-e));
			close(fd);
			shm_unlink(p->name);
			return e;
		}
	} else if (errno == EEXIST) {
		fd = shm_open(p->name, O_RDWR | O_CLOEXEC, 0);
	}
	if (fd < 0) {
		e = errno;
		if (e == EACCES || e == EPERM)
			describe_owner(p->name, err, len, e);
		else
			vgpu_errf(err, len, "shm region %s: %s", p->name, strerror(e));
		return -e;
	}
	p->fd = fd;
	/* byte 0: whoever initialises holds it; openers wait for them */
	e = ofd_lock(fd, 0, F_WRLCK, true);
	if (e) {
		vgpu_errf(err, len, "shm region %s: cannot lock it: %s", p->name, strerror(-e));
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		e = -errno;
		goto fail_unlock;
	}
	if (st.st_size == 0) {
		if (ftruncate(fd, sizeof(struct vshm_region)) < 0) {
			e = -errno;
			vgpu_errf(err, len, "shm region %s: cannot size it: %s", p->name,
				  strerror(-e));
			goto fail_unlock;
		}
		st.st_size = sizeof(struct vshm_region);
	}
	if ((size_t)st.st_size != sizeof(struct vshm_region)) {
		e = -EPROTO;
		vgpu_errf(err, len, "shm region %s has %lld bytes, this libvgpu expects %zu (another "
			  "version or not a vgpu region): remove /dev/shm%s when no process uses it",
			  p->name, (long long)st.st_size, sizeof(struct vshm_region), p->name);
		goto fail_unlock;
	}
	m = mmap(NULL, sizeof(struct vshm_region), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		e = -errno;
		vgpu_errf(err, len, "shm region %s: mmap: %s", p->name, strerror(-e));
		goto fail_unlock;
	}
	p->r = m;
	bind_view(p);
	if (p->r->magic == 0 || p->r->magic == VSHM_MAGIC_INIT) {
		if (!created && p->r->magic == VSHM_MAGIC_INIT)
			vg_warn("shm %s: its creator died initialising it; initialising again",
				p->name);
		e = region_init(p, pol, gpu_memory, gpu_sms);
		if (e) {
			vgpu_errf(err, len, "shm region %s: cannot initialise its lock: %s",
				  p->name, strerror(-e));
			goto fail_unmap;
		}
	} else if (p->r->magic != VSHM_MAGIC || p->r->layout != VSHM_LAYOUT ||
		   p->r->size != sizeof(struct vshm_region) ||
		   p->r->mutex_size != sizeof(pthread_mutex_t)) {
		e = -EPROTO;
		vgpu_errf(err, len, "shm region %s is not a vgpu region of layout %u (magic %#llx, "
			  "layout %u): remove /dev/shm%s when no process uses it", p->name,
			  VSHM_LAYOUT, (unsigned long long)p->r->magic, p->r->layout, p->name);
		goto fail_unmap;
	}
	ofd_lock(fd, 0, F_UNLCK, false);
	return 0;
fail_unmap:
	munmap(p->r, sizeof(struct vshm_region));
	p->r = NULL;
fail_unlock:
	ofd_lock(fd, 0, F_UNLCK, false);
fail:
	close(fd);
	p->fd = -1;
	if (created)
		shm_unlink(p->name);
	return e;
}

/* ---- slices and records ---- */

static const char *sched_name(u32 s)
{
	static const char *const n[] = { "unset", "best-effort", "equal-share", "fixed-share" };

	return s < ARRAY_SIZE(n) ? n[s] : "?";
}

/* Settings this process gives explicitly must match the slice's. */
static int slice_match(struct shm_priv *p, const struct vshm_slice *sl,
		       const struct vgpu_slice_policy *pol, u64 quota, char *err, size_t len)
{
	const char *what = NULL;
	char have[64], want[64];

	if ((pol->set & VGPU_SET_MEM_LIMIT) && sl->quota != quota) {
		what = "memory limit";
		snprintf(have, sizeof(have), "%" PRIu64 " bytes", sl->quota);
		snprintf(want, sizeof(want), "%" PRIu64 " bytes", quota);
	} else if ((pol->set & VGPU_SET_WEIGHT) && sl->weight != pol->weight) {
		what = "share";
		snprintf(have, sizeof(have), "%u.%u%%", sl->weight / 10, sl->weight % 10);
		snprintf(want, sizeof(want), "%u.%u%%", pol->weight / 10, pol->weight % 10);
	} else if ((pol->set & VGPU_SET_CAP) && sl->cap != pol->cap) {
		what = "cap";
		snprintf(have, sizeof(have), "%u.%u%%", sl->cap / 10, sl->cap % 10);
		snprintf(want, sizeof(want), "%u.%u%%", pol->cap / 10, pol->cap % 10);
	} else if ((pol->set & VGPU_SET_PRIORITY) && sl->priority != pol->priority) {
		what = "priority";
		snprintf(have, sizeof(have), "%u", sl->priority);
		snprintf(want, sizeof(want), "%u", pol->priority);
	} else if ((pol->set & VGPU_SET_TIMESLICE) &&
		   sl->timeslice_ns != (u64)pol->timeslice_us * NSEC_PER_USEC) {
		what = "time slice";
		snprintf(have, sizeof(have), "%" PRIu64 " ms", sl->timeslice_ns / NSEC_PER_MSEC);
		snprintf(want, sizeof(want), "%u ms", pol->timeslice_us / 1000);
	} else if ((pol->set & VGPU_SET_MEM_MODE) && sl->mem_mode != pol->mem_mode) {
		what = "memory mode";
		snprintf(have, sizeof(have), "%s", sl->mem_mode ? "soft" : "hard");
		snprintf(want, sizeof(want), "%s", pol->mem_mode ? "soft" : "hard");
	}
	if (!what)
		return 0;
	vgpu_errf(err, len, "slice '%s' of shm region %s was registered (by pid %d) with %s %s; "
		  "this process asks for %s: every process of a slice must use the same settings",
		  sl->key, p->name, (int)sl->creator_pid, what, have, want);
	return -EEXIST;
}

static int region_match(struct shm_priv *p, const struct vgpu_slice_policy *pol,
			char *err, size_t len)
{
	struct vshm_region *r = p->r;

	if ((pol->set & VGPU_SET_SCHED) && pol->sched != r->policy) {
		vgpu_errf(err, len, "shm region %s runs policy %s; this process asks for %s "
			  "(VGPU_POLICY): all users of a GPU share its policy", p->name,
			  sched_name(r->policy), sched_name(pol->sched));
		return -EEXIST;
	}
	if ((pol->set & VGPU_SET_PERIOD) && (u64)pol->period_us * NSEC_PER_USEC != r->period_ns) {
		vgpu_errf(err, len, "shm region %s has a %" PRIu64 " ms period; this process asks "
			  "for %u ms (VGPU_PERIOD_MS)", p->name, r->period_ns / NSEC_PER_MSEC,
			  pol->period_us / 1000);
		return -EEXIST;
	}
	return 0;
}

static int attach_locked(struct shm_priv *p, const char *key, const struct vgpu_slice_policy *pol,
			 u64 gpu_memory, char *err, size_t len)
{
	struct vshm_region *r = p->r;
	u32 s, i, found = VAC_NONE, freeslot = VAC_NONE;
	bool made = false;
	u64 quota;
	int c, e;

	if (gpu_memory && !r->gpu_memory)
		r->gpu_memory = gpu_memory;
	e = region_match(p, pol, err, len);
	if (e)
		return e;
	quota = pol->mem_limit ? pol->mem_limit : r->gpu_memory;
	for (s = 0; s < VSHM_SLICES; s++) {
		if (r->slices[s].used && !strncmp(r->slices[s].key, key, VSHM_KEY_MAX))
			found = s;
		else if (!r->slices[s].used && freeslot == VAC_NONE)
			freeslot = s;
	}
	if (found != VAC_NONE) {
		e = slice_match(p, &r->slices[found], pol, quota, err, len);
		if (e)
			return e;
		s = found;
	} else {
		struct vshm_slice *sl;
		int v;

		if (!quota) {
			vgpu_errf(err, len, "slice '%s': no memory quota (the GPU's memory is "
				  "unknown): set VGPU_MEMORY_LIMIT", key);
			return -EINVAL;
		}
		if (freeslot == VAC_NONE) {
			vgpu_errf(err, len, "shm region %s has no room for another slice (%d)",
				  p->name, VSHM_SLICES);
			return -ENOSPC;
		}
		s = freeslot;
		v = vac_slice_add(&p->a, pol->weight, pol->cap,
				  (u64)pol->timeslice_us * NSEC_PER_USEC, pol->priority);
		if (v < 0) {
			vgpu_errf(err, len, "shm region %s: no room in the arbiter for a slice",
				  p->name);
			return -ENOSPC;
		}
		sl = &r->slices[s];
		memset(sl, 0, sizeof(*sl));
		snprintf(sl->key, sizeof(sl->key), "%s", key);
		sl->vac = (u32)v;
		sl->quota = quota;
		sl->weight = pol->weight;
		sl->cap = pol->cap;
		sl->priority = pol->priority;
		sl->mem_mode = pol->mem_mode;
		sl->timeslice_ns = (u64)pol->timeslice_us * NSEC_PER_USEC;
		sl->creator_pid = (int32_t)getpid();
		__atomic_store_n(&sl->used, 1, __ATOMIC_RELEASE);
		made = true;
	}
	for (i = 0; i < VSHM_CLIENTS; i++) {
		if (r->clients[i].state != VSHM_FREE)
			continue;
		if (ofd_lock(p->fd, VSHM_LOCK_BASE + i, F_WRLCK, false) == 0)
			break;
	}
	if (i == VSHM_CLIENTS) {
		vgpu_errf(err, len, "shm region %s has no room for another process (%d)",
			  p->name, VSHM_CLIENTS);
		e = -ENOSPC;
		goto fail;
	}
	c = vac_ctx_attach(&p->a, r->slices[s].vac);
	if (c < 0) {
		ofd_lock(p->fd, VSHM_LOCK_BASE + i, F_UNLCK, false);
		vgpu_errf(err, len, "shm region %s: no room in the arbiter for a context", p->name);
		e = -ENOSPC;
		goto fail;
	}
	r->ctx_owner[c] = i;
	{
		struct vshm_client *cl = &r->clients[i];
		u32 seq = cl->status.seq;

		cl->slice = s;
		cl->ctx = (u32)c;
		cl->pid = (int32_t)getpid();
		cl->charged = 0;
		cl->ctx_mem = 0;
		cl->ctx_charged = 0;
		cl->attached_ns = vgpu_now_ns();
		cl->status.version = VGPU_STATUS_VERSION;
		cl->status.seq = (seq + 1) & ~1u;
		cl->status.generation = 0;
		cl->status.deadline_ns = 0;
		__atomic_store_n(&cl->state, VSHM_LIVE, __ATOMIC_RELEASE);
	}
	r->slices[s].nr_clients++;
	p->client = i;
	p->slice = s;
	p->ctx = (u32)c;
	return 0;
fail:
	if (made)
		slice_free_locked(p, s);
	return e;
}

/* ---- backend operations ---- */

/* Charge bytes to a client and its slice, region locked. */
static void charge_locked(struct vshm_slice *sl, struct vshm_client *cl, u64 bytes)
{
	cl->charged += bytes;
	sl->mem_used += bytes;
	if (sl->mem_used > sl->mem_peak)
		sl->mem_peak = sl->mem_used;
}

static int shm_charge(struct vgpu_slice *s, u64 bytes, u64 *used)
{
	struct shm_priv *p = P(s);
	struct vshm_slice *sl;
	struct vshm_client *cl;
	u64 limit;
	int e, tries = 0;

	e = region_lock(p);
	if (e)
		return e;
	sl = &p->r->slices[p->slice];
	cl = &p->r->clients[p->client];
	if (cl->state != VSHM_LIVE) {
		region_unlock(p);
		return -ENODEV;
	}
	limit = sl->mem_mode == VGPU_MEM_SOFT && p->r->gpu_memory > sl->quota ?
		p->r->gpu_memory : sl->quota;
	while (sl->mem_used >= limit || bytes > limit - sl->mem_used) {
		/* dead processes may hold what we need */
		if (tries++ || !reap_locked(p, vgpu_now_ns())) {
			sl->refused++;
			region_unlock(p);
			return -ENOSPC;
		}
	}
	charge_locked(sl, cl, bytes);
	if (sl->mem_used > sl->quota)
		sl->over_quota++;
	if (used)
		*used = sl->mem_used;
	region_unlock(p);
	return 0;
}

static int shm_uncharge(struct vgpu_slice *s, u64 bytes)
{
	struct shm_priv *p = P(s);
	struct vshm_slice *sl;
	struct vshm_client *cl;
	int e;

	e = region_lock(p);
	if (e)
		return e;
	sl = &p->r->slices[p->slice];
	cl = &p->r->clients[p->client];
	if (cl->state != VSHM_LIVE) {
		e = -ENODEV;
	} else if (bytes > cl->charged) {
		e = -EINVAL;
	} else {
		cl->charged -= bytes;
		sl->mem_used = sl->mem_used > bytes ? sl->mem_used - bytes : 0;
	}
	region_unlock(p);
	return e;
}

static int shm_set_ctx_mem(struct vgpu_slice *s, u64 bytes, bool charge)
{
	struct shm_priv *p = P(s);
	struct vshm_slice *sl;
	struct vshm_client *cl;
	u64 want = charge ? bytes : 0;
	int e;

	e = region_lock(p);
	if (e)
		return e;
	sl = &p->r->slices[p->slice];
	cl = &p->r->clients[p->client];
	if (want > cl->ctx_charged) {
		u64 more = want - cl->ctx_charged;

		if (sl->mem_mode == VGPU_MEM_HARD &&
		    (sl->mem_used >= sl->quota || more > sl->quota - sl->mem_used)) {
			sl->refused++;
			region_unlock(p);
			return -ENOSPC;
		}
		charge_locked(sl, cl, more);
	} else {
		u64 less = cl->ctx_charged - want;

		sl->mem_used = sl->mem_used > less ? sl->mem_used - less : 0;
		cl->charged = cl->charged > less ? cl->charged - less : 0;
	}
	cl->ctx_charged = want;
	sl->ctx_mem = sl->ctx_mem - cl->ctx_mem + bytes;
	cl->ctx_mem = bytes;
	region_unlock(p);
	return 0;
}

static void lease_out(struct shm_priv *p, u64 *gen, u64 *deadline)
{
	u64 dl;
	u64 g = vac_ctx_lease(&p->a, p->ctx, &dl);

	if (gen)
		*gen = g;
	if (deadline)
		*deadline = dl;
}

static int shm_acquire(struct vgpu_slice *s, u32 timeout_us, bool nonblock, u64 *gen,
		       u64 *deadline)
{
	struct shm_priv *p = P(s);
	struct vshm_client *cl = &p->r->clients[p->client];
	struct vgpu_status_page *sp = &cl->status;
	u64 now = vgpu_now_ns();
	u64 limit = timeout_us ? now + (u64)timeout_us * NSEC_PER_USEC : VAC_NEVER;
	struct vac_change chg;
	int r, e;

	e = region_lock(p);
	if (e)
		return e;
	if (cl->state != VSHM_LIVE) {
		region_unlock(p);
		return -ENODEV;
	}
	/* a holder extending its lease makes no system call: only waiters reap */
	if (p->a.ctxs[p->ctx].state != VAC_CTX_HOLDING &&
	    now - p->r->last_reap > REAP_INTERVAL_NS)
		reap_locked(p, now);
	r = vac_acquire(&p->a, p->ctx, nonblock, now, &chg);
	apply(p, &chg);
	if (r == 0)
		lease_out(p, gen, deadline);
	region_unlock(p);
	if (r <= 0)
		return r;

	for (;;) {
		u32 seq = __atomic_load_n(&sp->seq, __ATOMIC_ACQUIRE);
		u64 g = __atomic_load_n(&sp->generation, __ATOMIC_RELAXED);
		u64 next, wake;

		if (!(seq & 1) && g) {
			/* granted: confirm under the lock, which also orders us */
			e = region_lock(p);
			if (e)
				return e;
			if (p->a.ctxs[p->ctx].state == VAC_CTX_HOLDING) {
				lease_out(p, gen, deadline);
				region_unlock(p);
				return 0;
			}
			region_unlock(p);
		}
		now = vgpu_now_ns();
		next = __atomic_load_n(&p->r->next_event, __ATOMIC_ACQUIRE);
		if (now >= limit || now >= next) {
			e = region_lock(p);
			if (e)
				return e;
			if (p->a.ctxs[p->ctx].state == VAC_CTX_HOLDING) {
				lease_out(p, gen, deadline);
				region_unlock(p);
				return 0;
			}
			if (cl->state != VSHM_LIVE) {
				region_unlock(p);
				return -ENODEV;
			}
			if (now >= limit) {
				vac_cancel(&p->a, p->ctx, now, &chg);
				apply(p, &chg);
				region_unlock(p);
				return -ETIMEDOUT;
			}
			if (now - p->r->last_reap > REAP_INTERVAL_NS)
				reap_locked(p, now);
			vac_tick(&p->a, now, &chg);
			apply(p, &chg);
			if (p->a.ctxs[p->ctx].state == VAC_CTX_WAITING ||
			    p->a.ctxs[p->ctx].state == VAC_CTX_HOLDING) {
				region_unlock(p);
				continue;
			}
			/* not waiting any more (repaired away): ask again */
			r = vac_acquire(&p->a, p->ctx, false, now, &chg);
			apply(p, &chg);
			region_unlock(p);
			continue;
		}
		wake = next < limit ? next : limit;
		if (wake > now + WAIT_POLL_NS)
			wake = now + WAIT_POLL_NS;
		futex_wait_abs(&sp->seq, seq, wake);
	}
}

static int shm_release(struct vgpu_slice *s, u64 gen, u64 busy_ns, bool yield, bool *kept)
{
	struct shm_priv *p = P(s);
	struct vac_change chg;
	int r, e;

	e = region_lock(p);
	if (e)
		return e;
	r = vac_release(&p->a, p->ctx, gen, busy_ns, yield, vgpu_now_ns(), &chg);
	apply(p, &chg);
	region_unlock(p);
	if (kept)
		*kept = r == 1;
	return r < 0 ? r : 0;
}

static int shm_report(struct vgpu_slice *s, u64 gen, u64 busy_ns)
{
	struct shm_priv *p = P(s);
	struct vac_change chg;
	int r, e;

	e = region_lock(p);
	if (e)
		return e;
	r = vac_report(&p->a, p->ctx, gen, busy_ns, vgpu_now_ns(), &chg);
	apply(p, &chg);
	region_unlock(p);
	return r;
}

static int shm_stats(struct vgpu_slice *s, struct vgpu_slice_stats *st)
{
	struct shm_priv *p = P(s);
	const struct vshm_slice *sl;
	const struct vac_slice *vs;
	u32 h;
	int e;

	e = region_lock(p);
	if (e)
		return e;
	reap_locked(p, vgpu_now_ns());
	sl = &p->r->slices[p->slice];
	vs = &p->r->vslices[sl->vac];
	st->mem_used = sl->mem_used;
	st->mem_peak = sl->mem_peak;
	st->charge_refused = sl->refused;
	st->busy_ns = vs->busy_ns;
	st->wait_ns = vs->wait_ns;
	st->leases = vs->leases;
	st->overruns = vs->overruns;
	st->overrun_ns = vs->spill_ns;
	st->contexts = vs->nr_ctx;
	h = p->r->st.holder;
	st->holding = h != VAC_NONE && p->r->vctxs[h].slice == sl->vac;
	st->ctx_mem = sl->ctx_mem;
	st->over_quota = sl->over_quota;
	region_unlock(p);
	return 0;
}

static int shm_used(struct vgpu_slice *s, u64 *used)
{
	struct shm_priv *p = P(s);

	*used = __atomic_load_n(&p->r->slices[p->slice].mem_used, __ATOMIC_RELAXED);
	return 0;
}

/* What every slice of this GPU holds, plus uncharged context memory. */
static u64 shm_gpu_known_used(struct vgpu_slice *s)
{
	struct shm_priv *p = P(s);
	u64 sum = 0;

	for (u32 k = 0; k < VSHM_SLICES; k++)
		if (__atomic_load_n(&p->r->slices[k].used, __ATOMIC_RELAXED))
			sum += __atomic_load_n(&p->r->slices[k].mem_used, __ATOMIC_RELAXED);
	for (u32 i = 0; i < VSHM_CLIENTS; i++) {
		const struct vshm_client *cl = &p->r->clients[i];

		if (i != p->client &&
		    __atomic_load_n(&cl->state, __ATOMIC_RELAXED) == VSHM_LIVE)
			sum += cl->ctx_mem - (cl->ctx_charged < cl->ctx_mem ? cl->ctx_charged :
					      cl->ctx_mem);
	}
	return sum;
}

static void shm_free(struct shm_priv *p)
{
	if (p->r)
		munmap(p->r, sizeof(struct vshm_region));
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

static void shm_close(struct vgpu_slice *s)
{
	struct shm_priv *p = P(s);

	if (!p)
		return;
	if (region_lock(p) == 0) {
		client_detach_locked(p, p->client, vgpu_now_ns());
		region_unlock(p);
	}
	ofd_lock(p->fd, VSHM_LOCK_BASE + p->client, F_UNLCK, false);
	shm_free(p);
	s->priv = NULL;
}

/*
 * The process exits: give everything back now rather than when a reaper
 * notices.  The descriptor stays (a late hook in another thread finds the
 * record gone and fails cleanly); its OFD lock keeps the free record from
 * being reused until we are gone.
 */
static void shm_exit(struct vgpu_slice *s)
{
	struct shm_priv *p = P(s);

	if (p && region_lock(p) == 0) {
		client_detach_locked(p, p->client, vgpu_now_ns());
		region_unlock(p);
	}
}

/* A forked child: the record is the parent's; only drop our copies. */
static void shm_abandon(struct vgpu_slice *s)
{
	struct shm_priv *p = P(s);

	if (p)
		shm_free(p);
	s->priv = NULL;
}

static const struct vgpu_backend_ops shm_ops = {
	.id = VGPU_BACKEND_SHM,
	.charge = shm_charge,
	.uncharge = shm_uncharge,
	.set_ctx_mem = shm_set_ctx_mem,
	.acquire = shm_acquire,
	.release = shm_release,
	.report = shm_report,
	.stats = shm_stats,
	.used = shm_used,
	.gpu_known_used = shm_gpu_known_used,
	.close = shm_close,
	.exit = shm_exit,
	.abandon = shm_abandon,
};

int vgpu_shm_open(struct vgpu_slice *s, const char *key, int device, u64 gpu_memory,
		  u32 gpu_sms, char *err, size_t len)
{
	const struct vgpu_slice_policy *pol = &s->pol;
	struct shm_priv *p;
	char defkey[VGPU_SLICE_NAME_MAX];
	int e;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = -1;
	if (pol->shm_name[0]) {
		if (device > 0)
			snprintf(p->name, sizeof(p->name), "%.240s-%d", pol->shm_name, device);
		else
			snprintf(p->name, sizeof(p->name), "%s", pol->shm_name);
	} else {
		snprintf(p->name, sizeof(p->name), "/vgpu-%u-gpu%d", (unsigned int)getuid(),
			 device < 0 ? 0 : device);
	}
	if (!key || !*key) {
		vgpu_default_slice_name(defkey, sizeof(defkey));
		key = defkey;
	}
	e = region_map(p, pol, gpu_memory, gpu_sms, err, len);
	if (e) {
		free(p);
		return e;
	}
	e = region_lock(p);
	if (e) {
		vgpu_errf(err, len, "shm region %s: cannot lock it: %s (remove /dev/shm%s when "
			  "no process uses it)", p->name, strerror(-e), p->name);
		shm_free(p);
		return e;
	}
	e = attach_locked(p, key, pol, gpu_memory, err, len);
	if (e) {
		region_unlock(p);
		shm_free(p);
		return e;
	}
	{
		const struct vshm_region *r = p->r;
		const struct vshm_slice *sl = &r->slices[p->slice];
		struct vgpu_info *in = &s->info;

		in->backend = VGPU_BACKEND_SHM;
		in->sched = r->policy;
		snprintf(in->slice, sizeof(in->slice), "%.*s", (int)sizeof(in->slice) - 1, key);
		snprintf(in->where, sizeof(in->where), "%.*s", (int)sizeof(in->where) - 1, p->name);
		in->slice_quota = sl->quota;
		in->mem_quota = sl->quota;
		in->mem_mode = sl->mem_mode;
		in->weight = sl->weight;
		in->cap = sl->cap;
		in->priority = sl->priority;
		in->timeslice_us = (u32)((sl->timeslice_ns ? sl->timeslice_ns : r->timeslice_ns) /
					 NSEC_PER_USEC);
		in->period_us = (u32)(r->period_ns / NSEC_PER_USEC);
		in->gpu_memory = r->gpu_memory;
		in->gpu_sms = r->gpu_sms ? r->gpu_sms : gpu_sms;
	}
	s->status = &p->r->clients[p->client].status;
	region_unlock(p);
	s->priv = p;
	s->ops = &shm_ops;
	vg_info("shm %s: slice '%s' attached as record %u", p->name, key, p->client);
	return 0;
}
