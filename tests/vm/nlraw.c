// SPDX-License-Identifier: GPL-2.0-only
/*
 * nlraw: send one hand-made request to the "vgpu" generic netlink family and
 * print what the kernel answered: its errno and the extended ack.
 *
 * It exists for the VM suite's bad-input cases, the requests vgpuctl refuses
 * to build: unknown attribute types, attributes a command does not take,
 * values of the wrong length or out of range.  libnl resolves the family and
 * builds the message; the answer is read straight off the socket because
 * libnl does not parse extended acks.
 *
 *   nlraw CMD [--dump] [--version N] [--reserved N] [--family NAME] ATTR...
 *   nlraw --list | --attr-max | --registered | --state
 *   nlraw --listen N [--ready-fd FD]
 *
 * CMD and ATTR are numbers or names from include/uapi/linux/vgpu.h, with or
 * without the VGPU_CMD_ / VGPU_ATTR_ prefix, in any case; options may come
 * before or after CMD.  Attributes, added in the order given:
 *   --u8/--u16/--u32/--u64 ATTR=VALUE   integer of that width
 *   --str ATTR=TEXT     string with its NUL     --nstr ATTR=TEXT  without
 *   --bin ATTR=HEX      bytes ('-' and ':' are ignored, so a UUID works)
 *   --flag ATTR         no payload               --raw ATTR=LEN   LEN 'a's
 *
 * Output: "errno=N TEXT: EXTACK" first, then "bad_attr=NAME (N)" and
 * "missing_attr=NAME (N)" when the ack points at one, the attributes of each
 * reply, and "replies=N" last.  Exit status: the kernel's errno, 0 on
 * success; 2 (ENOENT) when the family is not registered; 255 for a usage or
 * local error.  --registered only says whether the family is registered;
 * --state prints the replies of the GPU, type and slice dumps.
 * --listen joins the "events" group, writes "ready" to FD once it has (so a
 * test knows when to act), then prints each of the next N events as
 * "event CMD" and its attributes; it gives up after 60 s (ETIMEDOUT).
 * nlraw never makes the kernel load a module: it finds the family in a dump.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/cache.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <uapi/linux/vgpu.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define EXIT_LOCAL 255

enum kind { K_NONE, K_U32, K_U64, K_STR, K_FLAG, K_UUID, K_NEST };

struct name {
	const char *name;
	int value;
	enum kind kind;
};

#define CMD(n) { #n, VGPU_CMD_##n, K_NONE },
static const struct name cmds[] = {
	CMD(UNSPEC) CMD(GPU_GET) CMD(GPU_NEW) CMD(GPU_DEL) CMD(GPU_SET)
	CMD(TYPE_GET) CMD(SLICE_GET) CMD(SLICE_NEW) CMD(SLICE_DEL)
	CMD(SLICE_SET) CMD(EVENT_CHARGE_REFUSED) CMD(EVENT_OVERRUN)
};

#define ATTR(n, k) { #n, VGPU_ATTR_##n, k },
static const struct name attrs[] = {
	ATTR(UNSPEC, K_NONE)
	ATTR(PAD, K_NONE)
	ATTR(GPU_ID, K_U32)
	ATTR(GPU_NAME, K_STR)
	ATTR(GPU_PCI, K_STR)
	ATTR(GPU_SIM, K_FLAG)
	ATTR(GPU_UUID, K_UUID)
	ATTR(GPU_MEMORY, K_U64)
	ATTR(GPU_SMS, K_U32)
	ATTR(GPU_POLICY, K_U32)
	ATTR(GPU_TIMESLICE_US, K_U32)
	ATTR(GPU_PERIOD_US, K_U32)
	ATTR(GPU_MEM_FREE, K_U64)
	ATTR(GPU_WEIGHT_FREE, K_U32)
	ATTR(GPU_NR_SLICES, K_U32)
	ATTR(GPU_MDEV, K_FLAG)
	ATTR(FORCE, K_FLAG)
	ATTR(TYPE_NAME, K_STR)
	ATTR(TYPE_MEMORY, K_U64)
	ATTR(TYPE_WEIGHT, K_U32)
	ATTR(TYPE_AVAILABLE, K_U32)
	ATTR(TYPE_DESCRIPTION, K_STR)
	ATTR(SLICE_UUID, K_UUID)
	ATTR(SLICE_MEM_QUOTA, K_U64)
	ATTR(SLICE_WEIGHT, K_U32)
	ATTR(SLICE_CAP, K_U32)
	ATTR(SLICE_TIMESLICE_US, K_U32)
	ATTR(SLICE_PRIORITY, K_U32)
	ATTR(SLICE_TENANT, K_STR)
	ATTR(SLICE_UID, K_U32)
	ATTR(SLICE_GID, K_U32)
	ATTR(SLICE_MODE, K_U32)
	ATTR(SLICE_MDEV, K_FLAG)
	ATTR(SLICE_STATS, K_NEST)
	ATTR(EVENT_BYTES, K_U64)
	ATTR(EVENT_NS, K_U64)
};

#define STAT(n) { #n, VGPU_STAT_##n, K_U64 },
static const struct name stats[] = {
	STAT(UNSPEC) STAT(PAD) STAT(MEM_USED) STAT(MEM_PEAK)
	STAT(CHARGE_REFUSED) STAT(BUSY_NS) STAT(WAIT_NS) STAT(LEASES)
	STAT(OVERRUNS) STAT(CONTEXTS) STAT(OVERRUN_NS)
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The enums only grow: a value appended to the header after these tables
 * is still usable by number and printed as one.
 */

