// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl slice: create, destroy, list, show, set.
 *
 * A slice is made either over netlink (VGPU_CMD_SLICE_NEW) or, with --mdev,
 * through the mdev "create" file so that it is a mediated device like those
 * mdevctl and libvirt make; the other parameters then follow with
 * VGPU_CMD_SLICE_SET, and a refused SET removes the mdev again.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "vgpuctl.h"

const char vg_slice_help[] =
"Usage: vgpuctl slice create <gpu> <type> [--uuid UUID] [--memory SIZE]\n"
"                            [--weight N] [--cap N] [--timeslice-us N]\n"
"                            [--priority N] [--tenant LABEL]\n"
"                            [--owner UID[:GID]] [--mode OCTAL] [--mdev]\n"
"       vgpuctl slice destroy <uuid>\n"
"       vgpuctl slice list [<gpu>]\n"
"       vgpuctl slice show <uuid>\n"
"       vgpuctl slice set <uuid> [--memory SIZE] [--weight N] [--cap N]\n"
"                         [--timeslice-us N] [--priority N] [--tenant LABEL]\n"
"\n"
"<gpu> is a GPU id (0) or vgpu0; <type> a type name (1g.10gb) or its mdev\n"
"form (vgpu-1g.10gb); <uuid> xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.\n"
"\n"
"create and set options (create defaults to the type's values):\n"
"  --memory SIZE       memory quota: bytes or k/M/G/T (KiB/MiB/GiB/TiB) suffix\n"
"  --weight N          guaranteed compute share, thousandths of the GPU, 1..1000\n"
"  --cap N             most compute, thousandths, weight..1000 (0: no cap)\n"
"  --timeslice-us N    time-slice length, 1000..100000 (0: the GPU's)\n"
"  --priority N        0..7, higher first\n"
"  --tenant LABEL      up to 63 characters\n"
"create options:\n"
"  --uuid UUID         the slice's UUID (default: generated)\n"
"  --owner UID[:GID]   numeric owner of /dev/vgpu/<uuid> (default 0:0)\n"
"  --mode OCTAL        its permission bits (default 0600)\n"
"  --mdev              create a mediated device through sysfs (for VMs);\n"
"                      not with --owner or --mode\n"
"\n"
"destroy removes an mdev slice through sysfs, any other over netlink.\n";

enum {
	OPT_UUID = VG_OPT_FIRST_PRIVATE,
	OPT_MEMORY,
	OPT_WEIGHT,
	OPT_CAP,
	OPT_TIMESLICE,
	OPT_PRIORITY,
	OPT_TENANT,
	OPT_OWNER,
	OPT_MODE,
	OPT_MDEV,
};

#define SETTABLE_LONGOPTS \
	{ "memory",	  required_argument, NULL, OPT_MEMORY }, \
	{ "weight",	  required_argument, NULL, OPT_WEIGHT }, \
	{ "cap",	  required_argument, NULL, OPT_CAP }, \
	{ "timeslice-us", required_argument, NULL, OPT_TIMESLICE }, \
	{ "priority",	  required_argument, NULL, OPT_PRIORITY }, \
	{ "tenant",	  required_argument, NULL, OPT_TENANT }

/* One option of create or set (a vg_opt_fn); 1 when c is not one of them. */
static int slice_opt(int c, const char *arg, void *args, struct vg_err *e)
{
	struct vg_slice_args *a = args;

	switch (c) {
	case OPT_UUID:
		a->has_uuid = true;
		return vg_parse_uuid("--uuid", arg, false, a->uuid, e);
	case OPT_MEMORY:
		a->has_memory = true;
		return vg_parse_size("--memory", arg, VGPU_MEM_MIN,
				     VGPU_GPU_MEM_MAX, &a->memory, e);
	case OPT_WEIGHT:
		a->has_weight = true;
		return vg_parse_u32("--weight", arg, 1, VGPU_WEIGHT_MAX,
				    &a->weight, e);
	case OPT_CAP:
		a->has_cap = true;
		return vg_parse_u32("--cap", arg, 0, VGPU_WEIGHT_MAX, &a->cap, e);
	case OPT_TIMESLICE:
		a->has_timeslice = true;
		return vg_parse_u32_or0("--timeslice-us", arg,
					VGPU_TIMESLICE_MIN_US,
					VGPU_TIMESLICE_MAX_US,
					&a->timeslice_us, e);
	case OPT_PRIORITY:
		a->has_priority = true;
		return vg_parse_u32("--priority", arg, 0, VGPU_PRIORITY_MAX,
				    &a->priority, e);
	case OPT_TENANT:
		a->has_tenant = true;
		return vg_parse_label("--tenant", arg, a->tenant,
				      sizeof(a->tenant), e);
	case OPT_OWNER:
		a->has_owner = true;
		return vg_parse_owner("--owner", arg, &a->uid, &a->gid,
				      &a->has_gid, e);
	case OPT_MODE:
		a->has_mode = true;
		return vg_parse_mode("--mode", arg, &a->mode, e);
	case OPT_MDEV:
		a->mdev = true;
		return 0;
	default:
		return 1;
	}
}

