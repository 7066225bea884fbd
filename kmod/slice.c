// SPDX-License-Identifier: GPL-2.0-only
/*
 * Slices.
 *
 * A slice is one object whichever way it was made: through the mdev
 * "create" file (then mdev is set and the mdev core owns its removal) or
 * through VGPU_CMD_SLICE_NEW.  Each has a device of class "vgpu" named by its
 * UUID with a character device node /dev/vgpu/<uuid>, a child of its mdev
 * or of its GPU.  The writable attributes are also attached to the mdev
 * device, so that mdevctl "attrs" find them in /sys/bus/mdev/devices/<uuid>.
 *
 * Admission control: the quotas and weights of a GPU's slices never add up
 * to more than the GPU's memory and VGPU_WEIGHT_MAX.  Reservations change
 * only under vgpu_config_lock, together with the slice table.
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <net/netlink.h>

#include "arbiter.h"
#include "chardev.h"
#include "compat.h"
#include "mdev.h"
#include "netlink.h"
#include "slice.h"

static DEFINE_XARRAY_ALLOC(vgpu_slices);
static u32 vgpu_slice_next_serial;

struct vgpu_slice *vgpu_slice_find(const uuid_t *uuid)
{
	struct vgpu_slice *slice;
	unsigned long serial;

	lockdep_assert_held(&vgpu_config_lock);
	xa_for_each(&vgpu_slices, serial, slice)
		if (uuid_equal(&slice->uuid, uuid))
			return slice;
	return NULL;
}

struct vgpu_slice *vgpu_slice_next(unsigned long *serial)
{
	struct vgpu_slice *slice;

	lockdep_assert_held(&vgpu_config_lock);
	xa_for_each_start(&vgpu_slices, *serial, slice, *serial)
		return slice;
	return NULL;
}

static bool vgpu_tenant_valid(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

int vgpu_slice_check_params(const struct vgpu_slice_params *p,
			    struct netlink_ext_ack *extack)
{
	if ((p->set & VGPU_SP_MEM_QUOTA) &&
	    (p->mem_quota < VGPU_MEM_MIN || p->mem_quota > VGPU_GPU_MEM_MAX)) {
		NL_SET_ERR_MSG_MOD(extack, "memory quota must be at least 1 MiB");
		return -ERANGE;
	}
	if ((p->set & VGPU_SP_WEIGHT) &&
	    (!p->weight || p->weight > VGPU_WEIGHT_MAX)) {
		NL_SET_ERR_MSG_MOD(extack, "weight must be 1 to 1000");
		return -ERANGE;
	}
	if ((p->set & VGPU_SP_CAP) && p->cap > VGPU_WEIGHT_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "cap must be 0 (none) to 1000");
		return -ERANGE;
	}
	if ((p->set & VGPU_SP_TIMESLICE) && p->timeslice_us &&
	    (p->timeslice_us < VGPU_TIMESLICE_MIN_US ||
	     p->timeslice_us > VGPU_TIMESLICE_MAX_US)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "time slice must be 0 (the GPU's) or 1000 to 100000 us");
		return -ERANGE;
	}
	if ((p->set & VGPU_SP_PRIORITY) && p->priority > VGPU_PRIORITY_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "priority must be 0 to 7");
		return -ERANGE;
	}
	if (p->set & VGPU_SP_TENANT) {
		if (strnlen(p->tenant, sizeof(p->tenant)) >= sizeof(p->tenant)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "tenant label is longer than 63 bytes");
			return -EINVAL;
		}
		if (!vgpu_tenant_valid(p->tenant)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "tenant label must be printable ASCII");
			return -EINVAL;
		}
	}
	if ((p->set & VGPU_SP_OWNER) &&
	    (!uid_valid(p->uid) || !gid_valid(p->gid) || p->mode & ~0777)) {
		NL_SET_ERR_MSG_MOD(extack,
				   "owner must be a valid uid and gid, mode at most 0777");
		return -EINVAL;
	}
	return 0;
}

/*
 * Check the slice's new parameters against its GPU and reserve the
 * difference.  Nothing changes on error.
 */
