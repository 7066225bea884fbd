// SPDX-License-Identifier: GPL-2.0-only
/*
 * Generic netlink family "vgpu": configuration, lists and events.
 *
 * Each command has its own strict policy listing exactly the attributes it
 * takes, so the core refuses anything else with an extended ack pointing at
 * the attribute.  Handlers run in parallel (parallel_ops): all state is
 * under vgpu_config_lock.  The uapi header documents every command.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/uidgid.h>
#include <net/genetlink.h>

#include "gpu.h"
#include "netlink.h"
#include "slice.h"

static struct genl_family vgpu_genl_family;
static bool vgpu_nl_ready;	/* under vgpu_config_lock: events may be sent */

enum vgpu_mcgrp {
	VGPU_MCGRP_EVENTS,
};

static const struct genl_multicast_group vgpu_mcgrps[] = {
	[VGPU_MCGRP_EVENTS] = { .name = VGPU_GENL_MCGRP_EVENTS },
};

static struct netlink_range_validation vgpu_gpu_mem_range = {
	.min = VGPU_GPU_MEM_MIN, .max = VGPU_GPU_MEM_MAX,
};

static struct netlink_range_validation vgpu_quota_range = {
	.min = VGPU_MEM_MIN, .max = VGPU_GPU_MEM_MAX,
};

static struct netlink_range_validation vgpu_sms_range = {
	.min = 1, .max = VGPU_SMS_MAX,
};

static struct netlink_range_validation vgpu_timeslice_range = {
	.min = VGPU_TIMESLICE_MIN_US, .max = VGPU_TIMESLICE_MAX_US,
};

static struct netlink_range_validation vgpu_period_range = {
	.min = VGPU_PERIOD_MIN_US, .max = VGPU_PERIOD_MAX_US,
};

/* A slice's time slice: 0 (the GPU's) or within the GPU range. */
static int vgpu_nl_check_timeslice(const struct nlattr *attr,
				   struct netlink_ext_ack *extack)
{
	u32 us = nla_get_u32(attr);

	if (us && (us < VGPU_TIMESLICE_MIN_US || us > VGPU_TIMESLICE_MAX_US)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "time slice must be 0 (the GPU's) or 1000 to 100000 us");
		return -ERANGE;
	}
	return 0;
}

/* Entries shared by the per-command policies below. */
#define POL_GPU_ID \
	[VGPU_ATTR_GPU_ID] = { .type = NLA_U32 }
#define POL_GPU_POLICY \
	[VGPU_ATTR_GPU_POLICY] = \
		NLA_POLICY_RANGE(NLA_U32, VGPU_POLICY_BEST_EFFORT, VGPU_POLICY_MAX)
#define POL_GPU_TIMESLICE \
	[VGPU_ATTR_GPU_TIMESLICE_US] = \
		NLA_POLICY_FULL_RANGE(NLA_U32, &vgpu_timeslice_range)
#define POL_GPU_PERIOD \
	[VGPU_ATTR_GPU_PERIOD_US] = \
		NLA_POLICY_FULL_RANGE(NLA_U32, &vgpu_period_range)
#define POL_SLICE_UUID \
	[VGPU_ATTR_SLICE_UUID] = NLA_POLICY_EXACT_LEN(VGPU_UUID_LEN)
#define POL_SLICE_PARAMS						\
	[VGPU_ATTR_SLICE_MEM_QUOTA] =					\
		NLA_POLICY_FULL_RANGE(NLA_U64, &vgpu_quota_range),	\
	[VGPU_ATTR_SLICE_WEIGHT] =					\
		NLA_POLICY_RANGE(NLA_U32, 1, VGPU_WEIGHT_MAX),		\
	[VGPU_ATTR_SLICE_CAP] = NLA_POLICY_MAX(NLA_U32, VGPU_WEIGHT_MAX), \
	[VGPU_ATTR_SLICE_TIMESLICE_US] =				\
		NLA_POLICY_VALIDATE_FN(NLA_U32, vgpu_nl_check_timeslice), \
	[VGPU_ATTR_SLICE_PRIORITY] =					\
		NLA_POLICY_MAX(NLA_U32, VGPU_PRIORITY_MAX),		\
	[VGPU_ATTR_SLICE_TENANT] = { .type = NLA_NUL_STRING,		\
				     .len = VGPU_NAME_MAX - 1 }

