// SPDX-License-Identifier: GPL-2.0-only
/*
 * Configuration from the environment: each malformed value gives a clear
 * message naming the variable, and the process does not start unenforced:
 * cuInit fails (CUDA_ERROR_INVALID_VALUE) and every later call fails the
 * same way.  HAMi-core's variables are honoured, VGPU_* ones win, and a
 * slice registered with other settings is refused.
 */
#include <fcntl.h>

#include "lt.h"

struct bad {
	const char *var;
	const char *value;
	const char *var2;	/* an accompanying valid variable, or NULL */
	const char *value2;
	const char *says;	/* must appear in the message */
};

static const struct bad bad[] = {
	{ "VGPU_MEMORY_LIMIT", "abc", NULL, NULL, "not a size" },
	{ "VGPU_MEMORY_LIMIT", "0", NULL, NULL, "zero" },
	{ "VGPU_MEMORY_LIMIT", "12x", NULL, NULL, "not a size" },
	{ "VGPU_MEMORY_LIMIT", "99999999999t", NULL, NULL, "too large" },
	{ "VGPU_MEMORY_LIMIT", "-5g", NULL, NULL, "not a size" },
	{ "VGPU_MEMORY_LIMIT_0", "4 g", NULL, NULL, "not a size" },
	{ "CUDA_DEVICE_MEMORY_LIMIT", "1q", NULL, NULL, "not a size" },
	{ "CUDA_DEVICE_MEMORY_LIMIT_0", "", NULL, NULL, "not a size" },
	{ "CUDA_DEVICE_SM_LIMIT", "101", NULL, NULL, "percentage" },
	{ "CUDA_DEVICE_SM_LIMIT_0", "-1", NULL, NULL, "percentage" },
	{ "VGPU_SHARE", "150", NULL, NULL, "out of range" },
	{ "VGPU_SHARE", "0", NULL, NULL, "out of range" },
	{ "VGPU_SHARE", "abc", NULL, NULL, "percentage" },
	{ "VGPU_SHARE", "12.55", NULL, NULL, "percentage" },
	{ "VGPU_CAP", "20", "VGPU_SHARE", "30", "below the share" },
	{ "VGPU_PRIORITY", "8", NULL, NULL, "priority" },
	{ "VGPU_TIMESLICE_MS", "0", NULL, NULL, "time slice" },
	{ "VGPU_TIMESLICE_MS", "500", NULL, NULL, "time slice" },
	{ "VGPU_POLICY", "fast", NULL, NULL, "not a policy" },
	{ "VGPU_PERIOD_MS", "5", NULL, NULL, "period" },
	{ "VGPU_MEMORY_MODE", "medium", NULL, NULL, "memory mode" },
	{ "VGPU_COUNT_CONTEXT", "maybe", NULL, NULL, "0 or 1" },
	{ "VGPU_BACKEND", "gpu", NULL, NULL, "not a backend" },
	{ "VGPU_SHM", "noslash", NULL, NULL, "shared-memory name" },
	{ "VGPU_SHM", "/a/b", NULL, NULL, "shared-memory name" },
	{ "VGPU_SHM_MODE", "0999", NULL, NULL, "octal" },
	{ "VGPU_SHM_MODE", "0400", NULL, NULL, "owner" },
	{ "VGPU_SHM_GROUP", "no-such-group-here", NULL, NULL, "group" },
	{ "VGPU_LOG_LEVEL", "9", NULL, NULL, "log level" },
	{ "VGPU_SLICE", "", NULL, NULL, "empty" },
	{ "VGPU_MEMORY_LIMT", "1g", NULL, NULL, "unknown variable" },
};

