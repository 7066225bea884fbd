# SPDX-License-Identifier: GPL-2.0-only
#
# vgpuctl and its unit tests; included by the top-level Makefile.
#
#   $(B)/tools/vgpuctl               the tool (make user)
#   $(B)/tools/vgpuctl.obj/          its objects and libvgpuctl.a (all but main)
#   $(B)/tests/unit/test_vgpuctl_*   unit tests (make check-unit)

VGPUCTL_VERSION ?= 0.1.0

VGPUCTL_SRC := $(TOP)/tools/vgpuctl
VGPUCTL_OBJDIR := $(B)/tools/vgpuctl.obj
VGPUCTL_LIB_SRCS := cli.c gpu.c type.c slice.c netlink.c output.c parse.c probe.c
VGPUCTL_LIB_OBJS := $(addprefix $(VGPUCTL_OBJDIR)/,$(VGPUCTL_LIB_SRCS:.c=.o))
VGPUCTL_MAIN_OBJ := $(VGPUCTL_OBJDIR)/main.o
VGPUCTL_LIB := $(VGPUCTL_OBJDIR)/libvgpuctl.a

# cuda.h gives probe.c the driver's types; without the toolkit probe.c
# declares the few it needs itself.  -isystem: the header is not ours to
# hold to -Werror.
VGPUCTL_CUDA_CFLAGS := $(if $(wildcard $(CUDA_HOME)/include/cuda.h),-isystem $(CUDA_HOME)/include)

VGPUCTL_CFLAGS := $(USER_CFLAGS) -I$(VGPUCTL_SRC) $(PKG_NL_CFLAGS) \
	$(PKG_JSON_CFLAGS) $(PKG_DRM_CFLAGS) $(VGPUCTL_CUDA_CFLAGS) \
	-DVGPUCTL_VERSION='"$(VGPUCTL_VERSION)"' -MMD -MP
VGPUCTL_LIBS := $(PKG_NL_LIBS) $(PKG_JSON_LIBS) $(PKG_DRM_LIBS)

# test_vgpuctl_fakecuda.c is a stand-in libcuda.so.1, not a test.
VGPUCTL_FAKECUDA_SRC := $(TOP)/tests/unit/test_vgpuctl_fakecuda.c
VGPUCTL_FAKECUDA_DIR := $(B)/tests/unit/vgpuctl-fakecuda
VGPUCTL_FAKECUDA := $(VGPUCTL_FAKECUDA_DIR)/libcuda.so.1
VGPUCTL_TEST_SRCS := $(filter-out $(VGPUCTL_FAKECUDA_SRC), \
	$(sort $(wildcard $(TOP)/tests/unit/test_vgpuctl_*.c)))
VGPUCTL_TESTS := $(patsubst $(TOP)/tests/unit/%.c,$(B)/tests/unit/%,$(VGPUCTL_TEST_SRCS))

.PHONY: vgpuctl vgpuctl-unit

user: $(B)/tools/vgpuctl
vgpuctl: $(B)/tools/vgpuctl

$(VGPUCTL_LIB_OBJS) $(VGPUCTL_MAIN_OBJ): $(VGPUCTL_OBJDIR)/%.o: $(VGPUCTL_SRC)/%.c \
		$(TOP)/tools/tools.mk
	@mkdir -p $(@D)
	$(CC) $(VGPUCTL_CFLAGS) -c -o $@ $<

$(VGPUCTL_LIB): $(VGPUCTL_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/tools/vgpuctl: $(VGPUCTL_MAIN_OBJ) $(VGPUCTL_LIB)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(VGPUCTL_LIBS)

# Unit tests link the library (everything but main.c).  The CLI test runs
# the built tool, named by VGPUCTL_BIN.
$(VGPUCTL_TESTS): $(B)/tests/unit/%: $(TOP)/tests/unit/%.c $(VGPUCTL_LIB) \
		$(TOP)/tools/tools.mk
	@mkdir -p $(@D)
	$(CC) $(VGPUCTL_CFLAGS) -MF $@.d -o $@ $< $(VGPUCTL_LIB) \
		$(USER_LDFLAGS) $(VGPUCTL_LIBS)

# Loaded by an instrumented vgpuctl under SAN=1, so built without sanitizers.
$(VGPUCTL_FAKECUDA): $(VGPUCTL_FAKECUDA_SRC) $(TOP)/tools/tools.mk
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize=%,$(USER_CFLAGS)) -fPIC -shared \
		-Wl,-soname,libcuda.so.1 -o $@ $<

vgpuctl-unit: $(VGPUCTL_TESTS) $(B)/tools/vgpuctl $(VGPUCTL_FAKECUDA)
	@set -e; for t in $(VGPUCTL_TESTS); do \
		echo "  RUN   $${t#$(TOP)/}"; \
		VGPUCTL_BIN=$(B)/tools/vgpuctl \
		VGPUCTL_FAKECUDA_DIR=$(VGPUCTL_FAKECUDA_DIR) $$t; \
	done

check-unit: vgpuctl-unit

-include $(VGPUCTL_LIB_OBJS:.o=.d) $(VGPUCTL_MAIN_OBJ:.o=.d) \
	$(addsuffix .d,$(VGPUCTL_TESTS))
