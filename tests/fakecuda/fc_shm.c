// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda (vgpu's CUDA driver test double): the state of the simulated GPU
 * shared by all processes of the host.  See fc_shm.h and README.md.
 */
#include "fc_shm.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How long an opener waits for the creator to finish initialising. */
#define FC_INIT_WAIT_MS 2000

uint64_t fc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int fc_shm_name(char *buf, size_t len)
{
	const char *v = getenv("FAKECUDA_SHM");
	size_t n;

	if (!v) {
		snprintf(buf, len, "/fakecuda-%u", (unsigned int)getuid());
		return 0;
	}
	n = strlen(v);
	if (n < 2 || v[0] != '/' || strchr(v + 1, '/')) {
		fprintf(stderr, "fakecuda: FAKECUDA_SHM: '%s' is not a shared-memory name "
			"(one '/' then a name without '/')\n", v);
		return -EINVAL;
	}
	if (n >= len || n > NAME_MAX) {
		fprintf(stderr, "fakecuda: FAKECUDA_SHM: name longer than %d characters\n",
			NAME_MAX);
		return -EINVAL;
	}
	memcpy(buf, v, n + 1);
	return 0;
}

/* A byte count: decimal digits, optional k/m/g/t suffix (powers of 1024). */
static int parse_bytes(const char *var, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *v = getenv(var);
	unsigned long long x;
	unsigned int shift = 0;
	char *end;

	if (!v)
		return 1;
	if (!isdigit((unsigned char)v[0]))
		goto bad;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno == ERANGE)
		goto range;
	switch (tolower((unsigned char)*end)) {
	case 'k': shift = 10; end++; break;
	case 'm': shift = 20; end++; break;
	case 'g': shift = 30; end++; break;
	case 't': shift = 40; end++; break;
	case '\0': break;
	default: goto bad;
	}
	if (*end)
		goto bad;
	if (shift && x > (UINT64_MAX >> shift))
		goto range;
	x <<= shift;
	if (x < min || x > max)
		goto range;
	*out = x;
	return 0;
bad:
	fprintf(stderr, "fakecuda: %s: '%s' is not a byte count (digits with an "
		"optional k, m, g or t suffix)\n", var, v);
	return -EINVAL;
range:
	fprintf(stderr, "fakecuda: %s: '%s' is out of range [%" PRIu64 ", %" PRIu64
		"] bytes\n", var, v, min, max);
	return -EINVAL;
}

static int parse_uint(const char *var, uint32_t min, uint32_t max, uint32_t *out)
{
	const char *v = getenv(var);
	unsigned long long x;
	char *end;

	if (!v)
		return 1;
	if (!isdigit((unsigned char)v[0]))
		goto bad;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (*end)
		goto bad;
	if (errno == ERANGE || x < min || x > max) {
		fprintf(stderr, "fakecuda: %s: '%s' is out of range [%u, %u]\n",
			var, v, min, max);
		return -EINVAL;
	}
	*out = (uint32_t)x;
	return 0;
bad:
	fprintf(stderr, "fakecuda: %s: '%s' is not a decimal number\n", var, v);
	return -EINVAL;
}

/* "DDDD:BB:DD.F" or "BB:DD.F", hexadecimal, function 0. */
static int parse_pci(const char *var, struct fc_params *p)
{
	const char *v = getenv(var);
	unsigned int dom = 0, bus, dev, fn;
	int n = -1;

	if (!v)
		return 1;
	if (sscanf(v, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &n) != 4 || v[n]) {
		dom = 0;
		n = -1;
		if (sscanf(v, "%x:%x.%x%n", &bus, &dev, &fn, &n) != 3 || v[n]) {
			fprintf(stderr, "fakecuda: %s: '%s' is not a PCI address "
				"(domain:bus:device.function, hexadecimal)\n", var, v);
			return -EINVAL;
		}
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn != 0) {
		fprintf(stderr, "fakecuda: %s: '%s' is out of range (domain <= ffff, "
			"bus <= ff, device <= 1f, function 0)\n", var, v);
		return -EINVAL;
	}
	p->pci_domain = dom;
	p->pci_bus = bus;
	p->pci_device = dev;
	return 0;
}

