// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl gpu: list, show, add, del, set, probe.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "vgpuctl.h"

const char vg_gpu_help[] =
"Usage: vgpuctl gpu list\n"
"       vgpuctl gpu show <gpu>\n"
"       vgpuctl gpu add (--pci DDDD:BB:DD.F | --sim) [--name NAME]\n"
"                       [--memory SIZE] [--sms N] [--uuid UUID]\n"
"                       [--policy POLICY] [--timeslice-us N] [--period-us N]\n"
"       vgpuctl gpu del <gpu> [--force]\n"
"       vgpuctl gpu set <gpu> [--policy POLICY] [--timeslice-us N] [--period-us N]\n"
"       vgpuctl gpu probe\n"
"\n"
"<gpu> is a GPU id (0) or its device name (vgpu0).\n"
"\n"
"add options:\n"
"  --pci ADDR          the PCI device (DDDD:BB:DD.F or BB:DD.F); name, memory,\n"
"                      SMs and UUID default to what the CUDA driver reports\n"
"  --sim               a simulated GPU (needs --memory and --sms)\n"
"  --name NAME         up to 63 characters (default for --sim: \"Simulated GPU\")\n"
"  --memory SIZE       device memory: bytes or k/M/G/T (KiB/MiB/GiB/TiB) suffix\n"
"  --sms N             streaming multiprocessors, 1..65535\n"
"  --uuid UUID         [GPU-]xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (default: generated)\n"
"add and set options:\n"
"  --policy POLICY     best-effort, equal-share or fixed-share\n"
"  --timeslice-us N    default time-slice length, 1000..100000\n"
"  --period-us N       budget period of fixed share and caps, 10000..10000000\n"
"del options:\n"
"  --force             remove the GPU's slices first\n"
"\n"
"probe lists the GPUs seen by libdrm and the CUDA driver; it needs no module.\n";

enum {
	OPT_PCI = VG_OPT_FIRST_PRIVATE,
	OPT_SIM,
	OPT_NAME,
	OPT_MEMORY,
	OPT_SMS,
	OPT_UUID,
	OPT_POLICY,
	OPT_TIMESLICE,
	OPT_PERIOD,
	OPT_FORCE,
};

static const char *const gpu_arg[] = { "<gpu>" };

/* The options add and set share. */
static int sched_opt(int c, const char *arg, bool *has_policy, uint32_t *policy,
		     bool *has_ts, uint32_t *ts, bool *has_period,
		     uint32_t *period, struct vg_err *e)
{
	switch (c) {
	case OPT_POLICY:
		*has_policy = true;
		return vg_parse_policy("--policy", arg, policy, e);
	case OPT_TIMESLICE:
		*has_ts = true;
		return vg_parse_u32("--timeslice-us", arg, VGPU_TIMESLICE_MIN_US,
				    VGPU_TIMESLICE_MAX_US, ts, e);
	case OPT_PERIOD:
		*has_period = true;
		return vg_parse_u32("--period-us", arg, VGPU_PERIOD_MIN_US,
				    VGPU_PERIOD_MAX_US, period, e);
	default:
		return 1;
	}
}

/* The options of gpu add (a vg_opt_fn). */
static int add_opt(int c, const char *arg, void *args, struct vg_err *e)
{
	struct vg_gpu_add_args *a = args;

	switch (c) {
	case OPT_PCI:
		a->has_pci = true;
		return vg_parse_pci("--pci", arg, a->pci, e);
	case OPT_SIM:
		a->sim = true;
		return 0;
	case OPT_NAME:
		a->has_name = true;
		return vg_parse_label("--name", arg, a->name, sizeof(a->name), e);
	case OPT_MEMORY:
		a->has_memory = true;
		return vg_parse_size("--memory", arg, VGPU_MEM_MIN,
				     VGPU_GPU_MEM_MAX, &a->memory, e);
	case OPT_SMS:
		a->has_sms = true;
		return vg_parse_u32("--sms", arg, 1, VGPU_SMS_MAX, &a->sms, e);
	case OPT_UUID:
		a->has_uuid = true;
		return vg_parse_uuid("--uuid", arg, true, a->uuid, e);
	default:
		return sched_opt(c, arg, &a->has_policy, &a->policy,
				 &a->has_timeslice, &a->timeslice_us,
				 &a->has_period, &a->period_us, e);
	}
}

