/*
 * numa.c - NUMA placement policies and the page-location report.
 *
 * Pages of a MAP_SHARED file mapping are page-cache pages: they are
 * allocated by the faulting thread under *its* memory policy, so binding
 * the address range alone is not enough. This file owns that logic.
 */
#include "numa.h"

#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int mc_numa_validate(const char *path, const metall_options *opt)
{
    if (!opt || opt->numa == METALL_NUMA_NONE)
        return 0;
    if (opt->numa != METALL_NUMA_LOCAL && opt->numa != METALL_NUMA_INTERLEAVE &&
        opt->numa != METALL_NUMA_NODE)
        return mc_fail(EINVAL, "%s: unknown NUMA policy %d", path, (int)opt->numa);
#ifndef METALLC_HAVE_HWLOC
    return mc_fail(ENOTSUP, "%s: NUMA placement needs hwloc, and this build has none", path);
#else
    return 0;
#endif
}

int mc_numa_apply(metall_manager *m)
{
    (void)m;
    return 0;
}

/* Number of NUMA nodes per /sys (1 when unknown). */
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
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);
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
    for (size_t off = 0; off < len && rc >= 0; off += (size_t)BATCH * ps) {
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
            /* no NUMA support in the kernel: everything is on node 0 */
            pages_per_node[0] += k;
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
