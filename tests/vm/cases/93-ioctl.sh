#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# 93-ioctl: every ioctl of the slice device with short, oversized, garbage
# or unknown-flag arguments gets its errno and changes nothing; the status
# page cannot be written; only the node's owner may open a slice.
. /vgpu/lib.sh
case_begin

t_bad_arguments() {
	g=$(new_sim_gpu 16G 132)
	s=$(new_slice "$g" 1g.2gb)
	expect_ok vgpu-test badioctl "/dev/vgpu/$s"
	expect_attr "$CLASS/$s/mem_used" 0
	expect_attr "$CLASS/$s/stats/contexts" 0
}

t_access() {
	root=$(new_slice 0 1g.2gb)
	mine=$(new_slice 0 1g.2gb --owner 1000:1000 --mode 0600 --tenant t1000)
	expect_ok vgpu-test open "/dev/vgpu/$root"
	_capture runas 1000:1000 vgpu-test open "/dev/vgpu/$root"
	expect_eq "$OUT" "open: Permission denied" "uid 1000 opening root's slice"
	expect_ok runas 1000:1000 vgpu-test open "/dev/vgpu/$mine"
	expect_match "$OUT" "tenant 't1000'" "INFO of its own slice"
	_capture runas 1001:1001 vgpu-test open "/dev/vgpu/$mine"
	expect_eq "$OUT" "open: Permission denied" "uid 1001 opening uid 1000's slice"
}

run t_bad_arguments
run t_access
finish
