// SPDX-License-Identifier: GPL-2.0-only
/*
 * Output: the same object descriptions drive the human table (aligned, with
 * a header, sizes humanised, weights as percentages), the plain form (tab
 * separated, raw integers, no header) and JSON (json-c, raw integers).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include "vgpuctl.h"

enum vg_out_mode vg_out_mode = VG_OUT_AUTO;

enum vg_out_mode vg_out_effective(void)
{
	if (vg_out_mode != VG_OUT_AUTO)
		return vg_out_mode;
	return isatty(STDOUT_FILENO) ? VG_OUT_TABLE : VG_OUT_PLAIN;
}

void vg_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	double v;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	v = (double)bytes / 1024.0;
	while (v >= 1024.0 && u + 1 < VG_ARRAY_SIZE(units)) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
}

void vg_fmt_weight(uint32_t thousandths, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u%%", thousandths / 10, thousandths % 10);
}

/* ---- vectors ---- */

void vg_vec_init(struct vg_vec *v, size_t elem)
{
	v->data = NULL;
	v->n = 0;
	v->cap = 0;
	v->elem = elem;
}

void *vg_vec_push(struct vg_vec *v)
{
	void *p;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;

		p = realloc(v->data, cap * v->elem);
		if (!p)
			return NULL;
		v->data = p;
		v->cap = cap;
	}
	p = (char *)v->data + v->n * v->elem;
	memset(p, 0, v->elem);
	v->n++;
	return p;
}

void vg_vec_free(struct vg_vec *v)
{
	free(v->data);
	vg_vec_init(v, v->elem);
}

/* ---- tables ---- */

typedef char *vg_row[VG_TABLE_MAX_COLS];

void vg_table_init(struct vg_table *t)
{
	memset(t, 0, sizeof(*t));
	vg_vec_init(&t->rows, sizeof(vg_row));
}

void vg_table_col(struct vg_table *t, const char *header, bool right)
{
	if (t->ncols == VG_TABLE_MAX_COLS)
		return;
	t->headers[t->ncols] = header;
	t->right[t->ncols] = right;
	t->ncols++;
}

int vg_table_add(struct vg_table *t, const char *const *cells)
{
	char **row;
	size_t i;

	row = vg_vec_push(&t->rows);
	if (!row)
		return -ENOMEM;
	for (i = 0; i < t->ncols; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "");
		if (!row[i])
			return -ENOMEM;	/* the table frees what was copied */
	}
	return 0;
}

static void print_cell(const char *s, size_t width, bool right, bool last)
{
	size_t len = strlen(s);
	size_t pad = width > len ? width - len : 0;

	if (right)
		printf("%*s%s", (int)pad, "", s);
	else if (last)
		fputs(s, stdout);
	else
		printf("%s%*s", s, (int)pad, "");
}

void vg_table_print(const struct vg_table *t, bool header)
{
	size_t width[VG_TABLE_MAX_COLS] = { 0 };
	vg_row *rows = t->rows.data;
	size_t r, c;

	if (!header) {
		for (r = 0; r < t->rows.n; r++)
			for (c = 0; c < t->ncols; c++)
				printf("%s%c", rows[r][c], c + 1 < t->ncols ? '\t' : '\n');
		return;
	}
	for (c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->headers[c]);
		for (r = 0; r < t->rows.n; r++)
			if (strlen(rows[r][c]) > width[c])
				width[c] = strlen(rows[r][c]);
	}
	for (c = 0; c < t->ncols; c++) {
		print_cell(t->headers[c], width[c], t->right[c], c + 1 == t->ncols);
		fputs(c + 1 < t->ncols ? "  " : "\n", stdout);
	}
	for (r = 0; r < t->rows.n; r++)
		for (c = 0; c < t->ncols; c++) {
			print_cell(rows[r][c], width[c], t->right[c], c + 1 == t->ncols);
			fputs(c + 1 < t->ncols ? "  " : "\n", stdout);
		}
}

