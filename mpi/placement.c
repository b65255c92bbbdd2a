/*
 * placement.c - where the calling rank runs (see placement.h). Uses hwloc
 * when built with it (METALLC_HAVE_HWLOC). Not an MPI file: the placement
 * test compiles it on its own.
 */
#include "placement.h"

#include <stdio.h>
#include <string.h>

#ifdef METALLC_HAVE_HWLOC

int mm_numa_node_of_cpuset(hwloc_topology_t topo, hwloc_const_cpuset_t set)
{
    /* NUMA nodes come in logical order: the first hit is the lowest */
    hwloc_obj_t obj = NULL;
    while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, obj)))
        if (obj->cpuset && hwloc_bitmap_intersects(obj->cpuset, set))
            return (int)obj->logical_index;
    return 0;
}

void mm_where_of(hwloc_topology_t topo, hwloc_const_cpuset_t set, struct mm_where *w)
{
    w->node = mm_numa_node_of_cpuset(topo, set);
    if (hwloc_bitmap_list_snprintf(w->cpuset, sizeof w->cpuset, set) < 0)
        snprintf(w->cpuset, sizeof w->cpuset, "?");
    /* a bitmap of logical indexes, printed as a list like the cpuset */
    hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
    snprintf(w->nodes, sizeof w->nodes, "?");
    if (!nodes)
        return;
    hwloc_obj_t obj = NULL;
    while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, obj)))
        if (obj->cpuset && hwloc_bitmap_intersects(obj->cpuset, set))
            hwloc_bitmap_set(nodes, obj->logical_index);
    if (hwloc_bitmap_iszero(nodes))
        hwloc_bitmap_set(nodes, (unsigned)w->node);
    if (hwloc_bitmap_list_snprintf(w->nodes, sizeof w->nodes, nodes) < 0)
        snprintf(w->nodes, sizeof w->nodes, "?");
    hwloc_bitmap_free(nodes);
}

void mm_where_of_self(struct mm_where *w)
{
    w->node = 0;
    snprintf(w->cpuset, sizeof w->cpuset, "?");
    snprintf(w->nodes, sizeof w->nodes, "?");
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return;
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (set && hwloc_topology_load(topo) == 0) {
        /* the same binding the core's LOCAL policy follows (src/numa.c):
         * the thread's, else the process's; a process that was never bound
         * reports the whole machine */
        if (hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_THREAD) != 0 &&
            hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_PROCESS) != 0)
            hwloc_bitmap_copy(set, hwloc_topology_get_topology_cpuset(topo));
        mm_where_of(topo, set, w);
    }
    hwloc_bitmap_free(set);
    hwloc_topology_destroy(topo);
}

#else

#include <sched.h>

/* "0-3,8" from the affinity mask, as hwloc would print it. */
static void affinity_list(char *out, size_t size)
{
    cpu_set_t cs;
    snprintf(out, size, "?");
    if (sched_getaffinity(0, sizeof cs, &cs) != 0)
        return;
    size_t o = 0;
    out[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, &cs))
            continue;
        int e = c;
        while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, &cs))
            e++;
        int n = e > c ? snprintf(out + o, size - o, "%s%d-%d", o ? "," : "", c, e)
                      : snprintf(out + o, size - o, "%s%d", o ? "," : "", c);
        if (n < 0 || (size_t)n >= size - o) {
            snprintf(out, size, "?");
            return;
        }
        o += (size_t)n;
        c = e;
    }
}

void mm_where_of_self(struct mm_where *w)
{
    w->node = 0;
    affinity_list(w->cpuset, sizeof w->cpuset);
    snprintf(w->nodes, sizeof w->nodes, "?");
}

#endif

int mm_numa_node_of_self(void)
{
    struct mm_where w;
    mm_where_of_self(&w);
    return w.node;
}
