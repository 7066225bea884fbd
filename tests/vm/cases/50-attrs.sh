#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 50-attrs: the writable attributes of slices, through sysfs (class and
# mdev directories) and vgpuctl slice set; every invalid value refused with
# its own errno and nothing changed.
. /vgpu/lib.sh
case_begin

G16=17179869184

t_setup() {
	g=$(new_sim_gpu 16G 132)
	expect_eq "$g" 0 "GPU id"
	new_mdev 0 1g.2gb >"$VT/m"
	new_slice 0 1g.2gb >"$VT/n"
}

t_sysfs_set() {
	m=$(cat "$VT/m")
	s=$CLASS/$m
	for kv in weight=200 cap=500 timeslice_us=2000 priority=5 \
		tenant=team-a mem_quota=$GiB cap=0 timeslice_us=0 priority=0 \
		priority=7 timeslice_us=1000 timeslice_us=100000 cap=1000 \
		weight=1 weight=125 cap=125 cap=0; do
		sysfs_set "$s/${kv%%=*}" "${kv#*=}"
		expect_attr "$s/${kv%%=*}" "${kv#*=}"
	done
	# A label of 63 printable characters (the most) and one with spaces.
	t63=$(printf 'x%.0s' $(seq 63))
	sysfs_set "$s/tenant" "$t63"
	expect_attr "$s/tenant" "$t63"
	sysfs_set "$s/tenant" "team b"
	expect_attr "$s/tenant" "team b"
	# The mdev directory carries the same attributes.
	sysfs_set "$MDEV_DEVICES/$m/priority" 4
	expect_attr "$s/priority" 4
	sysfs_set "$MDEV_DEVICES/$m/mem_quota" $((2 * GiB))
	expect_attr "$s/mem_quota" $((2 * GiB))
	# Admission follows: 125 + 125 reserved by the two slices.
	expect_attr "$CLASS/vgpu0/weight_free" 750
	expect_attr "$CLASS/vgpu0/mem_free" $((G16 - 4 * GiB))
}

t_vgpuctl_set() {
	n=$(cat "$VT/n")
	s=$CLASS/$n
	expect_ok vgpuctl slice set "$n" --weight 300 --cap 600 --timeslice-us 3000 \
		--priority 2 --tenant b --memory 1G
	expect_attr "$s/weight" 300
	expect_attr "$s/cap" 600
	expect_attr "$s/timeslice_us" 3000
	expect_attr "$s/priority" 2
	expect_attr "$s/tenant" b
	expect_attr "$s/mem_quota" "$GiB"
	json vgpuctl --json slice show "$n"
	expect_eq "$(json_values weight)" 300 "vgpuctl --json slice show: weight"
	expect_eq "$(json_values tenant)" b "vgpuctl --json slice show: tenant"
	expect_ok vgpuctl slice set "$n" --weight 125 --cap 0 --timeslice-us 0 \
		--priority 0 --memory 2G
	expect_attr "$s/weight" 125
	expect_attr "$s/cap" 0
	expect_attr "$s/timeslice_us" 0
	expect_nl 0 SLICE_SET --bin SLICE_UUID="$n" --u32 SLICE_PRIORITY=6 \
		--str SLICE_TENANT=nl
	expect_attr "$s/priority" 6
	expect_attr "$s/tenant" nl
}

# expect_bad_values ATTR ERRNO VALUE...: each write refused with ERRNO, on
# both slices, the value unchanged.
expect_bad_values() {
	a=$1
	e=$2
	shift 2
	m=$(cat "$VT/m")
	n=$(cat "$VT/n")
	for v in "$@"; do
		for u in "$m" "$n"; do
			expect_write_errno "$e" "$CLASS/$u/$a" "$v"
		done
	done
}

t_weight_invalid() {
	m=$(cat "$VT/m")
	expect_bad_values weight ERANGE 0 1001 99999999999999999999
	expect_bad_values weight EINVAL -1 abc "" 12abc " " 0x
	expect_refused ERANGE echo_to "$CLASS/$m/weight" 1001
	expect_refused EINVAL echo_to "$CLASS/$m/weight" abc
	# More than the GPU has left: admission control.
	expect_write_errno ENOSPC "$CLASS/$m/weight" 1000
	expect_write_errno ENOSPC "$MDEV_DEVICES/$m/weight" 900
	for v in 0 1001; do
		expect_nl_refused ERANGE SLICE_SET --bin SLICE_UUID="$m" --u32 SLICE_WEIGHT="$v"
		expect_bad_attr SLICE_WEIGHT
	done
	expect_refused ENOSPC vgpuctl slice set "$m" --weight 1000
}

