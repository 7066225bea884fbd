// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl: argument validation of the commands (gpu add/set/del, slice
 * create/set), before anything is sent to the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vgpuctl.h"
#include "vgpuctl_test.h"

/* argv arrays for getopt, which reorders them. */
#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })

static int argc_of(char **argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

static int add(struct vg_gpu_add_args *a, struct vg_err *e, char **argv)
{
	e->msg[0] = '\0';
	return vg_gpu_add_parse(argc_of(argv), argv, a, e);
}

static int create(struct vg_slice_args *a, struct vg_err *e, char **argv)
{
	e->msg[0] = '\0';
	return vg_slice_create_parse(argc_of(argv), argv, a, e);
}

static int set(struct vg_slice_args *a, struct vg_err *e, char **argv)
{
	e->msg[0] = '\0';
	return vg_slice_set_parse(argc_of(argv), argv, a, e);
}

static void test_gpu_add(void)
{
	struct vg_gpu_add_args a;
	struct vg_err e;

	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory", "16G", "--sms", "108")), 0);
	CHECK(a.sim && !a.has_pci);
	CHECK(a.has_memory && a.memory == 16ULL << 30);
	CHECK(a.has_sms && a.sms == 108);
	CHECK(a.has_name);
	CHECK_STR(a.name, "Simulated GPU");
	CHECK(!a.has_uuid && !a.has_policy && !a.has_timeslice && !a.has_period);

	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory=1G", "--sms=1",
				   "--name", "lab", "--uuid",
				   "GPU-00000000-0000-4000-8000-000000000001",
				   "--policy", "fixed-share", "--timeslice-us", "5000",
				   "--period-us", "200000")), 0);
	CHECK_STR(a.name, "lab");
	CHECK(a.has_uuid && a.uuid[15] == 1 && a.uuid[6] == 0x40);
	CHECK(a.has_policy && a.policy == VGPU_POLICY_FIXED_SHARE);
	CHECK(a.has_timeslice && a.timeslice_us == 5000);
	CHECK(a.has_period && a.period_us == 200000);

	CHECK_INT(add(&a, &e, ARGV("add", "--pci", "3b:00.0")), 0);
	CHECK(a.has_pci && !a.sim);
	CHECK_STR(a.pci, "0000:3b:00.0");
	CHECK(!a.has_name && !a.has_memory && !a.has_sms);

	/* Refusals, each with its sentence. */
	CHECK_INT(add(&a, &e, ARGV("add")), -EINVAL);
	CHECK_HAS(e.msg, "give --pci ADDRESS or --sim");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--pci", "01:00.0",
				   "--memory", "1G", "--sms", "1")), -EINVAL);
	CHECK_HAS(e.msg, "--pci and --sim exclude each other");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim")), -EINVAL);
	CHECK_HAS(e.msg, "--sim needs --memory and --sms");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory", "1G")), -EINVAL);
	CHECK_HAS(e.msg, "--sim needs --sms");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--sms", "4")), -EINVAL);
	CHECK_HAS(e.msg, "--sim needs --memory");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory", "512k", "--sms", "4")),
		  -ERANGE);
	CHECK_HAS(e.msg, "--memory");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory", "1G", "--sms", "0")),
		  -ERANGE);
	CHECK_HAS(e.msg, "--sms");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory", "1G", "--sms", "65536")),
		  -ERANGE);
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory", "1G", "--sms", "1",
				   "--timeslice-us", "999")), -ERANGE);
	CHECK_HAS(e.msg, "--timeslice-us");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory", "1G", "--sms", "1",
				   "--period-us", "10000001")), -ERANGE);
	CHECK_HAS(e.msg, "--period-us");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory", "1G", "--sms", "1",
				   "--policy", "fair")), -EINVAL);
	CHECK_HAS(e.msg, "'fair'");
	CHECK_INT(add(&a, &e, ARGV("add", "--pci", "1:0.0")), -EINVAL);
	CHECK_HAS(e.msg, "'1:0.0'");
	CHECK_INT(add(&a, &e, ARGV("add", "--pci")), -EINVAL);
	CHECK_HAS(e.msg, "'--pci' needs a value");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--bogus")), -EINVAL);
	CHECK_HAS(e.msg, "unknown option '--bogus'");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "-x")), -EINVAL);
	CHECK_HAS(e.msg, "unknown option '-x'");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory", "1G", "--sms", "1",
				   "extra")), -EINVAL);
	CHECK_HAS(e.msg, "unexpected argument 'extra'");
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--help")), VG_HELP);
}

