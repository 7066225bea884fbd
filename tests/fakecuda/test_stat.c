// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda test: fakecuda-stat prints each process's GPU time, launches
 * and memory, and the totals, for the current FAKECUDA_SHM.
 */
#include <limits.h>
#include <signal.h>

#include "fc_test.h"

static char stat_bin[PATH_MAX];

/* $FAKECUDA_STAT_BIN, else build/fakecuda/fakecuda-stat beside build/tests/fakecuda/. */
static void find_stat(void)
{
	const char *env = getenv("FAKECUDA_STAT_BIN");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env) {
		snprintf(stat_bin, sizeof(stat_bin), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = '\0';
	for (int i = 0; i < 3; i++) {	/* strip test_stat, fakecuda, tests */
		slash = strrchr(self, '/');
		CHECK(slash);
		*slash = '\0';
	}
	CHECK(strlen(self) + sizeof("/fakecuda/fakecuda-stat") <= sizeof(stat_bin));
	strcpy(stat_bin, self);
	strcat(stat_bin, "/fakecuda/fakecuda-stat");
}

struct line {
	long long pid;
	unsigned long long busy, launches, mem;
	char state[16];
};

/* Run fakecuda-stat; fill @lines (pid -1: the total line); exit status. */
static int run_stat(struct line *lines, int max, int *count)
{
	char buf[256];
	FILE *f;
	int st;

	*count = 0;
	f = popen(stat_bin, "r");
	CHECK(f);
	while (fgets(buf, sizeof(buf), f)) {
		struct line *l = &lines[*count];

		CHECK(*count < max);
		if (!strncmp(buf, "total\t", 6)) {
			l->pid = -1;
			CHECK(sscanf(buf + 6, "%llu\t%llu\t%llu\n", &l->busy, &l->launches,
				     &l->mem) == 3);
		} else {
			CHECK(sscanf(buf, "%lld\t%llu\t%llu\t%llu\t%15s\n", &l->pid, &l->busy,
				     &l->launches, &l->mem, l->state) == 5);
		}
		(*count)++;
	}
	st = pclose(f);
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static const struct line *find(const struct line *lines, int n, long long pid)
{
	for (int i = 0; i < n; i++)
		if (lines[i].pid == pid)
			return &lines[i];
	return NULL;
}

int main(void)
{
	struct line lines[16];
	const struct line *me, *child, *tot;
	CUfunction fn;
	CUdeviceptr p;
	int n, up[2];
	pid_t pid;

	find_stat();
	fct_setup("stat", "1g", NULL);
	/* no state yet: a clear failure */
	CHECK_EQ(run_stat(lines, 16, &n), 1);
	CHECK_EQ(n, 0);

	fct_context(&fn);
	OK(cuMemAlloc(&p, 5 * MiB));
	OK(fct_launch(fn, NULL, 2 * MS));
	OK(fct_launch(fn, NULL, 3 * MS));

	CHECK(pipe(up) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CUdeviceptr q;

		fct_context(&fn);
		if (cuMemAlloc(&q, 7 * MiB) || fct_launch(fn, NULL, 11 * MS) ||
		    cuCtxSynchronize())
			_exit(2);
		fct_put(up[1], 1);
		pause();
		_exit(0);
	}
	CHECK_EQ(fct_get(up[0]), 1);

	CHECK_EQ(run_stat(lines, 16, &n), 0);
	CHECK_EQ(n, 3);
	me = find(lines, n, getpid());
	child = find(lines, n, pid);
	tot = find(lines, n, -1);
	CHECK(me && child && tot);
	CHECK_EQ(me->busy, 5 * MS);
	CHECK_EQ(me->launches, 2);
	CHECK_EQ(me->mem, 5 * MiB);
	CHECK(!strcmp(me->state, "live"));
	CHECK_EQ(child->busy, 11 * MS);
	CHECK_EQ(child->mem, 7 * MiB);
	CHECK_EQ(tot->busy, 16 * MS);
	CHECK_EQ(tot->launches, 3);
	CHECK_EQ(tot->mem, 12 * MiB);

	/* a dead process keeps its GPU time; its memory is gone */
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, NULL, 0) == pid);
	CHECK_EQ(run_stat(lines, 16, &n), 0);
	child = find(lines, n, pid);
	tot = find(lines, n, -1);
	CHECK(child && tot);
	CHECK(!strcmp(child->state, "exited"));
	CHECK_EQ(child->busy, 11 * MS);
	CHECK_EQ(child->mem, 0);
	CHECK_EQ(tot->busy, 16 * MS);
	CHECK_EQ(tot->mem, 5 * MiB);
	OK(cuMemFree(p));
	return 0;
}
