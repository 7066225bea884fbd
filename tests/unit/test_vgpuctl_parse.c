// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl: command-line values (tools/vgpuctl/parse.c) and their formatting.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vgpuctl.h"
#include "vgpuctl_test.h"

/* The message names the option and quotes the bad text. */
#define CHECK_MSG(e, opt, text) do {					\
	CHECK(strstr((e).msg, (opt)) != NULL);				\
	CHECK(strstr((e).msg, (text)) != NULL);				\
} while (0)

static void test_size(void)
{
	const uint64_t max = VGPU_GPU_MEM_MAX;
	struct vg_err e;
	uint64_t v;

	CHECK_INT(vg_parse_size("--memory", "1048576", 0, max, &v, &e), 0);
	CHECK_U64(v, 1048576);
	CHECK_INT(vg_parse_size("--memory", "0", 0, max, &v, &e), 0);
	CHECK_U64(v, 0);
	CHECK_INT(vg_parse_size("--memory", "4k", 0, max, &v, &e), 0);
	CHECK_U64(v, 4096);
	CHECK_INT(vg_parse_size("--memory", "4K", 0, max, &v, &e), 0);
	CHECK_U64(v, 4096);
	CHECK_INT(vg_parse_size("--memory", "4KiB", 0, max, &v, &e), 0);
	CHECK_U64(v, 4096);
	CHECK_INT(vg_parse_size("--memory", "512m", 0, max, &v, &e), 0);
	CHECK_U64(v, 512ULL << 20);
	CHECK_INT(vg_parse_size("--memory", "512MiB", 0, max, &v, &e), 0);
	CHECK_U64(v, 512ULL << 20);
	CHECK_INT(vg_parse_size("--memory", "10G", 0, max, &v, &e), 0);
	CHECK_U64(v, 10ULL << 30);
	CHECK_INT(vg_parse_size("--memory", "80GiB", 0, max, &v, &e), 0);
	CHECK_U64(v, 80ULL << 30);
	CHECK_INT(vg_parse_size("--memory", "2t", 0, max, &v, &e), 0);
	CHECK_U64(v, 2ULL << 40);
	CHECK_INT(vg_parse_size("--memory", "1024T", 0, max, &v, &e), 0);
	CHECK_U64(v, max);

	/* Garbage, signs, blanks, junk, unknown or decimal suffixes. */
	v = 77;
	CHECK_INT(vg_parse_size("--memory", "", 0, max, &v, &e), -EINVAL);
	CHECK(strstr(e.msg, "--memory") != NULL);
	CHECK_INT(vg_parse_size("--memory", "abc", 0, max, &v, &e), -EINVAL);
	CHECK_MSG(e, "--memory", "'abc'");
	CHECK_INT(vg_parse_size("--memory", "-1", 0, max, &v, &e), -EINVAL);
	CHECK_MSG(e, "--memory", "'-1'");
	CHECK_INT(vg_parse_size("--memory", "+5", 0, max, &v, &e), -EINVAL);
	CHECK_INT(vg_parse_size("--memory", " 5", 0, max, &v, &e), -EINVAL);
	CHECK_INT(vg_parse_size("--memory", "5 ", 0, max, &v, &e), -EINVAL);
	CHECK_INT(vg_parse_size("--memory", "10X", 0, max, &v, &e), -EINVAL);
	CHECK_MSG(e, "--memory", "'10X'");
	CHECK_INT(vg_parse_size("--memory", "10GB", 0, max, &v, &e), -EINVAL);
	CHECK_INT(vg_parse_size("--memory", "10Gi", 0, max, &v, &e), -EINVAL);
	CHECK_INT(vg_parse_size("--memory", "1.5G", 0, max, &v, &e), -EINVAL);
	CHECK_INT(vg_parse_size("--memory", "0x10", 0, max, &v, &e), -EINVAL);
	CHECK_INT(vg_parse_size("--memory", "G", 0, max, &v, &e), -EINVAL);
	CHECK_INT(vg_parse_size("--memory", "10gib", 0, max, &v, &e), -EINVAL);
	CHECK_U64(v, 77);	/* untouched on failure */

	/* Overflow: of the number, of the multiplication; the range. */
	CHECK_INT(vg_parse_size("--memory", "18446744073709551616", 0, UINT64_MAX,
				&v, &e), -ERANGE);
	CHECK_MSG(e, "--memory", "'18446744073709551616'");
	CHECK_INT(vg_parse_size("--memory", "18446744073709551615", 0, UINT64_MAX,
				&v, &e), 0);
	CHECK_U64(v, UINT64_MAX);
	CHECK_INT(vg_parse_size("--memory", "16777216T", 0, UINT64_MAX, &v, &e),
		  -ERANGE);
	CHECK_INT(vg_parse_size("--memory", "16777215T", 0, UINT64_MAX, &v, &e), 0);
	CHECK_U64(v, 16777215ULL << 40);
	CHECK_INT(vg_parse_size("--memory", "17179869184G", 0, UINT64_MAX, &v, &e),
		  -ERANGE);
	CHECK_INT(vg_parse_size("--memory", "1025T", 0, max, &v, &e), -ERANGE);
	CHECK_MSG(e, "--memory", "'1025T'");
	CHECK_INT(vg_parse_size("--memory", "1023k", VGPU_MEM_MIN, max, &v, &e),
		  -ERANGE);
	CHECK(strstr(e.msg, "1.0 MiB") != NULL);	/* the limits, readable */
	CHECK_INT(vg_parse_size("--memory", "1M", VGPU_MEM_MIN, max, &v, &e), 0);
	CHECK_U64(v, VGPU_MEM_MIN);
}