void vg_table_free(struct vg_table *t)
{
	vg_row *rows = t->rows.data;
	size_t r, c;

	for (r = 0; r < t->rows.n; r++)
		for (c = 0; c < t->ncols; c++)
			free(rows[r][c]);
	vg_vec_free(&t->rows);
}

/* ---- object descriptions ---- */

#define F(k, h, kind, type, member, fl) \
	{ k, h, kind, offsetof(type, member), fl, 0 }

static const struct vg_field gpu_fields[] = {
	F("id", "ID", VG_F_U32, struct vg_gpu, id, VG_FIELD_LIST),
	F("name", "NAME", VG_F_STR, struct vg_gpu, name, VG_FIELD_LIST),
	{ "pci", "PCI", VG_F_PCI, offsetof(struct vg_gpu, pci), VG_FIELD_LIST,
	  offsetof(struct vg_gpu, sim) },
	F("sim", "SIM", VG_F_SIM, struct vg_gpu, sim, 0),
	F("uuid", "UUID", VG_F_GPU_UUID, struct vg_gpu, uuid, 0),
	F("memory", "MEMORY", VG_F_SIZE, struct vg_gpu, memory, VG_FIELD_LIST),
	F("sms", "SMS", VG_F_U32, struct vg_gpu, sms, VG_FIELD_LIST),
	F("policy", "POLICY", VG_F_POLICY, struct vg_gpu, policy, VG_FIELD_LIST),
	F("timeslice_us", "TIMESLICE(us)", VG_F_U32, struct vg_gpu, timeslice_us, 0),
	F("period_us", "PERIOD(us)", VG_F_U32, struct vg_gpu, period_us, 0),
	F("mem_free", "MEM FREE", VG_F_SIZE, struct vg_gpu, mem_free, VG_FIELD_LIST),
	F("weight_free", "WEIGHT FREE", VG_F_WEIGHT, struct vg_gpu, weight_free,
	  VG_FIELD_LIST),
	F("slices", "SLICES", VG_F_U32, struct vg_gpu, nr_slices, VG_FIELD_LIST),
	F("mdev", "MDEV", VG_F_BOOL, struct vg_gpu, mdev, VG_FIELD_LIST),
};

const struct vg_objdesc vg_gpu_desc = {
	.fields = gpu_fields,
	.nfields = VG_ARRAY_SIZE(gpu_fields),
};

static const struct vg_field type_fields[] = {
	F("gpu", "GPU", VG_F_U32, struct vg_type, gpu, VG_FIELD_LIST),
	F("name", "TYPE", VG_F_STR, struct vg_type, name, VG_FIELD_LIST),
	F("memory", "MEMORY", VG_F_SIZE, struct vg_type, memory, VG_FIELD_LIST),
	F("weight", "WEIGHT", VG_F_WEIGHT, struct vg_type, weight, VG_FIELD_LIST),
	F("available", "AVAILABLE", VG_F_U32, struct vg_type, available, VG_FIELD_LIST),
	F("description", "DESCRIPTION", VG_F_TEXT, struct vg_type, description,
	  VG_FIELD_LIST),
};

const struct vg_objdesc vg_type_desc = {
	.fields = type_fields,
	.nfields = VG_ARRAY_SIZE(type_fields),
};

static const struct vg_field slice_fields[] = {
	F("uuid", "UUID", VG_F_UUID, struct vg_slice, uuid, VG_FIELD_LIST),
	F("gpu", "GPU", VG_F_U32, struct vg_slice, gpu, VG_FIELD_LIST),
	F("type", "TYPE", VG_F_STR, struct vg_slice, type, VG_FIELD_LIST),
	F("mem_quota", "QUOTA", VG_F_SIZE, struct vg_slice, mem_quota, VG_FIELD_LIST),
	F("weight", "WEIGHT", VG_F_WEIGHT, struct vg_slice, weight, VG_FIELD_LIST),
	F("cap", "CAP", VG_F_CAP, struct vg_slice, cap, VG_FIELD_LIST),
	F("timeslice_us", "TIMESLICE(us)", VG_F_TIMESLICE, struct vg_slice,
	  timeslice_us, VG_FIELD_LIST),
	F("priority", "PRIO", VG_F_U32, struct vg_slice, priority, VG_FIELD_LIST),
	F("tenant", "TENANT", VG_F_STR, struct vg_slice, tenant, VG_FIELD_LIST),
	F("mdev", "MDEV", VG_F_BOOL, struct vg_slice, mdev, VG_FIELD_LIST),
};