static void test_gpu_add_fill(void)
{
	struct vg_cuda_status none = { 0 }, failed = { .present = true, .ndev = -1 };
	struct vg_cuda_status zero = { .present = true, .ndev = 0 };
	struct vg_probe_dev dev = {
		.pci = "0000:3b:00.0", .cuda = true, .name = "Tesla T4",
		.memory = 15360ULL << 20, .sms = 40, .has_uuid = true,
		.uuid = { 0xde, 0xad },
	};
	struct vg_gpu_add_args a;
	struct vg_err e;

	snprintf(failed.why, sizeof(failed.why), "cuInit: no device (100)");

	CHECK_INT(add(&a, &e, ARGV("add", "--pci", "3b:00.0")), 0);
	CHECK_INT(vg_gpu_add_fill(&a, NULL, &none, &e), -EINVAL);
	CHECK_STR(e.msg, "gpu add: --name, --memory and --sms are needed: "
		  "no CUDA driver found to read them from");
	CHECK_INT(vg_gpu_add_fill(&a, NULL, &failed, &e), -EINVAL);
	CHECK_HAS(e.msg, "the CUDA driver failed: cuInit: no device (100)");
	CHECK_INT(vg_gpu_add_fill(&a, NULL, &zero, &e), -EINVAL);
	CHECK_HAS(e.msg, "has no device at PCI address 0000:3b:00.0");

	CHECK_INT(add(&a, &e, ARGV("add", "--pci", "3b:00.0", "--name", "t4")), 0);
	CHECK_INT(vg_gpu_add_fill(&a, NULL, &none, &e), -EINVAL);
	CHECK_STR(e.msg, "gpu add: --memory and --sms are needed: "
		  "no CUDA driver found to read them from");
	CHECK_INT(add(&a, &e, ARGV("add", "--pci", "3b:00.0", "--name", "t4",
				   "--memory", "16G")), 0);
	CHECK_INT(vg_gpu_add_fill(&a, NULL, &none, &e), -EINVAL);
	CHECK_STR(e.msg, "gpu add: --sms is needed: no CUDA driver found to read it from");

	/* From the CUDA driver, without overriding what was given. */
	CHECK_INT(add(&a, &e, ARGV("add", "--pci", "3b:00.0", "--sms", "20")), 0);
	CHECK_INT(vg_gpu_add_fill(&a, &dev, &zero, &e), 0);
	CHECK_STR(a.name, "Tesla T4");
	CHECK(a.has_memory && a.memory == 15360ULL << 20);
	CHECK(a.has_sms && a.sms == 20);
	CHECK(a.has_uuid && a.uuid[0] == 0xde && a.uuid[1] == 0xad);

	/* A device the driver knows too little about. */
	dev.sms = 0;
	CHECK_INT(add(&a, &e, ARGV("add", "--pci", "3b:00.0")), 0);
	CHECK_INT(vg_gpu_add_fill(&a, &dev, &zero, &e), -EINVAL);
	CHECK_STR(e.msg, "gpu add: --sms is needed: the CUDA driver did not report it "
		  "for 0000:3b:00.0");

	/* --sim needs nothing from anyone. */
	CHECK_INT(add(&a, &e, ARGV("add", "--sim", "--memory", "1G", "--sms", "2")), 0);
	CHECK_INT(vg_gpu_add_fill(&a, NULL, &none, &e), 0);
}

static void test_gpu_set_del(void)
{
	struct vg_gpu_set_args s;
	struct vg_gpu_del_args d;
	struct vg_err e;

	CHECK_INT(vg_gpu_set_parse(4, ARGV("set", "vgpu2", "--policy", "equal-share"),
				   &s, &e), 0);
	CHECK_INT(s.id, 2);
	CHECK(s.has_policy && s.policy == VGPU_POLICY_EQUAL_SHARE);
	CHECK(!s.has_timeslice && !s.has_period);
	CHECK_INT(vg_gpu_set_parse(6, ARGV("set", "--timeslice-us", "100000", "3",
					   "--period-us", "10000"), &s, &e), 0);
	CHECK_INT(s.id, 3);
	CHECK(s.has_timeslice && s.timeslice_us == 100000);
	CHECK(s.has_period && s.period_us == 10000);
	CHECK_INT(vg_gpu_set_parse(2, ARGV("set", "0"), &s, &e), -EINVAL);
	CHECK_HAS(e.msg, "nothing to set");
	CHECK_INT(vg_gpu_set_parse(3, ARGV("set", "--policy", "best-effort"), &s, &e),
		  -EINVAL);
	CHECK_HAS(e.msg, "missing <gpu>");
	CHECK_INT(vg_gpu_set_parse(5, ARGV("set", "0", "1", "--policy", "best-effort"),
				   &s, &e), -EINVAL);
	CHECK_HAS(e.msg, "unexpected argument '1'");
	CHECK_INT(vg_gpu_set_parse(4, ARGV("set", "0", "--sms", "4"), &s, &e), -EINVAL);
	CHECK_HAS(e.msg, "unknown option '--sms'");

	CHECK_INT(vg_gpu_del_parse(2, ARGV("del", "vgpu7"), &d, &e), 0);
	CHECK_INT(d.id, 7);
	CHECK(!d.force);
	CHECK_INT(vg_gpu_del_parse(3, ARGV("del", "--force", "1"), &d, &e), 0);
	CHECK_INT(d.id, 1);
	CHECK(d.force);
	CHECK_INT(vg_gpu_del_parse(1, ARGV("del"), &d, &e), -EINVAL);
	CHECK_HAS(e.msg, "missing <gpu>");
	CHECK_INT(vg_gpu_del_parse(2, ARGV("del", "gpu1"), &d, &e), -EINVAL);
	CHECK_HAS(e.msg, "'gpu1'");
}

