#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run one libvgpu test program under the interposer: LD_PRELOAD of
# LT_PRELOAD (libvgpu.so.1, after the sanitizer runtime under SAN=1; empty:
# no preload, for programs linked with libvgpu), the simulated GPU first on
# the library path (the caller's LD_LIBRARY_PATH).  Backend and slices come
# from the environment (VGPU_BACKEND, VGPU_SLICE, LT_SLICES): the same
# programs run on the kernel backend in the VM.
set -e
test -n "${LT_PRELOAD+set}" || { echo "run.sh: LT_PRELOAD is not set" >&2; exit 2; }
if [ -n "$LT_PRELOAD" ]; then
	LD_PRELOAD="$LT_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}"
	export LD_PRELOAD
fi
exec "$@"
