/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Differences between the kernels vgpu.ko builds for, in one place.
 * Baseline: 6.1. Later kernels changed class_create() (6.4) and the vfio
 * device lifetime (6.2: the core frees the device, release is optional).
 */
#ifndef VGPU_COMPAT_H
#define VGPU_COMPAT_H

#include <linux/version.h>
#include <linux/device.h>
#include <linux/mm.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define vgpu_class_create(name) class_create(name)
#else
#define vgpu_class_create(name) class_create(THIS_MODULE, name)
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define VGPU_VFIO_CORE_FREES_DEVICE 1
#else
#define VGPU_VFIO_CORE_FREES_DEVICE 0
#endif

/* device_type.devnode lost its non-const device argument in 6.2. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define VGPU_DEVNODE_CONST const
#else
#define VGPU_DEVNODE_CONST
#endif

/* vm_flags became read-only behind accessors in 6.3. */
static inline void vgpu_vm_flags_mod(struct vm_area_struct *vma,
				     unsigned long set, unsigned long clear)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

#endif /* VGPU_COMPAT_H */
