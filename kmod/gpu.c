// SPDX-License-Identifier: GPL-2.0-only
/*
 * GPU registry.
 *
 * A registered GPU is a device of class "vgpu" named "vgpu<id>", a child of
 * its PCI device when it has one.  It offers VGPU_NR_TYPES slice types and,
 * when the kernel has VFIO_MDEV, is an mdev parent so that mdevctl and
 * libvirt can create slices through the standard sysfs files.
 *
 * Lifetime: the xarray holds the registry's reference (device_add); slices
 * and in-flight operations hold their own with get_device().  Removal marks
 * the GPU DYING under vgpu_config_lock, so no slice can be added, then tears
 * down slices and the mdev parent without the lock, then unregisters.
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/xarray.h>
#include <net/netlink.h>

#include "arbiter.h"
#include "compat.h"
#include "gpu.h"
#include "mdev.h"
#include "netlink.h"
#include "slice.h"

/* See gpu.h: configuration and lifetime of GPUs, types and slices. */
DEFINE_MUTEX(vgpu_config_lock);
struct class *vgpu_class;

static DEFINE_XARRAY_ALLOC(vgpu_gpus);
static bool vgpu_gpus_closed;	/* module unloading: no new GPUs */

static const unsigned int vgpu_type_eighths[VGPU_NR_TYPES] = { 1, 2, 4, 8 };

static const char * const vgpu_policy_names[] = {
	[VGPU_POLICY_BEST_EFFORT] = "best_effort",
	[VGPU_POLICY_EQUAL_SHARE] = "equal_share",
	[VGPU_POLICY_FIXED_SHARE] = "fixed_share",
};

const char *vgpu_policy_name(u32 policy)
{
	if (policy < ARRAY_SIZE(vgpu_policy_names) && vgpu_policy_names[policy])
		return vgpu_policy_names[policy];
	return "unknown";
}

struct vgpu_gpu *vgpu_gpu_find(u32 id)
{
	struct vgpu_gpu *gpu;

	lockdep_assert_held(&vgpu_config_lock);
	gpu = xa_load(&vgpu_gpus, id);
	return gpu && gpu->state == VGPU_GPU_LIVE ? gpu : NULL;
}

/* The live GPU with the lowest id >= *id; *id is set to it. */
struct vgpu_gpu *vgpu_gpu_next(unsigned long *id)
{
	struct vgpu_gpu *gpu;

	lockdep_assert_held(&vgpu_config_lock);
	xa_for_each_start(&vgpu_gpus, *id, gpu, *id) {
		if (gpu->state == VGPU_GPU_LIVE)
			return gpu;
	}
	return NULL;
}

struct vgpu_type *vgpu_gpu_type_find(struct vgpu_gpu *gpu, const char *name)
{
	unsigned int i;

	for (i = 0; i < VGPU_NR_TYPES; i++)
		if (!strcmp(gpu->types[i].name, name))
			return &gpu->types[i];
	return NULL;
}

unsigned int vgpu_type_available(const struct vgpu_type *type)
{
	const struct vgpu_gpu *gpu = type->gpu;
	u64 by_mem, by_weight;

	lockdep_assert_held(&vgpu_config_lock);
	if (gpu->state != VGPU_GPU_LIVE)
		return 0;
	by_mem = div64_u64(gpu->memory - gpu->mem_reserved, type->memory);
	by_weight = (VGPU_WEIGHT_MAX - gpu->weight_reserved) / type->weight;
	return min(by_mem, by_weight);
}

int vgpu_type_describe(const struct vgpu_type *type, char *buf, size_t len)
{
	return scnprintf(buf, len,
			 "memory=%llu\nweight=%u\nfraction=%u/8\nsms=%u\n",
			 type->memory, type->weight, type->eighths,
			 type->gpu->sms * type->eighths / 8);
}

/*
 * Types are named like MIG profiles: "<eighths>g.<memory>gb", the memory
 * rounded to the nearest GiB ("<memory>mb" below 1 GiB), so that an 80 GB
 * H100 offers 1g.10gb, 2g.20gb, 4g.40gb and 8g.80gb.
 */
