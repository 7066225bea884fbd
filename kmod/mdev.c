// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mediated devices.
 *
 * Each registered GPU is an mdev parent offering its slice types; writing a
 * UUID to a type's "create" file probes an mdev here, which becomes a slice
 * (the same object VGPU_CMD_SLICE_NEW makes) and a vfio device, so that
 * mdevctl, libvirt and QEMU see a standard vfio-pci mdev.
 *
 * The vfio device is, for now, a PCI function with a read-only emulated
 * configuration header (class 3D controller, the parent's vendor and device
 * ids when it has a PCI device), no BARs and no interrupts: enough for the
 * tools to bind and open it.  Lifetime: the mdev holds a reference on its
 * slice from probe to remove.
 */
#include <linux/kernel.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <net/netlink.h>

#include "compat.h"
#include "gpu.h"
#include "mdev.h"
#include "slice.h"

#define VGPU_CONFIG_SIZE	PCI_CFG_SPACE_SIZE
#define VGPU_REGION_SHIFT	40
#define VGPU_REGION_INDEX(off)	((off) >> VGPU_REGION_SHIFT)
#define VGPU_REGION_OFFSET(off)	((off) & ((1ULL << VGPU_REGION_SHIFT) - 1))

struct vgpu_mdev_state {
	struct vfio_device vdev;	/* first: vfio_alloc_device() */
	struct vgpu_slice *slice;
	struct mutex lock;		/* config space */
	u8 config[VGPU_CONFIG_SIZE];
};

static struct vgpu_mdev_state *to_state(struct vfio_device *vdev)
{
	return container_of(vdev, struct vgpu_mdev_state, vdev);
}

struct vgpu_slice *vgpu_mdev_slice(struct device *dev)
{
	struct vgpu_mdev_state *st = dev_get_drvdata(dev);

	return st->slice;
}

void vgpu_mdev_uuid(struct mdev_device *mdev, uuid_t *uuid)
{
	char buf[UUID_STRING_LEN + 1];

	/* guid_t and uuid_t differ in byte order; the string does not. */
	snprintf(buf, sizeof(buf), "%pUl", &mdev->uuid);
	WARN_ON(uuid_parse(buf, uuid));
}

static void vgpu_mdev_init_config(struct vgpu_mdev_state *st)
{
	struct pci_dev *pdev = st->slice->gpu->pdev;
	u8 *c = st->config;

	/* A simulated GPU has no ids to lend: 0xffff reads as "no vendor". */
	*(__le16 *)&c[PCI_VENDOR_ID] = cpu_to_le16(pdev ? pdev->vendor : 0xffff);
	*(__le16 *)&c[PCI_DEVICE_ID] = cpu_to_le16(pdev ? pdev->device : 0xffff);
	*(__le16 *)&c[PCI_SUBSYSTEM_VENDOR_ID] =
		cpu_to_le16(pdev ? pdev->subsystem_vendor : 0xffff);
	*(__le16 *)&c[PCI_SUBSYSTEM_ID] =
		cpu_to_le16(pdev ? pdev->subsystem_device : 0xffff);
	c[PCI_CLASS_PROG] = 0;
	*(__le16 *)&c[PCI_CLASS_DEVICE] = cpu_to_le16(PCI_CLASS_DISPLAY_3D);
	c[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
}

static ssize_t vgpu_vfio_rw(struct vfio_device *vdev, char __user *ubuf,
			    size_t count, loff_t *ppos, bool write)
{
	struct vgpu_mdev_state *st = to_state(vdev);
	u64 index = VGPU_REGION_INDEX(*ppos);
	u64 off = VGPU_REGION_OFFSET(*ppos);
	u8 buf[4];

	if (index != VFIO_PCI_CONFIG_REGION_INDEX)
		return -EINVAL;
	if (off >= VGPU_CONFIG_SIZE)
		return -EINVAL;
	count = min_t(size_t, count, VGPU_CONFIG_SIZE - off);
	count = min_t(size_t, count, sizeof(buf));
	if (write) {
		/* The header is read-only: writes are accepted and dropped. */
		if (copy_from_user(buf, ubuf, count))
			return -EFAULT;
		*ppos += count;
		return count;
	}
	mutex_lock(&st->lock);
	memcpy(buf, &st->config[off], count);
	mutex_unlock(&st->lock);
	if (copy_to_user(ubuf, buf, count))
		return -EFAULT;
	*ppos += count;
	return count;
}

static ssize_t vgpu_vfio_read(struct vfio_device *vdev, char __user *buf,
			      size_t count, loff_t *ppos)
{
	return vgpu_vfio_rw(vdev, buf, count, ppos, false);
}

static ssize_t vgpu_vfio_write(struct vfio_device *vdev, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	return vgpu_vfio_rw(vdev, (char __user *)buf, count, ppos, true);
}

static long vgpu_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	unsigned long minsz;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info info;

		minsz = offsetofend(struct vfio_device_info, num_irqs);
		if (copy_from_user(&info, uarg, minsz))
			return -EFAULT;
		if (info.argsz < minsz)
			return -EINVAL;
		info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
		info.num_regions = VFIO_PCI_NUM_REGIONS;
		info.num_irqs = VFIO_PCI_NUM_IRQS;
		return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO: {
		struct vfio_region_info info;

		minsz = offsetofend(struct vfio_region_info, offset);
		if (copy_from_user(&info, uarg, minsz))
			return -EFAULT;
		if (info.argsz < minsz)
			return -EINVAL;
		if (info.index >= VFIO_PCI_NUM_REGIONS)
			return -EINVAL;
		info.offset = (u64)info.index << VGPU_REGION_SHIFT;
		info.cap_offset = 0;
		if (info.index == VFIO_PCI_CONFIG_REGION_INDEX) {
			info.size = VGPU_CONFIG_SIZE;
			info.flags = VFIO_REGION_INFO_FLAG_READ |
				     VFIO_REGION_INFO_FLAG_WRITE;
		} else {
			info.size = 0;
			info.flags = 0;
		}
		return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info info;

		minsz = offsetofend(struct vfio_irq_info, count);
		if (copy_from_user(&info, uarg, minsz))
			return -EFAULT;
		if (info.argsz < minsz)
			return -EINVAL;
		if (info.index >= VFIO_PCI_NUM_IRQS)
			return -EINVAL;
		info.flags = 0;
		info.count = 0;
		return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_SET_IRQS:
		return -EINVAL;		/* the function has no interrupts */
	case VFIO_DEVICE_RESET:
		return 0;
	}
	return -ENOTTY;
}