static int parse_opts(int argc, char **argv, const struct option *longopts,
		      const char *cmd, struct vg_slice_args *a, struct vg_err *e)
{
	memset(a, 0, sizeof(*a));
	return vg_getopt(argc, argv, ":h", longopts, cmd, slice_opt, a, e);
}

/* Checks that need more than one option. */
static int check_cap(const char *cmd, const struct vg_slice_args *a,
		     struct vg_err *e)
{
	if (a->has_cap && a->has_weight && a->cap && a->cap < a->weight)
		return vg_errf(e, -EINVAL,
			       "%s: --cap %u is below --weight %u (0 means no cap)",
			       cmd, a->cap, a->weight);
	return 0;
}

int vg_slice_create_parse(int argc, char **argv, struct vg_slice_args *a,
			  struct vg_err *e)
{
	static const struct option longopts[] = {
		VG_COMMON_LONGOPTS,
		SETTABLE_LONGOPTS,
		{ "uuid",  required_argument, NULL, OPT_UUID },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "mode",  required_argument, NULL, OPT_MODE },
		{ "mdev",  no_argument,	      NULL, OPT_MDEV },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const names[] = { "<gpu>", "<type>" };
	const char *cmd = "slice create";
	char *pos[2];
	int ret;

	ret = parse_opts(argc, argv, longopts, cmd, a, e);
	if (ret)
		return ret;
	ret = vg_positionals(argc, argv, cmd, names, 2, 2, pos, e);
	if (ret < 0)
		return ret;
	ret = vg_parse_gpu_ref(pos[0], &a->gpu, e);
	if (ret)
		return ret;
	a->has_gpu = true;
	ret = vg_parse_type_name(pos[1], a->type, e);
	if (ret)
		return ret;
	if (a->mdev && (a->has_owner || a->has_mode))
		return vg_errf(e, -EINVAL,
			       "%s: --owner and --mode cannot be combined with --mdev (the mdev core creates the device)",
			       cmd);
	return check_cap(cmd, a, e);
}

bool vg_slice_args_settable(const struct vg_slice_args *a)
{
	return a->has_memory || a->has_weight || a->has_cap ||
	       a->has_timeslice || a->has_priority || a->has_tenant;
}

int vg_slice_set_parse(int argc, char **argv, struct vg_slice_args *a,
		       struct vg_err *e)
{
	static const struct option longopts[] = {
		VG_COMMON_LONGOPTS,
		SETTABLE_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const names[] = { "<uuid>" };
	const char *cmd = "slice set";
	char *pos[1];
	int ret;

	ret = parse_opts(argc, argv, longopts, cmd, a, e);
	if (ret)
		return ret;
	ret = vg_positionals(argc, argv, cmd, names, 1, 1, pos, e);
	if (ret < 0)
		return ret;
	ret = vg_parse_uuid("<uuid>", pos[0], false, a->uuid, e);
	if (ret)
		return ret;
	a->has_uuid = true;
	if (!vg_slice_args_settable(a))
		return vg_errf(e, -EINVAL,
			       "%s: nothing to set (give --memory, --weight, --cap, --timeslice-us, --priority or --tenant)",
			       cmd);
	return check_cap(cmd, a, e);
}

int vg_slice_put_params(struct nl_msg *msg, const struct vg_slice_args *a)
{
	if (a->has_memory &&
	    nla_put_u64(msg, VGPU_ATTR_SLICE_MEM_QUOTA, a->memory) < 0)
		return -ENOMEM;
	if (a->has_weight && nla_put_u32(msg, VGPU_ATTR_SLICE_WEIGHT, a->weight) < 0)
		return -ENOMEM;
	if (a->has_cap && nla_put_u32(msg, VGPU_ATTR_SLICE_CAP, a->cap) < 0)
		return -ENOMEM;
	if (a->has_timeslice &&
	    nla_put_u32(msg, VGPU_ATTR_SLICE_TIMESLICE_US, a->timeslice_us) < 0)
		return -ENOMEM;
	if (a->has_priority &&
	    nla_put_u32(msg, VGPU_ATTR_SLICE_PRIORITY, a->priority) < 0)
		return -ENOMEM;
	if (a->has_tenant &&
	    nla_put_string(msg, VGPU_ATTR_SLICE_TENANT, a->tenant) < 0)
		return -ENOMEM;
	return 0;
}

static int parse_status(int ret, const struct vg_err *e)
{
	return vg_parse_exit(ret, "slice", vg_slice_help, e);
}

static int print_slice(const char *what, const struct vg_slice *s)
{
	if (vg_print_one(&vg_slice_desc, s))
		return vg_fail(what, ENOMEM);
	return VG_EXIT_OK;
}

/* SLICE_SET of uuid with the parameters of a; 0 or -errno, ne filled. */
static int slice_set(struct vg_nl *nl, const uint8_t *uuid,
		     const struct vg_slice_args *a, struct vg_nlerr *ne)
{
	struct nl_msg *msg = vg_nl_msg(nl, VGPU_CMD_SLICE_SET, 0);

	if (!msg || nla_put(msg, VGPU_ATTR_SLICE_UUID, VGPU_UUID_LEN, uuid) < 0 ||
	    vg_slice_put_params(msg, a)) {
		nlmsg_free(msg);
		return vg_nlerr_nomem(ne);
	}
	return vg_nl_request(nl, msg, NULL, NULL, ne);
}

static int remove_mdev(const char *uuid)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuid);
	return vg_sysfs_write(path, "1");
}

