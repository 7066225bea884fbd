#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 30-slice-mdev: slices created and removed through the standard mdev sysfs
# files, and through mdevctl (with attrs) when the VM has it.
. /vgpu/lib.sh
case_begin

G16=17179869184

t_setup() {
	g=$(new_sim_gpu 16G 132)
	expect_eq "$g" 0 "GPU id"
}

t_create() {
	u=$(uuidgen)
	d=$(type_dir 0 1g.2gb)
	sysfs_set "$d/create" "$u"
	expect_exists "$MDEV_DEVICES/$u"
	expect_match "$(readlink "$MDEV_DEVICES/$u/mdev_type")" '/vgpu-1g\.2gb$' "$MDEV_DEVICES/$u/mdev_type"
	expect_eq "$(ls "$d/devices")" "$u" "devices of vgpu-1g.2gb"
	expect_exists "$CLASS/$u"
	expect_node "/dev/vgpu/$u" 600 0 0
	s=$CLASS/$u
	expect_attr "$s/gpu" 0
	expect_attr "$s/type" 1g.2gb
	expect_attr "$s/mem_quota" $((2 * GiB))
	expect_attr "$s/weight" 125
	expect_attr "$s/cap" 0
	expect_attr "$s/timeslice_us" 0
	expect_attr "$s/priority" 0
	expect_attr "$s/mdev" 1
	expect_attr "$s/mem_used" 0
	expect_attr "$s/mem_peak" 0
	rd "$s/tenant" >/dev/null
	# The writable attributes are in the mdev directory too (mdevctl attrs).
	for a in mem_quota weight cap timeslice_us priority tenant; do
		expect_eq "$(rd "$MDEV_DEVICES/$u/$a")" "$(rd "$s/$a")" "$MDEV_DEVICES/$u/$a"
	done
	expect_attr "$CLASS/vgpu0/nr_slices" 1
	expect_attr "$CLASS/vgpu0/mem_free" $((G16 - 2 * GiB))
	expect_attr "$CLASS/vgpu0/weight_free" 875

	expect_ok vgpuctl slice list
	expect_field "$OUT" "$u" "vgpuctl slice list"
	json vgpuctl --json slice show "$u"
	expect_eq "$(json_values uuid)" "$u" "vgpuctl --json slice show: uuid"
	expect_eq "$(json_values mdev)" true "vgpuctl --json slice show: mdev"
	expect_eq "$(json_values type)" 1g.2gb "vgpuctl --json slice show: type"
	expect_nl 0 SLICE_GET --bin SLICE_UUID="$u"
	expect_contains "$OUT" "  SLICE_MDEV" "SLICE_GET reply of an mdev slice"
	expect_contains "$OUT" "  TYPE_NAME=1g.2gb" "SLICE_GET reply"
	echo "$u" >"$VT/slice"
}

t_write_mdev_dir() {
	u=$(cat "$VT/slice")
	sysfs_set "$MDEV_DEVICES/$u/weight" 200
	expect_attr "$CLASS/$u/weight" 200
	expect_attr "$MDEV_DEVICES/$u/weight" 200
	sysfs_set "$CLASS/$u/tenant" team-x
	expect_attr "$MDEV_DEVICES/$u/tenant" team-x
	expect_attr "$CLASS/vgpu0/weight_free" 800
}

t_remove() {
	u=$(cat "$VT/slice")
	remove_mdev "$u"
	for p in "$MDEV_DEVICES/$u" "$CLASS/$u" "/dev/vgpu/$u"; do
		expect_absent "$p"
	done
	expect_eq "$(ls "$(type_dir 0 1g.2gb)/devices")" "" "devices of vgpu-1g.2gb"
	expect_attr "$CLASS/vgpu0/nr_slices" 0
	expect_attr "$CLASS/vgpu0/mem_free" "$G16"
	expect_attr "$CLASS/vgpu0/weight_free" 1000
	expect_ok vgpuctl slice list
	expect_eq "$OUT" "" "vgpuctl slice list after the removal"
	expect_nl ENOENT SLICE_GET --bin SLICE_UUID="$u"
}

# vgpuctl slice destroy removes an mdev slice too (through its remove file).
# SLICE_DEL cannot: on 6.1 a parent driver has no way to remove an mdev
# (mdev_device_remove() is not exported), so it refuses, with a reason.
t_destroy_other_ways() {
	u=$(new_mdev 0 2g.4gb)
	expect_ok vgpuctl slice destroy "$u"
	expect_absent "$MDEV_DEVICES/$u"
	expect_absent "$CLASS/$u"
	u=$(new_mdev 0 2g.4gb)
	expect_nl_refused EOPNOTSUPP SLICE_DEL --bin SLICE_UUID="$u"
	expect_ne "$EXTACK" "" "extack of SLICE_DEL on an mdev slice"
	remove_mdev "$u"
	expect_attr "$CLASS/vgpu0/nr_slices" 0
}

t_mdevctl() {
	u=$(uuidgen)
	expect_ok mdevctl start --uuid "$u" --parent vgpu0 --type vgpu-1g.2gb
	expect_exists "$MDEV_DEVICES/$u"
	expect_attr "$CLASS/$u/type" 1g.2gb
	expect_attr "$CLASS/$u/mdev" 1
	expect_ok mdevctl list
	expect_contains "$OUT" "$u" "mdevctl list"
	expect_ok mdevctl stop --uuid "$u"
	expect_absent "$MDEV_DEVICES/$u"
	expect_absent "$CLASS/$u"
}

# A transient device whose JSON carries attrs: mdevctl writes each to the
# mdev directory after creating it.
t_mdevctl_attrs() {
	u=$(uuidgen)
	cat >"$VT/mdev.json" <<EOF
{"mdev_type": "vgpu-2g.4gb", "start": "manual",
 "attrs": [{"weight": "300"}, {"priority": "3"}, {"tenant": "via-mdevctl"}]}
EOF
	expect_ok mdevctl start --uuid "$u" --parent vgpu0 --jsonfile "$VT/mdev.json"
	expect_attr "$CLASS/$u/type" 2g.4gb
	expect_attr "$CLASS/$u/weight" 300
	expect_attr "$CLASS/$u/priority" 3
	expect_attr "$CLASS/$u/tenant" via-mdevctl
	expect_attr "$CLASS/vgpu0/weight_free" 700
	expect_ok mdevctl stop --uuid "$u"
	expect_absent "$CLASS/$u"
}

# A defined (persistent) device with an attribute added by mdevctl modify.
t_mdevctl_define() {
	u=$(uuidgen)
	expect_ok mdevctl define --uuid "$u" --parent vgpu0 --type vgpu-1g.2gb
	expect_ok mdevctl modify --uuid "$u" --addattr=weight --value=250
	expect_ok mdevctl start --uuid "$u"
	expect_attr "$CLASS/$u/weight" 250
	expect_attr "$MDEV_DEVICES/$u/weight" 250
	expect_ok mdevctl stop --uuid "$u"
	expect_absent "$CLASS/$u"
	expect_ok mdevctl undefine --uuid "$u"
}

run t_setup
run t_create
run t_write_mdev_dir
run t_remove
run t_destroy_other_ways
if [ "$VGPU_HAVE_MDEVCTL" = 1 ]; then
	run t_mdevctl
	run t_mdevctl_attrs
	run t_mdevctl_define
else
	echo "# $CASE: mdevctl is not in the VM: its tests did not run"
fi
finish
