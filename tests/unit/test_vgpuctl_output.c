// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl: output forms (tools/vgpuctl/output.c): the JSON contract, the
 * plain tab-separated rows, the human tables and the show form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include "vgpuctl.h"
#include "vgpuctl_test.h"

/* stdout into a buffer, through a temporary file. */
static FILE *cap_file;
static int cap_saved = -1;
static char cap_buf[8192];

static void cap_start(void)
{
	fflush(stdout);
	cap_file = tmpfile();
	cap_saved = dup(STDOUT_FILENO);
	if (!cap_file || cap_saved < 0 ||
	    dup2(fileno(cap_file), STDOUT_FILENO) < 0) {
		perror("capture stdout");
		exit(1);
	}
}

static const char *cap_end(void)
{
	size_t n;

	fflush(stdout);
	dup2(cap_saved, STDOUT_FILENO);
	close(cap_saved);
	rewind(cap_file);
	n = fread(cap_buf, 1, sizeof(cap_buf) - 1, cap_file);
	cap_buf[n] = '\0';
	fclose(cap_file);
	return cap_buf;
}

static const struct vg_gpu sim_gpu = {
	.id = 4, .name = "Simulated GPU", .sim = true,
	.uuid = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4e, 0xf0,
		  0x8f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21 },
	.memory = 16ULL << 30, .sms = 108, .policy = VGPU_POLICY_BEST_EFFORT,
	.timeslice_us = 10000, .period_us = 100000, .mem_free = 6ULL << 30,
	.weight_free = 375, .nr_slices = 2, .mdev = true,
};

static const struct vg_gpu pci_gpu = {
	.id = 0, .name = "NVIDIA A100", .pci = "0000:3b:00.0",
	.memory = 80ULL << 30, .sms = 108, .policy = VGPU_POLICY_FIXED_SHARE,
	.timeslice_us = 2000, .period_us = 50000, .mem_free = 80ULL << 30,
	.weight_free = 1000,
};

static const struct vg_slice slice = {
	.uuid = { 0, 0, 0, 0, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0x2a },
	.gpu = 4, .type = "1g.10gb", .mem_quota = 10ULL << 30, .weight = 125,
	.cap = 0, .timeslice_us = 0, .priority = 3, .tenant = "team\ta",
	.mdev = false,
	.stats = { .mem_used = 1536ULL << 20, .mem_peak = 2ULL << 30,
		   .charge_refused = 1, .busy_ns = 5000000000ULL, .wait_ns = 7,
		   .leases = 9, .overruns = 0, .contexts = 2 },
};

static const struct vg_type type = {
	.gpu = 4, .name = "2g.20gb", .memory = 20ULL << 30, .weight = 250,
	.available = 3, .description = "memory=21474836480\nweight=250\n",
};

static void test_json(void)
{
	struct vg_gpu gpus[2] = { sim_gpu, pci_gpu };
	struct json_object *o;

	o = vg_obj_json(&vg_gpu_desc, &sim_gpu);
	CHECK(o != NULL);
	CHECK_TEXT(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		   "{\"id\":4,\"name\":\"Simulated GPU\",\"pci\":null,\"sim\":true,"
		   "\"uuid\":\"GPU-12345678-9abc-4ef0-8fed-cba987654321\","
		   "\"memory\":17179869184,\"sms\":108,\"policy\":\"best-effort\","
		   "\"timeslice_us\":10000,\"period_us\":100000,"
		   "\"mem_free\":6442450944,\"weight_free\":375,\"slices\":2,"
		   "\"mdev\":true}");
	json_object_put(o);

	o = vg_obj_json(&vg_slice_desc, &slice);
	CHECK(o != NULL);
	CHECK_TEXT(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		   "{\"uuid\":\"00000000-0000-4000-8000-00000000002a\",\"gpu\":4,"
		   "\"type\":\"1g.10gb\",\"mem_quota\":10737418240,\"weight\":125,"
		   "\"cap\":0,\"timeslice_us\":0,\"priority\":3,"
		   "\"tenant\":\"team\\ta\",\"mdev\":false,"
		   "\"stats\":{\"mem_used\":1610612736,\"mem_peak\":2147483648,"
		   "\"charge_refused\":1,\"busy_ns\":5000000000,\"wait_ns\":7,"
		   "\"leases\":9,\"overruns\":0,\"contexts\":2}}");
	json_object_put(o);

	o = vg_obj_json(&vg_type_desc, &type);
	CHECK_TEXT(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		   "{\"gpu\":4,\"name\":\"2g.20gb\",\"memory\":21474836480,"
		   "\"weight\":250,\"available\":3,"
		   "\"description\":\"memory=21474836480\\nweight=250\\n\"}");
	json_object_put(o);

	/* Lists are arrays, one line when stdout is not a terminal. */
	vg_out_mode = VG_OUT_JSON;
	cap_start();
	CHECK_INT(vg_print_list(&vg_gpu_desc, gpus, 2, sizeof(gpus[0])), 0);
	cap_end();
	o = json_tokener_parse(cap_buf);
	CHECK(o && json_object_is_type(o, json_type_array));
	CHECK_INT(json_object_array_length(o), 2);
	CHECK_TEXT(json_object_get_string(json_object_object_get(
			json_object_array_get_idx(o, 1), "pci")), "0000:3b:00.0");
	CHECK(!json_object_get_boolean(json_object_object_get(
			json_object_array_get_idx(o, 1), "sim")));
	json_object_put(o);
	CHECK_INT(strchr(cap_buf, '\n') - cap_buf, (long long)strlen(cap_buf) - 1);

	cap_start();
	CHECK_INT(vg_print_list(&vg_gpu_desc, NULL, 0, sizeof(gpus[0])), 0);
	CHECK_TEXT(cap_end(), "[]\n");

	cap_start();
	CHECK_INT(vg_print_one(&vg_slice_desc, &slice), 0);
	cap_end();
	o = json_tokener_parse(cap_buf);
	CHECK(o && json_object_is_type(o, json_type_object));
	CHECK_INT(json_object_get_int64(json_object_object_get(
			json_object_object_get(o, "stats"), "contexts")), 2);
	json_object_put(o);
}