static const struct vg_field stat_fields[] = {
	F("mem_used", "USED", VG_F_SIZE, struct vg_stats, mem_used, VG_FIELD_LIST),
	F("mem_peak", "PEAK", VG_F_SIZE, struct vg_stats, mem_peak, 0),
	F("charge_refused", "REFUSED", VG_F_U64, struct vg_stats, charge_refused, 0),
	F("busy_ns", "BUSY(ns)", VG_F_U64, struct vg_stats, busy_ns, 0),
	F("wait_ns", "WAIT(ns)", VG_F_U64, struct vg_stats, wait_ns, 0),
	F("leases", "LEASES", VG_F_U64, struct vg_stats, leases, 0),
	F("overruns", "OVERRUNS", VG_F_U64, struct vg_stats, overruns, 0),
	F("contexts", "CONTEXTS", VG_F_U64, struct vg_stats, contexts, VG_FIELD_LIST),
};

const struct vg_objdesc vg_slice_desc = {
	.fields = slice_fields,
	.nfields = VG_ARRAY_SIZE(slice_fields),
	.nest = stat_fields,
	.nnest = VG_ARRAY_SIZE(stat_fields),
	.nest_key = "stats",
	.nest_off = offsetof(struct vg_slice, stats),
};

#define AT(obj, off, type) ((const type *)((const char *)(obj) + (off)))

/* Text for one output cell: no tabs or newlines, "-" when empty. */
static void clean_text(const char *s, char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; s[i] && n + 1 < len; i++)
		buf[n++] = (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') ? ' ' : s[i];
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	if (!n)
		snprintf(buf, len, "-");
}

void vg_field_format(const struct vg_field *f, const void *obj, bool human,
		     char *buf, size_t len)
{
	uint32_t u32 = 0;
	uint64_t u64 = 0;

	switch (f->kind) {
	case VG_F_U32:
	case VG_F_WEIGHT:
	case VG_F_CAP:
	case VG_F_TIMESLICE:
	case VG_F_POLICY:
		u32 = *AT(obj, f->off, uint32_t);
		break;
	case VG_F_U64:
	case VG_F_SIZE:
		u64 = *AT(obj, f->off, uint64_t);
		break;
	default:
		break;
	}

	switch (f->kind) {
	case VG_F_U32:
		snprintf(buf, len, "%u", u32);
		break;
	case VG_F_U64:
		snprintf(buf, len, "%llu", (unsigned long long)u64);
		break;
	case VG_F_SIZE:
		if (human)
			vg_fmt_size(u64, buf, len);
		else
			snprintf(buf, len, "%llu", (unsigned long long)u64);
		break;
	case VG_F_CAP:
		if (human && !u32) {
			snprintf(buf, len, "none");
			break;
		}
		/* fall through */
	case VG_F_WEIGHT:
		if (human)
			vg_fmt_weight(u32, buf, len);
		else
			snprintf(buf, len, "%u", u32);
		break;
	case VG_F_TIMESLICE:
		if (human && !u32)
			snprintf(buf, len, "default");
		else
			snprintf(buf, len, "%u", u32);
		break;
	case VG_F_POLICY:
		snprintf(buf, len, "%s", vg_policy_name(u32));
		break;
	case VG_F_STR:
	case VG_F_TEXT:
		clean_text(AT(obj, f->off, char), buf, len);
		break;
	case VG_F_BOOL:
	case VG_F_SIM:
		if (human)
			snprintf(buf, len, "%s", *AT(obj, f->off, bool) ? "yes" : "no");
		else
			snprintf(buf, len, "%d", *AT(obj, f->off, bool) ? 1 : 0);
		break;
	case VG_F_UUID:
	case VG_F_GPU_UUID:
		if (len >= VG_UUID_STR_MAX)
			vg_uuid_format(AT(obj, f->off, uint8_t),
				       f->kind == VG_F_GPU_UUID, buf);
		else if (len)
			buf[0] = '\0';
		break;
	case VG_F_PCI:
		if (*AT(obj, f->aux, bool))
			snprintf(buf, len, "sim");
		else
			clean_text(AT(obj, f->off, char), buf, len);
		break;
	}
}

