#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 91-memory: the per-slice ledger.  The exact quota boundary, racing
# processes that never exceed it, charges given back when a file closes,
# and a quota that cannot drop below what is in use.
. /vgpu/lib.sh
case_begin

t_boundary() {
	g=$(new_sim_gpu 16G 132)
	s=$(new_slice "$g" 1g.2gb --memory 64M)
	expect_ok vgpu-test boundary "/dev/vgpu/$s"
	expect_attr "$CLASS/$s/mem_used" 0
	expect_attr "$CLASS/$s/mem_peak" $((64 * MiB))
	expect_attr "$CLASS/$s/stats/charge_refused" 1
}

t_race() {
	s=$(new_slice 0 1g.2gb --memory 64M)
	expect_ok vgpu-test race "/dev/vgpu/$s" 8
	expect_attr "$CLASS/$s/mem_used" 0
	_rdv peak "$CLASS/$s/mem_peak"
	[ "$peak" -le $((64 * MiB)) ] || fail "peak $peak above the 64 MiB quota"
}

t_quota_below_use() {
	s=$(new_slice 0 1g.2gb --memory 64M)
	mkfifo "$VT/ready"
	vgpu-test hold "/dev/vgpu/$s" >"$VT/ready" &
	pid=$!
	trap 'kill -9 $pid 2>/dev/null || :' EXIT
	read -r _line <"$VT/ready"
	expect_attr "$CLASS/$s/mem_used" $((4 * MiB))
	_capture sysfs_write "$CLASS/$s/mem_quota" $((2 * MiB))
	expect_eq "$RC" "$(errno_num EBUSY)" "quota below the memory in use: $OUT"
	expect_attr "$CLASS/$s/mem_quota" $((64 * MiB))
	kill -9 "$pid"
	wait "$pid" || true
	# The killed process's charge was given back when its file closed.
	expect_attr "$CLASS/$s/mem_used" 0
	sysfs_set "$CLASS/$s/mem_quota" $((2 * MiB))
	expect_attr "$CLASS/$s/mem_quota" $((2 * MiB))
}

run t_boundary
run t_race
run t_quota_below_use
finish
