/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vgpu: GPU partitioning for shared GPU hosts -- the kernel ABI.
 *
 * This header is the only contract between vgpu.ko and userspace (vgpuctl,
 * libvgpu). Enums are append-only; flag words carry an _ALL mask and the
 * kernel rejects unknown bits with -EINVAL.
 *
 * Objects
 * -------
 * GPU    A physical (PCI) or simulated GPU registered by the administrator.
 *        The kernel names it "vgpu<id>"; it is a device of class "vgpu" and
 *        the parent of mediated devices when the kernel has VFIO_MDEV.
 * Type   A slice profile of one GPU: 1/8, 1/4, 1/2 or all of its memory and
 *        compute, named like MIG profiles ("1g.10gb": one eighth of the
 *        compute, 10 GB of memory).  The mdev type directory is
 *        "vgpu-<name>".
 * Slice  A tenant's share of one GPU, identified by a UUID: memory quota in
 *        bytes, weight (the guaranteed compute share in thousandths of the
 *        GPU, also the relative weight under the best-effort policy), cap
 *        (thousandths, 0 = none), time-slice length, priority, tenant label.
 *        Created from a type through the mdev "create" file or through
 *        VGPU_CMD_SLICE_NEW; both give the same object.  The sum of quotas and
 *        the sum of weights of the slices of a GPU never exceed its memory
 *        and 1000 (admission control).
 *
 * Generic netlink family VGPU_GENL_NAME, version VGPU_GENL_VERSION
 * ----------------------------------------------------------------
 * Every command that changes state needs CAP_NET_ADMIN (-EPERM otherwise).
 * Validation is strict: an attribute the command does not take, an unknown
 * attribute type, an integer of the wrong size, a malformed string or flag
 * is refused with -EINVAL; an integer out of range or a UUID of the wrong
 * length with -ERANGE; each with an extended ack pointing at the attribute.  Every
 * refusal by the family carries a sentence in the extended ack (the
 * generic netlink core itself answers -EPERM and unknown commands,
 * -EOPNOTSUPP, without one).  A refused command changes nothing.
 *
 * VGPU_CMD_GPU_NEW    register a GPU.
 *   takes:  GPU_PCI (string "DDDD:BB:DD.F", a display-class PCI device) or
 *           GPU_SIM (flag, a simulated GPU); GPU_NAME; GPU_MEMORY;
 *           GPU_SMS; optional GPU_UUID (generated when absent), GPU_POLICY,
 *           GPU_TIMESLICE_US, GPU_PERIOD_US.
 *   reply:  the GPU, as VGPU_CMD_GPU_GET.
 *   errors: EINVAL missing or contradicting attributes; ENODEV no such PCI
 *           device; EEXIST the PCI device or UUID is already registered;
 *           ENOSPC too many GPUs.
 * VGPU_CMD_GPU_DEL    unregister a GPU.  takes: GPU_ID; optional FORCE
 *           (flag) to remove its slices first.
 *   errors: ENOENT no such GPU; EBUSY it has slices and FORCE is absent.
 * VGPU_CMD_GPU_GET    doit: one GPU (GPU_ID); dumpit: every GPU.
 *   reply:  GPU_ID, GPU_NAME, GPU_PCI or GPU_SIM, GPU_UUID, GPU_MEMORY,
 *           GPU_SMS, GPU_POLICY, GPU_TIMESLICE_US, GPU_PERIOD_US,
 *           GPU_MEM_FREE, GPU_WEIGHT_FREE, GPU_NR_SLICES, GPU_MDEV (flag).
 * VGPU_CMD_GPU_SET    change GPU_POLICY, GPU_TIMESLICE_US, GPU_PERIOD_US of
 *           GPU_ID, live.  errors: ENOENT.
 * VGPU_CMD_TYPE_GET   dumpit: the types of GPU_ID (or of every GPU).
 *   reply:  GPU_ID, TYPE_NAME, TYPE_MEMORY, TYPE_WEIGHT, TYPE_AVAILABLE,
 *           TYPE_DESCRIPTION.
 * VGPU_CMD_SLICE_NEW  create a slice.
 *   takes:  GPU_ID, TYPE_NAME; optional SLICE_UUID (generated when absent),
 *           SLICE_MEM_QUOTA and SLICE_WEIGHT (override the type's),
 *           SLICE_CAP, SLICE_TIMESLICE_US, SLICE_PRIORITY, SLICE_TENANT,
 *           SLICE_UID, SLICE_GID, SLICE_MODE (owner and mode of the slice's
 *           device node; root, root, 0600 by default).
 *   reply:  the slice, as VGPU_CMD_SLICE_GET.
 *   errors: ENOENT no such GPU or type; EEXIST UUID in use; ENOSPC not
 *           enough unreserved memory or compute left on the GPU; EINVAL
 *           cap below weight.
 * VGPU_CMD_SLICE_DEL  remove a slice made by VGPU_CMD_SLICE_NEW.  takes:
 *           SLICE_UUID.
 *   errors: ENOENT no such slice; EBUSY the slice has open files;
 *           EOPNOTSUPP the slice was made through mdev: write 1 to
 *           /sys/bus/mdev/devices/<uuid>/remove (the mdev core owns it).
 *

 * VGPU_CMD_SLICE_SET  change SLICE_MEM_QUOTA, SLICE_WEIGHT, SLICE_CAP,
 *           SLICE_TIMESLICE_US, SLICE_PRIORITY, SLICE_TENANT of SLICE_UUID.
 *           All given values are checked before any is applied.
 *   errors: ENOENT; ENOSPC admission; EBUSY quota below memory in use;
 *           EINVAL cap below weight.
 * VGPU_CMD_SLICE_GET  doit: one slice (SLICE_UUID); dumpit: every slice, or
 *           those of GPU_ID.
 *   reply:  GPU_ID, SLICE_UUID, TYPE_NAME, SLICE_MEM_QUOTA, SLICE_WEIGHT,
 *           SLICE_CAP, SLICE_TIMESLICE_US, SLICE_PRIORITY, SLICE_TENANT,
 *           SLICE_MDEV (flag: created through mdev), SLICE_STATS (nested
 *           VGPU_STAT_*).
 * VGPU_CMD_EVENT_CHARGE_REFUSED, VGPU_CMD_EVENT_OVERRUN
 *           notifications only (see below).
 *
 * Multicast group VGPU_GENL_MCGRP_EVENTS: VGPU_CMD_GPU_NEW, GPU_DEL, GPU_SET,
 * SLICE_NEW, SLICE_DEL and SLICE_SET are sent with the object's attributes
 * after each change, whatever interface made it (netlink, sysfs, mdev).
 * VGPU_CMD_EVENT_CHARGE_REFUSED carries GPU_ID, SLICE_UUID, EVENT_BYTES
 * (the refused charge); VGPU_CMD_EVENT_OVERRUN carries GPU_ID, SLICE_UUID,
 * EVENT_NS (the overrun charged).  Event messages are rate-limited per
 * slice and may be dropped: stats count every occurrence.
 *
 * Slice character device /dev/vgpu/<uuid>
 * ---------------------------------------
 * Every open file is one context of the slice.  ioctl arguments begin with
 * argsz and flags; the kernel copies offsetofend() of the last field it
 * knows, refuses argsz below that with -EINVAL and unknown flag bits with
 * -EINVAL.  Unknown commands give -ENOTTY.
 *
 * VGPU_IOC_INFO     struct vgpu_slice_info: the slice's parameters.
 * VGPU_IOC_ATTACH   join the GPU's arbiter as a context.  EALREADY when
 *                   attached already.
 * VGPU_IOC_DETACH   leave the arbiter (drops a held lease).  Charges stay
 *                   with the file until uncharged or the file is closed.
 * VGPU_IOC_CHARGE   struct vgpu_charge: add bytes to the slice's ledger,
 *                   atomically against the quota.  ENOSPC when the quota
 *                   would be exceeded; nothing is charged then.
 * VGPU_IOC_UNCHARGE struct vgpu_charge: return bytes this file charged.
 *                   EINVAL when more than the file holds.
 * VGPU_IOC_ACQUIRE  struct vgpu_lease: wait for the lease (the right to
 *                   submit work to the GPU).  VGPU_ACQUIRE_NONBLOCK gives
 *                   EAGAIN instead of waiting; timeout_us > 0 gives
 *                   ETIMEDOUT when exceeded; a signal gives EINTR.  EINVAL
 *                   when not attached, ENODEV when the slice is removed
 *                   meanwhile.  On success generation and deadline are
 *                   those of the lease held.  Asked while holding, at or
 *                   after the deadline, it settles the lease first: the
 *                   same lease extended, or a new one after waiting.
 * VGPU_IOC_RELEASE  struct vgpu_lease: give the lease back, reporting busy_ns
 *                   of GPU time used under it.  VGPU_RELEASE_YIELD keeps
 *                   the lease (kept = 1) when no other context should run
 *                   first.  ESTALE when generation is not the lease held
 *                   (it was revoked; busy_ns is still charged to it).
 * VGPU_IOC_REPORT   struct vgpu_lease: report busy_ns used so far under
 *                   lease generation, held or already ended.
 * VGPU_IOC_STATS    struct vgpu_stats: the slice's counters.
 *
 * Charging GPU time: a lease costs its slice the larger of the time it was
 * held and the busy time its holder reports (bounded by the time since the
 * lease began); busy time reported past the deadline (work that spilled)
 * counts as an overrun.  Leases are extended in place at the deadline
 * unless another context should run: one of higher priority, of a slice
 * further behind in its weighted share, or of the same slice; a slice over
 * its budget (fixed share, or a cap) waits for the next period.
 *
 * mmap of offset 0, one page, read-only (PROT_WRITE gives EACCES): struct
 * vgpu_status_page for this file, updated by the kernel when the file's
 * lease changes.  Read seq, then the fields, then seq again; an odd or
 * changed seq means retry.  A lease is valid while generation matches the
 * one ACQUIRE returned and CLOCK_MONOTONIC is before deadline_ns.  While no
 * other context waits the kernel extends deadline_ns in place, so an
 * uncontended holder makes no system call.
 */
#ifndef _UAPI_LINUX_VGPU_H
#define _UAPI_LINUX_VGPU_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define VGPU_GENL_NAME		"vgpu"
#define VGPU_GENL_VERSION	1
#define VGPU_GENL_MCGRP_EVENTS	"events"

#define VGPU_NAME_MAX		64	/* GPU name, tenant label, with NUL */
#define VGPU_PCI_ADDR_MAX	16	/* "DDDD:BB:DD.F" with NUL */
#define VGPU_TYPE_NAME_MAX	32
#define VGPU_DESCRIPTION_MAX	256
#define VGPU_UUID_LEN		16

#define VGPU_WEIGHT_MAX		1000	/* thousandths of a GPU */
#define VGPU_PRIORITY_MAX	7
#define VGPU_TIMESLICE_MIN_US	1000
#define VGPU_TIMESLICE_MAX_US	100000
#define VGPU_TIMESLICE_DEFAULT_US 10000
#define VGPU_PERIOD_MIN_US	10000
#define VGPU_PERIOD_MAX_US	10000000
#define VGPU_PERIOD_DEFAULT_US	100000
#define VGPU_MEM_MIN		_BITULL(20)	/* smallest slice quota */
#define VGPU_GPU_MEM_MIN	(8 * _BITULL(20))	/* smallest GPU */
#define VGPU_GPU_MEM_MAX	_BITULL(50)
#define VGPU_SMS_MAX		65535

enum vgpu_cmd {
	VGPU_CMD_UNSPEC,
	VGPU_CMD_GPU_GET,
	VGPU_CMD_GPU_NEW,
	VGPU_CMD_GPU_DEL,
	VGPU_CMD_GPU_SET,
	VGPU_CMD_TYPE_GET,
	VGPU_CMD_SLICE_GET,
	VGPU_CMD_SLICE_NEW,
	VGPU_CMD_SLICE_DEL,
	VGPU_CMD_SLICE_SET,
	VGPU_CMD_EVENT_CHARGE_REFUSED,
	VGPU_CMD_EVENT_OVERRUN,

	__VGPU_CMD_MAX
};

#define VGPU_CMD_MAX (__VGPU_CMD_MAX - 1)

enum vgpu_attr {
	VGPU_ATTR_UNSPEC,
	VGPU_ATTR_PAD,
	VGPU_ATTR_GPU_ID,		/* u32 */
	VGPU_ATTR_GPU_NAME,		/* string, < VGPU_NAME_MAX */
	VGPU_ATTR_GPU_PCI,		/* string, < VGPU_PCI_ADDR_MAX */
	VGPU_ATTR_GPU_SIM,		/* flag */
	VGPU_ATTR_GPU_UUID,		/* binary, VGPU_UUID_LEN */
	VGPU_ATTR_GPU_MEMORY,		/* u64, bytes */
	VGPU_ATTR_GPU_SMS,		/* u32 */
	VGPU_ATTR_GPU_POLICY,		/* u32, enum vgpu_policy */
	VGPU_ATTR_GPU_TIMESLICE_US,	/* u32 */
	VGPU_ATTR_GPU_PERIOD_US,	/* u32, fixed-share budget period */
	VGPU_ATTR_GPU_MEM_FREE,		/* u64, memory not reserved by slices */
	VGPU_ATTR_GPU_WEIGHT_FREE,	/* u32, weight not reserved by slices */
	VGPU_ATTR_GPU_NR_SLICES,	/* u32 */
	VGPU_ATTR_GPU_MDEV,		/* flag: registered as an mdev parent */
	VGPU_ATTR_FORCE,		/* flag */
	VGPU_ATTR_TYPE_NAME,		/* string, < VGPU_TYPE_NAME_MAX */
	VGPU_ATTR_TYPE_MEMORY,		/* u64, bytes */
	VGPU_ATTR_TYPE_WEIGHT,		/* u32 */
	VGPU_ATTR_TYPE_AVAILABLE,	/* u32, instances that can be created */
	VGPU_ATTR_TYPE_DESCRIPTION,	/* string, key=value lines */
	VGPU_ATTR_SLICE_UUID,		/* binary, VGPU_UUID_LEN */
	VGPU_ATTR_SLICE_MEM_QUOTA,	/* u64, bytes */
	VGPU_ATTR_SLICE_WEIGHT,		/* u32, 1..VGPU_WEIGHT_MAX */
	VGPU_ATTR_SLICE_CAP,		/* u32, 0 (none) or weight..1000 */
	VGPU_ATTR_SLICE_TIMESLICE_US,	/* u32, 0 (the GPU's) or in range */
	VGPU_ATTR_SLICE_PRIORITY,	/* u32, 0..VGPU_PRIORITY_MAX */
	VGPU_ATTR_SLICE_TENANT,		/* string, < VGPU_NAME_MAX */
	VGPU_ATTR_SLICE_UID,		/* u32, owner of the device node */
	VGPU_ATTR_SLICE_GID,		/* u32 */
	VGPU_ATTR_SLICE_MODE,		/* u32, permission bits, <= 0777 */
	VGPU_ATTR_SLICE_MDEV,		/* flag */
	VGPU_ATTR_SLICE_STATS,		/* nested, enum vgpu_stat */
	VGPU_ATTR_EVENT_BYTES,		/* u64 */
	VGPU_ATTR_EVENT_NS,		/* u64 */

	__VGPU_ATTR_MAX
};

#define VGPU_ATTR_MAX (__VGPU_ATTR_MAX - 1)

/* Nested in VGPU_ATTR_SLICE_STATS; u64 each, padded with VGPU_STAT_PAD. */
enum vgpu_stat {
	VGPU_STAT_UNSPEC,
	VGPU_STAT_PAD,
	VGPU_STAT_MEM_USED,		/* bytes charged now */
	VGPU_STAT_MEM_PEAK,		/* highest MEM_USED */
	VGPU_STAT_CHARGE_REFUSED,	/* charges refused */
	VGPU_STAT_BUSY_NS,		/* GPU time used, as charged */
	VGPU_STAT_WAIT_NS,		/* time contexts waited for leases */
	VGPU_STAT_LEASES,		/* leases granted */
	VGPU_STAT_OVERRUNS,		/* leases whose work ran past the deadline */
	VGPU_STAT_CONTEXTS,		/* contexts attached now */
	VGPU_STAT_OVERRUN_NS,		/* GPU time past deadlines, charged */

	__VGPU_STAT_MAX
};

#define VGPU_STAT_MAX (__VGPU_STAT_MAX - 1)

enum vgpu_policy {
	VGPU_POLICY_UNSPEC,
	VGPU_POLICY_BEST_EFFORT,	/* work-conserving, by weight */
	VGPU_POLICY_EQUAL_SHARE,	/* work-conserving, weights ignored */
	VGPU_POLICY_FIXED_SHARE,	/* weight/1000 of each period, no more */

	__VGPU_POLICY_MAX
};

#define VGPU_POLICY_MAX (__VGPU_POLICY_MAX - 1)

/* ioctls on /dev/vgpu/<uuid> */
#define VGPU_IOC_MAGIC		0xC7

struct vgpu_slice_info {
	__u32 argsz;
	__u32 flags;			/* none defined: must be 0 */
	__u8  uuid[VGPU_UUID_LEN];
	__u32 gpu_id;
	__u32 policy;			/* enum vgpu_policy of the GPU */
	__u64 mem_quota;
	__u32 weight;
	__u32 cap;
	__u32 timeslice_us;		/* effective: the slice's or the GPU's */
	__u32 priority;
	__u64 gpu_memory;
	__u32 gpu_sms;
	__u32 reserved;
	char  tenant[VGPU_NAME_MAX];
};

#define VGPU_IOC_INFO		_IO(VGPU_IOC_MAGIC, 0x00)

struct vgpu_attach {
	__u32 argsz;
	__u32 flags;			/* none defined */
	__u32 ctx_id;			/* out: this context's id on the GPU */
	__u32 reserved;
};

#define VGPU_IOC_ATTACH		_IO(VGPU_IOC_MAGIC, 0x01)
#define VGPU_IOC_DETACH		_IO(VGPU_IOC_MAGIC, 0x02)	/* no argument */

struct vgpu_charge {
	__u32 argsz;
	__u32 flags;			/* none defined */
	__u64 bytes;			/* in: 1..quota */
	__u64 mem_used;			/* out: the slice's usage afterwards */
};

#define VGPU_IOC_CHARGE		_IO(VGPU_IOC_MAGIC, 0x03)
#define VGPU_IOC_UNCHARGE	_IO(VGPU_IOC_MAGIC, 0x04)

#define VGPU_ACQUIRE_NONBLOCK	_BITUL(0)
#define VGPU_ACQUIRE_ALL	(VGPU_ACQUIRE_NONBLOCK)
#define VGPU_RELEASE_YIELD	_BITUL(0)
#define VGPU_RELEASE_ALL	(VGPU_RELEASE_YIELD)

struct vgpu_lease {
	__u32 argsz;
	__u32 flags;			/* VGPU_ACQUIRE_* or VGPU_RELEASE_* */
	__u32 timeout_us;		/* ACQUIRE: 0 waits for ever */
	__u32 kept;			/* RELEASE with YIELD: out, 1 if kept */
	__u64 generation;		/* ACQUIRE: out; RELEASE, REPORT: in */
	__u64 deadline_ns;		/* out: CLOCK_MONOTONIC end of lease */
	__u64 busy_ns;			/* RELEASE, REPORT: in, GPU time used */
};

#define VGPU_IOC_ACQUIRE	_IO(VGPU_IOC_MAGIC, 0x05)
#define VGPU_IOC_RELEASE	_IO(VGPU_IOC_MAGIC, 0x06)
#define VGPU_IOC_REPORT		_IO(VGPU_IOC_MAGIC, 0x07)

struct vgpu_stats {
	__u32 argsz;
	__u32 flags;			/* none defined */
	__u64 mem_used;
	__u64 mem_peak;
	__u64 charge_refused;
	__u64 busy_ns;
	__u64 wait_ns;
	__u64 leases;
	__u64 overruns;
	__u32 contexts;
	__u32 reserved;
	__u64 overrun_ns;
};

#define VGPU_IOC_STATS		_IO(VGPU_IOC_MAGIC, 0x08)

/* The read-only page mapped at offset 0 of an open slice device. */
#define VGPU_STATUS_VERSION	1

struct vgpu_status_page {
	__u32 version;			/* VGPU_STATUS_VERSION */
	__u32 seq;			/* odd while the kernel writes */
	__u64 generation;		/* of this file's lease, 0: none held */
	__u64 deadline_ns;		/* CLOCK_MONOTONIC */
	__u32 waiters;			/* contexts waiting on this GPU */
	__u32 reserved;
};

#endif /* _UAPI_LINUX_VGPU_H */