static int vgpu_slice_admit(struct vgpu_gpu *gpu, u64 old_quota, u32 old_weight,
			    u64 quota, u32 weight, u32 cap,
			    struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&vgpu_config_lock);
	if (cap && cap < weight) {
		NL_SET_ERR_MSG_MOD(extack, "cap is below the slice's weight");
		return -EINVAL;
	}
	if (quota > old_quota &&
	    quota - old_quota > gpu->memory - gpu->mem_reserved) {
		NL_SET_ERR_MSG_MOD(extack,
				   "not enough unreserved memory left on the GPU");
		return -ENOSPC;
	}
	if (weight > old_weight &&
	    weight - old_weight > VGPU_WEIGHT_MAX - gpu->weight_reserved) {
		NL_SET_ERR_MSG_MOD(extack,
				   "not enough unreserved compute (weight) left on the GPU");
		return -ENOSPC;
	}
	gpu->mem_reserved = gpu->mem_reserved - old_quota + quota;
	gpu->weight_reserved = gpu->weight_reserved - old_weight + weight;
	return 0;
}

int vgpu_slice_set(struct vgpu_slice *slice, const struct vgpu_slice_params *p,
		   struct netlink_ext_ack *extack)
{
	struct vgpu_gpu *gpu = slice->gpu;
	u64 quota = slice->mem_quota;
	u32 weight = slice->weight;
	u32 cap = slice->cap;
	int ret;

	lockdep_assert_held(&vgpu_config_lock);
	if (slice->state != VGPU_SLICE_LIVE)
		return -ENODEV;
	ret = vgpu_slice_check_params(p, extack);
	if (ret)
		return ret;
	if (p->set & VGPU_SP_MEM_QUOTA)
		quota = p->mem_quota;
	if (p->set & VGPU_SP_WEIGHT)
		weight = p->weight;
	if (p->set & VGPU_SP_CAP)
		cap = p->cap;

	ret = vgpu_slice_admit(gpu, slice->mem_quota, slice->weight, quota,
			       weight, cap, extack);
	if (ret)
		return ret;
	ret = vgpu_ledger_set_quota(&slice->ledger, quota);
	if (ret) {
		/* Undo the reservation: the ledger holds more than quota. */
		WARN_ON(vgpu_slice_admit(gpu, quota, weight, slice->mem_quota,
					 slice->weight, 0, NULL));
		NL_SET_ERR_MSG_MOD(extack,
				   "quota is below the memory the slice holds now");
		return ret;
	}

	slice->mem_quota = quota;
	slice->weight = weight;
	slice->cap = cap;
	if (p->set & VGPU_SP_TIMESLICE)
		slice->timeslice_us = p->timeslice_us;
	if (p->set & VGPU_SP_PRIORITY)
		slice->priority = p->priority;
	if (p->set & VGPU_SP_TENANT)
		strscpy(slice->tenant, p->tenant, sizeof(slice->tenant));
	vgpu_arbiter_slice_set(gpu->arb, slice->arb_idx, slice->weight,
			       slice->cap, slice->timeslice_us, slice->priority);
	vgpu_nl_notify_slice(slice, VGPU_CMD_SLICE_SET);
	return 0;
}

void vgpu_slice_stats(struct vgpu_slice *slice, struct vgpu_stats *st)
{
	struct vgpu_ledger_snapshot l;
	struct vgpu_arb_stats a;

	vgpu_ledger_read(&slice->ledger, &l);
	vgpu_arbiter_slice_stats(slice->gpu->arb, slice->arb_idx, &a);
	st->mem_used = l.used;
	st->mem_peak = l.peak;
	st->charge_refused = l.refused;
	st->busy_ns = a.busy_ns;
	st->wait_ns = a.wait_ns;
	st->leases = a.leases;
	st->overruns = a.overruns;
	st->overrun_ns = a.overrun_ns;
	st->contexts = a.contexts;
	st->reserved = 0;
}

