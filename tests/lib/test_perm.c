// SPDX-License-Identifier: GPL-2.0-only
/*
 * A region of another user, or not a region at all, gives a clear error
 * (naming the region and its owner), never a crash and never an
 * unenforced process.  The other-user case needs root (a child drops to
 * uid 65534); without root it is skipped, saying so.
 */
#include <fcntl.h>
#include <grp.h>

#include "lt.h"

static int capture(int (*fn)(void), char *msg, size_t len)
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

static char region[160];

static int as_nobody(void)
{
	char err[1024], fc[96];
	struct vgpu_slice *s = NULL;
	VGPU_OPTS(vgpu_open_opts, o, .gpu_memory = GiB, .errbuf = err, .errlen = sizeof(err));
	int e;

	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return 10;
	/* the API: -EACCES and why */
	e = vgpu_slice_open(NULL, &o, &s);
	if (e != -EACCES)
		return 11;
	fprintf(stderr, "%s\n", err);
	/* CUDA: cuInit fails, for good (our own simulated GPU: root's is not ours) */
	snprintf(fc, sizeof(fc), "/lt-fc-perm-nobody-%d", (int)getpid());
	setenv("FAKECUDA_SHM", fc, 1);
	e = cuInit(0) == CUDA_ERROR_OPERATING_SYSTEM && cuInit(0) == CUDA_ERROR_OPERATING_SYSTEM ?
	    0 : 12;
	fakecuda_shm_unlink();
	return e;
}

static int open_junk(void)
{
	char err[1024];
	struct vgpu_slice *s = NULL;
	VGPU_OPTS(vgpu_open_opts, o, .gpu_memory = GiB, .errbuf = err, .errlen = sizeof(err));
	int e = vgpu_slice_open(NULL, &o, &s);

	fprintf(stderr, "%s\n", err);
	return e == -EPROTO ? 0 : 1;
}

int main(void)
{
	char msg[4096];
	struct vgpu_slice *s;
	int fd, r;

	if (lt_kernel()) {
		printf("test_perm: shm regions only: skipped on the kernel backend\n");
		return 0;
	}
	lt_setup("perm", "1g", NULL);
	snprintf(region, sizeof(region), "%s", getenv("VGPU_SHM"));

	/* something else under our name: refused, not reinterpreted */
	fd = shm_open(region, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, "not a vgpu region, just bytes", 29) == 29);
	close(fd);
	r = capture(open_junk, msg, sizeof(msg));
	if (r || !strstr(msg, region) || !strstr(msg, "remove")) {
		fprintf(stderr, "junk region: exit %d: %s\n", r, msg);
		return 1;
	}
	printf("  e.g. %s", msg);
	shm_unlink(region);

	if (geteuid() != 0) {
		printf("test_perm: another user's region: SKIPPED (needs root to switch users)\n");
		return 0;
	}
	s = lt_slice(1 * GiB);	/* root creates the region, mode 0600 */
	r = capture(as_nobody, msg, sizeof(msg));
	if (r || !strstr(msg, region) || !strstr(msg, "root") ||
	    !strstr(msg, "Permission denied")) {
		fprintf(stderr, "region of another user: exit %d: %s\n", r, msg);
		return 1;
	}
	printf("  e.g. %s", strchr(msg, '\n') ? strchr(msg, '\n') + 1 : msg);
	vgpu_slice_close(s);
	printf("test_perm: another user's region and a foreign object refused with the reason\n");
	return 0;
}
