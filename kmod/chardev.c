// SPDX-License-Identifier: GPL-2.0-only
/*
 * The slice character device /dev/vgpu/<uuid>.
 *
 * Every open file is one context of its slice: it may attach to the GPU's
 * arbiter, hold leases, and charge memory to the slice's ledger.  What a
 * file charged and the lease it holds are given back when it is closed, so
 * a process that exits or is killed leaves nothing behind.
 *
 * Lifetime: a file holds a reference on its slice device.  When the slice
 * is removed its files are revoked: detached from the arbiter, woken, and
 * from then on every ioctl gives -ENODEV; their charges die with the
 * slice's ledger.
 *
 * Locking: vf->lock serialises attach, detach and revocation of one file;
 * slice->files_lock guards the slice's list of files.  Neither is held
 * while waiting for a lease.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "arbiter.h"
#include "chardev.h"
#include "compat.h"
#include "netlink.h"
#include "slice.h"

#define VGPU_MINORS	BIT(16)

static dev_t vgpu_devt_base;
static DEFINE_IDA(vgpu_minor_ida);

struct vgpu_file {
	struct vgpu_slice *slice;
	struct mutex lock;		/* attach, detach, revoke */
	struct list_head node;		/* in slice->files */
	struct vgpu_arb_ctx ctx;
	struct page *status;
	u64 charged;			/* bytes, under slice->ledger.lock */
	bool dead;			/* slice removed */
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

/* Leave the arbiter; vf->lock held. */
static void vgpu_file_detach(struct vgpu_file *vf)
{
	lockdep_assert_held(&vf->lock);
	if (vf->ctx.idx >= 0)
		vgpu_arbiter_detach(vf->slice->gpu->arb, &vf->ctx);
}

void vgpu_chardev_revoke(struct vgpu_slice *slice)
{
	struct vgpu_file *vf;

	mutex_lock(&slice->files_lock);
	list_for_each_entry(vf, &slice->files, node) {
		mutex_lock(&vf->lock);
		vf->dead = true;
		vgpu_file_detach(vf);
		mutex_unlock(&vf->lock);
	}
	mutex_unlock(&slice->files_lock);
}

static int vgpu_open(struct inode *inode, struct file *file)
{
	struct vgpu_slice *slice =
		container_of(inode->i_cdev, struct vgpu_slice, cdev);
	struct vgpu_status_page *page;
	struct vgpu_file *vf;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;
	vf->status = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!vf->status) {
		kfree(vf);
		return -ENOMEM;
	}
	page = page_address(vf->status);
	page->version = VGPU_STATUS_VERSION;
	mutex_init(&vf->lock);
	init_waitqueue_head(&vf->ctx.wq);
	vf->ctx.page = page;
	vf->ctx.idx = -1;

	mutex_lock(&vgpu_config_lock);
	if (slice->state != VGPU_SLICE_LIVE) {
		mutex_unlock(&vgpu_config_lock);
		__free_page(vf->status);
		kfree(vf);
		return -ENODEV;
	}
	slice->nr_open++;
	vf->slice = to_vgpu_slice(get_device(&slice->dev));
	/* Under the config lock: revocation cannot miss this file. */
	mutex_lock(&slice->files_lock);
	list_add(&vf->node, &slice->files);
	mutex_unlock(&slice->files_lock);
	mutex_unlock(&vgpu_config_lock);
	file->private_data = vf;
	return nonseekable_open(inode, file);
}

static int vgpu_release(struct inode *inode, struct file *file)
{
	struct vgpu_file *vf = file->private_data;
	struct vgpu_slice *slice = vf->slice;

	mutex_lock(&slice->files_lock);
	list_del(&vf->node);
	mutex_unlock(&slice->files_lock);
	mutex_lock(&vf->lock);
	vgpu_file_detach(vf);
	mutex_unlock(&vf->lock);
	vgpu_ledger_release(&slice->ledger, &vf->charged);

	mutex_lock(&vgpu_config_lock);
	slice->nr_open--;
	mutex_unlock(&vgpu_config_lock);
	put_device(&slice->dev);
	__free_page(vf->status);
	mutex_destroy(&vf->lock);
	kfree(vf);
	return 0;
}

