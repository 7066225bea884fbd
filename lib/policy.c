// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Policy: the operator's intent, from the environment, into the mechanism's
 * parameters.
 *
 * Variables (a _<i> suffix gives the value for CUDA device <i> and wins over
 * the plain name for that device, for those marked per-device):
 *
 *   VGPU_BACKEND        auto | kernel | shm
 *   VGPU_SLICE*         UUID or /dev/vgpu/<uuid> (kernel), name (shm)
 *   VGPU_MEMORY_LIMIT*  size: digits with k/m/g/t (powers of 1024)
 *   VGPU_MEMORY_MODE*   hard | soft
 *   VGPU_COUNT_CONTEXT  0 | 1: the context's own memory counts
 *   VGPU_SHARE*         percent of the GPU (0.1..100): weight, thousandths
 *   VGPU_CAP*           percent (0.1..100), 100: none
 *   VGPU_PRIORITY*      0..7
 *   VGPU_TIMESLICE_MS*  1..100
 *   VGPU_POLICY         best-effort | equal-share | fixed-share (shm region)
 *   VGPU_PERIOD_MS      10..10000 (shm region)
 *   VGPU_SHM*           shm region name, "/name"
 *   VGPU_SHM_MODE       octal permission bits of a new region (0600)
 *   VGPU_SHM_GROUP      group (name or number) of a new region
 *   VGPU_LOG_LEVEL      0..4 or none, error, warn, info, debug
 *
 * HAMi-core's contract, so that libvgpu can replace it where clusters inject
 * it: CUDA_DEVICE_MEMORY_LIMIT[_<i>] (a size, as above) and
 * CUDA_DEVICE_SM_LIMIT[_<i>] (integer percent 0..100; 0 and 100 mean no
 * limit) giving the weight and the cap.  VGPU_* variables win over them.
 *
 * A VGPU_ variable that is none of these but close to one (a typo such as
 * VGPU_MEMORY_LIMT or VGPU_MEM_LIMIT) is an error: it would otherwise leave
 * a process unenforced.  Others (VGPU_LABEL of a test harness, say) are not
 * ours and are left alone.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

#define PERCENT_HELP "a percentage from 0.1 to 100 (e.g. 25 or 12.5)"

VGPU_EXPORT void vgpu_policy_init(struct vgpu_slice_policy *p)
{
	struct vgpu_slice_policy d = {
		.sz = sizeof(d),
		.backend = VGPU_BACKEND_AUTO,
		.mem_mode = VGPU_MEM_HARD,
		.weight = VGPU_WEIGHT_MAX,
		.shm_mode = 0600,
		.shm_gid = -1,
		.log_level = VLOG_ERR,
	};
	size_t n = p->sz && p->sz < sizeof(d) ? p->sz : sizeof(d);

	memcpy(p, &d, n);
	p->sz = n;
}

VGPU_EXPORT int vgpu_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long x;
	unsigned int shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	/* "4G", "4GiB", "4GB", "4096B" */
	if (shift && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	if (shift && x > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)x << shift;
	return 0;
}

/* ---- the variables ---- */

enum var_kind {
	V_BACKEND, V_SLICE, V_MEM_LIMIT, V_MEM_MODE, V_COUNT_CONTEXT, V_SHARE,
	V_CAP, V_PRIORITY, V_TIMESLICE, V_POLICY, V_PERIOD, V_SHM, V_SHM_MODE,
	V_SHM_GROUP, V_LOG_LEVEL, V_HAMI_MEM, V_HAMI_SM,
};

struct var_def {
	const char *name;
	enum var_kind kind;
	bool per_device;
};

static const struct var_def vars[] = {
	{ "VGPU_BACKEND", V_BACKEND, false },
	{ "VGPU_SLICE", V_SLICE, true },
	{ "VGPU_MEMORY_LIMIT", V_MEM_LIMIT, true },
	{ "VGPU_MEMORY_MODE", V_MEM_MODE, true },
	{ "VGPU_COUNT_CONTEXT", V_COUNT_CONTEXT, false },
	{ "VGPU_SHARE", V_SHARE, true },
	{ "VGPU_CAP", V_CAP, true },
	{ "VGPU_PRIORITY", V_PRIORITY, true },
	{ "VGPU_TIMESLICE_MS", V_TIMESLICE, true },
	{ "VGPU_POLICY", V_POLICY, false },
	{ "VGPU_PERIOD_MS", V_PERIOD, false },
	{ "VGPU_SHM", V_SHM, true },
	{ "VGPU_SHM_MODE", V_SHM_MODE, false },
	{ "VGPU_SHM_GROUP", V_SHM_GROUP, false },
	{ "VGPU_LOG_LEVEL", V_LOG_LEVEL, false },
	{ "CUDA_DEVICE_MEMORY_LIMIT", V_HAMI_MEM, true },
	{ "CUDA_DEVICE_SM_LIMIT", V_HAMI_SM, true },
};

