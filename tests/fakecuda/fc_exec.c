// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda (vgpu's CUDA driver test double): modules, kernels, streams,
 * events, graphs and the GPU timeline.
 *
 * The GPU runs one kernel at a time across all processes: a kernel queued on
 * a stream starts at max(now, the stream's last end, the GPU's free-at time)
 * and ends its duration later.  A kernel's duration is the u64 nanoseconds
 * kernelParams[0] points to.  Launches return at once; synchronisation
 * sleeps until the simulated completion time.
 */
#include "fc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FC_MODULE_IMAGE "fakecuda-module"
#define FC_MAX_SHARED_PER_BLOCK 232448
#define FC_MAX_BLOCKS_PER_SM 32
#define FC_MAX_THREADS_PER_SM 2048

/* ---- streams ---- */

static struct fc_stream *fc_stream_per_thread(struct fc_ctx *ctx)
{
	pthread_t self = pthread_self();
	struct fc_stream *s;
	struct fc_obj *o;

	for (o = fc_g.lists[FC_T_STREAM].next; o != &fc_g.lists[FC_T_STREAM]; o = o->next) {
		s = (struct fc_stream *)o;
		if (s->per_thread && o->ctx == ctx && pthread_equal(s->owner, self))
			return s;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->per_thread = true;
	s->owner = self;
	fc_list_add(&s->o, FC_T_STREAM, ctx);
	return s;
}

CUresult fc_stream_get(struct fc_ctx *ctx, CUstream h, bool ptds, struct fc_stream **out)
{
	struct fc_stream *s;

	if (h == CU_STREAM_LEGACY || (!h && !ptds)) {
		*out = ctx->legacy;
		return CUDA_SUCCESS;
	}
	if (!h || h == CU_STREAM_PER_THREAD) {
		*out = fc_stream_per_thread(ctx);
		return *out ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
	}
	s = fc_find(FC_T_STREAM, h);
	if (!s || s->legacy || s->per_thread)
		return CUDA_ERROR_INVALID_HANDLE;
	*out = s;
	return CUDA_SUCCESS;
}

CUresult fc_queue_kernels(struct fc_ctx *ctx, struct fc_stream *s, const uint64_t *dur, size_t n)
{
	struct fc_ctx *sc = s->o.ctx ? s->o.ctx : ctx;
	uint64_t end;
	CUresult r;

	if (!n)
		return CUDA_SUCCESS;
	if ((r = fc_shm_lock_cu()))
		return r;
	end = fc_gpu_run_locked(fc_g.shm, fc_g.self, s->last_end, dur, n);
	fc_shm_unlock_cu();
	s->last_end = end;
	if (end > sc->last_end)
		sc->last_end = end;
	if (!(s->flags & CU_STREAM_NON_BLOCKING) && end > sc->blocking_end)
		sc->blocking_end = end;
	return CUDA_SUCCESS;
}

uint64_t fc_sync_copy_deadline(struct fc_ctx *ctx, bool ptds)
{
	struct fc_stream *s;

	if (!ptds)
		return ctx->blocking_end;
	s = fc_stream_per_thread(ctx);
	return s ? s->last_end : ctx->blocking_end;
}

static CUresult fc_stream_create(CUstream *phStream, unsigned int flags, int priority)
{
	struct fc_stream *s;

	FC_CTX_BEGIN(c);
	if (!phStream || (flags & ~(unsigned int)CU_STREAM_NON_BLOCKING)) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	s->flags = flags;
	/* clamped to the device's range, [-5, 0], as the driver does */
	s->priority = priority < -5 ? -5 : priority > 0 ? 0 : priority;
	fc_list_add(&s->o, FC_T_STREAM, c);
	*phStream = (CUstream)s;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuStreamCreate(CUstream *phStream, unsigned int Flags)
{
	return fc_stream_create(phStream, Flags, 0);
}

FC_API CUresult CUDAAPI cuStreamCreateWithPriority(CUstream *phStream, unsigned int flags,
						   int priority)
{
	return fc_stream_create(phStream, flags, priority);
}

FC_API CUresult CUDAAPI cuCtxGetStreamPriorityRange(int *leastPriority, int *greatestPriority)
{
	FC_CTX_BEGIN(c);
	(void)c;
	if (leastPriority)
		*leastPriority = 0;
	if (greatestPriority)
		*greatestPriority = -5;
out:
	fc_unlock();
	return r;
}

static CUresult fc_stream_destroy(CUstream hStream)
{
	struct fc_stream *s;

	FC_BEGIN();
	s = fc_find(FC_T_STREAM, hStream);
	if (!s || s->legacy || s->per_thread) {
		r = CUDA_ERROR_INVALID_HANDLE;
		goto out;
	}
	/* queued work still completes: the GPU timeline keeps it */
	fc_list_del(&s->o);
	free(s);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuStreamDestroy(CUstream hStream)
{
	return fc_stream_destroy(hStream);
}

FC_API CUresult CUDAAPI cuStreamDestroy_v2(CUstream hStream)
{
	return fc_stream_destroy(hStream);
}

/* Completion time of what @h has queued, or an error. */
static CUresult fc_stream_end(CUstream h, bool ptds, uint64_t *end)
{
	struct fc_stream *s;

	FC_CTX_BEGIN(c);
	if (!(r = fc_stream_get(c, h, ptds, &s)))
		*end = s->last_end;
out:
	fc_unlock();
	return r;
}

static CUresult fc_stream_sync(CUstream h, bool ptds)
{
	uint64_t end;
	CUresult r = fc_stream_end(h, ptds, &end);

	if (r)
		return r;
	fc_wait_until(end);
	fc_lock();
	fc_pools_release_to_threshold();
	fc_unlock();
	return CUDA_SUCCESS;
}

FC_API CUresult CUDAAPI cuStreamSynchronize(CUstream hStream)
{
	return fc_stream_sync(hStream, false);
}

FC_API CUresult CUDAAPI cuStreamSynchronize_ptsz(CUstream hStream)
{
	return fc_stream_sync(hStream, true);
}

static CUresult fc_stream_query(CUstream h, bool ptds)
{
	uint64_t end;
	CUresult r = fc_stream_end(h, ptds, &end);

	if (r)
		return r;
	return fc_now_ns() >= end ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

FC_API CUresult CUDAAPI cuStreamQuery(CUstream hStream)
{
	return fc_stream_query(hStream, false);
}

FC_API CUresult CUDAAPI cuStreamQuery_ptsz(CUstream hStream)
{
	return fc_stream_query(hStream, true);
}

static CUresult fc_stream_wait_event(CUstream h, CUevent ev, unsigned int flags, bool ptds)
{
	struct fc_stream *s;
	struct fc_event *e;

	FC_CTX_BEGIN(c);
	if (flags & ~(unsigned int)CU_EVENT_WAIT_EXTERNAL) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if ((r = fc_stream_get(c, h, ptds, &s)))
		goto out;
	e = fc_find(FC_T_EVENT, ev);
	if (!e) {
		r = CUDA_ERROR_INVALID_HANDLE;
		goto out;
	}
	/* work queued after this starts no earlier than the event */
	if (e->recorded && e->t > s->last_end)
		s->last_end = e->t;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags)
{
	return fc_stream_wait_event(hStream, hEvent, Flags, false);
}

FC_API CUresult CUDAAPI cuStreamWaitEvent_ptsz(CUstream hStream, CUevent hEvent, unsigned int Flags)
{
	return fc_stream_wait_event(hStream, hEvent, Flags, true);
}

/* ---- events ---- */

FC_API CUresult CUDAAPI cuEventCreate(CUevent *phEvent, unsigned int Flags)
{
	struct fc_event *e;

	FC_CTX_BEGIN(c);
	if (!phEvent ||
	    (Flags & ~(unsigned int)(CU_EVENT_BLOCKING_SYNC | CU_EVENT_DISABLE_TIMING |
				     CU_EVENT_INTERPROCESS)) ||
	    ((Flags & CU_EVENT_INTERPROCESS) && !(Flags & CU_EVENT_DISABLE_TIMING))) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	e->flags = Flags;
	fc_list_add(&e->o, FC_T_EVENT, c);
	*phEvent = (CUevent)e;
out:
	fc_unlock();
	return r;
}

static CUresult fc_event_record(CUevent ev, CUstream h, unsigned int flags, bool ptds)
{
	struct fc_stream *s;
	struct fc_event *e;
	uint64_t now;

	FC_CTX_BEGIN(c);
	if (flags & ~(unsigned int)CU_EVENT_RECORD_EXTERNAL) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	e = fc_find(FC_T_EVENT, ev);
	if (!e) {
		r = CUDA_ERROR_INVALID_HANDLE;
		goto out;
	}
	if ((r = fc_stream_get(c, h, ptds, &s)))
		goto out;
	/* it completes when the stream's queued work does, or now if idle */
	now = fc_now_ns();
	e->t = s->last_end > now ? s->last_end : now;
	e->recorded = true;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuEventRecord(CUevent hEvent, CUstream hStream)
{
	return fc_event_record(hEvent, hStream, 0, false);
}

FC_API CUresult CUDAAPI cuEventRecord_ptsz(CUevent hEvent, CUstream hStream)
{
	return fc_event_record(hEvent, hStream, 0, true);
}

FC_API CUresult CUDAAPI cuEventRecordWithFlags(CUevent hEvent, CUstream hStream, unsigned int flags)
{
	return fc_event_record(hEvent, hStream, flags, false);
}

FC_API CUresult CUDAAPI cuEventRecordWithFlags_ptsz(CUevent hEvent, CUstream hStream,
						    unsigned int flags)
{
	return fc_event_record(hEvent, hStream, flags, true);
}

/* When @ev completes (0: never recorded, which counts as complete). */
static CUresult fc_event_time(CUevent ev, uint64_t *t)
{
	struct fc_event *e;

	FC_BEGIN();
	e = fc_find(FC_T_EVENT, ev);
	if (!e)
		r = CUDA_ERROR_INVALID_HANDLE;
	else
		*t = e->recorded ? e->t : 0;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuEventQuery(CUevent hEvent)
{
	uint64_t t;
	CUresult r = fc_event_time(hEvent, &t);

	if (r)
		return r;
	return fc_now_ns() >= t ? CUDA_SUCCESS : CUDA_ERROR_NOT_READY;
}

FC_API CUresult CUDAAPI cuEventSynchronize(CUevent hEvent)
{
	uint64_t t;
	CUresult r = fc_event_time(hEvent, &t);

	if (r)
		return r;
	fc_wait_until(t);
	fc_lock();
	fc_pools_release_to_threshold();
	fc_unlock();
	return CUDA_SUCCESS;
}

static CUresult fc_event_elapsed(float *ms, CUevent start, CUevent end)
{
	struct fc_event *a, *b;
	uint64_t now;

	FC_BEGIN();
	if (!ms) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	a = fc_find(FC_T_EVENT, start);
	b = fc_find(FC_T_EVENT, end);
	if (!a || !b || !a->recorded || !b->recorded ||
	    ((a->flags | b->flags) & CU_EVENT_DISABLE_TIMING)) {
		r = CUDA_ERROR_INVALID_HANDLE;
		goto out;
	}
	now = fc_now_ns();
	if (a->t > now || b->t > now) {
		r = CUDA_ERROR_NOT_READY;
		goto out;
	}
	*ms = (float)(((double)b->t - (double)a->t) / 1e6);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuEventElapsedTime(float *pMilliseconds, CUevent hStart, CUevent hEnd)
{
	return fc_event_elapsed(pMilliseconds, hStart, hEnd);
}

FC_API CUresult CUDAAPI cuEventElapsedTime_v2(float *pMilliseconds, CUevent hStart, CUevent hEnd)
{
	return fc_event_elapsed(pMilliseconds, hStart, hEnd);
}

static CUresult fc_event_destroy(CUevent ev)
{
	struct fc_event *e;

	FC_BEGIN();
	e = fc_find(FC_T_EVENT, ev);
	if (!e) {
		r = CUDA_ERROR_INVALID_HANDLE;
		goto out;
	}
	fc_list_del(&e->o);
	free(e);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuEventDestroy(CUevent hEvent)
{
	return fc_event_destroy(hEvent);
}

FC_API CUresult CUDAAPI cuEventDestroy_v2(CUevent hEvent)
{
	return fc_event_destroy(hEvent);
}

/* ---- modules, libraries, kernels ---- */

/* An image is the text "fakecuda-module", then the end or white space. */
static bool fc_image_ok(const char *image)
{
	size_t n = strlen(FC_MODULE_IMAGE);

	return !strncmp(image, FC_MODULE_IMAGE, n) &&
	       (image[n] == '\0' || image[n] == '\n' || image[n] == ' ' ||
		image[n] == '\t' || image[n] == '\r');
}

static CUresult fc_read_image(const char *fname)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(fname, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? CUDA_ERROR_FILE_NOT_FOUND : CUDA_ERROR_OPERATING_SYSTEM;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return CUDA_ERROR_OPERATING_SYSTEM;
	buf[n] = '\0';
	return fc_image_ok(buf) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_IMAGE;
}

static CUresult fc_module_new(struct fc_ctx *c, CUmodule *module)
{
	struct fc_module *m = calloc(1, sizeof(*m));

	if (!m)
		return CUDA_ERROR_OUT_OF_MEMORY;
	fc_list_add(&m->o, FC_T_MODULE, c);
	*module = (CUmodule)m;
	return CUDA_SUCCESS;
}

static CUresult fc_module_load_data(CUmodule *module, const void *image)
{
	FC_CTX_BEGIN(c);
	if (!module || !image)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!fc_image_ok(image))
		r = CUDA_ERROR_INVALID_IMAGE;
	else
		r = fc_module_new(c, module);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuModuleLoadData(CUmodule *module, const void *image)
{
	return fc_module_load_data(module, image);
}

FC_API CUresult CUDAAPI cuModuleLoadDataEx(CUmodule *module, const void *image,
					   unsigned int numOptions, CUjit_option *options,
					   void **optionValues)
{
	if (numOptions && (!options || !optionValues))
		return CUDA_ERROR_INVALID_VALUE;
	return fc_module_load_data(module, image);
}

FC_API CUresult CUDAAPI cuModuleLoad(CUmodule *module, const char *fname)
{
	FC_CTX_BEGIN(c);
	if (!module || !fname)
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!(r = fc_read_image(fname)))
		r = fc_module_new(c, module);
out:
	fc_unlock();
	return r;
}

static struct fc_func *fc_func_get(struct fc_ctx *c, struct fc_module *m, struct fc_kernel *k,
				   const char *name)
{
	struct fc_func *f;
	struct fc_obj *o;

	for (o = fc_g.lists[FC_T_FUNC].next; o != &fc_g.lists[FC_T_FUNC]; o = o->next) {
		f = (struct fc_func *)o;
		if (o->ctx == c && f->mod == m && f->kern == k && !strcmp(f->name, name))
			return f;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->name = strdup(name);
	if (!f->name) {
		free(f);
		return NULL;
	}
	f->mod = m;
	f->kern = k;
	fc_list_add(&f->o, FC_T_FUNC, c);
	return f;
}

static void fc_func_destroy(struct fc_func *f)
{
	fc_list_del(&f->o);
	free(f->name);
	free(f);
}

FC_API CUresult CUDAAPI cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)
{
	struct fc_module *m;
	struct fc_func *f;

	FC_BEGIN();
	if (!hfunc || !name) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	m = fc_find(FC_T_MODULE, hmod);
	if (!m) {
		r = CUDA_ERROR_INVALID_HANDLE;
		goto out;
	}
	if (!*name) {
		r = CUDA_ERROR_NOT_FOUND;
		goto out;
	}
	/* every name exists in a fakecuda module */
	f = fc_func_get(m->o.ctx, m, NULL, name);
	if (!f)
		r = CUDA_ERROR_OUT_OF_MEMORY;
	else
		*hfunc = (CUfunction)f;
out:
	fc_unlock();
	return r;
}

static void fc_module_destroy(struct fc_module *m)
{
	struct fc_obj *o, *n;

	fc_foreach_safe(o, n, FC_T_FUNC)
		if (((struct fc_func *)o)->mod == m)
			fc_func_destroy((struct fc_func *)o);
	fc_list_del(&m->o);
	free(m);
}

FC_API CUresult CUDAAPI cuModuleUnload(CUmodule hmod)
{
	struct fc_module *m;

	FC_BEGIN();
	m = fc_find(FC_T_MODULE, hmod);
	if (!m)
		r = CUDA_ERROR_INVALID_HANDLE;
	else
		fc_module_destroy(m);
out:
	fc_unlock();
	return r;
}

static CUresult fc_library_new(CUlibrary *library)
{
	struct fc_library *l = calloc(1, sizeof(*l));

	if (!l)
		return CUDA_ERROR_OUT_OF_MEMORY;
	fc_list_add(&l->o, FC_T_LIBRARY, NULL);
	*library = (CUlibrary)l;
	return CUDA_SUCCESS;
}

static bool fc_options_ok(unsigned int n, const void *keys, void *const *values)
{
	return !n || (keys && values);
}

FC_API CUresult CUDAAPI cuLibraryLoadData(CUlibrary *library, const void *code,
					  CUjit_option *jitOptions, void **jitOptionsValues,
					  unsigned int numJitOptions, CUlibraryOption *libraryOptions,
					  void **libraryOptionValues, unsigned int numLibraryOptions)
{
	FC_BEGIN();
	if (!library || !code || !fc_options_ok(numJitOptions, jitOptions, jitOptionsValues) ||
	    !fc_options_ok(numLibraryOptions, libraryOptions, libraryOptionValues))
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!fc_image_ok(code))
		r = CUDA_ERROR_INVALID_IMAGE;
	else
		r = fc_library_new(library);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuLibraryLoadFromFile(CUlibrary *library, const char *fileName,
					      CUjit_option *jitOptions, void **jitOptionsValues,
					      unsigned int numJitOptions,
					      CUlibraryOption *libraryOptions,
					      void **libraryOptionValues,
					      unsigned int numLibraryOptions)
{
	FC_BEGIN();
	if (!library || !fileName || !fc_options_ok(numJitOptions, jitOptions, jitOptionsValues) ||
	    !fc_options_ok(numLibraryOptions, libraryOptions, libraryOptionValues))
		r = CUDA_ERROR_INVALID_VALUE;
	else if (!(r = fc_read_image(fileName)))
		r = fc_library_new(library);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuLibraryGetKernel(CUkernel *pKernel, CUlibrary library, const char *name)
{
	struct fc_library *l;
	struct fc_kernel *k = NULL;
	struct fc_obj *o;

	FC_BEGIN();
	if (!pKernel || !name) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	l = fc_find(FC_T_LIBRARY, library);
	if (!l) {
		r = CUDA_ERROR_INVALID_HANDLE;
		goto out;
	}
	if (!*name) {
		r = CUDA_ERROR_NOT_FOUND;
		goto out;
	}
	for (o = fc_g.lists[FC_T_KERNEL].next; o != &fc_g.lists[FC_T_KERNEL]; o = o->next)
		if (((struct fc_kernel *)o)->lib == l && !strcmp(((struct fc_kernel *)o)->name, name))
			k = (struct fc_kernel *)o;
	if (!k) {
		k = calloc(1, sizeof(*k));
		if (k)
			k->name = strdup(name);
		if (!k || !k->name) {
			free(k);
			r = CUDA_ERROR_OUT_OF_MEMORY;
			goto out;
		}
		k->lib = l;
		fc_list_add(&k->o, FC_T_KERNEL, NULL);
	}
	*pKernel = (CUkernel)k;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuKernelGetFunction(CUfunction *pFunc, CUkernel kernel)
{
	struct fc_kernel *k;
	struct fc_func *f;

	FC_CTX_BEGIN(c);
	if (!pFunc) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	k = fc_find(FC_T_KERNEL, kernel);
	if (!k) {
		r = CUDA_ERROR_INVALID_HANDLE;
		goto out;
	}
	f = fc_func_get(c, NULL, k, k->name);
	if (!f)
		r = CUDA_ERROR_OUT_OF_MEMORY;
	else
		*pFunc = (CUfunction)f;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuLibraryUnload(CUlibrary library)
{
	struct fc_library *l;
	struct fc_obj *o, *n;

	FC_BEGIN();
	l = fc_find(FC_T_LIBRARY, library);
	if (!l) {
		r = CUDA_ERROR_INVALID_HANDLE;
		goto out;
	}
	fc_foreach_safe(o, n, FC_T_KERNEL) {
		struct fc_kernel *k = (struct fc_kernel *)o;
		struct fc_obj *fo, *fn;

		if (k->lib != l)
			continue;
		fc_foreach_safe(fo, fn, FC_T_FUNC)
			if (((struct fc_func *)fo)->kern == k)
				fc_func_destroy((struct fc_func *)fo);
		fc_list_del(o);
		free(k->name);
		free(k);
	}
	fc_list_del(&l->o);
	free(l);
out:
	fc_unlock();
	return r;
}

/* ---- launches ---- */

/* A function handle, or a kernel handle used as one (as the driver allows). */
static CUresult fc_func_resolve(struct fc_ctx *c, const void *h)
{
	struct fc_kernel *k;

	if (fc_find(FC_T_FUNC, h))
		return CUDA_SUCCESS;
	k = fc_find(FC_T_KERNEL, h);
	if (!k)
		return CUDA_ERROR_INVALID_HANDLE;
	return fc_func_get(c, NULL, k, k->name) ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

static CUresult fc_check_dims(unsigned int gx, unsigned int gy, unsigned int gz,
			      unsigned int bx, unsigned int by, unsigned int bz,
			      unsigned int shmem)
{
	if (!gx || !gy || !gz || !bx || !by || !bz)
		return CUDA_ERROR_INVALID_VALUE;
	if (gx > 2147483647u || gy > 65535 || gz > 65535)
		return CUDA_ERROR_INVALID_VALUE;
	if (bx > 1024 || by > 1024 || bz > 64 || (uint64_t)bx * by * bz > 1024)
		return CUDA_ERROR_INVALID_VALUE;
	if (shmem > FC_MAX_SHARED_PER_BLOCK)
		return CUDA_ERROR_INVALID_VALUE;
	return CUDA_SUCCESS;
}

static CUresult fc_check_cooperative(unsigned int gx, unsigned int gy, unsigned int gz,
				     unsigned int bx, unsigned int by, unsigned int bz)
{
	uint64_t threads = (uint64_t)bx * by * bz;
	uint64_t per_sm = FC_MAX_THREADS_PER_SM / threads;

	if (per_sm > FC_MAX_BLOCKS_PER_SM)
		per_sm = FC_MAX_BLOCKS_PER_SM;
	/* all blocks must be resident at once */
	if ((uint64_t)gx * gy * gz > per_sm * fc_g.shm->params.sms)
		return CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE;
	return CUDA_SUCCESS;
}

static uint64_t fc_duration(void **kernelParams)
{
	uint64_t d = 0;

	if (kernelParams && kernelParams[0])
		memcpy(&d, kernelParams[0], sizeof(d));
	return d;
}

/* "extra" launch arguments are not simulated, except an empty list. */
static CUresult fc_check_extra(void **kernelParams, void **extra)
{
	static int told;

	if (!extra || extra[0] == CU_LAUNCH_PARAM_END)
		return CUDA_SUCCESS;
	if (kernelParams)
		return CUDA_ERROR_INVALID_VALUE;
	if (!__atomic_exchange_n(&told, 1, __ATOMIC_RELAXED))
		fc_msg("kernel launch: 'extra' arguments are not simulated; pass the "
		       "duration through kernelParams[0]\n");
	return CUDA_ERROR_NOT_SUPPORTED;
}

static CUresult fc_launch(const void *f, unsigned int gx, unsigned int gy, unsigned int gz,
			  unsigned int bx, unsigned int by, unsigned int bz, unsigned int shmem,
			  CUstream h, void **kernelParams, void **extra, bool cooperative,
			  bool ptds)
{
	struct fc_stream *s;
	uint64_t dur;

	FC_CTX_BEGIN(c);
	if ((r = fc_func_resolve(c, f)) ||
	    (r = fc_check_dims(gx, gy, gz, bx, by, bz, shmem)) ||
	    (r = fc_check_extra(kernelParams, extra)) ||
	    (cooperative && (r = fc_check_cooperative(gx, gy, gz, bx, by, bz))) ||
	    (r = fc_stream_get(c, h, ptds, &s)))
		goto out;
	dur = fc_duration(kernelParams);
	r = fc_queue_kernels(c, s, &dur, 1);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
				       unsigned int gridDimZ, unsigned int blockDimX,
				       unsigned int blockDimY, unsigned int blockDimZ,
				       unsigned int sharedMemBytes, CUstream hStream,
				       void **kernelParams, void **extra)
{
	return fc_launch(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
			 sharedMemBytes, hStream, kernelParams, extra, false, false);
}

FC_API CUresult CUDAAPI cuLaunchKernel_ptsz(CUfunction f, unsigned int gridDimX,
					    unsigned int gridDimY, unsigned int gridDimZ,
					    unsigned int blockDimX, unsigned int blockDimY,
					    unsigned int blockDimZ, unsigned int sharedMemBytes,
					    CUstream hStream, void **kernelParams, void **extra)
{
	return fc_launch(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
			 sharedMemBytes, hStream, kernelParams, extra, false, true);
}

static CUresult fc_launch_ex(const CUlaunchConfig *config, CUfunction f, void **kernelParams,
			     void **extra, bool ptds)
{
	bool coop = false;

	if (!config || (config->numAttrs && !config->attrs))
		return CUDA_ERROR_INVALID_VALUE;
	for (unsigned int i = 0; i < config->numAttrs; i++)
		if (config->attrs[i].id == CU_LAUNCH_ATTRIBUTE_COOPERATIVE &&
		    config->attrs[i].value.cooperative)
			coop = true;
	return fc_launch(f, config->gridDimX, config->gridDimY, config->gridDimZ,
			 config->blockDimX, config->blockDimY, config->blockDimZ,
			 config->sharedMemBytes, config->hStream, kernelParams, extra, coop, ptds);
}

FC_API CUresult CUDAAPI cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f,
					 void **kernelParams, void **extra)
{
	return fc_launch_ex(config, f, kernelParams, extra, false);
}

FC_API CUresult CUDAAPI cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f,
					      void **kernelParams, void **extra)
{
	return fc_launch_ex(config, f, kernelParams, extra, true);
}

FC_API CUresult CUDAAPI cuLaunchCooperativeKernel(CUfunction f, unsigned int gridDimX,
						  unsigned int gridDimY, unsigned int gridDimZ,
						  unsigned int blockDimX, unsigned int blockDimY,
						  unsigned int blockDimZ, unsigned int sharedMemBytes,
						  CUstream hStream, void **kernelParams)
{
	return fc_launch(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
			 sharedMemBytes, hStream, kernelParams, NULL, true, false);
}

FC_API CUresult CUDAAPI cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned int gridDimX,
						       unsigned int gridDimY, unsigned int gridDimZ,
						       unsigned int blockDimX,
						       unsigned int blockDimY,
						       unsigned int blockDimZ,
						       unsigned int sharedMemBytes,
						       CUstream hStream, void **kernelParams)
{
	return fc_launch(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
			 sharedMemBytes, hStream, kernelParams, NULL, true, true);
}

/* ---- graphs: kernel (and empty) nodes, run in the order they were added ---- */

FC_API CUresult CUDAAPI cuGraphCreate(CUgraph *phGraph, unsigned int flags)
{
	struct fc_graph *g;

	FC_BEGIN();
	if (!phGraph || flags) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	fc_list_add(&g->o, FC_T_GRAPH, NULL);
	*phGraph = (CUgraph)g;
out:
	fc_unlock();
	return r;
}

/* Add a node after checking the graph and the dependencies. */
static CUresult fc_graph_add(CUgraphNode *phNode, CUgraph hGraph, const CUgraphNode *deps,
			     size_t ndeps, bool kernel, uint64_t dur)
{
	struct fc_graph *g = fc_find(FC_T_GRAPH, hGraph);
	struct fc_node *n;

	if (!phNode || !g || (ndeps && !deps))
		return CUDA_ERROR_INVALID_VALUE;
	for (size_t i = 0; i < ndeps; i++) {
		struct fc_node *d = fc_find(FC_T_NODE, deps[i]);

		if (!d || d->graph != g)
			return CUDA_ERROR_INVALID_VALUE;
		for (size_t j = 0; j < i; j++)
			if (deps[j] == deps[i])
				return CUDA_ERROR_INVALID_VALUE;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 8;
		struct fc_node **nodes = realloc(g->nodes, cap * sizeof(*nodes));

		if (!nodes)
			return CUDA_ERROR_OUT_OF_MEMORY;
		g->nodes = nodes;
		g->cap = cap;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return CUDA_ERROR_OUT_OF_MEMORY;
	n->graph = g;
	n->kernel = kernel;
	n->dur_ns = dur;
	fc_list_add(&n->o, FC_T_NODE, NULL);
	g->nodes[g->n++] = n;
	*phNode = (CUgraphNode)n;
	return CUDA_SUCCESS;
}

static CUresult fc_graph_add_kernel(CUgraphNode *phNode, CUgraph hGraph, const CUgraphNode *deps,
				    size_t ndeps, const CUDA_KERNEL_NODE_PARAMS_v1 *p, CUkernel kern)
{
	const void *f;

	FC_BEGIN();
	if (!p) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	f = p->func ? (const void *)p->func : (const void *)kern;
	if (!f) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (!fc_find(FC_T_FUNC, f) && !fc_find(FC_T_KERNEL, f)) {
		r = CUDA_ERROR_INVALID_HANDLE;
		goto out;
	}
	if ((r = fc_check_dims(p->gridDimX, p->gridDimY, p->gridDimZ, p->blockDimX,
			       p->blockDimY, p->blockDimZ, p->sharedMemBytes)) ||
	    (r = fc_check_extra(p->kernelParams, p->extra)))
		goto out;
	/* the parameters are copied now: the duration too */
	r = fc_graph_add(phNode, hGraph, deps, ndeps, true, fc_duration(p->kernelParams));
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuGraphAddKernelNode(CUgraphNode *phGraphNode, CUgraph hGraph,
					     const CUgraphNode *dependencies,
					     size_t numDependencies,
					     const CUDA_KERNEL_NODE_PARAMS_v1 *nodeParams)
{
	return fc_graph_add_kernel(phGraphNode, hGraph, dependencies, numDependencies,
				   nodeParams, NULL);
}

FC_API CUresult CUDAAPI cuGraphAddKernelNode_v2(CUgraphNode *phGraphNode, CUgraph hGraph,
						const CUgraphNode *dependencies,
						size_t numDependencies,
						const CUDA_KERNEL_NODE_PARAMS *nodeParams)
{
	CUDA_KERNEL_NODE_PARAMS_v1 p;

	if (!nodeParams)
		return fc_graph_add_kernel(phGraphNode, hGraph, dependencies, numDependencies,
					   NULL, NULL);
	p = (CUDA_KERNEL_NODE_PARAMS_v1){
		.func = nodeParams->func,
		.gridDimX = nodeParams->gridDimX,
		.gridDimY = nodeParams->gridDimY,
		.gridDimZ = nodeParams->gridDimZ,
		.blockDimX = nodeParams->blockDimX,
		.blockDimY = nodeParams->blockDimY,
		.blockDimZ = nodeParams->blockDimZ,
		.sharedMemBytes = nodeParams->sharedMemBytes,
		.kernelParams = nodeParams->kernelParams,
		.extra = nodeParams->extra,
	};
	return fc_graph_add_kernel(phGraphNode, hGraph, dependencies, numDependencies, &p,
				   nodeParams->kern);
}

FC_API CUresult CUDAAPI cuGraphAddEmptyNode(CUgraphNode *phGraphNode, CUgraph hGraph,
					    const CUgraphNode *dependencies, size_t numDependencies)
{
	FC_BEGIN();
	r = fc_graph_add(phGraphNode, hGraph, dependencies, numDependencies, false, 0);
out:
	fc_unlock();
	return r;
}

#define FC_INSTANTIATE_FLAGS (CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH | \
			      CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD | \
			      CUDA_GRAPH_INSTANTIATE_FLAG_DEVICE_LAUNCH | \
			      CUDA_GRAPH_INSTANTIATE_FLAG_USE_NODE_PRIORITY)

static CUresult fc_graph_instantiate(CUgraphExec *phExec, CUgraph hGraph, unsigned long long flags)
{
	struct fc_graph *g;
	struct fc_exec *x;

	FC_CTX_BEGIN(c);
	(void)c;
	g = fc_find(FC_T_GRAPH, hGraph);
	if (!phExec || !g || (flags & ~(unsigned long long)FC_INSTANTIATE_FLAGS)) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	x = calloc(1, sizeof(*x));
	if (x && g->n)
		x->dur_ns = calloc(g->n, sizeof(*x->dur_ns));
	if (!x || (g->n && !x->dur_ns)) {
		free(x);
		r = CUDA_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < g->n; i++)
		if (g->nodes[i]->kernel)
			x->dur_ns[x->n++] = g->nodes[i]->dur_ns;
	fc_list_add(&x->o, FC_T_EXEC, NULL);
	*phExec = (CUgraphExec)x;
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuGraphInstantiateWithFlags(CUgraphExec *phGraphExec, CUgraph hGraph,
						    unsigned long long flags)
{
	return fc_graph_instantiate(phGraphExec, hGraph, flags);
}

static CUresult fc_graph_instantiate_log(CUgraphExec *phGraphExec, CUgraph hGraph,
					 CUgraphNode *phErrorNode, char *logBuffer,
					 size_t bufferSize)
{
	CUresult r = fc_graph_instantiate(phGraphExec, hGraph, 0);

	if (phErrorNode)
		*phErrorNode = NULL;
	if (logBuffer && bufferSize)
		logBuffer[0] = '\0';
	return r;
}

FC_API CUresult CUDAAPI cuGraphInstantiate(CUgraphExec *phGraphExec, CUgraph hGraph,
					   CUgraphNode *phErrorNode, char *logBuffer,
					   size_t bufferSize)
{
	return fc_graph_instantiate_log(phGraphExec, hGraph, phErrorNode, logBuffer, bufferSize);
}

FC_API CUresult CUDAAPI cuGraphInstantiate_v2(CUgraphExec *phGraphExec, CUgraph hGraph,
					      CUgraphNode *phErrorNode, char *logBuffer,
					      size_t bufferSize)
{
	return fc_graph_instantiate_log(phGraphExec, hGraph, phErrorNode, logBuffer, bufferSize);
}

static CUresult fc_graph_launch(CUgraphExec hExec, CUstream h, bool ptds)
{
	struct fc_stream *s;
	struct fc_exec *x;

	FC_CTX_BEGIN(c);
	x = fc_find(FC_T_EXEC, hExec);
	if (!x) {
		r = CUDA_ERROR_INVALID_VALUE;
		goto out;
	}
	if (!(r = fc_stream_get(c, h, ptds, &s)))
		r = fc_queue_kernels(c, s, x->dur_ns, x->n);
out:
	fc_unlock();
	return r;
}

FC_API CUresult CUDAAPI cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream)
{
	return fc_graph_launch(hGraphExec, hStream, false);
}

FC_API CUresult CUDAAPI cuGraphLaunch_ptsz(CUgraphExec hGraphExec, CUstream hStream)
{
	return fc_graph_launch(hGraphExec, hStream, true);
}

static void fc_exec_destroy(struct fc_exec *x)
{
	fc_list_del(&x->o);
	free(x->dur_ns);
	free(x);
}

FC_API CUresult CUDAAPI cuGraphExecDestroy(CUgraphExec hGraphExec)
{
	struct fc_exec *x;

	FC_BEGIN();
	x = fc_find(FC_T_EXEC, hGraphExec);
	if (!x)
		r = CUDA_ERROR_INVALID_VALUE;
	else
		fc_exec_destroy(x);
out:
	fc_unlock();
	return r;
}

static void fc_graph_destroy(struct fc_graph *g)
{
	for (size_t i = 0; i < g->n; i++) {
		fc_list_del(&g->nodes[i]->o);
		free(g->nodes[i]);
	}
	free(g->nodes);
	fc_list_del(&g->o);
	free(g);
}

FC_API CUresult CUDAAPI cuGraphDestroy(CUgraph hGraph)
{
	struct fc_graph *g;

	FC_BEGIN();
	g = fc_find(FC_T_GRAPH, hGraph);
	if (!g)
		r = CUDA_ERROR_INVALID_VALUE;
	else
		fc_graph_destroy(g);
out:
	fc_unlock();
	return r;
}

/* ---- teardown ---- */

void fc_exec_ctx_cleanup(struct fc_ctx *ctx)
{
	static const enum fc_type owned[] = { FC_T_STREAM, FC_T_EVENT };
	struct fc_obj *o, *n;

	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		fc_foreach_safe(o, n, owned[i])
			if (o->ctx == ctx) {
				fc_list_del(o);
				free(o);
			}
	fc_foreach_safe(o, n, FC_T_FUNC)
		if (o->ctx == ctx)
			fc_func_destroy((struct fc_func *)o);
	fc_foreach_safe(o, n, FC_T_MODULE)
		if (o->ctx == ctx)
			fc_module_destroy((struct fc_module *)o);
}

void fc_exec_forget_all(void)
{
	struct fc_obj *o, *n;

	fc_foreach_safe(o, n, FC_T_GRAPH)
		fc_graph_destroy((struct fc_graph *)o);
	fc_foreach_safe(o, n, FC_T_EXEC)
		fc_exec_destroy((struct fc_exec *)o);
	fc_foreach_safe(o, n, FC_T_FUNC)
		fc_func_destroy((struct fc_func *)o);
	fc_foreach_safe(o, n, FC_T_MODULE)
		fc_module_destroy((struct fc_module *)o);
	fc_foreach_safe(o, n, FC_T_KERNEL) {
		fc_list_del(o);
		free(((struct fc_kernel *)o)->name);
		free(o);
	}
	fc_foreach_safe(o, n, FC_T_LIBRARY) {
		fc_list_del(o);
		free(o);
	}
	fc_foreach_safe(o, n, FC_T_STREAM) {
		fc_list_del(o);
		free(o);
	}
	fc_foreach_safe(o, n, FC_T_EVENT) {
		fc_list_del(o);
		free(o);
	}
}
