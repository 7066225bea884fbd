// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl: configure vgpu GPUs, slice types and slices.
 *
 * One file per concern: main.c (objects, global options, help), cli.c
 * (diagnostics, verb dispatch, options every verb shares), gpu.c,
 * type.c, slice.c (one subcommand family each), netlink.c (generic netlink
 * socket, requests, extended acks), output.c (table, plain and JSON output),
 * parse.c (command-line values), probe.c (libdrm and the CUDA driver).
 *
 * Conventions: int-returning helpers give 0 or a negative errno; command
 * functions return the process exit status (VG_EXIT_*).
 */
#ifndef VGPUCTL_H
#define VGPUCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uapi/linux/vgpu.h>

#ifndef VGPUCTL_VERSION
#define VGPUCTL_VERSION "0.1.0"
#endif

#define VG_EXIT_OK	0
#define VG_EXIT_FAIL	1	/* the operation failed */
#define VG_EXIT_USAGE	2	/* bad command line */

/* Returned by the argument parsers when --help was given. */
#define VG_HELP		1

#define VG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define VG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* A message for the user, filled by whatever refused an input. */
struct vg_err {
	char msg[512];
};

int vg_errf(struct vg_err *e, int ret, const char *fmt, ...) VG_PRINTF(3, 4);

/* ---- cli.c: diagnostics ---- */

/* "vgpuctl: <msg>" plus a hint naming the help to read; returns 2. */
int vg_usage_error(const char *object, const char *msg);
/* "vgpuctl: <what>: <strerror(err)>" on stderr; returns 1. */
int vg_fail(const char *what, int err);
/* "vgpuctl: <what>" on stderr; returns 1. */
int vg_failf(const char *fmt, ...) VG_PRINTF(1, 2);

/* ---- parse.c: command-line values (pure functions) ---- */

int vg_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
		 uint64_t *out, struct vg_err *e);
int vg_parse_u32(const char *opt, const char *s, uint32_t min, uint32_t max,
		 uint32_t *out, struct vg_err *e);
/* 0, or min..max (for values where 0 means "default" or "none"). */
int vg_parse_u32_or0(const char *opt, const char *s, uint32_t min,
		     uint32_t max, uint32_t *out, struct vg_err *e);
int vg_parse_size(const char *opt, const char *s, uint64_t min, uint64_t max,
		  uint64_t *out, struct vg_err *e);
/* gpu: accept (and allow) the "GPU-" prefix. */
int vg_parse_uuid(const char *opt, const char *s, bool gpu,
		  uint8_t out[VGPU_UUID_LEN], struct vg_err *e);
/* "DDDD:BB:DD.F" or "BB:DD.F", normalised to 12 lower-case characters. */
int vg_parse_pci(const char *opt, const char *s, char out[VGPU_PCI_ADDR_MAX],
		 struct vg_err *e);
/* A PCI bus id as drivers print it (domain of 4 to 8 hex digits). */
int vg_normalise_pci_id(const char *s, char out[VGPU_PCI_ADDR_MAX]);
/* "<n>" or "vgpu<n>". */
int vg_parse_gpu_ref(const char *s, uint32_t *id, struct vg_err *e);
/* "1g.10gb" or "vgpu-1g.10gb"; out gets the bare name. */
int vg_parse_type_name(const char *s, char out[VGPU_TYPE_NAME_MAX],
		       struct vg_err *e);
int vg_parse_policy(const char *opt, const char *s, uint32_t *out,
		    struct vg_err *e);
/* A name or label: 1..size-1 bytes, no control characters. */
int vg_parse_label(const char *opt, const char *s, char *out, size_t size,
		   struct vg_err *e);
/* "UID" or "UID:GID", numeric only. */
int vg_parse_owner(const char *opt, const char *s, uint32_t *uid,
		   uint32_t *gid, bool *has_gid, struct vg_err *e);
/* Octal permission bits, at most 0777. */
int vg_parse_mode(const char *opt, const char *s, uint32_t *mode,
		  struct vg_err *e);

#define VG_UUID_STR_MAX	41	/* "GPU-" + 36 + NUL */
void vg_uuid_format(const uint8_t u[VGPU_UUID_LEN], bool gpu, char *out);
/* Turn 16 random bytes into a version 4, RFC 4122 variant UUID. */
void vg_uuid_make_v4(uint8_t u[VGPU_UUID_LEN]);
const char *vg_policy_name(uint32_t policy);

