#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 90-leases: time-sliced contexts.  Busy tenants in slices weighted 1:2:7
# share one GPU 10/20/70 (within 3 points) under best effort and fixed
# share; an idle slice's time goes to the others under best effort and is
# left unused under fixed share.  Work is counted by each tenant while it
# holds the lease (vgpu-test shares), and the kernel's charged time agrees.
. /vgpu/lib.sh
case_begin

SECS=3

# slices127 GPU: three slices of GPU weighted 100/200/700; sets A B C.
slices127() {
	A=$(new_slice "$1" 1g.2gb --weight 100 --tenant a)
	B=$(new_slice "$1" 1g.2gb --weight 200 --tenant b)
	C=$(new_slice "$1" 1g.2gb --weight 700 --tenant c)
}

# shares DEV...: run busy tenants; $SHARES gets "held% charged window" per
# device, in order (held%: the tenant's part of the time the tenants held
# leases, measured by the tenants themselves; vgpu-test also prints the
# part of the work done, which the host's scheduling of the VM blurs).
shares() {
	_l=
	for _d in "$@"; do
		_l=${_l:+$_l,}/dev/vgpu/$_d
	done
	expect_ok vgpu-test shares "$SECS" "$_l" || return 1
	SHARES=$(printf '%s\n' "$OUT" | awk '$1 == "share" { print $3, $4, $5 }')
	printf '%s\n' "$OUT" >&2
}

# within NAME GOT WANT POINTS
within() {
	awk -v g="$2" -v w="$3" -v p="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= p) }' ||
		fail "$1: got $2 %, want $3 % (within $4 points)"
}

t_best_effort_127() {
	g=$(new_sim_gpu 16G 132)
	slices127 "$g"
	shares "$A" "$B" "$C"
	set -- $SHARES
	within "best effort, weight 100" "$1" 10 3
	within "best effort, weight 200" "$4" 20 3
	within "best effort, weight 700" "$7" 70 3
	# The kernel charged the same proportions.
	tot=$(($2 + $5 + $8))
	within "charged to weight 700" "$(awk -v a="$8" -v t="$tot" 'BEGIN { printf "%.2f", 100 * a / t }')" 70 3
	expect_ok vgpuctl gpu del "$g" --force
}

t_fixed_share_127() {
	g=$(new_sim_gpu 16G 132)
	expect_ok vgpuctl gpu set "$g" --policy fixed-share
	expect_attr "$CLASS/vgpu$g/policy" fixed_share
	slices127 "$g"
	shares "$A" "$B" "$C"
	set -- $SHARES
	within "fixed share, weight 100" "$1" 10 3
	within "fixed share, weight 200" "$4" 20 3
	within "fixed share, weight 700" "$7" 70 3
	expect_ok vgpuctl gpu del "$g" --force
}

# The 10 % slice is idle: best effort gives its time to the busy ones in
# proportion to their weights (2:7), the GPU stays busy.
t_best_effort_idle() {
	g=$(new_sim_gpu 16G 132)
	slices127 "$g"
	shares "$B" "$C"
	set -- $SHARES
	within "best effort, 2 of 2:7" "$1" 22.2 3
	within "best effort, 7 of 2:7" "$4" 77.8 3
	busy=$(awk -v a="$2" -v b="$5" -v w="$3" 'BEGIN { printf "%.1f", 100 * (a + b) / w }')
	within "GPU busy under best effort" "$busy" 100 5
	expect_ok vgpuctl gpu del "$g" --force
}

# Fixed share: the busy slices get their shares and no more; the idle
# slice's 10 % stays unused.
t_fixed_share_idle() {
	g=$(new_sim_gpu 16G 132)
	expect_ok vgpuctl gpu set "$g" --policy fixed-share
	slices127 "$g"
	shares "$B" "$C"
	set -- $SHARES
	b=$(awk -v a="$2" -v w="$3" 'BEGIN { printf "%.1f", 100 * a / w }')
	c=$(awk -v a="$5" -v w="$3" 'BEGIN { printf "%.1f", 100 * a / w }')
	within "fixed share, weight 200, of the wall time" "$b" 20 3
	within "fixed share, weight 700, of the wall time" "$c" 70 3
	expect_ok vgpuctl gpu del "$g" --force
}

run t_best_effort_127
run t_fixed_share_127
run t_best_effort_idle
run t_fixed_share_idle
finish
