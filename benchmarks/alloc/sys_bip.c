/*
 * sys_bip.c - Boost.Interprocess managed_mapped_file (Metall's API
 * ancestor) under alloc_bench, through the C shim of bip_shim.h. The file
 * is created in --dir, sparse, big enough for the workload.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "bip_shim.h"

#include <stdio.h>
#include <unistd.h>

#define SYS_NAME "bip"
#define SYS_VAR bench_sys_bip

typedef struct {
    bip_heap *h;
    char path[4096];
} sys_ctx;
typedef void *sys_handle;

static int sys_open(sys_ctx *c, const bench_params *p)
{
    snprintf(c->path, sizeof c->path, "%s/bip-%ld.file", p->dir, (long)getpid());
    unlink(c->path);
    c->h = bip_create(c->path, bench_heap_bytes(p));
    return c->h ? 0 : -1;
}

static void sys_close(sys_ctx *c)
{
    bip_destroy(c->h);
    unlink(c->path);
}

static int64_t sys_disk(sys_ctx *c)
{
    return bench_disk_usage(c->path);
}

static inline bool sys_alloc(sys_ctx *c, size_t size, sys_handle *h)
{
    return (*h = bip_alloc(c->h, size)) != NULL;
}

static inline void sys_free(sys_ctx *c, sys_handle h)
{
    bip_free(c->h, h);
}

static inline void *sys_ptr(sys_ctx *c, sys_handle h)
{
    (void)c;
    return h;
}

static inline bool sys_realloc(sys_ctx *c, sys_handle *h, size_t oldsz, size_t newsz)
{
    void *q = bip_realloc(c->h, *h, oldsz, newsz);
    if (!q)
        return false;
    *h = q;
    return true;
}

#include "workloads.inc"
