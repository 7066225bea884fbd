#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The debug kernel (KASAN, lockdep, kmemleak, UBSAN...) for the VM suite.
#
#   tests/vm/debug-kernel.sh            print --kernel, --modules, --kdir
#   tests/vm/debug-kernel.sh --run ...  run tests/vm/run.sh on it (the rest
#                                       of the arguments go to run.sh)
#
# It comes from $VGPU_DEBUG_KERNEL_DIR (default: ../shared/kernels/6.1-debug
# beside this checkout): bzImage, build.tar.gz, modules.tar.gz, VERSION and
# SHA256SUMS.  The checksums are verified every time; the files are unpacked
# into build/kernels/6.1-debug/ once, and again when SHA256SUMS changes.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
src=${VGPU_DEBUG_KERNEL_DIR:-$TOP/../shared/kernels/6.1-debug}
dst=$TOP/build/kernels/6.1-debug

# KASAN and lockdep under TCG: the suite takes several times longer.
DEBUG_TIMEOUT=1200

die() {
	echo "debug-kernel.sh: error: $*" >&2
	exit 1
}

[ -d "$src" ] || die "no debug kernel at $src (set VGPU_DEBUG_KERNEL_DIR to the directory holding bzImage, build.tar.gz, modules.tar.gz, VERSION and SHA256SUMS)"
for f in SHA256SUMS VERSION bzImage build.tar.gz modules.tar.gz; do
	[ -f "$src/$f" ] || die "$src/$f is missing"
done
(cd "$src" && sha256sum --quiet --strict -c SHA256SUMS) >&2 ||
	die "$src: the files do not match SHA256SUMS"
ver=$(tr -d '[:space:]' <"$src/VERSION")
[ -n "$ver" ] || die "$src/VERSION is empty"

mkdir -p "$(dirname "$dst")"
exec 8>"$dst.lock"
flock 8

# What the unpacked tree holds: every file and its size.  The tree lives
# under build/, where 'make clean' (kbuild's, over the whole checkout)
# deletes *.ko and modules.order: a tree that no longer matches is unpacked
# again.
manifest() {
	(cd "$dst" && find . -type f ! -name MANIFEST ! -name SHA256SUMS \
		-printf '%p %s\n' | LC_ALL=C sort)
}

# SHA256SUMS is copied last: its presence marks a complete unpack.
if ! cmp -s "$src/SHA256SUMS" "$dst/SHA256SUMS" ||
	! manifest | cmp -s - "$dst/MANIFEST"; then
	echo "debug-kernel.sh: unpacking $src into $dst" >&2
	tmp=$dst.tmp
	rm -rf "$tmp" "$dst"
	mkdir -p "$tmp/lib/modules"
	tar -xzf "$src/build.tar.gz" -C "$tmp"
	# modules.tar.gz holds <ver>/ (or lib/modules/<ver>/).
	first=$(tar -tzf "$src/modules.tar.gz" | sed -n 1p)
	if [[ $first =~ ^(\./)?lib/ ]]; then
		tar -xzf "$src/modules.tar.gz" -C "$tmp"
	else
		tar -xzf "$src/modules.tar.gz" -C "$tmp/lib/modules"
	fi
	cp "$src/bzImage" "$src/VERSION" "$tmp/"
	[ ! -f "$src/config" ] || cp "$src/config" "$tmp/"
	mv "$tmp" "$dst"
	manifest >"$dst/MANIFEST"
	cp "$src/SHA256SUMS" "$dst/"
fi

kernel=$dst/bzImage
moddir=$dst/lib/modules/$ver
kdir=$dst/linux-headers-$ver
[ -d "$moddir/kernel" ] || die "$moddir/kernel missing after unpacking modules.tar.gz"
[ -f "$kdir/Makefile" ] || die "$kdir missing after unpacking build.tar.gz"

if [ "${1:-}" = --run ]; then
	shift
	exec "$TOP/tests/vm/run.sh" --label debug --timeout "$DEBUG_TIMEOUT" \
		--kernel "$kernel" --modules "$moddir" --kdir "$kdir" "$@"
fi
[ $# = 0 ] || die "usage: tests/vm/debug-kernel.sh [--run [run.sh options]]"
echo "--kernel $kernel --modules $moddir --kdir $kdir"