static void test_integers(void)
{
	struct vg_err e;
	uint32_t u = 5;
	uint64_t v;

	CHECK_INT(vg_parse_u32("--weight", "1", 1, 1000, &u, &e), 0);
	CHECK_INT(u, 1);
	CHECK_INT(vg_parse_u32("--weight", "1000", 1, 1000, &u, &e), 0);
	CHECK_INT(u, 1000);
	CHECK_INT(vg_parse_u32("--weight", "0", 1, 1000, &u, &e), -ERANGE);
	CHECK_MSG(e, "--weight", "1..1000");
	CHECK_INT(vg_parse_u32("--weight", "1001", 1, 1000, &u, &e), -ERANGE);
	CHECK_INT(vg_parse_u32("--weight", "-1", 1, 1000, &u, &e), -EINVAL);
	CHECK_MSG(e, "--weight", "'-1'");
	CHECK_INT(vg_parse_u32("--weight", "+1", 1, 1000, &u, &e), -EINVAL);
	CHECK_INT(vg_parse_u32("--weight", "1e3", 1, 1000, &u, &e), -EINVAL);
	CHECK_INT(vg_parse_u32("--weight", "", 1, 1000, &u, &e), -EINVAL);
	CHECK_INT(vg_parse_u32("--weight", "12 ", 1, 1000, &u, &e), -EINVAL);
	CHECK_INT(vg_parse_u32("--weight", "0x10", 1, 1000, &u, &e), -EINVAL);
	CHECK_INT(u, 1000);
	CHECK_INT(vg_parse_u32("--sms", "4294967295", 0, UINT32_MAX, &u, &e), 0);
	CHECK_U64(u, UINT32_MAX);
	CHECK_INT(vg_parse_u32("--sms", "4294967296", 0, UINT32_MAX, &u, &e),
		  -ERANGE);
	CHECK_INT(vg_parse_u32("--sms", "99999999999999999999", 0, 10, &u, &e),
		  -ERANGE);
	CHECK_INT(vg_parse_u64("--x", "18446744073709551615", 0, UINT64_MAX, &v, &e), 0);
	CHECK_U64(v, UINT64_MAX);
	CHECK_INT(vg_parse_u64("--x", "007", 0, 10, &v, &e), 0);
	CHECK_U64(v, 7);	/* decimal, not octal */

	/* 0 or a range: slice time slices. */
	CHECK_INT(vg_parse_u32_or0("--timeslice-us", "0", VGPU_TIMESLICE_MIN_US,
				   VGPU_TIMESLICE_MAX_US, &u, &e), 0);
	CHECK_INT(u, 0);
	CHECK_INT(vg_parse_u32_or0("--timeslice-us", "999", VGPU_TIMESLICE_MIN_US,
				   VGPU_TIMESLICE_MAX_US, &u, &e), -ERANGE);
	CHECK(strstr(e.msg, "0 or 1000..100000") != NULL);
	CHECK_INT(vg_parse_u32_or0("--timeslice-us", "100001", VGPU_TIMESLICE_MIN_US,
				   VGPU_TIMESLICE_MAX_US, &u, &e), -ERANGE);
	CHECK_INT(vg_parse_u32_or0("--timeslice-us", "x", VGPU_TIMESLICE_MIN_US,
				   VGPU_TIMESLICE_MAX_US, &u, &e), -EINVAL);
	CHECK_INT(vg_parse_u32_or0("--timeslice-us", "1000", VGPU_TIMESLICE_MIN_US,
				   VGPU_TIMESLICE_MAX_US, &u, &e), 0);
	CHECK_INT(u, 1000);
}

