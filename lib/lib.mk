# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# libvgpu: the library (API + CUDA driver interposer), its tests and its
# benchmark; included by the top-level Makefile.
#
#   $(B)/lib/libvgpu.so.1          soname libvgpu.so.1 (+ libvgpu.so link)
#   $(B)/lib/libvgpu.pc            pkg-config file (PREFIX, default /usr/local)
#   make libvgpu-test              its tests (part of check-unit; also SAN=1)
#   make libvgpu-bench             launch and allocation overhead, shares and
#                                  aggregate throughput on the simulated GPU
#                                  (part of bench)

LIBVGPU_VERSION := 1.0.0
PREFIX ?= /usr/local

LV_SRC := $(TOP)/lib
LV_OUT := $(B)/lib
LV_OBJ := $(LV_OUT)/obj
LV_LIB := $(LV_OUT)/libvgpu.so.1
LV_PC := $(LV_OUT)/libvgpu.pc
LV_MAP := $(LV_SRC)/libvgpu.map

# the backends and the API; the interposer on top
LV_CORE_SRCS := log.c policy.c slice.c shm.c kernel.c
LV_CUDA_SRCS := interpose.c procaddr.c dlsym.c mem.c exec.c
LV_CORE_OBJS := $(patsubst %.c,$(LV_OBJ)/%.o,$(LV_CORE_SRCS)) $(LV_OBJ)/arbiter_core.o
LV_CUDA_OBJS := $(patsubst %.c,$(LV_OBJ)/%.o,$(LV_CUDA_SRCS))
LV_OBJS := $(LV_CORE_OBJS) $(LV_CUDA_OBJS)
LV_CORE_AR := $(LV_OUT)/libvgpu-core.a

LV_CUDA_INC := -isystem $(CUDA_HOME)/include
LV_CFLAGS := $(USER_CFLAGS) $(LV_CUDA_INC) -I$(LV_SRC) -fPIC -fvisibility=hidden \
	-fno-semantic-interposition -MMD -MP
LV_LDFLAGS := -shared -Wl,-soname,libvgpu.so.1 -Wl,--version-script=$(LV_MAP) \
	-Wl,-z,defs -Wl,-z,now

.PHONY: libvgpu libvgpu-test libvgpu-bench libvgpu-check-exports

libvgpu: $(LV_LIB) $(LV_PC)
user: libvgpu

$(LV_OBJ)/%.o: $(LV_SRC)/%.c $(TOP)/lib/lib.mk
	@mkdir -p $(@D)
	$(CC) $(LV_CFLAGS) -c -o $@ $<

$(LV_OBJ)/arbiter_core.o: $(TOP)/kmod/core/arbiter_core.c $(TOP)/lib/lib.mk
	@mkdir -p $(@D)
	$(CC) $(LV_CFLAGS) -c -o $@ $<

$(LV_LIB): $(LV_OBJS) $(LV_MAP)
	$(CC) $(LV_LDFLAGS) $(USER_LDFLAGS) -o $@ $(LV_OBJS) -lpthread -ldl
	ln -sf libvgpu.so.1 $(LV_OUT)/libvgpu.so

