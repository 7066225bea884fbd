// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Compute: kernel launches run only under a valid lease of the slice.
 *
 * Fast path (every launch): the thread's re-entry guard, then the lease in
 * the status page (the kernel's mmap'd page, or our record in the shm
 * region) read as a seqcount, the vDSO's CLOCK_MONOTONIC_COARSE (see
 * gate()), a thread-local counter.  No lock, no system call, no getenv, no
 * logging.  It holds while we hold the lease, before its deadline, and
 * nobody waits for the GPU.
 *
 * Slow path (under the device's xlock):
 *  - no lease, or it was revoked: if our work spilled past it, wait for
 *    that work and report its GPU time against the old generation (the
 *    arbiter charges spill), then wait for a new lease;
 *  - past the deadline with nobody waiting: acquire again, which extends
 *    the lease in place (the arbiter ticks first);
 *  - others wait ("contended"): bound the work in flight and hand the GPU
 *    over when the next launch would not end before the deadline.
 * Synchronisation points hand over too, when others wait, our queue is
 * empty and we have had the GPU for half a time slice (after_sync()).
 *
 * Bounding work in flight.  Launches are asynchronous: without a bound, a
 * tenant could queue seconds of work under one lease and the GPU would run
 * it during the others'.  We record a CUDA event ("marker") after launches:
 *  - contended: after every launch; before a launch, wait until at most
 *    VGPU_DEPTH - 1 launches are pending, and predict when this one would
 *    end (now + pending x measured launch time); if after the deadline
 *    (plus a small slack), wait for our work to drain and release the
 *    lease (with YIELD: the arbiter keeps it with us when nobody else may
 *    run).  Past its lease a tenant then has at most the slack, or one
 *    launch when the prediction is wrong, of work in flight; that spill
 *    is measured and charged to it.
 *  - uncontended: one marker every pace_every launches, sized from the
 *    measured launch time so that a marker covers about pace_ns (a quarter
 *    of the time slice) of GPU work, and at most VGPU_DEPTH markers pending:
 *    when contention starts, the queue holds at most ~2 x pace_ns of work.
 * GPU time per launch comes from cuEventElapsedTime between consecutive
 * markers whose launches ran back to back, or from submission to a
 * completion we waited for.
 */
#include <inttypes.h>
#include <string.h>

#include "interpose.h"

#define VGPU_DEPTH	2
#define PACE_MAX	256
#define SPILL_MIN_NS	(20 * NSEC_PER_USEC)

static __thread u32 t_launches __attribute__((tls_model("initial-exec")));

static inline bool ready(void)
{
	return __atomic_load_n(&vg.ready, __ATOMIC_ACQUIRE);
}

static inline bool lease_fast(struct vgpu_dev *d, u64 now)
{
	u64 mine = __atomic_load_n(&d->slice->gen, __ATOMIC_RELAXED), gen, dl;
	u32 w;

	if (unlikely(!mine) || unlikely(!vgpu_status_read(d->slice->status, &gen, &dl, &w)))
		return false;
	return gen == mine && now < dl && !w;
}

static u64 slack(const struct vgpu_dev *d)
{
	return d->d_est / 8 + 50 * NSEC_PER_USEC;
}

static void sleep_until(u64 t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / NSEC_PER_SEC),
		.tv_nsec = (long)(t % NSEC_PER_SEC),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static CUcontext cur_ctx(void)
{
	CUcontext c = NULL;

	if (USE(cuCtxGetCurrent))
		USE(cuCtxGetCurrent)(&c);
	return c;
}

/* ---- markers (xlock held) ---- */

static void ring_forget(struct vgpu_dev *d)
{
	memset(d->ring, 0, sizeof(d->ring));
	d->head = d->count = d->last = 0;
	d->have_last = false;
	d->xctx = NULL;
	d->xbroken = false;
}

static bool ring_setup(struct vgpu_dev *d, CUcontext ctx)
{
	if (d->xctx == ctx)
		return !d->xbroken;
	if (d->xctx)
		return false;	/* markers live in the first context only */
	d->xctx = ctx;
	for (int i = 0; i < VGPU_MARKERS; i++) {
		if (!USE(cuEventCreate) || !USE(cuEventRecord) || !USE(cuEventQuery) ||
		    !USE(cuEventElapsedTime) ||
		    USE(cuEventCreate)(&d->ring[i].ev, CU_EVENT_BLOCKING_SYNC) != CUDA_SUCCESS) {
			vg_warn("cannot create CUDA events: work in flight is not bounded");
			d->xbroken = true;
			return false;
		}
	}
	return true;
}

static void pace_update(struct vgpu_dev *d)
{
	u64 every = d->d_est ? d->pace_ns / d->d_est : PACE_MAX;

	if (every < 1)
		every = 1;
	if (every > PACE_MAX)
		every = PACE_MAX;
	__atomic_store_n(&d->pace_every, (u32)every, __ATOMIC_RELAXED);
}

static void d_sample(struct vgpu_dev *d, u64 x)
{
	d->d_est = d->d_est ? (3 * d->d_est + x) / 4 : x;
	pace_update(d);
}

/*
 * The oldest pending marker completed (at @done_at, when we saw it happen:
 * we were waiting for it; 0 if not): learn the GPU time per launch, from
 * the events when its launches ran back to back after the previous
 * marker's, else from submission to completion (an upper bound).
 */
static void marker_done(struct vgpu_dev *d, u64 done_at)
{
	struct vgpu_marker *m = &d->ring[d->head];
	u32 prev = (d->head + VGPU_MARKERS - 1) % VGPU_MARKERS;
	float ms = 0;

	m->done = true;
	if (m->b2b && m->launches &&
	    USE(cuEventElapsedTime)(&ms, d->ring[prev].ev, m->ev) == CUDA_SUCCESS && ms > 0) {
		d_sample(d, (u64)((double)ms * 1e6) / m->launches);
	} else if (!m->b2b && m->t_submit && done_at > m->t_submit && m->launches) {
		d_sample(d, (done_at - m->t_submit) / m->launches);
	} else if (!m->b2b) {
		/* the GPU caught up with us: no queue to bound, fewer markers */
		u32 every = d->pace_every * 2;

		__atomic_store_n(&d->pace_every, every > PACE_MAX ? PACE_MAX : every,
				 __ATOMIC_RELAXED);
	}
	d->head = (d->head + 1) % VGPU_MARKERS;
	d->count--;
}

static void marker_wait_oldest(struct vgpu_dev *d)
{
	u64 t0 = vgpu_now_ns(), t1;

	REAL(cuEventSynchronize)(d->ring[d->head].ev);
	t1 = vgpu_now_ns();
	marker_done(d, t1 - t0 > SPILL_MIN_NS ? t1 : 0);
}

/* Completed markers leave the ring without waiting (@done_at: see marker_done). */
static void markers_poll(struct vgpu_dev *d, u64 done_at)
{
	while (d->count && USE(cuEventQuery)(d->ring[d->head].ev) == CUDA_SUCCESS)
		marker_done(d, done_at);
}

static void marker_record(struct vgpu_dev *d, CUstream s, bool ptsz, u32 launches)
{
	struct vgpu_marker *m;
	CUcontext ctx = cur_ctx();
	bool b2b;
	u32 slot;

	if (!ctx || !ring_setup(d, ctx))
		return;
	markers_poll(d, 0);
	while (d->count >= VGPU_DEPTH)
		marker_wait_oldest(d);
	slot = (d->head + d->count) % VGPU_MARKERS;
	b2b = d->count && USE(cuEventQuery)(d->ring[d->last].ev) == CUDA_ERROR_NOT_READY;
	m = &d->ring[slot];
	/* a _ptsz launch on stream 0 went to the thread's own default stream */
	if (USE(cuEventRecord)(m->ev, ptsz && !s ? CU_STREAM_PER_THREAD : s) != CUDA_SUCCESS)
		return;
	m->launches = launches ? launches : 1;
	m->t_submit = __atomic_load_n(&d->contended, __ATOMIC_RELAXED) ? vgpu_now_ns() : 0;
	m->b2b = b2b;
	m->done = false;
	d->last = slot;
	d->have_last = true;
	d->count++;
}

/* ---- leases (xlock held) ---- */

/* Wait for all our work; true if that took a while (work was pending). */
static bool drain(struct vgpu_dev *d)
{
	u64 t0 = vgpu_now_ns();
	bool pending = false;

	if (d->count && d->xctx == cur_ctx())
		pending = USE(cuEventQuery)(d->ring[d->last].ev) == CUDA_ERROR_NOT_READY;
	REAL(cuCtxSynchronize)();
	if (vgpu_now_ns() - t0 > SPILL_MIN_NS)
		pending = true;
	if (d->xctx == cur_ctx())
		while (d->count)
			marker_done(d, pending ? vgpu_now_ns() : 0);
	vgpu_pools_reconcile();
	return pending;
}

static int lease_get(struct vgpu_dev *d)
{
	struct vgpu_slice *s = d->slice;
	u64 before = s->gen, gen = 0;
	int e = vgpu_lease_acquire(s, 0, 0, &gen);

	if (e)
		return e;
	if (gen != before) {
		d->grant_ns = vgpu_now_ns();
		d->kept_deadline = 0;
	}
	return 0;
}

/* Give the lease back (drained first). 1 kept, 0 released, <0 it was gone. */
static int handover(struct vgpu_dev *d, bool yield)
{
	u64 busy;

	drain(d);
	busy = vgpu_now_ns() - d->grant_ns;
	return vgpu_lease_release(d->slice, busy, yield ? VGPU_LEASE_YIELD : 0);
}

/* The lease was revoked under us: charge what ran past it. */
static void lease_lost(struct vgpu_dev *d, u64 gen)
{
	if (drain(d))
		vgpu_lease_report(d->slice, gen, vgpu_now_ns() - d->grant_ns);
	__atomic_store_n(&d->slice->gen, 0, __ATOMIC_RELEASE);
}

static CUresult gate_slow(struct vgpu_dev *d)
{
	struct vgpu_slice *s = d->slice;
	CUresult ret = CUDA_SUCCESS;
	int e;

	pthread_mutex_lock(&d->xlock);
	for (;;) {
		u64 gen, dl, now, mine = __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE);
		u32 w;
		bool ok = vgpu_status_read(s->status, &gen, &dl, &w);
		bool held = ok && mine && gen == mine;

		now = vgpu_now_ns();
		if (held && now < dl) {
			if (!w) {
				__atomic_store_n(&d->contended, false, __ATOMIC_RELAXED);
				break;
			}
			__atomic_store_n(&d->contended, true, __ATOMIC_RELAXED);
			if (cur_ctx() == d->xctx) {
				markers_poll(d, 0);
				while (d->count >= VGPU_DEPTH)
					marker_wait_oldest(d);
			}
			if (d->d_est &&
			    vgpu_now_ns() + (u64)(d->count + 1) * d->d_est > dl + slack(d)) {
				/* this launch would end after the deadline: hand over */
				if (d->kept_deadline != dl) {
					if (handover(d, true) != 1)
						continue;
					d->kept_deadline = dl;
				}
				/*
				 * Kept: nobody else may run now, but the lease
				 * ends before this launch would (a fixed share's
				 * budget, say).  The arbiter decides at the
				 * deadline: extend, or pass it on.
				 */
				sleep_until(dl);
				continue;
			}
			break;
		}
		if (held) {
			/* past the deadline and not revoked yet */
			if (w && handover(d, true) != 1)
				continue;
			e = lease_get(d);	/* extends in place when nobody may run */
		} else {
			if (mine)
				lease_lost(d, mine);
			e = lease_get(d);
		}
		if (e) {
			vg_err("waiting for the GPU lease failed: %s", strerror(-e));
			ret = e == -ENODEV ? CUDA_ERROR_DEVICE_UNAVAILABLE : CUDA_ERROR_OPERATING_SYSTEM;
			break;
		}
	}
	pthread_mutex_unlock(&d->xlock);
	return ret;
}

