#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 40-exhaust: admission control.  A GPU filled with slices of both kinds
# refuses one more, through mdev and netlink, with ENOSPC and a reason,
# and nothing changes.
. /vgpu/lib.sh
case_begin

t_fill() {
	g=$(new_sim_gpu 16G 132)
	expect_eq "$g" 0 "GPU id"
	for i in 1 2 3 4; do
		new_mdev 0 1g.2gb >/dev/null
	done
	expect_available 0 "4 2 1 0"
	new_slice 0 2g.4gb >/dev/null
	new_slice 0 2g.4gb >/dev/null
	expect_eq "$(available 0)" "0 0 0 0" "available_instances of a full GPU"
	expect_attr "$CLASS/vgpu0/mem_free" 0
	expect_attr "$CLASS/vgpu0/weight_free" 0
	expect_attr "$CLASS/vgpu0/nr_slices" 6
}

expect_available() {
	expect_eq "$(available "$1")" "$2" "available_instances of vgpu$1"
}

t_mdev_enospc() {
	n=$(nr_slices_all)
	for t in 1g.2gb 8g.16gb; do
		u=$(uuidgen)
		expect_write_errno ENOSPC "$(type_dir 0 "$t")/create" "$u"
		expect_absent "$MDEV_DEVICES/$u"
		expect_absent "$CLASS/$u"
	done
	u=$(uuidgen)
	expect_refused ENOSPC echo_to "$(type_dir 0 1g.2gb)/create" "$u"
	expect_eq "$(nr_slices_all)" "$n" "slices after the refusals"
}

t_netlink_enospc() {
	n=$(nr_slices_all)
	expect_refused ENOSPC vgpuctl slice create 0 1g.2gb
	expect_match "$ERR" '[Mm]emory|[Cc]ompute|[Ww]eight' "vgpuctl's reason for ENOSPC"
	expect_nl_refused ENOSPC SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb
	expect_match "$EXTACK" '[Mm]emory|[Cc]ompute|[Ww]eight' "extack of ENOSPC"
	expect_eq "$(nr_slices_all)" "$n" "slices after the refusals"
	expect_eq "$(available 0)" "0 0 0 0" "available_instances after the refusals"
}

# With memory left but no compute, the reason is the compute.
t_compute_only() {
	u=$(ls "$(type_dir 0 1g.2gb)/devices" | head -n1)
	remove_mdev "$u"
	expect_available 0 "1 0 0 0"
	expect_nl 0 SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--u64 SLICE_MEM_QUOTA=$GiB
	expect_attr "$CLASS/vgpu0/mem_free" "$GiB"
	expect_attr "$CLASS/vgpu0/weight_free" 0
	expect_nl_refused ENOSPC SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--u64 SLICE_MEM_QUOTA=$((512 * MiB))
	expect_match "$EXTACK" '[Cc]ompute|[Ww]eight' "extack of ENOSPC for compute"
	expect_refused ENOSPC vgpuctl slice create 0 1g.2gb --memory 512M
	expect_match "$ERR" '[Cc]ompute|[Ww]eight' "vgpuctl's reason for ENOSPC for compute"
}

# With compute left but no memory, the reason is the memory.
t_memory_only() {
	u=$(ls "$(type_dir 0 1g.2gb)/devices" | head -n1)
	remove_mdev "$u"
	# Free now: 3 GiB of memory, 125 of weight.
	expect_attr "$CLASS/vgpu0/mem_free" $((3 * GiB))
	expect_attr "$CLASS/vgpu0/weight_free" 125
	expect_nl 0 SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--u64 SLICE_MEM_QUOTA=$((3 * GiB)) --u32 SLICE_WEIGHT=100
	expect_attr "$CLASS/vgpu0/mem_free" 0
	expect_nl_refused ENOSPC SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--u32 SLICE_WEIGHT=10
	expect_match "$EXTACK" '[Mm]emory' "extack of ENOSPC for memory"
	expect_eq "$(available 0)" "0 0 0 0" "available_instances"
}

# Emptied, the GPU takes its full set of slices again.
t_refill() {
	expect_ok vgpuctl gpu del 0 --force
	g=$(new_sim_gpu 16G 132)
	for i in 1 2 3 4 5 6 7 8; do
		new_slice "$g" 1g.2gb >/dev/null
	done
	expect_eq "$(available "$g")" "0 0 0 0" "available_instances"
	expect_refused ENOSPC vgpuctl slice create "$g" 1g.2gb
	expect_eq "$(nr_slices_all)" 8 "slices"
}

run t_fill
run t_mdev_enospc
run t_netlink_enospc
run t_compute_only
run t_memory_only
run t_refill
finish
