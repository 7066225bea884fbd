#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# GPU time shares and aggregate throughput on the simulated GPU (make bench):
# the measurement of the real-GPU suite (tests/gpu/gpu_check.c shares: fixed-
# work tenants started together on a barrier, work done = their launches
# completed inside a common window), run against tests/fakecuda.  For 2
# tenants at 30/70 and 3 at 20/30/50, under each policy with libvgpu and
# under the plain (simulated) driver, and one native tenant for the
# aggregate.  Prints figures and ratios; asserts nothing.
#   bench_share.sh GPU_CHECK LIBVGPU      (LD_LIBRARY_PATH: the simulated GPU)
set -e
gc=$1 lib=$2
window=${BENCH_WINDOW_MS:-3000}
tmp=$(mktemp -d)
FAKECUDA_SHM=/lt-fc-bshare-$$
GPU_MODULE=$tmp/module
export FAKECUDA_SHM GPU_MODULE
cleanup() {
	rm -rf "$tmp"
	rm -f "/dev/shm$FAKECUDA_SHM"
}
trap cleanup EXIT
printf 'fakecuda-module' >"$GPU_MODULE"

# run LABEL POLICY WEIGHTS PRELOAD: the SHARES line's KEY=VALUE words
run() {
	"$gc" shares --label "$1" --policy "$2" --weights "$3" --preload "$4" \
		--iters 1000000 --window-ms "$window" 2>"$tmp/$1.err" | grep '^SHARES ' |
		tr ' ' '\n' >"$tmp/$1" || { cat "$tmp/$1.err" >&2; return 1; }
}
get() {
	sed -n "s/^$2=//p" "$tmp/$1" | tr ',' '/'
}
want() {
	awk -v p="$1" -v w="$2" 'BEGIN { n = split(w, a, ","); s = 0
		for (i = 1; i <= n; i++) s += a[i]
		for (i = 1; i <= n; i++) printf "%s%.1f", (i > 1 ? "/" : ""), (p == "equal-share" ? 100 / n : 100 * a[i] / s) }'
}
err() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, "/"); split(b, y, "/"); m = 0
		for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > m) m = d }
		printf "%.1f", m }'
}

echo "GPU time shares on the simulated GPU: 1 ms fixed-work kernels, $((window / 1000)) s window"
echo "(achieved share = launches completed in the window / sum; aggregate = sum / one native tenant's)"
run one none 100 none
base=$(get one sum)
printf '  %-22s %-16s %-16s %-16s %5s %9s\n' "policy, weights" configured libvgpu "plain driver" err aggregate
for w in 30,70 20,30,50; do
	n=$(echo "$w" | tr ',' '\n' | wc -l)
	run "plain$n" none "$w" none
	for p in best-effort equal-share fixed-share; do
		run "$p$n" "$p" "$w" "$lib"
		got=$(get "$p$n" share)
		printf '  %-22s %-16s %-16s %-16s %5s %8.1f%%\n' "$p $(echo "$w" | tr ',' '/')" \
			"$(want "$p" "$w")" "$got" "$(get "plain$n" share)" "$(err "$got" "$(want "$p" "$w")")" \
			"$(awk -v s="$(get "$p$n" sum)" -v b="$base" 'BEGIN { print 100 * s / b }')"
	done
	printf '  %-22s %-16s %-16s %-16s %5s %8.1f%%\n' "plain driver $(echo "$w" | tr ',' '/')" \
		"-" "-" "$(get "plain$n" share)" "-" \
		"$(awk -v s="$(get "plain$n" sum)" -v b="$base" 'BEGIN { print 100 * s / b }')"
done
echo "  one native tenant: $base launches of 1 ms in the window"
