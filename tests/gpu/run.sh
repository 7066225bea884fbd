#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The real-GPU suite: libvgpu on a real CUDA driver, from the repository
# root of a GPU host (one GPU; modules need not load: the shm backend runs).
#
#   tests/gpu/run.sh            build libvgpu and the GPU programs, run every
#                               check and measurement, print a table last
#   tests/gpu/run.sh --sim      the same script against the simulated GPU
#                               (tests/fakecuda) on a machine without one: the
#                               logic, parsing and table are exercised, the
#                               numbers are simulated (the table says so); the
#                               CUDA runtime and PyTorch steps are skipped (the
#                               simulated GPU serves the driver API only)
#   (--dry-run is --sim)
#
# Needs: gcc, make, nvcc (CUDA 12.5+ toolkit), the driver's libcuda.so.1,
# python3 with torch for the PyTorch steps (skipped, and said so, without).
# Writes $OUT/gpu-suite.log (everything) and $OUT/gpu-results.txt (the
# table and the key=value lines it was made from); without OUT, build/gpu/out.
# Every step has a timeout, no step starts past DEADLINE seconds (300) and
# none runs past HARD (345): the whole run stays under 6 minutes and the
# table always prints.  With --sim the performance rows are marked "*" and
# do not count in the exit status (targets are for a real GPU).
#
# Steps (gpu_check.c, rt_check.cu, torch_check.py, kernels.cu):
#   info        which libcuda.so.1 the programs load (must be the driver's)
#   boundary    every allocation API at the exact quota (1 GiB), what libvgpu
#               charges against the driver's own usage (<= quota + 1 granule)
#   runtime     a CUDA runtime program (cuGetProcAddress found with dlsym)
#   torch       PyTorch under a 4 GiB slice, default and expandable segments
#   shares      fixed-work tenants (2: 30/70, 3: 20/30/50) at once under each
#               policy, and the same under the plain driver; achieved share
#               = work done in a common window / sum
#   aggregate   best-effort tenants' work over one native tenant's
#   overhead    ns per launch, allocation and info call without and with
#               libvgpu, alternately, best of 3 runs each
set -u -o pipefail

DEADLINE=${DEADLINE:-300}
HARD=${HARD:-345}
QUOTA_MIB=1024
TORCH_MIB=4096
KERNEL_US=1000
WINDOW_MS=3000
WARMUP_MS=500

sim=0
for a in "$@"; do
	case "$a" in
	--sim | --dry-run) sim=1 ;;
	-h | --help) sed -n '3,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown argument $a (--sim, --dry-run)" >&2; exit 2 ;;
	esac
done

REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO" || exit 2
GB=$REPO/build/gpu
OUT=${OUT:-$GB/out}
mkdir -p "$OUT" "$GB/steps"
LOG=$OUT/gpu-suite.log
RES=$OUT/gpu-results.txt
: >"$LOG"
: >"$RES"
T0=$SECONDS
TAG=gpusuite-$$
VGPU_LIB=$REPO/build/lib/libvgpu.so.1

HOLD=
cleanup() {
	[ -n "$HOLD" ] && kill "$HOLD" 2>/dev/null
	rm -f /dev/shm/vgpu-"$TAG"-* /dev/shm/fakecuda-"$TAG"
}
trap cleanup EXIT

say() {
	printf '[%3ds] %s\n' "$((SECONDS - T0))" "$*" | tee -a "$LOG"
}

# result lines: "name|PASS/FAIL/SKIP/INFO|measured|target"
rows=()
declare -A sharerow=()
nfail=0
row() {
	rows+=("$1|$2|$3|$4")
	[ "$2" = FAIL ] && nfail=$((nfail + 1))
	echo "ROW $1 | $2 | $3 | $4" >>"$RES"
}
# a performance figure: against its target on a GPU; marked, not counted, simulated
perf() {
	local st=$1
	[ $sim = 1 ] && [ "$st" != INFO ] && st="$st*"
	echo "$st"
}

