/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fakecuda: vgpu's simulated GPU, a test double of NVIDIA's libcuda.so.1.
 *
 * Extension functions of the double (not CUDA API).  They read the shared
 * state named by FAKECUDA_SHM (or /fakecuda-<uid>) at the time of the call,
 * whether or not this process called cuInit; with no such state they return
 * 0.  A pid of 0 means every process, including those that have exited.
 */
#ifndef FAKECUDA_H
#define FAKECUDA_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Nanoseconds of kernel time the GPU ran for @pid (summed durations). */
unsigned long long fakecuda_busy_ns(pid_t pid);
/* Kernels launched by @pid (each kernel node of a graph launch counts). */
unsigned long long fakecuda_launches(pid_t pid);
/* Device memory bytes @pid holds now, context overhead included. */
unsigned long long fakecuda_mem_used(pid_t pid);
/* shm_unlink the state: 0 or a negative errno. */
int fakecuda_shm_unlink(void);

/*
 * Test hook: take the shared state's lock and return without releasing it,
 * so that a test can kill the holder and check that the others recover.
 * 0 or a negative errno.
 */
int fakecuda_lock_hold(void);

#ifdef __cplusplus
}
#endif

#endif