static void test_slice_create(void)
{
	struct vg_slice_args a;
	struct vg_err e;

	CHECK_INT(create(&a, &e, ARGV("create", "0", "1g.10gb")), 0);
	CHECK(a.has_gpu && a.gpu == 0);
	CHECK_STR(a.type, "1g.10gb");
	CHECK(!vg_slice_args_settable(&a));
	CHECK(!a.has_uuid && !a.has_owner && !a.has_mode && !a.mdev);

	CHECK_INT(create(&a, &e, ARGV("create", "--memory", "4G", "vgpu1",
				      "vgpu-2g.20gb", "--weight", "250", "--cap", "500",
				      "--timeslice-us", "0", "--priority", "7",
				      "--tenant", "team a", "--owner", "1000:1000",
				      "--mode", "0660",
				      "--uuid", "00000000-0000-4000-8000-0000000000ff")), 0);
	CHECK_INT(a.gpu, 1);
	CHECK_STR(a.type, "2g.20gb");
	CHECK(a.has_memory && a.memory == 4ULL << 30);
	CHECK(a.has_weight && a.weight == 250);
	CHECK(a.has_cap && a.cap == 500);
	CHECK(a.has_timeslice && a.timeslice_us == 0);
	CHECK(a.has_priority && a.priority == 7);
	CHECK(a.has_tenant);
	CHECK_STR(a.tenant, "team a");
	CHECK(a.has_owner && a.uid == 1000 && a.has_gid && a.gid == 1000);
	CHECK(a.has_mode && a.mode == 0660);
	CHECK(a.has_uuid && a.uuid[15] == 0xff);
	CHECK(vg_slice_args_settable(&a));

	CHECK_INT(create(&a, &e, ARGV("create", "0", "1g.10gb", "--mdev",
				      "--weight", "100")), 0);
	CHECK(a.mdev && a.has_weight);

	CHECK_INT(create(&a, &e, ARGV("create", "0", "1g.10gb", "--mdev",
				      "--owner", "1000")), -EINVAL);
	CHECK_HAS(e.msg, "--owner and --mode cannot be combined with --mdev");
	CHECK_INT(create(&a, &e, ARGV("create", "0", "1g.10gb", "--mode", "600",
				      "--mdev")), -EINVAL);
	CHECK_HAS(e.msg, "cannot be combined with --mdev");
	CHECK_INT(create(&a, &e, ARGV("create", "0", "1g.10gb", "--weight", "500",
				      "--cap", "400")), -EINVAL);
	CHECK_HAS(e.msg, "--cap 400 is below --weight 500");
	CHECK_INT(create(&a, &e, ARGV("create", "0", "1g.10gb", "--weight", "500",
				      "--cap", "0")), 0);	/* 0: no cap */
	CHECK_INT(create(&a, &e, ARGV("create", "0")), -EINVAL);
	CHECK_HAS(e.msg, "missing <type>");
	CHECK_INT(create(&a, &e, ARGV("create")), -EINVAL);
	CHECK_HAS(e.msg, "missing <gpu>");
	CHECK_INT(create(&a, &e, ARGV("create", "0", "1g.10gb", "x")), -EINVAL);
	CHECK_HAS(e.msg, "unexpected argument 'x'");
	CHECK_INT(create(&a, &e, ARGV("create", "zero", "1g.10gb")), -EINVAL);
	CHECK_HAS(e.msg, "'zero'");
	CHECK_INT(create(&a, &e, ARGV("create", "0", "1g/10gb")), -EINVAL);
	CHECK_HAS(e.msg, "'1g/10gb'");
	CHECK_INT(create(&a, &e, ARGV("create", "0", "t", "--weight", "0")), -ERANGE);
	CHECK_HAS(e.msg, "--weight");
	CHECK_INT(create(&a, &e, ARGV("create", "0", "t", "--cap", "1001")), -ERANGE);
	CHECK_INT(create(&a, &e, ARGV("create", "0", "t", "--priority", "8")), -ERANGE);
	CHECK_HAS(e.msg, "--priority");
	CHECK_INT(create(&a, &e, ARGV("create", "0", "t", "--timeslice-us", "500")),
		  -ERANGE);
	CHECK_INT(create(&a, &e, ARGV("create", "0", "t", "--memory", "-1G")), -EINVAL);
	CHECK_HAS(e.msg, "'-1G'");
	CHECK_INT(create(&a, &e, ARGV("create", "0", "t", "--uuid",
				      "GPU-00000000-0000-4000-8000-0000000000ff")), -EINVAL);
	CHECK_INT(create(&a, &e, ARGV("create", "0", "t", "--owner", "alice")), -EINVAL);
	CHECK_HAS(e.msg, "numeric");
	CHECK_INT(create(&a, &e, ARGV("create", "0", "t", "--force")), -EINVAL);
	CHECK_HAS(e.msg, "slice create: unknown option '--force'");
}

