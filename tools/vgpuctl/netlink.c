// SPDX-License-Identifier: GPL-2.0-only
/*
 * Generic netlink through libnl-genl-3: the socket, the family, requests and
 * dumps, and the kernel's extended acks.
 *
 * libnl does not read extended acks, so the error callback parses the TLVs
 * after struct nlmsgerr itself, and the end of a dump (NLMSG_DONE, which
 * carries the dump's errno and TLVs the same way) is parsed too.  The
 * kernel's errno is kept as it is; libnl's own -NLE_* codes only appear when
 * libnl failed locally and are turned into errnos here, never passed on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "vgpuctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

struct vg_nl {
	struct nl_sock *sk;
	int family;
};

/* libnl's error codes, for the few places where libnl itself fails. */
static int nle_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:			return 0;
	case NLE_NOMEM:		return ENOMEM;
	case NLE_PERM:		return EPERM;
	case NLE_NOACCESS:	return EACCES;
	case NLE_OBJ_NOTFOUND:	return ENOENT;
	case NLE_EXIST:		return EEXIST;
	case NLE_INVAL:		return EINVAL;
	case NLE_RANGE:		return ERANGE;
	case NLE_BUSY:		return EBUSY;
	case NLE_AGAIN:		return EAGAIN;
	case NLE_INTR:		return EINTR;
	case NLE_BAD_SOCK:	return EBADF;
	case NLE_AF_NOSUPPORT:	return EAFNOSUPPORT;
	case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
	case NLE_OPNOTSUPP:	return EOPNOTSUPP;
	case NLE_NODEV:		return ENODEV;
	case NLE_MSGSIZE:	return EMSGSIZE;
	case NLE_MSG_TOOSHORT:
	case NLE_MSG_TRUNC:
	case NLE_MSG_OVERFLOW:
	case NLE_PARSE_ERR:	return EBADMSG;
	case NLE_SEQ_MISMATCH:	return EPROTO;
	case NLE_DUMP_INTR:	return EINTR;
	default:		return EIO;
	}
}

/* ---- extended acks ---- */

int vg_extack_parse(const struct nlmsghdr *nlh, size_t len,
		    struct vg_extack *ext)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const char *payload = (const char *)nlh + NLMSG_HDRLEN;
	size_t plen, off;

	memset(ext, 0, sizeof(*ext));
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    nlh->nlmsg_len > len)
		return -EBADMSG;
	plen = nlh->nlmsg_len - NLMSG_HDRLEN;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *err = (const struct nlmsgerr *)payload;

		if (plen < sizeof(*err))
			return -EBADMSG;
		ext->error = err->error;
		off = NLMSG_ALIGN(sizeof(*err));
		/* Without CAP the request's payload is echoed first. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (err->msg.nlmsg_len < NLMSG_HDRLEN)
				return -EBADMSG;
			off += NLMSG_ALIGN(err->msg.nlmsg_len - NLMSG_HDRLEN);
		}
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		int v;

		/* Old kernels end a dump without the errno. */
		if (plen < sizeof(int))
			return 0;
		memcpy(&v, payload, sizeof(v));
		ext->error = v;
		off = NLMSG_ALIGN(sizeof(int));
	} else {
		return -EBADMSG;
	}

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= plen)
		return 0;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)(payload + off),
		      (int)(plen - off), NULL) < 0)
		return 0;	/* a malformed extack: keep the errno */
	if (tb[NLMSGERR_ATTR_MSG] && nla_len(tb[NLMSGERR_ATTR_MSG]) > 0) {
		nla_strlcpy(ext->msg, tb[NLMSGERR_ATTR_MSG], sizeof(ext->msg));
		/* The kernel's sentences may end with a newline. */
		off = strlen(ext->msg);
		while (off && (ext->msg[off - 1] == '\n' || ext->msg[off - 1] == ' '))
			ext->msg[--off] = '\0';
	}
	if (tb[NLMSGERR_ATTR_OFFS] &&
	    nla_len(tb[NLMSGERR_ATTR_OFFS]) >= (int)sizeof(uint32_t)) {
		ext->has_offs = true;
		ext->offs = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
	}
	return 0;
}

