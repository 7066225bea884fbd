// SPDX-License-Identifier: GPL-2.0-only
/*
 * What every subcommand shares: diagnostics, verb dispatch, the common
 * options and positional arguments, sysfs writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vgpuctl.h"

int vg_usage_error(const char *object, const char *msg)
{
	fprintf(stderr, "vgpuctl: %s\n", msg);
	if (object)
		fprintf(stderr, "Try 'vgpuctl %s --help'.\n", object);
	else
		fprintf(stderr, "Try 'vgpuctl --help'.\n");
	return VG_EXIT_USAGE;
}

int vg_fail(const char *what, int err)
{
	fprintf(stderr, "vgpuctl: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return VG_EXIT_FAIL;
}

int vg_failf(const char *fmt, ...)
{
	va_list ap;

	fputs("vgpuctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return VG_EXIT_FAIL;
}

int vg_common_opt(int c)
{
	switch (c) {
	case 'h':
		return VG_HELP;
	case VG_OPT_JSON:
		vg_out_mode = VG_OUT_JSON;
		return 0;
	case VG_OPT_PLAIN:
		vg_out_mode = VG_OUT_PLAIN;
		return 0;
	default:
		return -1;
	}
}

int vg_getopt_error(int c, char **argv, const char *cmd, struct vg_err *e)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	const char *sep = cmd ? ": " : "";

	if (!cmd)
		cmd = "";
	if (c == ':')
		return vg_errf(e, -EINVAL, "%s%soption '%s' needs a value",
			       cmd, sep, arg);
	if (optopt && optopt < 0x100)
		return vg_errf(e, -EINVAL, "%s%sunknown option '-%c'",
			       cmd, sep, optopt);
	return vg_errf(e, -EINVAL, "%s%sunknown option '%s'", cmd, sep, arg);
}

int vg_positionals(int argc, char **argv, const char *cmd,
		   const char *const *names, int min, int max, char **pos,
		   struct vg_err *e)
{
	int i, n = argc - optind;

	if (n < min)
		return vg_errf(e, -EINVAL, "%s: missing %s", cmd, names[n]);
	if (n > max)
		return vg_errf(e, -EINVAL, "%s: unexpected argument '%s'",
			       cmd, argv[optind + max]);
	for (i = 0; i < n; i++)
		pos[i] = argv[optind + i];
	return n;
}

int vg_getopt(int argc, char **argv, const char *shortopts,
	      const struct option *longopts, const char *cmd, vg_opt_fn fn,
	      void *arg, struct vg_err *e)
{
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		ret = vg_common_opt(c);
		if (ret == VG_HELP)
			return VG_HELP;
		if (!ret)
			continue;
		ret = fn ? fn(c, optarg, arg, e) : 1;
		if (ret > 0)
			return vg_getopt_error(c, argv, cmd, e);
		if (ret)
			return ret;
	}
	return 0;
}

int vg_parse_args(int argc, char **argv, const char *cmd,
		  const char *const *names, int min, int max, char **pos,
		  struct vg_err *e)
{
	static const struct option longopts[] = {
		VG_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int ret;

	ret = vg_getopt(argc, argv, ":h", longopts, cmd, NULL, NULL, e);
	if (ret)
		return ret;
	ret = vg_positionals(argc, argv, cmd, names, min, max, pos, e);
	return ret < 0 ? ret : 0;
}

int vg_parse_exit(int ret, const char *object, const char *help,
		  const struct vg_err *e)
{
	if (ret == VG_HELP) {
		fputs(help, stdout);
		return VG_EXIT_OK;
	}
	if (ret < 0)
		return vg_usage_error(object, e->msg);
	return -1;
}

int vg_sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int vg_dispatch(const char *object, const char *help,
		const struct vg_verb *verbs, size_t nverbs,
		int argc, char **argv)
{
	char list[] = "list", *deflt[] = { list, NULL };
	char msg[160];
	size_t i;

	if (argc < 1)	/* the default verb */
		return verbs[0].fn(1, deflt);
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help") ||
	    !strcmp(argv[0], "-h")) {
		fputs(help, stdout);
		return VG_EXIT_OK;
	}
	for (i = 0; i < nverbs; i++)
		if (!strcmp(argv[0], verbs[i].name))
			return verbs[i].fn(argc, argv);
	snprintf(msg, sizeof(msg), "%s: unknown command '%s'", object, argv[0]);
	return vg_usage_error(object, msg);
}