int fc_env_params(struct fc_params *p, unsigned int *set)
{
	int r, bad = 0;

	*set = 0;
	p->memory = 16ULL << 30;
	p->ctx_overhead = 0;
	p->sms = 132;
	p->clock_khz = 1980000;
	p->mem_clock_khz = 2619000;
	p->pci_domain = 0;
	p->pci_bus = 1;
	p->pci_device = 0;

	r = parse_bytes("FAKECUDA_MEMORY", 1, 1ULL << 48, &p->memory);
	if (r < 0)
		bad = 1;
	else if (r == 0)
		*set |= FC_ENV_MEMORY;
	r = parse_bytes("FAKECUDA_CTX_OVERHEAD", 0, 1ULL << 48, &p->ctx_overhead);
	if (r < 0)
		bad = 1;
	else if (r == 0)
		*set |= FC_ENV_CTX_OVERHEAD;
	r = parse_uint("FAKECUDA_SMS", 1, 1024, &p->sms);
	if (r < 0)
		bad = 1;
	else if (r == 0)
		*set |= FC_ENV_SMS;
	r = parse_uint("FAKECUDA_CLOCK_RATE", 1, 10000000, &p->clock_khz);
	if (r < 0)
		bad = 1;
	else if (r == 0)
		*set |= FC_ENV_CLOCK;
	r = parse_uint("FAKECUDA_MEMORY_CLOCK_RATE", 1, 100000000, &p->mem_clock_khz);
	if (r < 0)
		bad = 1;
	else if (r == 0)
		*set |= FC_ENV_MEM_CLOCK;
	r = parse_pci("FAKECUDA_PCI_BUS_ID", p);
	if (r < 0)
		bad = 1;
	else if (r == 0)
		*set |= FC_ENV_PCI;
	if (!bad && p->ctx_overhead > p->memory) {
		fprintf(stderr, "fakecuda: FAKECUDA_CTX_OVERHEAD: %" PRIu64 " bytes is more "
			"than FAKECUDA_MEMORY (%" PRIu64 ")\n", p->ctx_overhead, p->memory);
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int init_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int r;

	r = pthread_mutexattr_init(&a);
	if (!r)
		r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!r)
		r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (!r)
		r = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return -r;
}

int fc_shm_map(const char *name, const struct fc_params *create,
	       struct fc_shared **out, bool *created)
{
	struct fc_shared *s;
	struct stat st;
	bool creator = false;
	int fd = -1, r, waited;

	*out = NULL;
	if (created)
		*created = false;
	if (create) {
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			creator = true;
		else if (errno != EEXIST)
			goto oserr;
	}
	if (fd < 0) {
		fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
		if (fd < 0) {
			if (errno == ENOENT && !create)
				return -ENOENT;
			goto oserr;
		}
	}
	if (fstat(fd, &st) < 0)
		goto oserr;
	if (st.st_uid != geteuid()) {
		fprintf(stderr, "fakecuda: %s: owned by uid %u, not by this user (%u); "
			"set FAKECUDA_SHM to a name of your own\n", name,
			(unsigned int)st.st_uid, (unsigned int)geteuid());
		close(fd);
		return -EACCES;
	}
	if (creator) {
		if (ftruncate(fd, sizeof(*s)) < 0) {
			r = -errno;
			fprintf(stderr, "fakecuda: %s: cannot size the shared state: %s\n",
				name, strerror(errno));
			shm_unlink(name);
			close(fd);
			return r;
		}
	} else {
		/* The creator sizes it right after creating it. */
		for (waited = 0; st.st_size == 0 && waited < FC_INIT_WAIT_MS; waited++) {
			sleep_ms(1);
			if (fstat(fd, &st) < 0)
				goto oserr;
		}
		if ((size_t)st.st_size != sizeof(*s)) {
			fprintf(stderr, "fakecuda: %s: %lld bytes, not the %zu of this fakecuda "
				"build's layout; remove it (rm /dev/shm%s)\n", name,
				(long long)st.st_size, sizeof(*s), name);
			close(fd);
			return -EPROTO;
		}
	}
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED)
		goto oserr;
	close(fd);
	fd = -1;

	if (creator) {
		/* ftruncate zero-filled it */
		r = init_mutex(&s->lock);
		if (r) {
			fprintf(stderr, "fakecuda: %s: cannot make a robust shared mutex: %s\n",
				name, strerror(-r));
			munmap(s, sizeof(*s));
			shm_unlink(name);
			return r;
		}
		s->magic = FC_SHM_MAGIC;
		s->layout = FC_SHM_LAYOUT;
		s->size = sizeof(*s);
		s->params = *create;
		__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
		if (created)
			*created = true;
	} else {
		for (waited = 0; !__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) &&
		     waited < FC_INIT_WAIT_MS; waited++)
			sleep_ms(1);
		if (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE)) {
			fprintf(stderr, "fakecuda: %s: left uninitialised by the process that "
				"created it; remove it (rm /dev/shm%s)\n", name, name);
			munmap(s, sizeof(*s));
			return -EPROTO;
		}
		if (s->magic != FC_SHM_MAGIC || s->layout != FC_SHM_LAYOUT ||
		    s->size != sizeof(*s)) {
			fprintf(stderr, "fakecuda: %s: not a fakecuda state of layout %d; "
				"remove it (rm /dev/shm%s)\n", name, FC_SHM_LAYOUT, name);
			munmap(s, sizeof(*s));
			return -EPROTO;
		}
	}
	*out = s;
	return 0;

