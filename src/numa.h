/*
 * numa.h - placement of the heap's pages on NUMA nodes (hwloc).
 */
#ifndef METALLC_NUMA_H
#define METALLC_NUMA_H

#include "types.h"

#ifdef METALLC_HAVE_HWLOC
#include <hwloc.h>
#endif

/* Check the options' policy before anything is created: ENOTSUP without
 * hwloc for a policy other than NONE, EINVAL for a bad node. */
int mc_numa_validate(const char *path, const metall_options *opt);

/* Decide the nodes of m->numa for the calling thread and attach them to
 * the segment (create; open when METALLC_NUMA is set). NONE does nothing. */
int mc_numa_apply(metall_manager *m);
void mc_numa_release(metall_manager *m);

/* Fault [addr, addr+len) in with the calling thread's memory policy bound
 * to the chosen nodes: page-cache pages are allocated by the faulting
 * thread's policy, so this is what really places a file-backed heap. */
int mc_numa_populate(struct mc_numa *n, void *addr, size_t len);

/* Policy from the environment (METALLC_NUMA=none|local|interleave|node:N);
 * returns false if unset. */
bool mc_numa_from_env(metall_numa_policy *pol, int *node);

#ifdef METALLC_HAVE_HWLOC
/* The placement decision, a pure function of a topology so that tests can
 * check it on synthetic machines:
 *  LOCAL      nodes near cpuset (all nodes if none is);
 *  INTERLEAVE nodes of the packages that cpuset touches (all if no package);
 *  NODE       the NUMA node of logical index `node` (EINVAL if none).
 * Returns 0 or -1 with errno. */
int mc_numa_choose(hwloc_topology_t topo, hwloc_const_cpuset_t cpuset, metall_numa_policy pol,
                   int node, hwloc_nodeset_t out);
#endif

#endif
