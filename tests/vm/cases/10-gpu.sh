#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 10-gpu: registering GPUs (simulated and PCI), their sysfs files, listing,
# live settings, unregistering; every refusal with its errno.
. /vgpu/lib.sh
case_begin

G16=17179869184
UUID_RE='^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

t_add_sim() {
	expect_ok vgpuctl gpu add --sim --name t --memory 16G --sms 132
	d=$CLASS/vgpu0
	expect_exists "$d"
	expect_attr "$d/id" 0
	expect_attr "$d/name" t
	expect_attr "$d/pci" sim
	expect_attr "$d/memory" "$G16"
	expect_attr "$d/sms" 132
	expect_match "$(rd "$d/uuid")" "$UUID_RE" "$d/uuid"
	# The header leaves the default policy open: one of the three.
	expect_match "$(rd "$d/policy")" '^(best_effort|equal_share|fixed_share)$' "$d/policy"
	expect_attr "$d/timeslice_us" 10000
	expect_attr "$d/period_us" 100000
	expect_attr "$d/mem_free" "$G16"
	expect_attr "$d/weight_free" 1000
	expect_attr "$d/nr_slices" 0
	expect_absent "$d/device"
	expect_exists "$d/mdev_supported_types"
	expect_exists /sys/class/mdev_bus/vgpu0
}

# The same GPU through netlink and through vgpuctl's JSON.
t_get_sim() {
	u=$(rd "$CLASS/vgpu0/uuid")
	expect_nl 0 GPU_GET --u32 GPU_ID=0
	expect_eq "$(nl_replies)" 1 "GPU_GET replies"
	for a in GPU_ID=0 GPU_NAME=t GPU_MEMORY=$G16 GPU_SMS=132 \
		GPU_TIMESLICE_US=10000 GPU_PERIOD_US=100000 \
		GPU_MEM_FREE=$G16 GPU_WEIGHT_FREE=1000 GPU_NR_SLICES=0 \
		"GPU_UUID=${u#GPU-}"; do
		expect_contains "$OUT" "  $a" "GPU_GET reply"
	done
	expect_contains "$OUT" "  GPU_SIM" "GPU_GET reply"
	expect_contains "$OUT" "  GPU_MDEV" "GPU_GET reply"
	expect_lacks "$OUT" "  GPU_PCI" "GPU_GET reply of a simulated GPU"

	json vgpuctl --json gpu show 0
	for kv in id=0 name=t memory=$G16 sms=132 timeslice_us=10000 \
		period_us=100000 mem_free=$G16 weight_free=1000 slices=0 \
		uuid=$u mdev=true; do
		expect_eq "$(json_values "${kv%%=*}")" "${kv#*=}" "vgpuctl --json gpu show 0: ${kv%%=*}"
	done
}

t_uuid() {
	u=$(uuidgen)
	g=$(new_sim_gpu 1G 8 --uuid "$u")
	expect_attr "$CLASS/vgpu$g/uuid" "GPU-$u"
	expect_refused EEXIST vgpuctl gpu add --sim --name dup --memory 1G --sms 8 --uuid "$u"
	expect_refused EEXIST vgpuctl gpu add --sim --name dup --memory 1G --sms 8 --uuid "GPU-$u"
	expect_nl_refused EEXIST GPU_NEW --flag GPU_SIM --str GPU_NAME=dup \
		--u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8 --bin GPU_UUID="$u"
	expect_ok vgpuctl gpu del "$g"
}

t_add_pci() {
	addr=$(display_pci)
	g=$(new_gpu --pci "$addr" --name p --memory 1G --sms 8)
	d=$CLASS/vgpu$g
	expect_attr "$d/pci" "$addr"
	expect_attr "$d/name" p
	expect_attr "$d/memory" "$GiB"
	expect_eq "$(readlink -f "$d/device")" "$(readlink -f "/sys/bus/pci/devices/$addr")" "$d/device"
	expect_nl 0 GPU_GET --u32 GPU_ID="$g"
	expect_contains "$OUT" "  GPU_PCI=$addr" "GPU_GET reply"
	expect_lacks "$OUT" "  GPU_SIM" "GPU_GET reply of a PCI GPU"
	json vgpuctl --json gpu show "$g"
	expect_eq "$(json_values pci)" "$addr" "vgpuctl --json gpu show: pci"
}

