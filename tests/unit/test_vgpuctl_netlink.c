// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl: netlink messages (tools/vgpuctl/netlink.c): extended acks of
 * errors and dump ends, offending attributes, reply objects with the
 * kernel's padding, requests; then the same code against the running
 * kernel's own generic netlink controller ("nlctrl"), which needs no module.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "vgpuctl.h"
#include "vgpuctl_test.h"

/* A SLICE_NEW request as vgpuctl builds it, with the header completed. */
static struct nl_msg *slice_new_request(void)
{
	struct nl_msg *msg = vg_nl_msg(NULL, VGPU_CMD_SLICE_NEW, 0);

	if (!msg)
		return NULL;
	nla_put_u32(msg, VGPU_ATTR_GPU_ID, 3);			/* at 20 */
	nla_put_string(msg, VGPU_ATTR_TYPE_NAME, "1g.10gb");	/* at 28 */
	nla_put_u32(msg, VGPU_ATTR_SLICE_WEIGHT, 500);		/* at 40 */
	nla_put_u32(msg, VGPU_ATTR_SLICE_CAP, 100);		/* at 48 */
	nlmsg_hdr(msg)->nlmsg_seq = 7;
	return msg;
}

/* The kernel's NLMSG_ERROR for req: capped or with req's payload echoed. */
static struct nl_msg *error_reply(struct nl_msg *req, int error, bool capped,
				  const char *sentence, int offs)
{
	struct nlmsghdr *r = nlmsg_hdr(req);
	struct nlmsgerr err = { .error = error, .msg = *r };
	int flags = (capped ? NLM_F_CAPPED : 0) |
		    (sentence || offs >= 0 ? NLM_F_ACK_TLVS : 0);
	struct nl_msg *msg = nlmsg_alloc_simple(NLMSG_ERROR, flags);

	if (!msg)
		return NULL;
	nlmsg_append(msg, &err, sizeof(err), NLMSG_ALIGNTO);
	if (!capped)
		nlmsg_append(msg, nlmsg_data(r), nlmsg_datalen(r), NLMSG_ALIGNTO);
	if (sentence)
		nla_put_string(msg, NLMSGERR_ATTR_MSG, sentence);
	if (offs >= 0)
		nla_put_u32(msg, NLMSGERR_ATTR_OFFS, (uint32_t)offs);
	return msg;
}