int vg_gpu_add_parse(int argc, char **argv, struct vg_gpu_add_args *a,
		     struct vg_err *e)
{
	static const struct option longopts[] = {
		VG_COMMON_LONGOPTS,
		{ "pci",	  required_argument, NULL, OPT_PCI },
		{ "sim",	  no_argument,	     NULL, OPT_SIM },
		{ "name",	  required_argument, NULL, OPT_NAME },
		{ "memory",	  required_argument, NULL, OPT_MEMORY },
		{ "sms",	  required_argument, NULL, OPT_SMS },
		{ "uuid",	  required_argument, NULL, OPT_UUID },
		{ "policy",	  required_argument, NULL, OPT_POLICY },
		{ "timeslice-us", required_argument, NULL, OPT_TIMESLICE },
		{ "period-us",	  required_argument, NULL, OPT_PERIOD },
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd = "gpu add";
	int ret;

	memset(a, 0, sizeof(*a));
	ret = vg_getopt(argc, argv, ":h", longopts, cmd, add_opt, a, e);
	if (ret)
		return ret;
	ret = vg_positionals(argc, argv, cmd, NULL, 0, 0, NULL, e);
	if (ret < 0)
		return ret;

	if (a->sim && a->has_pci)
		return vg_errf(e, -EINVAL, "%s: --pci and --sim exclude each other", cmd);
	if (!a->sim && !a->has_pci)
		return vg_errf(e, -EINVAL, "%s: give --pci ADDRESS or --sim", cmd);
	if (a->sim) {
		if (!a->has_memory || !a->has_sms)
			return vg_errf(e, -EINVAL, "%s: --sim needs %s", cmd,
				       !a->has_memory && !a->has_sms ?
				       "--memory and --sms" :
				       !a->has_memory ? "--memory" : "--sms");
		if (!a->has_name) {
			snprintf(a->name, sizeof(a->name), "Simulated GPU");
			a->has_name = true;
		}
	}
	return 0;
}

int vg_gpu_add_fill(struct vg_gpu_add_args *a, const struct vg_probe_dev *dev,
		    const struct vg_cuda_status *st, struct vg_err *e)
{
	const char *missing[3];
	char list[64] = "";
	size_t i, n = 0;

	if (!a->has_pci)
		return 0;
	if (dev) {
		if (!a->has_name && dev->name[0]) {
			snprintf(a->name, sizeof(a->name), "%s", dev->name);
			a->has_name = true;
		}
		if (!a->has_memory && dev->memory >= VGPU_MEM_MIN &&
		    dev->memory <= VGPU_GPU_MEM_MAX) {
			a->memory = dev->memory;
			a->has_memory = true;
		}
		if (!a->has_sms && dev->sms >= 1 && dev->sms <= VGPU_SMS_MAX) {
			a->sms = dev->sms;
			a->has_sms = true;
		}
		if (!a->has_uuid && dev->has_uuid) {
			memcpy(a->uuid, dev->uuid, sizeof(a->uuid));
			a->has_uuid = true;
		}
	}
	if (!a->has_name)
		missing[n++] = "--name";
	if (!a->has_memory)
		missing[n++] = "--memory";
	if (!a->has_sms)
		missing[n++] = "--sms";
	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		size_t len = strlen(list);

		snprintf(list + len, sizeof(list) - len, "%s%s",
			 !i ? "" : i + 1 == n ? " and " : ", ", missing[i]);
	}
	if (dev)
		return vg_errf(e, -EINVAL,
			       "gpu add: %s %s needed: the CUDA driver did not report %s for %s",
			       list, n > 1 ? "are" : "is",
			       n > 1 ? "them" : "it", a->pci);
	if (!st || !st->present)
		return vg_errf(e, -EINVAL,
			       "gpu add: %s %s needed: no CUDA driver found to read %s from",
			       list, n > 1 ? "are" : "is", n > 1 ? "them" : "it");
	if (st->ndev < 0)
		return vg_errf(e, -EINVAL, "gpu add: %s %s needed: the CUDA driver failed: %s",
			       list, n > 1 ? "are" : "is", st->why);
	return vg_errf(e, -EINVAL,
		       "gpu add: %s %s needed: the CUDA driver has no device at PCI address %s",
		       list, n > 1 ? "are" : "is", a->pci);
}

/* The policy, time slice and period, when given, onto msg; 0 or -ENOMEM. */
static int sched_put(struct nl_msg *msg, bool has_policy, uint32_t policy,
		     bool has_ts, uint32_t ts, bool has_period, uint32_t period)
{
	if (has_policy && nla_put_u32(msg, VGPU_ATTR_GPU_POLICY, policy) < 0)
		return -ENOMEM;
	if (has_ts && nla_put_u32(msg, VGPU_ATTR_GPU_TIMESLICE_US, ts) < 0)
		return -ENOMEM;
	if (has_period && nla_put_u32(msg, VGPU_ATTR_GPU_PERIOD_US, period) < 0)
		return -ENOMEM;
	return 0;
}

