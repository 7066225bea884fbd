# SPDX-License-Identifier: GPL-2.0-only
#
# vgpu: builds vgpu.ko (kbuild, against KDIR), libvgpu and vgpuctl.
#
#   make            everything
#   make check      every test suite: unit tests, the same under ASan/UBSan,
#                   libvgpu on the simulated GPU, vgpu.ko in QEMU on the
#                   stock and the debug kernel
#   make style      checkpatch and sparse (C=2) on the module
#   make bench      benchmarks: figures and ratios, nothing asserted
#   make demo       the main job on this machine, with the simulated GPU
#   make deps       install what the build and the tests need (Debian)

TOP := $(CURDIR)
B := $(TOP)/build

# The running kernel's build tree, else the installed Debian headers.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))
CUDA_HOME ?= /usr/local/cuda

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-nonliteral -Wundef -Wvla
USER_CFLAGS := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -fno-strict-aliasing \
	-I$(TOP)/include $(EXTRA_CFLAGS)
USER_LDFLAGS := $(EXTRA_LDFLAGS)

# Sanitizer builds go to their own tree: make SAN=1 ...
ifeq ($(SAN),1)
B := $(TOP)/build/san
USER_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all -O1
USER_LDFLAGS += -fsanitize=address,undefined
endif

PKG_NL := $(shell pkg-config --cflags --libs libnl-genl-3.0 2>/dev/null)
PKG_NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
PKG_NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
PKG_JSON_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null)
PKG_JSON_LIBS := $(shell pkg-config --libs json-c 2>/dev/null)
PKG_DRM_CFLAGS := $(shell pkg-config --cflags libdrm 2>/dev/null)
PKG_DRM_LIBS := $(shell pkg-config --libs libdrm 2>/dev/null)

.PHONY: all module user check check-unit check-san check-vm check-vm-debug \
	no-debug-kernel style bench demo deps clean help

all: module user

help:
	@sed -n '3,12p' Makefile | sed 's/^# \{0,1\}//'

module:
	$(MAKE) -C $(KDIR) M=$(TOP) modules

user:

# The debug kernel lives beside the checkout (../shared/kernels/6.1-debug);
# where a machine has none, make check says so loudly and runs the rest.
VGPU_DEBUG_KERNEL_DIR ?= $(abspath $(TOP)/../shared/kernels/6.1-debug)
CHECK_VM_DEBUG := $(if $(wildcard $(VGPU_DEBUG_KERNEL_DIR)/bzImage),check-vm-debug,no-debug-kernel)

check: all check-unit check-san check-vm $(CHECK_VM_DEBUG)
	@echo "make check: all suites passed"

no-debug-kernel:
	@echo "WARNING: no debug kernel at $(VGPU_DEBUG_KERNEL_DIR) (VGPU_DEBUG_KERNEL_DIR):"
	@echo "WARNING: the VM suite ran on the stock kernel only"

check-unit:
check-san:
	$(MAKE) SAN=1 check-unit

bench:

# Not kbuild's clean: with M=$(TOP) it would also empty the kernel trees
# the VM suite unpacks under build/.
clean:
	rm -f vgpu.ko vgpu.o vgpu.mod vgpu.mod.c vgpu.mod.o modules.order \
		Module.symvers .vgpu*.cmd .modules.order.cmd .Module.symvers.cmd
	find kmod \( -name '*.o' -o -name '.*.cmd' -o -name '.*.d' \) -delete
	rm -rf $(B)

deps:
	tools/deps.sh

demo: all vm-helpers
	tools/demo.sh

include tools/tools.mk
include tests/vm/vm.mk
include kmod/style.mk
include tests/tests.mk
include tests/fakecuda/fakecuda.mk
-include lib/lib.mk