static void test_extack(void)
{
	struct nl_msg *req = slice_new_request(), *rep;
	struct vg_extack ext;
	struct nlmsghdr *h;

	CHECK(req != NULL);
	if (!req)
		return;

	/* Attribute offsets map back to the request's attributes. */
	h = nlmsg_hdr(req);
	CHECK_INT(vg_attr_at_offset(h, 20), VGPU_ATTR_GPU_ID);
	CHECK_INT(vg_attr_at_offset(h, 28), VGPU_ATTR_TYPE_NAME);
	CHECK_INT(vg_attr_at_offset(h, 40), VGPU_ATTR_SLICE_WEIGHT);
	CHECK_INT(vg_attr_at_offset(h, 48), VGPU_ATTR_SLICE_CAP);
	CHECK_INT(vg_attr_at_offset(h, 44), -1);	/* inside one */
	CHECK_INT(vg_attr_at_offset(h, 0), -1);
	CHECK_INT(vg_attr_at_offset(h, 16), -1);	/* the genl header */
	CHECK_INT(vg_attr_at_offset(h, 56), -1);	/* past the end */
	CHECK_INT(vg_attr_at_offset(NULL, 20), -1);
	CHECK_STR(vg_attr_option(VGPU_ATTR_SLICE_CAP), "--cap");
	CHECK_STR(vg_attr_option(VGPU_ATTR_SLICE_MEM_QUOTA), "--memory");
	CHECK(vg_attr_option(VGPU_ATTR_SLICE_STATS) == NULL);

	/* Capped, with a sentence and an offset. */
	rep = error_reply(req, -EINVAL, true, "cap below weight", 48);
	h = nlmsg_hdr(rep);
	CHECK_INT(vg_extack_parse(h, h->nlmsg_len, &ext), 0);
	CHECK_INT(ext.error, -EINVAL);
	CHECK_STR(ext.msg, "cap below weight");
	CHECK(ext.has_offs);
	CHECK_INT(ext.offs, 48);
	nlmsg_free(rep);

	/* Not capped: the request's payload comes first. */
	rep = error_reply(req, -ENOSPC, false, "not enough memory left on vgpu3\n", 40);
	h = nlmsg_hdr(rep);
	CHECK_INT(vg_extack_parse(h, h->nlmsg_len, &ext), 0);
	CHECK_INT(ext.error, -ENOSPC);
	CHECK_STR(ext.msg, "not enough memory left on vgpu3");	/* newline dropped */
	CHECK(ext.has_offs);
	CHECK_INT(ext.offs, 40);
	nlmsg_free(rep);

	/* No TLVs at all: the errno alone. */
	rep = error_reply(req, -EPERM, true, NULL, -1);
	h = nlmsg_hdr(rep);
	CHECK_INT(vg_extack_parse(h, h->nlmsg_len, &ext), 0);
	CHECK_INT(ext.error, -EPERM);
	CHECK_STR(ext.msg, "");
	CHECK(!ext.has_offs);
	nlmsg_free(rep);

	/* An offset without a sentence. */
	rep = error_reply(req, -ERANGE, false, NULL, 20);
	h = nlmsg_hdr(rep);
	CHECK_INT(vg_extack_parse(h, h->nlmsg_len, &ext), 0);
	CHECK_INT(ext.error, -ERANGE);
	CHECK_STR(ext.msg, "");
	CHECK(ext.has_offs && ext.offs == 20);

	/* Truncated: refused, nothing read past the end. */
	CHECK_INT(vg_extack_parse(h, NLMSG_HDRLEN + 4, &ext), -EBADMSG);
	CHECK_INT(vg_extack_parse(h, 8, &ext), -EBADMSG);
	nlmsg_free(rep);

	/* The end of a dump carries its errno and TLVs the same way. */
	{
		int e = -EINTR;
		struct nl_msg *done = nlmsg_alloc_simple(NLMSG_DONE,
							 NLM_F_MULTI | NLM_F_ACK_TLVS);

		nlmsg_append(done, &e, sizeof(e), NLMSG_ALIGNTO);
		nla_put_string(done, NLMSGERR_ATTR_MSG, "dump interrupted");
		h = nlmsg_hdr(done);
		CHECK_INT(vg_extack_parse(h, h->nlmsg_len, &ext), 0);
		CHECK_INT(ext.error, -EINTR);
		CHECK_STR(ext.msg, "dump interrupted");
		CHECK(!ext.has_offs);
		nlmsg_free(done);

		done = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);
		h = nlmsg_hdr(done);
		CHECK_INT(vg_extack_parse(h, h->nlmsg_len, &ext), 0);
		CHECK_INT(ext.error, 0);	/* old kernels: no payload */
		nlmsg_free(done);
	}
	nlmsg_free(req);
}

/* The kernel pads u64 attributes with a PAD attribute to align them. */
static void put_u64_padded(struct nl_msg *msg, int pad, int type, uint64_t v)
{
	if ((nlmsg_hdr(msg)->nlmsg_len + NLA_HDRLEN) % 8)
		nla_put(msg, pad, 0, NULL);
	nla_put_u64(msg, type, v);
}