/* sysfs: the same attributes on the slice device and on its mdev */

static struct vgpu_slice *vgpu_attr_slice(struct device *dev)
{
	return vgpu_is_slice_dev(dev) ? to_vgpu_slice(dev) : vgpu_mdev_slice(dev);
}

#define VGPU_SLICE_SHOW(field, fmt)					\
static ssize_t field##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct vgpu_slice *slice = vgpu_attr_slice(dev);		\
	ssize_t n;							\
									\
	mutex_lock(&vgpu_config_lock);					\
	n = sysfs_emit(buf, fmt "\n", slice->field);			\
	mutex_unlock(&vgpu_config_lock);				\
	return n;							\
}

static ssize_t vgpu_slice_store(struct device *dev, struct device_attribute *attr,
				const struct vgpu_slice_params *p, size_t count)
{
	struct vgpu_slice *slice = vgpu_attr_slice(dev);
	struct netlink_ext_ack extack = {};
	int ret;

	mutex_lock(&vgpu_config_lock);
	ret = vgpu_slice_set(slice, p, &extack);
	mutex_unlock(&vgpu_config_lock);
	if (ret && extack._msg)
		dev_notice_ratelimited(dev, "%s: %s\n", attr->attr.name,
				       extack._msg);
	return ret ? ret : count;
}

#define VGPU_SLICE_STORE(field, bit, kstrto)				\
static ssize_t field##_store(struct device *dev,			\
			     struct device_attribute *attr,		\
			     const char *buf, size_t count)		\
{									\
	struct vgpu_slice_params p = { .set = bit };			\
	int ret = kstrto(buf, 0, &p.field);				\
									\
	if (ret) {							\
		dev_notice_ratelimited(dev, "%s: not a number\n",	\
				       attr->attr.name);		\
		return ret;						\
	}								\
	return vgpu_slice_store(dev, attr, &p, count);			\
}

VGPU_SLICE_SHOW(mem_quota, "%llu")
VGPU_SLICE_STORE(mem_quota, VGPU_SP_MEM_QUOTA, kstrtou64)
static DEVICE_ATTR_RW(mem_quota);
VGPU_SLICE_SHOW(weight, "%u")
VGPU_SLICE_STORE(weight, VGPU_SP_WEIGHT, kstrtou32)
static DEVICE_ATTR_RW(weight);
VGPU_SLICE_SHOW(cap, "%u")
VGPU_SLICE_STORE(cap, VGPU_SP_CAP, kstrtou32)
static DEVICE_ATTR_RW(cap);
VGPU_SLICE_SHOW(timeslice_us, "%u")
VGPU_SLICE_STORE(timeslice_us, VGPU_SP_TIMESLICE, kstrtou32)
static DEVICE_ATTR_RW(timeslice_us);
VGPU_SLICE_SHOW(priority, "%u")
VGPU_SLICE_STORE(priority, VGPU_SP_PRIORITY, kstrtou32)
static DEVICE_ATTR_RW(priority);
VGPU_SLICE_SHOW(tenant, "%s")

static ssize_t tenant_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct vgpu_slice_params p = { .set = VGPU_SP_TENANT };
	size_t len = count;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len >= sizeof(p.tenant)) {
		/* As netlink's string policy answers an overlong label. */
		dev_notice_ratelimited(dev, "tenant: longer than 63 bytes\n");
		return -EINVAL;
	}
	memcpy(p.tenant, buf, len);
	if (strlen(p.tenant) != len) {
		dev_notice_ratelimited(dev, "tenant: contains a NUL byte\n");
		return -EINVAL;
	}
	return vgpu_slice_store(dev, attr, &p, count);
}
static DEVICE_ATTR_RW(tenant);

static ssize_t gpu_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%u\n", vgpu_attr_slice(dev)->gpu->id);
}
static DEVICE_ATTR_RO(gpu);