int vg_attr_at_offset(const struct nlmsghdr *req, uint32_t offs)
{
	const size_t first = NLMSG_HDRLEN + GENL_HDRLEN;
	const struct nlattr *nla;
	int rem;

	if (!req || offs < first || offs >= req->nlmsg_len)
		return -1;
	nla = (const struct nlattr *)((const char *)req + first);
	rem = (int)(req->nlmsg_len - first);
	for (; nla_ok(nla, rem); nla = nla_next(nla, &rem))
		if ((const char *)nla - (const char *)req == (ptrdiff_t)offs)
			return nla_type(nla);
	return -1;
}

const char *vg_attr_option(int attr)
{
	switch (attr) {
	case VGPU_ATTR_GPU_ID:			return "<gpu>";
	case VGPU_ATTR_GPU_NAME:		return "--name";
	case VGPU_ATTR_GPU_PCI:			return "--pci";
	case VGPU_ATTR_GPU_SIM:			return "--sim";
	case VGPU_ATTR_GPU_UUID:		return "--uuid";
	case VGPU_ATTR_GPU_MEMORY:		return "--memory";
	case VGPU_ATTR_GPU_SMS:			return "--sms";
	case VGPU_ATTR_GPU_POLICY:		return "--policy";
	case VGPU_ATTR_GPU_TIMESLICE_US:	return "--timeslice-us";
	case VGPU_ATTR_GPU_PERIOD_US:		return "--period-us";
	case VGPU_ATTR_FORCE:			return "--force";
	case VGPU_ATTR_TYPE_NAME:		return "<type>";
	case VGPU_ATTR_SLICE_UUID:		return "uuid";
	case VGPU_ATTR_SLICE_MEM_QUOTA:		return "--memory";
	case VGPU_ATTR_SLICE_WEIGHT:		return "--weight";
	case VGPU_ATTR_SLICE_CAP:		return "--cap";
	case VGPU_ATTR_SLICE_TIMESLICE_US:	return "--timeslice-us";
	case VGPU_ATTR_SLICE_PRIORITY:		return "--priority";
	case VGPU_ATTR_SLICE_TENANT:		return "--tenant";
	case VGPU_ATTR_SLICE_UID:		return "--owner";
	case VGPU_ATTR_SLICE_GID:		return "--owner";
	case VGPU_ATTR_SLICE_MODE:		return "--mode";
	default:				return NULL;
	}
}

int vg_fail_nl(const char *what, const struct vg_nlerr *ne)
{
	const char *opt = ne->attr >= 0 ? vg_attr_option(ne->attr) : NULL;

	fprintf(stderr, "vgpuctl: %s: %s", what, strerror(ne->err));
	if (ne->msg[0])
		fprintf(stderr, ": %s", ne->msg);
	if (opt)
		fprintf(stderr, " (%s)", opt);
	fputc('\n', stderr);
	return VG_EXIT_FAIL;
}

/* ---- the socket ---- */

struct vg_nl *vg_nl_connect(void)
{
	return vg_nl_connect_family(VGPU_GENL_NAME);
}

struct vg_nl *vg_nl_connect_family(const char *name)
{
	struct vg_nl *nl;
	int one = 1, fd, ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl) {
		vg_fail("open generic netlink socket", ENOMEM);
		return NULL;
	}
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		vg_fail("open generic netlink socket", ENOMEM);
		goto err_free;
	}
	ret = genl_connect(nl->sk);
	if (ret < 0) {
		vg_fail("open generic netlink socket", nle_to_errno(ret));
		goto err_sock;
	}
	fd = nl_socket_get_fd(nl->sk);
	/* Best effort: an old kernel only loses the sentences. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Let libnl size its buffer to the kernel's dump messages. */
	nl_socket_enable_msg_peek(nl->sk);

	ret = genl_ctrl_resolve(nl->sk, name);
	if (ret < 0) {
		if (ret == -NLE_OBJ_NOTFOUND && !strcmp(name, VGPU_GENL_NAME))
			vg_failf("vgpu kernel module not loaded (generic netlink family \"%s\" not found)",
				 name);
		else if (ret == -NLE_OBJ_NOTFOUND)
			vg_failf("generic netlink family \"%s\" not found", name);
		else
			vg_failf("resolve generic netlink family \"%s\": %s", name,
				 strerror(nle_to_errno(ret)));
		goto err_sock;
	}
	nl->family = ret;
	return nl;