/* ---- objects as the kernel reports them ---- */

struct vg_gpu {
	uint32_t id;
	char name[VGPU_NAME_MAX];
	char pci[VGPU_PCI_ADDR_MAX];
	bool sim;
	uint8_t uuid[VGPU_UUID_LEN];
	uint64_t memory;
	uint32_t sms;
	uint32_t policy;
	uint32_t timeslice_us;
	uint32_t period_us;
	uint64_t mem_free;
	uint32_t weight_free;
	uint32_t nr_slices;
	bool mdev;
};

struct vg_type {
	uint32_t gpu;
	char name[VGPU_TYPE_NAME_MAX];
	uint64_t memory;
	uint32_t weight;
	uint32_t available;
	char description[VGPU_DESCRIPTION_MAX];
};

struct vg_stats {
	uint64_t mem_used;
	uint64_t mem_peak;
	uint64_t charge_refused;
	uint64_t busy_ns;
	uint64_t wait_ns;
	uint64_t leases;
	uint64_t overruns;
	uint64_t contexts;
};

struct vg_slice {
	uint8_t uuid[VGPU_UUID_LEN];
	uint32_t gpu;
	char type[VGPU_TYPE_NAME_MAX];
	uint64_t mem_quota;
	uint32_t weight;
	uint32_t cap;
	uint32_t timeslice_us;
	uint32_t priority;
	char tenant[VGPU_NAME_MAX];
	bool mdev;
	struct vg_stats stats;
};

/* ---- output.c ---- */

enum vg_out_mode {
	VG_OUT_AUTO,	/* table on a terminal, plain otherwise */
	VG_OUT_TABLE,
	VG_OUT_PLAIN,
	VG_OUT_JSON,
};

extern enum vg_out_mode vg_out_mode;

/* Resolves VG_OUT_AUTO against stdout. */
enum vg_out_mode vg_out_effective(void);

/* "10.0 GiB", "512 B". */
void vg_fmt_size(uint64_t bytes, char *buf, size_t len);
/* Thousandths as a percentage: 125 -> "12.5%". */
void vg_fmt_weight(uint32_t thousandths, char *buf, size_t len);

/* A growable array of fixed-size elements. */
struct vg_vec {
	void *data;
	size_t n;
	size_t cap;
	size_t elem;
};

void vg_vec_init(struct vg_vec *v, size_t elem);
/* A zeroed new element, or NULL when out of memory. */
void *vg_vec_push(struct vg_vec *v);
void vg_vec_free(struct vg_vec *v);

/* Human tables: columns aligned, a header; "plain": tab-separated. */
#define VG_TABLE_MAX_COLS 24
struct vg_table {
	size_t ncols;
	const char *headers[VG_TABLE_MAX_COLS];
	bool right[VG_TABLE_MAX_COLS];
	struct vg_vec rows;	/* of char *[VG_TABLE_MAX_COLS] */
};

void vg_table_init(struct vg_table *t);
void vg_table_col(struct vg_table *t, const char *header, bool right);
/* Copies the cells; 0 or -ENOMEM. */
int vg_table_add(struct vg_table *t, const char *const *cells);
/* header: print the header line (human tables). */
void vg_table_print(const struct vg_table *t, bool header);
void vg_table_free(struct vg_table *t);

/* Object descriptions shared by every output form. */
enum vg_field_kind {
	VG_F_U32,
	VG_F_U64,
	VG_F_SIZE,		/* u64 bytes */
	VG_F_WEIGHT,		/* u32 thousandths */
	VG_F_CAP,		/* u32 thousandths, 0: none */
	VG_F_TIMESLICE,		/* u32 microseconds, 0: the GPU's */
	VG_F_STR,		/* char array */
	VG_F_TEXT,		/* char array of key=value lines */
	VG_F_BOOL,
	VG_F_POLICY,		/* u32 enum vgpu_policy */
	VG_F_UUID,		/* u8[16] */
	VG_F_GPU_UUID,		/* u8[16], printed GPU-<uuid> */
	VG_F_PCI,		/* char array; "sim"/null when the bool after it */
	VG_F_SIM,		/* bool, JSON only */
};

#define VG_FIELD_LIST	(1u << 0)	/* column of the human list table */

