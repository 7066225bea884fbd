#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install what vgpu needs to build and test on Debian 12 (make deps), then
# fetch checkpatch.pl from Debian's linux-source-6.1 into build/checkpatch/.
# Run from the repository root.  Root, or sudo, is needed only when a
# package is missing.
#
#   tools/deps.sh            install, then fetch checkpatch
#   tools/deps.sh --dry-run  say what would be done, change nothing
#
# CHECKPATCH_DIR overrides where checkpatch goes (default build/checkpatch).

set -euo pipefail

PACKAGES=(
	build-essential pkg-config linux-image-amd64 linux-headers-amd64
	qemu-system-x86 busybox-static libnl-genl-3-dev libnl-3-dev libdrm-dev
	libjson-c-dev sparse mdevctl kmod cpio bc bison flex libelf-dev
	libssl-dev xz-utils
)
SOURCE_PKG=linux-source-6.1
SOURCE_TAR=usr/src/linux-source-6.1.tar.xz
SOURCE_FILES=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch)
CHECKPATCH_DIR=${CHECKPATCH_DIR:-build/checkpatch}

DRY_RUN=0
case "${1:-}" in
-n|--dry-run) DRY_RUN=1 ;;
"") ;;
-h|--help)
	sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 0 ;;
*)
	echo "deps.sh: unknown argument '$1' (try --help)" >&2
	exit 2 ;;
esac

say() {
	echo "deps: $*"
}

# Run a command, echoed; as root through sudo when we are not root.
run() {
	echo "+ $*"
	[ "$DRY_RUN" = 1 ] && return 0
	"$@"
}

run_root() {
	if [ "$(id -u)" = 0 ]; then
		run "$@"
	elif command -v sudo >/dev/null; then
		run sudo "$@"
	else
		echo "deps.sh: '$*' needs root and sudo is not installed" >&2
		exit 1
	fi
}

installed() {
	local status

	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
	[ "${status:0:2}" = ii ]
}

if [ ! -f Makefile ] || [ ! -d tools ]; then
	echo "deps.sh: run from the repository root (make deps)" >&2
	exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done

apt_updated=0
if [ "${#missing[@]}" = 0 ]; then
	say "all ${#PACKAGES[@]} packages are installed"
else
	say "installing ${missing[*]}"
	run_root apt-get update
	apt_updated=1
	run_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends "${missing[@]}"
fi

if [ -f "$CHECKPATCH_DIR/checkpatch.pl" ]; then
	say "checkpatch: $CHECKPATCH_DIR/checkpatch.pl is there"
	exit 0
fi

say "checkpatch: from $SOURCE_PKG into $CHECKPATCH_DIR/"
members=()
for f in "${SOURCE_FILES[@]}"; do
	members+=("linux-source-6.1/$f")
done
if [ "$DRY_RUN" = 1 ]; then
	say "would run: apt-get download $SOURCE_PKG (in a temporary directory)"
	say "would extract ${members[*]} from $SOURCE_TAR into $CHECKPATCH_DIR/"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vgpu-deps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# As root, let apt's download user write there (apt warns otherwise).
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
	chown _apt "$tmp"
fi

# apt-get download needs package lists: fetch them once if it fails.
if ! (cd "$tmp" && run apt-get download "$SOURCE_PKG"); then
	[ "$apt_updated" = 1 ] && exit 1
	say "apt-get download failed: updating the package lists and retrying"
	run_root apt-get update
	(cd "$tmp" && run apt-get download "$SOURCE_PKG")
fi

debs=("$tmp/$SOURCE_PKG"_*.deb)
deb=${debs[0]}
say "extracting ${SOURCE_FILES[*]} from ${deb##*/}"
# Only the three files: the source tarball is streamed, never unpacked.
echo "+ dpkg-deb --fsys-tarfile ${deb##*/} | tar -xO ./$SOURCE_TAR | tar -xJ ${members[*]}"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./$SOURCE_TAR" |
	tar -xJ -C "$tmp" "${members[@]}"

run mkdir -p "$CHECKPATCH_DIR"
for f in "${SOURCE_FILES[@]}"; do
	run install -m 0644 "$tmp/linux-source-6.1/$f" "$CHECKPATCH_DIR/"
done
run chmod 0755 "$CHECKPATCH_DIR/checkpatch.pl"
say "checkpatch: $CHECKPATCH_DIR/checkpatch.pl ready"