err_sock:
	nl_socket_free(nl->sk);
err_free:
	free(nl);
	return NULL;
}

void vg_nl_close(struct vg_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

struct nl_msg *vg_nl_msg(struct vg_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl ? nl->family : 0,
			 0, flags, cmd, VGPU_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* ---- requests ---- */

static struct nla_policy attr_policy[VGPU_ATTR_MAX + 1] = {
	[VGPU_ATTR_GPU_ID]		= { .type = NLA_U32 },
	[VGPU_ATTR_GPU_NAME]		= { .type = NLA_STRING, .maxlen = VGPU_NAME_MAX },
	[VGPU_ATTR_GPU_PCI]		= { .type = NLA_STRING, .maxlen = VGPU_PCI_ADDR_MAX },
	[VGPU_ATTR_GPU_SIM]		= { .type = NLA_FLAG },
	[VGPU_ATTR_GPU_UUID]		= { .minlen = VGPU_UUID_LEN, .maxlen = VGPU_UUID_LEN },
	[VGPU_ATTR_GPU_MEMORY]		= { .type = NLA_U64 },
	[VGPU_ATTR_GPU_SMS]		= { .type = NLA_U32 },
	[VGPU_ATTR_GPU_POLICY]		= { .type = NLA_U32 },
	[VGPU_ATTR_GPU_TIMESLICE_US]	= { .type = NLA_U32 },
	[VGPU_ATTR_GPU_PERIOD_US]	= { .type = NLA_U32 },
	[VGPU_ATTR_GPU_MEM_FREE]	= { .type = NLA_U64 },
	[VGPU_ATTR_GPU_WEIGHT_FREE]	= { .type = NLA_U32 },
	[VGPU_ATTR_GPU_NR_SLICES]	= { .type = NLA_U32 },
	[VGPU_ATTR_GPU_MDEV]		= { .type = NLA_FLAG },
	[VGPU_ATTR_FORCE]		= { .type = NLA_FLAG },
	[VGPU_ATTR_TYPE_NAME]		= { .type = NLA_STRING, .maxlen = VGPU_TYPE_NAME_MAX },
	[VGPU_ATTR_TYPE_MEMORY]		= { .type = NLA_U64 },
	[VGPU_ATTR_TYPE_WEIGHT]		= { .type = NLA_U32 },
	[VGPU_ATTR_TYPE_AVAILABLE]	= { .type = NLA_U32 },
	[VGPU_ATTR_TYPE_DESCRIPTION]	= { .type = NLA_STRING, .maxlen = VGPU_DESCRIPTION_MAX },
	[VGPU_ATTR_SLICE_UUID]		= { .minlen = VGPU_UUID_LEN, .maxlen = VGPU_UUID_LEN },
	[VGPU_ATTR_SLICE_MEM_QUOTA]	= { .type = NLA_U64 },
	[VGPU_ATTR_SLICE_WEIGHT]	= { .type = NLA_U32 },
	[VGPU_ATTR_SLICE_CAP]		= { .type = NLA_U32 },
	[VGPU_ATTR_SLICE_TIMESLICE_US]	= { .type = NLA_U32 },
	[VGPU_ATTR_SLICE_PRIORITY]	= { .type = NLA_U32 },
	[VGPU_ATTR_SLICE_TENANT]	= { .type = NLA_STRING, .maxlen = VGPU_NAME_MAX },
	[VGPU_ATTR_SLICE_UID]		= { .type = NLA_U32 },
	[VGPU_ATTR_SLICE_GID]		= { .type = NLA_U32 },
	[VGPU_ATTR_SLICE_MODE]		= { .type = NLA_U32 },
	[VGPU_ATTR_SLICE_MDEV]		= { .type = NLA_FLAG },
	[VGPU_ATTR_SLICE_STATS]		= { .type = NLA_NESTED },
	[VGPU_ATTR_EVENT_BYTES]		= { .type = NLA_U64 },
	[VGPU_ATTR_EVENT_NS]		= { .type = NLA_U64 },
};

static struct nla_policy stat_policy[VGPU_STAT_MAX + 1] = {
	[VGPU_STAT_MEM_USED]		= { .type = NLA_U64 },
	[VGPU_STAT_MEM_PEAK]		= { .type = NLA_U64 },
	[VGPU_STAT_CHARGE_REFUSED]	= { .type = NLA_U64 },
	[VGPU_STAT_BUSY_NS]		= { .type = NLA_U64 },
	[VGPU_STAT_WAIT_NS]		= { .type = NLA_U64 },
	[VGPU_STAT_LEASES]		= { .type = NLA_U64 },
	[VGPU_STAT_OVERRUNS]		= { .type = NLA_U64 },
	[VGPU_STAT_CONTEXTS]		= { .type = NLA_U64 },
};

int vg_nl_parse(struct nlmsghdr *nlh, struct nlattr **tb)
{
	int ret;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	ret = genlmsg_parse(nlh, 0, tb, VGPU_ATTR_MAX, attr_policy);
	return ret < 0 ? -EBADMSG : 0;
}

struct request {
	struct nl_msg *req;
	vg_nl_obj_fn fn;
	void *arg;
	struct vg_nlerr *ne;
	bool done;
};

static void set_error(struct request *r, const struct vg_extack *ext)
{
	r->ne->err = -ext->error;
	snprintf(r->ne->msg, sizeof(r->ne->msg), "%s", ext->msg);
	r->ne->attr = ext->has_offs ?
		vg_attr_at_offset(nlmsg_hdr(r->req), ext->offs) : -1;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *nlerr, void *arg)
{
	/* libnl hands the payload: the header is just before it. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)nlerr - NLMSG_HDRLEN);
	struct request *r = arg;
	struct vg_extack ext;

	(void)nla;
	if (vg_extack_parse(nlh, nlh->nlmsg_len, &ext) || ext.error >= 0) {
		memset(&ext, 0, sizeof(ext));
		ext.error = nlerr->error < 0 ? nlerr->error : -EPROTO;
	}
	set_error(r, &ext);
	r->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct request *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct request *r = arg;
	struct vg_extack ext;

	if (!vg_extack_parse(nlh, nlh->nlmsg_len, &ext) && ext.error < 0)
		set_error(r, &ext);
	r->done = true;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VGPU_ATTR_MAX + 1];
	struct request *r = arg;
	int ret;

	if (!r->fn)
		return NL_OK;
	ret = vg_nl_parse(nlmsg_hdr(msg), tb);
	if (!ret)
		ret = r->fn(tb, r->arg);
	if (ret) {
		r->ne->err = -ret;
		r->ne->msg[0] = '\0';
		r->ne->attr = -1;
		/* Keep reading to the end so no reply is left queued. */
		r->fn = NULL;
	}
	return NL_OK;
}

int vg_nl_request(struct vg_nl *nl, struct nl_msg *msg, vg_nl_obj_fn fn,
		  void *arg, struct vg_nlerr *ne)
{
	struct request r = { .req = msg, .fn = fn, .arg = arg, .ne = ne };
	struct nl_cb *cb;
	int ret;

	ne->err = 0;
	ne->msg[0] = '\0';
	ne->attr = -1;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		ne->err = ENOMEM;
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &r);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);

	ret = nl_send_auto(nl->sk, msg);
	if (ret < 0) {
		ne->err = nle_to_errno(ret);
		goto out;
	}
	while (!r.done) {
		ret = nl_recvmsgs(nl->sk, cb);
		if (ret < 0) {
			/* The error callback already kept the kernel's errno. */
			if (!ne->err)
				ne->err = nle_to_errno(ret);
			break;
		}
	}