$(LV_CORE_AR): $(LV_CORE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(LV_PC): $(LV_SRC)/libvgpu.pc.in $(TOP)/lib/lib.mk
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(PREFIX)/lib|' \
	    -e 's|@INCLUDEDIR@|$(PREFIX)/include|' -e 's|@VERSION@|$(LIBVGPU_VERSION)|' \
	    $< > $@

# ---- tests (tests/lib) ----

# The simulated GPU (tests/fakecuda/fakecuda.mk makes these, in whatever
# order the fragments are included).
LT_FC_OUT := $(B)/fakecuda
LT_FC_LIB := $(LT_FC_OUT)/libcuda.so.1
LT_FC_STAT := $(LT_FC_OUT)/fakecuda-stat

LT_SRC := $(TOP)/tests/lib
LT_OUT := $(B)/tests/lib
LT_CFLAGS := $(USER_CFLAGS) $(LV_CUDA_INC) -I$(TOP)/tests/fakecuda -I$(LT_SRC) -MMD -MP
# CUDA programs: dynamically linked against libcuda.so.1 (whichever the
# library path finds: the simulated GPU here) and libvgpu for the checks
# that use its API; the interposer itself comes by LD_PRELOAD.
LT_CUDA_LDFLAGS := $(USER_LDFLAGS) -L$(LT_FC_OUT) -L$(LV_OUT)
# unit tests of the backends: the library's objects, no CUDA
LT_UNIT := test_policy test_shm test_kernel
# linked with libvgpu (they use its API) or, LT_PLAIN, with libcuda only
LT_CUDA := test_mem test_procaddr test_race test_share test_kill test_env test_perm
LT_PLAIN := test_procaddr test_share bench_launch
# the CUDA runtime's way in: dlopen + dlsym, libcuda not linked (under
# LD_PRELOAD); the same program linked with libvgpu before libcuda (active)
# and after it (inactive: libvgpu only for its API)
LT_DLSYM := test_dlsym test_dlsym_linked test_dlsym_after
LT_BINS := $(patsubst %,$(LT_OUT)/%,$(LT_UNIT) $(LT_CUDA) $(LT_DLSYM)) $(LT_OUT)/bench_launch
# the real-GPU suite's driver-API program (tests/gpu), here on the simulated
# GPU: its boundary check in the tests, its share measurement in the bench
LT_GPUCHECK := $(LT_OUT)/gpu_check
LT_BINS += $(LT_GPUCHECK)

$(patsubst %,$(LT_OUT)/%,$(LT_UNIT)): $(LT_OUT)/%: $(LT_SRC)/%.c $(LT_SRC)/lt.h $(LV_CORE_AR)
	@mkdir -p $(@D)
	$(CC) $(LT_CFLAGS) -I$(LV_SRC) -o $@ $< $(LV_CORE_AR) $(USER_LDFLAGS) -lpthread

$(patsubst %,$(LT_OUT)/%,$(filter-out $(LT_PLAIN),$(LT_CUDA))): \
		$(LT_OUT)/%: $(LT_SRC)/%.c $(LT_SRC)/lt.h $(LT_FC_LIB) $(LV_LIB)
	@mkdir -p $(@D)
	$(CC) $(LT_CFLAGS) -o $@ $< $(LT_CUDA_LDFLAGS) -lvgpu -lcuda -ldl -lpthread

$(patsubst %,$(LT_OUT)/%,$(LT_PLAIN)): $(LT_OUT)/%: $(LT_SRC)/%.c $(LT_SRC)/lt.h $(LT_FC_LIB)
	@mkdir -p $(@D)
	$(CC) $(LT_CFLAGS) -o $@ $< $(LT_CUDA_LDFLAGS) -lcuda -ldl -lpthread

$(LT_OUT)/test_dlsym: $(LT_SRC)/test_dlsym.c $(LT_SRC)/lt.h
	@mkdir -p $(@D)
	$(CC) $(LT_CFLAGS) -o $@ $< $(USER_LDFLAGS) -ldl -lpthread

$(LT_OUT)/test_dlsym_linked: $(LT_SRC)/test_dlsym.c $(LT_SRC)/lt.h $(LT_FC_LIB) $(LV_LIB)
	@mkdir -p $(@D)
	$(CC) $(LT_CFLAGS) -o $@ $< $(LT_CUDA_LDFLAGS) -Wl,--no-as-needed -lvgpu -lcuda \
		-ldl -lpthread

$(LT_OUT)/test_dlsym_after: $(LT_SRC)/test_dlsym.c $(LT_SRC)/lt.h $(LT_FC_LIB) $(LV_LIB)
	@mkdir -p $(@D)
	$(CC) $(LT_CFLAGS) -o $@ $< $(LT_CUDA_LDFLAGS) -Wl,--no-as-needed -lcuda -lvgpu \
		-ldl -lpthread

$(LT_GPUCHECK): $(TOP)/tests/gpu/gpu_check.c $(LT_FC_LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(LV_CUDA_INC) -MMD -MP -o $@ $< $(LT_CUDA_LDFLAGS) -lcuda -ldl \
		-lpthread

# Under SAN=1 the sanitizer runtime must come first among preloaded objects.
LT_ASAN := $(if $(filter 1,$(SAN)),$(shell $(CC) -print-file-name=libasan.so))
LT_ENV := LD_LIBRARY_PATH=$(LT_FC_OUT):$(LV_OUT) \
	LT_PRELOAD="$(strip $(LT_ASAN) $(LV_LIB))"

libvgpu-check-exports: $(LV_LIB)
	@echo "  TEST    exports of $(LV_LIB:$(TOP)/%=%)"
	@sh $(LT_SRC)/check_exports.sh $(LV_LIB) $(LV_SRC)/hooks.h $(TOP)/include/vgpu/vgpu.h

libvgpu-test: $(LV_LIB) $(LV_PC) $(LT_FC_LIB) $(LT_BINS) libvgpu-check-exports
	@set -e; for t in $(LT_UNIT); do \
		echo "  TEST    tests/lib/$$t"; \
		timeout 120 $(LT_OUT)/$$t; \
	done; \
	for t in $(LT_CUDA); do \
		echo "  TEST    tests/lib/$$t"; \
		$(LT_ENV) timeout 120 sh $(LT_SRC)/run.sh $(LT_OUT)/$$t; \
	done
	@echo "  TEST    tests/lib/test_mem, linked with libvgpu, no LD_PRELOAD"
	@$(LT_ENV) LT_PRELOAD="$(LT_ASAN)" timeout 120 sh $(LT_SRC)/run.sh $(LT_OUT)/test_mem
	@echo "  TEST    tests/lib/test_dlsym, libcuda not linked, found with dlopen + dlsym"
	@$(LT_ENV) timeout 120 sh $(LT_SRC)/run.sh $(LT_OUT)/test_dlsym
	@echo "  TEST    tests/lib/test_dlsym, linked with libvgpu before libcuda, no LD_PRELOAD"
	@$(LT_ENV) LT_PRELOAD="$(LT_ASAN)" timeout 120 sh $(LT_SRC)/run.sh \
		$(LT_OUT)/test_dlsym_linked
	@echo "  TEST    tests/lib/test_dlsym, linked with libcuda before libvgpu (inactive)"
	@$(LT_ENV) LT_PRELOAD="$(LT_ASAN)" timeout 120 sh $(LT_SRC)/run.sh \
		$(LT_OUT)/test_dlsym_after inactive
	@echo "  TEST    tests/gpu/gpu_check boundary, on the simulated GPU"
	@printf 'fakecuda-module' >$(LT_OUT)/fakecuda.module
	@$(LT_ENV) FAKECUDA_SHM=/lt-fc-gpucheck-$$$$ VGPU_SHM=/lt-vg-gpucheck-$$$$ \
		VGPU_MEMORY_LIMIT=64m GPU_MODULE=$(LT_OUT)/fakecuda.module timeout 120 \
		sh $(LT_SRC)/run.sh $(LT_GPUCHECK) boundary 64 >$(LT_OUT)/gpu_check.out 2>&1 || \
		{ cat $(LT_OUT)/gpu_check.out; rm -f /dev/shm/lt-*-gpucheck-$$$$; exit 1; }; \
		rm -f /dev/shm/lt-*-gpucheck-$$$$; tail -n 1 $(LT_OUT)/gpu_check.out

libvgpu-bench: $(LV_LIB) $(LT_FC_LIB) $(LT_OUT)/bench_launch $(LT_GPUCHECK)
	@$(LT_ENV) sh $(LT_SRC)/run.sh $(LT_OUT)/bench_launch
	@LD_LIBRARY_PATH=$(LT_FC_OUT) sh $(LT_SRC)/bench_share.sh $(LT_GPUCHECK) $(LV_LIB)

check-unit: libvgpu-test
bench: libvgpu-bench
# The VM suite runs the library's tests on the kernel backend (case 95).
check-vm check-vm-debug vm-shell vm-bench demo: $(LV_LIB) $(LT_FC_LIB) $(LT_BINS)

-include $(LV_OBJS:.o=.d) $(patsubst %,%.d,$(LT_BINS))
