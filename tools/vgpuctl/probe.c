// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpuctl gpu probe: the GPUs of this host, from libdrm (every DRM device on
 * the PCI bus) and from the CUDA driver (NVIDIA GPUs; those driven by the
 * proprietary driver have no DRM device of their own), merged by PCI address.
 *
 * libcuda.so.1 is opened with dlopen, never linked: vgpuctl runs on hosts
 * without it.  cuda.h gives only the types; the functions are looked up by
 * their ABI names (cuDeviceTotalMem_v2 and not the macro cuDeviceTotalMem).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>
#include <xf86drm.h>

#include "vgpuctl.h"

#if defined(__has_include)
#if __has_include(<cuda.h>)
#include <cuda.h>
#define VG_HAVE_CUDA_H 1
#endif
#endif

#ifndef VG_HAVE_CUDA_H
/* Without the toolkit: the few driver ABI types this file uses. */
typedef int CUresult;
typedef int CUdevice;
typedef int CUdevice_attribute;
typedef struct CUuuid_st {
	char bytes[16];
} CUuuid;
#define CUDA_SUCCESS 0
#define CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT 16
#endif

typedef CUresult (*cu_init_fn)(unsigned int flags);
typedef CUresult (*cu_device_get_count_fn)(int *count);
typedef CUresult (*cu_device_get_fn)(CUdevice *dev, int ordinal);
typedef CUresult (*cu_device_get_name_fn)(char *name, int len, CUdevice dev);
typedef CUresult (*cu_device_total_mem_fn)(size_t *bytes, CUdevice dev);
typedef CUresult (*cu_device_get_attribute_fn)(int *v, CUdevice_attribute attr,
					       CUdevice dev);
typedef CUresult (*cu_device_get_uuid_fn)(CUuuid *uuid, CUdevice dev);
typedef CUresult (*cu_device_get_pci_bus_id_fn)(char *id, int len, CUdevice dev);
typedef CUresult (*cu_get_error_string_fn)(CUresult err, const char **str);

struct cuda_api {
	cu_init_fn init;
	cu_device_get_count_fn get_count;
	cu_device_get_fn get;
	cu_device_get_name_fn get_name;
	cu_device_total_mem_fn total_mem;
	cu_device_get_attribute_fn get_attribute;
	cu_device_get_uuid_fn get_uuid;
	cu_device_get_pci_bus_id_fn get_pci_bus_id;
	cu_get_error_string_fn error_string;
};

static void cuda_why(const struct cuda_api *cu, const char *call, CUresult r,
		     struct vg_cuda_status *st)
{
	const char *s = NULL;

	if (cu->error_string && cu->error_string(r, &s) != CUDA_SUCCESS)
		s = NULL;
	snprintf(st->why, sizeof(st->why), "%s: %s (%d)", call,
		 s ? s : "error", (int)r);
}

static int cuda_device(const struct cuda_api *cu, int ordinal,
		       struct vg_probe_dev *d)
{
	char busid[32];
	size_t bytes;
	CUdevice dev;
	CUuuid uuid;
	int sms;

	if (cu->get(&dev, ordinal) != CUDA_SUCCESS)
		return -ENODEV;
	if (cu->get_pci_bus_id(busid, sizeof(busid), dev) != CUDA_SUCCESS ||
	    vg_normalise_pci_id(busid, d->pci))
		return -ENODEV;
	d->cuda = true;
	if (cu->get_name(d->name, sizeof(d->name), dev) != CUDA_SUCCESS)
		d->name[0] = '\0';
	d->name[sizeof(d->name) - 1] = '\0';
	if (cu->total_mem(&bytes, dev) == CUDA_SUCCESS)
		d->memory = bytes;
	if (cu->get_attribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
			      dev) == CUDA_SUCCESS && sms > 0)
		d->sms = (uint32_t)sms;
	if (cu->get_uuid && cu->get_uuid(&uuid, dev) == CUDA_SUCCESS) {
		memcpy(d->uuid, uuid.bytes, VGPU_UUID_LEN);
		d->has_uuid = true;
	}
	return 0;
}