/* Before a launch: 0 to go on (*pd NULL: not ours to gate). */
static inline CUresult gate(struct vgpu_dev **pd)
{
	struct vgpu_dev *d;

	*pd = NULL;
	if (unlikely(!ready())) {
		CUresult r = vgpu_late_init();

		if (r)
			return r;
	}
	if (unlikely(vg.closed))
		return CUDA_SUCCESS;	/* exiting: we have left the slice */
	d = vgpu_cur_dev();
	if (unlikely(!d))
		return CUDA_SUCCESS;	/* no context: the driver says so */
	*pd = d;
	/*
	 * The tick-resolution clock is enough here: this path runs only while
	 * nobody waits, where a deadline passed by less than a tick harms no
	 * one (the lease would be extended); once anyone waits, the slow path
	 * reads the precise clock.
	 */
	if (likely(!__atomic_load_n(&d->contended, __ATOMIC_RELAXED) &&
		   lease_fast(d, vgpu_coarse_ns())))
		return CUDA_SUCCESS;
	return gate_slow(d);
}

static void marker_after(struct vgpu_dev *d, CUstream s, bool ptsz)
{
	u32 n = t_launches;

	t_launches = 0;
	pthread_mutex_lock(&d->xlock);
	marker_record(d, s, ptsz, n);
	pthread_mutex_unlock(&d->xlock);
}