static ssize_t type_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", vgpu_attr_slice(dev)->type->name);
}
static DEVICE_ATTR_RO(type);

static ssize_t mdev_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%d\n", !!vgpu_attr_slice(dev)->mdev);
}
static DEVICE_ATTR_RO(mdev);

static ssize_t mem_used_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct vgpu_ledger_snapshot s;

	vgpu_ledger_read(&vgpu_attr_slice(dev)->ledger, &s);
	return sysfs_emit(buf, "%llu\n", s.used);
}
static DEVICE_ATTR_RO(mem_used);

static ssize_t mem_peak_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct vgpu_ledger_snapshot s;

	vgpu_ledger_read(&vgpu_attr_slice(dev)->ledger, &s);
	return sysfs_emit(buf, "%llu\n", s.peak);
}
static DEVICE_ATTR_RO(mem_peak);

#define VGPU_SLICE_STAT(field, fmt)					\
static ssize_t field##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct vgpu_stats st;						\
									\
	vgpu_slice_stats(vgpu_attr_slice(dev), &st);			\
	return sysfs_emit(buf, fmt "\n", st.field);			\
}

VGPU_SLICE_STAT(charge_refused, "%llu")
static DEVICE_ATTR_RO(charge_refused);
VGPU_SLICE_STAT(busy_ns, "%llu")
static DEVICE_ATTR_RO(busy_ns);
VGPU_SLICE_STAT(wait_ns, "%llu")
static DEVICE_ATTR_RO(wait_ns);
VGPU_SLICE_STAT(leases, "%llu")
static DEVICE_ATTR_RO(leases);
VGPU_SLICE_STAT(overruns, "%llu")
static DEVICE_ATTR_RO(overruns);
VGPU_SLICE_STAT(overrun_ns, "%llu")
static DEVICE_ATTR_RO(overrun_ns);
VGPU_SLICE_STAT(contexts, "%u")
static DEVICE_ATTR_RO(contexts);

static struct attribute *vgpu_slice_stat_attrs[] = {
	&dev_attr_charge_refused.attr,
	&dev_attr_busy_ns.attr,
	&dev_attr_wait_ns.attr,
	&dev_attr_leases.attr,
	&dev_attr_overruns.attr,
	&dev_attr_overrun_ns.attr,
	&dev_attr_contexts.attr,
	NULL,
};

static const struct attribute_group vgpu_slice_stat_group = {
	.name = "stats",
	.attrs = vgpu_slice_stat_attrs,
};

static struct attribute *vgpu_slice_attrs[] = {
	&dev_attr_gpu.attr,
	&dev_attr_type.attr,
	&dev_attr_mem_quota.attr,
	&dev_attr_weight.attr,
	&dev_attr_cap.attr,
	&dev_attr_timeslice_us.attr,
	&dev_attr_priority.attr,
	&dev_attr_tenant.attr,
	&dev_attr_mdev.attr,
	&dev_attr_mem_used.attr,
	&dev_attr_mem_peak.attr,
	NULL,
};

static const struct attribute_group vgpu_slice_group = {
	.attrs = vgpu_slice_attrs,
};

static const struct attribute_group *vgpu_slice_groups[] = {
	&vgpu_slice_group,
	&vgpu_slice_stat_group,
	NULL,
};

const struct attribute_group *vgpu_slice_mdev_groups[] = {
	&vgpu_slice_group,
	&vgpu_slice_stat_group,
	NULL,
};

static char *vgpu_slice_devnode(VGPU_DEVNODE_CONST struct device *dev,
				umode_t *mode, kuid_t *uid, kgid_t *gid)
{
	const struct vgpu_slice *slice =
		container_of(dev, struct vgpu_slice, dev);

	if (mode)
		*mode = slice->mode;
	if (uid)
		*uid = slice->uid;
	if (gid)
		*gid = slice->gid;
	return kasprintf(GFP_KERNEL, "vgpu/%s", dev_name(dev));
}