int vg_probe_cuda(struct vg_vec *devs, struct vg_cuda_status *st)
{
	struct cuda_api cu = { 0 };
	CUresult r;
	void *lib;
	int i, n;

	memset(st, 0, sizeof(*st));
	lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(st->why, sizeof(st->why), "libcuda.so.1 not found");
		return 0;
	}
	st->present = true;
	st->ndev = -1;

	cu.init = (cu_init_fn)dlsym(lib, "cuInit");
	cu.get_count = (cu_device_get_count_fn)dlsym(lib, "cuDeviceGetCount");
	cu.get = (cu_device_get_fn)dlsym(lib, "cuDeviceGet");
	cu.get_name = (cu_device_get_name_fn)dlsym(lib, "cuDeviceGetName");
	cu.total_mem = (cu_device_total_mem_fn)dlsym(lib, "cuDeviceTotalMem_v2");
	cu.get_attribute = (cu_device_get_attribute_fn)dlsym(lib, "cuDeviceGetAttribute");
	cu.get_uuid = (cu_device_get_uuid_fn)dlsym(lib, "cuDeviceGetUuid_v2");
	if (!cu.get_uuid)
		cu.get_uuid = (cu_device_get_uuid_fn)dlsym(lib, "cuDeviceGetUuid");
	cu.get_pci_bus_id = (cu_device_get_pci_bus_id_fn)dlsym(lib, "cuDeviceGetPCIBusId");
	cu.error_string = (cu_get_error_string_fn)dlsym(lib, "cuGetErrorString");
	if (!cu.init || !cu.get_count || !cu.get || !cu.get_name ||
	    !cu.total_mem || !cu.get_attribute || !cu.get_pci_bus_id) {
		snprintf(st->why, sizeof(st->why),
			 "libcuda.so.1 lacks a driver API function vgpuctl needs");
		return 0;	/* the library stays loaded: see below */
	}

	r = cu.init(0);
	if (r != CUDA_SUCCESS) {
		cuda_why(&cu, "cuInit", r, st);
		return 0;
	}
	r = cu.get_count(&n);
	if (r != CUDA_SUCCESS) {
		cuda_why(&cu, "cuDeviceGetCount", r, st);
		return 0;
	}
	st->ndev = n;
	for (i = 0; i < n; i++) {
		struct vg_probe_dev d = { 0 }, *p;

		if (cuda_device(&cu, i, &d))
			continue;
		p = vg_vec_push(devs);
		if (!p)
			return -ENOMEM;
		*p = d;
	}
	/*
	 * libcuda is not closed: an initialised driver keeps threads and
	 * handlers that must not see their code unmapped before exit.
	 */
	return 0;
}

/* The kernel driver bound to a PCI device, "" when none. */
static void pci_driver(const char *pci, char *out, size_t size)
{
	char path[96], link[256];
	const char *base;
	ssize_t n;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", pci);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	n = (ssize_t)strlen(base);
	if ((size_t)n >= size)
		n = (ssize_t)size - 1;
	memcpy(out, base, (size_t)n);
	out[n] = '\0';
}

/* Vendor and device ids from sysfs, for devices only CUDA listed. */
static void pci_ids(struct vg_probe_dev *d)
{
	unsigned int v, dev;
	char path[96];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", d->pci);
	f = fopen(path, "re");
	if (!f)
		return;
	ok = fscanf(f, "%x", &v) == 1;
	fclose(f);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", d->pci);
	f = fopen(path, "re");
	if (!f)
		return;
	ok = ok && fscanf(f, "%x", &dev) == 1;
	fclose(f);
	if (ok && v <= 0xffff && dev <= 0xffff) {
		d->vendor = (uint16_t)v;
		d->device = (uint16_t)dev;
		d->has_ids = true;
	}
}