static const struct nla_policy vgpu_gpu_get_policy[VGPU_ATTR_MAX + 1] = {
	POL_GPU_ID,
};

static const struct nla_policy vgpu_gpu_new_policy[VGPU_ATTR_MAX + 1] = {
	[VGPU_ATTR_GPU_NAME] = { .type = NLA_NUL_STRING,
				 .len = VGPU_NAME_MAX - 1 },
	[VGPU_ATTR_GPU_PCI] = { .type = NLA_NUL_STRING,
				.len = VGPU_PCI_ADDR_MAX - 1 },
	[VGPU_ATTR_GPU_SIM] = { .type = NLA_FLAG },
	[VGPU_ATTR_GPU_UUID] = NLA_POLICY_EXACT_LEN(VGPU_UUID_LEN),
	[VGPU_ATTR_GPU_MEMORY] =
		NLA_POLICY_FULL_RANGE(NLA_U64, &vgpu_gpu_mem_range),
	[VGPU_ATTR_GPU_SMS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vgpu_sms_range),
	POL_GPU_POLICY,
	POL_GPU_TIMESLICE,
	POL_GPU_PERIOD,
};

static const struct nla_policy vgpu_gpu_del_policy[VGPU_ATTR_MAX + 1] = {
	POL_GPU_ID,
	[VGPU_ATTR_FORCE] = { .type = NLA_FLAG },
};

static const struct nla_policy vgpu_gpu_set_policy[VGPU_ATTR_MAX + 1] = {
	POL_GPU_ID,
	POL_GPU_POLICY,
	POL_GPU_TIMESLICE,
	POL_GPU_PERIOD,
};

static const struct nla_policy vgpu_slice_get_policy[VGPU_ATTR_MAX + 1] = {
	POL_GPU_ID,
	POL_SLICE_UUID,
};

static const struct nla_policy vgpu_slice_new_policy[VGPU_ATTR_MAX + 1] = {
	POL_GPU_ID,
	[VGPU_ATTR_TYPE_NAME] = { .type = NLA_NUL_STRING,
				  .len = VGPU_TYPE_NAME_MAX - 1 },
	POL_SLICE_UUID,
	POL_SLICE_PARAMS,
	[VGPU_ATTR_SLICE_UID] = { .type = NLA_U32 },
	[VGPU_ATTR_SLICE_GID] = { .type = NLA_U32 },
	[VGPU_ATTR_SLICE_MODE] = NLA_POLICY_MAX(NLA_U32, 0777),
};

static const struct nla_policy vgpu_slice_del_policy[VGPU_ATTR_MAX + 1] = {
	POL_SLICE_UUID,
};

static const struct nla_policy vgpu_slice_set_policy[VGPU_ATTR_MAX + 1] = {
	POL_SLICE_UUID,
	POL_SLICE_PARAMS,
};

/* A required attribute is missing: say which, in words and in the ack. */
#define VGPU_NL_MISSING(info, attr, msg) ({				\
	struct genl_info *__vinfo = (info);				\
	bool __missing = GENL_REQ_ATTR_CHECK(__vinfo, attr);		\
	if (__missing)							\
		NL_SET_ERR_MSG_MOD(__vinfo->extack, msg);		\
	__missing;							\
})

/* Message building */

