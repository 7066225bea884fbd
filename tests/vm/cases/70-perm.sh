#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 70-perm: an unprivileged user (uid 1000, no capabilities) can list and
# read everything but change nothing: netlink changes give EPERM, sysfs
# writes EACCES; device nodes follow their owner and mode.
. /vgpu/lib.sh
case_begin

U=1000:1000

t_setup() {
	g=$(new_sim_gpu 16G 132)
	expect_eq "$g" 0 "GPU id"
	new_mdev 0 1g.2gb >"$VT/m"
	new_slice 0 1g.2gb --tenant t --owner 1000:1000 --mode 0660 >"$VT/n"
	expect_ok runas $U id -u
	expect_eq "$OUT" 1000 "uid under runas"
}

t_vgpuctl_eperm() {
	n=$(cat "$VT/n")
	m=$(cat "$VT/m")
	expect_refused EPERM runas $U vgpuctl gpu add --sim --name x --memory 1G --sms 8
	expect_refused EPERM runas $U vgpuctl gpu del 0
	expect_refused EPERM runas $U vgpuctl gpu del 0 --force
	expect_refused EPERM runas $U vgpuctl gpu set 0 --policy fixed-share
	expect_refused EPERM runas $U vgpuctl gpu set 0 --timeslice-us 2000
	expect_refused EPERM runas $U vgpuctl slice create 0 1g.2gb
	expect_refused EPERM runas $U vgpuctl slice create 0 1g.2gb --uuid "$(uuidgen)"
	expect_refused EPERM runas $U vgpuctl slice destroy "$n"
	# vgpuctl removes an mdev slice through its mdev remove file (netlink
	# cannot, see 30-slice-mdev): the VFS refuses the write.
	expect_refused EACCES runas $U vgpuctl slice destroy "$m"
	expect_refused EPERM runas $U vgpuctl slice set "$n" --weight 300
	expect_refused EPERM runas $U vgpuctl slice set "$m" --tenant mine
}

t_nlraw_eperm() {
	n=$(cat "$VT/n")
	for req in "GPU_NEW --flag GPU_SIM --str GPU_NAME=x --u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8" \
		"GPU_DEL --u32 GPU_ID=0" \
		"GPU_DEL --u32 GPU_ID=0 --flag FORCE" \
		"GPU_SET --u32 GPU_ID=0 --u32 GPU_POLICY=3" \
		"SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb" \
		"SLICE_DEL --bin SLICE_UUID=$n" \
		"SLICE_SET --bin SLICE_UUID=$n --u32 SLICE_WEIGHT=300" \
		"GPU_NEW"; do
		# shellcheck disable=SC2086 # one request, split into arguments
		expect_runas_nl EPERM $req
	done
}

t_sysfs_eacces() {
	n=$(cat "$VT/n")
	m=$(cat "$VT/m")
	for f in "$CLASS/vgpu0/policy" "$CLASS/vgpu0/timeslice_us" \
		"$CLASS/vgpu0/period_us"; do
		expect_runas_write EACCES "$f" "$(rd "$f")"
	done
	for u in "$n" "$m"; do
		for a in mem_quota weight cap timeslice_us priority tenant; do
			expect_runas_write EACCES "$CLASS/$u/$a" "$(rd "$CLASS/$u/$a")"
		done
	done
	for a in weight priority tenant; do
		expect_runas_write EACCES "$MDEV_DEVICES/$m/$a" 1
	done
	expect_runas_write EACCES "$(type_dir 0 1g.2gb)/create" "$(uuidgen)"
	expect_runas_write EACCES "$MDEV_DEVICES/$m/remove" 1
	expect_refused EACCES runas $U sh -c "echo 200 >$CLASS/$n/weight"
}

# expect_runas_nl ERRNO NLRAW-ARGS...: as uid 1000, nlraw exits with exactly
# ERRNO and nothing changes.  The generic netlink core refuses a command that
# needs CAP_NET_ADMIN before the family sees it, without a sentence.
expect_runas_nl() {
	_e=$1
	shift
	_state_before
	_errno_num "$_e"
	_capture runas $U nlraw "$@"
	expect_eq "$RC" "$_n" "runas $U nlraw $*: $(printf '%s' "$OUT" | head -n1)"
	_unchanged "$_before" "runas $U nlraw $*"
}

# expect_runas_write ERRNO PATH VALUE: as uid 1000, sysfs_write fails with
# exactly ERRNO and changes nothing.
expect_runas_write() {
	_state_before
	_errno_num "$1"
	_capture runas $U sysfs_write "$2" "$3"
	expect_eq "$RC" "$_n" "runas $U sysfs_write $2 '$3': $OUT"
	_unchanged "$_before" "runas $U sysfs_write $2"
}

t_listing() {
	n=$(cat "$VT/n")
	m=$(cat "$VT/m")
	expect_ok runas $U vgpuctl gpu list
	expect_field "$OUT" sim0 "vgpuctl gpu list as uid 1000"
	expect_ok runas $U vgpuctl gpu show 0
	expect_ok runas $U vgpuctl type list 0
	expect_field "$OUT" 1g.2gb "vgpuctl type list as uid 1000"
	expect_ok runas $U vgpuctl slice list
	expect_field "$OUT" "$n" "vgpuctl slice list as uid 1000"
	expect_field "$OUT" "$m" "vgpuctl slice list as uid 1000"
	expect_ok runas $U vgpuctl --json slice show "$n"
	expect_runas_nl 0 GPU_GET --dump
	expect_eq "$(nl_replies)" 1 "GPU_GET dump replies as uid 1000"
	expect_runas_nl 0 SLICE_GET --bin SLICE_UUID="$m"
	expect_runas_nl 0 TYPE_GET --dump
	expect_ok runas $U cat "$CLASS/$n/weight" "$CLASS/vgpu0/mem_free" \
		"$(type_dir 0 1g.2gb)/available_instances"
}

# The tenant's node (1000:1000 0660) opens for uid 1000, not for 1001; the
# mdev slice's node (root 0600) for neither.
t_device_nodes() {
	n=$(cat "$VT/n")
	m=$(cat "$VT/m")
	expect_ok runas 1000:1000 sh -c "exec 3<>/dev/vgpu/$n"
	expect_refused EACCES runas 1001:1001 sh -c "exec 3<>/dev/vgpu/$n"
	expect_refused EACCES runas 1000:1000 sh -c "exec 3<>/dev/vgpu/$m"
	expect_ok sh -c "exec 3<>/dev/vgpu/$m"
}

run t_setup
run t_vgpuctl_eperm
run t_nlraw_eperm
run t_sysfs_eacces
run t_listing
run t_device_nodes
finish
