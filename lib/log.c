// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Diagnostics: one line on stderr per message, at most at the level
 * VGPU_LOG_LEVEL asks (default 1: errors that make CUDA calls fail).  Never
 * a file.  The level is set once, when the environment is read.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int vgpu_log_level = VLOG_ERR;

void vgpu_log(int level, const char *fmt, ...)
{
	static const char *const tag[] = { "", "error", "warning", "info", "debug" };
	char buf[1024];
	va_list ap;
	int n;

	if (level > vgpu_log_level)
		return;
	n = snprintf(buf, sizeof(buf), "vgpu[%d] %s: ", (int)getpid(),
		     tag[level < 0 ? 0 : level > VLOG_DEBUG ? VLOG_DEBUG : level]);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	if (n && buf[n - 1] != '\n' && n < (int)sizeof(buf) - 1) {
		buf[n++] = '\n';
		buf[n] = '\0';
	}
	/* one write: lines of concurrent processes do not interleave */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

void vgpu_errf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}