static int create_mdev(struct vg_nl *nl, struct vg_slice_args *a)
{
	char path[256], dir[224], uuid[VG_UUID_STR_MAX];
	const char *what = "create slice";
	struct vg_nlerr ne;
	struct vg_slice s;
	struct vg_gpu g;
	struct stat st;
	int ret;

	ret = vg_get_gpu(nl, a->gpu, &g, &ne);
	if (ret)
		return vg_fail_nl(what, &ne);
	if (!g.mdev)
		return vg_failf("%s: GPU vgpu%u has no mediated devices (the kernel lacks VFIO_MDEV): create the slice without --mdev",
				what, a->gpu);
	if (!a->has_uuid) {
		if (getrandom(a->uuid, sizeof(a->uuid), 0) != sizeof(a->uuid))
			return vg_fail("create slice: read random bytes for a UUID",
				       errno);
		vg_uuid_make_v4(a->uuid);
		a->has_uuid = true;
	}
	vg_uuid_format(a->uuid, false, uuid);

	snprintf(dir, sizeof(dir),
		 "/sys/class/vgpu/vgpu%u/mdev_supported_types/vgpu-%s",
		 a->gpu, a->type);
	if (stat(dir, &st) && errno == ENOENT)
		return vg_failf("%s: GPU vgpu%u has no mdev type vgpu-%s (see 'vgpuctl type list %u')",
				what, a->gpu, a->type, a->gpu);
	snprintf(path, sizeof(path), "%s/create", dir);
	ret = vg_sysfs_write(path, uuid);
	if (ret)
		return vg_failf("%s: write %s: %s", what, path, strerror(-ret));

	if (vg_slice_args_settable(a)) {
		ret = slice_set(nl, a->uuid, a, &ne);
		if (ret) {
			int rm = remove_mdev(uuid);

			vg_fail_nl("create slice: set the parameters of the new mdev", &ne);
			if (rm)
				vg_failf("remove mdev %s again: %s", uuid, strerror(-rm));
			return VG_EXIT_FAIL;
		}
	}
	ret = vg_get_slice(nl, a->uuid, &s, &ne);
	if (ret)
		return vg_fail_nl(what, &ne);
	return print_slice(what, &s);
}

static int cmd_create(int argc, char **argv)
{
	struct vg_slice_args a;
	struct nl_msg *msg;
	struct vg_nl *nl;
	struct vg_err e;
	bool nomem;
	int ret;

	ret = parse_status(vg_slice_create_parse(argc, argv, &a, &e), &e);
	if (ret >= 0)
		return ret;
	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	if (a.mdev) {
		ret = create_mdev(nl, &a);
		vg_nl_close(nl);
		return ret;
	}

	msg = vg_nl_msg(nl, VGPU_CMD_SLICE_NEW, 0);
	nomem = !msg || nla_put_u32(msg, VGPU_ATTR_GPU_ID, a.gpu) < 0 ||
		nla_put_string(msg, VGPU_ATTR_TYPE_NAME, a.type) < 0 ||
		(a.has_uuid &&
		 nla_put(msg, VGPU_ATTR_SLICE_UUID, VGPU_UUID_LEN, a.uuid) < 0) ||
		vg_slice_put_params(msg, &a) ||
		(a.has_owner && nla_put_u32(msg, VGPU_ATTR_SLICE_UID, a.uid) < 0) ||
		(a.has_gid && nla_put_u32(msg, VGPU_ATTR_SLICE_GID, a.gid) < 0) ||
		(a.has_mode && nla_put_u32(msg, VGPU_ATTR_SLICE_MODE, a.mode) < 0);
	return vg_nl_finish(nl, msg, nomem, vg_collect_slice,
			    sizeof(struct vg_slice), &vg_slice_desc, false,
			    "create slice");
}

