/*
 * numa.c - NUMA placement policies and the page-location report.
 *
 * Pages of a MAP_SHARED file mapping are page-cache pages: the kernel
 * allocates them for the faulting thread under *that thread's* memory
 * policy; mbind() of the mapping does not apply to them (it does for
 * tmpfs/shmem). So when a policy is set, every chunk is prefaulted
 * (MADV_POPULATE_WRITE) right after it is backed, with the calling thread's
 * policy temporarily bound to the chosen nodes, and the range is also
 * area-bound for file systems that honour it. metall_numa_pages() reports
 * where resident pages really are (move_pages), so placement is verified,
 * not assumed. Nothing here is on the allocation fast path: it runs once
 * per 2 MiB chunk.
 */
#include "numa.h"

#include "error.h"
#include "os.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

bool mc_numa_from_env(metall_numa_policy *pol, int *node)
{
    const char *v = getenv("METALLC_NUMA");
    if (!v || !*v)
        return false;
    *node = 0;
    if (strcmp(v, "none") == 0)
        *pol = METALL_NUMA_NONE;
    else if (strcmp(v, "local") == 0)
        *pol = METALL_NUMA_LOCAL;
    else if (strcmp(v, "interleave") == 0)
        *pol = METALL_NUMA_INTERLEAVE;
    else if (strncmp(v, "node:", 5) == 0) {
        *pol = METALL_NUMA_NODE;
        *node = atoi(v + 5);
    } else
        return false;
    return true;
}

#ifndef METALLC_HAVE_HWLOC

int mc_numa_validate(const char *path, const metall_options *opt)
{
    if (!opt || opt->numa == METALL_NUMA_NONE)
        return 0;
    if (opt->numa != METALL_NUMA_LOCAL && opt->numa != METALL_NUMA_INTERLEAVE &&
        opt->numa != METALL_NUMA_NODE)
        return mc_fail(EINVAL, "%s: unknown NUMA policy %d", path, (int)opt->numa);
    return mc_fail(ENOTSUP, "%s: NUMA placement needs hwloc, and this build has none", path);
}

int mc_numa_apply(metall_manager *m)
{
    if (m->numa == METALL_NUMA_NONE)
        return 0;
    return mc_fail(ENOTSUP, "%s: NUMA placement needs hwloc, and this build has none", m->path);
}

void mc_numa_release(metall_manager *m)
{
    (void)m;
}

int mc_numa_populate(struct mc_numa *n, void *addr, size_t len)
{
    (void)n;
    return os_populate_write(addr, len);
}

#else /* METALLC_HAVE_HWLOC */

struct mc_numa {
    hwloc_nodeset_t nodes;
    hwloc_membind_policy_t policy;
};

static hwloc_topology_t g_topo;
static int g_topo_err;
static pthread_once_t g_topo_once = PTHREAD_ONCE_INIT;

static void load_topology(void)
{
    if (hwloc_topology_init(&g_topo) != 0 || hwloc_topology_load(g_topo) != 0)
        g_topo_err = errno ? errno : EIO;
}

static hwloc_topology_t topology(void)
{
    pthread_once(&g_topo_once, load_topology);
    return g_topo_err ? NULL : g_topo;
}

int mc_numa_choose(hwloc_topology_t topo, hwloc_const_cpuset_t cpuset, metall_numa_policy pol,
                   int node, hwloc_nodeset_t out)
{
    hwloc_bitmap_zero(out);
    hwloc_const_nodeset_t all = hwloc_topology_get_topology_nodeset(topo);
    switch (pol) {
    case METALL_NUMA_NONE:
        hwloc_bitmap_copy(out, all);
        return 0;
    case METALL_NUMA_LOCAL:
        hwloc_cpuset_to_nodeset(topo, cpuset, out);
        break;
    case METALL_NUMA_INTERLEAVE: {
        hwloc_obj_t pkg = NULL;
        while ((pkg = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PACKAGE, pkg)))
            if (hwloc_bitmap_intersects(pkg->cpuset, cpuset))
                hwloc_bitmap_or(out, out, pkg->nodeset);
        break;
    }
    case METALL_NUMA_NODE: {
        hwloc_obj_t obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)node);
        if (node < 0 || !obj) {
            errno = EINVAL;
            return -1;
        }
        hwloc_bitmap_only(out, obj->os_index);
        return 0;
    }
    default:
        errno = EINVAL;
        return -1;
    }
    hwloc_bitmap_and(out, out, all);
    if (hwloc_bitmap_iszero(out))
        hwloc_bitmap_copy(out, all); /* nothing near: spread over all */
    return 0;
}

int mc_numa_validate(const char *path, const metall_options *opt)
{
    if (!opt || opt->numa == METALL_NUMA_NONE)
        return 0;
    if (opt->numa != METALL_NUMA_LOCAL && opt->numa != METALL_NUMA_INTERLEAVE &&
        opt->numa != METALL_NUMA_NODE)
        return mc_fail(EINVAL, "%s: unknown NUMA policy %d", path, (int)opt->numa);
    hwloc_topology_t topo = topology();
    if (!topo)
        return mc_fail_sys(g_topo_err, "%s: cannot read the machine topology (hwloc)", path);
    if (opt->numa == METALL_NUMA_NODE) {
        int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
        if (opt->numa_node < 0 || opt->numa_node >= n)
            return mc_fail(EINVAL, "%s: NUMA node %d does not exist (this machine has %d)", path,
                           opt->numa_node, n);
    }
    return 0;
}