static void test_reply_objects(void)
{
	static const uint8_t uuid[16] = { 1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10,
					  11, 12, 13, 14, 15, 16 };
	struct nlattr *tb[VGPU_ATTR_MAX + 1], *nest;
	struct nl_msg *msg;
	struct vg_slice s;
	struct vg_type t;
	struct vg_gpu g;

	/* A simulated GPU. */
	msg = vg_nl_msg(NULL, VGPU_CMD_GPU_GET, 0);
	nla_put_u32(msg, VGPU_ATTR_GPU_ID, 4);
	nla_put_string(msg, VGPU_ATTR_GPU_NAME, "Simulated GPU");
	nla_put_flag(msg, VGPU_ATTR_GPU_SIM);
	nla_put(msg, VGPU_ATTR_GPU_UUID, 16, uuid);
	put_u64_padded(msg, VGPU_ATTR_PAD, VGPU_ATTR_GPU_MEMORY, 16ULL << 30);
	nla_put_u32(msg, VGPU_ATTR_GPU_SMS, 108);
	nla_put_u32(msg, VGPU_ATTR_GPU_POLICY, VGPU_POLICY_FIXED_SHARE);
	nla_put_u32(msg, VGPU_ATTR_GPU_TIMESLICE_US, 10000);
	nla_put_u32(msg, VGPU_ATTR_GPU_PERIOD_US, 100000);
	put_u64_padded(msg, VGPU_ATTR_PAD, VGPU_ATTR_GPU_MEM_FREE, 6ULL << 30);
	nla_put_u32(msg, VGPU_ATTR_GPU_WEIGHT_FREE, 375);
	nla_put_u32(msg, VGPU_ATTR_GPU_NR_SLICES, 2);
	nla_put_flag(msg, VGPU_ATTR_GPU_MDEV);
	nla_put_u32(msg, VGPU_ATTR_MAX + 9, 1);	/* from a newer kernel: ignored */
	CHECK_INT(vg_nl_parse(nlmsg_hdr(msg), tb), 0);
	CHECK_INT(vg_gpu_from_attrs(tb, &g), 0);
	CHECK_INT(g.id, 4);
	CHECK_STR(g.name, "Simulated GPU");
	CHECK(g.sim);
	CHECK_STR(g.pci, "");
	CHECK(!memcmp(g.uuid, uuid, 16));
	CHECK_U64(g.memory, 16ULL << 30);
	CHECK_INT(g.sms, 108);
	CHECK_INT(g.policy, VGPU_POLICY_FIXED_SHARE);
	CHECK_INT(g.timeslice_us, 10000);
	CHECK_INT(g.period_us, 100000);
	CHECK_U64(g.mem_free, 6ULL << 30);
	CHECK_INT(g.weight_free, 375);
	CHECK_INT(g.nr_slices, 2);
	CHECK(g.mdev);
	nlmsg_free(msg);

	/* A PCI GPU without mdev. */
	msg = vg_nl_msg(NULL, VGPU_CMD_GPU_GET, 0);
	nla_put_u32(msg, VGPU_ATTR_GPU_ID, 0);
	nla_put_string(msg, VGPU_ATTR_GPU_PCI, "0000:3b:00.0");
	CHECK_INT(vg_nl_parse(nlmsg_hdr(msg), tb), 0);
	CHECK_INT(vg_gpu_from_attrs(tb, &g), 0);
	CHECK(!g.sim && !g.mdev);
	CHECK_STR(g.pci, "0000:3b:00.0");
	nlmsg_free(msg);

	/* No GPU_ID: not a GPU. */
	msg = vg_nl_msg(NULL, VGPU_CMD_GPU_GET, 0);
	nla_put_string(msg, VGPU_ATTR_GPU_NAME, "x");
	CHECK_INT(vg_nl_parse(nlmsg_hdr(msg), tb), 0);
	CHECK_INT(vg_gpu_from_attrs(tb, &g), -EBADMSG);
	nlmsg_free(msg);

	/* A wrong length is refused by the policy. */
	msg = vg_nl_msg(NULL, VGPU_CMD_GPU_GET, 0);
	nla_put(msg, VGPU_ATTR_GPU_UUID, 15, uuid);
	CHECK_INT(vg_nl_parse(nlmsg_hdr(msg), tb), -EBADMSG);
	nlmsg_free(msg);

	/* A type. */
	msg = vg_nl_msg(NULL, VGPU_CMD_TYPE_GET, 0);
	nla_put_u32(msg, VGPU_ATTR_GPU_ID, 1);
	nla_put_string(msg, VGPU_ATTR_TYPE_NAME, "2g.20gb");
	put_u64_padded(msg, VGPU_ATTR_PAD, VGPU_ATTR_TYPE_MEMORY, 20ULL << 30);
	nla_put_u32(msg, VGPU_ATTR_TYPE_WEIGHT, 250);
	nla_put_u32(msg, VGPU_ATTR_TYPE_AVAILABLE, 3);
	nla_put_string(msg, VGPU_ATTR_TYPE_DESCRIPTION,
		       "memory=21474836480\nweight=250\nfraction=1/4\nsms=27\n");
	CHECK_INT(vg_nl_parse(nlmsg_hdr(msg), tb), 0);
	CHECK_INT(vg_type_from_attrs(tb, &t), 0);
	CHECK_INT(t.gpu, 1);
	CHECK_STR(t.name, "2g.20gb");
	CHECK_U64(t.memory, 20ULL << 30);
	CHECK_INT(t.weight, 250);
	CHECK_INT(t.available, 3);
	CHECK_STR(t.description, "memory=21474836480\nweight=250\nfraction=1/4\nsms=27\n");
	nlmsg_free(msg);

	/* A slice with nested, padded stats. */
	msg = vg_nl_msg(NULL, VGPU_CMD_SLICE_GET, 0);
	nla_put_u32(msg, VGPU_ATTR_GPU_ID, 1);
	nla_put(msg, VGPU_ATTR_SLICE_UUID, 16, uuid);
	nla_put_string(msg, VGPU_ATTR_TYPE_NAME, "1g.10gb");
	put_u64_padded(msg, VGPU_ATTR_PAD, VGPU_ATTR_SLICE_MEM_QUOTA, 10ULL << 30);
	nla_put_u32(msg, VGPU_ATTR_SLICE_WEIGHT, 125);
	nla_put_u32(msg, VGPU_ATTR_SLICE_CAP, 500);
	nla_put_u32(msg, VGPU_ATTR_SLICE_TIMESLICE_US, 0);
	nla_put_u32(msg, VGPU_ATTR_SLICE_PRIORITY, 3);
	nla_put_string(msg, VGPU_ATTR_SLICE_TENANT, "team-a");
	nla_put_flag(msg, VGPU_ATTR_SLICE_MDEV);
	nest = nla_nest_start(msg, VGPU_ATTR_SLICE_STATS);
	put_u64_padded(msg, VGPU_STAT_PAD, VGPU_STAT_MEM_USED, 1ULL << 30);
	put_u64_padded(msg, VGPU_STAT_PAD, VGPU_STAT_MEM_PEAK, 2ULL << 30);
	put_u64_padded(msg, VGPU_STAT_PAD, VGPU_STAT_CHARGE_REFUSED, 5);
	put_u64_padded(msg, VGPU_STAT_PAD, VGPU_STAT_BUSY_NS, 123456789012ULL);
	put_u64_padded(msg, VGPU_STAT_PAD, VGPU_STAT_WAIT_NS, 42);
	put_u64_padded(msg, VGPU_STAT_PAD, VGPU_STAT_LEASES, 1000);
	put_u64_padded(msg, VGPU_STAT_PAD, VGPU_STAT_OVERRUNS, 7);
	put_u64_padded(msg, VGPU_STAT_PAD, VGPU_STAT_CONTEXTS, 2);
	nla_nest_end(msg, nest);
	CHECK_INT(vg_nl_parse(nlmsg_hdr(msg), tb), 0);
	CHECK_INT(vg_slice_from_attrs(tb, &s), 0);
	CHECK(!memcmp(s.uuid, uuid, 16));
	CHECK_INT(s.gpu, 1);
	CHECK_STR(s.type, "1g.10gb");
	CHECK_U64(s.mem_quota, 10ULL << 30);
	CHECK_INT(s.weight, 125);
	CHECK_INT(s.cap, 500);
	CHECK_INT(s.timeslice_us, 0);
	CHECK_INT(s.priority, 3);
	CHECK_STR(s.tenant, "team-a");
	CHECK(s.mdev);
	CHECK_U64(s.stats.mem_used, 1ULL << 30);
	CHECK_U64(s.stats.mem_peak, 2ULL << 30);
	CHECK_U64(s.stats.charge_refused, 5);
	CHECK_U64(s.stats.busy_ns, 123456789012ULL);
	CHECK_U64(s.stats.wait_ns, 42);
	CHECK_U64(s.stats.leases, 1000);
	CHECK_U64(s.stats.overruns, 7);
	CHECK_U64(s.stats.contexts, 2);
	nlmsg_free(msg);
}

