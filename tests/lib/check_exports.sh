#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# libvgpu exports exactly its API (vgpu_* of include/vgpu/vgpu.h) and the
# hooks of lib/hooks.h, all at version VGPU_1.0, and the soname is
# libvgpu.so.1.  A -fvisibility=hidden build without an export list would
# export no hooks at all: this catches it.  Besides: dlsym (lib/dlsym.c),
# at glibc's versions (GLIBC_2.34 and the architecture's first, 2.2.5 or
# 2.17) and nothing else there; absent on architectures without the hook.
#   check_exports.sh LIB HOOKS_H VGPU_H
set -e
lib=$1 hooks=$2 api=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

readelf -d "$lib" | grep -q 'SONAME.*\[libvgpu.so.1\]' || {
	echo "check_exports: $lib: soname is not libvgpu.so.1" >&2; exit 1; }
nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^VGPU_1.0$' | sort >"$tmp/all"
grep -v '^GLIBC_2\.[0-9.]*$' "$tmp/all" | grep -v '^dlsym@' >"$tmp/have" || true
grep '^dlsym@' "$tmp/all" >"$tmp/dlsym" || true
if [ -s "$tmp/dlsym" ] && { [ "$(wc -l <"$tmp/dlsym")" -ne 2 ] ||
	! grep -qx 'dlsym@@GLIBC_2.34' "$tmp/dlsym" ||
	! grep -qx -e 'dlsym@GLIBC_2.2.5' -e 'dlsym@GLIBC_2.17' "$tmp/dlsym"; }; then
	echo "check_exports: dlsym exported at unexpected versions:" >&2
	cat "$tmp/dlsym" >&2
	exit 1
fi
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
echo "  $(wc -l <"$tmp/want") symbols exported, all at VGPU_1.0$(test -s "$tmp/dlsym" &&
	echo "; and dlsym at $(sed 's/.*@//' "$tmp/dlsym" | tr '\n' ' ' | sed 's/ $//;s/ / and /')")"