static int vgpu_nl_put_gpu(struct sk_buff *skb, struct vgpu_gpu *gpu)
{
	lockdep_assert_held(&vgpu_config_lock);
	if (nla_put_u32(skb, VGPU_ATTR_GPU_ID, gpu->id) ||
	    nla_put_string(skb, VGPU_ATTR_GPU_NAME, gpu->name) ||
	    (gpu->pdev ? nla_put_string(skb, VGPU_ATTR_GPU_PCI, gpu->pci_addr)
		       : nla_put_flag(skb, VGPU_ATTR_GPU_SIM)) ||
	    nla_put(skb, VGPU_ATTR_GPU_UUID, VGPU_UUID_LEN, gpu->uuid.b) ||
	    nla_put_u64_64bit(skb, VGPU_ATTR_GPU_MEMORY, gpu->memory,
			      VGPU_ATTR_PAD) ||
	    nla_put_u32(skb, VGPU_ATTR_GPU_SMS, gpu->sms) ||
	    nla_put_u32(skb, VGPU_ATTR_GPU_POLICY, gpu->policy) ||
	    nla_put_u32(skb, VGPU_ATTR_GPU_TIMESLICE_US, gpu->timeslice_us) ||
	    nla_put_u32(skb, VGPU_ATTR_GPU_PERIOD_US, gpu->period_us) ||
	    nla_put_u64_64bit(skb, VGPU_ATTR_GPU_MEM_FREE,
			      gpu->memory - gpu->mem_reserved, VGPU_ATTR_PAD) ||
	    nla_put_u32(skb, VGPU_ATTR_GPU_WEIGHT_FREE,
			VGPU_WEIGHT_MAX - gpu->weight_reserved) ||
	    nla_put_u32(skb, VGPU_ATTR_GPU_NR_SLICES, gpu->nr_slices) ||
	    (gpu->mdev && nla_put_flag(skb, VGPU_ATTR_GPU_MDEV)))
		return -EMSGSIZE;
	return 0;
}

static int vgpu_nl_put_type(struct sk_buff *skb, struct vgpu_type *type)
{
	char desc[VGPU_DESCRIPTION_MAX];

	lockdep_assert_held(&vgpu_config_lock);
	vgpu_type_describe(type, desc, sizeof(desc));
	if (nla_put_u32(skb, VGPU_ATTR_GPU_ID, type->gpu->id) ||
	    nla_put_string(skb, VGPU_ATTR_TYPE_NAME, type->name) ||
	    nla_put_u64_64bit(skb, VGPU_ATTR_TYPE_MEMORY, type->memory,
			      VGPU_ATTR_PAD) ||
	    nla_put_u32(skb, VGPU_ATTR_TYPE_WEIGHT, type->weight) ||
	    nla_put_u32(skb, VGPU_ATTR_TYPE_AVAILABLE,
			vgpu_type_available(type)) ||
	    nla_put_string(skb, VGPU_ATTR_TYPE_DESCRIPTION, desc))
		return -EMSGSIZE;
	return 0;
}