int vg_gpu_add_put(struct nl_msg *msg, const struct vg_gpu_add_args *a)
{
	if (a->sim) {
		if (nla_put_flag(msg, VGPU_ATTR_GPU_SIM) < 0)
			return -ENOMEM;
	} else if (nla_put_string(msg, VGPU_ATTR_GPU_PCI, a->pci) < 0) {
		return -ENOMEM;
	}
	if (a->has_name && nla_put_string(msg, VGPU_ATTR_GPU_NAME, a->name) < 0)
		return -ENOMEM;
	if (a->has_memory && nla_put_u64(msg, VGPU_ATTR_GPU_MEMORY, a->memory) < 0)
		return -ENOMEM;
	if (a->has_sms && nla_put_u32(msg, VGPU_ATTR_GPU_SMS, a->sms) < 0)
		return -ENOMEM;
	if (a->has_uuid && nla_put(msg, VGPU_ATTR_GPU_UUID, VGPU_UUID_LEN, a->uuid) < 0)
		return -ENOMEM;
	return sched_put(msg, a->has_policy, a->policy, a->has_timeslice,
			 a->timeslice_us, a->has_period, a->period_us);
}

/* The options of gpu set (a vg_opt_fn). */
static int set_opt(int c, const char *arg, void *args, struct vg_err *e)
{
	struct vg_gpu_set_args *a = args;

	return sched_opt(c, arg, &a->has_policy, &a->policy,
			 &a->has_timeslice, &a->timeslice_us,
			 &a->has_period, &a->period_us, e);
}