static const struct name *by_value(const struct name *t, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return &t[i];
	return NULL;
}

static void print_name(const char *what, const struct name *t, size_t n,
		       int v)
{
	const struct name *e = by_value(t, n, v);

	if (e)
		printf("%s=%s (%d)\n", what, e->name, v);
	else
		printf("%s=%d\n", what, v);
}

static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end || *out > max)
		return -ERANGE;
	return 0;
}

/* A name from the table (prefix and case optional), or a number. */
static int lookup(const struct name *t, size_t n, const char *prefix,
		  const char *s, unsigned long long max)
{
	size_t plen = strlen(prefix);
	unsigned long long v;

	if (!strncasecmp(s, prefix, plen))
		s += plen;
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(s, t[i].name))
			return t[i].value;
	if (parse_uint(s, max, &v)) {
		fprintf(stderr, "nlraw: '%s' is neither a %sname nor a number up to %llu\n",
			s, prefix, max);
		return -1;
	}
	return (int)v;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode HEX into buf; '-' and ':' separators are skipped. */
static int parse_hex(const char *s, unsigned char *buf, size_t size)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == '-' || *s == ':')
			continue;
		v = hexval(*s);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == size)
			return -E2BIG;
		buf[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -EINVAL;
}

/* Add one attribute option (OPT ATTR=VALUE or --flag ATTR) to msg. */
static int add_attr(struct nl_msg *msg, const char *opt, const char *arg)
{
	unsigned char buf[4096];
	unsigned long long v;
	const char *val = NULL;
	char name[128];
	size_t len;
	int type;

	if (strcmp(opt, "--flag")) {
		const char *eq = strchr(arg, '=');

		if (!eq || (size_t)(eq - arg) >= sizeof(name)) {
			fprintf(stderr, "nlraw: %s wants ATTR=VALUE, not '%s'\n",
				opt, arg);
			return -1;
		}
		memcpy(name, arg, (size_t)(eq - arg));
		name[eq - arg] = '\0';
		val = eq + 1;
	} else {
		if (strlen(arg) >= sizeof(name)) {
			fprintf(stderr, "nlraw: attribute name too long\n");
			return -1;
		}
		strcpy(name, arg);
	}
	type = lookup(attrs, ARRAY_SIZE(attrs), "VGPU_ATTR_", name,
		      NLA_TYPE_MASK);
	if (type < 0)
		return -1;

	if (!strcmp(opt, "--flag"))
		return nla_put(msg, type, 0, NULL);
	if (!strcmp(opt, "--str"))
		return nla_put_string(msg, type, val);
	if (!strcmp(opt, "--nstr"))
		return nla_put(msg, type, (int)strlen(val), val);
	if (!strcmp(opt, "--bin")) {
		int n = parse_hex(val, buf, sizeof(buf));

		if (n < 0) {
			fprintf(stderr, "nlraw: --bin %s: not hex bytes\n", arg);
			return -1;
		}
		return nla_put(msg, type, n, buf);
	}
	if (!strcmp(opt, "--raw")) {
		if (parse_uint(val, sizeof(buf), &v)) {
			fprintf(stderr, "nlraw: --raw %s: length 0..%zu\n", arg,
				sizeof(buf));
			return -1;
		}
		memset(buf, 'a', (size_t)v);
		return nla_put(msg, type, (int)v, buf);
	}

	if (!strcmp(opt, "--u8"))
		len = 1;
	else if (!strcmp(opt, "--u16"))
		len = 2;
	else if (!strcmp(opt, "--u32"))
		len = 4;
	else if (!strcmp(opt, "--u64"))
		len = 8;
	else {
		fprintf(stderr, "nlraw: unknown option '%s'\n", opt);
		return -1;
	}
	if (parse_uint(val, len == 8 ? UINT64_MAX : (1ULL << (len * 8)) - 1,
		       &v)) {
		fprintf(stderr, "nlraw: %s %s: not a %zu-bit unsigned number\n",
			opt, arg, len * 8);
		return -1;
	}
	switch (len) {
	case 1: return nla_put_u8(msg, type, (uint8_t)v);
	case 2: return nla_put_u16(msg, type, (uint16_t)v);
	case 4: return nla_put_u32(msg, type, (uint32_t)v);
	default: return nla_put_u64(msg, type, (uint64_t)v);
	}
}

