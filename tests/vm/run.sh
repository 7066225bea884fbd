#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The VM suite: build vgpu.ko for one kernel, pack it with busybox, the
# kernel's vfio and mdev modules, vgpuctl, mdevctl and the test helpers into
# an initramfs, boot it under QEMU (TCG), run tests/vm/cases/*.sh inside,
# then judge the results and the kernel log.
#
#   tests/vm/run.sh [--kernel BZIMAGE] [--modules MODDIR] [--kdir KBUILD_DIR]
#                   [--label NAME] [--cases GLOB] [--timeout SECS] [--keep]
#                   [--shell]
#
# The default kernel is the newest Debian one under /boot with its modules in
# /lib/modules and its headers in /usr/src.  Output goes to build/vm/<kver>/:
# kmod/ (the module, built incrementally), initramfs.cpio.gz, console.log
# (the kernel's console, ttyS0) and tests.log (the cases' output, ttyS1).
# The last line printed is "<label>: N passed, N failed"; the exit status is
# non-zero when a test failed, the VM did not finish, or the kernel log shows
# a warning, a lockdep or KASAN report, an oops or (debug kernel) a leak.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_SRC=$TOP/tests/vm

usage() {
	cat <<EOF
usage: tests/vm/run.sh [options]
  --kernel BZIMAGE   kernel image (default: newest /boot/vmlinuz-*-amd64)
  --modules MODDIR   its /lib/modules/<kver> (default: from the image name)
  --kdir DIR         its kbuild tree (default: /usr/src/linux-headers-<kver>)
  --label NAME       one word naming the run in the summary (default: stock)
  --cases GLOB       run the cases whose name (10-gpu) matches (default: *)
  --timeout SECS     hard limit for the VM (default: 150)
  --keep             keep the initramfs staging tree (build/vm/<kver>/root)
  --shell            boot with everything loaded into an interactive shell
                     on the console (no cases, no timeout; 'exit' powers off)
  --helpers DIR      where nlraw, runas, sysfs_write, jsonflat are
                     (default: build/tests/vm)
  --vgpuctl PATH     vgpuctl to use (default: build/tools/vgpuctl)
  --src DIR          module sources: DIR/Kbuild, DIR/kmod, DIR/include
                     (default: this checkout)
  --no-make          do not run 'make user vm-helpers' first (make did)
  --bench            run the benchmark case (99-bench) only: figures, no
                     assertions (make bench)
  --demo             run the demonstration case (98-demo) only (make demo)
EOF
}

die() {
	echo "run.sh: error: $*" >&2
	exit 1
}

# Echo a command, then run it (STYLE.md: commands echoed).
run() {
	echo "+ $*" >&2
	"$@"
}

kernel='' moddir='' kdir='' label=stock cases='*' timeout=150 keep=0 shell=0
bench=0 demo=0
helpers=$TOP/build/tests/vm vgpuctl=$TOP/build/tools/vgpuctl src=$TOP
do_make=1

need_arg() {
	[ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) need_arg "$1" $#; kernel=$2; shift ;;
	--modules) need_arg "$1" $#; moddir=$2; shift ;;
	--kdir) need_arg "$1" $#; kdir=$2; shift ;;
	--label) need_arg "$1" $#; label=$2; shift ;;
	--cases) need_arg "$1" $#; cases=$2; shift ;;
	--timeout) need_arg "$1" $#; timeout=$2; shift ;;
	--helpers) need_arg "$1" $#; helpers=$2; shift ;;
	--vgpuctl) need_arg "$1" $#; vgpuctl=$2; shift ;;
	--src) need_arg "$1" $#; src=$2; shift ;;
	--keep) keep=1 ;;
	--shell) shell=1 ;;
	--no-make) do_make=0 ;;
	--bench) bench=1; cases='99-*' ;;
	--demo) demo=1; cases='98-*' ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
	shift
done

[[ $label =~ ^[A-Za-z0-9_.-]+$ ]] || die "--label must be one word, not '$label'"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout wants seconds, not '$timeout'"
for t in qemu-system-x86_64 cpio gzip depmod modinfo ldd timeout flock; do
	command -v "$t" >/dev/null ||
		die "$t not found (Debian: qemu-system-x86 cpio gzip kmod libc-bin coreutils util-linux)"
done

# ---- the kernel -----------------------------------------------------------

