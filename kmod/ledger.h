/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-slice memory ledger: every byte of device memory a slice's processes
 * hold is charged here first, atomically against the quota.
 */
#ifndef VGPU_LEDGER_H
#define VGPU_LEDGER_H

#include <linux/spinlock.h>
#include <linux/types.h>

struct vgpu_ledger {
	spinlock_t lock;	/* used, quota and peak change together */
	u64 quota;
	u64 used;
	u64 peak;
	u64 refused;		/* charges refused */
};

struct vgpu_ledger_snapshot {
	u64 quota;
	u64 used;
	u64 peak;
	u64 refused;
};

void vgpu_ledger_init(struct vgpu_ledger *l, u64 quota);
/* owner: what one holder (an open file) has charged, kept in step. */
int __must_check vgpu_ledger_charge(struct vgpu_ledger *l, u64 bytes,
				    u64 *owner, u64 *used_after);
int __must_check vgpu_ledger_uncharge(struct vgpu_ledger *l, u64 bytes,
				      u64 *owner, u64 *used_after);
void vgpu_ledger_release(struct vgpu_ledger *l, u64 *owner);
int __must_check vgpu_ledger_set_quota(struct vgpu_ledger *l, u64 quota);
void vgpu_ledger_read(struct vgpu_ledger *l, struct vgpu_ledger_snapshot *s);

#endif /* VGPU_LEDGER_H */
