#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 60-badinput: malformed input through the mdev create file and hand-made
# netlink requests (nlraw): each refused with its errno and, for netlink, an
# extended-ack sentence (pointing at the attribute where it is one), and the
# state unchanged.  Out-of-range integers give ERANGE (lib/nlattr.c); other
# bad values, wrong lengths and unknown or unexpected attributes give EINVAL
# (include/uapi/linux/vgpu.h).
. /vgpu/lib.sh
case_begin

SIM="--flag GPU_SIM --str GPU_NAME=x --u32 GPU_SMS=8"
NEWGPU="GPU_NEW $SIM --u64 GPU_MEMORY=1073741824"

t_setup() {
	g=$(new_sim_gpu 16G 132)
	expect_eq "$g" 0 "GPU id"
	new_mdev 0 1g.2gb >"$VT/m"
	new_slice 0 1g.2gb >"$VT/n"
}

t_mdev_bad_uuids() {
	u=$(uuidgen)
	c=$(type_dir 0 1g.2gb)/create
	for v in "" not-a-uuid 1234 zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz \
		"${u}0" "$(echo "$u" | tr -d -)" "{$u}" "${u%?}" " $u" \
		"$(echo "$u" | tr - _)"; do
		expect_write_errno EINVAL "$c" "$v"
	done
	expect_refused EINVAL echo_to "$c" not-a-uuid
	expect_absent "$MDEV_DEVICES/$u"
}

t_mdev_duplicate() {
	m=$(cat "$VT/m")
	n=$(cat "$VT/n")
	expect_write_errno EEXIST "$(type_dir 0 1g.2gb)/create" "$m"
	expect_write_errno EEXIST "$(type_dir 0 2g.4gb)/create" "$m"
	# The UUIDs of both kinds of slices are one name space.
	expect_write_errno EEXIST "$(type_dir 0 1g.2gb)/create" "$n"
	expect_refused EEXIST vgpuctl slice create 0 1g.2gb --uuid "$m"
	expect_nl_refused EEXIST SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--bin SLICE_UUID="$m"
	expect_nl_refused EEXIST SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=2g.4gb \
		--bin SLICE_UUID="$n"
	expect_nl_refused EEXIST GPU_NEW $SIM --u64 GPU_MEMORY=$GiB \
		--bin GPU_UUID="$(rd "$CLASS/vgpu0/uuid" | sed 's/^GPU-//')"
}

t_unknown_attr() {
	max=$(nlraw --attr-max)
	for t in $((max + 1)) 1000 16383; do
		expect_nl_refused EINVAL $NEWGPU --u32 "$t"=1
		expect_bad_attr "$t"
	done
	expect_nl_refused EINVAL GPU_GET --u32 GPU_ID=0 --u32 $((max + 1))=1
	expect_bad_attr $((max + 1))
	expect_nl_refused EINVAL SLICE_GET --dump --u32 $((max + 1))=1
}

t_attr_not_taken() {
	n=$(cat "$VT/n")
	expect_nl_refused EINVAL GPU_DEL --u32 GPU_ID=0 --str SLICE_TENANT=x
	expect_bad_attr SLICE_TENANT
	expect_nl_refused EINVAL $NEWGPU --u64 GPU_MEM_FREE=5
	expect_bad_attr GPU_MEM_FREE
	expect_nl_refused EINVAL $NEWGPU --u32 GPU_NR_SLICES=1
	expect_bad_attr GPU_NR_SLICES
	expect_nl_refused EINVAL $NEWGPU --flag GPU_MDEV
	expect_bad_attr GPU_MDEV
	expect_nl_refused EINVAL GPU_SET --u32 GPU_ID=0 --u32 GPU_SMS=99
	expect_bad_attr GPU_SMS
	expect_nl_refused EINVAL SLICE_DEL --bin SLICE_UUID="$n" --u32 GPU_SMS=3
	expect_bad_attr GPU_SMS
	expect_nl_refused EINVAL SLICE_SET --bin SLICE_UUID="$n" --u32 SLICE_UID=5
	expect_bad_attr SLICE_UID
	expect_nl_refused EINVAL SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--flag SLICE_MDEV
	expect_bad_attr SLICE_MDEV
	expect_nl_refused EINVAL GPU_GET --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb
	expect_bad_attr TYPE_NAME
}

t_oversized_strings() {
	s63=$(printf 'n%.0s' $(seq 63))
	s64=$(printf 'n%.0s' $(seq 64))
	s32=$(printf 't%.0s' $(seq 32))
	expect_nl_refused EINVAL GPU_NEW --flag GPU_SIM --str GPU_NAME="$s64" \
		--u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8
	expect_bad_attr GPU_NAME
	expect_nl_refused EINVAL GPU_NEW --flag GPU_SIM --raw GPU_NAME=100 \
		--u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8
	expect_bad_attr GPU_NAME
	expect_nl_refused EINVAL GPU_NEW --str GPU_PCI=0000:00:02.00000000 \
		--str GPU_NAME=x --u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8
	expect_bad_attr GPU_PCI
	expect_nl_refused EINVAL SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME="$s32"
	expect_bad_attr TYPE_NAME
	expect_nl_refused EINVAL SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--str SLICE_TENANT="$s64"
	expect_bad_attr SLICE_TENANT
	# 63 characters is the longest name.
	expect_nl 0 GPU_NEW --flag GPU_SIM --str GPU_NAME="$s63" \
		--u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8
	g=$(printf '%s\n' "$OUT" | sed -n 's/^  GPU_ID=//p')
	expect_attr "$CLASS/vgpu$g/name" "$s63"
	expect_nl 0 GPU_DEL --u32 GPU_ID="$g"
}

