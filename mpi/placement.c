/*
 * placement.c - the NUMA node of the calling rank (see placement.h).
 * Uses hwloc when built with it (METALLC_HAVE_HWLOC); HWLOC_XMLFILE or
 * HWLOC_SYNTHETIC in the environment substitute a topology for tests.
 */
#include "placement.h"

#ifdef METALLC_HAVE_HWLOC
#include <hwloc.h>

int mm_numa_node_of_self(void)
{
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return 0;
    int node = 0;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (set && hwloc_topology_load(topo) == 0) {
        /* a process that was never bound reports the whole machine */
        if (hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_PROCESS) != 0)
            hwloc_bitmap_copy(set, hwloc_topology_get_topology_cpuset(topo));
        hwloc_obj_t obj = NULL;
        while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, obj))) {
            if (obj->cpuset && hwloc_bitmap_intersects(obj->cpuset, set)) {
                node = (int)obj->logical_index;
                break;
            }
        }
    }
    hwloc_bitmap_free(set);
    hwloc_topology_destroy(topo);
    return node;
}

#else

int mm_numa_node_of_self(void)
{
    return 0;
}

#endif
