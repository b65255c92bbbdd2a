/*
 * placement.h - where a rank runs (CPU binding, NUMA node): the value of
 * the %n root template and the per-rank placement report.
 *
 * The decision is a pure function of an hwloc topology and a cpuset
 * (mm_where_of), so that tests check it on synthetic and XML topologies
 * of several NUMA nodes; mm_where_of_self() applies it to the real
 * machine and the calling thread's binding.
 *
 * NUMA nodes are named by hwloc *logical* index, like metall_options'
 * numa_node and the %n template (on most machines it equals the kernel's
 * node number).
 */
#ifndef METALLC_MPI_PLACEMENT_H
#define METALLC_MPI_PLACEMENT_H

#include "rootfs.h" /* MM_CPUSET_MAX, MM_NODES_MAX */

#include <stddef.h>

#ifdef METALLC_HAVE_HWLOC
#include <hwloc.h>
#endif

/* Where a thread runs. */
struct mm_where {
    int node;                   /* %n: the lowest node near the cpuset */
    char cpuset[MM_CPUSET_MAX]; /* PU os indexes as a list, "0-3,8"; "?" unknown */
    char nodes[MM_NODES_MAX];   /* every node near the cpuset, "2-3"; "?" unknown */
};

#ifdef METALLC_HAVE_HWLOC
/* The NUMA node of a binding: the NUMA node of lowest logical index whose
 * cpuset intersects `set`. A binding spanning several nodes (e.g. a rank
 * bound to a whole package, or not bound at all) gets the lowest of them,
 * so that %n is always one valid node; 0 when no node intersects it (a
 * machine without NUMA information behaves as one node). Pure. */
int mm_numa_node_of_cpuset(hwloc_topology_t topo, hwloc_const_cpuset_t set);

/* Fill w for the binding `set` of topology `topo`: node as above, cpuset
 * as a list, nodes = every node whose cpuset intersects set (what the
 * LOCAL policy binds the heap to). Pure. */
void mm_where_of(hwloc_topology_t topo, hwloc_const_cpuset_t set, struct mm_where *w);
#endif

/* mm_where_of() for the calling thread's binding (the process's if the
 * thread has none of its own, the whole machine if neither can be read) on
 * this machine's topology; the environment's HWLOC_XMLFILE or
 * HWLOC_SYNTHETIC substitute another one. Without hwloc: node 0, the
 * cpuset from sched_getaffinity and nodes "?". */
void mm_where_of_self(struct mm_where *w);

/* mm_where_of_self()'s node: the value of %n. */
int mm_numa_node_of_self(void);

#endif
