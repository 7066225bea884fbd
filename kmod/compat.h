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

#endif /* VGPU_COMPAT_H */