static void test_slice_set(void)
{
	struct vg_slice_args a;
	struct vg_err e;

	CHECK_INT(set(&a, &e, ARGV("set", "00000000-0000-4000-8000-000000000001",
				   "--tenant", "b", "--memory", "2G")), 0);
	CHECK(a.has_uuid && a.uuid[15] == 1);
	CHECK(a.has_tenant && a.has_memory && !a.has_weight);
	CHECK_INT(set(&a, &e, ARGV("set", "00000000-0000-4000-8000-000000000001")),
		  -EINVAL);
	CHECK_HAS(e.msg, "slice set: nothing to set");
	CHECK_INT(set(&a, &e, ARGV("set", "--weight", "10")), -EINVAL);
	CHECK_HAS(e.msg, "missing <uuid>");
	CHECK_INT(set(&a, &e, ARGV("set", "not-a-uuid", "--weight", "10")), -EINVAL);
	CHECK_HAS(e.msg, "'not-a-uuid'");
	CHECK_INT(set(&a, &e, ARGV("set", "00000000-0000-4000-8000-000000000001",
				   "--mode", "600")), -EINVAL);
	CHECK_HAS(e.msg, "unknown option '--mode'");
	CHECK_INT(set(&a, &e, ARGV("set", "00000000-0000-4000-8000-000000000001",
				   "--mdev")), -EINVAL);
	CHECK_INT(set(&a, &e, ARGV("set", "00000000-0000-4000-8000-000000000001",
				   "--weight", "300", "--cap", "200")), -EINVAL);
	CHECK_HAS(e.msg, "--cap 200 is below --weight 300");
	CHECK_INT(set(&a, &e, ARGV("set", "00000000-0000-4000-8000-000000000001",
				   "--cap", "200")), 0);	/* the kernel checks */
}

static void test_common_options(void)
{
	struct vg_err e;
	char *pos[1] = { NULL };

	vg_out_mode = VG_OUT_AUTO;
	CHECK_INT(vg_parse_args(2, ARGV("list", "--json"), "gpu list", NULL, 0, 0,
				pos, &e), 0);
	CHECK_INT(vg_out_mode, VG_OUT_JSON);
	CHECK_INT(vg_parse_args(2, ARGV("list", "--plain"), "gpu list", NULL, 0, 0,
				pos, &e), 0);
	CHECK_INT(vg_out_mode, VG_OUT_PLAIN);
	CHECK_INT(vg_parse_args(2, ARGV("list", "-h"), "gpu list", NULL, 0, 0,
				pos, &e), VG_HELP);
	CHECK_INT(vg_parse_args(2, ARGV("list", "vgpu0"), "type list",
				(const char *const[]){ "<gpu>" }, 0, 1, pos, &e), 0);
	CHECK(pos[0] && !strcmp(pos[0], "vgpu0"));
	vg_out_mode = VG_OUT_AUTO;
}

int main(void)
{
	test_gpu_add();
	test_gpu_add_fill();
	test_gpu_set_del();
	test_slice_create();
	test_slice_set();
	test_common_options();
	return check_report("test_vgpuctl_args");
}