static void test_requests(void)
{
	struct nlattr *tb[VGPU_ATTR_MAX + 1];
	struct vg_gpu_add_args a = {
		.sim = true, .has_name = true, .name = "sim0",
		.has_memory = true, .memory = 80ULL << 30,
		.has_sms = true, .sms = 132,
		.has_policy = true, .policy = VGPU_POLICY_EQUAL_SHARE,
	};
	struct vg_slice_args s = {
		.has_memory = true, .memory = 3ULL << 30,
		.has_cap = true, .cap = 0,
		.has_tenant = true, .tenant = "t1",
	};
	struct nl_msg *msg;
	char name[VGPU_NAME_MAX];

	msg = vg_nl_msg(NULL, VGPU_CMD_GPU_NEW, 0);
	CHECK_INT(vg_gpu_add_put(msg, &a), 0);
	CHECK_INT(nlmsg_hdr(msg)->nlmsg_len % 4, 0);
	CHECK_INT(vg_nl_parse(nlmsg_hdr(msg), tb), 0);
	CHECK(tb[VGPU_ATTR_GPU_SIM] != NULL);
	CHECK(tb[VGPU_ATTR_GPU_PCI] == NULL);
	nla_strlcpy(name, tb[VGPU_ATTR_GPU_NAME], sizeof(name));
	CHECK_STR(name, "sim0");
	CHECK(tb[VGPU_ATTR_GPU_MEMORY] && nla_len(tb[VGPU_ATTR_GPU_MEMORY]) == 8);
	CHECK_U64(nla_get_u64(tb[VGPU_ATTR_GPU_MEMORY]), 80ULL << 30);
	CHECK_INT(nla_get_u32(tb[VGPU_ATTR_GPU_SMS]), 132);
	CHECK_INT(nla_get_u32(tb[VGPU_ATTR_GPU_POLICY]), VGPU_POLICY_EQUAL_SHARE);
	CHECK(!tb[VGPU_ATTR_GPU_UUID] && !tb[VGPU_ATTR_GPU_TIMESLICE_US] &&
	      !tb[VGPU_ATTR_GPU_PERIOD_US]);
	CHECK_INT(((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(msg)))->cmd,
		  VGPU_CMD_GPU_NEW);
	CHECK_INT(((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(msg)))->version,
		  VGPU_GENL_VERSION);
	nlmsg_free(msg);

	a.sim = false;
	a.has_pci = true;
	snprintf(a.pci, sizeof(a.pci), "0000:01:00.0");
	msg = vg_nl_msg(NULL, VGPU_CMD_GPU_NEW, 0);
	CHECK_INT(vg_gpu_add_put(msg, &a), 0);
	CHECK_INT(vg_nl_parse(nlmsg_hdr(msg), tb), 0);
	CHECK(tb[VGPU_ATTR_GPU_SIM] == NULL);
	CHECK(tb[VGPU_ATTR_GPU_PCI] != NULL);
	CHECK_STR(nla_get_string(tb[VGPU_ATTR_GPU_PCI]), "0000:01:00.0");
	nlmsg_free(msg);

	msg = vg_nl_msg(NULL, VGPU_CMD_SLICE_SET, 0);
	CHECK_INT(vg_slice_put_params(msg, &s), 0);
	CHECK_INT(vg_nl_parse(nlmsg_hdr(msg), tb), 0);
	CHECK_U64(nla_get_u64(tb[VGPU_ATTR_SLICE_MEM_QUOTA]), 3ULL << 30);
	CHECK(tb[VGPU_ATTR_SLICE_CAP] && nla_get_u32(tb[VGPU_ATTR_SLICE_CAP]) == 0);
	CHECK_STR(nla_get_string(tb[VGPU_ATTR_SLICE_TENANT]), "t1");
	CHECK(!tb[VGPU_ATTR_SLICE_WEIGHT] && !tb[VGPU_ATTR_SLICE_PRIORITY] &&
	      !tb[VGPU_ATTR_SLICE_TIMESLICE_US] && !tb[VGPU_ATTR_SLICE_UUID]);
	nlmsg_free(msg);
}

