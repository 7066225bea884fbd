#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 00-load: vgpu.ko loads, registers the generic netlink family "vgpu" and
# the class "vgpu" with nothing in them, unloads and loads again.
. /vgpu/lib.sh
case_begin

t_loaded() {
	expect_exists /sys/module/vgpu
	expect_attr /sys/module/vgpu/refcnt 0
	# Both kernels have VFIO_MDEV: GPUs are mdev parents.
	expect_exists /sys/module/mdev/holders/vgpu
	expect_exists "$CLASS"
	expect_eq "$(ls "$CLASS" | wc -l)" 0 "entries in $CLASS"
}

t_family() {
	expect_nl 0 GPU_GET --dump
	expect_eq "$(nl_replies)" 0 "GPUs in a GPU_GET dump"
	expect_nl 0 TYPE_GET --dump
	expect_eq "$(nl_replies)" 0 "types in a TYPE_GET dump"
	expect_nl 0 SLICE_GET --dump
	expect_eq "$(nl_replies)" 0 "slices in a SLICE_GET dump"
}

t_vgpuctl_empty() {
	expect_ok vgpuctl gpu list
	expect_eq "$OUT" "" "vgpuctl gpu list with no GPU (plain: no header)"
	expect_ok vgpuctl slice list
	expect_eq "$OUT" "" "vgpuctl slice list with no slice"
	json vgpuctl --json gpu list
	expect_eq "$(json_count id)" 0 "GPUs in vgpuctl --json gpu list"
	json vgpuctl --json slice list
	expect_eq "$(json_count uuid)" 0 "slices in vgpuctl --json slice list"
}

t_reload() {
	for i in 1 2 3; do
		expect_ok rmmod vgpu
		expect_absent /sys/module/vgpu
		expect_absent "$CLASS"
		expect_nl ENOENT GPU_GET --dump
		expect_family absent
		expect_ok modprobe vgpu
		expect_exists "$CLASS"
		expect_family registered
		expect_nl 0 GPU_GET --dump
		expect_ok vgpuctl gpu list
	done
}

# Loading again after GPUs existed starts empty, with ids from 0.
t_reload_with_gpu() {
	g=$(new_sim_gpu 1G 8)
	expect_eq "$g" 0 "id of the first GPU"
	expect_ok rmmod vgpu
	expect_ok modprobe vgpu
	expect_eq "$(gpu_ids)" "" "GPUs after reloading"
	g=$(new_sim_gpu 1G 8)
	expect_eq "$g" 0 "id of the first GPU after reloading"
}

run t_loaded
run t_family
run t_vgpuctl_empty
run t_reload
run t_reload_with_gpu
finish