t_pci_twice() {
	addr=$(display_pci)
	expect_refused EEXIST vgpuctl gpu add --pci "$addr" --name p2 --memory 1G --sms 8
	expect_nl_refused EEXIST GPU_NEW --str GPU_PCI="$addr" --str GPU_NAME=p2 \
		--u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8
}

t_pci_missing() {
	addr=0000:00:1f.7
	expect_absent "/sys/bus/pci/devices/$addr"
	expect_refused ENODEV vgpuctl gpu add --pci "$addr" --name x --memory 1G --sms 8
	expect_nl_refused ENODEV GPU_NEW --str GPU_PCI="$addr" --str GPU_NAME=x \
		--u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8
}

t_pci_not_display() {
	addr=0000:00:00.0
	expect_match "$(rd "/sys/bus/pci/devices/$addr/class")" '^0x0[0-24-9]' "class of $addr"
	expect_refused EINVAL vgpuctl gpu add --pci "$addr" --name x --memory 1G --sms 8
	expect_nl_refused EINVAL GPU_NEW --str GPU_PCI="$addr" --str GPU_NAME=x \
		--u64 GPU_MEMORY=$GiB --u32 GPU_SMS=8
}

t_list_show() {
	g=$(new_sim_gpu 2G 16)
	expect_ok vgpuctl gpu list
	expect_eq "$(printf '%s\n' "$OUT" | grep -c .)" "$(gpu_ids | wc -l)" "lines of vgpuctl gpu list"
	expect_field "$OUT" t "vgpuctl gpu list"
	expect_field "$OUT" "sim$g" "vgpuctl gpu list"
	expect_field "$OUT" "$G16" "vgpuctl gpu list (plain: raw integers)"

	json vgpuctl --json gpu list
	expect_eq "$(json_count id)" "$(gpu_ids | wc -l)" "GPUs in vgpuctl --json gpu list"
	expect_json id 0 name t
	expect_json id 0 memory "$G16"
	expect_json id "$g" name "sim$g"
	expect_json id "$g" memory $((2 * GiB))
	expect_json id "$g" sms 16

	expect_ok vgpuctl gpu show 0
	expect_field "$OUT" t "vgpuctl gpu show 0"
	expect_field "$OUT" 132 "vgpuctl gpu show 0"
	json vgpuctl --json gpu show "vgpu$g"
	expect_eq "$(json_values id)" "$g" "vgpuctl --json gpu show vgpu$g: id"

	expect_nl 0 GPU_GET --dump
	expect_eq "$(nl_replies)" "$(gpu_ids | wc -l)" "GPU_GET dump replies"
	expect_refused ENOENT vgpuctl gpu show 77
	expect_nl ENOENT GPU_GET --u32 GPU_ID=77
}

t_set() {
	d=$CLASS/vgpu0
	expect_ok vgpuctl gpu set 0 --policy fixed-share
	expect_attr "$d/policy" fixed_share
	expect_ok vgpuctl gpu set 0 --timeslice-us 5000
	expect_attr "$d/timeslice_us" 5000
	expect_ok vgpuctl gpu set 0 --period-us 20000
	expect_attr "$d/period_us" 20000
	expect_ok vgpuctl gpu set 0 --policy equal-share --timeslice-us 2000 --period-us 50000
	expect_attr "$d/policy" equal_share
	expect_attr "$d/timeslice_us" 2000
	expect_attr "$d/period_us" 50000
	json vgpuctl --json gpu show 0
	expect_eq "$(json_values timeslice_us)" 2000 "vgpuctl --json gpu show 0: timeslice_us"

	for p in best_effort equal_share fixed_share; do
		sysfs_set "$d/policy" "$p"
		expect_attr "$d/policy" "$p"
	done
	for v in 1000 100000 10000; do
		sysfs_set "$d/timeslice_us" "$v"
		expect_attr "$d/timeslice_us" "$v"
	done
	for v in 10000 10000000 100000; do
		sysfs_set "$d/period_us" "$v"
		expect_attr "$d/period_us" "$v"
	done
	expect_nl 0 GPU_SET --u32 GPU_ID=0 --u32 GPU_POLICY=1 --u32 GPU_TIMESLICE_US=3000
	expect_attr "$d/policy" best_effort
	expect_attr "$d/timeslice_us" 3000
}