int mc_numa_apply(metall_manager *m)
{
    if (m->numa == METALL_NUMA_NONE)
        return 0;
    hwloc_topology_t topo = topology();
    if (!topo)
        return mc_fail_sys(g_topo_err, "%s: cannot read the machine topology (hwloc)", m->path);
    struct mc_numa *n = calloc(1, sizeof *n);
    hwloc_cpuset_t cpus = hwloc_bitmap_alloc();
    if (n)
        n->nodes = hwloc_bitmap_alloc();
    if (!n || !n->nodes || !cpus) {
        if (n)
            hwloc_bitmap_free(n->nodes);
        free(n);
        hwloc_bitmap_free(cpus);
        return mc_fail(ENOMEM, "%s: out of memory", m->path);
    }
    /* the thread's binding (what mpirun --bind-to sets); else the process's */
    if (hwloc_get_cpubind(topo, cpus, HWLOC_CPUBIND_THREAD) != 0 &&
        hwloc_get_cpubind(topo, cpus, HWLOC_CPUBIND_PROCESS) != 0)
        hwloc_bitmap_copy(cpus, hwloc_topology_get_topology_cpuset(topo));
    int rc = mc_numa_choose(topo, cpus, m->numa, m->numa_node, n->nodes);
    hwloc_bitmap_free(cpus);
    if (rc) {
        hwloc_bitmap_free(n->nodes);
        free(n);
        return mc_fail(EINVAL, "%s: invalid NUMA placement (node %d)", m->path, m->numa_node);
    }
    n->policy = m->numa == METALL_NUMA_INTERLEAVE ? HWLOC_MEMBIND_INTERLEAVE : HWLOC_MEMBIND_BIND;
    m->seg.numa = n;
    return 0;
}

void mc_numa_release(metall_manager *m)
{
    struct mc_numa *n = m->seg.numa;
    if (!n)
        return;
    hwloc_bitmap_free(n->nodes);
    free(n);
    m->seg.numa = NULL;
}

int mc_numa_populate(struct mc_numa *n, void *addr, size_t len)
{
    hwloc_topology_t topo = topology();
    if (!topo)
        return os_populate_write(addr, len);
    /* for tmpfs/shmem-backed heaps, the range policy is what counts */
    (void)hwloc_set_area_membind(topo, addr, len, n->nodes, n->policy, HWLOC_MEMBIND_BYNODESET);
    hwloc_nodeset_t saved = hwloc_bitmap_alloc();
    hwloc_membind_policy_t saved_policy = HWLOC_MEMBIND_DEFAULT;
    bool restore = saved && hwloc_get_membind(topo, saved, &saved_policy,
                                              HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET) == 0;
    (void)hwloc_set_membind(topo, n->nodes, n->policy,
                            HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET);
    int rc = os_populate_write(addr, len);
    if (restore)
        (void)hwloc_set_membind(topo, saved, saved_policy,
                                HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET);
    else
        (void)hwloc_set_membind(topo, hwloc_topology_get_topology_nodeset(topo),
                                HWLOC_MEMBIND_DEFAULT, HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET);
    hwloc_bitmap_free(saved);
    return rc;
}

#endif /* METALLC_HAVE_HWLOC */

/* Number of NUMA nodes known to the kernel (1 when it has none). */
static int node_count(void)
{
    int n = 0;
    for (;;) {
        char p[64];
        snprintf(p, sizeof p, "/sys/devices/system/node/node%d", n);
        if (access(p, F_OK) != 0)
            break;
        n++;
    }
    return n ? n : 1;
}

int metall_numa_pages(metall_manager *m, size_t *pages_per_node, int max_nodes)
{
    mc_error_clear();
    if (!m || max_nodes < 0 || (max_nodes > 0 && !pages_per_node))
        return mc_fail(EINVAL, "metall: invalid arguments to metall_numa_pages");
    int nodes = node_count();
    for (int i = 0; i < max_nodes; i++)
        pages_per_node[i] = 0;
    if (max_nodes == 0)
        return nodes;
    size_t ps = os_page_size();
    size_t len = (size_t)m->seg.nblocks * m->seg.block_size;
    enum { BATCH = 4096 };
    unsigned char *vec = malloc(BATCH);
    void **pages = malloc(BATCH * sizeof(void *));
    int *status = malloc(BATCH * sizeof(int));
    if (!vec || !pages || !status) {
        free(vec);
        free(pages);
        free(status);
        return mc_fail(ENOMEM, "%s: out of memory", m->path);
    }
    int rc = nodes;
    for (size_t off = 0; off < len; off += (size_t)BATCH * ps) {
        size_t n = (len - off) / ps < BATCH ? (len - off) / ps : BATCH;
        if (mincore(m->head.base_ + off, n * ps, vec) != 0) {
            rc = mc_fail_sys(errno, "%s: mincore failed", m->path);
            break;
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (vec[i] & 1)
                pages[k++] = m->head.base_ + off + i * ps;
        if (!k)
            continue;
        if (syscall(SYS_move_pages, 0, (unsigned long)k, pages, NULL, status, 0) != 0) {
            pages_per_node[0] += k; /* no NUMA in the kernel: all on node 0 */
            continue;
        }
        for (size_t i = 0; i < k; i++)
            if (status[i] >= 0 && status[i] < max_nodes)
                pages_per_node[status[i]]++;
    }
    free(vec);
    free(pages);
    free(status);
    return rc;
}
