#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 80-unload: with GPUs (simulated and PCI) and slices of both kinds, none
# open, rmmod vgpu succeeds, removes everything and logs nothing at warning
# level; the module loads again and works.
. /vgpu/lib.sh
case_begin

populate() {
	a=$(new_sim_gpu 16G 132)
	b=$(new_gpu --pci "$(display_pci)" --name pci --memory 8G --sms 64)
	new_mdev "$a" 1g.2gb >>"$VT/slices"
	new_mdev "$a" 2g.4gb >>"$VT/slices"
	new_slice "$a" 1g.2gb --owner 1000:1000 --mode 0660 >>"$VT/slices"
	new_mdev "$b" 4g.4gb >>"$VT/slices"
	new_slice "$b" 2g.2gb --tenant x >>"$VT/slices"
	expect_eq "$(nr_slices_all)" 5 "slices"
	expect_eq "$(gpu_ids | wc -l)" 2 "GPUs"
}

t_unload_populated() {
	: >"$VT/slices"
	populate
	mark=$(kmsg_mark)
	expect_ok rmmod vgpu
	expect_absent /sys/module/vgpu
	expect_absent "$CLASS"
	for u in $(cat "$VT/slices"); do
		expect_absent "$MDEV_DEVICES/$u"
		expect_absent "/dev/vgpu/$u"
	done
	expect_absent /sys/class/mdev_bus/vgpu0
	expect_absent /sys/class/mdev_bus/vgpu1
	expect_eq "$(ls /dev/vgpu 2>/dev/null | wc -l)" 0 "nodes left in /dev/vgpu"
	expect_family absent
	expect_nl ENOENT GPU_GET --dump
	expect_kernel_quiet "$mark" "rmmod vgpu"
	# Nothing holds the modules vgpu used.
	expect_attr /sys/module/mdev/refcnt 0
}

t_reload() {
	mark=$(kmsg_mark)
	expect_ok modprobe vgpu
	expect_eq "$(gpu_ids)" "" "GPUs after reloading"
	expect_eq "$(nr_slices_all)" 0 "slices after reloading"
	: >"$VT/slices"
	populate
	expect_ok vgpuctl gpu del 0 --force
	expect_ok vgpuctl gpu del 1 --force
	expect_eq "$(nr_slices_all)" 0 "slices after deleting the GPUs"
	expect_kernel_quiet "$mark" "reloading and using vgpu"
}

# Unloading with GPUs and no slice, and unloading right after loading.
t_unload_cycles() {
	mark=$(kmsg_mark)
	for i in 1 2 3; do
		: >"$VT/slices"
		populate
		expect_ok rmmod vgpu
		expect_absent "$CLASS"
		expect_ok modprobe vgpu
		expect_ok rmmod vgpu
		expect_ok modprobe vgpu
	done
	expect_kernel_quiet "$mark" "load and unload cycles"
}

run t_unload_populated
run t_reload
run t_unload_cycles
finish
