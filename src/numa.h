/*
 * numa.h - placement of the heap's pages on NUMA nodes (hwloc).
 */
#ifndef METALLC_NUMA_H
#define METALLC_NUMA_H

#include "types.h"

/* Check the options' policy before anything is created: ENOTSUP without
 * hwloc for a policy other than NONE, EINVAL for a bad node. */
int mc_numa_validate(const char *path, const metall_options *opt);
/* Apply m->numa to the heap (at create/open; NONE does nothing). */
int mc_numa_apply(metall_manager *m);

#endif