static int vgpu_nl_put_stats(struct sk_buff *skb, struct vgpu_slice *slice)
{
	struct vgpu_stats st;
	struct nlattr *nest;

	vgpu_slice_stats(slice, &st);
	nest = nla_nest_start(skb, VGPU_ATTR_SLICE_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, VGPU_STAT_MEM_USED, st.mem_used,
			      VGPU_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VGPU_STAT_MEM_PEAK, st.mem_peak,
			      VGPU_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VGPU_STAT_CHARGE_REFUSED, st.charge_refused,
			      VGPU_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VGPU_STAT_BUSY_NS, st.busy_ns,
			      VGPU_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VGPU_STAT_WAIT_NS, st.wait_ns,
			      VGPU_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VGPU_STAT_LEASES, st.leases, VGPU_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VGPU_STAT_OVERRUNS, st.overruns,
			      VGPU_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VGPU_STAT_CONTEXTS, st.contexts,
			      VGPU_STAT_PAD) ||
	    nla_put_u64_64bit(skb, VGPU_STAT_OVERRUN_NS, st.overrun_ns,
			      VGPU_STAT_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vgpu_nl_put_slice(struct sk_buff *skb, struct vgpu_slice *slice)
{
	lockdep_assert_held(&vgpu_config_lock);
	if (nla_put_u32(skb, VGPU_ATTR_GPU_ID, slice->gpu->id) ||
	    nla_put(skb, VGPU_ATTR_SLICE_UUID, VGPU_UUID_LEN, slice->uuid.b) ||
	    nla_put_string(skb, VGPU_ATTR_TYPE_NAME, slice->type->name) ||
	    nla_put_u64_64bit(skb, VGPU_ATTR_SLICE_MEM_QUOTA, slice->mem_quota,
			      VGPU_ATTR_PAD) ||
	    nla_put_u32(skb, VGPU_ATTR_SLICE_WEIGHT, slice->weight) ||
	    nla_put_u32(skb, VGPU_ATTR_SLICE_CAP, slice->cap) ||
	    nla_put_u32(skb, VGPU_ATTR_SLICE_TIMESLICE_US, slice->timeslice_us) ||
	    nla_put_u32(skb, VGPU_ATTR_SLICE_PRIORITY, slice->priority) ||
	    nla_put_string(skb, VGPU_ATTR_SLICE_TENANT, slice->tenant) ||
	    (slice->mdev && nla_put_flag(skb, VGPU_ATTR_SLICE_MDEV)) ||
	    vgpu_nl_put_stats(skb, slice))
		return -EMSGSIZE;
	return 0;
}

typedef int (*vgpu_nl_put_fn)(struct sk_buff *skb, void *obj);

/* One message: header, the object's attributes, end. */
static int vgpu_nl_fill(struct sk_buff *skb, u32 portid, u32 seq, int flags,
			u8 cmd, vgpu_nl_put_fn put, void *obj)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &vgpu_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (put(skb, obj)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int vgpu_nl_reply(struct genl_info *info, u8 cmd, vgpu_nl_put_fn put,
			 void *obj)
{
	struct sk_buff *skb;
	int ret;

	lockdep_assert_held(&vgpu_config_lock);
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	ret = vgpu_nl_fill(skb, info->snd_portid, info->snd_seq, 0, cmd, put,
			   obj);
	if (ret) {
		nlmsg_free(skb);
		return ret;
	}
	return genlmsg_reply(skb, info);
}

static void vgpu_nl_multicast(u8 cmd, vgpu_nl_put_fn put, void *obj)
{
	struct sk_buff *skb;

	lockdep_assert_held(&vgpu_config_lock);
	if (!vgpu_nl_ready ||
	    !genl_has_listeners(&vgpu_genl_family, &init_net, VGPU_MCGRP_EVENTS))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (vgpu_nl_fill(skb, 0, 0, 0, cmd, put, obj)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast(&vgpu_genl_family, skb, 0, VGPU_MCGRP_EVENTS,
			  GFP_KERNEL);
}

static int vgpu_nl_put_gpu_fn(struct sk_buff *skb, void *obj)
{
	return vgpu_nl_put_gpu(skb, obj);
}

static int vgpu_nl_put_type_fn(struct sk_buff *skb, void *obj)
{
	return vgpu_nl_put_type(skb, obj);
}

static int vgpu_nl_put_slice_fn(struct sk_buff *skb, void *obj)
{
	return vgpu_nl_put_slice(skb, obj);
}

void vgpu_nl_notify_gpu(struct vgpu_gpu *gpu, u8 cmd)
{
	vgpu_nl_multicast(cmd, vgpu_nl_put_gpu_fn, gpu);
}

void vgpu_nl_notify_slice(struct vgpu_slice *slice, u8 cmd)
{
	vgpu_nl_multicast(cmd, vgpu_nl_put_slice_fn, slice);
}

/*
 * From an ioctl of an open slice file, without vgpu_config_lock: the GPU id
 * and the UUID never change, and open files keep the module (and with it
 * the family) loaded.
 */
void vgpu_nl_event(struct vgpu_slice *slice, u8 cmd, int attr, u64 value)
{
	struct sk_buff *skb;
	void *hdr;

	if (!READ_ONCE(vgpu_nl_ready) ||
	    !genl_has_listeners(&vgpu_genl_family, &init_net, VGPU_MCGRP_EVENTS))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &vgpu_genl_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(skb, VGPU_ATTR_GPU_ID, slice->gpu->id) ||
	    nla_put(skb, VGPU_ATTR_SLICE_UUID, VGPU_UUID_LEN, slice->uuid.b) ||
	    nla_put_u64_64bit(skb, attr, value, VGPU_ATTR_PAD)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&vgpu_genl_family, skb, 0, VGPU_MCGRP_EVENTS,
			  GFP_KERNEL);
}

/* Lookups that report what is missing */

static struct vgpu_gpu *vgpu_nl_gpu(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[VGPU_ATTR_GPU_ID];
	struct vgpu_gpu *gpu;

	if (VGPU_NL_MISSING(info, VGPU_ATTR_GPU_ID, "GPU id missing"))
		return ERR_PTR(-EINVAL);
	gpu = vgpu_gpu_find(nla_get_u32(attr));
	if (!gpu) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "no such GPU");
		return ERR_PTR(-ENOENT);
	}
	return gpu;
}

static struct vgpu_slice *vgpu_nl_slice(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[VGPU_ATTR_SLICE_UUID];
	struct vgpu_slice *slice;
	uuid_t uuid;

	if (VGPU_NL_MISSING(info, VGPU_ATTR_SLICE_UUID, "slice UUID missing"))
		return ERR_PTR(-EINVAL);
	import_uuid(&uuid, nla_data(attr));
	slice = vgpu_slice_find(&uuid);
	if (!slice) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "no such slice");
		return ERR_PTR(-ENOENT);
	}
	return slice;
}