oserr:
	r = -errno;
	fprintf(stderr, "fakecuda: %s: %s\n", name, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

void fc_shm_unmap(struct fc_shared *s)
{
	if (s)
		munmap(s, sizeof(*s));
}

/* Make the counters agree again after a holder died in the middle. */
static void repair_locked(struct fc_shared *s)
{
	uint64_t used = 0;

	for (int i = 0; i < FC_MAX_PROCS; i++) {
		struct fc_proc *p = &s->procs[i];

		if (p->state == FC_PROC_LIVE)
			used += p->mem_used;
		else
			p->mem_used = p->ctx_mem = 0;
	}
	s->mem_used = used;
	fc_reclaim_locked(s);
}

int fc_shm_lock(struct fc_shared *s)
{
	int r = pthread_mutex_lock(&s->lock);

	if (r == EOWNERDEAD) {
		repair_locked(s);
		r = pthread_mutex_consistent(&s->lock);
	}
	if (r) {
		fprintf(stderr, "fakecuda: lock of the shared GPU state: %s\n", strerror(r));
		return -r;
	}
	return 0;
}

void fc_shm_unlock(struct fc_shared *s)
{
	pthread_mutex_unlock(&s->lock);
}

/* State letter and start time from /proc/<pid>/stat; -1 if unreadable. */
static int read_proc_stat(pid_t pid, char *state, uint64_t *starttime)
{
	char path[64], buf[1024], *p;
	unsigned long long st = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* the command name may hold anything */
	if (!p || p[1] != ' ' || !p[2])
		return -1;
	*state = p[2];
	p += 3;
	/* fields 4..21, then 22 is starttime */
	for (int field = 4; field <= 21; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	if (sscanf(p, "%llu", &st) != 1)
		return -1;
	*starttime = st;
	return 0;
}

uint64_t fc_proc_starttime(pid_t pid)
{
	uint64_t st;
	char state;

	return read_proc_stat(pid, &state, &st) == 0 ? st : 0;
}

static bool proc_dead(const struct fc_proc *p)
{
	uint64_t st;
	char state;

	if (kill(p->pid, 0) == -1 && errno == ESRCH)
		return true;
	if (read_proc_stat(p->pid, &state, &st) < 0)
		return false;
	/* a zombie has released its devices already; a new start time is another process */
	return state == 'Z' || state == 'X' || (p->starttime && st != p->starttime);
}

static void retire_entry_memory(struct fc_shared *s, struct fc_proc *p)
{
	s->mem_used -= p->mem_used < s->mem_used ? p->mem_used : s->mem_used;
	p->mem_used = 0;
	p->ctx_mem = 0;
	p->state = FC_PROC_EXITED;
}

void fc_reclaim_locked(struct fc_shared *s)
{
	pid_t self = getpid();

	for (int i = 0; i < FC_MAX_PROCS; i++) {
		struct fc_proc *p = &s->procs[i];

		if (p->state == FC_PROC_LIVE && p->pid != self && proc_dead(p))
			retire_entry_memory(s, p);
	}
}

int fc_proc_attach_locked(struct fc_shared *s, pid_t pid, uint64_t starttime)
{
	int free_idx = -1, oldest = -1;

	fc_reclaim_locked(s);
	for (int i = 0; i < FC_MAX_PROCS; i++) {
		struct fc_proc *p = &s->procs[i];

		if (p->state == FC_PROC_LIVE && p->pid == pid) {
			/*
			 * Same pid: an earlier image of this process (it exec'd,
			 * which closes the device) or a dead one whose pid we got.
			 * Either way what it held is gone.
			 */
			retire_entry_memory(s, p);
			if (p->starttime == starttime) {
				p->state = FC_PROC_LIVE;
				p->seq = ++s->seq;
				return i;
			}
		}
		if (p->state == FC_PROC_FREE && free_idx < 0)
			free_idx = i;
		if (p->state == FC_PROC_EXITED &&
		    (oldest < 0 || p->seq < s->procs[oldest].seq))
			oldest = i;
	}
	if (free_idx < 0) {
		if (oldest < 0) {
			fprintf(stderr, "fakecuda: more than %d processes use the simulated GPU\n",
				FC_MAX_PROCS);
			return -ENOSPC;
		}
		free_idx = oldest;
		s->retired_busy_ns += s->procs[oldest].busy_ns;
		s->retired_launches += s->procs[oldest].launches;
	}
	s->procs[free_idx] = (struct fc_proc){
		.pid = pid,
		.state = FC_PROC_LIVE,
		.starttime = starttime,
		.seq = ++s->seq,
	};
	return free_idx;
}

int fc_charge_locked(struct fc_shared *s, int idx, uint64_t bytes, bool ctx)
{
	struct fc_proc *p = &s->procs[idx];

	if (bytes > s->params.memory - s->mem_used) {
		fc_reclaim_locked(s);
		if (bytes > s->params.memory - s->mem_used)
			return -ENOMEM;
	}
	s->mem_used += bytes;
	p->mem_used += bytes;
	if (ctx)
		p->ctx_mem += bytes;
	return 0;
}

void fc_uncharge_locked(struct fc_shared *s, int idx, uint64_t bytes, bool ctx)
{
	struct fc_proc *p = &s->procs[idx];

	/* an entry reclaimed while we ran (it cannot be: we are alive) stays sane */
	if (bytes > p->mem_used)
		bytes = p->mem_used;
	p->mem_used -= bytes;
	s->mem_used -= bytes <= s->mem_used ? bytes : s->mem_used;
	if (ctx)
		p->ctx_mem -= bytes <= p->ctx_mem ? bytes : p->ctx_mem;
}

uint64_t fc_gpu_run_locked(struct fc_shared *s, int idx, uint64_t earliest,
			   const uint64_t *dur_ns, size_t n)
{
	struct fc_proc *p = &s->procs[idx];
	uint64_t t = fc_now_ns();

	if (t < earliest)
		t = earliest;
	if (t < s->gpu_free_at)
		t = s->gpu_free_at;
	for (size_t i = 0; i < n; i++) {
		t += dur_ns[i];
		p->busy_ns += dur_ns[i];
		p->launches++;
	}
	s->gpu_free_at = t;
	return t;
}

void fc_totals_locked(const struct fc_shared *s, pid_t pid, struct fc_totals *t)
{
	*t = (struct fc_totals){ 0 };
	if (pid == 0) {
		t->busy_ns = s->retired_busy_ns;
		t->launches = s->retired_launches;
	}
	for (int i = 0; i < FC_MAX_PROCS; i++) {
		const struct fc_proc *p = &s->procs[i];

		if (p->state == FC_PROC_FREE || (pid && p->pid != pid))
			continue;
		t->busy_ns += p->busy_ns;
		t->launches += p->launches;
		t->mem_used += p->mem_used;
	}
}