static void vgpu_slice_release(struct device *dev)
{
	struct vgpu_slice *slice = to_vgpu_slice(dev);

	if (dev->devt)
		vgpu_chardev_put_minor(MINOR(dev->devt));
	if (slice->gpu)
		put_device(&slice->gpu->dev);
	mutex_destroy(&slice->files_lock);
	kfree(slice);
}

const struct device_type vgpu_slice_type = {
	.name = "vgpu_slice",
	.groups = vgpu_slice_groups,
	.devnode = vgpu_slice_devnode,
	.release = vgpu_slice_release,
};

int vgpu_slice_create(struct vgpu_type *type, const struct vgpu_slice_params *p,
		      struct mdev_device *mdev, struct vgpu_slice **out,
		      struct netlink_ext_ack *extack)
{
	struct vgpu_gpu *gpu = type->gpu;
	struct vgpu_slice *slice;
	int minor, ret;
	u32 serial;

	ret = vgpu_slice_check_params(p, extack);
	if (ret)
		return ret;
	slice = kzalloc(sizeof(*slice), GFP_KERNEL);
	if (!slice)
		return -ENOMEM;
	slice->type = type;
	slice->mdev = mdev;
	slice->mem_quota = p->set & VGPU_SP_MEM_QUOTA ? p->mem_quota : type->memory;
	slice->weight = p->set & VGPU_SP_WEIGHT ? p->weight : type->weight;
	slice->cap = p->cap;
	slice->timeslice_us = p->timeslice_us;
	slice->priority = p->priority;
	strscpy(slice->tenant, p->tenant, sizeof(slice->tenant));
	if (p->set & VGPU_SP_OWNER) {
		slice->uid = p->uid;
		slice->gid = p->gid;
		slice->mode = p->mode;
	} else {
		slice->uid = GLOBAL_ROOT_UID;
		slice->gid = GLOBAL_ROOT_GID;
		slice->mode = 0600;
	}
	if (mdev)
		vgpu_mdev_uuid(mdev, &slice->uuid);
	else if (p->set & VGPU_SP_UUID)
		uuid_copy(&slice->uuid, &p->uuid);
	else
		uuid_gen(&slice->uuid);
	vgpu_ledger_init(&slice->ledger, slice->mem_quota);
	slice->arb_idx = -1;
	mutex_init(&slice->files_lock);
	INIT_LIST_HEAD(&slice->files);
	ratelimit_state_init(&slice->event_rs, HZ, 10);
	ratelimit_set_flags(&slice->event_rs, RATELIMIT_MSG_ON_RELEASE);

	device_initialize(&slice->dev);
	slice->dev.class = vgpu_class;
	slice->dev.type = &vgpu_slice_type;
	/*
	 * A slice made over netlink is a virtual device: as a child of its GPU
	 * it would be named like the mdev an mdev "create" with its UUID
	 * makes there before our probe can refuse the duplicate.
	 */
	slice->dev.parent = mdev ? mdev_dev(mdev) : NULL;
	/* From here on put_device() frees the slice. */
	minor = vgpu_chardev_get_minor();
	if (minor < 0) {
		ret = minor;
		goto err_put;
	}
	slice->dev.devt = vgpu_chardev_devt(minor);
	ret = dev_set_name(&slice->dev, "%pUb", &slice->uuid);
	if (ret)
		goto err_put;
	vgpu_chardev_init_cdev(slice);