/* GPUs */

static int vgpu_nl_gpu_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vgpu_gpu *gpu;
	int ret;

	mutex_lock(&vgpu_config_lock);
	gpu = vgpu_nl_gpu(info);
	ret = IS_ERR(gpu) ? PTR_ERR(gpu)
			  : vgpu_nl_reply(info, VGPU_CMD_GPU_GET,
					  vgpu_nl_put_gpu_fn, gpu);
	mutex_unlock(&vgpu_config_lock);
	return ret;
}

static int vgpu_nl_gpu_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	unsigned long id = cb->args[0];
	struct vgpu_gpu *gpu;

	mutex_lock(&vgpu_config_lock);
	for (; (gpu = vgpu_gpu_next(&id)); id++) {
		if (vgpu_nl_fill(skb, NETLINK_CB(cb->skb).portid,
				 cb->nlh->nlmsg_seq, NLM_F_MULTI,
				 VGPU_CMD_GPU_GET, vgpu_nl_put_gpu_fn, gpu))
			break;
	}
	mutex_unlock(&vgpu_config_lock);
	cb->args[0] = id;
	return skb->len;
}

static int vgpu_nl_gpu_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct vgpu_gpu_params p = {};
	struct vgpu_gpu *gpu;
	int ret;

	if (!!attrs[VGPU_ATTR_GPU_PCI] == !!attrs[VGPU_ATTR_GPU_SIM]) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "give either a PCI address or the simulated flag");
		return -EINVAL;
	}
	if (VGPU_NL_MISSING(info, VGPU_ATTR_GPU_NAME, "GPU name missing") ||
	    VGPU_NL_MISSING(info, VGPU_ATTR_GPU_MEMORY, "GPU memory size missing") ||
	    VGPU_NL_MISSING(info, VGPU_ATTR_GPU_SMS, "GPU SM count missing"))
		return -EINVAL;
	p.name = nla_data(attrs[VGPU_ATTR_GPU_NAME]);
	if (attrs[VGPU_ATTR_GPU_PCI])
		p.pci = nla_data(attrs[VGPU_ATTR_GPU_PCI]);
	if (attrs[VGPU_ATTR_GPU_UUID]) {
		p.has_uuid = true;
		import_uuid(&p.uuid, nla_data(attrs[VGPU_ATTR_GPU_UUID]));
	}
	p.memory = nla_get_u64(attrs[VGPU_ATTR_GPU_MEMORY]);
	p.sms = nla_get_u32(attrs[VGPU_ATTR_GPU_SMS]);
	if (attrs[VGPU_ATTR_GPU_POLICY])
		p.policy = nla_get_u32(attrs[VGPU_ATTR_GPU_POLICY]);
	if (attrs[VGPU_ATTR_GPU_TIMESLICE_US])
		p.timeslice_us = nla_get_u32(attrs[VGPU_ATTR_GPU_TIMESLICE_US]);
	if (attrs[VGPU_ATTR_GPU_PERIOD_US])
		p.period_us = nla_get_u32(attrs[VGPU_ATTR_GPU_PERIOD_US]);

	ret = vgpu_gpu_add(&p, &gpu, info->extack);
	if (ret)
		return ret;
	mutex_lock(&vgpu_config_lock);
	ret = vgpu_nl_reply(info, VGPU_CMD_GPU_NEW, vgpu_nl_put_gpu_fn, gpu);
	mutex_unlock(&vgpu_config_lock);
	put_device(&gpu->dev);
	return ret;
}

static int vgpu_nl_gpu_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	if (VGPU_NL_MISSING(info, VGPU_ATTR_GPU_ID, "GPU id missing"))
		return -EINVAL;
	return vgpu_gpu_del(nla_get_u32(info->attrs[VGPU_ATTR_GPU_ID]),
			    nla_get_flag(info->attrs[VGPU_ATTR_FORCE]),
			    info->extack);
}