# The release string inside a bzImage (the kernel_version field of its
# setup header), so that a mismatched --kernel is caught before booting.
bzimage_release() {
	local off
	off=$(od -An -tu2 -j$((0x20e)) -N2 "$1" | tr -d ' ')
	[ -n "$off" ] && [ "$off" -gt 0 ] || return 0
	dd if="$1" bs=1 skip=$((off + 0x200)) count=128 status=none |
		tr '\0' '\n' | sed -n '1s/ .*//p'
}

# The release a kbuild tree builds modules for.
kdir_release() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$1/include/generated/utsrelease.h" 2>/dev/null
}

if [ -z "$kernel" ]; then
	for k in $(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sort -rV); do
		v=${k#/boot/vmlinuz-}
		[ -d "/lib/modules/$v/kernel" ] || continue
		if [ -d "/usr/src/linux-headers-$v" ]; then
			kernel=$k
			break
		fi
	done
	[ -n "$kernel" ] || die "no /boot/vmlinuz-*-amd64 with /lib/modules/<ver> and /usr/src/linux-headers-<ver> (Debian: linux-image-amd64 linux-headers-amd64)"
	v=${kernel#/boot/vmlinuz-}
	: "${moddir:=/lib/modules/$v}"
	: "${kdir:=/usr/src/linux-headers-$v}"
fi
[ -r "$kernel" ] || die "kernel image $kernel not found"
if [ -z "$moddir" ]; then
	v=$(bzimage_release "$kernel")
	[ -n "$v" ] || die "cannot read the release of $kernel: give --modules"
	moddir=/lib/modules/$v
fi
kver=$(basename "$moddir")
: "${kdir:=$moddir/build}"
[ -d "$moddir/kernel" ] || die "module directory $moddir/kernel not found"
[ -f "$kdir/Makefile" ] || die "kernel build tree $kdir not found (give --kdir)"
rel=$(kdir_release "$kdir")
[ "$rel" = "$kver" ] ||
	die "$kdir builds modules for '$rel', but the modules are for '$kver'"
rel=$(bzimage_release "$kernel")
[ -z "$rel" ] || [ "$rel" = "$kver" ] ||
	die "$kernel is release '$rel', but the modules are for '$kver'"

bdir=$TOP/build/vm/$kver
mkdir -p "$bdir"

# One VM at a time: two TCG guests on two cores would each miss their
# timeout (make -j check runs check-vm and check-vm-debug together).
exec 9>"$TOP/build/vm/.lock"
flock 9

qpid='' tailpid=''
cleanup() {
	local rc=$?
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill -TERM "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	if [ -n "$tailpid" ] && kill -0 "$tailpid" 2>/dev/null; then
		kill -TERM "$tailpid" 2>/dev/null || true
	fi
	if [ "$keep" = 0 ]; then
		rm -rf "$bdir/root"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "run.sh: $label: kernel $kernel ($kver), modules $moddir, kdir $kdir" >&2

# ---- (a) vgpu.ko for this kernel ------------------------------------------

# Files kbuild generates: never copied from the source tree, never pruned.
is_generated() {
	case ${1##*/} in
	*.o|*.ko|*.mod|*.mod.c|.*.cmd|*.a|.*.d|*.tmp|modules.order|Module.symvers)
		return 0 ;;
	esac
	return 1
}

# Mirror Kbuild, kmod/ and include/ of $1 into $2.  Only files whose
# contents changed are copied (getting a new mtime), so kbuild rebuilds
# exactly what changed and keeps every other object.
sync_sources() {
	local from=$1 to=$2 f
	mkdir -p "$to"
	while IFS= read -r -d '' f; do
		f=${f#./}
		is_generated "$f" && continue
		if ! cmp -s "$from/$f" "$to/$f"; then
			mkdir -p "$(dirname "$to/$f")"
			cp "$from/$f" "$to/$f"
		fi
	done < <(cd "$from" && find Kbuild kmod include -type f -print0)
	while IFS= read -r -d '' f; do
		f=${f#./}
		is_generated "$f" && continue
		[ -e "$from/$f" ] || rm -f "$to/$f"
	done < <(cd "$to" && find Kbuild kmod include -type f -print0 2>/dev/null)
}

[ -f "$src/Kbuild" ] || die "vgpu.ko: $src/Kbuild not found"
if ! compgen -G "$src/kmod/*.c" >/dev/null; then
	die "vgpu.ko: $src/kmod/ has no sources yet: nothing to build for the VM"
fi
kbuild=$bdir/kmod
sync_sources "$src" "$kbuild"
if ! run make -C "$kdir" M="$kbuild" -j"$(nproc)" modules; then
	die "vgpu.ko: building the module for $kver failed (see the compiler output above; sources copied to $kbuild)"
fi
[ -f "$kbuild/vgpu.ko" ] || die "vgpu.ko: kbuild finished but $kbuild/vgpu.ko is missing"

# ---- (b) vgpuctl and the test helpers ------------------------------------

if [ "$do_make" = 1 ]; then
	run make -C "$TOP" --no-print-directory user vm-helpers ||
		die "building vgpuctl and the VM helpers failed (make user vm-helpers)"
fi
[ -x "$vgpuctl" ] || die "vgpuctl not found at $vgpuctl ('make user' builds it)"
for h in nlraw runas sysfs_write jsonflat vgpu-test; do
	[ -x "$helpers/$h" ] ||
		die "test helper $helpers/$h not found ('make vm-helpers' builds it)"
done

# ---- (c) the initramfs ----------------------------------------------------

root=$bdir/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,home}
mkdir -p "$root"/vgpu/cases "$root/lib/modules/$kver"

# Copy one library (by the path ldd gave) to the same path in the image.
add_lib() {
	[ -e "$root$1" ] && return 0
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
}

# Copy a program to DEST in the image, with every library ldd names and the
# dynamic loader.  build/lib is searched too, for a shared libvgpu.
add_prog() {
	local prog=$1 dest=$2 out line lib
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$prog" "$root$dest"
	out=$(LD_LIBRARY_PATH="$TOP/build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		ldd "$prog" 2>&1) || true
	case $out in
	*"not a dynamic executable"*|*"statically linked"*) return 0 ;;
	esac
	while read -r line; do
		case $line in
		*"not found"*)
			die "$prog needs ${line%% =>*}, which ldd cannot find" ;;
		*"=> /"*)
			lib=${line#*=> }
			add_lib "${lib%% (*}" ;;
		/*)
			add_lib "${line%% (*}" ;;
		esac
	done <<<"$out"
}

bb=$(command -v busybox) || die "busybox not found (Debian: busybox-static)"
add_prog "$bb" /bin/busybox
while read -r applet; do
	[ -n "$applet" ] && [ ! -e "$root/$applet" ] || continue
	mkdir -p "$root/$(dirname "$applet")"
	ln -s /bin/busybox "$root/$applet"
done < <("$bb" --list-full)

add_prog "$vgpuctl" /usr/bin/vgpuctl
for h in nlraw runas sysfs_write jsonflat vgpu-test; do
	add_prog "$helpers/$h" "/usr/bin/$h"
done
# libvgpu on the kernel backend (case 95): the library, the simulated GPU
# and the library's test programs, when make built them.
have_libvgpu=0
ltb=$TOP/build/tests/lib
if [ -f "$TOP/build/lib/libvgpu.so.1" ] && [ -f "$TOP/build/fakecuda/libcuda.so.1" ] &&
	[ -x "$ltb/test_mem" ]; then
	mkdir -p "$root/vgpu/lib" "$root/vgpu/lt"
	cp -L "$TOP/build/lib/libvgpu.so.1" "$TOP/build/fakecuda/libcuda.so.1" \
		"$root/vgpu/lib/"
	for t in test_mem test_race test_share test_kill test_dlsym; do
		[ -x "$ltb/$t" ] || die "libvgpu test $ltb/$t not built ('make libvgpu-test' builds it)"
		LD_LIBRARY_PATH="$TOP/build/fakecuda" add_prog "$ltb/$t" "/vgpu/lt/$t"
	done
	cp "$TOP/tests/lib/run.sh" "$root/vgpu/lt/run.sh"
	have_libvgpu=1
fi
have_mdevctl=0
mdevctl=$(command -v mdevctl || true)
[ -n "$mdevctl" ] || [ ! -x /usr/sbin/mdevctl ] || mdevctl=/usr/sbin/mdevctl
if [ -n "$mdevctl" ]; then
	add_prog "$mdevctl" /usr/bin/mdevctl
	mkdir -p "$root"/etc/mdevctl.d/scripts.d/{callouts,notifiers}
	have_mdevctl=1
fi

# Kernel modules: vfio, vfio_iommu_type1, mdev, vgpu's dependencies, and
# what those depend on, found through the kernel's modules.dep.
declare -A modpath=()
while IFS=: read -r path _; do
	m=${path##*/}
	m=${m%%.ko*}
	modpath[${m//-/_}]=$path
done <"$moddir/modules.dep"

declare -A added=()
add_module() {
	local m=${1//-/_} path dep
	[ -z "${added[$m]:-}" ] || return 0
	added[$m]=1
	path=${modpath[$m]:-}
	[ -n "$path" ] || die "module $m: not in $moddir/modules.dep"
	mkdir -p "$root/lib/modules/$kver/$(dirname "$path")"
	cp "$moddir/$path" "$root/lib/modules/$kver/$path"
	for dep in $(modinfo -F depends "$moddir/$path" | tr ',' ' '); do
		add_module "$dep"
	done
}
for m in vfio vfio_iommu_type1 mdev; do
	add_module "$m"
done
for dep in $(modinfo -F depends "$kbuild/vgpu.ko" | tr ',' ' '); do
	add_module "$dep"
done
mkdir -p "$root/lib/modules/$kver/extra"
cp "$kbuild/vgpu.ko" "$root/lib/modules/$kver/extra/vgpu.ko"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ ! -f "$moddir/$f" ] || cp "$moddir/$f" "$root/lib/modules/$kver/"
done
depmod -b "$root" "$kver" || die "depmod -b $root $kver failed"

# The init, the library, the cases (only those --cases selects).
cp "$VM_SRC/init" "$root/init"
chmod 0755 "$root/init"
cp "$VM_SRC/lib.sh" "$root/vgpu/lib.sh"
ncases=0
for c in "$VM_SRC"/cases/[0-9][0-9]-*.sh; do
	[ -e "$c" ] || continue
	name=$(basename "$c" .sh)
	# shellcheck disable=SC2053 # GLOB is a pattern on purpose
	[[ $name == $cases ]] || continue
	cp "$c" "$root/vgpu/cases/"
	ncases=$((ncases + 1))
done
[ "$shell" = 1 ] || [ "$ncases" -gt 0 ] || die "no case in $VM_SRC/cases matches '$cases'"

kmemleak=0
grep -qs '^CONFIG_DEBUG_KMEMLEAK=y' "$kdir/.config" && kmemleak=1
# Under KASAN and TCG a woken process runs milliseconds late: cases that
# measure time (shares seen by the tenants) assert the kernel's own
# accounting only.
timing=strict
grep -qs '^CONFIG_KASAN=y' "$kdir/.config" && timing=loose
# Each case gets most of the VM's time; a hung one is killed and reported.
case_timeout=$((timeout * 2 / 3))
cat >"$root/vgpu/env" <<EOF
VGPU_LABEL='$label'
VGPU_KVER='$kver'
VGPU_SHELL=$shell
VGPU_KMEMLEAK=$kmemleak
VGPU_HAVE_MDEVCTL=$have_mdevctl
VGPU_HAVE_LIBVGPU=$have_libvgpu
VGPU_BENCH=$bench
VGPU_DEMO=$demo
VGPU_TIMING=$timing
VGPU_CASE_TIMEOUT=$case_timeout
EOF

# A cpio newc entry for a character device, so that the kernel can open
# /dev/console for init before devtmpfs is mounted; mknod would need root.
newc_entry() {
	local name=$1 mode=$2 major=$3 minor=$4 nlen pad
	nlen=$((${#name} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		1 "$mode" 0 0 1 0 0 0 0 "$major" "$minor" "$nlen" 0
	printf '%s\0' "$name"
	pad=$(((4 - (110 + nlen) % 4) % 4))
	head -c "$pad" /dev/zero
}

initrd=$bdir/initramfs.cpio.gz
{
	(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null --quiet -o -H newc -R 0:0)
	newc_entry dev/console $((0020600)) 5 1
	newc_entry 'TRAILER!!!' 0 0 0
} | gzip -1 >"$initrd.tmp"
mv "$initrd.tmp" "$initrd"
echo "run.sh: initramfs $initrd ($(du -k "$initrd" | cut -f1) KiB, $ncases cases)" >&2

# ---- (d) boot ---------------------------------------------------------------

console=$bdir/console.log
tests=$bdir/tests.log
rm -f "$console" "$tests"
qemu=(qemu-system-x86_64 -accel tcg -m 1G -smp 2 -nic none -no-reboot
	-display none -vga none -device bochs-display
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 oops=panic loglevel=7 rdinit=/init")

if [ "$shell" = 1 ]; then
	echo "run.sh: shell on the console; 'exit' powers the VM off (Ctrl-A X quits QEMU)" >&2
	run "${qemu[@]}" -monitor none -serial mon:stdio -serial "file:$tests"
	exit 0
fi

start=$(date +%s)
echo "+ timeout $timeout ${qemu[*]} -serial file:$console -serial file:$tests" >&2
timeout -k 10 "$timeout" "${qemu[@]}" -monitor none \
	-serial "file:$console" -serial "file:$tests" </dev/null &
qpid=$!
# Echo the results as the cases print them.
touch "$tests"
tail -n +1 -s 0.5 -F --pid="$qpid" "$tests" 2>/dev/null |
	grep --line-buffered -E '^(PASS|FAIL|# )' &
tailpid=$!
qrc=0
wait "$qpid" || qrc=$?
qpid=''
wait "$tailpid" 2>/dev/null || true
tailpid=''
elapsed=$(($(date +%s) - start))

# ---- (e) the verdict ----------------------------------------------------------

# Serial output may carry carriage returns.
out=$(tr -d '\r' <"$tests")
kcon=$(tr -d '\r' <"$console" 2>/dev/null || true)

section() {
	sed -n "/^@@$1-BEGIN\$/,/^@@$1-END\$/p" <<<"$out" | sed '1d;$d'
}

npass=$(grep -c '^PASS ' <<<"$out" || true)
nfail=$(grep -c '^FAIL ' <<<"$out" || true)
verdict=()

if grep -q '^@@VGPU-END$' <<<"$out"; then
	verdict+=("PASS vm: finished in ${elapsed} s")
elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	verdict+=("FAIL vm: finished: no end after the ${timeout} s timeout (last test lines below)")
else
	verdict+=("FAIL vm: finished: the VM stopped before the end (qemu status $qrc; panic?)")
fi
if [ $((npass + nfail)) = 0 ]; then
	verdict+=("FAIL vm: tests: no test ran")
fi

# Kernel log: the console plus the dmesg the init dumped at the end.
SPLAT='WARNING:|BUG:|Oops|KASAN|UBSAN|possible circular locking|possible recursive locking|INFO: task|kmemleak: [0-9]+ new suspected|general protection fault|Call Trace|Kernel panic|rcu: INFO|detected stall'
HARMLESS='RCU lockdep checking is enabled\.|loading out-of-tree module taints kernel|module verification failed'
splats=$( { printf '%s\n' "$kcon"; section DMESG; } |
	grep -E "$SPLAT" | grep -Ev "$HARMLESS" | sed 's/^\[ *[0-9.]*\] //' |
	awk '!seen[$0]++' || true)
if [ -n "$splats" ]; then
	verdict+=("FAIL vm: kernel log: $(wc -l <<<"$splats") suspicious lines (below)")
else
	verdict+=("PASS vm: kernel log clean")
fi

if [ "$kmemleak" = 1 ]; then
	leaks=$(section KMEMLEAK)
	if ! grep -q '^@@KMEMLEAK-BEGIN$' <<<"$out"; then
		verdict+=("FAIL vm: kmemleak: the init did not scan (see tests.log)")
	elif grep -q 'unreferenced object' <<<"$leaks"; then
		verdict+=("FAIL vm: kmemleak: $(grep -c 'unreferenced object' <<<"$leaks") leaked objects (below)")
	else
		verdict+=("PASS vm: kmemleak: no leak")
	fi
fi

# How long each case took (guest uptime), to keep the suite fast.
times=$(grep -E '^@@(CASE |CASES-END )' <<<"$out" |
	awk '{ if (name != "") printf "%s %.1f, ", name, $NF - t; name = $2; t = $NF }' |
	sed 's/, $//' || true)
[ -z "$times" ] || echo "run.sh: seconds per case: $times" >&2

for v in "${verdict[@]}"; do
	echo "$v"
	case $v in
	PASS*) npass=$((npass + 1)) ;;
	FAIL*) nfail=$((nfail + 1)) ;;
	esac
done

if [ "$nfail" -gt 0 ]; then
	if grep -q '^FAIL ' <<<"$out"; then
		echo "---- failed tests (tests.log: $tests)"
		grep '^FAIL ' <<<"$out"
	fi
	if ! grep -q '^@@VGPU-END$' <<<"$out"; then
		echo "---- last lines of tests.log"
		grep -v '^@@' <<<"$out" | tail -n 15 || true
		echo "---- last lines of console.log ($console)"
		tail -n 30 <<<"$kcon"
	fi
	if [ -n "$splats" ]; then
		echo "---- kernel log lines that fail the run (console.log: $console)"
		printf '%s\n' "$splats"
	fi
	if [ "$kmemleak" = 1 ] && grep -q 'unreferenced object' <<<"${leaks:-}"; then
		echo "---- kmemleak report"
		printf '%s\n' "$leaks" | head -n 80
	fi
fi

echo "$label: $npass passed, $nfail failed"
[ "$nfail" = 0 ]
