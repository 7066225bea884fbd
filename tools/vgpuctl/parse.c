// SPDX-License-Identifier: GPL-2.0-only
/*
 * Command-line values: sizes, integers, UUIDs, PCI addresses, names.
 *
 * Every parser takes the option (or argument) name for its message, refuses
 * anything it does not fully understand (signs, blanks, trailing junk,
 * overflow) and leaves *out untouched on failure.  -EINVAL for malformed
 * text, -ERANGE for a well-formed value outside the allowed range.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vgpuctl.h"

int vg_errf(struct vg_err *e, int ret, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* Digits only, no sign or blank, no overflow; the end is returned. */
static int scan_u64(const char *s, int base, uint64_t *out, const char **end)
{
	unsigned long long v;
	char *ep;

	if (!s || !*s)
		return -EINVAL;
	if (base == 8 ? (*s < '0' || *s > '7') : !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &ep, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || ep == s)
		return -EINVAL;
	*out = v;
	*end = ep;
	return 0;
}

int vg_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
		 uint64_t *out, struct vg_err *e)
{
	const char *end;
	uint64_t v;
	int ret;

	if (!s || !*s)
		return vg_errf(e, -EINVAL, "%s: empty number", opt);
	ret = scan_u64(s, 10, &v, &end);
	if (ret == -ERANGE)
		return vg_errf(e, -ERANGE, "%s: '%s' is too large (%llu at most)",
			       opt, s, (unsigned long long)max);
	if (ret || *end)
		return vg_errf(e, -EINVAL, "%s: invalid number '%s' (expected decimal digits)",
			       opt, s);
	if (v < min || v > max)
		return vg_errf(e, -ERANGE, "%s: %s is out of range (%llu..%llu)",
			       opt, s, (unsigned long long)min,
			       (unsigned long long)max);
	*out = v;
	return 0;
}

int vg_parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max,
		 uint32_t *out, struct vg_err *e)
{
	uint64_t v;
	int ret;

	ret = vg_parse_u64(opt, s, min, max, &v, e);
	if (ret)
		return ret;
	*out = (uint32_t)v;
	return 0;
}

int vg_parse_u32_or0(const char *opt, const char *s, uint32_t min,
		     uint32_t max, uint32_t *out, struct vg_err *e)
{
	uint64_t v;
	int ret;

	ret = vg_parse_u64(opt, s, 0, max, &v, e);
	if (ret == -ERANGE || (!ret && v && v < min))
		return vg_errf(e, -ERANGE, "%s: %s is out of range (0 or %u..%u)",
			       opt, s, min, max);
	if (ret)
		return ret;
	*out = (uint32_t)v;
	return 0;
}

static const struct {
	const char *suffix;
	unsigned int shift;
} size_suffixes[] = {
	{ "",	 0 },
	{ "k",	10 }, { "K",   10 }, { "KiB", 10 },
	{ "m",	20 }, { "M",   20 }, { "MiB", 20 },
	{ "g",	30 }, { "G",   30 }, { "GiB", 30 },
	{ "t",	40 }, { "T",   40 }, { "TiB", 40 },
};

int vg_parse_size(const char *opt, const char *s, uint64_t min, uint64_t max,
		  uint64_t *out, struct vg_err *e)
{
	char lo[32], hi[32];
	const char *end;
	unsigned int i;
	uint64_t v;
	int ret;

	if (!s || !*s)
		return vg_errf(e, -EINVAL, "%s: empty size", opt);
	ret = scan_u64(s, 10, &v, &end);
	if (ret == -ERANGE)
		return vg_errf(e, -ERANGE, "%s: size '%s' is too large", opt, s);
	if (ret)
		goto bad;
	for (i = 0; i < VG_ARRAY_SIZE(size_suffixes); i++)
		if (!strcmp(end, size_suffixes[i].suffix))
			break;
	if (i == VG_ARRAY_SIZE(size_suffixes))
		goto bad;
	if (v > (UINT64_MAX >> size_suffixes[i].shift))
		return vg_errf(e, -ERANGE, "%s: size '%s' is too large", opt, s);
	v <<= size_suffixes[i].shift;
	if (v < min || v > max) {
		vg_fmt_size(min, lo, sizeof(lo));
		vg_fmt_size(max, hi, sizeof(hi));
		return vg_errf(e, -ERANGE, "%s: size '%s' is out of range (%s..%s)",
			       opt, s, lo, hi);
	}
	*out = v;
	return 0;
bad:
	return vg_errf(e, -EINVAL,
		       "%s: invalid size '%s' (expected bytes, or a number with a k, M, G or T suffix)",
		       opt, s);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int vg_parse_uuid(const char *opt, const char *s, bool gpu,
		  uint8_t out[VGPU_UUID_LEN], struct vg_err *e)
{
	uint8_t u[VGPU_UUID_LEN];
	const char *p = s;
	unsigned int i, n = 0;

	if (!s || !*s)
		return vg_errf(e, -EINVAL, "%s: empty UUID", opt);
	if (gpu && !strncasecmp(p, "GPU-", 4))
		p += 4;
	if (strlen(p) != 36)
		goto bad;
	for (i = 0; i < 36; i++) {
		int h, l;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				goto bad;
			continue;
		}
		h = hexval((unsigned char)p[i]);
		l = hexval((unsigned char)p[i + 1]);
		if (h < 0 || l < 0)
			goto bad;
		u[n++] = (uint8_t)(h << 4 | l);
		i++;
	}
	memcpy(out, u, sizeof(u));
	return 0;
bad:
	return vg_errf(e, -EINVAL,
		       "%s: invalid UUID '%s' (expected %sxxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
		       opt, s, gpu ? "[GPU-]" : "");
}