/* A parsed value */
struct val {
	u64 u;
	char s[VGPU_SLICE_NAME_MAX];
};

static int bad(char *err, size_t len, const char *var, const char *value,
	       const char *what)
{
	vgpu_errf(err, len, "%s: '%s' %s", var, value, what);
	return -EINVAL;
}

/* Fixed point with one decimal: "12.5" -> 125 thousandths of 100 %. */
static int parse_percent(const char *v, u64 *thousandths)
{
	u64 whole = 0, tenth = 0;
	const char *p = v;
	int digits = 0;

	while (isdigit((unsigned char)*p) && digits < 4) {
		whole = whole * 10 + (u64)(*p++ - '0');
		digits++;
	}
	if (!digits)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		tenth = (u64)(*p++ - '0');
		if (isdigit((unsigned char)*p))
			return -EINVAL;	/* finer than a thousandth */
	}
	if (*p == '%')
		p++;
	if (*p)
		return -EINVAL;
	*thousandths = whole * 10 + tenth;
	return 0;
}

static int parse_uint(const char *v, u64 min, u64 max, u64 *out)
{
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return -ERANGE;
	*out = x;
	return 0;
}

static int lookup(const char *v, const char *const *names, size_t n, u64 *out)
{
	for (size_t i = 0; i < n; i++) {
		if (names[i] && !strcasecmp(v, names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_var(const struct var_def *d, const char *var, const char *v,
		     struct val *out, char *err, size_t len)
{
	static const char *const backends[] = { "auto", "kernel", "shm" };
	static const char *const modes[] = { "hard", "soft" };
	static const char *const bools[] = { "0", "1", "no", "yes", "false", "true", "off", "on" };
	static const char *const scheds[] = { NULL, "best-effort", "equal-share", "fixed-share" };
	static const char *const scheds2[] = { NULL, "best_effort", "equal_share", "fixed_share" };
	static const char *const levels[] = { "none", "error", "warn", "info", "debug" };
	u64 x;
	int r;

	memset(out, 0, sizeof(*out));
	switch (d->kind) {
	case V_BACKEND:
		if (lookup(v, backends, ARRAY_SIZE(backends), &out->u))
			return bad(err, len, var, v, "is not a backend (auto, kernel or shm)");
		return 0;
	case V_SLICE:
		if (!*v)
			return bad(err, len, var, v, "is empty (a UUID, /dev/vgpu/<uuid> or a name)");
		if (strlen(v) >= VGPU_SLICE_NAME_MAX)
			return bad(err, len, var, v, "is longer than 255 characters");
		for (const char *p = v; *p; p++)
			if (!isprint((unsigned char)*p))
				return bad(err, len, var, v, "has a non-printable character");
		snprintf(out->s, sizeof(out->s), "%s", v);
		return 0;
	case V_MEM_LIMIT:
	case V_HAMI_MEM:
		r = vgpu_parse_size(v, &out->u);
		if (r == -ERANGE)
			return bad(err, len, var, v, "is too large");
		if (r)
			return bad(err, len, var, v,
				   "is not a size (digits with an optional k, m, g or t suffix, "
				   "powers of 1024: e.g. 4g or 512m)");
		if (!out->u)
			return bad(err, len, var, v, "is zero: a memory limit must be at least 1 byte");
		return 0;
	case V_MEM_MODE:
		if (lookup(v, modes, ARRAY_SIZE(modes), &out->u))
			return bad(err, len, var, v, "is not a memory mode (hard or soft)");
		return 0;
	case V_COUNT_CONTEXT:
		if (lookup(v, bools, ARRAY_SIZE(bools), &x))
			return bad(err, len, var, v, "is not 0 or 1");
		out->u = x & 1;
		return 0;
	case V_SHARE:
	case V_CAP:
		if (parse_percent(v, &out->u))
			return bad(err, len, var, v, "is not " PERCENT_HELP);
		if (!out->u || out->u > VGPU_WEIGHT_MAX)
			return bad(err, len, var, v, "is out of range: " PERCENT_HELP);
		return 0;
	case V_HAMI_SM:
		if (parse_uint(v, 0, 100, &out->u))
			return bad(err, len, var, v, "is not an integer percentage from 0 to 100");
		return 0;
	case V_PRIORITY:
		if (parse_uint(v, 0, VGPU_PRIORITY_MAX, &out->u))
			return bad(err, len, var, v, "is not a priority from 0 to 7");
		return 0;
	case V_TIMESLICE:
		if (parse_uint(v, VGPU_TIMESLICE_MIN_US / 1000, VGPU_TIMESLICE_MAX_US / 1000,
			       &out->u))
			return bad(err, len, var, v, "is not a time slice from 1 to 100 ms");
		return 0;
	case V_PERIOD:
		if (parse_uint(v, VGPU_PERIOD_MIN_US / 1000, VGPU_PERIOD_MAX_US / 1000, &out->u))
			return bad(err, len, var, v, "is not a period from 10 to 10000 ms");
		return 0;
	case V_POLICY:
		if (lookup(v, scheds, ARRAY_SIZE(scheds), &out->u) &&
		    lookup(v, scheds2, ARRAY_SIZE(scheds2), &out->u))
			return bad(err, len, var, v,
				   "is not a policy (best-effort, equal-share or fixed-share)");
		return 0;
	case V_SHM: {
		size_t n = strlen(v);

		if (n < 2 || v[0] != '/' || strchr(v + 1, '/'))
			return bad(err, len, var, v,
				   "is not a shared-memory name ('/' then a name without '/')");
		if (n > NAME_MAX)
			return bad(err, len, var, v, "is longer than NAME_MAX (255)");
		snprintf(out->s, sizeof(out->s), "%s", v);
		return 0;
	}
	case V_SHM_MODE: {
		char *end;

		errno = 0;
		x = strtoull(v, &end, 8);
		if (!*v || errno || *end || x > 0777)
			return bad(err, len, var, v, "is not octal permission bits (e.g. 0660)");
		if ((x & 0600) != 0600)
			return bad(err, len, var, v, "does not let the owner read and write");
		out->u = x;
		return 0;
	}
	case V_SHM_GROUP: {
		struct group gr, *res = NULL;
		char buf[4096];

		if (!parse_uint(v, 0, INT32_MAX, &out->u))
			return 0;
		if (getgrnam_r(v, &gr, buf, sizeof(buf), &res) || !res)
			return bad(err, len, var, v, "is not a group name or number");
		out->u = res->gr_gid;
		return 0;
	}
	case V_LOG_LEVEL:
		if (!parse_uint(v, 0, VLOG_DEBUG, &out->u))
			return 0;
		if (lookup(v, levels, ARRAY_SIZE(levels), &out->u))
			return bad(err, len, var, v,
				   "is not a log level (0..4, none, error, warn, info, debug)");
		return 0;
	}
	return -EINVAL;
}

/* The definition @name (NAME or NAME_<digits>) belongs to; *device: suffix */
static const struct var_def *find_def(const char *name, size_t n, int *device)
{
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		size_t k = strlen(vars[i].name);

		if (n < k || strncmp(name, vars[i].name, k))
			continue;
		if (n == k) {
			*device = -1;
			return &vars[i];
		}
		if (vars[i].per_device && name[k] == '_' && n > k + 1 && n - k - 1 <= 3) {
			bool digits = true;

			for (size_t j = k + 1; j < n; j++)
				digits = digits && isdigit((unsigned char)name[j]);
			if (digits) {
				*device = atoi(name + k + 1);
				return &vars[i];
			}
		}
	}
	return NULL;
}

/* Edit distance between two short names (insert, delete, substitute). */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[64], i, j;

	if (na >= ARRAY_SIZE(row) || nb >= ARRAY_SIZE(row))
		return SIZE_MAX;
	for (j = 0; j <= nb; j++)
		row[j] = j;
	for (i = 1; i <= na; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= nb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[nb];
}

/* The known variable an unknown VGPU_ name looks like a typo of, or NULL. */
static const char *typo_of(const char *name, size_t n)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX;

	/* a per-device suffix does not make it another name */
	while (n > 5 && isdigit((unsigned char)name[n - 1]))
		n--;
	if (n > 5 && name[n - 1] == '_')
		n--;
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
		size_t k = strlen(vars[i].name), d, limit;

		if (strncmp(vars[i].name, "VGPU_", 5))
			continue;
		d = distance(name + 5, n - 5, vars[i].name + 5, k - 5);
		limit = (k - 5) / 4 > 2 ? (k - 5) / 4 : 2;
		if (d <= limit && d < bestd) {
			best = vars[i].name;
			bestd = d;
		}
	}
	return best;
}

/* Validate every VGPU_ and known HAMi variable of the environment. */
static int check_environ(char *err, size_t len)
{
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		const struct var_def *d;
		struct val v;
		char name[128];
		size_t n;
		int dev;

		if (!eq)
			continue;
		n = (size_t)(eq - *e);
		d = find_def(*e, n, &dev);
		if (!d) {
			const char *like = n > 5 && !strncmp(*e, "VGPU_", 5) ? typo_of(*e, n) : NULL;

			if (like) {
				vgpu_errf(err, len, "%.*s: unknown variable; did you mean %s? (a "
					  "misspelt setting would go unenforced)", (int)n, *e, like);
				return -EINVAL;
			}
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(n < 100 ? n : 100), *e);
		if (parse_var(d, name, eq + 1, &v, err, len))
			return -EINVAL;
	}
	return 0;
}