t_cap_invalid() {
	m=$(cat "$VT/m")
	sysfs_set "$CLASS/$m/weight" 200
	sysfs_set "$CLASS/$m/cap" 300
	expect_bad_values cap EINVAL abc -1 ""
	expect_write_errno EINVAL "$CLASS/$m/cap" 199
	expect_write_errno EINVAL "$CLASS/$m/cap" 1
	expect_bad_values cap ERANGE 1001
	expect_nl_refused EINVAL SLICE_SET --bin SLICE_UUID="$m" --u32 SLICE_CAP=100
	expect_refused EINVAL vgpuctl slice set "$m" --cap 100
	# A weight above the cap is refused the same way.
	expect_write_errno EINVAL "$CLASS/$m/weight" 301
	# All given values are checked before any is applied.
	expect_nl_refused EINVAL SLICE_SET --bin SLICE_UUID="$m" \
		--u32 SLICE_WEIGHT=400 --u32 SLICE_CAP=350
	expect_nl_refused ERANGE SLICE_SET --bin SLICE_UUID="$m" \
		--u32 SLICE_WEIGHT=250 --u32 SLICE_PRIORITY=8
	expect_attr "$CLASS/$m/weight" 200
	expect_attr "$CLASS/$m/cap" 300
	sysfs_set "$CLASS/$m/cap" 0
	sysfs_set "$CLASS/$m/weight" 125
}

t_priority_invalid() {
	expect_bad_values priority ERANGE 8 4294967296
	expect_bad_values priority EINVAL -1 high ""
	n=$(cat "$VT/n")
	expect_nl_refused ERANGE SLICE_SET --bin SLICE_UUID="$n" --u32 SLICE_PRIORITY=8
	expect_bad_attr SLICE_PRIORITY
}

t_timeslice_invalid() {
	expect_bad_values timeslice_us ERANGE 999 100001 1
	expect_bad_values timeslice_us EINVAL abc -1
	n=$(cat "$VT/n")
	for v in 999 100001; do
		expect_nl_refused ERANGE SLICE_SET --bin SLICE_UUID="$n" \
			--u32 SLICE_TIMESLICE_US="$v"
		expect_bad_attr SLICE_TIMESLICE_US
	done
}

t_tenant_invalid() {
	t64=$(printf 'x%.0s' $(seq 64))
	t100=$(printf 'y%.0s' $(seq 100))
	expect_bad_values tenant EINVAL "$t64" "$t100" "$(printf 'a\001b')" \
		"$(printf 'tab\there')" "$(printf 'esc\033[1m')" "$(printf 'del\177')"
	n=$(cat "$VT/n")
	expect_nl_refused EINVAL SLICE_SET --bin SLICE_UUID="$n" --str SLICE_TENANT="$t64"
	expect_bad_attr SLICE_TENANT
	expect_nl_refused EINVAL SLICE_SET --bin SLICE_UUID="$n" \
		--str SLICE_TENANT="$(printf 'a\001b')"
}

t_mem_quota() {
	m=$(cat "$VT/m")
	s=$CLASS/$m
	q=$(rd "$s/mem_quota")
	free=$(rd "$CLASS/vgpu0/mem_free")
	# Exactly all the free memory fits; one MiB more does not.
	expect_write_errno ENOSPC "$s/mem_quota" $((q + free + MiB))
	expect_write_errno ENOSPC "$s/mem_quota" $((64 * G16))
	expect_nl_refused ENOSPC SLICE_SET --bin SLICE_UUID="$m" \
		--u64 SLICE_MEM_QUOTA=$((q + free + MiB))
	expect_refused ENOSPC vgpuctl slice set "$m" --memory 100G
	sysfs_set "$s/mem_quota" $((q + free))
	expect_attr "$CLASS/vgpu0/mem_free" 0
	sysfs_set "$s/mem_quota" "$q"
	expect_attr "$CLASS/vgpu0/mem_free" "$free"
	# Below the smallest quota (1 MiB), or not a number.
	expect_bad_values mem_quota ERANGE 0 $((MiB - 1)) 99999999999999999999
	expect_bad_values mem_quota EINVAL abc -1 "" 1G
	expect_nl_refused ERANGE SLICE_SET --bin SLICE_UUID="$m" --u64 SLICE_MEM_QUOTA=0
	expect_bad_attr SLICE_MEM_QUOTA
}

# Read-only attributes stay read-only.
t_read_only() {
	m=$(cat "$VT/m")
	for a in gpu type mdev mem_used mem_peak; do
		expect_fail sysfs_write "$CLASS/$m/$a" 1
	done
	for a in id name pci uuid memory sms mem_free weight_free nr_slices; do
		expect_fail sysfs_write "$CLASS/vgpu0/$a" 1
	done
	expect_attr "$CLASS/$m/mdev" 1
}

run t_setup
run t_sysfs_set
run t_vgpuctl_set
run t_weight_invalid
run t_cap_invalid
run t_priority_invalid
run t_timeslice_invalid
run t_tenant_invalid
run t_mem_quota
run t_read_only
finish