static struct vg_probe_dev *find_dev(struct vg_vec *devs, const char *pci)
{
	struct vg_probe_dev *d = devs->data;
	size_t i;

	for (i = 0; i < devs->n; i++)
		if (!strcmp(d[i].pci, pci))
			return &d[i];
	return NULL;
}

int vg_probe_drm(struct vg_vec *devs)
{
	drmDevicePtr *list;
	int i, n;

	n = drmGetDevices2(0, NULL, 0);
	if (n <= 0)
		return 0;
	list = calloc((size_t)n, sizeof(*list));
	if (!list)
		return -ENOMEM;
	n = drmGetDevices2(0, list, n);
	if (n < 0) {
		free(list);
		return 0;
	}
	for (i = 0; i < n; i++) {
		drmDevicePtr dd = list[i];
		char pci[VGPU_PCI_ADDR_MAX];
		struct vg_probe_dev *d;

		if (dd->bustype != DRM_BUS_PCI || !dd->businfo.pci)
			continue;
		snprintf(pci, sizeof(pci), "%04x:%02x:%02x.%x",
			 dd->businfo.pci->domain, dd->businfo.pci->bus,
			 dd->businfo.pci->dev, dd->businfo.pci->func);
		d = find_dev(devs, pci);
		if (!d) {
			d = vg_vec_push(devs);
			if (!d) {
				drmFreeDevices(list, n);
				free(list);
				return -ENOMEM;
			}
			memcpy(d->pci, pci, sizeof(pci));
		}
		d->drm = true;
		if (dd->deviceinfo.pci) {
			d->vendor = dd->deviceinfo.pci->vendor_id;
			d->device = dd->deviceinfo.pci->device_id;
			d->has_ids = true;
		}
	}
	drmFreeDevices(list, n);
	free(list);
	return n;
}

/* A vg_json_fn for struct vg_probe_dev. */
static struct json_object *dev_json(const void *unused, const void *dev)
{
	const struct vg_probe_dev *d = dev;
	char uuid[VG_UUID_STR_MAX];
	struct json_object *o = json_object_new_object();

