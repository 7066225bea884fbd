/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Mediated devices: GPUs as mdev parents, slices as mdev instances with a
 * vfio device.  Without CONFIG_VFIO_MDEV these compile to nothing and
 * slices are created over netlink only.
 */
#ifndef VGPU_MDEV_H
#define VGPU_MDEV_H

#include <linux/kconfig.h>
#include <linux/uuid.h>

struct device;
struct mdev_device;
struct vgpu_gpu;
struct vgpu_slice;

#if IS_ENABLED(CONFIG_VFIO_MDEV)
int vgpu_mdev_init(void);
void vgpu_mdev_exit(void);
int __must_check vgpu_mdev_register(struct vgpu_gpu *gpu);
void vgpu_mdev_unregister(struct vgpu_gpu *gpu);
struct vgpu_slice *vgpu_mdev_slice(struct device *dev);
void vgpu_mdev_uuid(struct mdev_device *mdev, uuid_t *uuid);
#else
static inline int vgpu_mdev_init(void)
{
	return 0;
}

static inline void vgpu_mdev_exit(void)
{
}

static inline int vgpu_mdev_register(struct vgpu_gpu *gpu)
{
	return 0;
}

static inline void vgpu_mdev_unregister(struct vgpu_gpu *gpu)
{
}

static inline struct vgpu_slice *vgpu_mdev_slice(struct device *dev)
{
	return NULL;
}

static inline void vgpu_mdev_uuid(struct mdev_device *mdev, uuid_t *uuid)
{
}
#endif

#endif /* VGPU_MDEV_H */
