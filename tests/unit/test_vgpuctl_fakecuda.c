// SPDX-License-Identifier: GPL-2.0-only
/*
 * A stand-in libcuda.so.1 for test_vgpuctl_cli: the few driver calls that
 * vgpuctl's probe makes, answering for two GPUs at PCI addresses no real
 * host has (domain fffe, one printed with eight digits in upper case as
 * the real driver may).  FAKECUDA_INIT_FAIL=1 makes cuInit fail.
 *
 * Built as a shared object, not a test program (see tools/tools.mk).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int fake_result;
typedef struct {
	char bytes[16];
} fake_uuid;

#define FAKE_NDEV		2
#define FAKE_NO_DEVICE		100
#define FAKE_INVALID_VALUE	1
#define FAKE_ATTR_SMS		16	/* CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT */

fake_result cuInit(unsigned int flags);
fake_result cuDeviceGetCount(int *count);
fake_result cuDeviceGet(int *dev, int ordinal);
fake_result cuDeviceGetName(char *name, int len, int dev);
fake_result cuDeviceTotalMem_v2(size_t *bytes, int dev);
fake_result cuDeviceGetAttribute(int *v, int attr, int dev);
fake_result cuDeviceGetUuid_v2(fake_uuid *uuid, int dev);
fake_result cuDeviceGetPCIBusId(char *id, int len, int dev);
fake_result cuGetErrorString(fake_result err, const char **str);

static int initialised;

fake_result cuInit(unsigned int flags)
{
	const char *fail = getenv("FAKECUDA_INIT_FAIL");

	if (flags || (fail && !strcmp(fail, "1")))
		return FAKE_NO_DEVICE;
	initialised = 1;
	return 0;
}

fake_result cuDeviceGetCount(int *count)
{
	*count = initialised ? FAKE_NDEV : 0;
	return 0;
}

fake_result cuDeviceGet(int *dev, int ordinal)
{
	if (!initialised || ordinal < 0 || ordinal >= FAKE_NDEV)
		return FAKE_INVALID_VALUE;
	*dev = ordinal;
	return 0;
}

fake_result cuDeviceGetName(char *name, int len, int dev)
{
	snprintf(name, (size_t)len, "Fake GPU %d", dev);
	return 0;
}

fake_result cuDeviceTotalMem_v2(size_t *bytes, int dev)
{
	*bytes = (size_t)(dev + 1) << 34;	/* 16 GiB, 32 GiB */
	return 0;
}

fake_result cuDeviceGetAttribute(int *v, int attr, int dev)
{
	if (attr != FAKE_ATTR_SMS)
		return FAKE_INVALID_VALUE;
	*v = 40 + dev;
	return 0;
}

fake_result cuDeviceGetUuid_v2(fake_uuid *uuid, int dev)
{
	memset(uuid->bytes, 0x11 * (dev + 1), sizeof(uuid->bytes));
	return 0;
}

fake_result cuDeviceGetPCIBusId(char *id, int len, int dev)
{
	if (dev == 0)
		snprintf(id, (size_t)len, "0000FFFE:3B:00.0");
	else
		snprintf(id, (size_t)len, "fffe:af:00.0");
	return 0;
}

fake_result cuGetErrorString(fake_result err, const char **str)
{
	*str = err == FAKE_NO_DEVICE ? "no CUDA-capable device is detected" :
	       "invalid argument";
	return 0;
}
