#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# libvgpu exports exactly its API (vgpu_* of include/vgpu/vgpu.h) and the
# hooks of lib/hooks.h, all at version VGPU_1.0, and the soname is
# libvgpu.so.1.  A -fvisibility=hidden build without an export list would
# export no hooks at all: this catches it.
#   check_exports.sh LIB HOOKS_H VGPU_H
set -e
lib=$1 hooks=$2 api=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

readelf -d "$lib" | grep -q 'SONAME.*\[libvgpu.so.1\]' || {
	echo "check_exports: $lib: soname is not libvgpu.so.1" >&2; exit 1; }
nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^VGPU_1.0$' | sort >"$tmp/have"
if grep -v '@@VGPU_1.0$' "$tmp/have" >"$tmp/bad"; then
	echo "check_exports: exported without the VGPU_1.0 version:" >&2
	cat "$tmp/bad" >&2
	exit 1
fi
sed -n '/^#define VGPU_HOOKS/,/^$/p' "$hooks" | grep -o 'X(cu[A-Za-z0-9_]*' |
	sed 's/^X(//' >"$tmp/want"
grep -o 'VGPU_API [^;(]*[ *]vgpu_[a-z_]*(' "$api" | grep -o 'vgpu_[a-z_]*' >>"$tmp/want"
sort -o "$tmp/want" "$tmp/want"
sed 's/@@VGPU_1.0$//' "$tmp/have" | sort >"$tmp/have2"
if ! cmp -s "$tmp/want" "$tmp/have2"; then
	echo "check_exports: exports differ from hooks.h + vgpu.h (< missing, > extra):" >&2
	diff "$tmp/want" "$tmp/have2" | grep '^[<>]' >&2
	exit 1
fi
echo "  $(wc -l <"$tmp/want") symbols exported, all at VGPU_1.0"
