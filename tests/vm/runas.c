// SPDX-License-Identifier: GPL-2.0-only
/*
 * runas UID[:GID] CMD [ARG...]: drop to UID (and GID, else UID's number)
 * with no supplementary groups, then exec CMD.  Changing to a non-zero UID
 * drops every capability, which is what the permission cases need.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_id(const char *s, char **end, unsigned long *out)
{
	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	*out = strtoul(s, end, 10);
	return errno || *out > 0xfffffffeUL ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long uid, gid;
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: runas UID[:GID] CMD [ARG...]\n");
		return 125;
	}
	if (parse_id(argv[1], &end, &uid))
		goto bad_id;
	gid = uid;
	if (*end == ':' && parse_id(end + 1, &end, &gid))
		goto bad_id;
	if (*end)
		goto bad_id;

	if (setgroups(0, NULL) || setgid((gid_t)gid) || setuid((uid_t)uid)) {
		fprintf(stderr, "runas: cannot become %lu:%lu: %s\n", uid, gid,
			strerror(errno));
		return 125;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "runas: %s: %s\n", argv[2], strerror(errno));
	return errno == ENOENT ? 127 : 126;

bad_id:
	fprintf(stderr, "runas: '%s' is not UID or UID:GID\n", argv[1]);
	return 125;
}