	(void)unused;
	if (!o)
		return NULL;
	if (d->has_uuid)
		vg_uuid_format(d->uuid, true, uuid);
	if (json_object_object_add(o, "pci", json_object_new_string(d->pci)) ||
	    json_object_object_add(o, "vendor", d->has_ids ?
				   json_object_new_int(d->vendor) : NULL) ||
	    json_object_object_add(o, "device", d->has_ids ?
				   json_object_new_int(d->device) : NULL) ||
	    json_object_object_add(o, "driver", d->driver[0] ?
				   json_object_new_string(d->driver) : NULL) ||
	    json_object_object_add(o, "name", d->name[0] ?
				   json_object_new_string(d->name) : NULL) ||
	    json_object_object_add(o, "memory", d->cuda ?
				   json_object_new_uint64(d->memory) : NULL) ||
	    json_object_object_add(o, "sms", d->cuda ?
				   json_object_new_int64(d->sms) : NULL) ||
	    json_object_object_add(o, "uuid", d->has_uuid ?
				   json_object_new_string(uuid) : NULL) ||
	    json_object_object_add(o, "drm", json_object_new_boolean(d->drm)) ||
	    json_object_object_add(o, "cuda", json_object_new_boolean(d->cuda))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int print_devs(const struct vg_vec *devs)
{
	const struct vg_probe_dev *d = devs->data;
	enum vg_out_mode mode = vg_out_effective();
	bool human = mode == VG_OUT_TABLE;
	struct vg_table t;
	size_t i;
	int ret = 0;

	if (mode == VG_OUT_JSON)
		return vg_json_print_array(devs->data, devs->n, devs->elem,
					   dev_json, NULL);
	vg_table_init(&t);
	vg_table_col(&t, "PCI", false);
	vg_table_col(&t, "ID", false);
	vg_table_col(&t, "DRIVER", false);
	vg_table_col(&t, "NAME", false);
	vg_table_col(&t, "MEMORY", true);
	vg_table_col(&t, "SMS", true);
	vg_table_col(&t, "UUID", false);
	vg_table_col(&t, "SOURCE", false);
	for (i = 0; i < devs->n && !ret; i++) {
		char ids[16] = "-", mem[32] = "-", sms[16] = "-", uuid[VG_UUID_STR_MAX] = "-";
		char name[VGPU_NAME_MAX];
		const char *cells[8];
		size_t k;

		if (d[i].has_ids)
			snprintf(ids, sizeof(ids), "%04x:%04x", d[i].vendor, d[i].device);
		if (d[i].cuda) {
			if (human)
				vg_fmt_size(d[i].memory, mem, sizeof(mem));
			else
				snprintf(mem, sizeof(mem), "%llu",
					 (unsigned long long)d[i].memory);
			snprintf(sms, sizeof(sms), "%u", d[i].sms);
		}
		if (d[i].has_uuid)
			vg_uuid_format(d[i].uuid, true, uuid);
		/* Names go in one cell: no tabs. */
		snprintf(name, sizeof(name), "%s", d[i].name[0] ? d[i].name : "-");
		for (k = 0; name[k]; k++)
			if (name[k] == '\t' || name[k] == '\n')
				name[k] = ' ';
		cells[0] = d[i].pci;
		cells[1] = ids;
		cells[2] = d[i].driver[0] ? d[i].driver : "-";
		cells[3] = name;
		cells[4] = mem;
		cells[5] = sms;
		cells[6] = uuid;
		cells[7] = d[i].drm && d[i].cuda ? "drm,cuda" :
			   d[i].cuda ? "cuda" : "drm";
		ret = vg_table_add(&t, cells);
	}
	if (!ret)
		vg_table_print(&t, human);
	vg_table_free(&t);
	return ret;
}

static int cmp_pci(const void *a, const void *b)
{
	return strcmp(((const struct vg_probe_dev *)a)->pci,
		      ((const struct vg_probe_dev *)b)->pci);
}

int vg_cmd_gpu_probe(int argc, char **argv)
{
	struct vg_cuda_status st;
	struct vg_probe_dev *d;
	struct vg_vec devs;
	struct vg_err e;
	char cuda[160];
	int ret, ndrm;
	size_t i;

	ret = vg_parse_exit(vg_parse_args(argc, argv, "gpu probe", NULL, 0, 0,
					  NULL, &e), "gpu", vg_gpu_help, &e);
	if (ret >= 0)
		return ret;

	vg_vec_init(&devs, sizeof(struct vg_probe_dev));
	ret = vg_probe_cuda(&devs, &st);
	ndrm = ret ? ret : vg_probe_drm(&devs);
	if (ret < 0 || ndrm < 0) {
		vg_vec_free(&devs);
		return vg_fail("probe GPUs", ENOMEM);
	}
	d = devs.data;
	for (i = 0; i < devs.n; i++) {
		pci_driver(d[i].pci, d[i].driver, sizeof(d[i].driver));
		if (!d[i].has_ids)
			pci_ids(&d[i]);
	}
	if (devs.n > 1)
		qsort(devs.data, devs.n, devs.elem, cmp_pci);

	if (!devs.n) {
		if (!st.present)
			snprintf(cuda, sizeof(cuda), "not present");
		else if (st.ndev < 0)
			snprintf(cuda, sizeof(cuda), "%s", st.why);
		else
			snprintf(cuda, sizeof(cuda), "%d devices", st.ndev);
		fprintf(stderr, "no GPUs found (libdrm: %d devices, CUDA driver: %s)\n",
			ndrm, cuda);
	}
	ret = VG_EXIT_OK;
	if ((devs.n || vg_out_effective() == VG_OUT_JSON) && print_devs(&devs))
		ret = vg_fail("probe GPUs", ENOMEM);
	vg_vec_free(&devs);
	return ret;
}