int vg_gpu_set_parse(int argc, char **argv, struct vg_gpu_set_args *a,
		     struct vg_err *e)
{
	static const struct option longopts[] = {
		VG_COMMON_LONGOPTS,
		{ "policy",	  required_argument, NULL, OPT_POLICY },
		{ "timeslice-us", required_argument, NULL, OPT_TIMESLICE },
		{ "period-us",	  required_argument, NULL, OPT_PERIOD },
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd = "gpu set";
	char *pos[1];
	int ret;

	memset(a, 0, sizeof(*a));
	ret = vg_getopt(argc, argv, ":h", longopts, cmd, set_opt, a, e);
	if (ret)
		return ret;
	ret = vg_positionals(argc, argv, cmd, gpu_arg, 1, 1, pos, e);
	if (ret < 0)
		return ret;
	ret = vg_parse_gpu_ref(pos[0], &a->id, e);
	if (ret)
		return ret;
	if (!a->has_policy && !a->has_timeslice && !a->has_period)
		return vg_errf(e, -EINVAL,
			       "%s: nothing to set (give --policy, --timeslice-us or --period-us)",
			       cmd);
	return 0;
}

/* The option of gpu del (a vg_opt_fn). */
static int del_opt(int c, const char *arg, void *args, struct vg_err *e)
{
	struct vg_gpu_del_args *a = args;

	(void)arg;
	(void)e;
	if (c != OPT_FORCE && c != 'f')
		return 1;
	a->force = true;
	return 0;
}

int vg_gpu_del_parse(int argc, char **argv, struct vg_gpu_del_args *a,
		     struct vg_err *e)
{
	static const struct option longopts[] = {
		VG_COMMON_LONGOPTS,
		{ "force", no_argument, NULL, OPT_FORCE },
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd = "gpu del";
	char *pos[1];
	int ret;

	memset(a, 0, sizeof(*a));
	ret = vg_getopt(argc, argv, ":hf", longopts, cmd, del_opt, a, e);
	if (ret)
		return ret;
	ret = vg_positionals(argc, argv, cmd, gpu_arg, 1, 1, pos, e);
	if (ret < 0)
		return ret;
	return vg_parse_gpu_ref(pos[0], &a->id, e);
}

/* Parse outcome to exit status: help printed, usage error, or go on (-1). */
static int parse_status(int ret, const struct vg_err *e)
{
	return vg_parse_exit(ret, "gpu", vg_gpu_help, e);
}

static int cmd_list(int argc, char **argv)
{
	struct nl_msg *msg;
	struct vg_nl *nl;
	struct vg_err e;
	int ret;

	ret = parse_status(vg_parse_args(argc, argv, "gpu list", NULL, 0, 0,
					 NULL, &e), &e);
	if (ret >= 0)
		return ret;
	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	msg = vg_nl_msg(nl, VGPU_CMD_GPU_GET, NLM_F_DUMP);
	return vg_nl_finish(nl, msg, false, vg_collect_gpu, sizeof(struct vg_gpu),
			    &vg_gpu_desc, true, "list GPUs");
}

static int cmd_show(int argc, char **argv)
{
	char *pos[1], what[64];
	struct vg_nlerr ne;
	struct vg_gpu g;
	struct vg_nl *nl;
	struct vg_err e;
	uint32_t id;
	int ret;

	ret = parse_status(vg_parse_args(argc, argv, "gpu show", gpu_arg, 1, 1,
					 pos, &e), &e);
	if (ret >= 0)
		return ret;
	if (vg_parse_gpu_ref(pos[0], &id, &e))
		return vg_usage_error("gpu", e.msg);
	snprintf(what, sizeof(what), "show GPU vgpu%u", id);
	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	ret = vg_get_gpu(nl, id, &g, &ne);
	vg_nl_close(nl);
	if (ret)
		return vg_fail_nl(what, &ne);
	if (vg_print_one(&vg_gpu_desc, &g))
		return vg_fail(what, ENOMEM);
	return VG_EXIT_OK;
}

/* Fill what --pci left out from the CUDA driver's view of that device. */
static int add_from_cuda(struct vg_gpu_add_args *a, struct vg_err *e)
{
	const struct vg_probe_dev *dev = NULL, *d;
	struct vg_cuda_status st;
	struct vg_vec devs;
	size_t i;
	int ret;

	if (!a->has_pci || (a->has_name && a->has_memory && a->has_sms))
		return 0;
	vg_vec_init(&devs, sizeof(struct vg_probe_dev));
	ret = vg_probe_cuda(&devs, &st);
	if (ret) {
		vg_vec_free(&devs);
		return vg_errf(e, ret, "probe the CUDA driver: %s", strerror(-ret));
	}
	for (i = 0, d = devs.data; i < devs.n; i++, d++)
		if (!strcmp(d->pci, a->pci))
			dev = d;
	ret = vg_gpu_add_fill(a, dev, &st, e);
	vg_vec_free(&devs);
	return ret;
}

static int cmd_add(int argc, char **argv)
{
	struct vg_gpu_add_args a;
	struct nl_msg *msg;
	struct vg_nl *nl;
	struct vg_err e;
	int ret;

	ret = parse_status(vg_gpu_add_parse(argc, argv, &a, &e), &e);
	if (ret >= 0)
		return ret;
	ret = add_from_cuda(&a, &e);
	if (ret == -ENOMEM)
		return vg_failf("add GPU: %s", e.msg);
	if (ret)
		return vg_usage_error("gpu", e.msg);

	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	msg = vg_nl_msg(nl, VGPU_CMD_GPU_NEW, 0);
	return vg_nl_finish(nl, msg, !msg || vg_gpu_add_put(msg, &a),
			    vg_collect_gpu, sizeof(struct vg_gpu), &vg_gpu_desc,
			    false, "add GPU");
}

static int cmd_del(int argc, char **argv)
{
	struct vg_gpu_del_args a;
	struct nl_msg *msg;
	struct vg_nl *nl;
	struct vg_err e;
	char what[64];
	bool nomem;
	int ret;

	ret = parse_status(vg_gpu_del_parse(argc, argv, &a, &e), &e);
	if (ret >= 0)
		return ret;
	snprintf(what, sizeof(what), "delete GPU vgpu%u", a.id);
	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	msg = vg_nl_msg(nl, VGPU_CMD_GPU_DEL, 0);
	nomem = !msg || nla_put_u32(msg, VGPU_ATTR_GPU_ID, a.id) < 0 ||
		(a.force && nla_put_flag(msg, VGPU_ATTR_FORCE) < 0);
	return vg_nl_finish(nl, msg, nomem, NULL, 0, NULL, false, what);
}

static int cmd_set(int argc, char **argv)
{
	struct vg_gpu_set_args a;
	struct nl_msg *msg;
	struct vg_nl *nl;
	struct vg_err e;
	char what[64];
	bool nomem;
	int ret;

	ret = parse_status(vg_gpu_set_parse(argc, argv, &a, &e), &e);
	if (ret >= 0)
		return ret;
	snprintf(what, sizeof(what), "set GPU vgpu%u", a.id);
	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	msg = vg_nl_msg(nl, VGPU_CMD_GPU_SET, 0);
	nomem = !msg || nla_put_u32(msg, VGPU_ATTR_GPU_ID, a.id) < 0 ||
		sched_put(msg, a.has_policy, a.policy, a.has_timeslice,
			  a.timeslice_us, a.has_period, a.period_us);
	return vg_nl_finish(nl, msg, nomem, NULL, 0, NULL, false, what);
}

static const struct vg_verb gpu_verbs[] = {
	{ "list",  cmd_list },		/* first: the default */
	{ "show",  cmd_show },
	{ "add",   cmd_add },
	{ "del",   cmd_del },
	{ "set",   cmd_set },
	{ "probe", vg_cmd_gpu_probe },
};

int vg_cmd_gpu(int argc, char **argv)
{
	return vg_dispatch("gpu", vg_gpu_help, gpu_verbs,
			   VG_ARRAY_SIZE(gpu_verbs), argc, argv);
}
