// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu: GPU partitioning for shared GPU hosts.
 *
 * Brings the parts up in order and down in reverse.  Netlink comes up last
 * and goes first, so no request can arrive while the rest is incomplete;
 * then every GPU is removed with its slices.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <net/genetlink.h>

#include "chardev.h"
#include "gpu.h"
#include "mdev.h"
#include "netlink.h"
#include "slice.h"

static int __init vgpu_init(void)
{
	int ret;

	ret = vgpu_chardev_init();
	if (ret)
		goto err_chardev;
	ret = vgpu_gpu_init();
	if (ret)
		goto err_gpu;
	ret = vgpu_mdev_init();
	if (ret)
		goto err_mdev;
	ret = vgpu_nl_init();
	if (ret)
		goto err_nl;
	pr_info("loaded%s\n", IS_ENABLED(CONFIG_VFIO_MDEV) ? "" :
		" (no VFIO_MDEV: slices through netlink only)");
	return 0;

err_nl:
	vgpu_mdev_exit();
err_mdev:
	vgpu_gpu_exit();
err_gpu:
	vgpu_chardev_exit();
err_chardev:
	return ret;
}

static void __exit vgpu_exit(void)
{
	vgpu_nl_exit();
	vgpu_gpu_del_all();
	vgpu_mdev_exit();
	vgpu_slice_exit();
	vgpu_gpu_exit();
	vgpu_chardev_exit();
}

module_init(vgpu_init);
module_exit(vgpu_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("GPU partitioning: slices, time-sliced contexts, memory quotas");
MODULE_AUTHOR("The vgpu authors");
MODULE_ALIAS_GENL_FAMILY(VGPU_GENL_NAME);