/* The value of @base for @device: NAME_<device>, else NAME. */
static const char *get(const char *base, int device, char *used, size_t usedlen)
{
	const struct var_def *d = NULL;
	const char *v;
	int dummy;

	d = find_def(base, strlen(base), &dummy);
	if (d && d->per_device && device >= 0) {
		snprintf(used, usedlen, "%s_%d", base, device);
		v = getenv(used);
		if (v)
			return v;
	}
	snprintf(used, usedlen, "%s", base);
	return getenv(base);
}

static int fetch(const char *base, int device, struct val *out, char *err, size_t len)
{
	char name[128];
	const char *v = get(base, device, name, sizeof(name));
	const struct var_def *d;
	int dummy;

	if (!v)
		return 1;
	d = find_def(base, strlen(base), &dummy);
	return parse_var(d, name, v, out, err, len) ? -EINVAL : 0;
}

VGPU_EXPORT int vgpu_policy_from_env(struct vgpu_slice_policy *user, int device,
				     char *err, size_t len)
{
	struct vgpu_slice_policy p = { .sz = sizeof(p) };
	struct val v;
	bool hami_sm = false;
	u64 hami_pct = 0;
	int r;

	if (!user)
		return -EINVAL;
	vgpu_policy_init(&p);
	if (err && len)
		err[0] = '\0';
	r = check_environ(err, len);
	if (r)
		return r;

#define FETCH(base) (r = fetch(base, device, &v, err, len)) < 0 ? -EINVAL : r == 0
	if ((r = FETCH("VGPU_LOG_LEVEL")) < 0) return r;
	if (r) { p.log_level = (int32_t)v.u; p.set |= VGPU_SET_LOG_LEVEL; }
	if ((r = FETCH("VGPU_BACKEND")) < 0) return r;
	if (r) { p.backend = (u32)v.u; p.set |= VGPU_SET_BACKEND; }
	if ((r = FETCH("VGPU_SLICE")) < 0) return r;
	if (r) { snprintf(p.slice, sizeof(p.slice), "%s", v.s); p.set |= VGPU_SET_SLICE; }
	if ((r = FETCH("CUDA_DEVICE_MEMORY_LIMIT")) < 0) return r;
	if (r) { p.mem_limit = v.u; p.set |= VGPU_SET_MEM_LIMIT; }
	if ((r = FETCH("VGPU_MEMORY_LIMIT")) < 0) return r;
	if (r) { p.mem_limit = v.u; p.set |= VGPU_SET_MEM_LIMIT; }
	if ((r = FETCH("VGPU_MEMORY_MODE")) < 0) return r;
	if (r) { p.mem_mode = (u32)v.u; p.set |= VGPU_SET_MEM_MODE; }
	if ((r = FETCH("VGPU_COUNT_CONTEXT")) < 0) return r;
	if (r) { p.count_context = (u32)v.u; p.set |= VGPU_SET_COUNT_CONTEXT; }
	if ((r = FETCH("CUDA_DEVICE_SM_LIMIT")) < 0) return r;
	if (r && v.u && v.u < 100) {
		hami_sm = true;
		hami_pct = v.u;
		p.weight = (u32)(v.u * 10);
		p.cap = (u32)(v.u * 10);
		p.set |= VGPU_SET_WEIGHT | VGPU_SET_CAP;
	}
	if ((r = FETCH("VGPU_SHARE")) < 0) return r;
	if (r) {
		p.weight = (u32)v.u;
		p.set |= VGPU_SET_WEIGHT;
		if (hami_sm)	/* VGPU_SHARE wins; the SM limit stays a cap */
			p.cap = p.cap < p.weight ? p.weight : p.cap;
	}
	if ((r = FETCH("VGPU_CAP")) < 0) return r;
	if (r) {
		p.cap = v.u >= VGPU_WEIGHT_MAX ? 0 : (u32)v.u;
		p.set |= VGPU_SET_CAP;
	}
	if (p.cap && p.cap < p.weight) {
		vgpu_errf(err, len, "VGPU_CAP (%u.%u%%) is below the share (%u.%u%%%s): a cap "
			  "must be at least the share", p.cap / 10, p.cap % 10, p.weight / 10,
			  p.weight % 10, hami_sm && !(p.set & VGPU_SET_WEIGHT) ?
			  ", from CUDA_DEVICE_SM_LIMIT" : "");
		return -EINVAL;
	}
	(void)hami_pct;
	if ((r = FETCH("VGPU_PRIORITY")) < 0) return r;
	if (r) { p.priority = (u32)v.u; p.set |= VGPU_SET_PRIORITY; }
	if ((r = FETCH("VGPU_TIMESLICE_MS")) < 0) return r;
	if (r) { p.timeslice_us = (u32)v.u * 1000; p.set |= VGPU_SET_TIMESLICE; }
	if ((r = FETCH("VGPU_POLICY")) < 0) return r;
	if (r) { p.sched = (u32)v.u; p.set |= VGPU_SET_SCHED; }
	if ((r = FETCH("VGPU_PERIOD_MS")) < 0) return r;
	if (r) { p.period_us = (u32)v.u * 1000; p.set |= VGPU_SET_PERIOD; }
	if ((r = FETCH("VGPU_SHM")) < 0) return r;
	if (r) { snprintf(p.shm_name, sizeof(p.shm_name), "%s", v.s); p.set |= VGPU_SET_SHM; }
	if ((r = FETCH("VGPU_SHM_MODE")) < 0) return r;
	if (r) { p.shm_mode = (u32)v.u; p.set |= VGPU_SET_SHM_MODE; }
	if ((r = FETCH("VGPU_SHM_GROUP")) < 0) return r;
	if (r) { p.shm_gid = (int32_t)v.u; p.set |= VGPU_SET_SHM_GROUP; }
#undef FETCH

	{
		size_t n = user->sz && user->sz < sizeof(p) ? user->sz : sizeof(p);

		memcpy(user, &p, n);
		user->sz = n;
	}
	return 0;
}