static void vgpu_gpu_setup_types(struct vgpu_gpu *gpu)
{
	unsigned int i;

	for (i = 0; i < VGPU_NR_TYPES; i++) {
		struct vgpu_type *t = &gpu->types[i];
		unsigned int e = vgpu_type_eighths[i];

		t->gpu = gpu;
		t->eighths = e;
		t->memory = ALIGN_DOWN(div_u64(gpu->memory, 8) * e, SZ_1M);
		t->weight = VGPU_WEIGHT_MAX / 8 * e;
		if (t->memory >= SZ_1G)
			snprintf(t->name, sizeof(t->name), "%ug.%llugb", e,
				 DIV_ROUND_CLOSEST_ULL(t->memory, SZ_1G));
		else
			snprintf(t->name, sizeof(t->name), "%ug.%llumb", e,
				 t->memory >> 20);
	}
}

/* sysfs */

#define VGPU_GPU_SHOW(field, fmt)					\
static ssize_t field##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct vgpu_gpu *gpu = to_vgpu_gpu(dev);			\
	ssize_t n;							\
									\
	mutex_lock(&vgpu_config_lock);					\
	n = sysfs_emit(buf, fmt "\n", gpu->field);			\
	mutex_unlock(&vgpu_config_lock);				\
	return n;							\
}

VGPU_GPU_SHOW(id, "%u")
static DEVICE_ATTR_RO(id);
VGPU_GPU_SHOW(name, "%s")
static DEVICE_ATTR_RO(name);
VGPU_GPU_SHOW(memory, "%llu")
static DEVICE_ATTR_RO(memory);
VGPU_GPU_SHOW(sms, "%u")
static DEVICE_ATTR_RO(sms);
VGPU_GPU_SHOW(nr_slices, "%u")
static DEVICE_ATTR_RO(nr_slices);

static ssize_t pci_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct vgpu_gpu *gpu = to_vgpu_gpu(dev);

	return sysfs_emit(buf, "%s\n", gpu->pdev ? gpu->pci_addr : "sim");
}
static DEVICE_ATTR_RO(pci);

static ssize_t uuid_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "GPU-%pUb\n", &to_vgpu_gpu(dev)->uuid);
}
static DEVICE_ATTR_RO(uuid);

static ssize_t mem_free_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct vgpu_gpu *gpu = to_vgpu_gpu(dev);
	ssize_t n;

	mutex_lock(&vgpu_config_lock);
	n = sysfs_emit(buf, "%llu\n", gpu->memory - gpu->mem_reserved);
	mutex_unlock(&vgpu_config_lock);
	return n;
}
static DEVICE_ATTR_RO(mem_free);

static ssize_t weight_free_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct vgpu_gpu *gpu = to_vgpu_gpu(dev);
	ssize_t n;

	mutex_lock(&vgpu_config_lock);
	n = sysfs_emit(buf, "%u\n", VGPU_WEIGHT_MAX - gpu->weight_reserved);
	mutex_unlock(&vgpu_config_lock);
	return n;
}
static DEVICE_ATTR_RO(weight_free);

static ssize_t policy_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vgpu_gpu *gpu = to_vgpu_gpu(dev);
	ssize_t n;

	mutex_lock(&vgpu_config_lock);
	n = sysfs_emit(buf, "%s\n", vgpu_policy_name(gpu->policy));
	mutex_unlock(&vgpu_config_lock);
	return n;
}

static ssize_t vgpu_gpu_store_settings(struct device *dev,
				       const struct vgpu_gpu_settings *s,
				       const char *what, size_t count)
{
	struct netlink_ext_ack extack = {};
	struct vgpu_gpu *gpu = to_vgpu_gpu(dev);
	int ret;

	mutex_lock(&vgpu_config_lock);
	ret = gpu->state == VGPU_GPU_LIVE ? vgpu_gpu_set(gpu, s, &extack)
					  : -ENODEV;
	mutex_unlock(&vgpu_config_lock);
	if (ret && extack._msg)
		dev_notice_ratelimited(dev, "%s: %s\n", what, extack._msg);
	return ret ? ret : count;
}

static ssize_t policy_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct vgpu_gpu_settings s = {};
	int i;

	/* Index 0 (UNSPEC) has no name: sysfs_match_string() stops there. */
	for (i = VGPU_POLICY_BEST_EFFORT; i <= VGPU_POLICY_MAX; i++)
		if (sysfs_streq(buf, vgpu_policy_names[i]))
			break;
	if (i > VGPU_POLICY_MAX) {
		dev_notice_ratelimited(dev, "%s: expected best_effort, equal_share or fixed_share\n",
				       attr->attr.name);
		return -EINVAL;
	}
	s.policy = i;
	return vgpu_gpu_store_settings(dev, &s, attr->attr.name, count);
}
static DEVICE_ATTR_RW(policy);