static void vgpu_vfio_release(struct vfio_device *vdev)
{
	mutex_destroy(&to_state(vdev)->lock);
#if !VGPU_VFIO_CORE_FREES_DEVICE
	vfio_free_device(vdev);
#endif
}

static const struct vfio_device_ops vgpu_vfio_ops = {
	.name = "vgpu-mdev",
	.release = vgpu_vfio_release,
	.read = vgpu_vfio_read,
	.write = vgpu_vfio_write,
	.ioctl = vgpu_vfio_ioctl,
};

static struct vgpu_type *to_vgpu_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct vgpu_type, mtype);
}

static int vgpu_mdev_probe(struct mdev_device *mdev)
{
	struct vgpu_type *type = to_vgpu_type(mdev->type);
	struct netlink_ext_ack extack = {};
	struct vgpu_slice_params p = {};
	struct vgpu_mdev_state *st;
	struct vgpu_slice *slice;
	int ret;

	ret = vgpu_slice_create(type, &p, mdev, &slice, &extack);
	if (ret) {
		if (extack._msg)
			dev_notice_ratelimited(&type->gpu->dev,
					       "cannot create %s: %s\n",
					       type->name, extack._msg);
		return ret;
	}
	st = vfio_alloc_device(vgpu_mdev_state, vdev, mdev_dev(mdev),
			       &vgpu_vfio_ops);
	if (IS_ERR(st)) {
		ret = PTR_ERR(st);
		goto err_slice;
	}
	st->slice = slice;
	mutex_init(&st->lock);
	vgpu_mdev_init_config(st);
	ret = vfio_register_emulated_iommu_dev(&st->vdev);
	if (ret)
		goto err_vdev;
	dev_set_drvdata(mdev_dev(mdev), st);
	return 0;

err_vdev:
	vfio_put_device(&st->vdev);
err_slice:
	WARN_ON(vgpu_slice_destroy(slice, true, NULL));
	put_device(&slice->dev);
	return ret;
}

static void vgpu_mdev_remove(struct mdev_device *mdev)
{
	struct vgpu_mdev_state *st = dev_get_drvdata(mdev_dev(mdev));
	struct vgpu_slice *slice = st->slice;

	vfio_unregister_group_dev(&st->vdev);
	WARN_ON(vgpu_slice_destroy(slice, true, NULL));
	vfio_put_device(&st->vdev);
	put_device(&slice->dev);
}

static unsigned int vgpu_mdev_get_available(struct mdev_type *mtype)
{
	unsigned int n;

	mutex_lock(&vgpu_config_lock);
	n = vgpu_type_available(to_vgpu_type(mtype));
	mutex_unlock(&vgpu_config_lock);
	return n;
}

static ssize_t vgpu_mdev_show_description(struct mdev_type *mtype, char *buf)
{
	return vgpu_type_describe(to_vgpu_type(mtype), buf, PAGE_SIZE);
}

static struct mdev_driver vgpu_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = "vgpu",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = vgpu_slice_mdev_groups,
	},
	.probe = vgpu_mdev_probe,
	.remove = vgpu_mdev_remove,
	.get_available = vgpu_mdev_get_available,
	.show_description = vgpu_mdev_show_description,
};

int vgpu_mdev_register(struct vgpu_gpu *gpu)
{
	unsigned int i;
	int ret;

	for (i = 0; i < VGPU_NR_TYPES; i++) {
		gpu->types[i].mtype.sysfs_name = gpu->types[i].name;
		gpu->types[i].mtype.pretty_name = gpu->types[i].name;
		gpu->mtypes[i] = &gpu->types[i].mtype;
	}
	ret = mdev_register_parent(&gpu->parent, &gpu->dev, &vgpu_mdev_driver,
				   gpu->mtypes, VGPU_NR_TYPES);
	if (!ret)
		gpu->mdev = true;
	return ret;
}

void vgpu_mdev_unregister(struct vgpu_gpu *gpu)
{
	if (gpu->mdev)
		mdev_unregister_parent(&gpu->parent);
}

int vgpu_mdev_init(void)
{
	return mdev_register_driver(&vgpu_mdev_driver);
}

void vgpu_mdev_exit(void)
{
	mdev_unregister_driver(&vgpu_mdev_driver);
}
