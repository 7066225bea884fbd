# SPDX-License-Identifier: GPL-2.0-only
#
# The VM suite: vgpu.ko under QEMU (TCG) on Debian's stock 6.1 kernel and on
# the debug kernel from ../shared/kernels/6.1-debug (tests/vm/run.sh).
#
#   make check-vm          stock kernel          VM_ARGS="--cases '3*'" ...
#   make check-vm-debug    debug kernel (KASAN, lockdep, kmemleak)
#   make vm-shell          stock kernel, everything loaded, a busybox shell
#
# The helpers run inside the VM and are linked statically: under TCG the
# dynamic loader makes each exec cost 40-60 ms instead of 8-14 (the suite
# runs them hundreds of times).  Static libnl references glibc's NSS
# functions, which nlraw never calls; ld (binutils >= 2.40) is told not to
# warn about them.  SAN=1 builds stay dynamic; run.sh copies any libraries.

VM_SRC := $(TOP)/tests/vm
VM_B := $(B)/tests/vm
VM_HELPERS := $(VM_B)/nlraw $(VM_B)/runas $(VM_B)/sysfs_write $(VM_B)/jsonflat \
	$(VM_B)/vgpu-test
VM_ARGS ?=
VM_STATIC := $(if $(filter 1,$(SAN)),,-static)
VM_NL_STATIC := $(if $(VM_STATIC),-static $(shell $(CC) -Wl,--no-warnings \
	-Wl,--version >/dev/null 2>&1 && echo -Wl,--no-warnings))
VM_NL_LIBS := $(if $(VM_STATIC),$(shell pkg-config --static --libs \
	libnl-genl-3.0 2>/dev/null),$(PKG_NL_LIBS))
VGPU_DEBUG_KERNEL_DIR ?= $(abspath $(TOP)/../shared/kernels/6.1-debug)

# vgpuctl runs hundreds of times in the VM: a static build of it (the
# same objects), for the same reason as the helpers.
VM_VGPUCTL := $(if $(VM_STATIC),$(VM_B)/vgpuctl,$(B)/tools/vgpuctl)

$(VM_B)/vgpuctl: $(VGPUCTL_MAIN_OBJ) $(VGPUCTL_LIB) | $(VM_B)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(VM_NL_STATIC) \
		$(shell pkg-config --static --libs libnl-genl-3.0 json-c libdrm 2>/dev/null)

# make has built vgpuctl and the helpers: run.sh builds only the module.
VM_RUN_ARGS = --no-make --helpers $(VM_B) --vgpuctl $(VM_VGPUCTL)

.PHONY: vm-helpers vm-shell vm-bench

vm-helpers: $(VM_HELPERS) $(VM_VGPUCTL)

$(VM_B):
	mkdir -p $@

$(VM_B)/nlraw: $(VM_SRC)/nlraw.c $(TOP)/include/uapi/linux/vgpu.h | $(VM_B)
	$(CC) $(USER_CFLAGS) $(PKG_NL_CFLAGS) -o $@ $< $(USER_LDFLAGS) \
		$(VM_NL_STATIC) $(VM_NL_LIBS)

$(VM_B)/jsonflat: $(VM_SRC)/jsonflat.c | $(VM_B)
	$(CC) $(USER_CFLAGS) $(PKG_JSON_CFLAGS) -o $@ $< $(USER_LDFLAGS) \
		$(VM_STATIC) $(PKG_JSON_LIBS)

$(VM_B)/runas $(VM_B)/sysfs_write: $(VM_B)/%: $(VM_SRC)/%.c | $(VM_B)
	$(CC) $(USER_CFLAGS) -o $@ $< $(USER_LDFLAGS) $(VM_STATIC)

$(VM_B)/vgpu-test: $(VM_SRC)/vgpu_test.c $(TOP)/include/uapi/linux/vgpu.h | $(VM_B)
	$(CC) $(USER_CFLAGS) -o $@ $< $(USER_LDFLAGS) $(VM_STATIC)

check-vm: user vm-helpers
	$(VM_SRC)/run.sh $(VM_RUN_ARGS) $(VM_ARGS)

# debug-kernel.sh fails, naming the directory, when the kernel is missing.
check-vm-debug: user vm-helpers
	VGPU_DEBUG_KERNEL_DIR='$(VGPU_DEBUG_KERNEL_DIR)' \
		$(VM_SRC)/debug-kernel.sh --run $(VM_RUN_ARGS) $(VM_ARGS)

# make bench: the module's figures from the VM (stock kernel).
vm-bench: user vm-helpers
	@echo "vgpu.ko in the VM (QEMU TCG, stock kernel):"
	@$(VM_SRC)/run.sh $(VM_RUN_ARGS) --bench $(VM_ARGS) >/dev/null 2>&1 || \
		echo "  the benchmark VM run failed: make check-vm VM_ARGS=--bench shows why"
	@sed -n 's/^BENCH /  /p' "$$(ls -t $(TOP)/build/vm/*/tests.log | head -n1)"

bench: vm-bench

vm-shell: user vm-helpers
	$(VM_SRC)/run.sh $(VM_RUN_ARGS) --shell $(VM_ARGS)