static void test_uuid(void)
{
	static const uint8_t want[16] = {
		0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
		0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21,
	};
	char s[VG_UUID_STR_MAX];
	uint8_t u[16], r[16];
	struct vg_err e;

	CHECK_INT(vg_parse_uuid("--uuid", "12345678-9abc-def0-0fed-cba987654321",
				false, u, &e), 0);
	CHECK(!memcmp(u, want, 16));
	memset(u, 0, sizeof(u));
	CHECK_INT(vg_parse_uuid("--uuid", "12345678-9ABC-DEF0-0FED-CBA987654321",
				false, u, &e), 0);
	CHECK(!memcmp(u, want, 16));
	/* GPU UUIDs take the GPU- prefix, in any case; slices do not. */
	memset(u, 0, sizeof(u));
	CHECK_INT(vg_parse_uuid("--uuid", "GPU-12345678-9abc-def0-0fed-cba987654321",
				true, u, &e), 0);
	CHECK(!memcmp(u, want, 16));
	CHECK_INT(vg_parse_uuid("--uuid", "gpu-12345678-9abc-def0-0fed-cba987654321",
				true, u, &e), 0);
	CHECK_INT(vg_parse_uuid("--uuid", "12345678-9abc-def0-0fed-cba987654321",
				true, u, &e), 0);
	CHECK_INT(vg_parse_uuid("--uuid", "GPU-12345678-9abc-def0-0fed-cba987654321",
				false, u, &e), -EINVAL);
	CHECK_MSG(e, "--uuid", "'GPU-12345678-9abc-def0-0fed-cba987654321'");

	memset(u, 0xaa, sizeof(u));
	CHECK_INT(vg_parse_uuid("<uuid>", "12345678-9abc-def0-0fed-cba98765432",
				false, u, &e), -EINVAL);
	CHECK_INT(vg_parse_uuid("<uuid>", "12345678-9abc-def0-0fed-cba9876543210",
				false, u, &e), -EINVAL);
	CHECK_INT(vg_parse_uuid("<uuid>", "123456789abcdef00fedcba987654321",
				false, u, &e), -EINVAL);
	CHECK_INT(vg_parse_uuid("<uuid>", "12345678-9abc-def0-0fed_cba987654321",
				false, u, &e), -EINVAL);
	CHECK_INT(vg_parse_uuid("<uuid>", "1234567g-9abc-def0-0fed-cba987654321",
				false, u, &e), -EINVAL);
	CHECK_INT(vg_parse_uuid("<uuid>", "12345678-9abc-def0-0fed-cba98765432-",
				false, u, &e), -EINVAL);
	CHECK_INT(vg_parse_uuid("<uuid>", "", false, u, &e), -EINVAL);
	CHECK(u[0] == 0xaa && u[15] == 0xaa);	/* untouched on failure */

	vg_uuid_format(want, false, s);
	CHECK_STR(s, "12345678-9abc-def0-0fed-cba987654321");
	vg_uuid_format(want, true, s);
	CHECK_STR(s, "GPU-12345678-9abc-def0-0fed-cba987654321");

	/* Version 4, RFC 4122 variant, the other bits kept. */
	memset(r, 0xff, sizeof(r));
	vg_uuid_make_v4(r);
	CHECK_INT(r[6], 0x4f);
	CHECK_INT(r[8], 0xbf);
	CHECK_INT(r[0], 0xff);
	CHECK_INT(r[15], 0xff);
	memset(r, 0, sizeof(r));
	vg_uuid_make_v4(r);
	CHECK_INT(r[6], 0x40);
	CHECK_INT(r[8], 0x80);
	vg_uuid_format(r, false, s);
	CHECK_STR(s, "00000000-0000-4000-8000-000000000000");
	CHECK_INT(vg_parse_uuid("--uuid", s, false, u, &e), 0);
	CHECK(!memcmp(u, r, 16));
}