# step NAME TIMEOUT CMD...: output to build/gpu/steps/NAME.out and the log;
# the tail on stdout when it fails.  Returns the command's status.
step() {
	local name=$1 limit=$2 rc left
	shift 2
	left=$((HARD - (SECONDS - T0)))
	if [ $((SECONDS - T0)) -ge "$DEADLINE" ] || [ $left -le 5 ]; then
		say "  $name: skipped, past the ${DEADLINE}s deadline"
		echo "skipped: deadline" >"$GB/steps/$name.out"
		return 124
	fi
	[ "$limit" -gt $left ] && limit=$left
	{
		echo "---- $name: $*"
	} >>"$LOG"
	timeout -k 5 "$limit" "$@" >"$GB/steps/$name.out" 2>&1
	rc=$?
	cat "$GB/steps/$name.out" >>"$LOG"
	echo "---- $name: exit $rc" >>"$LOG"
	if [ $rc -ne 0 ]; then
		say "  $name FAILED (exit $rc$([ $rc -eq 124 ] && echo ", timed out after ${limit}s")):"
		tail -n 12 "$GB/steps/$name.out" | sed 's/^/    | /'
	fi
	return $rc
}

# the value of KEY in the last line of step NAME that starts with TAG
kv() {
	grep "^$2 " "$GB/steps/$1.out" 2>/dev/null | tail -n 1 |
		tr ' ' '\n' | sed -n "s/^$3=//p" | tail -n 1
}
line() {
	grep "^$2 " "$GB/steps/$1.out" 2>/dev/null | tail -n 1
}
calc() {
	awk "BEGIN { printf \"$1\", $2 }"
}

say "vgpu GPU suite: $([ $sim = 1 ] && echo 'SIMULATED GPU (tests/fakecuda)' || echo 'real GPU'), $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -n), $(nproc) CPUs"

# ---- the toolkit, and which driver the programs will load ----
NVCC=$(command -v nvcc || true)
for c in /usr/local/cuda/bin/nvcc /usr/local/cuda-*/bin/nvcc; do
	[ -z "$NVCC" ] && [ -x "$c" ] && NVCC=$c
done
if [ -z "$NVCC" ]; then
	say "nvcc not found (PATH, /usr/local/cuda/bin): cannot build the GPU programs"
	row build FAIL "no nvcc" "nvcc present"
	NVCC=false
