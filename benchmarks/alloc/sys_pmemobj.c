/*
 * sys_pmemobj.c - PMDK libpmemobj under alloc_bench: a pool file in --dir,
 * pmemobj_alloc/pmemobj_free/pmemobj_realloc with handles kept as PMEMoid.
 * The parent starts this child with PMEM_IS_PMEM_FORCE=1 (unless
 * --pmemobj-no-force): on a regular file system libpmem would otherwise
 * msync for every persist, ~177 us per allocation (MEASURED.md).
 */
#define _GNU_SOURCE
#include "bench.h"

#include <libpmemobj.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define SYS_NAME "pmemobj"
#define SYS_VAR bench_sys_pmemobj

typedef struct {
    PMEMobjpool *pop;
    char path[4096];
} sys_ctx;
typedef PMEMoid sys_handle;

static int sys_open(sys_ctx *c, const bench_params *p)
{
    snprintf(c->path, sizeof c->path, "%s/pmemobj-%ld.pool", p->dir, (long)getpid());
    unlink(c->path);
    size_t size = bench_heap_bytes(p);
    if (size < PMEMOBJ_MIN_POOL)
        size = PMEMOBJ_MIN_POOL;
    c->pop = pmemobj_create(c->path, "alloc_bench", size, 0600);
    if (!c->pop) {
        fprintf(stderr, "pmemobj: pmemobj_create(%s): %s\n", c->path, pmemobj_errormsg());
        return -1;
    }
    return 0;
}

static void sys_close(sys_ctx *c)
{
    pmemobj_close(c->pop);
    unlink(c->path);
}

static int64_t sys_disk(sys_ctx *c)
{
    return bench_disk_usage(c->path);
}

static inline bool sys_alloc(sys_ctx *c, size_t size, sys_handle *h)
{
    return pmemobj_alloc(c->pop, h, size, 0, NULL, NULL) == 0;
}

static inline void sys_free(sys_ctx *c, sys_handle h)
{
    (void)c;
    pmemobj_free(&h);
}

static inline void *sys_ptr(sys_ctx *c, sys_handle h)
{
    (void)c;
    return pmemobj_direct(h);
}

static inline bool sys_realloc(sys_ctx *c, sys_handle *h, size_t oldsz, size_t newsz)
{
    (void)oldsz;
    return pmemobj_realloc(c->pop, h, newsz, 0) == 0;
}

#include "workloads.inc"