/* After a launch. */
static inline void gate_done(struct vgpu_dev *d, CUstream s, bool ptsz, CUresult r)
{
	if (!d || r)
		return;
	t_launches++;
	if (unlikely(__atomic_load_n(&d->contended, __ATOMIC_RELAXED)) ||
	    unlikely(t_launches >= __atomic_load_n(&d->pace_every, __ATOMIC_RELAXED)))
		marker_after(d, s, ptsz);
}

#define LAUNCH(stream, ptsz, call)				\
	do {							\
		struct vgpu_dev *_d;				\
		CUresult _r = gate(&_d);			\
								\
		if (unlikely(_r))				\
			return _r;				\
		_r = (call);					\
		gate_done(_d, (stream), (ptsz), _r);		\
		return _r;					\
	} while (0)

CUresult vh_cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
			   unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
			   CUstream hStream, void **kernelParams, void **extra)
{
	LAUNCH(hStream, false, REAL(cuLaunchKernel)(f, gx, gy, gz, bx, by, bz, shmem, hStream,
						    kernelParams, extra));
}

CUresult vh_cuLaunchKernel_ptsz(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
				unsigned int bx, unsigned int by, unsigned int bz,
				unsigned int shmem, CUstream hStream, void **kernelParams,
				void **extra)
{
	LAUNCH(hStream, true, REAL(cuLaunchKernel_ptsz)(f, gx, gy, gz, bx, by, bz, shmem,
							 hStream, kernelParams, extra));
}