struct vg_field {
	const char *key;	/* JSON key, also the show label */
	const char *header;	/* human table header */
	enum vg_field_kind kind;
	size_t off;
	unsigned int flags;
	size_t aux;		/* VG_F_PCI: offset of the sim bool */
};

struct vg_objdesc {
	const struct vg_field *fields;
	size_t nfields;
	const struct vg_field *nest;	/* nested fields ("stats"), or NULL */
	size_t nnest;
	const char *nest_key;
	size_t nest_off;
};

extern const struct vg_objdesc vg_gpu_desc;
extern const struct vg_objdesc vg_type_desc;
extern const struct vg_objdesc vg_slice_desc;

/* Cell text of one field; human: humanised. */
void vg_field_format(const struct vg_field *f, const void *obj, bool human,
		     char *buf, size_t len);
/* A new JSON object for obj; NULL when out of memory. */
struct json_object *vg_obj_json(const struct vg_objdesc *d, const void *obj);
/* Print a list of n objects of size elem; 0 or -ENOMEM. */
int vg_print_list(const struct vg_objdesc *d, const void *objs, size_t n,
		  size_t elem);
/* Print one object (vertical in human form); 0 or -ENOMEM. */
int vg_print_one(const struct vg_objdesc *d, const void *obj);
/* Print a JSON document and drop the reference. */
void vg_json_print(struct json_object *o);
/* A new JSON object for obj (arg as passed on); NULL when out of memory. */
typedef struct json_object *(*vg_json_fn)(const void *arg, const void *obj);
/* Print n objects of size elem as a JSON array made by fn; 0 or -ENOMEM. */
int vg_json_print_array(const void *objs, size_t n, size_t elem,
			vg_json_fn fn, const void *arg);

/* ---- netlink.c ---- */

struct nl_msg;
struct nlattr;
struct nlmsghdr;
struct vg_nl;

/* What the kernel said about a refused request. */
struct vg_nlerr {
	int err;		/* positive errno */
	char msg[256];		/* NLMSGERR_ATTR_MSG, "" when absent */
	int attr;		/* offending attribute type, -1 when unknown */
};

/* Extended-ack facts of an NLMSG_ERROR or NLMSG_DONE message. */
struct vg_extack {
	int error;		/* negative errno, 0 for success */
	char msg[256];
	bool has_offs;
	uint32_t offs;		/* from the start of the request */
};

/* Parse an NLMSG_ERROR or NLMSG_DONE message of len bytes; 0 or -EBADMSG. */
int vg_extack_parse(const struct nlmsghdr *nlh, size_t len,
		    struct vg_extack *ext);
/* The type of the attribute starting at offs in the request, or -1. */
int vg_attr_at_offset(const struct nlmsghdr *req, uint32_t offs);
/* The command-line spelling of an attribute, or NULL. */
const char *vg_attr_option(int attr);

/* Open and resolve the family; prints its own error. NULL on failure. */
struct vg_nl *vg_nl_connect(void);
/* The same for another family (tests talk to "nlctrl"). */
struct vg_nl *vg_nl_connect_family(const char *name);
void vg_nl_close(struct vg_nl *nl);
/* A request with the generic netlink header; NULL when out of memory. */
struct nl_msg *vg_nl_msg(struct vg_nl *nl, uint8_t cmd, int flags);

/* Called for each reply object with the parsed top-level attributes. */
typedef int (*vg_nl_obj_fn)(struct nlattr **tb, void *arg);
/*
 * Send msg (consumed), call fn for each reply object, wait for the ack or
 * the end of the dump.  0 or a negative errno, with ne filled.
 */
int vg_nl_request(struct vg_nl *nl, struct nl_msg *msg, vg_nl_obj_fn fn,
		  void *arg, struct vg_nlerr *ne);
/* Parse a generic netlink message into tb[VGPU_ATTR_MAX + 1]. */
int vg_nl_parse(struct nlmsghdr *nlh, struct nlattr **tb);
/* "vgpuctl: <what>: <strerror>: <sentence> (<option>)"; returns 1. */
int vg_fail_nl(const char *what, const struct vg_nlerr *ne);

