# SPDX-License-Identifier: GPL-2.0-only
#
# fakecuda: check what libcuda.so.1 (the test double) exports.
#   check_exports.sh LIB CUDA_HOME PROCTABLE
# - its soname is libcuda.so.1;
# - every cu* symbol it exports is one NVIDIA's libcuda.so.1 exports (the
#   CUDA toolkit's stub lists the real ABI names), so no macro name such as
#   cuMemAlloc for cuMemAlloc_v2 slipped out;
# - its other exports are the fakecuda_* extension functions;
# - every entry point of the cuGetProcAddress table (PROCTABLE) is exported.
set -eu
lib=$1 cuda=$2 table=$3
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

readelf -d "$lib" | grep -q 'Library soname: \[libcuda.so.1\]' || {
	echo "check_exports: $lib: soname is not libcuda.so.1" >&2; fail=1; }

nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort > "$tmp/ours"
[ -s "$tmp/ours" ] || { echo "check_exports: $lib exports no functions" >&2; exit 1; }

stub=
for s in "$cuda/lib64/stubs/libcuda.so" "$cuda/lib/stubs/libcuda.so" \
	 "$cuda/targets/x86_64-linux/lib/stubs/libcuda.so"; do
	[ -f "$s" ] && { stub=$s; break; }
done
if [ -n "$stub" ]; then
	nm -D --defined-only "$stub" | awk '{ print $3 }' | sort > "$tmp/real"
	grep '^cu' "$tmp/ours" | comm -23 - "$tmp/real" > "$tmp/unknown"
	if [ -s "$tmp/unknown" ]; then
		echo "check_exports: exported but not in $stub:" >&2
		sed 's/^/  /' "$tmp/unknown" >&2
		fail=1
	fi
else
	echo "check_exports: no libcuda.so stub under $cuda: real ABI names not compared"
fi

grep -v -e '^cu' -e '^fakecuda_' "$tmp/ours" > "$tmp/other" || true
if [ -s "$tmp/other" ]; then
	echo "check_exports: exported by mistake:" >&2
	sed 's/^/  /' "$tmp/other" >&2
	fail=1
fi

sed -n 's/^FC_PROC([^,]*, *[0-9]*, *\([A-Za-z0-9_]*\), *\([A-Z]*\))$/\1 \2/p' "$table" |
	awk '$2 != "MISSING" { print $1 }' | sort -u > "$tmp/want"
[ -s "$tmp/want" ] || { echo "check_exports: no rows read from $table" >&2; exit 1; }
comm -23 "$tmp/want" "$tmp/ours" > "$tmp/absent"
if [ -s "$tmp/absent" ]; then
	echo "check_exports: in the cuGetProcAddress table but not exported:" >&2
	sed 's/^/  /' "$tmp/absent" >&2
	fail=1
fi
[ $fail = 0 ] && echo "check_exports: $(wc -l < "$tmp/ours") exports, all known ABI names"
exit $fail