CUresult vh_cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f, void **kernelParams,
			     void **extra)
{
	LAUNCH(config ? config->hStream : NULL, false,
	       REAL(cuLaunchKernelEx)(config, f, kernelParams, extra));
}

CUresult vh_cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f,
				  void **kernelParams, void **extra)
{
	LAUNCH(config ? config->hStream : NULL, true,
	       REAL(cuLaunchKernelEx_ptsz)(config, f, kernelParams, extra));
}

CUresult vh_cuLaunchCooperativeKernel(CUfunction f, unsigned int gx, unsigned int gy,
				      unsigned int gz, unsigned int bx, unsigned int by,
				      unsigned int bz, unsigned int shmem, CUstream hStream,
				      void **kernelParams)
{
	LAUNCH(hStream, false, REAL(cuLaunchCooperativeKernel)(f, gx, gy, gz, bx, by, bz, shmem,
								hStream, kernelParams));
}

CUresult vh_cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned int gx, unsigned int gy,
					   unsigned int gz, unsigned int bx, unsigned int by,
					   unsigned int bz, unsigned int shmem, CUstream hStream,
					   void **kernelParams)
{
	LAUNCH(hStream, true, REAL(cuLaunchCooperativeKernel_ptsz)(f, gx, gy, gz, bx, by, bz,
								     shmem, hStream,
								     kernelParams));
}

CUresult vh_cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream)
{
	LAUNCH(hStream, false, REAL(cuGraphLaunch)(hGraphExec, hStream));
}

CUresult vh_cuGraphLaunch_ptsz(CUgraphExec hGraphExec, CUstream hStream)
{
	LAUNCH(hStream, true, REAL(cuGraphLaunch_ptsz)(hGraphExec, hStream));
}

CUresult vh_cuLaunch(CUfunction f)
{
	LAUNCH(NULL, false, REAL(cuLaunch)(f));
}

CUresult vh_cuLaunchGrid(CUfunction f, int grid_width, int grid_height)
{
	LAUNCH(NULL, false, REAL(cuLaunchGrid)(f, grid_width, grid_height));
}

CUresult vh_cuLaunchGridAsync(CUfunction f, int grid_width, int grid_height, CUstream hStream)
{
	LAUNCH(hStream, false, REAL(cuLaunchGridAsync)(f, grid_width, grid_height, hStream));
}

/* ---- synchronisation points ---- */

/*
 * Our work is done up to here.  Pools may have given memory back.  If
 * others wait and no further launch would fit in the lease, hand over now
 * rather than at the next launch.  Never blocks on xlock.
 */