t_wrong_length() {
	n=$(cat "$VT/n")
	expect_nl_refused EINVAL GPU_NEW --flag GPU_SIM --str GPU_NAME=x \
		--u64 GPU_MEMORY=$GiB --u16 GPU_SMS=8
	expect_bad_attr GPU_SMS
	expect_nl_refused EINVAL GPU_NEW --flag GPU_SIM --str GPU_NAME=x \
		--u64 GPU_MEMORY=$GiB --u64 GPU_SMS=8
	expect_bad_attr GPU_SMS
	expect_nl_refused EINVAL GPU_NEW $SIM --u32 GPU_MEMORY=1073741824
	expect_bad_attr GPU_MEMORY
	expect_nl_refused EINVAL GPU_GET --u8 GPU_ID=0
	expect_bad_attr GPU_ID
	expect_nl_refused EINVAL SLICE_SET --bin SLICE_UUID="$n" --u64 SLICE_WEIGHT=200
	expect_bad_attr SLICE_WEIGHT
	# UUIDs are exactly 16 bytes: the core's length check says ERANGE.
	for bad in "${n%??}" "${n}00" ""; do
		expect_nl_refused ERANGE SLICE_GET --bin SLICE_UUID="$bad"
		expect_bad_attr SLICE_UUID
	done
	expect_nl_refused ERANGE $NEWGPU --bin GPU_UUID=0011223344556677
	expect_bad_attr GPU_UUID
}

t_missing() {
	n=$(cat "$VT/n")
	expect_nl_refused EINVAL SLICE_NEW --str TYPE_NAME=1g.2gb
	expect_nl_refused EINVAL SLICE_NEW --u32 GPU_ID=0
	expect_nl_refused EINVAL GPU_NEW --flag GPU_SIM --str GPU_PCI=0000:00:02.0 \
		--str GPU_NAME=x --u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8
	expect_nl_refused EINVAL GPU_NEW --str GPU_NAME=x --u64 GPU_MEMORY=$GiB \
		--u32 GPU_SMS=8
	expect_nl_refused EINVAL GPU_NEW --flag GPU_SIM --u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8
	expect_nl_refused EINVAL GPU_NEW $SIM
	expect_nl_refused EINVAL GPU_NEW --flag GPU_SIM --str GPU_NAME=x --u64 GPU_MEMORY=$GiB
	expect_nl_refused EINVAL GPU_DEL
	expect_nl_refused EINVAL GPU_SET --u32 GPU_POLICY=1
	expect_nl_refused EINVAL SLICE_DEL
	expect_nl_refused EINVAL SLICE_SET --u32 SLICE_WEIGHT=200
	expect_nl_refused EINVAL GPU_NEW
}

t_out_of_range() {
	# A GPU has 8 MiB to 2^50 bytes (VGPU_GPU_MEM_MIN, VGPU_GPU_MEM_MAX).
	for v in 0 $((MiB - 1)) $((8 * MiB - 1)) $(((1 << 50) + 1)); do
		expect_nl_refused ERANGE GPU_NEW $SIM --u64 GPU_MEMORY="$v"
		expect_bad_attr GPU_MEMORY
	done
	for v in 0 65536; do
		expect_nl_refused ERANGE GPU_NEW --flag GPU_SIM --str GPU_NAME=x \
			--u64 GPU_MEMORY=$GiB --u32 GPU_SMS="$v"
		expect_bad_attr GPU_SMS
	done
	for a in GPU_POLICY=4 GPU_TIMESLICE_US=999 GPU_TIMESLICE_US=100001 \
		GPU_PERIOD_US=9999 GPU_PERIOD_US=10000001; do
		expect_nl_refused ERANGE $NEWGPU --u32 "$a"
		expect_bad_attr "${a%%=*}"
	done
	for a in SLICE_MODE=512 SLICE_PRIORITY=8 SLICE_WEIGHT=0 SLICE_WEIGHT=1001 \
		SLICE_CAP=1001 SLICE_TIMESLICE_US=999; do
		expect_nl_refused ERANGE SLICE_NEW --u32 GPU_ID=0 \
			--str TYPE_NAME=1g.2gb --u32 "$a"
		expect_bad_attr "${a%%=*}"
	done
	expect_nl_refused ERANGE SLICE_NEW --u32 GPU_ID=0 --str TYPE_NAME=1g.2gb \
		--u64 SLICE_MEM_QUOTA=0
	expect_bad_attr SLICE_MEM_QUOTA
}

# Commands the family does not have: the generic netlink core answers.
t_unknown_command() {
	for c in 99 UNSPEC EVENT_CHARGE_REFUSED EVENT_OVERRUN; do
		expect_nl_refused EOPNOTSUPP "$c"
	done
}

# Nothing above left anything behind.
t_state() {
	expect_eq "$(gpu_ids)" 0 "GPUs"
	expect_eq "$(nr_slices_all)" 2 "slices"
	expect_eq "$(available 0)" "6 3 1 0" "available_instances"
}

run t_setup
run t_mdev_bad_uuids
run t_mdev_duplicate
run t_unknown_attr
run t_attr_not_taken
run t_oversized_strings
run t_wrong_length
run t_missing
run t_out_of_range
run t_unknown_command
run t_state
finish
