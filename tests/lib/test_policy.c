// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the policy layer: sizes, percentages, the environment
 * (VGPU_*, HAMi-core's variables, per-device suffixes, precedence), and
 * the size convention of the API's structures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL %s:%d: %s: ", __func__, __LINE__, #cond);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

extern char **environ;

static void clean_env(void)
{
	char *names[256];
	int n = 0;

	for (char **e = environ; e && *e && n < 256; e++)
		if (!strncmp(*e, "VGPU_", 5) || !strncmp(*e, "CUDA_DEVICE_", 12))
			names[n++] = strndup(*e, (size_t)(strchr(*e, '=') - *e));
	for (int i = 0; i < n; i++) {
		unsetenv(names[i]);
		free(names[i]);
	}
}

static void t_sizes(void)
{
	static const struct { const char *s; int r; uint64_t v; } c[] = {
		{ "1", 0, 1 }, { "0", 0, 0 }, { "4k", 0, 4096 }, { "4K", 0, 4096 },
		{ "512m", 0, 512ULL << 20 }, { "2g", 0, 2ULL << 30 }, { "1t", 0, 1ULL << 40 },
		{ "4GiB", 0, 4ULL << 30 }, { "4GB", 0, 4ULL << 30 }, { "4096B", 0, 4096 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 }, { "17179869184g", -ERANGE, 0 },
		{ "", -EINVAL, 0 }, { " 4g", -EINVAL, 0 }, { "4g ", -EINVAL, 0 },
		{ "4.5g", -EINVAL, 0 }, { "-1", -EINVAL, 0 }, { "4x", -EINVAL, 0 },
		{ "g", -EINVAL, 0 }, { "4gg", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		uint64_t v = 0;
		int r = vgpu_parse_size(c[i].s, &v);

		CHECK(r == c[i].r && (r || v == c[i].v), "'%s': %d %llu", c[i].s, r,
		      (unsigned long long)v);
	}
}

static int env(struct vgpu_slice_policy *p, int dev, char *err)
{
	p->sz = sizeof(*p);
	return vgpu_policy_from_env(p, dev, err, 256);
}

static void t_env(void)
{
	struct vgpu_slice_policy p;
	char err[256];

	clean_env();
	CHECK(env(&p, 0, err) == 0, "%s", err);
	CHECK(p.set == 0 && p.weight == 1000 && p.cap == 0 && p.mem_limit == 0 &&
	      p.backend == VGPU_BACKEND_AUTO && p.shm_mode == 0600 && p.shm_gid == -1 &&
	      p.log_level == 1, "defaults");

	setenv("VGPU_SHARE", "12.5", 1);
	setenv("VGPU_CAP", "100", 1);
	CHECK(env(&p, 0, err) == 0 && p.weight == 125 && p.cap == 0, "share 12.5 %u %u",
	      p.weight, p.cap);
	setenv("VGPU_SHARE", "30%", 1);
	setenv("VGPU_CAP", "45", 1);
	CHECK(env(&p, 0, err) == 0 && p.weight == 300 && p.cap == 450 &&
	      (p.set & (VGPU_SET_WEIGHT | VGPU_SET_CAP)) == (VGPU_SET_WEIGHT | VGPU_SET_CAP),
	      "share 30%% cap 45");
	clean_env();

	/* HAMi-core: the SM limit is the share and the cap; 0 and 100: none */
	setenv("CUDA_DEVICE_SM_LIMIT", "40", 1);
	CHECK(env(&p, 0, err) == 0 && p.weight == 400 && p.cap == 400, "sm 40");
	setenv("VGPU_SHARE", "20", 1);
	CHECK(env(&p, 0, err) == 0 && p.weight == 200 && p.cap == 400, "sm 40 share 20");
	unsetenv("VGPU_SHARE");
	setenv("CUDA_DEVICE_SM_LIMIT", "0", 1);
	CHECK(env(&p, 0, err) == 0 && p.weight == 1000 && !p.cap && !p.set, "sm 0");
	setenv("CUDA_DEVICE_SM_LIMIT", "100", 1);
	CHECK(env(&p, 0, err) == 0 && p.weight == 1000 && !p.cap && !p.set, "sm 100");
	setenv("CUDA_DEVICE_SM_LIMIT_1", "10", 1);
	CHECK(env(&p, 1, err) == 0 && p.weight == 100, "sm_1 10 on device 1");
	CHECK(env(&p, 0, err) == 0 && p.weight == 1000, "sm_1 not on device 0");
	clean_env();

	/* per device; VGPU_ wins over HAMi's */
	setenv("VGPU_MEMORY_LIMIT", "1g", 1);
	setenv("VGPU_MEMORY_LIMIT_1", "2g", 1);
	CHECK(env(&p, 0, err) == 0 && p.mem_limit == 1ULL << 30, "device 0: 1g");
	CHECK(env(&p, 1, err) == 0 && p.mem_limit == 2ULL << 30, "device 1: 2g");
	CHECK(env(&p, -1, err) == 0 && p.mem_limit == 1ULL << 30, "no device: 1g");
	unsetenv("VGPU_MEMORY_LIMIT_1");
	setenv("CUDA_DEVICE_MEMORY_LIMIT_1", "3g", 1);
	CHECK(env(&p, 1, err) == 0 && p.mem_limit == 1ULL << 30, "VGPU_ wins");
	unsetenv("VGPU_MEMORY_LIMIT");
	CHECK(env(&p, 1, err) == 0 && p.mem_limit == 3ULL << 30, "HAMi per device");
	CHECK(env(&p, 0, err) == 0 && p.mem_limit == 0, "HAMi _1 not device 0");
	clean_env();

	setenv("VGPU_TIMESLICE_MS", "5", 1);
	setenv("VGPU_POLICY", "fixed_share", 1);
	setenv("VGPU_PERIOD_MS", "50", 1);
	setenv("VGPU_BACKEND", "kernel", 1);
	setenv("VGPU_SHM_MODE", "0660", 1);
	setenv("VGPU_SHM_GROUP", "root", 1);
	setenv("VGPU_LOG_LEVEL", "debug", 1);
	setenv("VGPU_COUNT_CONTEXT", "yes", 1);
	setenv("VGPU_MEMORY_MODE", "soft", 1);
	setenv("VGPU_PRIORITY", "7", 1);
	setenv("VGPU_SLICE", "team-a", 1);
	CHECK(env(&p, 0, err) == 0 && p.timeslice_us == 5000 && p.sched == VGPU_SCHED_FIXED_SHARE &&
	      p.period_us == 50000 && p.backend == VGPU_BACKEND_KERNEL && p.shm_mode == 0660 &&
	      p.shm_gid == 0 && p.log_level == 4 && p.count_context == 1 &&
	      p.mem_mode == VGPU_MEM_SOFT && p.priority == 7 && !strcmp(p.slice, "team-a"),
	      "all: %s", err);
	clean_env();

	/* suffixes only where per-device makes sense; typos are errors */
	setenv("VGPU_POLICY_0", "fixed-share", 1);
	CHECK(env(&p, 0, err) == -EINVAL && strstr(err, "VGPU_POLICY_0"), "%s", err);
	clean_env();
	setenv("VGPU_SHARE_x", "10", 1);
	CHECK(env(&p, 0, err) == -EINVAL && strstr(err, "VGPU_SHARE"), "%s", err);
	clean_env();
	setenv("VGPU_MEM_LIMIT", "1g", 1);
	CHECK(env(&p, 0, err) == -EINVAL && strstr(err, "did you mean VGPU_MEMORY_LIMIT"),
	      "%s", err);
	clean_env();
	setenv("VGPU_SHM_GRUP", "video", 1);
	CHECK(env(&p, 0, err) == -EINVAL && strstr(err, "VGPU_SHM_GROUP"), "%s", err);
	clean_env();
	setenv("VGPU_SHARES_1", "10", 1);
	CHECK(env(&p, 1, err) == -EINVAL && strstr(err, "VGPU_SHARE"), "%s", err);
	clean_env();
	/* not ours: a test harness's variables */
	setenv("VGPU_LABEL", "debug", 1);
	setenv("VGPU_KVER", "6.1", 1);
	setenv("VGPU_SHELL", "0", 1);
	setenv("VGPU_KMEMLEAK", "1", 1);
	setenv("VGPU_HAVE_MDEVCTL", "1", 1);
	setenv("VGPU_CASE_TIMEOUT", "60", 1);
	setenv("VGPU_DEBUG_KERNEL_DIR", "/x", 1);
	CHECK(env(&p, 0, err) == 0, "%s", err);
	clean_env();
	/* an error on another device's variable is still an error */
	setenv("VGPU_MEMORY_LIMIT_3", "lots", 1);
	CHECK(env(&p, 0, err) == -EINVAL && strstr(err, "VGPU_MEMORY_LIMIT_3"), "%s", err);
	clean_env();
}

/* A caller built against an older, smaller structure. */
static void t_sizes_of_structs(void)
{
	struct {
		struct vgpu_slice_policy p;
		char canary[64];
	} b;
	char err[256];
	size_t small = offsetof(struct vgpu_slice_policy, slice);

	clean_env();
	setenv("VGPU_SHARE", "50", 1);
	memset(&b, 0x5a, sizeof(b));
	b.p.sz = small;
	CHECK(vgpu_policy_from_env(&b.p, 0, err, sizeof(err)) == 0, "%s", err);
	CHECK(b.p.sz == small && b.p.set == VGPU_SET_WEIGHT, "small struct");
	CHECK(((unsigned char *)&b.p)[small] == 0x5a, "wrote past sz");
	clean_env();
}

static void t_helpers(void)
{
	char buf[256];

	CHECK(vgpu_looks_like_uuid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), "uuid");
	CHECK(!vgpu_looks_like_uuid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f"), "short");
	CHECK(!vgpu_looks_like_uuid("0f1e2d3c04b5a-6978-8796-a5b4c3d2e1f0"), "dash");
	CHECK(!vgpu_looks_like_uuid("team-a"), "name");
	CHECK(vgpu_default_slice_name(buf, sizeof(buf)) == 0 &&
	      (!strncmp(buf, "cg:", 3) || !strncmp(buf, "uid:", 4)), "default name %s", buf);
	CHECK(!strcmp(vgpu_backend_name(VGPU_BACKEND_SHM), "shm"), "name");
}

int main(void)
{
	t_sizes();
	t_env();
	t_sizes_of_structs();
	t_helpers();
	if (failures)
		return 1;
	printf("test_policy: sizes, percentages, environment and precedence\n");
	return 0;
}