static void test_plain(void)
{
	struct vg_gpu gpus[2] = { sim_gpu, pci_gpu };

	vg_out_mode = VG_OUT_PLAIN;
	cap_start();
	CHECK_INT(vg_print_list(&vg_gpu_desc, gpus, 2, sizeof(gpus[0])), 0);
	CHECK_TEXT(cap_end(),
		   "4\tSimulated GPU\tsim\tGPU-12345678-9abc-4ef0-8fed-cba987654321\t"
		   "17179869184\t108\tbest-effort\t10000\t100000\t6442450944\t375\t2\t1\n"
		   "0\tNVIDIA A100\t0000:3b:00.0\tGPU-00000000-0000-0000-0000-000000000000\t"
		   "85899345920\t108\tfixed-share\t2000\t50000\t85899345920\t1000\t0\t0\n");

	/* Tabs in labels become blanks; empty fields are "-". */
	cap_start();
	CHECK_INT(vg_print_one(&vg_slice_desc, &slice), 0);
	CHECK_TEXT(cap_end(),
		   "00000000-0000-4000-8000-00000000002a\t4\t1g.10gb\t10737418240\t"
		   "125\t0\t0\t3\tteam a\t0\t1610612736\t2147483648\t1\t5000000000\t"
		   "7\t9\t0\t2\n");

	cap_start();
	CHECK_INT(vg_print_list(&vg_type_desc, &type, 1, sizeof(type)), 0);
	CHECK_TEXT(cap_end(), "4\t2g.20gb\t21474836480\t250\t3\tmemory=21474836480 weight=250\n");

	/* Nothing at all for an empty list. */
	cap_start();
	CHECK_INT(vg_print_list(&vg_type_desc, NULL, 0, sizeof(type)), 0);
	CHECK_TEXT(cap_end(), "");
}

static void test_human(void)
{
	struct vg_gpu gpus[2] = { sim_gpu, pci_gpu };
	struct vg_slice s = slice;

	vg_out_mode = VG_OUT_TABLE;
	cap_start();
	CHECK_INT(vg_print_list(&vg_gpu_desc, gpus, 2, sizeof(gpus[0])), 0);
	CHECK_TEXT(cap_end(),
		   "ID  NAME           PCI             MEMORY  SMS  POLICY       "
		   "MEM FREE  WEIGHT FREE  SLICES  MDEV\n"
		   " 4  Simulated GPU  sim           16.0 GiB  108  best-effort   "
		   "6.0 GiB        37.5%       2  yes\n"
		   " 0  NVIDIA A100    0000:3b:00.0  80.0 GiB  108  fixed-share  "
		   "80.0 GiB       100.0%       0  no\n");

	s.tenant[0] = '\0';
	s.cap = 250;
	cap_start();
	CHECK_INT(vg_print_one(&vg_slice_desc, &s), 0);
	CHECK_TEXT(cap_end(),
		   "uuid            00000000-0000-4000-8000-00000000002a\n"
		   "gpu             4\n"
		   "type            1g.10gb\n"
		   "mem_quota       10.0 GiB\n"
		   "weight          12.5%\n"
		   "cap             25.0%\n"
		   "timeslice_us    default\n"
		   "priority        3\n"
		   "tenant          -\n"
		   "mdev            no\n"
		   "mem_used        1.5 GiB\n"
		   "mem_peak        2.0 GiB\n"
		   "charge_refused  1\n"
		   "busy_ns         5000000000\n"
		   "wait_ns         7\n"
		   "leases          9\n"
		   "overruns        0\n"
		   "contexts        2\n");

	cap_start();
	CHECK_INT(vg_print_list(&vg_slice_desc, &slice, 1, sizeof(slice)), 0);
	CHECK_TEXT(cap_end(),
		   "UUID                                  GPU  TYPE        QUOTA  "
		   "WEIGHT   CAP  TIMESLICE(us)  PRIO  TENANT  MDEV     USED  CONTEXTS\n"
		   "00000000-0000-4000-8000-00000000002a    4  1g.10gb  10.0 GiB   "
		   "12.5%  none        default     3  team a  no    1.5 GiB         2\n");
	vg_out_mode = VG_OUT_AUTO;
}

static void test_table(void)
{
	static const char *const r1[] = { "a", "1" }, *const r2[] = { "bbbb", "22" };
	struct vg_table t;

	vg_table_init(&t);
	vg_table_col(&t, "NAME", false);
	vg_table_col(&t, "N", true);
	CHECK_INT(vg_table_add(&t, r1), 0);
	CHECK_INT(vg_table_add(&t, r2), 0);
	cap_start();
	vg_table_print(&t, true);
	CHECK_TEXT(cap_end(), "NAME   N\na      1\nbbbb  22\n");
	cap_start();
	vg_table_print(&t, false);
	CHECK_TEXT(cap_end(), "a\t1\nbbbb\t22\n");
	vg_table_free(&t);
}

int main(void)
{
	test_json();
	test_plain();
	test_human();
	test_table();
	return check_report("test_vgpuctl_output");
}