static void print_uuid(const unsigned char *u)
{
	for (int i = 0; i < VGPU_UUID_LEN; i++)
		printf("%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "",
		       u[i]);
}

static void print_attrs(const struct nlattr *head, int len,
			const struct name *t, size_t n, const char *indent)
{
	const struct nlattr *a;
	int rem;

	nla_for_each_attr(a, head, len, rem) {
		const struct name *e = by_value(t, n, nla_type(a));
		int alen = nla_len(a);

		if (!e) {
			printf("%s%d len=%d\n", indent, nla_type(a), alen);
			continue;
		}
		printf("%s%s", indent, e->name);
		if (e->kind == K_U32 && alen == 4)
			printf("=%u\n", nla_get_u32(a));
		else if (e->kind == K_U64 && alen == 8)
			printf("=%llu\n", (unsigned long long)nla_get_u64(a));
		else if (e->kind == K_STR)
			printf("=%.*s\n", (int)strnlen(nla_data(a), (size_t)alen),
			       (const char *)nla_data(a));
		else if (e->kind == K_UUID && alen == VGPU_UUID_LEN) {
			putchar('=');
			print_uuid(nla_data(a));
			putchar('\n');
		} else if (e->kind == K_NEST) {
			putchar('\n');
			print_attrs(nla_data(a), alen, stats, ARRAY_SIZE(stats),
				    "    ");
		} else if (e->kind == K_FLAG && alen == 0)
			putchar('\n');
		else
			printf(" len=%d\n", alen);
	}
}

struct answer {
	int error;		/* positive errno */
	char msg[512];
	long bad_attr;		/* attribute type the ack points at, or -1 */
	long missing;		/* NLMSGERR_ATTR_MISS_TYPE, or -1 */
};

static void parse_ack_tlvs(const struct nlattr *head, int len,
			   const struct nlmsghdr *sent, struct answer *ans)
{
	const struct nlattr *a;
	int rem;

	nla_for_each_attr(a, head, len, rem) {
		switch (nla_type(a)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(ans->msg, sizeof(ans->msg), "%.*s",
				 (int)strnlen(nla_data(a), (size_t)nla_len(a)),
				 (const char *)nla_data(a));
			break;
		case NLMSGERR_ATTR_OFFS: {
			uint32_t off;

			if (nla_len(a) != 4)
				break;
			off = nla_get_u32(a);
			if (off >= NLMSG_HDRLEN &&
			    off + NLA_HDRLEN <= sent->nlmsg_len) {
				const struct nlattr *bad = (const void *)
					((const char *)sent + off);

				ans->bad_attr = bad->nla_type & NLA_TYPE_MASK;
			}
			break;
		}
		case NLMSGERR_ATTR_MISS_TYPE:
			if (nla_len(a) == 4)
				ans->missing = nla_get_u32(a);
			break;
		default:
			break;
		}
	}
}