static int vgpu_nl_gpu_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct vgpu_gpu_settings s = {};
	struct vgpu_gpu *gpu;
	int ret;

	if (attrs[VGPU_ATTR_GPU_POLICY])
		s.policy = nla_get_u32(attrs[VGPU_ATTR_GPU_POLICY]);
	if (attrs[VGPU_ATTR_GPU_TIMESLICE_US])
		s.timeslice_us = nla_get_u32(attrs[VGPU_ATTR_GPU_TIMESLICE_US]);
	if (attrs[VGPU_ATTR_GPU_PERIOD_US])
		s.period_us = nla_get_u32(attrs[VGPU_ATTR_GPU_PERIOD_US]);
	mutex_lock(&vgpu_config_lock);
	gpu = vgpu_nl_gpu(info);
	ret = IS_ERR(gpu) ? PTR_ERR(gpu) : vgpu_gpu_set(gpu, &s, info->extack);
	mutex_unlock(&vgpu_config_lock);
	return ret;
}

/* Types */

static int vgpu_nl_filter_gpu(struct netlink_callback *cb, u32 *id)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct nlattr *attr = info->attrs[VGPU_ATTR_GPU_ID];

	if (!attr)
		return 0;
	*id = nla_get_u32(attr);
	if (!cb->args[2] && !vgpu_gpu_find(*id)) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attr, "no such GPU");
		return -ENOENT;
	}
	cb->args[2] = 1;	/* checked once: later parts may see it go */
	return 1;
}

static int vgpu_nl_type_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	unsigned long id = cb->args[0];
	unsigned int t = cb->args[1];
	struct vgpu_gpu *gpu;
	u32 only;
	int filter;

	mutex_lock(&vgpu_config_lock);
	filter = vgpu_nl_filter_gpu(cb, &only);
	if (filter < 0) {
		mutex_unlock(&vgpu_config_lock);
		return filter;
	}
	for (; (gpu = vgpu_gpu_next(&id)); id++, t = 0) {
		if (filter && gpu->id != only)
			continue;
		for (; t < VGPU_NR_TYPES; t++)
			if (vgpu_nl_fill(skb, NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI,
					 VGPU_CMD_TYPE_GET, vgpu_nl_put_type_fn,
					 &gpu->types[t]))
				goto out;
	}
out:
	mutex_unlock(&vgpu_config_lock);
	cb->args[0] = id;
	cb->args[1] = t;
	return skb->len;
}

/* Slices */

static int vgpu_nl_slice_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vgpu_slice *slice;
	int ret;

	mutex_lock(&vgpu_config_lock);
	slice = vgpu_nl_slice(info);
	ret = IS_ERR(slice) ? PTR_ERR(slice)
			    : vgpu_nl_reply(info, VGPU_CMD_SLICE_GET,
					    vgpu_nl_put_slice_fn, slice);
	mutex_unlock(&vgpu_config_lock);
	return ret;
}

static int vgpu_nl_slice_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	unsigned long serial = cb->args[0];
	struct vgpu_slice *slice;
	u32 only;
	int filter;

	mutex_lock(&vgpu_config_lock);
	filter = vgpu_nl_filter_gpu(cb, &only);
	if (filter < 0) {
		mutex_unlock(&vgpu_config_lock);
		return filter;
	}
	for (; (slice = vgpu_slice_next(&serial)); serial++) {
		if (filter && slice->gpu->id != only)
			continue;
		if (vgpu_nl_fill(skb, NETLINK_CB(cb->skb).portid,
				 cb->nlh->nlmsg_seq, NLM_F_MULTI,
				 VGPU_CMD_SLICE_GET, vgpu_nl_put_slice_fn,
				 slice))
			break;
	}
	mutex_unlock(&vgpu_config_lock);
	cb->args[0] = serial;
	return skb->len;
}

