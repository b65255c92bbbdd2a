/*
 * placement.h - where a rank runs (NUMA), for the %n root template.
 * Kept in its own file so that hwloc placement (binding the heap's pages,
 * reporting node/cpuset/device per rank) can grow here.
 */
#ifndef METALLC_MPI_PLACEMENT_H
#define METALLC_MPI_PLACEMENT_H

/* The NUMA node (hwloc logical index) of the calling process's current CPU
 * binding: the first NUMA node whose cpuset intersects it (an unbound
 * process spans every node and gets the lowest). 0 without hwloc or when
 * the topology cannot be read, since a machine without NUMA information
 * behaves as one node. */
int mm_numa_node_of_self(void);

#endif