	mutex_lock(&vgpu_config_lock);
	if (gpu->state != VGPU_GPU_LIVE) {
		NL_SET_ERR_MSG_MOD(extack, "the GPU is being removed");
		ret = -ENODEV;
		goto err_unlock;
	}
	if (vgpu_slice_find(&slice->uuid)) {
		NL_SET_ERR_MSG_MOD(extack, "a slice with this UUID exists");
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = vgpu_slice_admit(gpu, 0, 0, slice->mem_quota, slice->weight,
			       slice->cap, extack);
	if (ret)
		goto err_unlock;
	/* Admission bounds the slices of a GPU by the arbiter's capacity. */
	slice->arb_idx = vgpu_arbiter_slice_add(gpu->arb, slice->weight,
						slice->cap, slice->timeslice_us,
						slice->priority);
	if (WARN_ON(slice->arb_idx < 0)) {
		ret = slice->arb_idx;
		goto err_unreserve;
	}
	ret = xa_alloc_cyclic(&vgpu_slices, &serial, slice, xa_limit_31b,
			      &vgpu_slice_next_serial, GFP_KERNEL);
	if (ret < 0)
		goto err_arb;
	slice->serial = serial;
	slice->gpu = to_vgpu_gpu(get_device(&gpu->dev));
	gpu->nr_slices++;
	ret = cdev_device_add(&slice->cdev, &slice->dev);
	if (ret)
		goto err_erase;
	slice->state = VGPU_SLICE_LIVE;
	vgpu_nl_notify_slice(slice, VGPU_CMD_SLICE_NEW);
	if (out)
		*out = to_vgpu_slice(get_device(&slice->dev));
	mutex_unlock(&vgpu_config_lock);
	return 0;

err_erase:
	gpu->nr_slices--;
	xa_erase(&vgpu_slices, serial);
err_arb:
	vgpu_arbiter_slice_del(gpu->arb, slice->arb_idx);
err_unreserve:
	WARN_ON(vgpu_slice_admit(gpu, slice->mem_quota, slice->weight, 0, 0, 0,
				 NULL));
err_unlock:
	mutex_unlock(&vgpu_config_lock);
err_put:
	put_device(&slice->dev);
	return ret;
}

int vgpu_slice_destroy(struct vgpu_slice *slice, bool force,
		       struct netlink_ext_ack *extack)
{
	struct vgpu_gpu *gpu = slice->gpu;

	mutex_lock(&vgpu_config_lock);
	if (slice->state != VGPU_SLICE_LIVE) {
		mutex_unlock(&vgpu_config_lock);
		NL_SET_ERR_MSG_MOD(extack, "no such slice");
		return -ENOENT;
	}
	if (slice->nr_open && !force) {
		mutex_unlock(&vgpu_config_lock);
		NL_SET_ERR_MSG_MOD(extack, "the slice's device is open");
		return -EBUSY;
	}
	slice->state = VGPU_SLICE_DEAD;
	xa_erase(&vgpu_slices, slice->serial);
	WARN_ON(vgpu_slice_admit(gpu, slice->mem_quota, slice->weight, 0, 0, 0,
				 NULL));
	gpu->nr_slices--;
	vgpu_nl_notify_slice(slice, VGPU_CMD_SLICE_DEL);
	mutex_unlock(&vgpu_config_lock);

	cdev_device_del(&slice->cdev, &slice->dev);
	vgpu_chardev_revoke(slice);
	vgpu_arbiter_slice_del(gpu->arb, slice->arb_idx);
	put_device(&slice->dev);	/* the table's */
	return 0;
}

/* Remove every slice of a GPU that is DYING (no new ones can appear). */
void vgpu_slice_destroy_all(struct vgpu_gpu *gpu)
{
	struct vgpu_slice *slice;
	unsigned long serial;

	for (;;) {
		struct vgpu_slice *victim = NULL;

		mutex_lock(&vgpu_config_lock);
		xa_for_each(&vgpu_slices, serial, slice) {
			if (slice->gpu == gpu) {
				victim = to_vgpu_slice(get_device(&slice->dev));
				break;
			}
		}
		mutex_unlock(&vgpu_config_lock);
		if (!victim)
			break;
		WARN_ON(vgpu_slice_destroy(victim, true, NULL));
		put_device(&victim->dev);
	}
}

void vgpu_slice_exit(void)
{
	WARN_ON(!xa_empty(&vgpu_slices));
	xa_destroy(&vgpu_slices);
}
