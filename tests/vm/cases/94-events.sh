#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 94-events: the multicast group "events" announces every change of GPUs
# and slices, whichever interface made it, and refused charges and
# overruns, with the object's attributes.
. /vgpu/lib.sh
case_begin

# listen N: nlraw joins the group and prints the next N events into
# $VT/events; returns once it has joined (it says so on a fifo).
listen() {
	rm -f "$VT/ready"
	mkfifo "$VT/ready"
	nlraw --listen "$1" --ready-fd 3 >"$VT/events" 2>&1 3>"$VT/ready" &
	LISTENER=$!
	read -r _r <"$VT/ready"
	expect_eq "$_r" ready "the listener joined the events group"
}

# events: wait for the listener; $EV gets its events, one line each.
# (Not in a command substitution: wait must run in the listener's shell.)
events() {
	wait "$LISTENER" || { fail "nlraw --listen: $(cat "$VT/events")"; return 1; }
	EV=$(awk '/^event=/ { if (e) print e; e = $1 } /^  / { e = e " " $1 }
		END { if (e) print e }' "$VT/events")
}

t_objects() {
	listen 7
	g=$(new_sim_gpu 16G 132)
	s=$(new_slice "$g" 1g.2gb --tenant ev)
	expect_ok vgpuctl slice set "$s" --weight 200
	sysfs_set "$CLASS/vgpu$g/policy" fixed_share
	m=$(new_mdev "$g" 1g.2gb)
	remove_mdev "$m"
	expect_ok vgpuctl slice destroy "$s"
	events
	ev=$EV
	printf '%s\n' "$ev" >&2
	set -- $(printf '%s\n' "$ev" | sed 's/ .*//')
	expect_eq "$*" "event=GPU_NEW event=SLICE_NEW event=SLICE_SET event=GPU_SET event=SLICE_NEW event=SLICE_DEL event=SLICE_DEL" \
		"the events, in order"
	expect_match "$(printf '%s\n' "$ev" | sed -n 2p)" "SLICE_UUID=$s" "SLICE_NEW names the slice"
	expect_match "$(printf '%s\n' "$ev" | sed -n 3p)" "SLICE_WEIGHT=200" "SLICE_SET carries the new weight"
	expect_match "$(printf '%s\n' "$ev" | sed -n 4p)" "GPU_POLICY=3" "GPU_SET carries the policy"
	expect_match "$(printf '%s\n' "$ev" | sed -n 5p)" "SLICE_UUID=$m" "an mdev slice is announced too"
	listen 1
	expect_ok vgpuctl gpu del "$g"
	events
	expect_match "$EV" "^event=GPU_DEL .*GPU_ID=$g" "GPU_DEL"
}

t_refused_and_overrun() {
	g=$(new_sim_gpu 16G 132)
	a=$(new_slice "$g" 1g.2gb --memory 8M)
	b=$(new_slice "$g" 1g.2gb)
	listen 2
	expect_ok vgpu-test boundary "/dev/vgpu/$a"
	expect_ok vgpu-test overrun "/dev/vgpu/$a" "/dev/vgpu/$b"
	events
	ev=$EV
	printf '%s\n' "$ev" >&2
	expect_match "$(printf '%s\n' "$ev" | sed -n 1p)" \
		"^event=EVENT_CHARGE_REFUSED .*SLICE_UUID=$a .*EVENT_BYTES=1$" \
		"the refused one-byte charge"
	expect_match "$(printf '%s\n' "$ev" | sed -n 2p)" \
		"^event=EVENT_OVERRUN .*SLICE_UUID=$a .*EVENT_NS=[1-9]" "the overrun"
	expect_attr "$CLASS/$a/stats/overruns" 1
}

run t_objects
run t_refused_and_overrun
finish
