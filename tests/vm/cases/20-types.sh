#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 20-types: the four slice types of a GPU (1/8, 1/4, 1/2, all), their names
# (<eighths>g.<GB>gb, or <MiB>mb below 1 GiB), descriptions, and
# available_instances as slices of every size come and go.
. /vgpu/lib.sh
case_begin

TYPES16="1g.2gb 2g.4gb 4g.8gb 8g.16gb"

# expect_available GPU "A1 A2 A4 A8": available_instances of the four types,
# and the same counts from vgpuctl type list and from TYPE_GET.
expect_available() {
	g=$1
	want=$2
	expect_eq "$(available "$g")" "$want" "available_instances of vgpu$g (1/8 1/4 1/2 1)"
	json vgpuctl --json type list "$g"
	set -- $want
	for t in $(type_names "$g"); do
		expect_json name "$t" available "${1:-}"
		[ $# = 0 ] || shift
	done
	# TYPE_GET agrees: each reply has TYPE_NAME, then TYPE_AVAILABLE.
	expect_nl 0 TYPE_GET --dump --u32 GPU_ID="$g"
	expect_eq "$(nl_replies)" 4 "TYPE_GET replies for vgpu$g"
	set -f
	oifs=$IFS
	IFS=$NL
	for l in $OUT; do
		case $l in
		"  TYPE_NAME="*) t=${l#*=} ;;
		"  TYPE_AVAILABLE="*)
			expect_eq "${l#*=}" "$(json_field name "$t" available)" \
				"TYPE_AVAILABLE of $t on vgpu$g" ;;
		esac
	done
	IFS=$oifs
	set +f
}

t_names() {
	g=$(new_sim_gpu 16G 132)
	expect_eq "$(type_names "$g" | tr '\n' ' ' | sed 's/ $//')" "$TYPES16" "types of a 16 GiB GPU"
	for t in $TYPES16; do
		d=$(type_dir "$g" "$t")
		expect_attr "$d/device_api" vfio-pci
		expect_ne "$(rd "$d/name")" "" "$d/name"
		expect_exists "$d/create"
		expect_eq "$(ls "$d/devices" | wc -l)" 0 "entries in $d/devices"
	done
}

# Below 1 GiB a type's memory is named in MiB; above, whole GiB rounded down.
t_names_small() {
	g=$(new_sim_gpu 4G 8)
	expect_eq "$(type_names "$g" | tr '\n' ' ' | sed 's/ $//')" \
		"1g.512mb 2g.1gb 4g.2gb 8g.4gb" "types of a 4 GiB GPU"
	# Memory rounds to the nearest GiB, as MIG names an 80 GB H100's
	# 1/8 (9.95 GiB) 1g.10gb: 1.5 GiB is 4g.2gb.
	h=$(new_sim_gpu 3G 8)
	expect_eq "$(type_names "$h" | tr '\n' ' ' | sed 's/ $//')" \
		"1g.384mb 2g.768mb 4g.2gb 8g.3gb" "types of a 3 GiB GPU"
	expect_eq "$(rd "$(type_dir "$h" 4g.2gb)/description" | sed -n 's/^memory=//p')" \
		$((3 * GiB / 2)) "memory= of 4g.2gb on a 3 GiB GPU"
	expect_ok vgpuctl gpu del "$g"
	expect_ok vgpuctl gpu del "$h"
}

t_descriptions() {
	e=1
	for t in $TYPES16; do
		desc=$(rd "$(type_dir 0 "$t")/description")
		mem=$((2 * GiB * e))
		w=$((125 * e))
		expect_contains "$desc" "memory=$mem" "description of $t"
		expect_eq "$(printf '%s\n' "$desc" | sed -n 's/^memory=//p')" "$mem" "memory= of $t"
		expect_eq "$(printf '%s\n' "$desc" | sed -n 's/^weight=//p')" "$w" "weight= of $t"
		expect_match "$desc" '^fraction=' "description of $t"
		expect_match "$desc" '^sms=[0-9]' "description of $t"
		e=$((e * 2))
	done
	json vgpuctl --json type list 0
	expect_eq "$(json_count name)" 4 "types of GPU 0 in vgpuctl --json type list 0"
	expect_json name 1g.2gb memory $((2 * GiB))
	expect_json name 1g.2gb weight 125
	expect_json name 8g.16gb weight 1000
	expect_nl 0 TYPE_GET --dump --u32 GPU_ID=0
	expect_eq "$(nl_replies)" 4 "TYPE_GET replies for GPU 0"
	expect_contains "$OUT" "  TYPE_NAME=4g.8gb" "TYPE_GET reply"
	expect_contains "$OUT" "  TYPE_MEMORY=$((8 * GiB))" "TYPE_GET reply"
	expect_contains "$OUT" "  TYPE_WEIGHT=500" "TYPE_GET reply"
}

t_available_initial() {
	expect_available 0 "8 4 2 1"
	expect_ok vgpuctl type list
	expect_field "$OUT" 8g.16gb "vgpuctl type list"
}

t_available_one_half() {
	u=$(new_mdev 0 4g.8gb)
	expect_available 0 "4 2 1 0"
	expect_eq "$(ls "$(type_dir 0 4g.8gb)/devices")" "$u" "devices of vgpu-4g.8gb"
	expect_attr "$CLASS/vgpu0/mem_free" $((8 * GiB))
	expect_attr "$CLASS/vgpu0/weight_free" 500
	remove_mdev "$u"
	expect_available 0 "8 4 2 1"
	expect_attr "$CLASS/vgpu0/mem_free" $((16 * GiB))
	expect_attr "$CLASS/vgpu0/weight_free" 1000
}

t_available_mixed() {
	a=$(new_mdev 0 4g.8gb)
	expect_available 0 "4 2 1 0"
	b=$(new_slice 0 1g.2gb)
	expect_available 0 "3 1 0 0"
	c=$(new_mdev 0 2g.4gb)
	expect_available 0 "1 0 0 0"
	expect_attr "$CLASS/vgpu0/mem_free" $((2 * GiB))
	expect_attr "$CLASS/vgpu0/weight_free" 125
	expect_attr "$CLASS/vgpu0/nr_slices" 3
	expect_ok vgpuctl slice destroy "$b"
	expect_available 0 "2 1 0 0"
	remove_mdev "$a"
	expect_available 0 "6 3 1 0"
	remove_mdev "$c"
	expect_available 0 "8 4 2 1"
	expect_attr "$CLASS/vgpu0/nr_slices" 0
}

# A slice whose quota and weight override its type's counts what it holds.
t_available_override() {
	expect_nl 0 SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--u64 SLICE_MEM_QUOTA=$((6 * GiB)) --u32 SLICE_WEIGHT=125
	u=$(printf '%s\n' "$OUT" | sed -n 's/^  SLICE_UUID=//p')
	expect_exists "$CLASS/$u"
	expect_attr "$CLASS/$u/mem_quota" $((6 * GiB))
	expect_available 0 "5 2 1 0"
	expect_ok vgpuctl slice destroy "$u"
	expect_available 0 "8 4 2 1"
}

run t_names
run t_names_small
run t_descriptions
run t_available_initial
run t_available_one_half
run t_available_mixed
run t_available_override
finish