static void test_pci(void)
{
	char out[VGPU_PCI_ADDR_MAX] = "untouched";
	struct vg_err e;

	CHECK_INT(vg_parse_pci("--pci", "0000:01:00.0", out, &e), 0);
	CHECK_STR(out, "0000:01:00.0");
	CHECK_INT(vg_parse_pci("--pci", "01:00.0", out, &e), 0);
	CHECK_STR(out, "0000:01:00.0");
	CHECK_INT(vg_parse_pci("--pci", "000A:3B:1F.7", out, &e), 0);
	CHECK_STR(out, "000a:3b:1f.7");
	CHECK_INT(vg_parse_pci("--pci", "ffff:ff:1f.7", out, &e), 0);
	CHECK_STR(out, "ffff:ff:1f.7");
	CHECK_INT((int)strlen(out), 12);

	CHECK_INT(vg_parse_pci("--pci", "0000:01:20.0", out, &e), -EINVAL);
	CHECK_MSG(e, "--pci", "'0000:01:20.0'");	/* device > 0x1f */
	CHECK_INT(vg_parse_pci("--pci", "0000:01:00.8", out, &e), -EINVAL);
	CHECK_INT(vg_parse_pci("--pci", "1:00.0", out, &e), -EINVAL);
	CHECK_INT(vg_parse_pci("--pci", "0000:01:00", out, &e), -EINVAL);
	CHECK_INT(vg_parse_pci("--pci", "0000:01:00.0 ", out, &e), -EINVAL);
	CHECK_INT(vg_parse_pci("--pci", "0000-01:00.0", out, &e), -EINVAL);
	CHECK_INT(vg_parse_pci("--pci", "0000:01.00.0", out, &e), -EINVAL);
	CHECK_INT(vg_parse_pci("--pci", "00000:01:00.0", out, &e), -EINVAL);
	CHECK_INT(vg_parse_pci("--pci", "0g00:01:00.0", out, &e), -EINVAL);
	CHECK_INT(vg_parse_pci("--pci", "", out, &e), -EINVAL);
	CHECK_STR(out, "ffff:ff:1f.7");

	/* Bus ids as the CUDA driver prints them. */
	CHECK_INT(vg_normalise_pci_id("00000000:3B:00.0", out), 0);
	CHECK_STR(out, "0000:3b:00.0");
	CHECK_INT(vg_normalise_pci_id("0000:01:00.0", out), 0);
	CHECK_STR(out, "0000:01:00.0");
	CHECK_INT(vg_normalise_pci_id("00010000:01:00.0", out), -EINVAL);
	CHECK_INT(vg_normalise_pci_id("01:00.0", out), -EINVAL);
	CHECK_INT(vg_normalise_pci_id("0000:01:00.0x", out), -EINVAL);
}