static struct json_object *field_json(const struct vg_field *f, const void *obj)
{
	char buf[VG_UUID_STR_MAX];

	switch (f->kind) {
	case VG_F_U32:
	case VG_F_WEIGHT:
	case VG_F_CAP:
	case VG_F_TIMESLICE:
		return json_object_new_int64(*AT(obj, f->off, uint32_t));
	case VG_F_U64:
	case VG_F_SIZE:
		return json_object_new_uint64(*AT(obj, f->off, uint64_t));
	case VG_F_POLICY:
		return json_object_new_string(vg_policy_name(*AT(obj, f->off, uint32_t)));
	case VG_F_STR:
	case VG_F_TEXT:
		return json_object_new_string(AT(obj, f->off, char));
	case VG_F_BOOL:
	case VG_F_SIM:
		return json_object_new_boolean(*AT(obj, f->off, bool));
	case VG_F_UUID:
	case VG_F_GPU_UUID:
		vg_uuid_format(AT(obj, f->off, uint8_t), f->kind == VG_F_GPU_UUID, buf);
		return json_object_new_string(buf);
	case VG_F_PCI:
		if (*AT(obj, f->aux, bool))
			return NULL;	/* JSON null */
		return json_object_new_string(AT(obj, f->off, char));
	}
	return NULL;
}

static int fields_json(struct json_object *o, const struct vg_field *fields,
		       size_t n, const void *obj)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct json_object *v = field_json(&fields[i], obj);

		if (!v && fields[i].kind != VG_F_PCI)
			return -ENOMEM;
		if (json_object_object_add(o, fields[i].key, v)) {
			json_object_put(v);
			return -ENOMEM;
		}
	}
	return 0;
}

struct json_object *vg_obj_json(const struct vg_objdesc *d, const void *obj)
{
	struct json_object *o, *nest;

	o = json_object_new_object();
	if (!o)
		return NULL;
	if (fields_json(o, d->fields, d->nfields, obj))
		goto fail;
	if (d->nest) {
		nest = json_object_new_object();
		if (!nest)
			goto fail;
		if (json_object_object_add(o, d->nest_key, nest)) {
			json_object_put(nest);
			goto fail;
		}
		if (fields_json(nest, d->nest, d->nnest,
				(const char *)obj + d->nest_off))
			goto fail;
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}

void vg_json_print(struct json_object *o)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= isatty(STDOUT_FILENO) ? JSON_C_TO_STRING_PRETTY |
		 JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
	puts(json_object_to_json_string_ext(o, flags));
	json_object_put(o);
}

int vg_json_print_array(const void *objs, size_t n, size_t elem,
			vg_json_fn fn, const void *arg)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	if (!a)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct json_object *o = fn(arg, (const char *)objs + i * elem);

		if (!o || json_object_array_add(a, o)) {
			json_object_put(o);
			json_object_put(a);
			return -ENOMEM;
		}
	}
	vg_json_print(a);
	return 0;
}

static struct json_object *desc_json(const void *d, const void *obj)
{
	return vg_obj_json(d, obj);
}

