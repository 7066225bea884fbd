/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fakecuda (vgpu's CUDA driver test double): the simulated GPU's state that
 * every process on the host shares, in a POSIX shared-memory object.
 *
 * Used by libcuda.so.1 (the double) and by the fakecuda-stat tool; knows
 * nothing of CUDA types.  Functions return 0 or a negative errno and print a
 * "fakecuda: ..." line for every failure that is not an ordinary answer.
 */
#ifndef FC_SHM_H
#define FC_SHM_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FC_SHM_MAGIC	0x4655434b41464676ULL	/* "vFFAKCUF" */
#define FC_SHM_LAYOUT	1
#define FC_MAX_PROCS	1024

/* Device parameters, fixed by the process that creates the object. */
struct fc_params {
	uint64_t memory;	/* device memory, bytes */
	uint64_t ctx_overhead;	/* device memory each context costs */
	uint32_t sms;
	uint32_t clock_khz;
	uint32_t mem_clock_khz;
	uint32_t pci_domain;
	uint32_t pci_bus;
	uint32_t pci_device;
};

/* Which FAKECUDA_* variables the environment set (bit per field above). */
enum {
	FC_ENV_MEMORY = 1 << 0,
	FC_ENV_CTX_OVERHEAD = 1 << 1,
	FC_ENV_SMS = 1 << 2,
	FC_ENV_CLOCK = 1 << 3,
	FC_ENV_MEM_CLOCK = 1 << 4,
	FC_ENV_PCI = 1 << 5,
};

enum fc_proc_state {
	FC_PROC_FREE = 0,
	FC_PROC_LIVE = 1,
	FC_PROC_EXITED = 2,	/* memory reclaimed, GPU time kept */
};

/* One process that has called cuInit. */
struct fc_proc {
	int32_t pid;
	uint32_t state;
	uint64_t starttime;	/* /proc/<pid>/stat field 22: tells pid reuse */
	uint64_t seq;		/* attach order, to retire the oldest entry */
	uint64_t mem_used;	/* device bytes held, contexts included */
	uint64_t ctx_mem;	/* of which context overhead */
	uint64_t busy_ns;	/* summed kernel durations */
	uint64_t launches;	/* kernels launched (graph kernel nodes count) */
};

struct fc_shared {
	uint64_t magic;
	uint32_t layout;
	uint32_t size;
	uint32_t ready;		/* set (release) once initialised */
	uint32_t pad;
	pthread_mutex_t lock;	/* process-shared, robust */
	struct fc_params params;
	uint64_t mem_used;	/* sum of the live entries' mem_used */
	uint64_t gpu_free_at;	/* CLOCK_MONOTONIC ns when queued work ends */
	uint64_t seq;
	uint64_t retired_busy_ns;	/* of entries recycled for new processes */
	uint64_t retired_launches;
	struct fc_proc procs[FC_MAX_PROCS];
};

uint64_t fc_now_ns(void);

/* FAKECUDA_SHM or "/fakecuda-<uid>"; -EINVAL (after a message) if malformed. */
int fc_shm_name(char *buf, size_t len);

/* Parse FAKECUDA_MEMORY etc.; -EINVAL after "fakecuda: <VAR>: <reason>". */
int fc_env_params(struct fc_params *p, unsigned int *set);

/*
 * Map the object @name.  With @create, make it (O_CREAT|O_EXCL, 0600) with
 * those parameters if it does not exist; without, -ENOENT (no message) if it
 * does not exist.  *@created tells whether this call made it.
 */
int fc_shm_map(const char *name, const struct fc_params *create,
	       struct fc_shared **out, bool *created);
void fc_shm_unmap(struct fc_shared *s);

/* Lock, repairing the state if the previous holder died. */
int fc_shm_lock(struct fc_shared *s);
void fc_shm_unlock(struct fc_shared *s);

/* Mark dead processes' entries exited and give back their memory. */
void fc_reclaim_locked(struct fc_shared *s);

/* Entry for this process (@pid, @starttime); index or -ENOSPC. */
int fc_proc_attach_locked(struct fc_shared *s, pid_t pid, uint64_t starttime);
uint64_t fc_proc_starttime(pid_t pid);

/* Charge @bytes of device memory to entry @idx; -ENOMEM if it does not fit. */
int fc_charge_locked(struct fc_shared *s, int idx, uint64_t bytes, bool ctx);
void fc_uncharge_locked(struct fc_shared *s, int idx, uint64_t bytes, bool ctx);

/*
 * Queue @n kernels (durations @dur_ns[]) one after the other on the one GPU,
 * the first at max(now, @earliest, GPU free-at); charge their time to entry
 * @idx; return when the last ends.
 */
uint64_t fc_gpu_run_locked(struct fc_shared *s, int idx, uint64_t earliest,
			   const uint64_t *dur_ns, size_t n);

/* Sums over entries of @pid (0: all, retired entries included). */
struct fc_totals {
	uint64_t busy_ns, launches, mem_used;
};
void fc_totals_locked(const struct fc_shared *s, pid_t pid, struct fc_totals *t);

#endif