static void test_names(void)
{
	char type[VGPU_TYPE_NAME_MAX], label[VGPU_NAME_MAX];
	char long_label[VGPU_NAME_MAX + 1];
	struct vg_err e;
	uint32_t v, uid, gid;
	bool has_gid;

	CHECK_INT(vg_parse_gpu_ref("0", &v, &e), 0);
	CHECK_INT(v, 0);
	CHECK_INT(vg_parse_gpu_ref("vgpu12", &v, &e), 0);
	CHECK_INT(v, 12);
	CHECK_INT(vg_parse_gpu_ref("4294967295", &v, &e), 0);
	CHECK_U64(v, UINT32_MAX);
	CHECK_INT(vg_parse_gpu_ref("4294967296", &v, &e), -EINVAL);
	CHECK_INT(vg_parse_gpu_ref("vgpu", &v, &e), -EINVAL);
	CHECK_INT(vg_parse_gpu_ref("gpu0", &v, &e), -EINVAL);
	CHECK_MSG(e, "<gpu>", "'gpu0'");
	CHECK_INT(vg_parse_gpu_ref("vgpu-1", &v, &e), -EINVAL);
	CHECK_INT(vg_parse_gpu_ref("1x", &v, &e), -EINVAL);
	CHECK_INT(vg_parse_gpu_ref("", &v, &e), -EINVAL);
	CHECK_U64(v, UINT32_MAX);

	CHECK_INT(vg_parse_type_name("1g.10gb", type, &e), 0);
	CHECK_STR(type, "1g.10gb");
	CHECK_INT(vg_parse_type_name("vgpu-4g.40gb", type, &e), 0);
	CHECK_STR(type, "4g.40gb");
	CHECK_INT(vg_parse_type_name("vgpu-", type, &e), -EINVAL);
	CHECK_INT(vg_parse_type_name("../x", type, &e), -EINVAL);
	CHECK_MSG(e, "<type>", "'../x'");
	CHECK_INT(vg_parse_type_name("..", type, &e), -EINVAL);
	CHECK_INT(vg_parse_type_name("a b", type, &e), -EINVAL);
	CHECK_INT(vg_parse_type_name("0123456789012345678901234567890", type, &e), 0);
	CHECK_INT(vg_parse_type_name("01234567890123456789012345678901", type, &e),
		  -EINVAL);

	CHECK_INT(vg_parse_policy("--policy", "best-effort", &v, &e), 0);
	CHECK_INT(v, VGPU_POLICY_BEST_EFFORT);
	CHECK_INT(vg_parse_policy("--policy", "equal-share", &v, &e), 0);
	CHECK_INT(v, VGPU_POLICY_EQUAL_SHARE);
	CHECK_INT(vg_parse_policy("--policy", "fixed_share", &v, &e), 0);
	CHECK_INT(v, VGPU_POLICY_FIXED_SHARE);
	CHECK_INT(vg_parse_policy("--policy", "fixed", &v, &e), -EINVAL);
	CHECK_MSG(e, "--policy", "'fixed'");
	CHECK_INT(vg_parse_policy("--policy", "best-effortx", &v, &e), -EINVAL);
	CHECK_STR(vg_policy_name(VGPU_POLICY_EQUAL_SHARE), "equal-share");
	CHECK_STR(vg_policy_name(0), "unknown");
	CHECK_STR(vg_policy_name(99), "unknown");

	CHECK_INT(vg_parse_label("--tenant", "team-a", label, sizeof(label), &e), 0);
	CHECK_STR(label, "team-a");
	memset(long_label, 'x', VGPU_NAME_MAX - 1);
	long_label[VGPU_NAME_MAX - 1] = '\0';
	CHECK_INT(vg_parse_label("--tenant", long_label, label, sizeof(label), &e), 0);
	long_label[VGPU_NAME_MAX - 1] = 'x';
	long_label[VGPU_NAME_MAX] = '\0';
	CHECK_INT(vg_parse_label("--tenant", long_label, label, sizeof(label), &e),
		  -ERANGE);
	CHECK(strstr(e.msg, "--tenant") && strstr(e.msg, "63"));
	CHECK_INT(vg_parse_label("--tenant", "a\tb", label, sizeof(label), &e), -EINVAL);
	CHECK_INT(vg_parse_label("--tenant", "", label, sizeof(label), &e), -EINVAL);

	CHECK_INT(vg_parse_owner("--owner", "1000", &uid, &gid, &has_gid, &e), 0);
	CHECK_INT(uid, 1000);
	CHECK(!has_gid);
	CHECK_INT(vg_parse_owner("--owner", "1000:44", &uid, &gid, &has_gid, &e), 0);
	CHECK_INT(uid, 1000);
	CHECK_INT(gid, 44);
	CHECK(has_gid);
	CHECK_INT(vg_parse_owner("--owner", "0:0", &uid, &gid, &has_gid, &e), 0);
	CHECK_INT(uid, 0);
	CHECK_INT(vg_parse_owner("--owner", "root", &uid, &gid, &has_gid, &e), -EINVAL);
	CHECK_MSG(e, "--owner", "'root'");
	CHECK_INT(vg_parse_owner("--owner", "1000:", &uid, &gid, &has_gid, &e), -EINVAL);
	CHECK_INT(vg_parse_owner("--owner", ":5", &uid, &gid, &has_gid, &e), -EINVAL);
	CHECK_INT(vg_parse_owner("--owner", "1:2:3", &uid, &gid, &has_gid, &e), -EINVAL);
	CHECK_INT(vg_parse_owner("--owner", "-1", &uid, &gid, &has_gid, &e), -EINVAL);
	CHECK_INT(vg_parse_owner("--owner", "4294967295", &uid, &gid, &has_gid, &e),
		  -ERANGE);
	CHECK_INT(vg_parse_owner("--owner", "1:4294967295", &uid, &gid, &has_gid, &e),
		  -ERANGE);
	CHECK_INT(vg_parse_owner("--owner", "4294967294:4294967294", &uid, &gid,
				 &has_gid, &e), 0);
	CHECK_U64(uid, 4294967294U);

	CHECK_INT(vg_parse_mode("--mode", "0660", &v, &e), 0);
	CHECK_INT(v, 0660);
	CHECK_INT(vg_parse_mode("--mode", "640", &v, &e), 0);
	CHECK_INT(v, 0640);
	CHECK_INT(vg_parse_mode("--mode", "0", &v, &e), 0);
	CHECK_INT(v, 0);
	CHECK_INT(vg_parse_mode("--mode", "0777", &v, &e), 0);
	CHECK_INT(v, 0777);
	CHECK_INT(vg_parse_mode("--mode", "1777", &v, &e), -ERANGE);
	CHECK_MSG(e, "--mode", "'1777'");
	CHECK_INT(vg_parse_mode("--mode", "0680", &v, &e), -EINVAL);
	CHECK_INT(vg_parse_mode("--mode", "rw", &v, &e), -EINVAL);
	CHECK_INT(vg_parse_mode("--mode", "-0600", &v, &e), -EINVAL);
	CHECK_INT(vg_parse_mode("--mode", "", &v, &e), -EINVAL);
	CHECK_INT(v, 0777);
}