static void vgpu_nl_slice_params(struct nlattr **attrs,
				 struct vgpu_slice_params *p)
{
	if (attrs[VGPU_ATTR_SLICE_MEM_QUOTA]) {
		p->set |= VGPU_SP_MEM_QUOTA;
		p->mem_quota = nla_get_u64(attrs[VGPU_ATTR_SLICE_MEM_QUOTA]);
	}
	if (attrs[VGPU_ATTR_SLICE_WEIGHT]) {
		p->set |= VGPU_SP_WEIGHT;
		p->weight = nla_get_u32(attrs[VGPU_ATTR_SLICE_WEIGHT]);
	}
	if (attrs[VGPU_ATTR_SLICE_CAP]) {
		p->set |= VGPU_SP_CAP;
		p->cap = nla_get_u32(attrs[VGPU_ATTR_SLICE_CAP]);
	}
	if (attrs[VGPU_ATTR_SLICE_TIMESLICE_US]) {
		p->set |= VGPU_SP_TIMESLICE;
		p->timeslice_us = nla_get_u32(attrs[VGPU_ATTR_SLICE_TIMESLICE_US]);
	}
	if (attrs[VGPU_ATTR_SLICE_PRIORITY]) {
		p->set |= VGPU_SP_PRIORITY;
		p->priority = nla_get_u32(attrs[VGPU_ATTR_SLICE_PRIORITY]);
	}
	if (attrs[VGPU_ATTR_SLICE_TENANT]) {
		p->set |= VGPU_SP_TENANT;
		nla_strscpy(p->tenant, attrs[VGPU_ATTR_SLICE_TENANT],
			    sizeof(p->tenant));
	}
}

static int vgpu_nl_slice_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	struct vgpu_slice_params p = {};
	struct vgpu_slice *slice;
	struct vgpu_type *type;
	struct vgpu_gpu *gpu;
	int ret;

	if (VGPU_NL_MISSING(info, VGPU_ATTR_TYPE_NAME, "slice type missing"))
		return -EINVAL;
	vgpu_nl_slice_params(attrs, &p);
	if (attrs[VGPU_ATTR_SLICE_UUID]) {
		p.set |= VGPU_SP_UUID;
		import_uuid(&p.uuid, nla_data(attrs[VGPU_ATTR_SLICE_UUID]));
	}
	if (attrs[VGPU_ATTR_SLICE_UID] || attrs[VGPU_ATTR_SLICE_GID] ||
	    attrs[VGPU_ATTR_SLICE_MODE]) {
		struct user_namespace *ns = current_user_ns();

		p.set |= VGPU_SP_OWNER;
		p.uid = attrs[VGPU_ATTR_SLICE_UID] ?
			make_kuid(ns, nla_get_u32(attrs[VGPU_ATTR_SLICE_UID])) :
			GLOBAL_ROOT_UID;
		p.gid = attrs[VGPU_ATTR_SLICE_GID] ?
			make_kgid(ns, nla_get_u32(attrs[VGPU_ATTR_SLICE_GID])) :
			GLOBAL_ROOT_GID;
		p.mode = attrs[VGPU_ATTR_SLICE_MODE] ?
			 nla_get_u32(attrs[VGPU_ATTR_SLICE_MODE]) : 0600;
	}

	mutex_lock(&vgpu_config_lock);
	gpu = vgpu_nl_gpu(info);
	if (IS_ERR(gpu)) {
		mutex_unlock(&vgpu_config_lock);
		return PTR_ERR(gpu);
	}
	type = vgpu_gpu_type_find(gpu, nla_data(attrs[VGPU_ATTR_TYPE_NAME]));
	if (!type) {
		mutex_unlock(&vgpu_config_lock);
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[VGPU_ATTR_TYPE_NAME],
				    "the GPU has no slice type of this name");
		return -ENOENT;
	}
	/* The type lives as long as the GPU, which the slice pins. */
	get_device(&gpu->dev);
	mutex_unlock(&vgpu_config_lock);

	ret = vgpu_slice_create(type, &p, NULL, &slice, info->extack);
	put_device(&gpu->dev);
	if (ret)
		return ret;
	mutex_lock(&vgpu_config_lock);
	ret = vgpu_nl_reply(info, VGPU_CMD_SLICE_NEW, vgpu_nl_put_slice_fn,
			    slice);
	mutex_unlock(&vgpu_config_lock);
	put_device(&slice->dev);
	return ret;
}

