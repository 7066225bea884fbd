# SPDX-License-Identifier: GPL-2.0-only
#
# fakecuda: vgpu's simulated GPU, a test double of NVIDIA's libcuda.so.1
# (see tests/fakecuda/README.md).  Included by the top-level Makefile.
#
#   $(B)/fakecuda/libcuda.so.1     the double (and the libcuda.so link)
#   $(B)/fakecuda/fakecuda-stat    per-process GPU time and memory
#   make fakecuda-test             its own tests (part of check-unit)

FC_DIR := $(TOP)/tests/fakecuda
FC_OUT := $(B)/fakecuda
FC_TOUT := $(B)/tests/fakecuda

FC_LIB := $(FC_OUT)/libcuda.so.1
FC_STAT := $(FC_OUT)/fakecuda-stat

FC_LIB_SRCS := fc_shm.c fc_core.c fc_mem.c fc_exec.c fc_procaddr.c fc_errors.c
FC_LIB_OBJS := $(patsubst %.c,$(FC_OUT)/obj/%.o,$(FC_LIB_SRCS))
FC_STAT_OBJS := $(FC_OUT)/obj-tool/fakecuda-stat.o $(FC_OUT)/obj-tool/fc_shm.o

FC_CFLAGS := $(USER_CFLAGS) -I$(CUDA_HOME)/include -I$(FC_DIR) -MMD -MP
# hidden by default: only what is marked FC_API is exported; calls and
# addresses inside the library bind to the library (an LD_PRELOAD
# interposer sees the application's calls only, as with the real driver)
FC_LIB_CFLAGS := $(FC_CFLAGS) -fPIC -fvisibility=hidden -fno-semantic-interposition
FC_LIB_LDFLAGS := -shared -Wl,-soname,libcuda.so.1 -Wl,-Bsymbolic-functions \
	-Wl,-z,defs -Wl,-z,now

FC_TESTS := errors procs timeline events procaddr graph pool vmm arrays interpose stat
FC_TEST_BINS := $(patsubst %,$(FC_TOUT)/test_%,$(FC_TESTS))
FC_SHIM := $(FC_TOUT)/libfcshim.so
# DT_RPATH (not RUNPATH): the tests use this double even if LD_LIBRARY_PATH
# names a real driver
FC_TEST_LDFLAGS := $(USER_LDFLAGS) -L$(FC_OUT) -Wl,--disable-new-dtags \
	-Wl,-rpath,$(FC_OUT)

.PHONY: fakecuda fakecuda-test

fakecuda: $(FC_LIB) $(FC_STAT)
user: fakecuda
check-unit: fakecuda-test

$(FC_OUT)/obj/%.o: $(FC_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(FC_LIB_CFLAGS) -c -o $@ $<

$(FC_OUT)/obj-tool/%.o: $(FC_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(FC_CFLAGS) -c -o $@ $<

$(FC_LIB): $(FC_LIB_OBJS)
	$(CC) $(FC_LIB_LDFLAGS) $(USER_LDFLAGS) -o $@ $^ -lpthread
	ln -sf libcuda.so.1 $(FC_OUT)/libcuda.so

$(FC_STAT): $(FC_STAT_OBJS)
	$(CC) $(USER_LDFLAGS) -o $@ $^ -lpthread

$(FC_SHIM): $(FC_DIR)/fc_shim.c
	@mkdir -p $(@D)
	$(CC) $(FC_CFLAGS) -fPIC -shared $(USER_LDFLAGS) -o $@ $< -ldl

$(FC_TOUT)/test_%: $(FC_DIR)/test_%.c $(FC_DIR)/fc_test.h $(FC_LIB)
	@mkdir -p $(@D)
	$(CC) $(FC_CFLAGS) -o $@ $< $(FC_TEST_LDFLAGS) -lcuda -ldl -lpthread

# the shim comes first among the libraries, as an LD_PRELOAD interposer would
$(FC_TOUT)/test_interpose: $(FC_DIR)/test_interpose.c $(FC_DIR)/fc_test.h $(FC_LIB) $(FC_SHIM)
	$(CC) $(FC_CFLAGS) -o $@ $< $(FC_TEST_LDFLAGS) -L$(FC_TOUT) \
		-Wl,--no-as-needed -lfcshim -lcuda -Wl,-rpath,$(FC_TOUT) -ldl -lpthread

fakecuda-test: $(FC_LIB) $(FC_STAT) $(FC_TEST_BINS)
	@set -e; for t in $(FC_TEST_BINS); do \
		echo "  TEST    $${t#$(TOP)/}"; \
		FAKECUDA_STAT_BIN=$(FC_STAT) timeout 60 $$t; \
	done
	@echo "  TEST    exports of $(FC_LIB:$(TOP)/%=%)"
	@sh $(FC_DIR)/check_exports.sh $(FC_LIB) $(CUDA_HOME) $(FC_DIR)/fc_proctable.h

-include $(FC_LIB_OBJS:.o=.d) $(FC_STAT_OBJS:.o=.d) $(FC_TEST_BINS:=.d) $(FC_SHIM:.so=.d)
