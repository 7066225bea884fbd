#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 99-bench: the module's benchmarks, run by 'make bench' (run.sh --bench);
# figures only, nothing asserted.  Lease hand-off between two processes as
# a ratio to a futex ping-pong measured in the same VM, and charge/uncharge
# ioctls per second.  Under TCG every figure is far slower than on
# hardware; the ratio is what carries over.
. /vgpu/lib.sh
case_begin

if [ "$VGPU_BENCH" != 1 ]; then
	echo "# $CASE: skipped (make bench runs it)"
	finish
fi

t_bench() {
	g=$(new_sim_gpu 16G 132)
	a=$(new_slice "$g" 1g.2gb)
	b=$(new_slice "$g" 1g.2gb)
	expect_ok vgpu-test bench "/dev/vgpu/$a" "/dev/vgpu/$b"
	printf '%s\n' "$OUT" | sed 's/^/BENCH /'
}

run t_bench
finish