fi
CUDA_HOME=$(dirname "$(dirname "$(readlink -f "$NVCC")")")
export CUDA_HOME
CUDA_INC=$CUDA_HOME/include
for d in "$CUDA_HOME"/targets/*/include /usr/local/cuda/include /usr/include; do
	[ -f "$CUDA_INC/cuda.h" ] || CUDA_INC=$d
done
if [ $sim = 1 ]; then
	export LD_LIBRARY_PATH=$REPO/build/fakecuda
	export FAKECUDA_SHM=/fakecuda-$TAG FAKECUDA_MEMORY=16g
else
	# the driver's libcuda.so.1, found by the loader: never the simulated one
	LD_LIBRARY_PATH=$(printf '%s' "${LD_LIBRARY_PATH:-}" | tr ':' '\n' |
		grep -v -e fakecuda -e stubs | paste -sd: -)
	export LD_LIBRARY_PATH
	unset FAKECUDA_SHM FAKECUDA_MEMORY
fi
unset LD_PRELOAD VGPU_BACKEND VGPU_SLICE VGPU_MEMORY_LIMIT VGPU_SHARE VGPU_CAP VGPU_POLICY \
	VGPU_SHM CUDA_DEVICE_MEMORY_LIMIT CUDA_DEVICE_SM_LIMIT PYTORCH_CUDA_ALLOC_CONF
export CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-0}

# ---- build ----
say "build: make libvgpu$([ $sim = 1 ] && echo ' fakecuda'), the GPU programs (nvcc: $NVCC)"
jobs=$(nproc)
build_ok=1
targets=(libvgpu)
[ $sim = 1 ] && targets+=(fakecuda)
werror=1
if ! step build-lib 240 make -C "$REPO" -j"$jobs" "${targets[@]}" CUDA_HOME="$CUDA_HOME" \
	LV_CUDA_INC="-isystem $CUDA_INC"; then
	# another compiler's warnings must not stop the suite: again, as warnings
	werror=0
	step build-lib-nowerror 240 make -C "$REPO" -j"$jobs" "${targets[@]}" \
		CUDA_HOME="$CUDA_HOME" LV_CUDA_INC="-isystem $CUDA_INC" EXTRA_CFLAGS=-Wno-error ||
		build_ok=0
fi
GENCODE=(-gencode "arch=compute_90,code=sm_90" -gencode "arch=compute_75,code=compute_75")
rm -f "$GB/kernels.fatbin" "$GB/rt_check" "$GB/gpu_check" "$GB/gpu_check.o"
step build-kernels 240 "$NVCC" -allow-unsupported-compiler -fatbin "${GENCODE[@]}" -o "$GB/kernels.fatbin" \
	tests/gpu/kernels.cu &
p1=$!
{
	step build-rt 240 "$NVCC" -allow-unsupported-compiler -O2 "${GENCODE[@]}" \
		-Xcompiler -Wall,-Wextra,-Werror -o "$GB/rt_check" tests/gpu/rt_check.cu ||
		step build-rt-nowerror 240 "$NVCC" -allow-unsupported-compiler -O2 \
			"${GENCODE[@]}" -Xcompiler -Wall,-Wextra -o "$GB/rt_check" tests/gpu/rt_check.cu
} &
p2=$!
CHECK_CFLAGS=(-std=gnu11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wformat=2 -Wno-format-nonliteral -Wundef -Wvla -D_GNU_SOURCE -isystem "$CUDA_INC")
{
	{
		step build-check-cc 240 gcc "${CHECK_CFLAGS[@]}" -Werror -c -o "$GB/gpu_check.o" \
			tests/gpu/gpu_check.c ||
			step build-check-cc-nowerror 240 gcc "${CHECK_CFLAGS[@]}" -c \
				-o "$GB/gpu_check.o" tests/gpu/gpu_check.c
	} && step build-check-ld 240 "$NVCC" -allow-unsupported-compiler -cudart none \
		-o "$GB/gpu_check" "$GB/gpu_check.o" -lcuda -ldl -lpthread
} &
p3=$!
wait $p1 || build_ok=0
wait $p2 || build_ok=0
wait $p3 || build_ok=0
grep -q -e 'nowerror: exit 0' "$LOG" && werror=0
if [ $build_ok = 1 ] && [ $werror = 1 ]; then
	row build PASS "libvgpu, gpu_check, kernels, rt_check; -Werror" "builds"
elif [ $build_ok = 1 ]; then
	row build FAIL "built only without -Werror: see the log" "builds, -Werror"
else
	row build FAIL "see the log" "builds"
fi
if [ $sim = 1 ]; then
	printf 'fakecuda-module' >"$GB/fake.module"
	export GPU_MODULE=$GB/fake.module
else
	export GPU_MODULE=$GB/kernels.fatbin
fi
GC=$GB/gpu_check
# vg_env NAME: VG=(env ...) runs a command under libvgpu, on a shm region and
# slice of its own: step STEP LIMIT "${VG[@]}" [VAR=VALUE...] CMD...
vg_env() {
	VG=(env LD_PRELOAD="$VGPU_LIB" VGPU_SHM="/vgpu-$TAG-$1" VGPU_SLICE="$1")
}

# ---- info: the driver the programs load ----
say "info: device, driver, libcuda.so.1"
exclusive=0
if [ $sim = 0 ] && command -v nvidia-smi >/dev/null; then
	step nvidia-smi 30 nvidia-smi --format=csv \
		--query-gpu=name,driver_version,memory.total,memory.used,persistence_mode,compute_mode
	if grep -qi exclusive "$GB/steps/nvidia-smi.out"; then
		exclusive=1
		say "  the GPU is in an exclusive compute mode: one process at a time (tenants cannot share)"
	fi
fi
# one idle context for the whole run keeps the driver initialised (each
# process would otherwise bring the GPU up again without persistence mode)
if [ $exclusive = 0 ]; then
	"$GC" hold >>"$LOG" 2>&1 &
	HOLD=$!
fi
device="?" libcuda="?"
vg_env info
if step info 60 "$GC" info && step info-vgpu 60 "${VG[@]}" "$GC" info; then
	device=$(line info INFO | sed -n 's/.*device="\([^"]*\)".*/\1/p')
	libcuda=$(kv info INFO libcuda)
	say "  $device, driver $(kv info INFO driver), $libcuda, $(kv info INFO total_mib) MiB, $(kv info INFO sms) SMs; libvgpu $(kv info-vgpu INFO libvgpu) under LD_PRELOAD"
	if [ $sim = 1 ]; then
		case "$libcuda" in
		*build/fakecuda/*) row "libcuda.so.1 loaded" PASS "$libcuda (simulated)" "build/fakecuda" ;;
		*) row "libcuda.so.1 loaded" FAIL "$libcuda" "build/fakecuda" ;;
		esac
	else
		case "$libcuda $device" in
		*fakecuda* | *stubs*) row "libcuda.so.1 loaded" FAIL "$libcuda ($device)" "the driver's" ;;
		*) row "libcuda.so.1 loaded" PASS "$libcuda" "the driver's" ;;
		esac
	fi
	[ "$(kv info-vgpu INFO libvgpu)" != none ] || row "libvgpu preloaded" FAIL "not found" "1.0"
else
	row "libcuda.so.1 loaded" FAIL "gpu_check info failed" "the driver's"
fi

# ---- calibration: the fixed-work kernel ----
say "calibrate: work() for a ${KERNEL_US} us kernel"
iters=0
if step calibrate 60 "$GC" calibrate $KERNEL_US; then
	iters=$(kv calibrate CALIBRATE iters)
	case "$iters" in '' | *[!0-9]*) iters=0 ;; esac
	say "  iters=$iters ($(kv calibrate CALIBRATE kernel_us) us, $(kv calibrate CALIBRATE blocks) blocks of $(kv calibrate CALIBRATE threads))"
fi
short_iters=$((iters / 100 > 0 ? iters / 100 : 1))

# ---- correctness ----
say "boundary: every allocation API at a ${QUOTA_MIB} MiB quota, under libvgpu"
vg_env boundary
if step boundary 120 "${VG[@]}" VGPU_MEMORY_LIMIT=${QUOTA_MIB}m "$GC" boundary $QUOTA_MIB; then
	row "quota boundary, 9 allocation APIs" PASS \
		"$(kv boundary BOUNDARY passed)/$(kv boundary BOUNDARY apis) exact; driver $(calc '%+.2f' "$(kv boundary BOUNDARY worst_excess_bytes)/1048576") MiB at worst" \
		"0 B over quota+granule"
	row "memory info (cuMemGetInfo)" PASS "total $(kv boundary BOUNDARY seen_total_mib) MiB; GPU used at start $(kv boundary BOUNDARY ctx_real_mib) MiB (contexts: not charged)" "the slice"
	row "bytes over quota" "$([ "$(kv boundary BOUNDARY over_bytes)" = 0 ] && echo PASS || echo FAIL)" \
		"$(kv boundary BOUNDARY over_bytes) B" "0 B"
else
	row "quota boundary, 9 allocation APIs" FAIL "$(tail -n 1 "$GB/steps/boundary.out" | cut -c1-58)" "exact"
fi

if [ $sim = 1 ]; then
	row "CUDA runtime program" SKIP "simulated GPU: no CUDA runtime" "slice seen, OOM"
else
	say "runtime: a CUDA runtime program, under libvgpu and plain"
	vg_env runtime
	if step runtime-vgpu 90 "${VG[@]}" VGPU_MEMORY_LIMIT=${QUOTA_MIB}m "$GB/rt_check" vgpu $QUOTA_MIB &&
		step runtime-plain 90 "$GB/rt_check" plain; then
		row "CUDA runtime program" PASS "total $(kv runtime-vgpu RUNTIME total_mib) MiB (plain $(kv runtime-plain RUNTIME total_mib)); entry points libvgpu's; OOM; saxpy ok" "slice seen, OOM"
	else
		row "CUDA runtime program" FAIL "see the log" "slice seen, OOM"
	fi
fi

torch_ok=0
if [ $sim = 0 ] && timeout 120 python3 -c 'import torch' >/dev/null 2>&1; then
	torch_ok=1
fi
for mode in default expandable; do
	name="PyTorch ${TORCH_MIB} MiB slice ($mode)"
	if [ $torch_ok = 0 ]; then
		row "$name" SKIP "$([ $sim = 1 ] && echo 'simulated GPU' || echo 'no torch in python3')" "OOM raised, loop runs"
		continue
	fi
	say "torch: $name"
	conf=
	[ $mode = expandable ] && conf=expandable_segments:True
	vg_env "torch-$mode"
	if step "torch-$mode" 150 "${VG[@]}" VGPU_MEMORY_LIMIT=${TORCH_MIB}m \
		PYTORCH_CUDA_ALLOC_CONF=$conf python3 tests/gpu/torch_check.py $TORCH_MIB $mode; then
		row "$name" PASS "total $(kv "torch-$mode" TORCH total_mib) MiB; OOM raised; loss $(kv "torch-$mode" TORCH loss0)->$(kv "torch-$mode" TORCH loss1); reserved<=$(kv "torch-$mode" TORCH max_reserved_mib) MiB; torch $(kv "torch-$mode" TORCH torch)" "OOM raised, loop runs"
	else
		row "$name" FAIL "$(grep -m1 -e FAILED -e Error "$GB/steps/torch-$mode.out" | cut -c1-70)" "OOM raised, loop runs"
	fi
done

# ---- shares ----
# shares NAME POLICY WEIGHTS PRELOAD
shares() {
	step "$1" 90 "$GC" shares --label "$1" --policy "$2" --weights "$3" --preload "$4" \
		--iters "$iters" --warmup-ms $WARMUP_MS --window-ms $WINDOW_MS
}
# the share each tenant should get: weight / sum (equal share: 1/n)
expected() {
	awk -v p="$1" -v w="$2" 'BEGIN { n = split(w, a, ","); s = 0
		for (i = 1; i <= n; i++) s += a[i]
		for (i = 1; i <= n; i++) printf "%s%.1f", (i > 1 ? "/" : ""), (p == "equal-share" ? 100 / n : 100 * a[i] / s) }'
}
maxerr() {
	awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, "[,/]"); split(b, y, "[,/]"); m = 0
		for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > m) m = d }
		printf "%.1f", m }'
}
if [ "$iters" -gt 0 ]; then
	say "shares: ${WINDOW_MS} ms windows, ${KERNEL_US} us fixed-work kernels"
	shares one-native none 100 none
	shares one-vgpu best-effort 100 "$VGPU_LIB"
	for w in 30,70 20,30,50; do
		n=$(echo "$w" | tr ',' '\n' | wc -l)
		shares "plain-$n" none "$w" none
		for p in best-effort equal-share fixed-share; do
			shares "$p-$n" "$p" "$w" "$VGPU_LIB"
			got=$(kv "$p-$n" SHARES share | tr ',' '/')
			want=$(expected "$p" "$w")
			plain=$(kv "plain-$n" SHARES share | tr ',' '/')
			if [ -n "$got" ]; then
				err=$(maxerr "$got" "$want")
				st=$(perf "$(awk -v e="$err" 'BEGIN { print (e <= 2.0 ? "PASS" : "FAIL") }')")
				[ "$st" = FAIL ] && nfail=$((nfail + 1))
				sharerow[$p-$n]="$p ${w//,//}|$want|$got|${plain:-?}|$err|$st"
				say "  $p ${w//,//}: $got (want $want, err $err); plain driver ${plain:-?}"
			else
				sharerow[$p-$n]="$p ${w//,//}|$want|failed|${plain:-?}|-|FAIL"
				nfail=$((nfail + 1))
				say "  $p ${w//,//}: failed (see the log)"
			fi
			echo "SHAREROW ${sharerow[$p-$n]}" >>"$RES"
		done
	done
	base=$(kv one-native SHARES sum)
	for n in 2 3; do
		s=$(kv "best-effort-$n" SHARES sum)
		if [ -n "$base" ] && [ -n "$s" ] && [ "$base" -gt 0 ]; then
			r=$(calc '%.1f' "100*$s/$base")
			row "best-effort aggregate, $n tenants" \
				"$(perf "$(awk -v r="$r" 'BEGIN { print (r >= 97 ? "PASS" : "FAIL") }')")" \
				"$r % of one native tenant ($s/$base launches)" ">= 97 %"
		else
			row "best-effort aggregate, $n tenants" FAIL "no data" ">= 97 %"
		fi
	done
	s=$(kv one-vgpu SHARES sum)
	[ -n "$base" ] && [ -n "$s" ] && [ "$base" -gt 0 ] &&
		row "one tenant under libvgpu" INFO "$(calc '%.1f' "100*$s/$base") % of native ($s/$base)" "-"
else
	row shares FAIL "no calibration" "err <= 2 points"
fi

# ---- overhead ----
say "overhead: without and with libvgpu, alternately, best of 3 runs each"
for r in 1 2 3; do
	step "overhead-plain-$r" 60 "$GC" overhead $short_iters
	vg_env "overhead-$r"
	step "overhead-vgpu-$r" 60 "${VG[@]}" "$GC" overhead $short_iters
done
# the best of the runs of one kind, for KEY
best() {
	for r in 1 2 3; do kv "overhead-$1-$r" OVERHEAD "$2"; done | sort -g | head -n 1
}
lp=$(best plain launch_ns) lv=$(best vgpu launch_ns)
if [ -n "$lp" ] && [ -n "$lv" ]; then
	pct=$(calc '%.2f' "100*($lv-$lp)/$lp")
	row "launch overhead" "$(perf "$(awk -v p="$pct" 'BEGIN { print (p <= 1.0 ? "PASS" : "FAIL") }')")" \
		"$(calc '%+.1f' "$lv-$lp") ns ($lp -> $lv ns/launch, $pct %)" "<= 1 %"
	ap=$(best plain alloc_free_ns) av=$(best vgpu alloc_free_ns)
	row "allocation overhead" INFO "$(calc '%+.0f' "$av-$ap") ns per cuMemAlloc+cuMemFree ($ap -> $av, x$(calc '%.3f' "$av/$ap"))" "-"
	ip=$(best plain info_ns) iv=$(best vgpu info_ns)
	row "cuMemGetInfo overhead" INFO "$(calc '%+.0f' "$iv-$ip") ns ($ip -> $iv)" "-"
	sp=$(best plain short_kernel_ns) sv=$(best vgpu short_kernel_ns)
	row "short kernels end to end" INFO "$(calc '%+.2f' "100*($sv-$sp)/$sp") % ($sp -> $sv ns per ~10 us kernel)" "-"
else
	row "launch overhead" FAIL "no data" "<= 1 %"
fi

# ---- the table, last ----
{
	echo
	echo "== vgpu GPU suite: ${device}$([ $sim = 1 ] && echo ' -- SIMULATED GPU: figures are the test double'"'"'s, not a GPU'"'"'s'), $(date -u '+%Y-%m-%d %H:%M UTC'), $((SECONDS - T0)) s =="
	printf '%-36s %-5s %-58s %s\n' check result measured target
	for r in "${rows[@]}"; do
		IFS='|' read -r a b c d <<<"$r"
		printf '%-36s %-5s %-58s %s\n' "$a" "$b" "$c" "$d"
	done
	if [ ${#sharerow[@]} -gt 0 ]; then
		echo
		printf '%-26s %-16s %-16s %-16s %-5s %s\n' "shares (work/sum, %)" configured libvgpu "plain driver" err result
		for k in best-effort-2 equal-share-2 fixed-share-2 best-effort-3 equal-share-3 fixed-share-3; do
			[ -n "${sharerow[$k]:-}" ] || continue
			IFS='|' read -r a b c d e f <<<"${sharerow[$k]}"
			printf '%-26s %-16s %-16s %-16s %-5s %s\n' "$a" "$b" "$c" "$d" "$e" "$f"
		done
		echo "(target: err <= 2 points; equal share ignores the weights)"
	fi
	[ $sim = 1 ] && echo "* simulated GPU: performance figures are the test double's; the targets are a real GPU's and are not counted"
	echo "$nfail failed; full log: $LOG"
} | tee -a "$RES" | tee -a "$LOG"
[ $nfail -eq 0 ]
