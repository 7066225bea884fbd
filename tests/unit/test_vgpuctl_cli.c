// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl as a program (VGPUCTL_BIN, set by make): help, version, exit
 * status 2 and a sentence for bad usage, the sentence for a missing module,
 * and gpu probe on a host with or without GPUs.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json.h>

#include "vgpuctl.h"
#include "vgpuctl_test.h"

static const char *bin;
static char out[16384], err[4096];

static void slurp(FILE *f, char *buf, size_t size)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Run vgpuctl with the arguments; its exit status, out and err filled. */
#define RUN(...) run((const char *[]){ "vgpuctl", __VA_ARGS__, NULL })
#define RUN0() run((const char *[]){ "vgpuctl", NULL })

static int run(const char **argv)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	int status;
	pid_t pid;

	if (!fo || !fe) {
		perror("tmpfile");
		exit(1);
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!pid) {
		dup2(fileno(fo), STDOUT_FILENO);
		dup2(fileno(fe), STDERR_FILENO);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		exit(1);
	}
	slurp(fo, out, sizeof(out));
	slurp(fe, err, sizeof(err));
	CHECK(!strstr(err, "Sanitizer"));	/* under make SAN=1 */
	if (!WIFEXITED(status)) {
		fprintf(stderr, "vgpuctl %s: killed by signal %d\n", argv[1],
			WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

static void test_help_version(void)
{
	CHECK_INT(RUN("--help"), 0);
	CHECK_HAS(out, "Usage: vgpuctl [--json | --plain | --table] <object> <command>");
	CHECK_STR(err, "");
	CHECK_INT(RUN("help"), 0);
	CHECK_HAS(out, "Objects:");
	CHECK_INT(RUN("help", "slice"), 0);
	CHECK_HAS(out, "vgpuctl slice create <gpu> <type>");
	CHECK_INT(RUN("gpu", "--help"), 0);
	CHECK_HAS(out, "vgpuctl gpu add (--pci DDDD:BB:DD.F | --sim)");
	CHECK_INT(RUN("gpu", "help"), 0);
	CHECK_HAS(out, "vgpuctl gpu probe");
	CHECK_INT(RUN("type", "--help"), 0);
	CHECK_HAS(out, "vgpuctl type list [<gpu>]");
	CHECK_INT(RUN("slice", "create", "--help"), 0);
	CHECK_HAS(out, "--mdev");
	CHECK_INT(RUN("gpu", "add", "-h"), 0);
	CHECK_HAS(out, "--timeslice-us N");

	CHECK_INT(RUN("version"), 0);
	CHECK_STR(out, "vgpuctl " VGPUCTL_VERSION "\n");
	CHECK_INT(RUN("--version"), 0);
	CHECK_STR(out, "vgpuctl " VGPUCTL_VERSION "\n");
}

/* Exit 2, one sentence naming the problem, a hint where to read more. */
#define CHECK_USAGE(sentence, hint, ...) do {				\
	CHECK_INT(RUN(__VA_ARGS__), 2);					\
	CHECK_HAS(err, sentence);					\
	CHECK_HAS(err, hint);						\
	CHECK_STR(out, "");						\
} while (0)

static void test_usage_errors(void)
{
	CHECK_INT(RUN0(), 2);
	CHECK_STR(err, "vgpuctl: no object given (gpu, type or slice)\n"
		  "Try 'vgpuctl --help'.\n");
	CHECK_USAGE("unknown object 'gpus'", "Try 'vgpuctl --help'.", "gpus");
	CHECK_USAGE("unknown option '--frob'", "Try 'vgpuctl --help'.", "--frob", "gpu");
	CHECK_USAGE("help: unknown object 'x'", "vgpuctl --help", "help", "x");
	CHECK_USAGE("gpu: unknown command 'frob'", "Try 'vgpuctl gpu --help'.",
		    "gpu", "frob");
	CHECK_USAGE("gpu list: unexpected argument 'x'", "vgpuctl gpu --help",
		    "gpu", "list", "x");
	CHECK_USAGE("gpu show: missing <gpu>", "vgpuctl gpu --help", "gpu", "show");
	CHECK_USAGE("<gpu>: invalid GPU 'card0'", "vgpuctl gpu --help",
		    "gpu", "show", "card0");
	CHECK_USAGE("gpu add: --sim needs --memory and --sms", "vgpuctl gpu --help",
		    "gpu", "add", "--sim");
	CHECK_USAGE("--memory: invalid size '10X'", "vgpuctl gpu --help",
		    "gpu", "add", "--sim", "--memory", "10X", "--sms", "1");
	CHECK_USAGE("--sms: 0 is out of range (1..65535)", "vgpuctl gpu --help",
		    "gpu", "add", "--sim", "--memory", "1G", "--sms", "0");
	CHECK_USAGE("gpu add: option '--pci' needs a value", "vgpuctl gpu --help",
		    "gpu", "add", "--pci");
	CHECK_USAGE("gpu set: nothing to set", "vgpuctl gpu --help", "gpu", "set", "0");
	CHECK_USAGE("gpu del: unknown option '--now'", "vgpuctl gpu --help",
		    "gpu", "del", "0", "--now");
	CHECK_USAGE("type list: unexpected argument '1'", "vgpuctl type --help",
		    "type", "list", "0", "1");
	CHECK_USAGE("slice set: nothing to set", "vgpuctl slice --help",
		    "slice", "set", "00000000-0000-4000-8000-000000000001");
	CHECK_USAGE("cannot be combined with --mdev", "vgpuctl slice --help",
		    "slice", "create", "0", "1g.10gb", "--mdev", "--owner", "1000");
	CHECK_USAGE("--cap 100 is below --weight 200", "vgpuctl slice --help",
		    "slice", "create", "0", "1g.10gb", "--weight", "200", "--cap", "100");
	CHECK_USAGE("<uuid>: invalid UUID 'abc'", "vgpuctl slice --help",
		    "slice", "show", "abc");
	CHECK_USAGE("slice destroy: missing <uuid>", "vgpuctl slice --help",
		    "slice", "destroy");
	CHECK_USAGE("--tenant: control character", "vgpuctl slice --help",
		    "slice", "set", "00000000-0000-4000-8000-000000000001",
		    "--tenant", "a\nb");

	/* --pci without what the CUDA driver would have said. */
	if (!dlopen("libcuda.so.1", RTLD_LAZY)) {
		CHECK_INT(RUN("gpu", "add", "--pci", "01:00.0", "--name", "x"), 2);
		CHECK_HAS(err, "gpu add: --memory and --sms are needed: "
			  "no CUDA driver found to read them from\n");
	}
}

static void test_no_module(void)
{
	struct stat st;

	if (!stat("/sys/module/vgpu", &st)) {
		/* The module is loaded (in the VM): listing works. */
		CHECK_INT(RUN("--json", "gpu", "list"), 0);
		CHECK(out[0] == '[');
		return;
	}
	CHECK_INT(RUN("gpu", "list"), 1);
	CHECK_STR(err, "vgpuctl: vgpu kernel module not loaded "
		  "(generic netlink family \"vgpu\" not found)\n");
	CHECK_STR(out, "");
	CHECK_INT(RUN("--json", "slice", "list"), 1);
	CHECK_HAS(err, "vgpu kernel module not loaded");
	CHECK_INT(RUN("gpu", "add", "--sim", "--memory", "1G", "--sms", "4"), 1);
	CHECK_HAS(err, "vgpu kernel module not loaded");
	CHECK_INT(RUN("slice", "destroy", "00000000-0000-4000-8000-000000000001"), 1);
	CHECK_HAS(err, "vgpu kernel module not loaded");
}

static void test_probe(void)
{
	struct json_object *o;

	CHECK_INT(RUN("gpu", "probe"), 0);
	if (!out[0])
		CHECK_HAS(err, "no GPUs found (libdrm: ");
	else
		CHECK(strchr(out, '\t') != NULL);	/* plain: not a terminal */

	CHECK_INT(RUN("--json", "gpu", "probe"), 0);
	o = json_tokener_parse(out);
	CHECK(o && json_object_is_type(o, json_type_array));
	if (o && json_object_array_length(o)) {
		struct json_object *d = json_object_array_get_idx(o, 0);

		CHECK(json_object_object_get_ex(d, "pci", NULL));
		CHECK(json_object_object_get_ex(d, "drm", NULL));
		CHECK(json_object_object_get_ex(d, "cuda", NULL));
	} else {
		CHECK_STR(out, "[]\n");
		CHECK_HAS(err, "no GPUs found (libdrm: ");
	}
	json_object_put(o);
	CHECK_USAGE("gpu probe: unexpected argument 'x'", "vgpuctl gpu --help",
		    "gpu", "probe", "x");
}

/* gpu probe and gpu add --pci against the stand-in CUDA driver. */
static void test_fake_cuda(const char *dir)
{
	struct json_object *o, *d = NULL;
	const char *old = getenv("LD_LIBRARY_PATH");
	char *saved = old ? strdup(old) : NULL;
	size_t i;

	setenv("LD_LIBRARY_PATH", dir, 1);

	CHECK_INT(RUN("--plain", "gpu", "probe"), 0);
	CHECK_HAS(out, "fffe:3b:00.0\t-\t-\tFake GPU 0\t17179869184\t40\t"
		  "GPU-11111111-1111-1111-1111-111111111111\tcuda\n");
	CHECK_HAS(out, "fffe:af:00.0\t-\t-\tFake GPU 1\t34359738368\t41\t"
		  "GPU-22222222-2222-2222-2222-222222222222\tcuda\n");
	/* Sorted by PCI address. */
	CHECK(strstr(out, "fffe:3b:00.0") < strstr(out, "fffe:af:00.0"));

	/* --table: the human table with its header, though out is a pipe. */
	CHECK_INT(RUN("--table", "gpu", "probe"), 0);
	CHECK_HAS(out, "PCI");
	CHECK_HAS(out, "Fake GPU 0");
	CHECK_HAS(out, "16.0 GiB");

	CHECK_INT(RUN("--json", "gpu", "probe"), 0);
	o = json_tokener_parse(out);
	CHECK(o && json_object_is_type(o, json_type_array));
	for (i = 0; o && i < json_object_array_length(o); i++) {
		struct json_object *e = json_object_array_get_idx(o, i);

		if (!strcmp(json_object_get_string(json_object_object_get(e, "pci")),
			    "fffe:af:00.0"))
			d = e;
	}
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(json_object_get_string(json_object_object_get(d, "name")),
			  "Fake GPU 1");
		CHECK_INT(json_object_get_int64(json_object_object_get(d, "memory")),
			  32LL << 30);
		CHECK_INT(json_object_get_int(json_object_object_get(d, "sms")), 41);
		CHECK_STR(json_object_get_string(json_object_object_get(d, "uuid")),
			  "GPU-22222222-2222-2222-2222-222222222222");
		CHECK(json_object_get_boolean(json_object_object_get(d, "cuda")));
		CHECK(!json_object_get_boolean(json_object_object_get(d, "drm")));
		CHECK(json_object_object_get_ex(d, "vendor", NULL));
	}
	json_object_put(o);

	/* add --pci fills name, memory and SMs: no usage error, the kernel's turn. */
	CHECK_INT(RUN("gpu", "add", "--pci", "FFFE:3B:00.0"), 1);
	CHECK(!strstr(err, "needed"));
	CHECK_INT(RUN("gpu", "add", "--pci", "fffe:3c:00.0"), 2);
	CHECK_HAS(err, "gpu add: --name, --memory and --sms are needed: "
		  "the CUDA driver has no device at PCI address fffe:3c:00.0\n");

	/* A driver that fails says why. */
	setenv("FAKECUDA_INIT_FAIL", "1", 1);
	CHECK_INT(RUN("gpu", "add", "--pci", "fffe:3b:00.0", "--name", "x"), 2);
	CHECK_HAS(err, "gpu add: --memory and --sms are needed: the CUDA driver "
		  "failed: cuInit: no CUDA-capable device is detected (100)\n");
	CHECK_INT(RUN("gpu", "probe"), 0);
	CHECK(strstr(out, "fffe:") == NULL);
	if (!out[0])
		CHECK_HAS(err, "CUDA driver: cuInit: no CUDA-capable device is detected");
	unsetenv("FAKECUDA_INIT_FAIL");

	if (saved)
		setenv("LD_LIBRARY_PATH", saved, 1);
	else
		unsetenv("LD_LIBRARY_PATH");
	free(saved);
}

int main(void)
{
	const char *fake;

	bin = getenv("VGPUCTL_BIN");
	if (!bin || access(bin, X_OK)) {
		fprintf(stderr, "test_vgpuctl_cli: set VGPUCTL_BIN to the built vgpuctl\n");
		return 1;
	}
	test_help_version();
	test_usage_errors();
	test_no_module();
	test_probe();
	fake = getenv("VGPUCTL_FAKECUDA_DIR");
	if (fake)
		test_fake_cuda(fake);
	else
		printf("test_vgpuctl_cli: VGPUCTL_FAKECUDA_DIR unset, CUDA probe not tested\n");
	return check_report("test_vgpuctl_cli");
}