/* The columns of obj's fields (list: only those of the human list). */
static void add_columns(struct vg_table *t, const struct vg_objdesc *d, bool list)
{
	size_t i;

	for (i = 0; i < d->nfields; i++) {
		const struct vg_field *f = &d->fields[i];

		if (f->kind == VG_F_SIM || (list && !(f->flags & VG_FIELD_LIST)))
			continue;
		vg_table_col(t, f->header, f->kind == VG_F_SIZE ||
			     f->kind == VG_F_U32 || f->kind == VG_F_U64 ||
			     f->kind == VG_F_WEIGHT || f->kind == VG_F_CAP ||
			     f->kind == VG_F_TIMESLICE);
	}
	for (i = 0; i < d->nnest; i++) {
		const struct vg_field *f = &d->nest[i];

		if (list && !(f->flags & VG_FIELD_LIST))
			continue;
		vg_table_col(t, f->header, f->kind != VG_F_STR);
	}
}

#define VG_CELL_MAX 320

static int add_row(struct vg_table *t, const struct vg_objdesc *d,
		   const void *obj, bool list, bool human)
{
	static char cells[VG_TABLE_MAX_COLS][VG_CELL_MAX];
	const char *ptrs[VG_TABLE_MAX_COLS];
	size_t i, c = 0;

	for (i = 0; i < d->nfields && c < VG_TABLE_MAX_COLS; i++) {
		const struct vg_field *f = &d->fields[i];

		if (f->kind == VG_F_SIM || (list && !(f->flags & VG_FIELD_LIST)))
			continue;
		vg_field_format(f, obj, human, cells[c], VG_CELL_MAX);
		ptrs[c] = cells[c];
		c++;
	}
	for (i = 0; i < d->nnest && c < VG_TABLE_MAX_COLS; i++) {
		const struct vg_field *f = &d->nest[i];

		if (list && !(f->flags & VG_FIELD_LIST))
			continue;
		vg_field_format(f, (const char *)obj + d->nest_off, human,
				cells[c], VG_CELL_MAX);
		ptrs[c] = cells[c];
		c++;
	}
	return vg_table_add(t, ptrs);
}

int vg_print_list(const struct vg_objdesc *d, const void *objs, size_t n,
		  size_t elem)
{
	enum vg_out_mode mode = vg_out_effective();
	bool human = mode == VG_OUT_TABLE;
	struct vg_table t;
	size_t i;
	int ret = 0;

	if (mode == VG_OUT_JSON)
		return vg_json_print_array(objs, n, elem, desc_json, d);
	if (!n)
		return 0;
	vg_table_init(&t);
	add_columns(&t, d, human);
	for (i = 0; i < n && !ret; i++)
		ret = add_row(&t, d, (const char *)objs + i * elem, human, human);
	if (!ret)
		vg_table_print(&t, human);
	vg_table_free(&t);
	return ret;
}

static void show_line(const char *key, const char *val, size_t width)
{
	printf("%-*s  %s\n", (int)width, key, val);
}

int vg_print_one(const struct vg_objdesc *d, const void *obj)
{
	enum vg_out_mode mode = vg_out_effective();
	char buf[VG_CELL_MAX];
	size_t i, width = 0;

	if (mode == VG_OUT_JSON) {
		struct json_object *o = vg_obj_json(d, obj);

		if (!o)
			return -ENOMEM;
		vg_json_print(o);
		return 0;
	}
	if (mode == VG_OUT_PLAIN)
		return vg_print_list(d, obj, 1, 0);

	for (i = 0; i < d->nfields; i++)
		if (strlen(d->fields[i].key) > width)
			width = strlen(d->fields[i].key);
	for (i = 0; i < d->nnest; i++)
		if (strlen(d->nest[i].key) > width)
			width = strlen(d->nest[i].key);
	for (i = 0; i < d->nfields; i++) {
		if (d->fields[i].kind == VG_F_SIM)
			continue;
		vg_field_format(&d->fields[i], obj, true, buf, sizeof(buf));
		show_line(d->fields[i].key, buf, width);
	}
	for (i = 0; i < d->nnest; i++) {
		vg_field_format(&d->nest[i], (const char *)obj + d->nest_off,
				true, buf, sizeof(buf));
		show_line(d->nest[i].key, buf, width);
	}
	return 0;
}