static ssize_t vgpu_store_u32(struct device *dev, const char *what,
			      const char *buf, u32 min, u32 max, u32 *val)
{
	int ret = kstrtou32(buf, 0, val);

	if (!ret && (*val < min || *val > max))
		ret = -ERANGE;
	if (ret)
		dev_notice_ratelimited(dev, "%s: expected an integer from %u to %u\n",
				       what, min, max);
	return ret;
}

VGPU_GPU_SHOW(timeslice_us, "%u")

static ssize_t timeslice_us_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct vgpu_gpu_settings s = {};
	ssize_t ret;

	ret = vgpu_store_u32(dev, attr->attr.name, buf, VGPU_TIMESLICE_MIN_US,
			     VGPU_TIMESLICE_MAX_US, &s.timeslice_us);
	return ret ? ret : vgpu_gpu_store_settings(dev, &s, attr->attr.name,
						   count);
}
static DEVICE_ATTR_RW(timeslice_us);

VGPU_GPU_SHOW(period_us, "%u")

static ssize_t period_us_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct vgpu_gpu_settings s = {};
	ssize_t ret;

	ret = vgpu_store_u32(dev, attr->attr.name, buf, VGPU_PERIOD_MIN_US,
			     VGPU_PERIOD_MAX_US, &s.period_us);
	return ret ? ret : vgpu_gpu_store_settings(dev, &s, attr->attr.name,
						   count);
}
static DEVICE_ATTR_RW(period_us);

static struct attribute *vgpu_gpu_attrs[] = {
	&dev_attr_id.attr,
	&dev_attr_name.attr,
	&dev_attr_pci.attr,
	&dev_attr_uuid.attr,
	&dev_attr_memory.attr,
	&dev_attr_sms.attr,
	&dev_attr_policy.attr,
	&dev_attr_timeslice_us.attr,
	&dev_attr_period_us.attr,
	&dev_attr_mem_free.attr,
	&dev_attr_weight_free.attr,
	&dev_attr_nr_slices.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vgpu_gpu);

static void vgpu_gpu_release(struct device *dev)
{
	struct vgpu_gpu *gpu = to_vgpu_gpu(dev);

	vgpu_arbiter_destroy(gpu->arb);
	pci_dev_put(gpu->pdev);
	kfree(gpu);
}

static const struct device_type vgpu_gpu_type = {
	.name = "vgpu_gpu",
	.groups = vgpu_gpu_groups,
	.release = vgpu_gpu_release,
};

/*
 * "DDDD:BB:DD.F", lower or upper case hex, as in /sys/bus/pci/devices.
 * The device must be a display controller (PCI base class 03: VGA, 3D).
 */
static int vgpu_pci_lookup(const char *addr, struct pci_dev **out,
			   struct netlink_ext_ack *extack)
{
	unsigned int domain, bus, slot, fn;
	struct pci_dev *pdev;
	char tail;

	if (strlen(addr) != 12 || addr[4] != ':' || addr[7] != ':' ||
	    addr[10] != '.' ||
	    sscanf(addr, "%4x:%2x:%2x.%1x%c", &domain, &bus, &slot, &fn,
		   &tail) != 4 || slot > 0x1f || fn > 7) {
		NL_SET_ERR_MSG_MOD(extack,
				   "PCI address must be DDDD:BB:DD.F in hex");
		return -EINVAL;
	}
	pdev = pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(slot, fn));
	if (!pdev) {
		NL_SET_ERR_MSG_MOD(extack, "no PCI device at that address");
		return -ENODEV;
	}
	if ((pdev->class >> 16) != PCI_BASE_CLASS_DISPLAY) {
		pci_dev_put(pdev);
		NL_SET_ERR_MSG_MOD(extack,
				   "PCI device is not a display controller (class 03)");
		return -EINVAL;
	}
	*out = pdev;
	return 0;
}

static int vgpu_gpu_check_unique(const struct vgpu_gpu *new,
				 struct netlink_ext_ack *extack)
{
	struct vgpu_gpu *gpu;
	unsigned long id;

	lockdep_assert_held(&vgpu_config_lock);
	xa_for_each(&vgpu_gpus, id, gpu) {
		if (new->pdev && gpu->pdev == new->pdev) {
			NL_SET_ERR_MSG_MOD(extack,
					   "this PCI device is already registered");
			return -EEXIST;
		}
		if (uuid_equal(&gpu->uuid, &new->uuid)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "a GPU with this UUID is already registered");
			return -EEXIST;
		}
	}
	return 0;
}

