/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Checks of the CUDA tests (tests/lib/lt.h, tests/fakecuda/fc_test.h): a
 * failed one prints file:line and what it wanted, and exits 1.
 */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, \
			__func__, #cond); \
		exit(1); \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
	if (_a != _b) { \
		fprintf(stderr, "%s:%d: %s: %s == %llu, want %s == %llu\n", __FILE__, \
			__LINE__, __func__, #a, _a, #b, _b); \
		exit(1); \
	} \
} while (0)

/* @call must return @want. */
#define CU(call, want) do { \
	CUresult _r = (call); \
	if (_r != (want)) { \
		const char *_n = NULL; \
		cuGetErrorName(_r, &_n); \
		fprintf(stderr, "%s:%d: %s returned %d (%s), want %s\n", __FILE__, \
			__LINE__, #call, (int)_r, _n ? _n : "?", #want); \
		exit(1); \
	} \
} while (0)

#define OK(call) CU(call, CUDA_SUCCESS)

#endif
