#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 92-faults: a killed lease holder gives back its lease and charges at
# once; a storm of killed processes leaves the ledger at exactly zero and
# no lease held; slices removed and the module unloaded after all that.
. /vgpu/lib.sh
case_begin

t_kill_holder() {
	g=$(new_sim_gpu 16G 132)
	s=$(new_slice "$g" 2g.4gb --timeslice-us 100000)
	mkfifo "$VT/ready"
	vgpu-test hold "/dev/vgpu/$s" >"$VT/ready" &
	pid=$!
	trap 'kill -9 $pid 2>/dev/null || :' EXIT
	read -r _line <"$VT/ready"
	case $_line in holding*) ;; *) fail "holder said '$_line'" ;; esac
	expect_attr "$CLASS/$s/stats/contexts" 1
	# While it lives the lease is taken: a non-blocking try fails.
	expect_fail vgpu-test idle "/dev/vgpu/$s"
	kill -9 "$pid"
	wait "$pid" || true
	# Its file is closed before wait returns: nothing held, nothing charged.
	expect_ok vgpu-test idle "/dev/vgpu/$s"
	expect_attr "$CLASS/$s/mem_used" 0
	expect_attr "$CLASS/$s/stats/contexts" 0
}

t_storm() {
	s=$(new_slice 0 2g.4gb --memory 16M)
	expect_ok vgpu-test storm "/dev/vgpu/$s" 8 4 7
	expect_ok vgpu-test idle "/dev/vgpu/$s"
	expect_attr "$CLASS/$s/mem_used" 0
	expect_attr "$CLASS/$s/stats/contexts" 0
}

# A slice removed under an open file: the netlink delete is refused while
# it is open; the mdev remove revokes the file.
t_remove_open() {
	s=$(new_slice 0 1g.2gb)
	mkfifo "$VT/ready2"
	vgpu-test hold "/dev/vgpu/$s" >"$VT/ready2" &
	pid=$!
	pid2=
	trap 'kill -9 $pid $pid2 2>/dev/null || :' EXIT
	read -r _line <"$VT/ready2"
	# (Not expect_refused: the holder's live counters move meanwhile.)
	expect_errno EBUSY vgpuctl slice destroy "$s"
	expect_exists "$CLASS/$s"
	m=$(new_mdev 0 1g.2gb)
	mkfifo "$VT/ready3"
	vgpu-test hold "/dev/vgpu/$m" >"$VT/ready3" &
	pid2=$!
	read -r _line <"$VT/ready3"
	remove_mdev "$m"
	expect_absent "$CLASS/$m"
	kill -9 "$pid" "$pid2"
	wait "$pid" "$pid2" || true
	expect_ok vgpuctl slice destroy "$s"
}

t_unload_after() {
	expect_ok rmmod vgpu
	expect_absent "$CLASS"
	expect_ok modprobe vgpu
}

run t_kill_holder
run t_storm
run t_remove_open
run t_unload_after
finish
