// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl type: the slice types (profiles) of the GPUs.
 */
#include <errno.h>
#include <stdio.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "vgpuctl.h"

const char vg_type_help[] =
"Usage: vgpuctl type list [<gpu>]\n"
"\n"
"Lists the slice types of one GPU (<gpu>: 0 or vgpu0) or of every GPU:\n"
"name, memory, weight (thousandths of the GPU's compute), the number of\n"
"slices of that type that can still be created, and the description.\n"
"A type is named like a MIG profile (1g.10gb); its mdev type is vgpu-<name>.\n";

static int cmd_list(int argc, char **argv)
{
	static const char *const names[] = { "<gpu>" };
	struct nl_msg *msg;
	struct vg_nl *nl;
	struct vg_err e;
	char *pos[1] = { NULL };
	uint32_t id = 0;
	bool one;
	int ret;

	ret = vg_parse_exit(vg_parse_args(argc, argv, "type list", names, 0, 1,
					  pos, &e), "type", vg_type_help, &e);
	if (ret >= 0)
		return ret;
	one = pos[0] != NULL;
	if (one && vg_parse_gpu_ref(pos[0], &id, &e))
		return vg_usage_error("type", e.msg);

	nl = vg_nl_connect();
	if (!nl)
		return VG_EXIT_FAIL;
	msg = vg_nl_msg(nl, VGPU_CMD_TYPE_GET, NLM_F_DUMP);
	return vg_nl_finish(nl, msg, !msg ||
			    (one && nla_put_u32(msg, VGPU_ATTR_GPU_ID, id) < 0),
			    vg_collect_type, sizeof(struct vg_type),
			    &vg_type_desc, true, "list types");
}

static const struct vg_verb type_verbs[] = {
	{ "list", cmd_list },
};

int vg_cmd_type(int argc, char **argv)
{
	return vg_dispatch("type", vg_type_help, type_verbs,
			   VG_ARRAY_SIZE(type_verbs), argc, argv);
}
