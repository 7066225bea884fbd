/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * GPU registry: registered GPUs, their parent devices and slice types.
 */
#ifndef VGPU_GPU_H
#define VGPU_GPU_H

#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/uuid.h>
#include <linux/kconfig.h>
#if IS_ENABLED(CONFIG_VFIO_MDEV)
#include <linux/mdev.h>
#endif
#include <uapi/linux/vgpu.h>

struct netlink_ext_ack;
struct pci_dev;
struct vgpu_arbiter;

#define VGPU_NR_TYPES	4
#define VGPU_MAX_GPUS	1024

/*
 * vgpu_config_lock serialises every configuration change and read of GPUs,
 * types, slices and reservations.  Lock order: the mdev core's parent
 * unreg_sem, then vgpu_config_lock.  It is never held across device_del()
 * or mdev_unregister_parent(): those wait for sysfs callers that take it.
 */
extern struct mutex vgpu_config_lock;
extern struct class *vgpu_class;

struct vgpu_gpu;

/* A slice profile: eighths/8 of the GPU's memory and compute. */
struct vgpu_type {
#if IS_ENABLED(CONFIG_VFIO_MDEV)
	struct mdev_type mtype;
#endif
	struct vgpu_gpu *gpu;
	char name[VGPU_TYPE_NAME_MAX];
	unsigned int eighths;
	u64 memory;
	u32 weight;
};

enum vgpu_gpu_state {
	VGPU_GPU_LIVE,
	VGPU_GPU_DYING,		/* being unregistered: no new slices */
};

struct vgpu_gpu {
	struct device dev;		/* class vgpu, "vgpu<id>" */
	u32 id;
	enum vgpu_gpu_state state;
	char name[VGPU_NAME_MAX];
	char pci_addr[VGPU_PCI_ADDR_MAX];
	struct pci_dev *pdev;		/* NULL for a simulated GPU */
	uuid_t uuid;
	u64 memory;
	u32 sms;
	u32 policy;
	u32 timeslice_us;
	u32 period_us;

	/* Admission control, under vgpu_config_lock. */
	u64 mem_reserved;
	u32 weight_reserved;
	u32 nr_slices;

	struct vgpu_type types[VGPU_NR_TYPES];
#if IS_ENABLED(CONFIG_VFIO_MDEV)
	struct mdev_parent parent;
	struct mdev_type *mtypes[VGPU_NR_TYPES];
#endif
	bool mdev;			/* registered as an mdev parent */
	struct vgpu_arbiter *arb;
};

/* What VGPU_CMD_GPU_NEW carries. */
struct vgpu_gpu_params {
	const char *name;
	const char *pci;		/* NULL for a simulated GPU */
	bool has_uuid;
	uuid_t uuid;
	u64 memory;
	u32 sms;
	u32 policy;
	u32 timeslice_us;
	u32 period_us;
};

/* What VGPU_CMD_GPU_SET carries; zero means unchanged. */
struct vgpu_gpu_settings {
	u32 policy;
	u32 timeslice_us;
	u32 period_us;
};

static inline struct vgpu_gpu *to_vgpu_gpu(struct device *dev)
{
	return container_of(dev, struct vgpu_gpu, dev);
}

int vgpu_gpu_init(void);
void vgpu_gpu_exit(void);

int __must_check vgpu_gpu_add(const struct vgpu_gpu_params *p,
			      struct vgpu_gpu **out,
			      struct netlink_ext_ack *extack);
int __must_check vgpu_gpu_del(u32 id, bool force,
			      struct netlink_ext_ack *extack);
void vgpu_gpu_del_all(void);
int __must_check vgpu_gpu_set(struct vgpu_gpu *gpu,
			      const struct vgpu_gpu_settings *s,
			      struct netlink_ext_ack *extack);

struct vgpu_gpu *vgpu_gpu_find(u32 id);
struct vgpu_gpu *vgpu_gpu_next(unsigned long *id);
struct vgpu_type *vgpu_gpu_type_find(struct vgpu_gpu *gpu, const char *name);
unsigned int vgpu_type_available(const struct vgpu_type *type);
int vgpu_type_describe(const struct vgpu_type *type, char *buf, size_t len);
const char *vgpu_policy_name(u32 policy);

#endif /* VGPU_GPU_H */
