// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-slice memory ledger.
 *
 * One spinlock per slice makes "used + bytes <= quota" and the update of
 * used one step, so that all processes of a slice together can never hold
 * more than the quota, and a quota change cannot slip under a concurrent
 * charge.  Charges are taken once per device allocation, far below the
 * rate at which this lock could become contended.
 */
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/minmax.h>

#include "ledger.h"

void vgpu_ledger_init(struct vgpu_ledger *l, u64 quota)
{
	spin_lock_init(&l->lock);
	l->quota = quota;
	l->used = 0;
	l->peak = 0;
	l->refused = 0;
}

int vgpu_ledger_charge(struct vgpu_ledger *l, u64 bytes, u64 *owner,
		       u64 *used_after)
{
	int ret = 0;

	spin_lock(&l->lock);
	if (bytes > l->quota || l->used > l->quota - bytes) {
		l->refused++;
		ret = -ENOSPC;
	} else {
		l->used += bytes;
		*owner += bytes;
		if (l->used > l->peak)
			l->peak = l->used;
	}
	*used_after = l->used;
	spin_unlock(&l->lock);
	return ret;
}

int vgpu_ledger_uncharge(struct vgpu_ledger *l, u64 bytes, u64 *owner,
			 u64 *used_after)
{
	int ret = 0;

	spin_lock(&l->lock);
	if (bytes > *owner) {
		ret = -EINVAL;	/* more than this holder charged */
	} else {
		/* Every owner's charge is part of used. */
		WARN_ON_ONCE(bytes > l->used);
		*owner -= bytes;
		l->used -= bytes;
	}
	*used_after = l->used;
	spin_unlock(&l->lock);
	return ret;
}

void vgpu_ledger_release(struct vgpu_ledger *l, u64 *owner)
{
	spin_lock(&l->lock);
	WARN_ON_ONCE(*owner > l->used);
	l->used -= min(*owner, l->used);
	*owner = 0;
	spin_unlock(&l->lock);
}

int vgpu_ledger_set_quota(struct vgpu_ledger *l, u64 quota)
{
	int ret = 0;

	spin_lock(&l->lock);
	if (quota < l->used)
		ret = -EBUSY;
	else
		l->quota = quota;
	spin_unlock(&l->lock);
	return ret;
}

void vgpu_ledger_read(struct vgpu_ledger *l, struct vgpu_ledger_snapshot *s)
{
	spin_lock(&l->lock);
	s->quota = l->quota;
	s->used = l->used;
	s->peak = l->peak;
	s->refused = l->refused;
	spin_unlock(&l->lock);
}
