/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The slice character device /dev/vgpu/<uuid>: ioctls and the status page.
 */
#ifndef VGPU_CHARDEV_H
#define VGPU_CHARDEV_H

#include <linux/types.h>

struct vgpu_slice;

int vgpu_chardev_init(void);
void vgpu_chardev_exit(void);

int vgpu_chardev_get_minor(void);
void vgpu_chardev_put_minor(int minor);
dev_t vgpu_chardev_devt(int minor);
void vgpu_chardev_init_cdev(struct vgpu_slice *slice);
void vgpu_chardev_revoke(struct vgpu_slice *slice);

#endif /* VGPU_CHARDEV_H */