/* NLMSG_ERROR: an ack (error 0) or a refusal, maybe with TLVs. */
static int parse_error(const struct nlmsghdr *nlh,
		       const struct nlmsghdr *sent, struct answer *ans)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t len = nlh->nlmsg_len - NLMSG_HDRLEN;
	size_t off = sizeof(*e);

	if (len < sizeof(*e))
		return -EBADMSG;
	ans->error = -e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && off < len)
		parse_ack_tlvs((const void *)((const char *)e + off),
			       (int)(len - off), sent, ans);
	return 0;
}

/* NLMSG_DONE ends a dump: an int error, then maybe TLVs. */
static int parse_done(const struct nlmsghdr *nlh, const struct nlmsghdr *sent,
		      struct answer *ans)
{
	size_t len = nlh->nlmsg_len - NLMSG_HDRLEN;
	int err;

	if (len < sizeof(int))
		return 0;
	memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
	ans->error = err < 0 ? -err : 0;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && len > sizeof(int))
		parse_ack_tlvs((const void *)((const char *)NLMSG_DATA(nlh) +
					      NLMSG_ALIGN(sizeof(int))),
			       (int)(len - NLMSG_ALIGN(sizeof(int))), sent, ans);
	return 0;
}

/* Read until the ack, the refusal or the end of the dump. */
static int receive(int fd, const struct nlmsghdr *sent, struct answer *ans,
		   unsigned int *replies)
{
	static char buf[1 << 16] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((size_t)n > sizeof(buf))
			return -EMSGSIZE;
		len = (int)n;
		for (struct nlmsghdr *nlh = (void *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != sent->nlmsg_seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return parse_error(nlh, sent, ans);
			if (nlh->nlmsg_type == NLMSG_DONE)
				return parse_done(nlh, sent, ans);
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
				return -EBADMSG;

			const struct genlmsghdr *g = NLMSG_DATA(nlh);
			const struct name *c = by_value(cmds, ARRAY_SIZE(cmds),
							g->cmd);

			(*replies)++;
			if (c)
				printf("reply %s\n", c->name);
			else
				printf("reply %u\n", g->cmd);
			print_attrs((const void *)((const char *)g + GENL_HDRLEN),
				    (int)(nlh->nlmsg_len - NLMSG_HDRLEN -
					  GENL_HDRLEN),
				    attrs, ARRAY_SIZE(attrs), "  ");
		}
	}
}

/*
 * The family's id, from a dump of the registered families.  Asking the
 * controller for one family by name would make the kernel load the module
 * that provides it: the unload cases must see the family gone.
 */
static int resolve(struct nl_sock *sk, const char *name)
{
	struct genl_family *f;
	struct nl_cache *cache;
	int id;

	if (genl_ctrl_alloc_cache(sk, &cache) < 0)
		return -1;
	f = genl_ctrl_search_by_name(cache, name);
	id = f ? (int)genl_family_get_id(f) : -1;
	if (f)
		genl_family_put(f);
	nl_cache_free(cache);
	return id;
}

/*
 * --state: every GPU, type and slice, as three dumps in one process (a
 * process costs a tenth of a second on the debug kernel under TCG).  The
 * cases compare it before and after a refused change.
 */
static int print_state(struct nl_sock *sk, int fam)
{
	static const int dumps[] = {
		VGPU_CMD_GPU_GET, VGPU_CMD_TYPE_GET, VGPU_CMD_SLICE_GET,
	};

	for (size_t i = 0; i < ARRAY_SIZE(dumps); i++) {
		struct answer ans = { .bad_attr = -1, .missing = -1 };
		struct nl_msg *msg = nlmsg_alloc();
		unsigned int replies = 0;
		int err;

		if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam,
					 0, NLM_F_DUMP, (uint8_t)dumps[i],
					 VGPU_GENL_VERSION)) {
			nlmsg_free(msg);
			fprintf(stderr, "nlraw: out of memory\n");
			return EXIT_LOCAL;
		}
		err = nl_send_auto(sk, msg);
		if (err >= 0)
			err = receive(nl_socket_get_fd(sk), nlmsg_hdr(msg),
				      &ans, &replies);
		else
			err = -EIO;
		nlmsg_free(msg);
		if (err) {
			fprintf(stderr, "nlraw: --state: %s\n", strerror(-err));
			return EXIT_LOCAL;
		}
		if (ans.error) {
			printf("errno=%d %s: %s\n", ans.error,
			       strerror(ans.error), ans.msg);
			return ans.error < EXIT_LOCAL ? ans.error : EXIT_LOCAL;
		}
	}
	return 0;
}

