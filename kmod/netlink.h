/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Generic netlink family "vgpu": commands and the "events" group.
 */
#ifndef VGPU_NETLINK_H
#define VGPU_NETLINK_H

#include <linux/types.h>

struct vgpu_gpu;
struct vgpu_slice;

int vgpu_nl_init(void);
void vgpu_nl_exit(void);

/* Announce a change to the events group; vgpu_config_lock held. */
void vgpu_nl_notify_gpu(struct vgpu_gpu *gpu, u8 cmd);
void vgpu_nl_notify_slice(struct vgpu_slice *slice, u8 cmd);
/* A refusal or an overrun: GPU_ID, SLICE_UUID and attr = value. */
void vgpu_nl_event(struct vgpu_slice *slice, u8 cmd, int attr, u64 value);

#endif /* VGPU_NETLINK_H */
