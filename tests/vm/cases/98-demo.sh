#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 98-demo: what an operator does, shown by 'make demo' (run.sh --demo):
# register a GPU (simulated here), look at its slice types, give three
# tenants a slice each, run their CUDA programs under libvgpu (on the
# simulated GPU, kernel backend) and look at what each got.  It asserts
# that every step works; its output is the demonstration.
. /vgpu/lib.sh
case_begin

if [ "$VGPU_DEMO" != 1 ]; then
	echo "# $CASE: skipped (make demo runs it)"
	finish
fi

# show CMD...: print the command and its output for the demo.
show() {
	echo "DEMO \$ $*"
	expect_ok "$@" || return 1
	printf '%s\n' "$OUT" | sed 's/^/DEMO /'
}

t_demo() {
	show vgpuctl gpu add --sim --name "Simulated H100 80GB" --memory 80G --sms 132
	show vgpuctl --table type list 0
	a=$(new_slice 0 2g.20gb --weight 200 --tenant team-a)
	b=$(new_slice 0 2g.20gb --weight 300 --tenant team-b)
	c=$(new_slice 0 4g.40gb --weight 500 --tenant team-c)
	echo "DEMO \$ vgpuctl slice create 0 2g.20gb --weight 200 --tenant team-a   (and team-b 300, team-c 4g.40gb 500)"
	show vgpuctl --table slice list
	show vgpuctl --table type list 0
	echo "DEMO"
	echo "DEMO three tenants, each a CUDA program under libvgpu (LD_PRELOAD, VGPU_SLICE=<its slice>),"
	echo "DEMO launching 1 ms kernels flat out on the simulated GPU for 2 s; the kernel arbitrates:"
	if [ "$VGPU_HAVE_LIBVGPU" = 1 ]; then
		LD_LIBRARY_PATH=/vgpu/lib LT_PRELOAD=/vgpu/lib/libvgpu.so.1 VGPU_BACKEND=kernel \
			LT_SLICES=$a,$b,$c VGPU_SLICE=$a \
			expect_ok sh /vgpu/lt/run.sh /vgpu/lt/test_share || return 1
		printf '%s\n' "$OUT" | sed -n 's/^ */DEMO   /p' | grep -v 'ms kernels'
	else
		echo "DEMO   (libvgpu was not built: make user libvgpu-test)"
	fi
	echo "DEMO"
	show vgpuctl --table slice show "$c"
}

run t_demo
finish
