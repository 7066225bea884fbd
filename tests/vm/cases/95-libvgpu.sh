#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 95-libvgpu: libvgpu's own tests on the kernel backend.  The programs run
# against the simulated GPU (tests/fakecuda) with libvgpu preloaded and
# VGPU_BACKEND=kernel: the quota is the kernel ledger's, the leases the
# kernel arbiter's.  Each test gets fresh slices.
. /vgpu/lib.sh
case_begin

if [ "$VGPU_HAVE_LIBVGPU" != 1 ]; then
	echo "FAIL $CASE: setup: libvgpu and its tests are not in the image (make libvgpu-test)"
	finish
fi
export LD_LIBRARY_PATH=/vgpu/lib LT_PRELOAD=/vgpu/lib/libvgpu.so.1 VGPU_BACKEND=kernel

# lt SLICE PROGRAM [ARGS...]: run a libvgpu test program in SLICE.
lt() {
	_s=$1
	shift
	VGPU_SLICE=$_s expect_ok sh /vgpu/lt/run.sh "/vgpu/lt/$@" || return 1
	printf '%s\n' "$OUT" >&2
}

t_memory() {
	g=$(new_sim_gpu 16G 132)
	expect_eq "$g" 0 "GPU id"
	s=$(new_slice 0 1g.2gb --memory 64M)
	lt "$s" test_mem
	# Every charge went back when the program ended.
	expect_attr "$CLASS/$s/mem_used" 0
	_rdv peak "$CLASS/$s/mem_peak"
	[ "$peak" -le $((64 * MiB)) ] || fail "peak $peak above the 64 MiB quota"
}

t_race() {
	s=$(new_slice 0 1g.2gb --memory 64M)
	lt "$s" test_race
	expect_attr "$CLASS/$s/mem_used" 0
}

t_dlsym() {
	s=$(new_slice 0 1g.2gb --memory 64M)
	lt "$s" test_dlsym
	expect_attr "$CLASS/$s/mem_used" 0
}

t_kill() {
	s=$(new_slice 0 1g.2gb --memory 64M)
	lt "$s" test_kill
	expect_attr "$CLASS/$s/mem_used" 0
	expect_attr "$CLASS/$s/stats/contexts" 0
}

# Shares of the simulated GPU between three processes in slices weighted
# 2:3:5 (test_share reads the weights back and checks within 2 points).
t_shares() {
	if [ "$VGPU_TIMING" = loose ]; then
		# The simulated GPU is itself processes: under KASAN and TCG its
		# tenants keep it busy a quarter of the time, and shares of so
		# little mean nothing.  The stock kernel's run measures them.
		echo "  shares: measured on the stock kernel only" >&2
		return 0
	fi
	expect_ok vgpuctl gpu del 0 --force
	g=$(new_sim_gpu 16G 132)
	a=$(new_slice "$g" 1g.2gb --weight 200)
	b=$(new_slice "$g" 1g.2gb --weight 300)
	c=$(new_slice "$g" 1g.2gb --weight 500)
	LT_SLICES=$a,$b,$c lt "$a" test_share
}

run t_memory
run t_race
run t_dlsym
run t_kill
run t_shares
finish