out:
	nl_cb_put(cb);
	nlmsg_free(msg);
	return -ne->err;
}

/* ---- objects ---- */

static void get_str(struct nlattr *a, char *out, size_t size)
{
	if (a)
		nla_strlcpy(out, a, size);
	else
		out[0] = '\0';
}

static uint32_t get_u32(struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static void get_uuid(struct nlattr *a, uint8_t out[VGPU_UUID_LEN])
{
	if (a)
		memcpy(out, nla_data(a), VGPU_UUID_LEN);
	else
		memset(out, 0, VGPU_UUID_LEN);
}

int vg_gpu_from_attrs(struct nlattr **tb, struct vg_gpu *g)
{
	if (!tb[VGPU_ATTR_GPU_ID])
		return -EBADMSG;
	memset(g, 0, sizeof(*g));
	g->id = get_u32(tb[VGPU_ATTR_GPU_ID]);
	get_str(tb[VGPU_ATTR_GPU_NAME], g->name, sizeof(g->name));
	get_str(tb[VGPU_ATTR_GPU_PCI], g->pci, sizeof(g->pci));
	g->sim = tb[VGPU_ATTR_GPU_SIM] || !tb[VGPU_ATTR_GPU_PCI];
	get_uuid(tb[VGPU_ATTR_GPU_UUID], g->uuid);
	g->memory = get_u64(tb[VGPU_ATTR_GPU_MEMORY]);
	g->sms = get_u32(tb[VGPU_ATTR_GPU_SMS]);
	g->policy = get_u32(tb[VGPU_ATTR_GPU_POLICY]);
	g->timeslice_us = get_u32(tb[VGPU_ATTR_GPU_TIMESLICE_US]);
	g->period_us = get_u32(tb[VGPU_ATTR_GPU_PERIOD_US]);
	g->mem_free = get_u64(tb[VGPU_ATTR_GPU_MEM_FREE]);
	g->weight_free = get_u32(tb[VGPU_ATTR_GPU_WEIGHT_FREE]);
	g->nr_slices = get_u32(tb[VGPU_ATTR_GPU_NR_SLICES]);
	g->mdev = tb[VGPU_ATTR_GPU_MDEV] != NULL;
	return 0;
}

int vg_type_from_attrs(struct nlattr **tb, struct vg_type *t)
{
	if (!tb[VGPU_ATTR_GPU_ID] || !tb[VGPU_ATTR_TYPE_NAME])
		return -EBADMSG;
	memset(t, 0, sizeof(*t));
	t->gpu = get_u32(tb[VGPU_ATTR_GPU_ID]);
	get_str(tb[VGPU_ATTR_TYPE_NAME], t->name, sizeof(t->name));
	t->memory = get_u64(tb[VGPU_ATTR_TYPE_MEMORY]);
	t->weight = get_u32(tb[VGPU_ATTR_TYPE_WEIGHT]);
	t->available = get_u32(tb[VGPU_ATTR_TYPE_AVAILABLE]);
	get_str(tb[VGPU_ATTR_TYPE_DESCRIPTION], t->description,
		sizeof(t->description));
	return 0;
}

int vg_slice_from_attrs(struct nlattr **tb, struct vg_slice *s)
{
	struct nlattr *st[VGPU_STAT_MAX + 1];

	if (!tb[VGPU_ATTR_SLICE_UUID])
		return -EBADMSG;
	memset(s, 0, sizeof(*s));
	get_uuid(tb[VGPU_ATTR_SLICE_UUID], s->uuid);
	s->gpu = get_u32(tb[VGPU_ATTR_GPU_ID]);
	get_str(tb[VGPU_ATTR_TYPE_NAME], s->type, sizeof(s->type));
	s->mem_quota = get_u64(tb[VGPU_ATTR_SLICE_MEM_QUOTA]);
	s->weight = get_u32(tb[VGPU_ATTR_SLICE_WEIGHT]);
	s->cap = get_u32(tb[VGPU_ATTR_SLICE_CAP]);
	s->timeslice_us = get_u32(tb[VGPU_ATTR_SLICE_TIMESLICE_US]);
	s->priority = get_u32(tb[VGPU_ATTR_SLICE_PRIORITY]);
	get_str(tb[VGPU_ATTR_SLICE_TENANT], s->tenant, sizeof(s->tenant));
	s->mdev = tb[VGPU_ATTR_SLICE_MDEV] != NULL;
	if (tb[VGPU_ATTR_SLICE_STATS]) {
		if (nla_parse_nested(st, VGPU_STAT_MAX, tb[VGPU_ATTR_SLICE_STATS],
				     stat_policy) < 0)
			return -EBADMSG;
		s->stats.mem_used = get_u64(st[VGPU_STAT_MEM_USED]);
		s->stats.mem_peak = get_u64(st[VGPU_STAT_MEM_PEAK]);
		s->stats.charge_refused = get_u64(st[VGPU_STAT_CHARGE_REFUSED]);
		s->stats.busy_ns = get_u64(st[VGPU_STAT_BUSY_NS]);
		s->stats.wait_ns = get_u64(st[VGPU_STAT_WAIT_NS]);
		s->stats.leases = get_u64(st[VGPU_STAT_LEASES]);
		s->stats.overruns = get_u64(st[VGPU_STAT_OVERRUNS]);
		s->stats.contexts = get_u64(st[VGPU_STAT_CONTEXTS]);
	}
	return 0;
}

/* An object of size bytes, parsed with result ret, onto vec. */
static int collect(struct vg_vec *vec, int ret, const void *obj, size_t size)
{
	void *p;

	if (ret)
		return ret;
	p = vg_vec_push(vec);
	if (!p)
		return -ENOMEM;
	memcpy(p, obj, size);
	return 0;
}

int vg_collect_gpu(struct nlattr **tb, void *vec)
{
	struct vg_gpu g;

	return collect(vec, vg_gpu_from_attrs(tb, &g), &g, sizeof(g));
}

int vg_collect_type(struct nlattr **tb, void *vec)
{
	struct vg_type t;

	return collect(vec, vg_type_from_attrs(tb, &t), &t, sizeof(t));
}

int vg_collect_slice(struct nlattr **tb, void *vec)
{
	struct vg_slice s;

	return collect(vec, vg_slice_from_attrs(tb, &s), &s, sizeof(s));
}

int vg_nlerr_nomem(struct vg_nlerr *ne)
{
	ne->err = ENOMEM;
	ne->msg[0] = '\0';
	ne->attr = -1;
	return -ENOMEM;
}

/* A doit request expecting exactly one object back, of size bytes. */
static int get_one(struct vg_nl *nl, struct nl_msg *msg, vg_nl_obj_fn fn,
		   void *obj, size_t size, struct vg_nlerr *ne)
{
	struct vg_vec v;
	int ret;

	vg_vec_init(&v, size);
	ret = vg_nl_request(nl, msg, fn, &v, ne);
	if (!ret && v.n != 1) {
		ne->err = EBADMSG;	/* the kernel did not answer with it */
		ret = -EBADMSG;
	}
	if (!ret)
		memcpy(obj, v.data, size);
	vg_vec_free(&v);
	return ret;
}

int vg_get_gpu(struct vg_nl *nl, uint32_t id, struct vg_gpu *g,
	       struct vg_nlerr *ne)
{
	struct nl_msg *msg = vg_nl_msg(nl, VGPU_CMD_GPU_GET, 0);

	if (!msg || nla_put_u32(msg, VGPU_ATTR_GPU_ID, id) < 0) {
		nlmsg_free(msg);
		return vg_nlerr_nomem(ne);
	}
	return get_one(nl, msg, vg_collect_gpu, g, sizeof(*g), ne);
}

int vg_get_slice(struct vg_nl *nl, const uint8_t uuid[VGPU_UUID_LEN],
		 struct vg_slice *s, struct vg_nlerr *ne)
{
	struct nl_msg *msg = vg_nl_msg(nl, VGPU_CMD_SLICE_GET, 0);

	if (!msg || nla_put(msg, VGPU_ATTR_SLICE_UUID, VGPU_UUID_LEN, uuid) < 0) {
		nlmsg_free(msg);
		return vg_nlerr_nomem(ne);
	}
	return get_one(nl, msg, vg_collect_slice, s, sizeof(*s), ne);
}

/* ---- the end of a verb ---- */

int vg_nl_finish(struct vg_nl *nl, struct nl_msg *msg, bool nomem,
		 vg_nl_obj_fn fn, size_t elem, const struct vg_objdesc *d,
		 bool list, const char *what)
{
	struct vg_nlerr ne;
	struct vg_vec v;
	int ret;

	if (!msg || nomem) {
		nlmsg_free(msg);
		vg_nl_close(nl);
		return vg_fail(what, ENOMEM);
	}
	vg_vec_init(&v, elem);
	ret = vg_nl_request(nl, msg, fn, &v, &ne);
	vg_nl_close(nl);
	if (ret)
		ret = vg_fail_nl(what, &ne);
	else if (list ? vg_print_list(d, v.data, v.n, v.elem) :
		 v.n && vg_print_one(d, v.data))
		ret = vg_fail(what, ENOMEM);
	vg_vec_free(&v);
	return ret;
}
