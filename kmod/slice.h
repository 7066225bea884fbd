/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Slices: a tenant's share of one GPU, created through mdev or netlink.
 */
#ifndef VGPU_SLICE_H
#define VGPU_SLICE_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/uidgid.h>
#include <linux/uuid.h>
#include <uapi/linux/vgpu.h>

#include "gpu.h"
#include "ledger.h"

struct netlink_ext_ack;
struct mdev_device;

enum vgpu_slice_state {
	VGPU_SLICE_LIVE,
	VGPU_SLICE_DEAD,	/* removed: open files only see -ENODEV */
};

struct vgpu_slice {
	struct device dev;		/* class vgpu, named by UUID, /dev/vgpu/ */
	struct cdev cdev;
	struct vgpu_gpu *gpu;		/* holds a reference on gpu->dev */
	struct vgpu_type *type;
	struct mdev_device *mdev;	/* NULL: created over netlink */
	u32 serial;			/* index in the slice table, for dumps */
	enum vgpu_slice_state state;
	uuid_t uuid;

	/* Parameters, under vgpu_config_lock; the arbiter keeps copies. */
	u64 mem_quota;
	u32 weight;
	u32 cap;
	u32 timeslice_us;
	u32 priority;
	char tenant[VGPU_NAME_MAX];

	/* Device node owner and mode, fixed at creation. */
	kuid_t uid;
	kgid_t gid;
	umode_t mode;

	struct vgpu_ledger ledger;
	int arb_idx;			/* the slice in its GPU's arbiter */
	unsigned int nr_open;		/* open files, under vgpu_config_lock */
	struct mutex files_lock;
	struct list_head files;		/* open files, for revocation */
	struct ratelimit_state event_rs;	/* refusal and overrun events */
};

/* Which fields of struct vgpu_slice_params are given. */
#define VGPU_SP_MEM_QUOTA	BIT(0)
#define VGPU_SP_WEIGHT		BIT(1)
#define VGPU_SP_CAP		BIT(2)
#define VGPU_SP_TIMESLICE	BIT(3)
#define VGPU_SP_PRIORITY	BIT(4)
#define VGPU_SP_TENANT		BIT(5)
#define VGPU_SP_UUID		BIT(6)	/* creation only */
#define VGPU_SP_OWNER		BIT(7)	/* creation only: uid, gid, mode */

struct vgpu_slice_params {
	u32 set;
	u64 mem_quota;
	u32 weight;
	u32 cap;
	u32 timeslice_us;
	u32 priority;
	char tenant[VGPU_NAME_MAX];
	uuid_t uuid;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
};

extern const struct attribute_group *vgpu_slice_mdev_groups[];

void vgpu_slice_exit(void);

int __must_check vgpu_slice_create(struct vgpu_type *type,
				   const struct vgpu_slice_params *p,
				   struct mdev_device *mdev,
				   struct vgpu_slice **out,
				   struct netlink_ext_ack *extack);
int __must_check vgpu_slice_destroy(struct vgpu_slice *slice, bool force,
				    struct netlink_ext_ack *extack);
void vgpu_slice_destroy_all(struct vgpu_gpu *gpu);
int __must_check vgpu_slice_set(struct vgpu_slice *slice,
				const struct vgpu_slice_params *p,
				struct netlink_ext_ack *extack);
int __must_check vgpu_slice_check_params(const struct vgpu_slice_params *p,
					 struct netlink_ext_ack *extack);

void vgpu_slice_stats(struct vgpu_slice *slice, struct vgpu_stats *st);
struct vgpu_slice *vgpu_slice_find(const uuid_t *uuid);
struct vgpu_slice *vgpu_slice_next(unsigned long *serial);

extern const struct device_type vgpu_slice_type;

static inline bool vgpu_is_slice_dev(const struct device *dev)
{
	return dev->type == &vgpu_slice_type;
}

static inline struct vgpu_slice *to_vgpu_slice(struct device *dev)
{
	return container_of(dev, struct vgpu_slice, dev);
}

#endif /* VGPU_SLICE_H */