static int vgpu_gpu_check_settings(const struct vgpu_gpu_settings *s,
				   struct netlink_ext_ack *extack)
{
	if (s->policy && s->policy > VGPU_POLICY_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "unknown scheduling policy");
		return -EINVAL;
	}
	if (s->timeslice_us && (s->timeslice_us < VGPU_TIMESLICE_MIN_US ||
				s->timeslice_us > VGPU_TIMESLICE_MAX_US)) {
		NL_SET_ERR_MSG_MOD(extack, "time slice must be 1000 to 100000 us");
		return -ERANGE;
	}
	if (s->period_us && (s->period_us < VGPU_PERIOD_MIN_US ||
			     s->period_us > VGPU_PERIOD_MAX_US)) {
		NL_SET_ERR_MSG_MOD(extack, "period must be 10000 to 10000000 us");
		return -ERANGE;
	}
	return 0;
}

int vgpu_gpu_set(struct vgpu_gpu *gpu, const struct vgpu_gpu_settings *s,
		 struct netlink_ext_ack *extack)
{
	int ret;

	lockdep_assert_held(&vgpu_config_lock);
	ret = vgpu_gpu_check_settings(s, extack);
	if (ret)
		return ret;
	if (s->policy)
		gpu->policy = s->policy;
	if (s->timeslice_us)
		gpu->timeslice_us = s->timeslice_us;
	if (s->period_us)
		gpu->period_us = s->period_us;
	vgpu_arbiter_configure(gpu->arb, gpu->policy, gpu->timeslice_us,
			       gpu->period_us);
	vgpu_nl_notify_gpu(gpu, VGPU_CMD_GPU_SET);
	return 0;
}

int vgpu_gpu_add(const struct vgpu_gpu_params *p, struct vgpu_gpu **out,
		 struct netlink_ext_ack *extack)
{
	struct vgpu_gpu_settings s = {
		.policy = p->policy,
		.timeslice_us = p->timeslice_us,
		.period_us = p->period_us,
	};
	struct pci_dev *pdev = NULL;
	struct vgpu_gpu *gpu;
	u32 id;
	int ret;

	if (p->memory < VGPU_GPU_MEM_MIN || p->memory > VGPU_GPU_MEM_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "GPU memory must be 8 MiB to 1 PiB");
		return -ERANGE;
	}
	if (!p->sms || p->sms > VGPU_SMS_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "SM count must be 1 to 65535");
		return -ERANGE;
	}
	ret = vgpu_gpu_check_settings(&s, extack);
	if (ret)
		return ret;
	if (p->pci) {
		ret = vgpu_pci_lookup(p->pci, &pdev, extack);
		if (ret)
			return ret;
	}

	gpu = kzalloc(sizeof(*gpu), GFP_KERNEL);
	if (!gpu) {
		pci_dev_put(pdev);
		return -ENOMEM;
	}
	gpu->pdev = pdev;
	if (pdev)
		strscpy(gpu->pci_addr, pci_name(pdev), sizeof(gpu->pci_addr));
	strscpy(gpu->name, p->name, sizeof(gpu->name));
	if (p->has_uuid)
		uuid_copy(&gpu->uuid, &p->uuid);
	else
		uuid_gen(&gpu->uuid);
	gpu->memory = p->memory;
	gpu->sms = p->sms;
	gpu->policy = p->policy ?: VGPU_POLICY_BEST_EFFORT;
	gpu->timeslice_us = p->timeslice_us ?: VGPU_TIMESLICE_DEFAULT_US;
	gpu->period_us = p->period_us ?: VGPU_PERIOD_DEFAULT_US;
	gpu->state = VGPU_GPU_DYING;	/* invisible until fully set up */
	vgpu_gpu_setup_types(gpu);

	device_initialize(&gpu->dev);
	gpu->dev.class = vgpu_class;
	gpu->dev.type = &vgpu_gpu_type;
	gpu->dev.parent = pdev ? &pdev->dev : NULL;
	/* From here on put_device() frees gpu and drops pdev. */

	gpu->arb = vgpu_arbiter_create(gpu->policy, gpu->timeslice_us,
				       gpu->period_us);
	if (!gpu->arb) {
		ret = -ENOMEM;
		goto err_put;
	}

	mutex_lock(&vgpu_config_lock);
	if (vgpu_gpus_closed) {
		ret = -ENODEV;
		goto err_unlock;
	}
	ret = vgpu_gpu_check_unique(gpu, extack);
	if (ret)
		goto err_unlock;
	ret = xa_alloc(&vgpu_gpus, &id, gpu, XA_LIMIT(0, VGPU_MAX_GPUS - 1),
		       GFP_KERNEL);
	if (ret) {
		if (ret == -EBUSY) {
			NL_SET_ERR_MSG_MOD(extack, "too many GPUs registered");
			ret = -ENOSPC;
		}
		goto err_unlock;
	}
	gpu->id = id;
	ret = dev_set_name(&gpu->dev, "vgpu%u", id);
	if (!ret)
		ret = device_add(&gpu->dev);
	if (ret)
		goto err_erase;
	mutex_unlock(&vgpu_config_lock);

	/* Outside the lock: its undo waits for sysfs readers that take it. */
	ret = vgpu_mdev_register(gpu);
	if (ret) {
		NL_SET_ERR_MSG_MOD(extack, "could not register the mdev parent");
		mutex_lock(&vgpu_config_lock);
		xa_erase(&vgpu_gpus, id);
		mutex_unlock(&vgpu_config_lock);
		device_del(&gpu->dev);
		goto err_put;
	}

	mutex_lock(&vgpu_config_lock);
	gpu->state = VGPU_GPU_LIVE;
	vgpu_nl_notify_gpu(gpu, VGPU_CMD_GPU_NEW);
	if (out)
		*out = to_vgpu_gpu(get_device(&gpu->dev));
	mutex_unlock(&vgpu_config_lock);
	dev_info(&gpu->dev, "registered %s GPU \"%s\", %llu bytes, %u SMs\n",
		 pdev ? pci_name(pdev) : "simulated", gpu->name, gpu->memory,
		 gpu->sms);
	return 0;

