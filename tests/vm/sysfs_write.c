// SPDX-License-Identifier: GPL-2.0-only
/*
 * sysfs_write [-n] PATH VALUE: open PATH for writing and write VALUE and a
 * newline (none with -n) in one write(2), as `echo VALUE > PATH` does, then
 * print "errno=N TEXT" for what open or write returned.  Exit status: that
 * errno, 0 on success, 255 for a usage error or a short write.
 *
 * sysfs hands one write to one store call, so the errno is the store's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int report(int err)
{
	printf("errno=%d %s\n", err, err ? strerror(err) : "Success");
	return err < 255 ? err : 255;
}

int main(int argc, char **argv)
{
	int newline = 1, fd, err;
	size_t len;
	ssize_t n;
	char *buf;

	if (argc > 1 && !strcmp(argv[1], "-n")) {
		newline = 0;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: sysfs_write [-n] PATH VALUE\n");
		return 255;
	}
	len = strlen(argv[2]);
	buf = malloc(len + 2);
	if (!buf) {
		fprintf(stderr, "sysfs_write: out of memory\n");
		return 255;
	}
	memcpy(buf, argv[2], len);
	if (newline)
		buf[len++] = '\n';

	fd = open(argv[1], O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(buf);
		return report(err);
	}
	n = write(fd, buf, len);
	err = n < 0 ? errno : 0;
	free(buf);
	if (close(fd) && !err)
		err = errno;
	if (!err && (size_t)n != len) {
		printf("short write: %zd of %zu bytes\n", n, len);
		return 255;
	}
	return report(err);
}