static int vgpu_nl_slice_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vgpu_slice *slice;
	int ret;

	mutex_lock(&vgpu_config_lock);
	slice = vgpu_nl_slice(info);
	if (IS_ERR(slice)) {
		mutex_unlock(&vgpu_config_lock);
		return PTR_ERR(slice);
	}
	if (slice->mdev) {
		mutex_unlock(&vgpu_config_lock);
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VGPU_ATTR_SLICE_UUID],
				    "slice was created through mdev: write 1 to its mdev remove file");
		return -EOPNOTSUPP;
	}
	get_device(&slice->dev);
	mutex_unlock(&vgpu_config_lock);

	ret = vgpu_slice_destroy(slice, false, info->extack);
	put_device(&slice->dev);
	return ret;
}

static int vgpu_nl_slice_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct vgpu_slice_params p = {};
	struct vgpu_slice *slice;
	int ret;

	vgpu_nl_slice_params(info->attrs, &p);
	mutex_lock(&vgpu_config_lock);
	slice = vgpu_nl_slice(info);
	ret = IS_ERR(slice) ? PTR_ERR(slice)
			    : vgpu_slice_set(slice, &p, info->extack);
	mutex_unlock(&vgpu_config_lock);
	return ret;
}

static const struct genl_ops vgpu_genl_ops[] = {
	{
		.cmd = VGPU_CMD_GPU_GET,
		.doit = vgpu_nl_gpu_get_doit,
		.dumpit = vgpu_nl_gpu_get_dumpit,
		.policy = vgpu_gpu_get_policy,
		.maxattr = VGPU_ATTR_MAX,
	},
	{
		.cmd = VGPU_CMD_GPU_NEW,
		.doit = vgpu_nl_gpu_new_doit,
		.policy = vgpu_gpu_new_policy,
		.maxattr = VGPU_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VGPU_CMD_GPU_DEL,
		.doit = vgpu_nl_gpu_del_doit,
		.policy = vgpu_gpu_del_policy,
		.maxattr = VGPU_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VGPU_CMD_GPU_SET,
		.doit = vgpu_nl_gpu_set_doit,
		.policy = vgpu_gpu_set_policy,
		.maxattr = VGPU_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VGPU_CMD_TYPE_GET,
		.dumpit = vgpu_nl_type_get_dumpit,
		.policy = vgpu_gpu_get_policy,
		.maxattr = VGPU_ATTR_MAX,
	},
	{
		.cmd = VGPU_CMD_SLICE_GET,
		.doit = vgpu_nl_slice_get_doit,
		.dumpit = vgpu_nl_slice_get_dumpit,
		.policy = vgpu_slice_get_policy,
		.maxattr = VGPU_ATTR_MAX,
	},
	{
		.cmd = VGPU_CMD_SLICE_NEW,
		.doit = vgpu_nl_slice_new_doit,
		.policy = vgpu_slice_new_policy,
		.maxattr = VGPU_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VGPU_CMD_SLICE_DEL,
		.doit = vgpu_nl_slice_del_doit,
		.policy = vgpu_slice_del_policy,
		.maxattr = VGPU_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VGPU_CMD_SLICE_SET,
		.doit = vgpu_nl_slice_set_doit,
		.policy = vgpu_slice_set_policy,
		.maxattr = VGPU_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family vgpu_genl_family __ro_after_init = {
	.name = VGPU_GENL_NAME,
	.version = VGPU_GENL_VERSION,
	.maxattr = VGPU_ATTR_MAX,
	.module = THIS_MODULE,
	.ops = vgpu_genl_ops,
	.n_ops = ARRAY_SIZE(vgpu_genl_ops),
	.mcgrps = vgpu_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vgpu_mcgrps),
	.parallel_ops = true,
};

int vgpu_nl_init(void)
{
	int ret = genl_register_family(&vgpu_genl_family);

	if (ret)
		return ret;
	mutex_lock(&vgpu_config_lock);
	WRITE_ONCE(vgpu_nl_ready, true);
	mutex_unlock(&vgpu_config_lock);
	return 0;
}

void vgpu_nl_exit(void)
{
	mutex_lock(&vgpu_config_lock);
	WRITE_ONCE(vgpu_nl_ready, false);
	mutex_unlock(&vgpu_config_lock);
	/* Waits for requests in flight: none starts after this returns. */
	genl_unregister_family(&vgpu_genl_family);
}
