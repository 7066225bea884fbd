/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vgpuctl unit tests: counted checks.  A failed check prints file:line and
 * the values and the test goes on; check_report() prints the totals and
 * gives the exit status.
 */
#ifndef VGPUCTL_TEST_H
#define VGPUCTL_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int checks, failures;

#define CHECK(cond) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n",		\
			__FILE__, __LINE__, #cond);			\
	}								\
} while (0)

#define CHECK_INT(a, b) do {						\
	long long a_ = (a), b_ = (b);					\
	checks++;							\
	if (a_ != b_) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",	\
			__FILE__, __LINE__, #a, a_, b_);		\
	}								\
} while (0)

#define CHECK_U64(a, b) do {						\
	uint64_t a_ = (a), b_ = (b);					\
	checks++;							\
	if (a_ != b_) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: %s == %" PRIu64 ", expected %" PRIu64 "\n", \
			__FILE__, __LINE__, #a, a_, b_);		\
	}								\
} while (0)

/* Strings a and b equal; fmt prints file, line, what a is, a and b. */
#define CHECK_STR_FMT(a, b, what, fmt) do {				\
	const char *a_ = (a), *b_ = (b);				\
	checks++;							\
	if (strcmp(a_, b_)) {						\
		failures++;						\
		fprintf(stderr, fmt, __FILE__, __LINE__, what, a_, b_);	\
	}								\
} while (0)

#define CHECK_STR(a, b)							\
	CHECK_STR_FMT(a, b, #a, "%s:%d: %s == \"%s\", expected \"%s\"\n")
/* CHECK_STR for output of several lines: each string starts a line. */
#define CHECK_TEXT(a, b)						\
	CHECK_STR_FMT(a, b, #a, "%s:%d: %s ==\n\"%s\"\nexpected\n\"%s\"\n")

#define CHECK_HAS(s, text) do {						\
	checks++;							\
	if (!strstr((s), (text))) {					\
		failures++;						\
		fprintf(stderr, "%s:%d: \"%s\" lacks \"%s\"\n",		\
			__FILE__, __LINE__, (s), (text));		\
	}								\
} while (0)

/* "<test>: N checks, N failed"; the exit status. */
static inline int check_report(const char *test)
{
	printf("%s: %d checks, %d failed\n", test, checks, failures);
	return failures ? 1 : 0;
}

#endif /* VGPUCTL_TEST_H */