/*
 * The request path against a real kernel: the generic netlink controller
 * answers, refuses with ENOENT, refuses a bad attribute with an extended
 * ack pointing at it, and dumps.
 */
static void test_live_nlctrl(void)
{
	char long_name[GENL_NAMSIZ + 8];
	struct vg_nlerr ne;
	struct nl_msg *msg;
	struct vg_nl *nl;
	int ret;

	nl = vg_nl_connect_family("nlctrl");
	CHECK(nl != NULL);
	if (!nl)
		return;

	msg = vg_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	ret = vg_nl_request(nl, msg, NULL, NULL, &ne);
	CHECK_INT(ret, 0);
	CHECK_INT(ne.err, 0);

	msg = vg_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "vgpuctl-no-such");
	ret = vg_nl_request(nl, msg, NULL, NULL, &ne);
	CHECK_INT(ret, -ENOENT);
	CHECK_INT(ne.err, ENOENT);

	/* A name longer than the policy allows: EINVAL, sentence, offset. */
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	msg = vg_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	nla_put_u32(msg, CTRL_ATTR_VERSION, 1);
	nla_put(msg, CTRL_ATTR_FAMILY_NAME, GENL_NAMSIZ + 7, long_name);
	ret = vg_nl_request(nl, msg, NULL, NULL, &ne);
	CHECK(ret == -EINVAL || ret == -ERANGE);
	CHECK(ne.msg[0] != '\0');
	CHECK_INT(ne.attr, CTRL_ATTR_FAMILY_NAME);	/* the second attribute */
	if (ne.msg[0])
		printf("  kernel said: %s (attribute %d)\n", ne.msg, ne.attr);

	/* A dump ends with NLMSG_DONE and no error. */
	msg = vg_nl_msg(nl, CTRL_CMD_GETFAMILY, NLM_F_DUMP);
	ret = vg_nl_request(nl, msg, NULL, NULL, &ne);
	CHECK_INT(ret, 0);

	/* The socket is still in step after all that. */
	msg = vg_nl_msg(nl, CTRL_CMD_GETFAMILY, 0);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	CHECK_INT(vg_nl_request(nl, msg, NULL, NULL, &ne), 0);
	vg_nl_close(nl);

	/* An absent family is named. */
	CHECK(vg_nl_connect_family("vgpuctl-no-such") == NULL);
}

int main(void)
{
	test_extack();
	test_reply_objects();
	test_requests();
	test_live_nlctrl();
	return check_report("test_vgpuctl_netlink");
}