err_erase:
	xa_erase(&vgpu_gpus, id);
err_unlock:
	mutex_unlock(&vgpu_config_lock);
err_put:
	put_device(&gpu->dev);
	return ret;
}

/* Tear down a GPU already marked DYING; consumes the caller's reference. */
static void vgpu_gpu_teardown(struct vgpu_gpu *gpu)
{
	vgpu_mdev_unregister(gpu);	/* removes slices created through mdev */
	vgpu_slice_destroy_all(gpu);

	mutex_lock(&vgpu_config_lock);
	WARN_ON(gpu->nr_slices);
	xa_erase(&vgpu_gpus, gpu->id);
	vgpu_nl_notify_gpu(gpu, VGPU_CMD_GPU_DEL);
	mutex_unlock(&vgpu_config_lock);

	dev_info(&gpu->dev, "unregistered\n");
	device_del(&gpu->dev);
	put_device(&gpu->dev);	/* the registry's */
	put_device(&gpu->dev);	/* the caller's */
}

int vgpu_gpu_del(u32 id, bool force, struct netlink_ext_ack *extack)
{
	struct vgpu_gpu *gpu;

	mutex_lock(&vgpu_config_lock);
	gpu = vgpu_gpu_find(id);
	if (!gpu) {
		mutex_unlock(&vgpu_config_lock);
		NL_SET_ERR_MSG_MOD(extack, "no such GPU");
		return -ENOENT;
	}
	if (gpu->nr_slices && !force) {
		mutex_unlock(&vgpu_config_lock);
		NL_SET_ERR_MSG_MOD(extack,
				   "GPU has slices: remove them first, or force");
		return -EBUSY;
	}
	gpu->state = VGPU_GPU_DYING;
	get_device(&gpu->dev);
	mutex_unlock(&vgpu_config_lock);

	vgpu_gpu_teardown(gpu);
	return 0;
}

void vgpu_gpu_del_all(void)
{
	struct vgpu_gpu *gpu;
	unsigned long id;

	for (;;) {
		mutex_lock(&vgpu_config_lock);
		vgpu_gpus_closed = true;
		id = 0;
		gpu = vgpu_gpu_next(&id);
		if (gpu) {
			gpu->state = VGPU_GPU_DYING;
			get_device(&gpu->dev);
		}
		mutex_unlock(&vgpu_config_lock);
		if (!gpu)
			break;
		vgpu_gpu_teardown(gpu);
	}
}

int vgpu_gpu_init(void)
{
	vgpu_class = vgpu_class_create("vgpu");
	return PTR_ERR_OR_ZERO(vgpu_class);
}

void vgpu_gpu_exit(void)
{
	WARN_ON(!xa_empty(&vgpu_gpus));
	xa_destroy(&vgpu_gpus);
	class_destroy(vgpu_class);
}