/* Objects from reply attributes. */
int vg_gpu_from_attrs(struct nlattr **tb, struct vg_gpu *g);
int vg_type_from_attrs(struct nlattr **tb, struct vg_type *t);
int vg_slice_from_attrs(struct nlattr **tb, struct vg_slice *s);
/* vg_nl_obj_fn pushing each object onto a struct vg_vec. */
int vg_collect_gpu(struct nlattr **tb, void *vec);
int vg_collect_type(struct nlattr **tb, void *vec);
int vg_collect_slice(struct nlattr **tb, void *vec);
/* Fetch one GPU or slice; 0 or a negative errno with ne filled. */
int vg_get_gpu(struct vg_nl *nl, uint32_t id, struct vg_gpu *g,
	       struct vg_nlerr *ne);
int vg_get_slice(struct vg_nl *nl, const uint8_t uuid[VGPU_UUID_LEN],
		 struct vg_slice *s, struct vg_nlerr *ne);
/* Fill ne for a request that could not be built; returns -ENOMEM. */
int vg_nlerr_nomem(struct vg_nlerr *ne);
/*
 * The end of a verb: send msg on nl (then closed) and print the reply
 * objects, collected by fn into elements of size elem, as d says: all of
 * them (list) or else the first, when there is one (fn NULL: only the ack
 * counts).  msg NULL or nomem (a put failed) is out of memory.  Returns the
 * exit status; a failure is reported as "vgpuctl: <what>: ...".
 */
int vg_nl_finish(struct vg_nl *nl, struct nl_msg *msg, bool nomem,
		 vg_nl_obj_fn fn, size_t elem, const struct vg_objdesc *d,
		 bool list, const char *what);

/* ---- probe.c ---- */

struct vg_probe_dev {
	char pci[VGPU_PCI_ADDR_MAX];
	bool drm;		/* listed by libdrm */
	bool cuda;		/* listed by the CUDA driver */
	bool has_ids;
	uint16_t vendor;
	uint16_t device;
	char driver[64];	/* kernel driver, "" when none */
	char name[VGPU_NAME_MAX];
	uint64_t memory;
	uint32_t sms;
	bool has_uuid;
	uint8_t uuid[VGPU_UUID_LEN];
};

/* What the CUDA driver said, for messages. */
struct vg_cuda_status {
	bool present;		/* libcuda.so.1 loaded */
	int ndev;		/* devices, -1 when cuInit failed */
	char why[128];		/* why it gave nothing, when it did not */
};

/* CUDA devices into vec of struct vg_probe_dev; 0 or -ENOMEM. */
int vg_probe_cuda(struct vg_vec *devs, struct vg_cuda_status *st);
/* libdrm PCI devices merged into devs; returns the libdrm device count. */
int vg_probe_drm(struct vg_vec *devs);
int vg_cmd_gpu_probe(int argc, char **argv);

/* ---- gpu.c ---- */

struct vg_gpu_add_args {
	bool sim;
	bool has_pci;
	char pci[VGPU_PCI_ADDR_MAX];
	bool has_name;
	char name[VGPU_NAME_MAX];
	bool has_memory;
	uint64_t memory;
	bool has_sms;
	uint32_t sms;
	bool has_uuid;
	uint8_t uuid[VGPU_UUID_LEN];
	bool has_policy;
	uint32_t policy;
	bool has_timeslice;
	uint32_t timeslice_us;
	bool has_period;
	uint32_t period_us;
};

struct vg_gpu_set_args {
	uint32_t id;
	bool has_policy;
	uint32_t policy;
	bool has_timeslice;
	uint32_t timeslice_us;
	bool has_period;
	uint32_t period_us;
};

struct vg_gpu_del_args {
	uint32_t id;
	bool force;
};

int vg_gpu_add_parse(int argc, char **argv, struct vg_gpu_add_args *a,
		     struct vg_err *e);
/*
 * Fill what --pci left out from a CUDA device (NULL when the driver could
 * not answer; st says why); 0 or -EINVAL with the options still needed.
 */
int vg_gpu_add_fill(struct vg_gpu_add_args *a, const struct vg_probe_dev *dev,
		    const struct vg_cuda_status *st, struct vg_err *e);
int vg_gpu_set_parse(int argc, char **argv, struct vg_gpu_set_args *a,
		     struct vg_err *e);
int vg_gpu_del_parse(int argc, char **argv, struct vg_gpu_del_args *a,
		     struct vg_err *e);
