// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl: the objects (gpu, type, slice), global options, help, version.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vgpuctl.h"

static const char main_help[] =
"Usage: vgpuctl [--json | --plain | --table] <object> <command> [arguments]\n"
"       vgpuctl help [<object>]\n"
"       vgpuctl version\n"
"\n"
"Objects:\n"
"  gpu     GPUs registered with the vgpu kernel module\n"
"          list, show, add, del, set, probe\n"
"  type    slice types (profiles) of the GPUs: list\n"
"  slice   tenants' shares of a GPU\n"
"          create, destroy, list, show, set\n"
"\n"
"Global options:\n"
"  -j, --json     JSON output (a stable contract; one line per document\n"
"                 unless stdout is a terminal)\n"
"  -p, --plain    tab-separated fields, no header, raw integers (the\n"
"                 default when stdout is not a terminal)\n"
"  -t, --table    the aligned human table (the default on a terminal)\n"
"  -h, --help     this help; 'vgpuctl <object> --help' for an object's\n"
"  -V, --version  print the version\n"
"\n"
"Exit status: 0 success, 1 the operation failed, 2 bad usage.\n"
"See vgpuctl(8) (docs/vgpuctl.md).\n";

struct vg_object {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct vg_object objects[] = {
	{ "gpu",   vg_cmd_gpu,   vg_gpu_help },
	{ "type",  vg_cmd_type,  vg_type_help },
	{ "slice", vg_cmd_slice, vg_slice_help },
};

static int print_version(void)
{
	printf("vgpuctl %s\n", VGPUCTL_VERSION);
	return VG_EXIT_OK;
}

static int cmd_help(int argc, char **argv)
{
	char msg[160];
	size_t i;

	if (argc < 2) {
		fputs(main_help, stdout);
		return VG_EXIT_OK;
	}
	for (i = 0; i < VG_ARRAY_SIZE(objects); i++)
		if (!strcmp(argv[1], objects[i].name)) {
			fputs(objects[i].help, stdout);
			return VG_EXIT_OK;
		}
	snprintf(msg, sizeof(msg), "help: unknown object '%s'", argv[1]);
	return vg_usage_error(NULL, msg);
}

/* Output that could not be written is a failure too (a full disk, a pipe). */
static int finish(int ret)
{
	if (fflush(stdout) || ferror(stdout)) {
		int err = errno ? errno : EIO;

		vg_fail("write standard output", err);
		return ret ? ret : VG_EXIT_FAIL;
	}
	return ret;
}

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json",    no_argument, NULL, 'j' },
		{ "plain",   no_argument, NULL, 'p' },
		{ "table",   no_argument, NULL, 't' },
		{ "help",    no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct vg_err e;
	size_t i;
	int c;

	opterr = 0;
	/* '+': stop at the object, its options are its own. */
	while ((c = getopt_long(argc, argv, "+:jpthV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			vg_out_mode = VG_OUT_JSON;
			break;
		case 'p':
			vg_out_mode = VG_OUT_PLAIN;
			break;
		case 't':
			vg_out_mode = VG_OUT_TABLE;
			break;
		case 'h':
			fputs(main_help, stdout);
			return VG_EXIT_OK;
		case 'V':
			return print_version();
		default:
			vg_getopt_error(c, argv, NULL, &e);
			return vg_usage_error(NULL, e.msg);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return vg_usage_error(NULL, "no object given (gpu, type or slice)");
	if (!strcmp(argv[0], "help"))
		return cmd_help(argc, argv);
	if (!strcmp(argv[0], "version"))
		return print_version();
	for (i = 0; i < VG_ARRAY_SIZE(objects); i++)
		if (!strcmp(argv[0], objects[i].name))
			return objects[i].fn(argc - 1, argv + 1);

	snprintf(e.msg, sizeof(e.msg), "unknown object '%s' (gpu, type or slice)",
		 argv[0]);
	return vg_usage_error(NULL, e.msg);
}

int main(int argc, char **argv)
{
	return finish(run(argc, argv));
}