void vg_uuid_format(const uint8_t u[VGPU_UUID_LEN], bool gpu, char *out)
{
	sprintf(out, "%s%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		gpu ? "GPU-" : "",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
		u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

void vg_uuid_make_v4(uint8_t u[VGPU_UUID_LEN])
{
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
}

/* n hex digits exactly, at most max; the end is returned. */
static int scan_hex(const char *s, unsigned int n, unsigned long max,
		    unsigned long *out)
{
	unsigned long v = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		int h = hexval((unsigned char)s[i]);

		if (h < 0)
			return -EINVAL;
		v = v << 4 | (unsigned long)h;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int vg_parse_pci(const char *opt, const char *s, char out[VGPU_PCI_ADDR_MAX],
		 struct vg_err *e)
{
	unsigned long dom = 0, bus, dev, fn;
	const char *p = s;
	size_t len;
	int ret;

	if (!s || !*s)
		return vg_errf(e, -EINVAL, "%s: empty PCI address", opt);
	len = strlen(s);
	if (len == 12) {
		if (s[4] != ':')
			goto bad;
		ret = scan_hex(p, 4, 0xffff, &dom);
		if (ret)
			goto bad;
		p += 5;
	} else if (len != 7) {
		goto bad;
	}
	if (p[2] != ':' || p[5] != '.')
		goto bad;
	if (scan_hex(p, 2, 0xff, &bus) || scan_hex(p + 3, 2, 0x1f, &dev) ||
	    scan_hex(p + 6, 1, 7, &fn))
		goto bad;
	snprintf(out, VGPU_PCI_ADDR_MAX, "%04lx:%02lx:%02lx.%lx", dom, bus, dev, fn);
	return 0;
bad:
	return vg_errf(e, -EINVAL,
		       "%s: invalid PCI address '%s' (expected DDDD:BB:DD.F or BB:DD.F)",
		       opt, s);
}

int vg_normalise_pci_id(const char *s, char out[VGPU_PCI_ADDR_MAX])
{
	const char *colon = strchr(s, ':');
	char buf[VGPU_PCI_ADDR_MAX];
	unsigned long dom;
	size_t n;

	if (!colon)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (n < 4 || n > 8 || scan_hex(s, (unsigned int)n, 0xffff, &dom) ||
	    strlen(colon) != 8)
		return -EINVAL;
	/* The domain made four digits, the rest checked as usual. */
	snprintf(buf, sizeof(buf), "%04lx%s", dom, colon);
	return vg_parse_pci("PCI bus id", buf, out, NULL);
}

int vg_parse_gpu_ref(const char *s, uint32_t *id, struct vg_err *e)
{
	const char *p = s;
	uint64_t v;
	const char *end;

	if (!s || !*s)
		return vg_errf(e, -EINVAL, "<gpu>: empty GPU");
	if (!strncmp(p, "vgpu", 4))
		p += 4;
	if (scan_u64(p, 10, &v, &end) || *end || v > UINT32_MAX)
		return vg_errf(e, -EINVAL,
			       "<gpu>: invalid GPU '%s' (expected a GPU id such as 0 or vgpu0)",
			       s);
	*id = (uint32_t)v;
	return 0;
}

int vg_parse_type_name(const char *s, char out[VGPU_TYPE_NAME_MAX],
		       struct vg_err *e)
{
	const char *p = s;
	size_t i, len;

	if (!s || !*s)
		return vg_errf(e, -EINVAL, "<type>: empty type name");
	if (!strncmp(p, "vgpu-", 5))
		p += 5;
	len = strlen(p);
	if (!len || len >= VGPU_TYPE_NAME_MAX)
		goto bad;
	if (!strcmp(p, ".") || !strcmp(p, ".."))
		goto bad;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-' && c != '+')
			goto bad;
	}
	memcpy(out, p, len + 1);
	return 0;
bad:
	return vg_errf(e, -EINVAL,
		       "<type>: invalid type name '%s' (expected a name such as 1g.10gb or vgpu-1g.10gb)",
		       s);
}

static const char *const policy_names[] = {
	[VGPU_POLICY_BEST_EFFORT] = "best-effort",
	[VGPU_POLICY_EQUAL_SHARE] = "equal-share",
	[VGPU_POLICY_FIXED_SHARE] = "fixed-share",
};

const char *vg_policy_name(uint32_t policy)
{
	if (policy < VG_ARRAY_SIZE(policy_names) && policy_names[policy])
		return policy_names[policy];
	return "unknown";
}

int vg_parse_policy(const char *opt, const char *s, uint32_t *out,
		    struct vg_err *e)
{
	uint32_t p;

	if (!s || !*s)
		return vg_errf(e, -EINVAL, "%s: empty policy", opt);
	for (p = 1; p < VG_ARRAY_SIZE(policy_names); p++) {
		const char *n = policy_names[p];
		size_t i, len = strlen(n);

		if (strlen(s) != len)
			continue;
		/* sysfs spells them with underscores: take both. */
		for (i = 0; i < len; i++)
			if (s[i] != n[i] && !(n[i] == '-' && s[i] == '_'))
				break;
		if (i == len) {
			*out = p;
			return 0;
		}
	}
	return vg_errf(e, -EINVAL,
		       "%s: invalid policy '%s' (expected best-effort, equal-share or fixed-share)",
		       opt, s);
}

int vg_parse_label(const char *opt, const char *s, char *out, size_t size,
		   struct vg_err *e)
{
	size_t i, len;

	if (!s || !*s)
		return vg_errf(e, -EINVAL, "%s: empty value", opt);
	len = strlen(s);
	if (len >= size)
		return vg_errf(e, -ERANGE, "%s: '%s' is too long (%zu bytes at most)",
			       opt, s, size - 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return vg_errf(e, -EINVAL,
				       "%s: control character in '%s'", opt, s);
	}
	memcpy(out, s, len + 1);
	return 0;
}

int vg_parse_owner(const char *opt, const char *s, uint32_t *uid,
		   uint32_t *gid, bool *has_gid, struct vg_err *e)
{
	uint64_t u, g = 0;
	const char *end;
	bool with_gid = false;

	if (!s || !*s)
		return vg_errf(e, -EINVAL, "%s: empty owner", opt);
	if (scan_u64(s, 10, &u, &end))
		goto bad;
	if (*end == ':') {
		with_gid = true;
		if (scan_u64(end + 1, 10, &g, &end))
			goto bad;
	}
	if (*end)
		goto bad;
	/* (uid_t)-1 means "no change" to chown(): not an owner. */
	if (u >= UINT32_MAX || g >= UINT32_MAX)
		return vg_errf(e, -ERANGE, "%s: '%s' is out of range (ids 0..%u)",
			       opt, s, UINT32_MAX - 1);
	*uid = (uint32_t)u;
	*gid = (uint32_t)g;
	*has_gid = with_gid;
	return 0;
bad:
	return vg_errf(e, -EINVAL,
		       "%s: invalid owner '%s' (expected numeric UID or UID:GID)",
		       opt, s);
}

int vg_parse_mode(const char *opt, const char *s, uint32_t *mode,
		  struct vg_err *e)
{
	const char *end;
	uint64_t v;
	int ret;

	if (!s || !*s)
		return vg_errf(e, -EINVAL, "%s: empty mode", opt);
	ret = scan_u64(s, 8, &v, &end);
	if (ret == -ERANGE || (!ret && !*end && v > 0777))
		return vg_errf(e, -ERANGE, "%s: mode '%s' is out of range (0..0777)",
			       opt, s);
	if (ret || *end)
		return vg_errf(e, -EINVAL, "%s: invalid mode '%s' (expected octal, such as 0660)",
			       opt, s);
	*mode = (uint32_t)v;
	return 0;
}