/*
 * Copy in an ioctl argument: the kernel knows minsz bytes of it; a shorter
 * argsz is -EINVAL, flag bits outside allowed are -EINVAL.
 */
static int vgpu_copy_arg(void *arg, void __user *uarg, size_t minsz,
			 u32 allowed)
{
	struct {
		u32 argsz;
		u32 flags;
	} *head = arg;

	if (copy_from_user(arg, uarg, minsz))
		return -EFAULT;
	if (head->argsz < minsz || head->flags & ~allowed)
		return -EINVAL;
	return 0;
}

static long vgpu_ioctl_info(struct vgpu_slice *slice, void __user *uarg)
{
	const size_t minsz = offsetofend(struct vgpu_slice_info, tenant);
	struct vgpu_slice_info info;
	int ret;

	ret = vgpu_copy_arg(&info, uarg, minsz, 0);
	if (ret)
		return ret;
	mutex_lock(&vgpu_config_lock);
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

static long vgpu_ioctl_attach(struct vgpu_file *vf, void __user *uarg)
{
	const size_t minsz = offsetofend(struct vgpu_attach, reserved);
	struct vgpu_attach at;
	int ret;

	ret = vgpu_copy_arg(&at, uarg, minsz, 0);
	if (ret)
		return ret;
	if (at.reserved)
		return -EINVAL;
	mutex_lock(&vf->lock);
	if (vf->dead)
		ret = -ENODEV;
	else
		ret = vgpu_arbiter_attach(vf->slice->gpu->arb,
					  vf->slice->arb_idx, &vf->ctx);
	mutex_unlock(&vf->lock);
	if (ret == -ENOSPC)
		return -EUSERS;		/* the GPU's context table is full */
	if (ret < 0)
		return ret;
	at.ctx_id = ret;
	return copy_to_user(uarg, &at, minsz) ? -EFAULT : 0;
}

static long vgpu_ioctl_detach(struct vgpu_file *vf)
{
	int ret = 0;

	mutex_lock(&vf->lock);
	if (vf->dead)
		ret = -ENODEV;
	else if (vf->ctx.idx < 0)
		ret = -EINVAL;
	else
		vgpu_file_detach(vf);
	mutex_unlock(&vf->lock);
	return ret;
}

static long vgpu_ioctl_charge(struct vgpu_file *vf, void __user *uarg,
			      bool charge)
{
	const size_t minsz = offsetofend(struct vgpu_charge, mem_used);
	struct vgpu_slice *slice = vf->slice;
	struct vgpu_charge ch;
	int ret;

	ret = vgpu_copy_arg(&ch, uarg, minsz, 0);
	if (ret)
		return ret;
	if (!ch.bytes || ch.bytes > VGPU_GPU_MEM_MAX)
		return -EINVAL;
	if (charge) {
		ret = vgpu_ledger_charge(&slice->ledger, ch.bytes, &vf->charged,
					 &ch.mem_used);
		if (ret == -ENOSPC && __ratelimit(&slice->event_rs))
			vgpu_nl_event(slice, VGPU_CMD_EVENT_CHARGE_REFUSED,
				      VGPU_ATTR_EVENT_BYTES, ch.bytes);
	} else {
		ret = vgpu_ledger_uncharge(&slice->ledger, ch.bytes,
					   &vf->charged, &ch.mem_used);
	}
	if (ret)
		return ret;
	return copy_to_user(uarg, &ch, minsz) ? -EFAULT : 0;
}

static void vgpu_report_overrun(struct vgpu_slice *slice, u64 overrun_ns)
{
	if (overrun_ns && __ratelimit(&slice->event_rs))
		vgpu_nl_event(slice, VGPU_CMD_EVENT_OVERRUN, VGPU_ATTR_EVENT_NS,
			      overrun_ns);
}

static long vgpu_ioctl_lease(struct vgpu_file *vf, unsigned int cmd,
			     void __user *uarg)
{
	const size_t minsz = offsetofend(struct vgpu_lease, busy_ns);
	struct vgpu_arbiter *arb = vf->slice->gpu->arb;
	struct vgpu_lease_info out = {};
	struct vgpu_lease ls;
	u64 overrun = 0;
	u32 allowed;
	int ret;

	allowed = cmd == VGPU_IOC_ACQUIRE ? VGPU_ACQUIRE_ALL :
		  cmd == VGPU_IOC_RELEASE ? VGPU_RELEASE_ALL : 0;
	ret = vgpu_copy_arg(&ls, uarg, minsz, allowed);
	if (ret)
		return ret;

	switch (cmd) {
	case VGPU_IOC_ACQUIRE:
		ret = vgpu_arbiter_acquire(arb, &vf->ctx,
					   ls.flags & VGPU_ACQUIRE_NONBLOCK,
					   ls.timeout_us, &out);
		break;
	case VGPU_IOC_RELEASE:
		if (ls.timeout_us)
			return -EINVAL;
		ret = vgpu_arbiter_release(arb, &vf->ctx, ls.generation,
					   ls.busy_ns,
					   ls.flags & VGPU_RELEASE_YIELD, &out,
					   &overrun);
		break;
	default:
		if (ls.timeout_us)
			return -EINVAL;
		ret = vgpu_arbiter_report(arb, &vf->ctx, ls.generation,
					  ls.busy_ns, &overrun);
		out.generation = ls.generation;
		break;
	}
	vgpu_report_overrun(vf->slice, overrun);
	if (ret == -ENODEV || (ret == -EINVAL && READ_ONCE(vf->dead)))
		return -ENODEV;
	if (ret)
		return ret;
	ls.generation = out.generation;
	ls.deadline_ns = out.deadline_ns;
	ls.kept = out.kept;
	return copy_to_user(uarg, &ls, minsz) ? -EFAULT : 0;
}

static long vgpu_ioctl_stats(struct vgpu_file *vf, void __user *uarg)
{
	const size_t minsz = offsetofend(struct vgpu_stats, overrun_ns);
	struct vgpu_stats st;
	int ret;

	ret = vgpu_copy_arg(&st, uarg, minsz, 0);
	if (ret)
		return ret;
	vgpu_slice_stats(vf->slice, &st);
	return copy_to_user(uarg, &st, minsz) ? -EFAULT : 0;
}

static long vgpu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vgpu_file *vf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VGPU_IOC_INFO:
	case VGPU_IOC_ATTACH:
	case VGPU_IOC_DETACH:
	case VGPU_IOC_CHARGE:
	case VGPU_IOC_UNCHARGE:
	case VGPU_IOC_ACQUIRE:
	case VGPU_IOC_RELEASE:
	case VGPU_IOC_REPORT:
	case VGPU_IOC_STATS:
		break;
	default:
		return -ENOTTY;
	}
	if (READ_ONCE(vf->dead))
		return -ENODEV;

	switch (cmd) {
	case VGPU_IOC_INFO:
		return vgpu_ioctl_info(vf->slice, uarg);
	case VGPU_IOC_ATTACH:
		return vgpu_ioctl_attach(vf, uarg);
	case VGPU_IOC_DETACH:
		return vgpu_ioctl_detach(vf);
	case VGPU_IOC_CHARGE:
		return vgpu_ioctl_charge(vf, uarg, true);
	case VGPU_IOC_UNCHARGE:
		return vgpu_ioctl_charge(vf, uarg, false);
	case VGPU_IOC_STATS:
		return vgpu_ioctl_stats(vf, uarg);
	default:
		return vgpu_ioctl_lease(vf, cmd, uarg);
	}
}

static int vgpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vgpu_file *vf = file->private_data;

	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EACCES;
	vgpu_vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP, VM_MAYWRITE);
	return vm_insert_page(vma, vma->vm_start, vf->status);
}

static const struct file_operations vgpu_fops = {
	.owner = THIS_MODULE,
	.open = vgpu_open,
	.release = vgpu_release,
	.unlocked_ioctl = vgpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vgpu_mmap,
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
