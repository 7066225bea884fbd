// SPDX-License-Identifier: GPL-2.0-only
/*
 * fakecuda-stat: what each process did on vgpu's simulated GPU (the
 * fakecuda test double), for the current FAKECUDA_SHM.
 *
 * One line per process that called cuInit, tab separated:
 *	pid  busy_ns  launches  mem_bytes  live|exited
 * then "total  busy_ns  launches  mem_bytes" over all of them (processes
 * whose entries were recycled included).  Dead processes' memory is
 * reclaimed first, as the driver would have freed it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fc_shm.h"

int main(int argc, char **argv)
{
	struct fc_proc procs[FC_MAX_PROCS];
	char name[NAME_MAX + 1];
	struct fc_shared *s;
	struct fc_totals t;
	int e;

	if (argc > 1) {
		FILE *out = strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? stderr : stdout;

		fprintf(out, "usage: fakecuda-stat\n"
			"Prints pid, busy_ns, launches, mem_bytes and state of each process\n"
			"on the simulated GPU named by FAKECUDA_SHM, then the totals.\n");
		return out == stdout ? 0 : 2;
	}
	if (fc_shm_name(name, sizeof(name)) < 0)
		return 1;
	e = fc_shm_map(name, NULL, &s, NULL);
	if (e == -ENOENT) {
		fprintf(stderr, "fakecuda-stat: %s: no simulated GPU (no process has called "
			"cuInit with this FAKECUDA_SHM)\n", name);
		return 1;
	}
	if (e < 0)
		return 1;
	if (fc_shm_lock(s) < 0)
		return 1;
	fc_reclaim_locked(s);
	memcpy(procs, s->procs, sizeof(procs));
	fc_totals_locked(s, 0, &t);
	fc_shm_unlock(s);
	fc_shm_unmap(s);

	for (int i = 0; i < FC_MAX_PROCS; i++) {
		if (procs[i].state == FC_PROC_FREE)
			continue;
		printf("%d\t%llu\t%llu\t%llu\t%s\n", (int)procs[i].pid,
		       (unsigned long long)procs[i].busy_ns,
		       (unsigned long long)procs[i].launches,
		       (unsigned long long)procs[i].mem_used,
		       procs[i].state == FC_PROC_LIVE ? "live" : "exited");
	}
	printf("total\t%llu\t%llu\t%llu\n", (unsigned long long)t.busy_ns,
	       (unsigned long long)t.launches, (unsigned long long)t.mem_used);
	return ferror(stdout) ? 1 : 0;
}
