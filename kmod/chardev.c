// SPDX-License-Identifier: GPL-2.0-only
/*
 * The slice character device.
 *
 * Every open file is one context of its slice.  The file holds a reference
 * on the slice device; after the slice is removed its files only get
 * -ENODEV.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "chardev.h"
#include "slice.h"

#define VGPU_MINORS	BIT(16)

static dev_t vgpu_devt_base;
static DEFINE_IDA(vgpu_minor_ida);

struct vgpu_file {
	struct vgpu_slice *slice;
};

int vgpu_chardev_get_minor(void)
{
	return ida_alloc_max(&vgpu_minor_ida, VGPU_MINORS - 1, GFP_KERNEL);
}

void vgpu_chardev_put_minor(int minor)
{
	ida_free(&vgpu_minor_ida, minor);
}

dev_t vgpu_chardev_devt(int minor)
{
	return MKDEV(MAJOR(vgpu_devt_base), minor);
}

void vgpu_chardev_update(struct vgpu_slice *slice)
{
}

void vgpu_chardev_revoke(struct vgpu_slice *slice)
{
}

static int vgpu_open(struct inode *inode, struct file *file)
{
	struct vgpu_slice *slice =
		container_of(inode->i_cdev, struct vgpu_slice, cdev);
	struct vgpu_file *vf;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;
	mutex_lock(&vgpu_config_lock);
	if (slice->state != VGPU_SLICE_LIVE) {
		mutex_unlock(&vgpu_config_lock);
		kfree(vf);
		return -ENODEV;
	}
	slice->nr_open++;
	get_device(&slice->dev);
	mutex_unlock(&vgpu_config_lock);
	vf->slice = slice;
	file->private_data = vf;
	return nonseekable_open(inode, file);
}

static int vgpu_release(struct inode *inode, struct file *file)
{
	struct vgpu_file *vf = file->private_data;
	struct vgpu_slice *slice = vf->slice;

	mutex_lock(&vgpu_config_lock);
	slice->nr_open--;
	mutex_unlock(&vgpu_config_lock);
	put_device(&slice->dev);
	kfree(vf);
	return 0;
}

static long vgpu_ioctl_info(struct vgpu_slice *slice, void __user *uarg)
{
	unsigned long minsz = offsetofend(struct vgpu_slice_info, tenant);
	struct vgpu_slice_info info;

	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.flags)
		return -EINVAL;
	mutex_lock(&vgpu_config_lock);
	if (slice->state != VGPU_SLICE_LIVE) {
		mutex_unlock(&vgpu_config_lock);
		return -ENODEV;
	}
	export_uuid(info.uuid, &slice->uuid);
	info.gpu_id = slice->gpu->id;
	info.policy = slice->gpu->policy;
	info.mem_quota = slice->mem_quota;
	info.weight = slice->weight;
	info.cap = slice->cap;
	info.timeslice_us = slice->timeslice_us ?: slice->gpu->timeslice_us;
	info.priority = slice->priority;
	info.gpu_memory = slice->gpu->memory;
	info.gpu_sms = slice->gpu->sms;
	info.reserved = 0;
	strscpy_pad(info.tenant, slice->tenant, sizeof(info.tenant));
	mutex_unlock(&vgpu_config_lock);
	return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
}

static long vgpu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vgpu_file *vf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VGPU_IOC_INFO:
		return vgpu_ioctl_info(vf->slice, uarg);
	}
	return -ENOTTY;
}

static const struct file_operations vgpu_fops = {
	.owner = THIS_MODULE,
	.open = vgpu_open,
	.release = vgpu_release,
	.unlocked_ioctl = vgpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

void vgpu_chardev_init_cdev(struct vgpu_slice *slice)
{
	cdev_init(&slice->cdev, &vgpu_fops);
	slice->cdev.owner = THIS_MODULE;
}

int vgpu_chardev_init(void)
{
	return alloc_chrdev_region(&vgpu_devt_base, 0, VGPU_MINORS, "vgpu");
}

void vgpu_chardev_exit(void)
{
	unregister_chrdev_region(vgpu_devt_base, VGPU_MINORS);
	ida_destroy(&vgpu_minor_ida);
}
