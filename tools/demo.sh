#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: the main job on a host without a GPU.  One simulated GPU (the
# test double tests/fakecuda) is partitioned among tenants twice:
#   1. on this host, by libvgpu alone (shm backend: no kernel module), and
#   2. by vgpu.ko in QEMU, configured with vgpuctl, the tenants' CUDA
#      programs running under libvgpu on the kernel backend.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
lt=$top/build/tests/lib
run=$top/tests/lib/run.sh

fc_shm=/vgpu-demo-fc-$$
vg_shm=/vgpu-demo-vg-$$
tmp=$(mktemp -d)
cleanup() {
	rm -rf "$tmp"
	rm -f "/dev/shm$fc_shm" "/dev/shm$vg_shm"*
}
trap cleanup EXIT
printf 'fakecuda-module' >"$tmp/module"
export LD_LIBRARY_PATH=$top/build/fakecuda FAKECUDA_SHM=$fc_shm FAKECUDA_MEMORY=80g \
	GPU_MODULE=$tmp/module VGPU_SHM=$vg_shm

echo "== 1. libvgpu on this host (shm backend): a simulated 80 GiB GPU"
echo
echo "\$ VGPU_MEMORY_LIMIT=4g LD_PRELOAD=libvgpu.so.1 gpu_check info     # what a tenant sees"
VGPU_MEMORY_LIMIT=4g LT_PRELOAD=$top/build/lib/libvgpu.so.1 sh "$run" "$lt/gpu_check" info |
	sed 's/^/  /'
echo
echo "\$ VGPU_MEMORY_LIMIT=64m LD_PRELOAD=libvgpu.so.1 gpu_check boundary 64   # every allocation API at its quota"
VGPU_MEMORY_LIMIT=64m LT_PRELOAD=$top/build/lib/libvgpu.so.1 sh "$run" "$lt/gpu_check" boundary 64 \
	2>&1 | tail -n 3 | sed 's/^/  /'
echo
echo "Three tenants weighted 20/30/50 launch 1 ms kernels flat out for 2 s; work done:"
for p in best-effort fixed-share none; do
	pre=$top/build/lib/libvgpu.so.1
	[ "$p" = none ] && pre=none
	"$lt/gpu_check" shares --weights 20,30,50 --iters 1000000 --policy "$p" \
		--preload "$pre" --label demo --window-ms 2000 2>/dev/null |
		awk -v p="$p" '$1 == "SHARES" { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			printf "  %-28s shares %s (configured 20,30,50)\n",
				(p == "none" ? "without libvgpu" : "libvgpu, " p), v["share"] }'
done
echo
echo "== 2. vgpu.ko in QEMU (Debian's 6.1 kernel, TCG), configured with vgpuctl"
echo
if ! tests/vm/run.sh --no-make --demo >"$tmp/vm.out" 2>&1; then
	cat "$tmp/vm.out" >&2
	echo "demo: the VM part failed (above)" >&2
	exit 1
fi
sed -n 's/^DEMO \{0,1\}//p' "$(ls -t "$top"/build/vm/*/tests.log | head -n1)"