/* ---- helpers for the backends ---- */

bool vgpu_looks_like_uuid(const char *s)
{
	static const int dash[] = { 8, 13, 18, 23 };
	size_t n = strlen(s);

	if (n != 36)
		return false;
	for (size_t i = 0, d = 0; i < n; i++) {
		if (d < ARRAY_SIZE(dash) && (int)i == dash[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/*
 * The cgroup of this process, so that all processes of a container share a
 * slice by default: "cg:<path>" (v2, or v1's memory controller), else
 * "uid:<uid>".  Long paths keep their tail and a hash of the whole.
 */
int vgpu_default_slice_name(char *buf, size_t len)
{
	char line[1024], best[1024] = "";
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *p1 = strchr(line, ':'), *p2 = p1 ? strchr(p1 + 1, ':') : NULL;
			size_t n;

			if (!p2)
				continue;
			n = strlen(p2 + 1);
			if (n && p2[n] == '\n')
				p2[n] = '\0';
			/* v2 ("0::/path") wins; else the memory controller's */
			if (!strncmp(line, "0::", 3)) {
				snprintf(best, sizeof(best), "%s", p2 + 1);
				break;
			}
			if (strstr(p1, ":memory:") == p1 || !best[0])
				snprintf(best, sizeof(best), "%s", p2 + 1);
		}
		fclose(f);
	}
	if (!best[0]) {
		snprintf(buf, len, "uid:%u", (unsigned int)getuid());
		return 0;
	}
	if (strlen(best) + 3 < len && strlen(best) < 120) {
		snprintf(buf, len, "cg:%s", best);
	} else {
		u64 h = 1469598103934665603ULL;	/* FNV-1a */
		size_t n = strlen(best);

		for (size_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)best[i]) * 1099511628211ULL;
		snprintf(buf, len, "cg:%016llx:%s", (unsigned long long)h, best + n - 80);
	}
	return 0;
}