static void test_format(void)
{
	char buf[32];

	vg_fmt_size(0, buf, sizeof(buf));
	CHECK_STR(buf, "0 B");
	vg_fmt_size(1023, buf, sizeof(buf));
	CHECK_STR(buf, "1023 B");
	vg_fmt_size(1024, buf, sizeof(buf));
	CHECK_STR(buf, "1.0 KiB");
	vg_fmt_size(1536, buf, sizeof(buf));
	CHECK_STR(buf, "1.5 KiB");
	vg_fmt_size(10ULL << 30, buf, sizeof(buf));
	CHECK_STR(buf, "10.0 GiB");
	vg_fmt_size(80ULL << 30, buf, sizeof(buf));
	CHECK_STR(buf, "80.0 GiB");
	vg_fmt_size(VGPU_GPU_MEM_MAX, buf, sizeof(buf));
	CHECK_STR(buf, "1.0 PiB");
	vg_fmt_size(UINT64_MAX, buf, sizeof(buf));
	CHECK_STR(buf, "16.0 EiB");

	vg_fmt_weight(125, buf, sizeof(buf));
	CHECK_STR(buf, "12.5%");
	vg_fmt_weight(1000, buf, sizeof(buf));
	CHECK_STR(buf, "100.0%");
	vg_fmt_weight(0, buf, sizeof(buf));
	CHECK_STR(buf, "0.0%");
	vg_fmt_weight(7, buf, sizeof(buf));
	CHECK_STR(buf, "0.7%");
}

int main(void)
{
	test_size();
	test_integers();
	test_uuid();
	test_pci();
	test_names();
	test_format();
	return check_report("test_vgpuctl_parse");
}
