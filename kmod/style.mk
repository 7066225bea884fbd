# SPDX-License-Identifier: GPL-2.0-only
#
# make style: checkpatch (strict) and sparse (C=2, W=1) on the module.
# checkpatch.pl comes from Debian's linux-source-6.1 (tools/deps.sh puts it
# in build/checkpatch/); CHECKPATCH overrides.

CHECKPATCH ?= $(TOP)/build/checkpatch/checkpatch.pl
KMOD_SOURCES := $(filter-out %/compat.h,$(wildcard $(TOP)/kmod/*.[ch] \
	$(TOP)/kmod/core/*.[ch])) $(TOP)/include/uapi/linux/vgpu.h
# MACRO_ARG_PRECEDENCE: "s->field" in attribute-generating macros cannot be
# parenthesised.  compat.h exists to compare kernel versions.
CHECKPATCH_FLAGS := --no-tree --strict --quiet --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,MACRO_ARG_PRECEDENCE

KMOD_OBJS = $(wildcard $(TOP)/kmod/*.o $(TOP)/kmod/core/*.o)

.PHONY: checkpatch sparse

style: checkpatch sparse

checkpatch:
	@test -x $(CHECKPATCH) || test -f $(CHECKPATCH) || \
		{ echo "checkpatch.pl not found at $(CHECKPATCH): run make deps"; exit 1; }
	perl $(CHECKPATCH) $(CHECKPATCH_FLAGS) -f $(KMOD_SOURCES)
	perl $(CHECKPATCH) $(CHECKPATCH_FLAGS) \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f $(TOP)/kmod/compat.h
	@echo "checkpatch: clean"

sparse:
	@command -v sparse >/dev/null || { echo "sparse not installed: run make deps"; exit 1; }
	@mkdir -p $(B)
	@# Recompile every object (W=1 speaks at compile time) without kbuild's
	@# clean, which would also reach the kernel trees unpacked under build/.
	@rm -f $(KMOD_OBJS)
	@$(MAKE) -C $(KDIR) M=$(TOP) C=2 W=1 modules > $(B)/sparse.log 2>&1 || \
		{ cat $(B)/sparse.log; exit 1; }
	@if grep -E 'warning:|error:' $(B)/sparse.log; then \
		echo "sparse/W=1: not clean (log: $(B)/sparse.log)"; exit 1; fi
	@echo "sparse (C=2) and W=1: clean"