static void after_sync(bool all, u64 t0)
{
	struct vgpu_dev *d;
	u64 gen, dl, mine, now = vgpu_now_ns();
	bool waited = now - t0 > SPILL_MIN_NS;	/* our work ran until now */
	u32 w;

	vgpu_pools_reconcile();
	if (!ready() || vg.closed)
		return;
	d = vgpu_cur_dev();
	if (!d || pthread_mutex_trylock(&d->xlock))
		return;
	if (d->xctx && d->xctx == cur_ctx()) {
		if (all)
			while (d->count)
				marker_done(d, waited ? now : 0);
		else
			markers_poll(d, waited ? now : 0);
	}
	mine = __atomic_load_n(&d->slice->gen, __ATOMIC_ACQUIRE);
	/* revoked while our work still ran: that spill is ours to pay */
	if (mine && waited && vgpu_status_read(d->slice->status, &gen, &dl, &w) && gen != mine)
		vgpu_lease_report(d->slice, mine, now - d->grant_ns);
	/*
	 * Others wait and our queue is empty: hand over if no further launch
	 * would fit, or if we have had the GPU for half of the time slice
	 * (a tenant that goes idle after synchronising should not keep the GPU
	 * until its deadline; one that synchronises after every kernel should
	 * not hand over after every kernel).  With YIELD the arbiter keeps the
	 * lease with us when we still come first.
	 */
	if (mine && vgpu_status_read(d->slice->status, &gen, &dl, &w) && gen == mine && w &&
	    now < dl && !d->count &&
	    (dl - now < d->d_est + slack(d) || now - d->grant_ns >= 2 * d->pace_ns))
		handover(d, true);
	pthread_mutex_unlock(&d->xlock);
}

CUresult vh_cuCtxSynchronize(void)
{
	u64 t0 = vgpu_now_ns();
	CUresult r = REAL(cuCtxSynchronize)();

	if (!r)
		after_sync(true, t0);
	return r;
}

CUresult vh_cuCtxSynchronize_v2(CUcontext ctx)
{
	u64 t0 = vgpu_now_ns();
	CUresult r = REAL(cuCtxSynchronize_v2)(ctx);

	if (!r)
		after_sync(!ctx || ctx == cur_ctx(), t0);
	return r;
}

CUresult vh_cuStreamSynchronize(CUstream hStream)
{
	u64 t0 = vgpu_now_ns();
	CUresult r = REAL(cuStreamSynchronize)(hStream);

	if (!r)
		after_sync(false, t0);
	return r;
}

CUresult vh_cuStreamSynchronize_ptsz(CUstream hStream)
{
	u64 t0 = vgpu_now_ns();
	CUresult r = REAL(cuStreamSynchronize_ptsz)(hStream);

	if (!r)
		after_sync(false, t0);
	return r;
}

CUresult vh_cuEventSynchronize(CUevent hEvent)
{
	u64 t0 = vgpu_now_ns();
	CUresult r = REAL(cuEventSynchronize)(hEvent);

	if (!r)
		after_sync(false, t0);
	return r;
}

/* ---- contexts, exit, fork ---- */

void vgpu_exec_ctx_gone(struct vgpu_dev *d, CUcontext ctx)
{
	pthread_mutex_lock(&d->xlock);
	if (d->xctx == ctx)
		ring_forget(d);	/* its events died with it */
	pthread_mutex_unlock(&d->xlock);
}

void vgpu_exec_exit(void)
{
	__atomic_store_n(&vg.closed, true, __ATOMIC_RELEASE);
	for (int i = 0; i < vg.ndev; i++) {
		struct vgpu_dev *d = &vg.dev[i];

		if (!d->slice)
			continue;
		/* a thread waiting for the lease holds xlock: the reaper will see to it */
		if (pthread_mutex_trylock(&d->xlock))
			continue;
		if (vgpu_log_level >= VLOG_INFO) {
			VGPU_OPTS(vgpu_slice_stats, st);

			if (!vgpu_slice_stats(d->slice, &st))
				vg_info("device %d: slice '%s': %" PRIu64 " leases, %" PRIu64 " ms of "
					"GPU time charged, %" PRIu64 " ms waited, %" PRIu64 " overruns "
					"(%" PRIu64 " ms), launch time %" PRIu64 " us", d->ordinal,
					d->slice->info.slice, st.leases, st.busy_ns / NSEC_PER_MSEC,
					st.wait_ns / NSEC_PER_MSEC, st.overruns,
					st.overrun_ns / NSEC_PER_MSEC, d->d_est / NSEC_PER_USEC);
		}
		if (__atomic_load_n(&d->slice->gen, __ATOMIC_ACQUIRE))
			vgpu_lease_release(d->slice, vgpu_now_ns() - d->grant_ns, 0);
		if (d->slice->ops->exit)
			d->slice->ops->exit(d->slice);
		pthread_mutex_unlock(&d->xlock);
	}
}

void vgpu_exec_fork_child(void)
{
	t_launches = 0;
}