/* The <uuid> argument of destroy and show. */
static int parse_uuid_arg(int argc, char **argv, const char *cmd,
			  uint8_t uuid[VGPU_UUID_LEN], struct vg_err *e)
{
	static const char *const names[] = { "<uuid>" };
	char *pos[1];
	int ret;

	ret = vg_parse_args(argc, argv, cmd, names, 1, 1, pos, e);
	if (ret)
		return ret;
	return vg_parse_uuid("<uuid>", pos[0], false, uuid, e);
}

static int cmd_destroy(int argc, char **argv)
{
	char what[96], uuid[VG_UUID_STR_MAX];
	uint8_t id[VGPU_UUID_LEN];
	struct vg_nlerr ne;
	struct nl_msg *msg;
	struct vg_slice s;
	struct vg_nl *nl;
	struct vg_err e;
	int ret;

	ret = parse_status(parse_uuid_arg(argc, argv, "slice destroy", id, &e), &e);
	if (ret >= 0)
		return ret;
	vg_uuid_format(id, false, uuid);
	snprintf(what, sizeof(what), "destroy slice %s", uuid);
	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	ret = vg_get_slice(nl, id, &s, &ne);
	if (ret) {
		vg_nl_close(nl);
		return vg_fail_nl(what, &ne);
	}
	if (s.mdev) {
		vg_nl_close(nl);
		ret = remove_mdev(uuid);
		if (ret)
			return vg_failf("%s: write /sys/bus/mdev/devices/%s/remove: %s",
					what, uuid, strerror(-ret));
		return VG_EXIT_OK;
	}
	msg = vg_nl_msg(nl, VGPU_CMD_SLICE_DEL, 0);
	return vg_nl_finish(nl, msg, !msg ||
			    nla_put(msg, VGPU_ATTR_SLICE_UUID, VGPU_UUID_LEN, id) < 0,
			    NULL, 0, NULL, false, what);
}

static int cmd_list(int argc, char **argv)
{
	static const char *const names[] = { "<gpu>" };
	struct nl_msg *msg;
	struct vg_nl *nl;
	struct vg_err e;
	char *pos[1] = { NULL };
	uint32_t id = 0;
	int ret;

	ret = parse_status(vg_parse_args(argc, argv, "slice list", names, 0, 1,
					 pos, &e), &e);
	if (ret >= 0)
		return ret;
	if (pos[0] && vg_parse_gpu_ref(pos[0], &id, &e))
		return vg_usage_error("slice", e.msg);
	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	msg = vg_nl_msg(nl, VGPU_CMD_SLICE_GET, NLM_F_DUMP);
	return vg_nl_finish(nl, msg, !msg ||
			    (pos[0] && nla_put_u32(msg, VGPU_ATTR_GPU_ID, id) < 0),
			    vg_collect_slice, sizeof(struct vg_slice),
			    &vg_slice_desc, true, "list slices");
}

static int cmd_show(int argc, char **argv)
{
	char what[96], uuid[VG_UUID_STR_MAX];
	uint8_t id[VGPU_UUID_LEN];
	struct vg_nlerr ne;
	struct vg_slice s;
	struct vg_nl *nl;
	struct vg_err e;
	int ret;

	ret = parse_status(parse_uuid_arg(argc, argv, "slice show", id, &e), &e);
	if (ret >= 0)
		return ret;
	vg_uuid_format(id, false, uuid);
	snprintf(what, sizeof(what), "show slice %s", uuid);
	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	ret = vg_get_slice(nl, id, &s, &ne);
	vg_nl_close(nl);
	if (ret)
		return vg_fail_nl(what, &ne);
	return print_slice(what, &s);
}

static int cmd_set(int argc, char **argv)
{
	char what[96], uuid[VG_UUID_STR_MAX];
	struct vg_slice_args a;
	struct vg_nlerr ne;
	struct vg_nl *nl;
	struct vg_err e;
	int ret;

	ret = parse_status(vg_slice_set_parse(argc, argv, &a, &e), &e);
	if (ret >= 0)
		return ret;
	vg_uuid_format(a.uuid, false, uuid);
	snprintf(what, sizeof(what), "set slice %s", uuid);
	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	ret = slice_set(nl, a.uuid, &a, &ne);
	vg_nl_close(nl);
	return ret ? vg_fail_nl(what, &ne) : VG_EXIT_OK;
}

static const struct vg_verb slice_verbs[] = {
	{ "list",    cmd_list },	/* first: the default */
	{ "show",    cmd_show },
	{ "create",  cmd_create },
	{ "destroy", cmd_destroy },
	{ "set",     cmd_set },
};

int vg_cmd_slice(int argc, char **argv)
{
	return vg_dispatch("slice", vg_slice_help, slice_verbs,
			   VG_ARRAY_SIZE(slice_verbs), argc, argv);
}