int vg_gpu_add_put(struct nl_msg *msg, const struct vg_gpu_add_args *a);
int vg_cmd_gpu(int argc, char **argv);
extern const char vg_gpu_help[];

/* ---- type.c ---- */

int vg_cmd_type(int argc, char **argv);
extern const char vg_type_help[];

/* ---- slice.c ---- */

struct vg_slice_args {
	bool has_gpu;
	uint32_t gpu;
	char type[VGPU_TYPE_NAME_MAX];
	bool has_uuid;
	uint8_t uuid[VGPU_UUID_LEN];
	bool has_memory;
	uint64_t memory;
	bool has_weight;
	uint32_t weight;
	bool has_cap;
	uint32_t cap;
	bool has_timeslice;
	uint32_t timeslice_us;
	bool has_priority;
	uint32_t priority;
	bool has_tenant;
	char tenant[VGPU_NAME_MAX];
	bool has_owner;
	uint32_t uid;
	bool has_gid;
	uint32_t gid;
	bool has_mode;
	uint32_t mode;
	bool mdev;
};

int vg_slice_create_parse(int argc, char **argv, struct vg_slice_args *a,
			  struct vg_err *e);
int vg_slice_set_parse(int argc, char **argv, struct vg_slice_args *a,
		       struct vg_err *e);
/* Whether any parameter SLICE_SET can change is given. */
bool vg_slice_args_settable(const struct vg_slice_args *a);
/* The SLICE_SET parameters (memory, weight, ...) onto msg; 0 or -ENOMEM. */
int vg_slice_put_params(struct nl_msg *msg, const struct vg_slice_args *a);
int vg_cmd_slice(int argc, char **argv);
extern const char vg_slice_help[];

/* ---- cli.c: subcommand dispatch ---- */

struct vg_verb {
	const char *name;
	int (*fn)(int argc, char **argv);
};

/* Run the verb named by argv[0] (the default verb when argc is 0). */
int vg_dispatch(const char *object, const char *help,
		const struct vg_verb *verbs, size_t nverbs,
		int argc, char **argv);
/*
 * Options every verb takes: --help, --json, --plain.  For getopt_long
 * tables; VG_HELP for --help, 0 when handled, -1 when c is not one.
 */
enum {
	VG_OPT_JSON = 0x100,
	VG_OPT_PLAIN,
	VG_OPT_FIRST_PRIVATE,
};
#define VG_COMMON_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "json", no_argument, NULL, VG_OPT_JSON }, \
	{ "plain", no_argument, NULL, VG_OPT_PLAIN }
int vg_common_opt(int c);
/* The getopt failure message for c ('?' or ':'); always -EINVAL. */
int vg_getopt_error(int c, char **argv, const char *cmd, struct vg_err *e);

/*
 * After getopt: the positional arguments into pos, min..max of them (names
 * for the message about a missing one).  Their count, or -EINVAL.
 */
int vg_positionals(int argc, char **argv, const char *cmd,
		   const char *const *names, int min, int max, char **pos,
		   struct vg_err *e);

struct option;
/*
 * A verb's own option c with its value: 0, a negative errno (e filled), or
 * 1 when c is not one of its options.
 */
typedef int (*vg_opt_fn)(int c, const char *val, void *arg,
			 struct vg_err *e);
/*
 * getopt_long over argv: the common options, then fn(c, optarg, arg, e)
 * for the others (fn NULL: none; an option fn does not know is an error
 * naming cmd).  0, VG_HELP or a negative errno.
 */
int vg_getopt(int argc, char **argv, const char *shortopts,
	      const struct option *longopts, const char *cmd, vg_opt_fn fn,
	      void *arg, struct vg_err *e);
/* A verb with only the common options: 0, VG_HELP or -EINVAL. */
int vg_parse_args(int argc, char **argv, const char *cmd,
		  const char *const *names, int min, int max, char **pos,
		  struct vg_err *e);
/*
 * The exit status for what a verb's parser returned: VG_EXIT_OK after
 * printing help for VG_HELP, the usage error for a negative errno, -1
 * (go on) otherwise.
 */
int vg_parse_exit(int ret, const char *object, const char *help,
		  const struct vg_err *e);

/* Write val to a sysfs file; 0 or a negative errno. */
int vg_sysfs_write(const char *path, const char *val);

#endif /* VGPUCTL_H */
