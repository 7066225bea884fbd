#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 31-slice-netlink: slices created and destroyed through vgpuctl (netlink):
# device node owner and mode, parameters given at creation, listing, both
# kinds of slice side by side.
. /vgpu/lib.sh
case_begin

t_setup() {
	g=$(new_sim_gpu 16G 132)
	expect_eq "$g" 0 "GPU id"
}

t_create_owner() {
	u=$(new_slice 0 1g.2gb --tenant a --owner 1000:1000 --mode 0660)
	expect_node "/dev/vgpu/$u" 660 1000 1000
	expect_eq "$(ls -l "/dev/vgpu/$u" | cut -c1-10)" crw-rw---- "ls -l /dev/vgpu/$u"
	s=$CLASS/$u
	expect_attr "$s/gpu" 0
	expect_attr "$s/type" 1g.2gb
	expect_attr "$s/tenant" a
	expect_attr "$s/mdev" 0
	expect_attr "$s/mem_quota" $((2 * GiB))
	expect_attr "$s/weight" 125
	expect_attr "$s/cap" 0
	expect_attr "$s/priority" 0
	expect_attr "$s/timeslice_us" 0
	expect_attr "$CLASS/vgpu0/nr_slices" 1
	echo "$u" >"$VT/slice"
}

t_default_owner() {
	u=$(new_slice 0 1g.2gb)
	expect_node "/dev/vgpu/$u" 600 0 0
	expect_ok vgpuctl slice destroy "$u"
}

t_list_show() {
	u=$(cat "$VT/slice")
	expect_ok vgpuctl slice list
	expect_field "$OUT" "$u" "vgpuctl slice list"
	expect_field "$OUT" a "vgpuctl slice list"
	expect_ok vgpuctl slice show "$u"
	expect_field "$OUT" "$u" "vgpuctl slice show"
	json vgpuctl --json slice show "$u"
	for kv in uuid=$u gpu=0 type=1g.2gb tenant=a weight=125 cap=0 \
		priority=0 timeslice_us=0 mem_quota=$((2 * GiB)) mdev=false \
		mem_used=0; do
		expect_eq "$(json_values "${kv%%=*}")" "${kv#*=}" "vgpuctl --json slice show: ${kv%%=*}"
	done
	json vgpuctl --json slice list
	expect_json uuid "$u" tenant a
	expect_nl 0 SLICE_GET --bin SLICE_UUID="$u"
	for a in GPU_ID=0 SLICE_UUID=$u TYPE_NAME=1g.2gb SLICE_TENANT=a \
		SLICE_WEIGHT=125 SLICE_MEM_QUOTA=$((2 * GiB)); do
		expect_contains "$OUT" "  $a" "SLICE_GET reply"
	done
	expect_lacks "$OUT" "  SLICE_MDEV" "SLICE_GET reply of a netlink slice"
	expect_contains "$OUT" "  SLICE_STATS" "SLICE_GET reply"
}

t_destroy() {
	u=$(cat "$VT/slice")
	expect_ok vgpuctl slice destroy "$u"
	for p in "$CLASS/$u" "/dev/vgpu/$u" "$MDEV_DEVICES/$u"; do
		expect_absent "$p"
	done
	expect_attr "$CLASS/vgpu0/nr_slices" 0
	expect_attr "$CLASS/vgpu0/weight_free" 1000
	expect_refused ENOENT vgpuctl slice destroy "$u"
	expect_nl_refused ENOENT SLICE_DEL --bin SLICE_UUID="$u"
	expect_refused ENOENT vgpuctl slice show "$u"
}

t_explicit_uuid() {
	u=$(uuidgen)
	expect_ok vgpuctl slice create 0 2g.4gb --uuid "$u"
	expect_exists "$CLASS/$u"
	expect_attr "$CLASS/$u/weight" 250
	expect_attr "$CLASS/$u/type" 2g.4gb
	expect_refused EEXIST vgpuctl slice create 0 1g.2gb --uuid "$u"
	expect_nl_refused EEXIST SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--bin SLICE_UUID="$u"
	expect_nl 0 SLICE_DEL --bin SLICE_UUID="$u"
	expect_absent "$CLASS/$u"
}

# Quota, weight, cap, time slice, priority given at creation.
t_create_params() {
	u=$(new_slice 0 1g.2gb --memory 1G --weight 200 --cap 400 \
		--timeslice-us 2000 --priority 3 --tenant params)
	s=$CLASS/$u
	expect_attr "$s/mem_quota" "$GiB"
	expect_attr "$s/weight" 200
	expect_attr "$s/cap" 400
	expect_attr "$s/timeslice_us" 2000
	expect_attr "$s/priority" 3
	expect_attr "$s/tenant" params
	expect_attr "$CLASS/vgpu0/weight_free" 800
	expect_attr "$CLASS/vgpu0/mem_free" $((15 * GiB))
	expect_ok vgpuctl slice destroy "$u"
	# A cap below the weight is refused at creation too.
	expect_refused EINVAL vgpuctl slice create 0 1g.2gb --cap 100
	expect_nl_refused EINVAL SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--u32 SLICE_WEIGHT=300 --u32 SLICE_CAP=200
}

t_unknown() {
	expect_refused ENOENT vgpuctl slice create 0 3g.6gb
	expect_refused ENOENT vgpuctl slice create 9 1g.2gb
	expect_nl_refused ENOENT SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=bogus
	expect_nl_refused ENOENT SLICE_NEW --u32 GPU_ID=9 --str TYPE_NAME=1g.2gb
	expect_nl_refused ENOENT SLICE_GET --bin SLICE_UUID="$(uuidgen)"
}

# Slices of both kinds, on two GPUs, listed together.
t_both_kinds() {
	h=$(new_sim_gpu 8G 64)
	m=$(new_mdev 0 1g.2gb)
	n=$(new_slice 0 2g.4gb --tenant n)
	o=$(new_slice "$h" 1g.1gb)
	expect_attr "$CLASS/$m/mdev" 1
	expect_attr "$CLASS/$n/mdev" 0
	expect_ok vgpuctl slice list
	expect_eq "$(printf '%s\n' "$OUT" | grep -c .)" 3 "lines of vgpuctl slice list"
	for u in "$m" "$n" "$o"; do
		expect_field "$OUT" "$u" "vgpuctl slice list"
	done
	json vgpuctl --json slice list
	expect_eq "$(json_count uuid)" 3 "slices in vgpuctl --json slice list"
	expect_json uuid "$m" mdev true
	expect_json uuid "$n" mdev false
	expect_json uuid "$o" gpu "$h"
	json vgpuctl --json slice list "$h"
	expect_eq "$(json_values uuid)" "$o" "vgpuctl --json slice list $h"
	expect_nl 0 SLICE_GET --dump
	expect_eq "$(nl_replies)" 3 "SLICE_GET dump replies"
	expect_nl 0 SLICE_GET --dump --u32 GPU_ID=0
	expect_eq "$(nl_replies)" 2 "SLICE_GET dump replies for GPU 0"
	expect_attr "$CLASS/vgpu0/nr_slices" 2
	expect_attr "$CLASS/vgpu$h/nr_slices" 1
	remove_mdev "$m"
	expect_ok vgpuctl slice destroy "$n"
	expect_ok vgpuctl gpu del "$h" --force
	expect_eq "$(nr_slices_all)" 0 "slices left"
}

run t_setup
run t_create_owner
run t_default_owner
run t_list_show
run t_destroy
run t_explicit_uuid
run t_create_params
run t_unknown
run t_both_kinds
finish