/* Run @fn in a child with @env set; its stderr comes back in @msg. */
static int in_child(const char *const *env, int (*fn)(void), char *msg, size_t len)
{
	int fds[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	fflush(stdout);
	pid = lt_fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		for (int i = 0; env && env[i]; i += 2)
			setenv(env[i], env[i + 1], 1);
		exit(fn());
	}
	close(fds[1]);
	while (got < len - 1 && (n = read(fds[0], msg + got, len - 1 - got)) > 0)
		got += (size_t)n;
	msg[got] = '\0';
	close(fds[0]);
	status = lt_wait(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

/* cuInit fails with INVALID_VALUE, for good. */
static int refused(void)
{
	CUdeviceptr p;
	CUcontext c;

	if (cuInit(0) != CUDA_ERROR_INVALID_VALUE)
		return 1;
	if (cuInit(0) != CUDA_ERROR_INVALID_VALUE)
		return 2;
	if (cuMemAlloc(&p, 1) != CUDA_ERROR_INVALID_VALUE)
		return 3;
	if (cuCtxCreate(&c, NULL, 0, 0) != CUDA_ERROR_INVALID_VALUE)
		return 4;
	if (cuDevicePrimaryCtxRetain(&c, 0) != CUDA_ERROR_INVALID_VALUE)
		return 5;
	return 0;
}

static size_t g_expect_total;

static int total_is(void)
{
	CUcontext c;
	size_t fr, total;

	if (cuInit(0) || cuCtxCreate(&c, NULL, 0, 0) || cuMemGetInfo(&fr, &total))
		return 1;
	return total == g_expect_total ? 0 : 2;
}

static int init_fails_other(void)
{
	return cuInit(0) == CUDA_ERROR_INVALID_VALUE ? 0 : 1;
}

static int hami_sm(void)
{
	struct vgpu_slice *s = lt_slice(16 * GiB);
	VGPU_OPTS(vgpu_info, in);
	int r = 0;

	if (vgpu_slice_info(s, &in))
		r = 1;
	else if (!lt_kernel())	/* else: the operator's values */
		r = in.weight == 250 && in.cap == 250 ? 0 : 2;
	vgpu_slice_close(s);
	return r;
}

int main(void)
{
	char msg[4096];
	int r;

	lt_setup("env", "1g", NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		const char *env[] = { b->var, b->value, b->var2, b->value2, NULL };

		if (!b->var2)
			env[2] = NULL;
		r = in_child(env, refused, msg, sizeof(msg));
		if (r || !strstr(msg, b->var) || !strstr(msg, b->says)) {
			fprintf(stderr, "%s='%s': exit %d, message: %s\n", b->var, b->value, r, msg);
			return 1;
		}
		if (i == 0)
			printf("  e.g. %s", msg);
	}
	printf("test_env: %zu malformed settings refused with a message naming them\n",
	       sizeof(bad) / sizeof(bad[0]));

	/* HAMi-core's contract: sizes with suffixes, per device, VGPU_ wins */
	{
		const char *e1[] = { "CUDA_DEVICE_MEMORY_LIMIT", "48m", NULL };
		const char *e2[] = { "CUDA_DEVICE_MEMORY_LIMIT", "48m", "CUDA_DEVICE_MEMORY_LIMIT_0",
				     "40m", NULL };
		const char *e3[] = { "CUDA_DEVICE_MEMORY_LIMIT", "48m", "VGPU_MEMORY_LIMIT",
				     "32MiB", NULL };
		const char *e4[] = { "CUDA_DEVICE_SM_LIMIT", "25", NULL };

		g_expect_total = 48 * MiB;
		CHECK_EQ(in_child(e1, total_is, msg, sizeof(msg)), 0);
		g_expect_total = 40 * MiB;
		CHECK_EQ(in_child(e2, total_is, msg, sizeof(msg)), 0);
		g_expect_total = 32 * MiB;
		CHECK_EQ(in_child(e3, total_is, msg, sizeof(msg)), 0);
		r = in_child(e4, hami_sm, msg, sizeof(msg));
		if (r) {
			fprintf(stderr, "CUDA_DEVICE_SM_LIMIT=25: exit %d: %s\n", r, msg);
			return 1;
		}
	}

	/* a slice registered with other settings is refused, with the reason */
	if (!lt_kernel()) {
		struct vgpu_slice *s;
		const char *e[] = { "VGPU_SLICE", "conflict", "VGPU_MEMORY_LIMIT", "20m", NULL };

		setenv("VGPU_SLICE", "conflict", 1);
		setenv("VGPU_MEMORY_LIMIT", "10m", 1);
		s = lt_slice(1 * GiB);
		r = in_child(e, init_fails_other, msg, sizeof(msg));
		if (r || !strstr(msg, "conflict") || !strstr(msg, "memory limit")) {
			fprintf(stderr, "conflicting slice: exit %d, message: %s\n", r, msg);
			return 1;
		}
		printf("  e.g. %s", msg);
		vgpu_slice_close(s);
	}
	return 0;
}