t_set_invalid() {
	d=$CLASS/vgpu0
	# vgpuctl refuses out-of-range values itself, naming the option.
	for v in 999 100001; do
		_state_before
		expect_fail vgpuctl gpu set 0 --timeslice-us "$v"
		expect_contains "$ERR" --timeslice-us "vgpuctl's message"
		_unchanged "$_before" "vgpuctl gpu set 0 --timeslice-us $v"
	done
	# The kernel: out-of-range integers are ERANGE (lib/nlattr.c), and
	# sysfs gives the errno of the netlink command.
	for v in 999 100001 0; do
		expect_nl_refused ERANGE GPU_SET --u32 GPU_ID=0 --u32 GPU_TIMESLICE_US="$v"
		expect_bad_attr GPU_TIMESLICE_US
	done
	for v in 999 100001; do
		expect_write_errno ERANGE "$d/timeslice_us" "$v"
	done
	for v in 9999 10000001; do
		expect_nl_refused ERANGE GPU_SET --u32 GPU_ID=0 --u32 GPU_PERIOD_US="$v"
		expect_bad_attr GPU_PERIOD_US
		expect_write_errno ERANGE "$d/period_us" "$v"
	done
	expect_nl_refused ERANGE GPU_SET --u32 GPU_ID=0 --u32 GPU_POLICY=4
	expect_bad_attr GPU_POLICY
	for v in bogus "" best_effortx; do
		expect_write_errno EINVAL "$d/policy" "$v"
	done
	for v in abc "" 12abc; do
		expect_write_errno EINVAL "$d/timeslice_us" "$v"
	done
	expect_refused EINVAL echo_to "$d/policy" bogus
	expect_refused ERANGE echo_to "$d/timeslice_us" 999
	# All given values are checked before any is applied.
	expect_nl_refused ERANGE GPU_SET --u32 GPU_ID=0 --u32 GPU_POLICY=3 \
		--u32 GPU_TIMESLICE_US=999
	expect_refused ENOENT vgpuctl gpu set 77 --policy fixed-share
	expect_nl_refused ENOENT GPU_SET --u32 GPU_ID=77 --u32 GPU_POLICY=1
}

t_del() {
	g=$(new_sim_gpu 1G 8)
	expect_ok vgpuctl gpu del "$g"
	expect_absent "$CLASS/vgpu$g"
	expect_absent "/sys/class/mdev_bus/vgpu$g"
	expect_refused ENOENT vgpuctl gpu del "$g"
	expect_nl_refused ENOENT GPU_DEL --u32 GPU_ID=4242
	g=$(new_sim_gpu 1G 8)
	expect_nl 0 GPU_DEL --u32 GPU_ID="$g"
	expect_absent "$CLASS/vgpu$g"
}

t_del_busy() {
	g=$(new_sim_gpu)
	m=$(new_mdev "$g" 1g.2gb)
	n=$(new_slice "$g" 1g.2gb)
	expect_refused EBUSY vgpuctl gpu del "$g"
	expect_nl_refused EBUSY GPU_DEL --u32 GPU_ID="$g"
	expect_attr "$CLASS/vgpu$g/nr_slices" 2
	expect_ok vgpuctl gpu del "$g" --force
	for p in "$CLASS/vgpu$g" "$CLASS/$m" "$CLASS/$n" "/dev/vgpu/$m" \
		"/dev/vgpu/$n" "$MDEV_DEVICES/$m"; do
		expect_absent "$p"
	done
	expect_nl ENOENT SLICE_GET --bin SLICE_UUID="$n"

	g=$(new_sim_gpu)
	m=$(new_mdev "$g" 2g.4gb)
	n=$(new_slice "$g" 2g.4gb)
	expect_nl 0 GPU_DEL --u32 GPU_ID="$g" --flag FORCE
	for p in "$CLASS/vgpu$g" "$CLASS/$m" "$CLASS/$n" "$MDEV_DEVICES/$m"; do
		expect_absent "$p"
	done
}

run t_add_sim
run t_get_sim
run t_uuid
run t_add_pci
run t_pci_twice
run t_pci_missing
run t_pci_not_display
run t_list_show
run t_set
run t_set_invalid
run t_del
run t_del_busy
finish