/* --listen: print the next n events of the family's "events" group. */
static int listen_events(struct nl_sock *sk, int fam, unsigned long long n,
			 int ready_fd)
{
	static char buf[1 << 16];
	int grp, fd = nl_socket_get_fd(sk);
	struct timeval tv = { .tv_sec = 60 };

	(void)fam;
	grp = genl_ctrl_resolve_grp(sk, VGPU_GENL_NAME, VGPU_GENL_MCGRP_EVENTS);
	if (grp < 0 || nl_socket_add_membership(sk, grp) < 0) {
		fprintf(stderr, "nlraw: cannot join the events group\n");
		return EXIT_LOCAL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (ready_fd >= 0) {
		if (write(ready_fd, "ready\n", 6) != 6)
			return EXIT_LOCAL;
		close(ready_fd);
	}
	while (n) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

		if (len < 0) {
			printf("errno=%d %s: no event\n", errno, strerror(errno));
			return errno == EAGAIN ? ETIMEDOUT : EXIT_LOCAL;
		}
		for (; nlmsg_ok(nlh, (int)len) && n; nlh = nlmsg_next(nlh, (int *)&len)) {
			struct genlmsghdr *g = nlmsg_data(nlh);

			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			print_name("event", cmds, ARRAY_SIZE(cmds), g->cmd);
			print_attrs(genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
				    attrs, ARRAY_SIZE(attrs), "  ");
			fflush(stdout);
			n--;
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nlraw CMD [--dump] [--version N] [--reserved N] [--family NAME]\n"
		"             [--u8|--u16|--u32|--u64 ATTR=N] [--str|--nstr ATTR=TEXT]\n"
		"             [--bin ATTR=HEX] [--flag ATTR] [--raw ATTR=LEN]...\n"
		"       nlraw --list | --attr-max | --registered | --state\n"
		"       nlraw --listen N [--ready-fd FD]\n"
		"Sends one request to the generic netlink family (default \"%s\") and\n"
		"prints errno=N TEXT: EXTACK; exits with the kernel's errno.\n",
		VGPU_GENL_NAME);
}

static void list_names(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		printf("cmd %d %s\n", cmds[i].value, cmds[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++)
		printf("attr %d %s\n", attrs[i].value, attrs[i].name);
}

int main(int argc, char **argv)
{
	struct answer ans = { .bad_attr = -1, .missing = -1 };
	const char *family = VGPU_GENL_NAME;
	unsigned long long version = VGPU_GENL_VERSION, reserved = 0;
	unsigned int replies = 0;
	struct nl_sock *sk = NULL;
	struct nl_msg *msg = NULL;
	int ret = EXIT_LOCAL, one = 1, fam, cmd, i, err;
	const char *cmd_arg = NULL;
	bool dump = false, registered_only = false, state = false;
	unsigned long long listen_n = 0, ready_fd = ~0ULL;

	/* First pass: the options of the request itself, and CMD. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--list")) {
			list_names();
			return 0;
		} else if (!strcmp(argv[i], "--attr-max")) {
			printf("%d\n", VGPU_ATTR_MAX);
			return 0;
		} else if (!strcmp(argv[i], "--dump")) {
			dump = true;
		} else if (!strcmp(argv[i], "--registered")) {
			registered_only = true;
		} else if (!strcmp(argv[i], "--state")) {
			state = true;
		} else if (i + 1 >= argc && argv[i][0] == '-') {
			fprintf(stderr, "nlraw: %s needs an argument\n", argv[i]);
			goto bad_usage;
		} else if (!strcmp(argv[i], "--version")) {
			if (parse_uint(argv[++i], UINT8_MAX, &version))
				goto bad_usage;
		} else if (!strcmp(argv[i], "--reserved")) {
			if (parse_uint(argv[++i], UINT16_MAX, &reserved))
				goto bad_usage;
		} else if (!strcmp(argv[i], "--family")) {
			family = argv[++i];
		} else if (!strcmp(argv[i], "--listen")) {
			if (parse_uint(argv[++i], UINT32_MAX, &listen_n) || !listen_n)
				goto bad_usage;
		} else if (!strcmp(argv[i], "--ready-fd")) {
			if (parse_uint(argv[++i], INT32_MAX, &ready_fd))
				goto bad_usage;
		} else if (argv[i][0] == '-') {
			i++;	/* an attribute: the second pass adds it */
		} else if (!cmd_arg) {
			cmd_arg = argv[i];
		} else {
			fprintf(stderr, "nlraw: unexpected argument '%s'\n", argv[i]);
			goto bad_usage;
		}
	}
	if (registered_only || state || listen_n)
		cmd = 0;
	else if (!cmd_arg)
		goto bad_usage;
	else
		cmd = lookup(cmds, ARRAY_SIZE(cmds), "VGPU_CMD_", cmd_arg, UINT8_MAX);
	if (cmd < 0)
		return EXIT_LOCAL;

	sk = nl_socket_alloc();
	msg = nlmsg_alloc_size(1 << 16);
	if (!sk || !msg) {
		fprintf(stderr, "nlraw: out of memory\n");
		goto out;
	}
	err = genl_connect(sk);
	if (err) {
		fprintf(stderr, "nlraw: genl_connect: %s\n", nl_geterror(err));
		goto out;
	}
	fam = resolve(sk, family);
	if (registered_only) {
		printf("%s: %s\n", family, fam < 0 ? "not registered" : "registered");
		ret = fam < 0 ? ENOENT : 0;
		goto out;
	}
	if (fam < 0) {
		printf("errno=%d %s: generic netlink family \"%s\" is not registered\n",
		       ENOENT, strerror(ENOENT), family);
		printf("replies=0\n");
		ret = ENOENT;
		goto out;
	}
	if (setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) ||
	    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK,
		       &one, sizeof(one))) {
		fprintf(stderr, "nlraw: setsockopt: %s\n", strerror(errno));
		goto out;
	}
	if (state) {
		ret = print_state(sk, fam);
		goto out;
	}
	if (listen_n) {
		ret = listen_events(sk, fam, listen_n,
				    ready_fd == ~0ULL ? -1 : (int)ready_fd);
		goto out;
	}

	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0,
			 dump ? NLM_F_DUMP : 0, (uint8_t)cmd,
			 (uint8_t)version)) {
		fprintf(stderr, "nlraw: genlmsg_put failed\n");
		goto out;
	}
	genlmsg_hdr(nlmsg_hdr(msg))->reserved = (uint16_t)reserved;

	/* Second pass: the attributes, in the order given. */
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (opt == cmd_arg || !strcmp(opt, "--dump"))
			continue;
		if (!strcmp(opt, "--version") || !strcmp(opt, "--reserved") ||
		    !strcmp(opt, "--family")) {
			i++;
			continue;
		}
		err = add_attr(msg, opt, argv[++i]);
		if (err) {
			if (err != -1)
				fprintf(stderr, "nlraw: %s %s: message full\n", opt,
					argv[i]);
			goto out;
		}
	}

	err = nl_send_auto(sk, msg);
	if (err < 0) {
		fprintf(stderr, "nlraw: send: %s\n", nl_geterror(err));
		goto out;
	}
	err = receive(nl_socket_get_fd(sk), nlmsg_hdr(msg), &ans, &replies);
	if (err) {
		fprintf(stderr, "nlraw: receive: %s\n", strerror(-err));
		goto out;
	}

	printf("errno=%d %s:%s%s\n", ans.error,
	       ans.error ? strerror(ans.error) : "Success",
	       ans.msg[0] ? " " : "", ans.msg);
	if (ans.bad_attr >= 0)
		print_name("bad_attr", attrs, ARRAY_SIZE(attrs),
			   (int)ans.bad_attr);
	if (ans.missing >= 0)
		print_name("missing_attr", attrs, ARRAY_SIZE(attrs),
			   (int)ans.missing);
	printf("replies=%u\n", replies);
	ret = ans.error > 0 && ans.error < EXIT_LOCAL ? ans.error : 0;
	if (ans.error >= EXIT_LOCAL)
		ret = EXIT_LOCAL;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret;

bad_usage:
	usage(stderr);
	return EXIT_LOCAL;
}
