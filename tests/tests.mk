# SPDX-License-Identifier: GPL-2.0-only
#
# Unit tests of the shared arbiter core (userspace, simulated clock).

ARB_CORE := $(TOP)/kmod/core/arbiter_core.c
ARB_TEST := $(B)/tests/unit/test_arbiter

.PHONY: arbiter-unit

$(ARB_TEST): $(TOP)/tests/unit/test_arbiter.c $(ARB_CORE) \
		$(TOP)/kmod/core/arbiter_core.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $(TOP)/tests/unit/test_arbiter.c $(ARB_CORE) \
		$(USER_LDFLAGS)

arbiter-unit: $(ARB_TEST)
	@echo "  RUN   $(ARB_TEST:$(TOP)/%=%)"
	@$(ARB_TEST)

check-unit: arbiter-unit

ARB_BENCH := $(B)/tests/unit/bench_arbiter

$(ARB_BENCH): $(TOP)/tests/unit/bench_arbiter.c $(ARB_CORE) \
		$(TOP)/kmod/core/arbiter_core.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $(TOP)/tests/unit/bench_arbiter.c $(ARB_CORE) \
		$(USER_LDFLAGS)

.PHONY: arbiter-bench
arbiter-bench: $(ARB_BENCH)
	@$(ARB_BENCH)

bench: arbiter-bench
